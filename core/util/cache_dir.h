#pragma once
// Where Scaleout keeps files it can rebuild (shipped shards, decoded data sets).
#include <filesystem>
#include <string>

namespace scaleout {

// $XDG_CACHE_HOME/scaleout/<kind>, else ~/.cache/scaleout/<kind>, else <tmp>/scaleout-<kind>.
// Not created here: a cache that cannot be written is the caller's (non-fatal) problem.
std::filesystem::path userCacheDir(const std::string& kind);

}  // namespace scaleout
