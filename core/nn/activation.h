#pragma once
// Elementwise activations and their derivatives (the enum is config/choices.h's).
#include <string>

#include <Eigen/Core>

#include "config/choices.h"

namespace scaleout {


// z -> f(z) in place, over a batch (rows = samples). Softmax is per row, by log-sum-exp.
void applyActivation(Activation a, Eigen::MatrixXf& z);
// delta *= f'(z), given the pre-activation z and the output a = f(z) (either may be used).
// Not defined for Softmax (its derivative is folded into the loss).
void multiplyByDerivative(Activation a, const Eigen::MatrixXf& z, const Eigen::MatrixXf& out, Eigen::MatrixXf& delta);

inline constexpr float kLeakyReluSlope = 0.01f;

}  // namespace scaleout
