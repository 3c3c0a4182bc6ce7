#include "util/cache_dir.h"

#include <cstdlib>

namespace scaleout {

std::filesystem::path userCacheDir(const std::string& kind) {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::filesystem::path(x) / "scaleout" / kind;
  if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".cache" / "scaleout" / kind;
  return std::filesystem::temp_directory_path() / ("scaleout-" + kind);
}

}  // namespace scaleout
