#pragma once
// Rng: the run's one seeded random generator. Distributions are written out here rather
// than taken from <random>, whose distributions differ between standard libraries, so a
// seed means the same numbers with any toolchain. State can be saved for checkpoints.
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>

namespace scaleout {

class Rng {
 public:
  explicit Rng(uint64_t seed = 123) : engine_(seed) {}

  uint64_t nextU64() { return engine_(); }
  // Uniform in [0, 1) with 24 random bits (exact in float).
  float uniform() { return static_cast<float>(engine_() >> 40) * (1.0f / 16777216.0f); }
  double uniformDouble() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  // Uniform integer in [0, n) without modulo bias (Lemire's method).
  uint64_t below(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(engine_()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(engine_()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  // Standard normal by Box-Muller (no cached second value, so state stays one engine).
  float normal() {
    double u1 = uniformDouble();
    double u2 = uniformDouble();
    if (u1 < 1e-300) u1 = 1e-300;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  bool bernoulli(float p) { return uniform() < p; }
  // A child generator for a worker or layer, derived deterministically from this one.
  Rng split() { return Rng(engine_() ^ 0x9E3779B97F4A7C15ull); }

  std::string state() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
  }
  void setState(const std::string& text) {
    std::istringstream in(text);
    in >> engine_;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace scaleout
