#pragma once
// The debiased exponential moving average TensorBoard's scalar dashboard uses:
//   last_n = w * last_{n-1} + (1 - w) * y_n,  last_0 = 0
//   smoothed_n = last_n / (1 - w^n)
// Dividing by (1 - w^n) removes the pull toward the zero start, so early points are not
// biased low. Non-finite inputs pass through unchanged and do not touch the average.
#include <vector>

namespace scaleout::ui {

class DebiasedEma {
 public:
  explicit DebiasedEma(double weight = 0.6) : weight_(weight) {}
  double weight() const { return weight_; }
  void reset() { last_ = 0; weightPower_ = 1; }
  double add(double y);

 private:
  double weight_;
  double last_ = 0;
  double weightPower_ = 1;  // w^n
};

std::vector<double> debiasedEma(const std::vector<double>& values, double weight);

}  // namespace scaleout::ui
