#pragma once
// Elementwise activations and their derivatives, selected by the Conf's names.
#include <string>

#include <Eigen/Core>

namespace scaleout {

enum class Activation { Sigmoid, Tanh, HardTanh, Relu, LeakyRelu, Softplus, Linear, Softmax };

Activation activationFromName(const std::string& name);  // throws ScaleoutError on unknown
const char* activationName(Activation a);

// z -> f(z) in place, over a batch (rows = samples). Softmax is per row, by log-sum-exp.
void applyActivation(Activation a, Eigen::MatrixXf& z);
// delta *= f'(z), given the pre-activation z and the output a = f(z) (either may be used).
// Not defined for Softmax (its derivative is folded into the loss).
void multiplyByDerivative(Activation a, const Eigen::MatrixXf& z, const Eigen::MatrixXf& out, Eigen::MatrixXf& delta);

inline constexpr float kLeakyReluSlope = 0.01f;

}  // namespace scaleout
