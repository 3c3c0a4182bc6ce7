#include "data/batches.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "util/error.h"

namespace scaleout {

std::vector<uint32_t> shuffledIndices(size_t n, Rng& rng) {
  if (n > std::numeric_limits<uint32_t>::max()) {
    throw ScaleoutError("shuffledIndices: " + std::to_string(n) + " samples, expected at most " +
                        std::to_string(std::numeric_limits<uint32_t>::max()));
  }
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  // Fisher-Yates: position i takes a uniform pick from the not-yet-placed 0..i.
  for (size_t i = n; i > 1; --i) {
    const size_t j = rng.below(i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

void gatherBatch(const DataSet& data, const uint32_t* indices, size_t count, Batch& out) {
  const Eigen::Index dims = data.features.cols();
  const auto rows = static_cast<Eigen::Index>(count);
  if (out.x.rows() != rows || out.x.cols() != dims) out.x.resize(rows, dims);
  out.y.resize(count);
  const size_t n = data.size();
  for (size_t i = 0; i < count; ++i) {
    if (indices[i] >= n) {
      throw ScaleoutError("gatherBatch on " + data.source + ": row index " + std::to_string(indices[i]) +
                          " is out of range, expected < " + std::to_string(n));
    }
    out.y[i] = data.labels[indices[i]];
  }
  // Row-major source to column-major batch is a transpose. Walking a block of columns for
  // each sample keeps the block's destination cache lines hot across consecutive samples.
  constexpr Eigen::Index kBlock = 16;
  float* dst = out.x.data();
  for (Eigen::Index c0 = 0; c0 < dims; c0 += kBlock) {
    const Eigen::Index c1 = std::min(c0 + kBlock, dims);
    for (Eigen::Index i = 0; i < rows; ++i) {
      const float* src = data.features.data() + static_cast<Eigen::Index>(indices[i]) * dims;
      for (Eigen::Index c = c0; c < c1; ++c) dst[c * rows + i] = src[c];
    }
  }
}

BatchIterator::BatchIterator(const DataSet& data, int batchSize, Rng& rng)
    : data_(data), batchSize_(batchSize), rng_(rng) {
  if (batchSize <= 0) {
    throw ScaleoutError("batchSize " + std::to_string(batchSize) + " is invalid, expected >= 1");
  }
  startEpoch();
}

bool BatchIterator::next(Batch& out) {
  if (position_ >= order_.size()) return false;
  const size_t count = std::min(order_.size() - position_, static_cast<size_t>(batchSize_));
  gatherBatch(data_, order_.data() + position_, count, out);
  position_ += count;
  return true;
}

void BatchIterator::startEpoch() {
  order_ = shuffledIndices(data_.size(), rng_);
  position_ = 0;
}

}  // namespace scaleout
