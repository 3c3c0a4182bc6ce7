#include "nn/activation.h"

#include <cmath>

#include "util/error.h"

namespace scaleout {

void applyActivation(Activation a, Eigen::MatrixXf& z) {
  switch (a) {
    case Activation::Sigmoid:
      // 1/(1+e^-z) computed from tanh stays accurate and never overflows.
      z = (z.array() * 0.5f).tanh() * 0.5f + 0.5f;
      break;
    case Activation::Tanh: z = z.array().tanh(); break;
    case Activation::HardTanh: z = z.array().max(-1.0f).min(1.0f); break;
    case Activation::Relu: z = z.array().max(0.0f); break;
    case Activation::LeakyRelu: z = z.array().max(z.array() * kLeakyReluSlope); break;
    case Activation::Softplus:
      // log(1+e^z) = max(z,0) + log1p(e^-|z|)
      z = z.array().max(0.0f) + (-z.array().abs()).exp().log1p();
      break;
    case Activation::Linear: break;
    case Activation::Softmax: {
      // Row-wise softmax with the row max subtracted (log-sum-exp trick).
      Eigen::VectorXf rowMax = z.rowwise().maxCoeff();
      z.colwise() -= rowMax;
      z = z.array().exp();
      Eigen::VectorXf sums = z.rowwise().sum();
      z.array().colwise() /= sums.array();
      break;
    }
  }
}

void multiplyByDerivative(Activation a, const Eigen::MatrixXf& z, const Eigen::MatrixXf& out, Eigen::MatrixXf& delta) {
  switch (a) {
    case Activation::Sigmoid: delta.array() *= out.array() * (1.0f - out.array()); break;
    case Activation::Tanh: delta.array() *= 1.0f - out.array().square(); break;
    case Activation::HardTanh: delta.array() *= (z.array().abs() < 1.0f).cast<float>(); break;
    case Activation::Relu: delta.array() *= (z.array() > 0.0f).cast<float>(); break;
    case Activation::LeakyRelu:
      delta.array() *= (z.array() > 0.0f).select(Eigen::ArrayXXf::Ones(z.rows(), z.cols()), kLeakyReluSlope);
      break;
    case Activation::Softplus:
      // d/dz log(1+e^z) = sigmoid(z)
      delta.array() *= (z.array() * 0.5f).tanh() * 0.5f + 0.5f;
      break;
    case Activation::Linear: break;
    case Activation::Softmax:
      throw ScaleoutError("softmax derivative is folded into the loss; it cannot be used as a hidden activation");
  }
}

}  // namespace scaleout
