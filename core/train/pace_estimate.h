#pragma once
// A worker's pace (samples per second of compute) from the results it reports, for sizing
// its share of a round (balanceShares).
//
// The first result runs cold (page faults, thread start-up: often at half speed), so the
// second replaces it. After that, results weigh by the work they measured: decayed sums of
// samples and of compute seconds, whose ratio is the pace. A short task (the five
// minibatches of a first round, 20 ms) then says little. Averaging per-result paces
// instead let such a task weigh as much as a long one: on a host held to half a core by a
// CPU quota it ran whole inside one quota period at twice the pace a long task gets, and
// the two quota-bound workers of a four-host run took twice the slices the third did.
#include <cstddef>

namespace scaleout {

class PaceEstimate {
 public:
  void add(size_t samples, double computeSeconds) {
    if (samples == 0 || computeSeconds <= 0) return;
    if (measured_++ < 2) samples_ = seconds_ = 0;  // the first result is replaced by the second
    samples_ = kDecay * samples_ + static_cast<double>(samples);
    seconds_ = kDecay * seconds_ + computeSeconds;
  }
  double samplesPerSecond() const { return seconds_ > 0 ? samples_ / seconds_ : 0; }
  int measured() const { return measured_; }

 private:
  // Each new result weighs a fifth against the sums, for tasks of one size (as the
  // exponential average of paces before).
  static constexpr double kDecay = 0.8;
  double samples_ = 0, seconds_ = 0;
  int measured_ = 0;
};

}  // namespace scaleout
