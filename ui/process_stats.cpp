#include "process_stats.h"

#include <cstdio>

#include <unistd.h>

namespace scaleout::ui {

qint64 residentBytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return static_cast<qint64>(resident) * static_cast<qint64>(sysconf(_SC_PAGESIZE));
}

}  // namespace scaleout::ui
