#include "train/model_stats.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include "nn/feedforward.h"
#include "train/objective.h"

namespace scaleout {

Histogram histogramOf(const float* values, size_t count) {
  Histogram h;
  if (count == 0) return h;
  Eigen::Map<const Eigen::ArrayXf> v(values, static_cast<Eigen::Index>(count));
  h.min = v.minCoeff();
  h.max = v.maxCoeff();
  const float width = (h.max - h.min) / kHistogramBins;
  const float perWidth = width > 0 ? 1.0f / width : 0.0f;  // a multiply per value, not a divide
  auto bin = [&](float x) {
    return static_cast<size_t>(std::clamp(static_cast<int>((x - h.min) * perWidth), 0, kHistogramBins - 1));
  };
  // Four sets of counts, one per position in a group of four values: neighbouring weights
  // often fall into the same bin, and with one set each increment waits for the one before
  // (twice as slow on the reference MLP's 1.4M parameters). The sums are the same counts.
  std::array<std::array<int, kHistogramBins>, 4> c{};
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    c[0][bin(values[i])]++;
    c[1][bin(values[i + 1])]++;
    c[2][bin(values[i + 2])]++;
    c[3][bin(values[i + 3])]++;
  }
  for (; i < count; ++i) c[0][bin(values[i])]++;
  for (size_t b = 0; b < static_cast<size_t>(kHistogramBins); ++b) h.counts[b] = c[0][b] + c[1][b] + c[2][b] + c[3][b];
  return h;
}

namespace {

void meanAbsAndStd(const float* v, size_t n, float& meanAbs, float& sd) {
  if (n == 0) return;
  Eigen::Map<const Eigen::ArrayXf> a(v, static_cast<Eigen::Index>(n));
  meanAbs = a.abs().mean();
  const float mean = a.mean();
  sd = std::sqrt(std::max(0.0f, (a - mean).square().mean()));
}

}  // namespace

ModelStats computeModelStats(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                             const Eigen::VectorXf& before, const Phase& phase, const DataSet& train) {
  const auto start = std::chrono::steady_clock::now();
  ModelStats stats;
  stats.phase = phase.label();
  stats.learningRate = baseRate(phase);
  const Eigen::Index rows = std::min<Eigen::Index>(100, static_cast<Eigen::Index>(train.size()));
  Eigen::MatrixXf x = train.features.topRows(rows);
  std::unique_ptr<FeedForward> net;
  if (layout.isStack()) {
    net = std::make_unique<FeedForward>(layout, conf);
    Eigen::MatrixXf out;
    net->predict(params, x, out);
  }
  // The master computes these every statsEvery iterations: its buffer for a layer's update
  // is kept, not allocated (a fresh multi-megabyte vector is a fresh mapping: page faults).
  static thread_local Eigen::VectorXf update;
  for (size_t i = 0; i < layout.layers().size(); ++i) {
    const auto& l = layout.layers()[i];
    if (l.end <= phase.begin || l.begin >= phase.end) continue;  // layer not trained in this phase
    LayerStats ls;
    ls.layer = i;
    const size_t wCount = static_cast<size_t>(l.shape.nIn) * l.shape.nOut;
    const float* w = params.data() + l.weightOffset;
    meanAbsAndStd(w, wCount, ls.paramMeanAbs, ls.paramStd);
    ls.paramHistogram = histogramOf(w, wCount);
    if (before.size() == static_cast<Eigen::Index>(phase.size())) {
      update = params.segment(static_cast<Eigen::Index>(l.weightOffset), static_cast<Eigen::Index>(wCount)) -
               before.segment(static_cast<Eigen::Index>(l.weightOffset - phase.begin), static_cast<Eigen::Index>(wCount));
      meanAbsAndStd(update.data(), wCount, ls.updateMeanAbs, ls.updateStd);
      ls.updateHistogram = histogramOf(update.data(), wCount);
      ls.updateRatio = ls.paramMeanAbs > 0 ? ls.updateMeanAbs / ls.paramMeanAbs : 0.0f;
    }
    Eigen::MatrixXf act;
    if (net) {
      act = net->activations(i);
    } else {
      propagateForPretraining(conf, layout, params, i + 1, x, act, nullptr);
    }
    if (act.size()) {
      ls.activationMean = act.mean();
      ls.activationStd = std::sqrt(std::max(0.0f, (act.array() - ls.activationMean).square().mean()));
    }
    stats.layers.push_back(ls);
  }
  stats.computeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace scaleout
