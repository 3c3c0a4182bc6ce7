#include "train/averaging.h"

#include "util/error.h"

namespace scaleout {

void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::Ref<Eigen::VectorXf> out) {
  if (inputs.empty() || inputs.size() != weights.size())
    throw ScaleoutError("weightedAverage: need one weight per input and at least one input");
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0)) throw ScaleoutError("weightedAverage: weights must be non-negative");
    total += w;
  }
  if (total <= 0) throw ScaleoutError("weightedAverage: the weights sum to zero");
  const Eigen::VectorXf& first = *inputs[0];
  if (out.size() != first.size()) throw ScaleoutError("weightedAverage: the output differs in size from the inputs");
  if (out.data() != first.data()) out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i]->size() != first.size()) throw ScaleoutError("weightedAverage: inputs differ in size");
    const float share = static_cast<float>(weights[i] / total);
    if (share == 0.0f) continue;
    out += share * (*inputs[i] - first);
  }
}

void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::VectorXf& out) {
  if (!inputs.empty() && inputs[0] && &out != inputs[0]) out.resize(inputs[0]->size());
  weightedAverage(inputs, weights, Eigen::Ref<Eigen::VectorXf>(out));
}

float weightedMean(const std::vector<float>& inputs, const std::vector<double>& weights, float none) {
  double total = 0;
  for (size_t i = 0; i < inputs.size() && i < weights.size(); ++i) total += weights[i];
  if (inputs.empty() || !(total > 0)) return none;
  double mean = inputs[0];
  for (size_t i = 1; i < inputs.size() && i < weights.size(); ++i) mean += weights[i] / total * (inputs[i] - inputs[0]);
  return static_cast<float>(mean);
}

}  // namespace scaleout
