#pragma once
// A minibatch as the network's passes take it. Defined here, where its consumer is, so
// that nn/ includes nothing from data/; data/batches.h assembles it from a DataSet.
#include <vector>

#include <Eigen/Core>

namespace scaleout {

struct Batch {
  Eigen::MatrixXf x;     // batch x dims (column-major, ready for GEMM)
  std::vector<int> y;    // labels
  size_t size() const { return y.size(); }
};

}  // namespace scaleout
