#include "util/blas_kernels.h"

#include <unistd.h>

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

// Runs before main() in every program that links scaleout_core (core/CMakeLists.txt keeps
// this object linked), after libopenblas's own constructor has chosen its kernels. glibc
// passes argc/argv to .init_array functions. Every program re-executes the same way, so
// the CLI, the GUI and the tests that compare a run in one process with a run in another
// (bit for bit) all use the same kernels.
extern "C" void scaleout_use_fast_blas_kernels(int /*argc*/, char** argv, char** /*envp*/) {
  const auto core = scaleout::betterOpenBlasCore();
  if (!core || !argv) return;
  setenv("OPENBLAS_CORETYPE", core->c_str(), 1);
  execv("/proc/self/exe", argv);  // returns only on failure: go on with OpenBLAS's choice
}

__attribute__((section(".init_array"), used)) static void (*const kUseFastBlasKernels)(int, char**, char**) =
    scaleout_use_fast_blas_kernels;

