#include "train/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

#include "nn/feedforward.h"
#include "train/objective.h"

namespace scaleout {

namespace {
// Rows per forward pass. Each evaluating thread holds every layer's activations for one
// chunk (twice: before and after the unit function): 1000 rows of the reference MLP took
// 14 MB a thread, about a third of what one more worker cost. 250 rows keep GEMMs large
// enough for the BLAS kernels' full speed at 3.5 MB.
constexpr Eigen::Index kChunkRows = 250;

bool hasPretrainedLayers(const NetworkLayout& layout) {
  for (size_t i = 0; i < layout.hiddenLayerCount(); ++i)
    if (layout.layers()[i].shape.hasVisibleBias) return true;
  return false;
}
}  // namespace

Eigen::MatrixXf predictProbabilities(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                                     const RowMatrix& features, int threads) {
  const Eigen::Index rows = features.rows();
  Eigen::MatrixXf result(rows, layout.layers().back().shape.nOut);
  const Eigen::Index chunks = (rows + kChunkRows - 1) / kChunkRows;
  // Thread k takes chunks k, k + threads, ...: each writes its own rows of `result`.
  auto predictChunks = [&](Eigen::Index first, Eigen::Index step) {
    FeedForward net(layout, conf);
    Eigen::MatrixXf x, out;
    for (Eigen::Index c = first; c < chunks; c += step) {
      const Eigen::Index start = c * kChunkRows, n = std::min(kChunkRows, rows - start);
      x = features.middleRows(start, n);
      net.predict(params, x, out);
      result.middleRows(start, n) = out;
    }
  };
  const Eigen::Index used = std::clamp<Eigen::Index>(threads, 1, std::max<Eigen::Index>(chunks, 1));
  std::vector<std::thread> helpers;
  for (Eigen::Index k = 1; k < used; ++k) helpers.emplace_back(predictChunks, k, used);
  predictChunks(0, used);
  for (auto& h : helpers) h.join();
  return result;
}

EvalReport evaluate(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params, const DataSet& data,
                    size_t maxReconstructionSamples, int threads) {
  EvalReport report;
  report.samples = data.size();
  report.classNames = data.classNames;
  if (data.size() == 0) return report;
  if (hasPretrainedLayers(layout)) {
    const Eigen::Index n = static_cast<Eigen::Index>(std::min(data.size(), maxReconstructionSamples));
    Eigen::MatrixXf x = data.features.topRows(n);
    for (size_t i = 0; i < layout.hiddenLayerCount(); ++i)
      if (layout.layers()[i].shape.hasVisibleBias)
        report.reconstructionErrors.push_back(layerReconstructionError(conf, layout, params, i, x));
  }
  if (!layout.isStack()) return report;

  report.hasClassification = true;
  const int classes = layout.layers().back().shape.nOut;
  report.classes = classes;
  report.confusion.assign(static_cast<size_t>(classes), std::vector<long long>(static_cast<size_t>(classes), 0));
  Eigen::MatrixXf probs = predictProbabilities(conf, layout, params, data.features, threads);
  double logLoss = 0;
  long long correct = 0;
  for (Eigen::Index r = 0; r < probs.rows(); ++r) {
    Eigen::Index predicted;
    probs.row(r).maxCoeff(&predicted);
    const int actual = data.labels[static_cast<size_t>(r)];
    if (actual < classes) {
      report.confusion[static_cast<size_t>(actual)][static_cast<size_t>(predicted)]++;
      logLoss -= std::log(std::max(static_cast<double>(probs(r, actual)), 1e-15));
    }
    if (predicted == actual) ++correct;
  }
  report.accuracy = static_cast<double>(correct) / static_cast<double>(data.size());
  report.logLoss = logLoss / static_cast<double>(data.size());
  report.precision.assign(static_cast<size_t>(classes), 0.0);
  report.recall.assign(static_cast<size_t>(classes), 0.0);
  report.f1.assign(static_cast<size_t>(classes), 0.0);
  double f1Sum = 0;
  for (size_t c = 0; c < static_cast<size_t>(classes); ++c) {
    long long tp = report.confusion[c][c], predicted = 0, actual = 0;
    for (size_t o = 0; o < static_cast<size_t>(classes); ++o) {
      predicted += report.confusion[o][c];
      actual += report.confusion[c][o];
    }
    const double p = predicted ? static_cast<double>(tp) / static_cast<double>(predicted) : 0.0;
    const double r = actual ? static_cast<double>(tp) / static_cast<double>(actual) : 0.0;
    report.precision[c] = p;
    report.recall[c] = r;
    report.f1[c] = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    f1Sum += report.f1[c];
  }
  report.macroF1 = f1Sum / classes;
  return report;
}

std::string EvalReport::format() const {
  std::string out;
  char line[256];
  if (hasClassification) {
    std::snprintf(line, sizeof line, "accuracy %.4f  macro-F1 %.4f  log-loss %.4f  (%zu samples)\n", accuracy, macroF1,
                  logLoss, samples);
    out += line;
    // Named classes show "index name", padded to the longest name so the columns line up.
    std::vector<std::string> labels(precision.size());
    size_t width = 5;
    for (size_t c = 0; c < labels.size(); ++c) {
      labels[c] = std::to_string(c);
      if (c < classNames.size()) labels[c] += " " + classNames[c];
      width = std::max(width, labels[c].size());
    }
    out += "class" + std::string(width - 5, ' ') + "  precision  recall     f1\n";
    for (size_t c = 0; c < precision.size(); ++c) {
      std::snprintf(line, sizeof line, "  %9.4f  %6.4f  %.4f\n", precision[c], recall[c], f1[c]);
      out += std::string(width - std::min(width, labels[c].size()), ' ') + labels[c] + line;
    }
    out += "confusion matrix (rows: actual, columns: predicted)\n";
    for (const auto& row : confusion) {
      for (long long v : row) {
        std::snprintf(line, sizeof line, "%6lld", v);
        out += line;
      }
      out += "\n";
    }
  }
  for (size_t i = 0; i < reconstructionErrors.size(); ++i) {
    std::snprintf(line, sizeof line, "reconstruction error layer %zu: %.4f\n", i, reconstructionErrors[i]);
    out += line;
  }
  return out;
}

}  // namespace scaleout
