#pragma once
// Seeded shuffling and minibatch assembly by row index.
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "data/dataset.h"
#include "nn/batch.h"
#include "util/rng.h"

namespace scaleout {

// A uniformly random permutation of 0..n-1 (Fisher-Yates driven by `rng`).
std::vector<uint32_t> shuffledIndices(size_t n, Rng& rng);

// Copies rows indices[0..count) of `data` into `out` (reusing its storage).
void gatherBatch(const DataSet& data, const uint32_t* indices, size_t count, Batch& out);

// Walks a shuffled order in minibatches; reshuffles with the rng at each new epoch.
// Every sample is visited exactly once per epoch; the last batch may be short.
class BatchIterator {
 public:
  BatchIterator(const DataSet& data, int batchSize, Rng& rng);
  bool next(Batch& out);  // false at the end of the epoch
  void startEpoch();      // reshuffle and rewind
  const std::vector<uint32_t>& order() const { return order_; }

 private:
  const DataSet& data_;
  int batchSize_;
  Rng& rng_;
  std::vector<uint32_t> order_;
  size_t position_ = 0;
};

}  // namespace scaleout
