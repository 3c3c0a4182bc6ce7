#include "data/normalizer.h"

#include "data/dataset.h"

#include <cmath>

#include "util/error.h"

namespace scaleout {

Normalizer Normalizer::fit(const DataSet& train, Normalization mode) {
  Normalizer n;
  n.mode = mode;
  const Eigen::Index dims = train.features.cols();
  n.offset = Eigen::RowVectorXf::Zero(dims);
  n.scale = Eigen::RowVectorXf::Ones(dims);
  if (mode == Normalization::None) return n;
  if (train.features.rows() == 0) {
    throw ScaleoutError(std::string("normalize=") + choiceName(mode) + ": training data " + train.source +
                        " has no samples, expected at least one to fit the statistics");
  }

  if (mode == Normalization::Scale) {
    // Row by row: the rows are contiguous, so one sequential pass (colwise() on a
    // row-major matrix strides through all of it once per column: ~0.4 s on Fashion-MNIST).
    Eigen::RowVectorXf lo = train.features.row(0), hi = lo;
    for (Eigen::Index r = 1; r < train.features.rows(); ++r) {
      lo = lo.cwiseMin(train.features.row(r));
      hi = hi.cwiseMax(train.features.row(r));
    }
    if (train.imageRows > 0) {
      // Pixels share one scale: a per-pixel range would blow up rarely-lit border pixels
      // (test values up to 1.8 on Fashion-MNIST) and distort the image.
      lo.setConstant(lo.minCoeff());
      hi.setConstant(hi.maxCoeff());
    }
    n.offset = lo;
    for (Eigen::Index c = 0; c < dims; ++c) {
      const float range = hi[c] - lo[c];
      // A constant column carries no information; scale 0 maps it to 0 instead of NaN.
      n.scale[c] = range > 0 ? 1.0f / range : 0.0f;
    }
    return n;
  }

  // zscore: sums in double, since 60000 float additions per column lose digits.
  const Eigen::RowVectorXd mean = train.features.cast<double>().colwise().mean();
  Eigen::RowVectorXd var = Eigen::RowVectorXd::Zero(dims);
  for (Eigen::Index r = 0; r < train.features.rows(); ++r) {
    var += (train.features.row(r).cast<double>() - mean).array().square().matrix();
  }
  var /= static_cast<double>(train.features.rows());
  n.offset = mean.cast<float>();
  for (Eigen::Index c = 0; c < dims; ++c) {
    const double sd = std::sqrt(var[c]);
    n.scale[c] = sd > 0 ? static_cast<float>(1.0 / sd) : 1.0f;
  }
  return n;
}

void Normalizer::apply(RowMatrix& features) const {
  if (mode == Normalization::None) return;
  if (features.cols() != offset.size() || features.cols() != scale.size()) {
    throw ScaleoutError(std::string("normalize=") + choiceName(mode) + ": data has " + std::to_string(features.cols()) +
                        " columns, expected " + std::to_string(offset.size()) +
                        " as in the data the normaliser was fitted on");
  }
  features = ((features.rowwise() - offset).array().rowwise() * scale.array()).matrix();
}

}  // namespace scaleout
