#pragma once
// Parameter averaging: the "reduce" of iterative reduce.
#include <vector>

#include <Eigen/Core>

namespace scaleout {

// out = sum_i w_i x_i / sum_i w_i, a true weighted mean (the 2014 code's running
// W += (W_i - W)/n was not one). Computed as x_0 + sum_{i>0} (w_i/W)(x_i - x_0) so that
// identical inputs give exactly x_0, whatever the weights. Inputs are taken in the
// given order, which the master keeps fixed for bit-identical runs.
void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::VectorXf& out);
// The same into a view of the inputs' size (the master's parameters, where it averages a
// phase's segment in place: no temporary to copy back).
void weightedAverage(const std::vector<const Eigen::VectorXf*>& inputs, const std::vector<double>& weights,
                     Eigen::Ref<Eigen::VectorXf> out);
// The same for one number per input, in the same way (identical inputs give exactly the
// first); `none` when there are no inputs or no weight.
float weightedMean(const std::vector<float>& inputs, const std::vector<double>& weights, float none);

}  // namespace scaleout
