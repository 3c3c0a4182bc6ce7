#pragma once
// Parameter averaging: the "reduce" of iterative reduce.
#include <vector>

#include <Eigen/Core>

#include "util/range_pool.h"

namespace scaleout {

// out = sum_i w_i x_i / sum_i w_i, a true weighted mean (the 2014 code's running
// W += (W_i - W)/n was not one). Computed as x_0 + sum_{i>0} (w_i/W)(x_i - x_0) so that
// identical inputs give exactly x_0, whatever the weights. Inputs are taken in the
// given order, which the master keeps fixed for bit-identical runs. With a pool, threads
// share the pass (each element is computed the same way: same bits).
void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::VectorXf& out, RangePool* pool = nullptr);
// The same into a view of the inputs' size (the master's parameters, where it averages a
// phase's segment in place: no temporary to copy back).
void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::Ref<Eigen::VectorXf> out, RangePool* pool = nullptr);
// The same, free to take a lone input's storage: the average of one input is that input,
// so it is swapped into `out` (which must be its size) instead of copied, and the input is
// left holding out's old values. On one worker this saves two 5.6 MB copies per round on
// the reference MLP (parameters and velocity).
void averageInto(const std::vector<Eigen::VectorXf*>& inputs, const std::vector<double>& weights, Eigen::VectorXf& out,
                 RangePool* pool = nullptr);
// to = from, the pass shared by the pool's threads (the master's copy of the parameters
// that the next round's tasks start from).
void copyVector(const Eigen::VectorXf& from, Eigen::VectorXf& to, RangePool* pool = nullptr);
// The same for one number per input, in the same way (identical inputs give exactly the
// first); `none` when there are no inputs or no weight.
float weightedMean(const std::vector<float>& inputs, const std::vector<double>& weights, float none);

}  // namespace scaleout
