#pragma once
// Feature normalisation fitted on training data and applied to any data (test, predict).
#include <string>

#include <Eigen/Core>

#include "config/choices.h"
#include "data/dataset.h"

namespace scaleout {

struct Normalizer {
  Normalization mode = Normalization::None;
  Eigen::RowVectorXf offset;  // x' = (x - offset) * scale, per column
  Eigen::RowVectorXf scale;

  // scale: per-column min/max to [0,1] (constant columns map to 0); image data (IDX)
  // uses one min/max over all pixels;
  // zscore: per-column mean/std (std 0 -> scale 1).
  static Normalizer fit(const DataSet& train, Normalization mode);
  void apply(RowMatrix& features) const;
};

}  // namespace scaleout
