#include "train/averaging.h"

#include <algorithm>
#include <utility>

#include "util/error.h"

namespace scaleout {

namespace {
// 4096 floats (16 KB) per input: a few inputs and the output stay in L1 together.
constexpr Eigen::Index kAverageBlock = 4096;
}  // namespace

void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::Ref<Eigen::VectorXf> out, RangePool* pool) {
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
  std::vector<float> shares(inputs.size(), 0.0f);
  for (size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i]->size() != first.size()) throw ScaleoutError("weightedAverage: inputs differ in size");
    shares[i] = static_cast<float>(weights[i] / total);
  }
  // Block by block, so each input is read from memory once and out written once: a
  // vector at a time (out = first, then one pass per input) streamed the 5.6 MB vectors
  // of the reference MLP through memory twice or more per round, with every worker idle.
  // Each element sees the same operations in the same order either way: same bits.
  const bool copyFirst = out.data() != first.data();
  auto averageRange = [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
    for (Eigen::Index b = begin; b < end; b += kAverageBlock) {
      const Eigen::Index len = std::min<Eigen::Index>(kAverageBlock, end - b);
      auto o = out.segment(b, len);
      auto f = first.segment(b, len);
      if (copyFirst) o = f;
      for (size_t i = 1; i < inputs.size(); ++i)
        if (shares[i] != 0.0f) o += shares[i] * (inputs[i]->segment(b, len) - f);
    }
  };
  if (pool)
    pool->run(first.size(), averageRange);
  else
    averageRange(0, first.size());
}

void copyVector(const Eigen::VectorXf& from, Eigen::VectorXf& to, RangePool* pool) {
  if (&from == &to) return;
  to.resize(from.size());
  auto copyRange = [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
    std::copy(from.data() + begin, from.data() + end, to.data() + begin);
  };
  if (pool)
    pool->run(from.size(), copyRange);
  else
    copyRange(0, from.size());
}

void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::VectorXf& out, RangePool* pool) {
  if (!inputs.empty() && inputs[0] && &out != inputs[0]) out.resize(inputs[0]->size());
  weightedAverage(inputs, weights, Eigen::Ref<Eigen::VectorXf>(out), pool);
}

void averageInto(const std::vector<Eigen::VectorXf*>& inputs, const std::vector<double>& weights, Eigen::VectorXf& out,
                 RangePool* pool) {
  if (inputs.size() == 1 && weights.size() == 1 && weights[0] > 0 && inputs[0] && inputs[0] != &out &&
      inputs[0]->size() == out.size()) {
    out.swap(*inputs[0]);
    return;
  }
  weightedAverage(std::vector<const Eigen::VectorXf*>(inputs.begin(), inputs.end()), weights, out, pool);
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
