#pragma once
// OpenBLAS (Debian's 0.3.21, built DYNAMIC_ARCH) picks its kernels from the CPU model at
// load time, and falls back to "Prescott" (SSE3) on models it does not know, such as
// Intel's Sapphire Rapids: every matrix product then runs about 4x slower than the AVX-512
// kernels the CPU can run (measured: 3.9k against 17k+ samples/s on the reference MLP).
// The choice can only be overridden before the library loads (OPENBLAS_CORETYPE), so every
// program linking scaleout_core re-executes itself once, before main(), with it set
// (blas_kernels.cpp); a user's own OPENBLAS_CORETYPE is left alone.
#include <optional>
#include <string>

namespace scaleout {

// The OpenBLAS core the CPU's features call for ("SkylakeX" with AVX-512, "Haswell" with
// AVX2 + FMA) when OpenBLAS chose an older one and the user did not set OPENBLAS_CORETYPE;
// nullopt when OpenBLAS's own choice stands.
std::optional<std::string> betterOpenBlasCore();

// The core OpenBLAS runs with, e.g. "SkylakeX".
std::string openBlasCore();

}  // namespace scaleout
