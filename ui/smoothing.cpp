#include "smoothing.h"

#include <cmath>

namespace scaleout::ui {

double DebiasedEma::add(double y) {
  if (!std::isfinite(y)) return y;
  last_ = last_ * weight_ + (1.0 - weight_) * y;
  weightPower_ *= weight_;
  const double debias = weight_ >= 1.0 ? 1.0 : 1.0 - weightPower_;
  return debias > 0 ? last_ / debias : y;
}

std::vector<double> debiasedEma(const std::vector<double>& values, double weight) {
  DebiasedEma ema(weight);
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) out.push_back(ema.add(v));
  return out;
}

}  // namespace scaleout::ui
