#pragma once
// The decoded-data cache: an IDX pair decoded once (inflating Fashion-MNIST's training
// images takes most of a second) is kept as its stored bytes in the user's cache dir and
// read back through a mapping. The DataSet is the same, bit for bit, either way.
//
// Entries are found by the pair's paths and trusted only while both sources still have
// the identity they had when decoded (device, inode, size, mtime, ctime; sources that
// changed just before decoding are checked by SHA-256, see data/file_identity.h). A
// damaged, truncated or foreign cache file is ignored and replaced; a cache dir that
// cannot be written only costs the speed.
#include <filesystem>
#include <string>

#include "data/dataset.h"

namespace scaleout {

inline constexpr size_t kDecodedCacheEntries = 8;  // the newest few pairs; each is tens of MB

// userCacheDir("decoded"): $XDG_CACHE_HOME/scaleout/decoded or ~/.cache/scaleout/decoded.
std::filesystem::path decodedCacheDir();

struct IdxCacheReport {
  bool hit = false;      // the set came from the cache
  bool written = false;  // the set was decoded and the cache file (re)written
  std::string problem;   // one line when a cache file was ignored or could not be written
};

// readIdx through the cache in `cacheDir`. Pairs of plain (uncompressed) files are read
// directly: a copy would cost disk and gain nothing. Throws what readIdx throws.
DataSet readIdxCached(const std::string& imagesPath, const std::string& labelsPath,
                      const std::filesystem::path& cacheDir, IdxCacheReport* report = nullptr);

}  // namespace scaleout
