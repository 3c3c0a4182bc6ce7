#include "util/blas_kernels.h"

#include <cstdlib>
#include <cstring>

extern "C" char* openblas_get_corename(void);

namespace scaleout {

std::string openBlasCore() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

std::optional<std::string> betterOpenBlasCore() {
  if (std::getenv("OPENBLAS_CORETYPE")) return std::nullopt;  // the user's choice stands
  const std::string current = openBlasCore();
  // Cores from before AVX2: what OpenBLAS falls back to for a CPU model it does not know.
  static const char* kOld[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Northwood", "Banias"};
  bool old = false;
  for (const char* k : kOld) old = old || current == k;
  if (!old) return std::nullopt;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return std::nullopt;
}

}  // namespace scaleout
