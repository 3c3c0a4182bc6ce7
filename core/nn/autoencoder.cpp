#include "nn/autoencoder.h"

namespace scaleout {

float DenoisingAutoencoder::forward(Eigen::Map<const Eigen::MatrixXf> w, Eigen::Map<const Eigen::VectorXf> hb,
                                    Eigen::Map<const Eigen::VectorXf> vb, const Eigen::MatrixXf& input,
                                    const Eigen::MatrixXf& clean) {
  yPre_.noalias() = input * w;
  yPre_.rowwise() += hb.transpose();
  y_ = yPre_;
  applyActivation(encoder_, y_);
  zPre_.noalias() = y_ * w.transpose();
  zPre_.rowwise() += vb.transpose();
  z_ = zPre_;
  double total;
  if (crossEntropy_) {
    applyActivation(Activation::Sigmoid, z_);
    // -[x log s(a) + (1-x) log(1-s(a))] = softplus(a) - x a, stable for any a.
    auto sp = zPre_.array().max(0.0f) + (-zPre_.array().abs()).exp().log1p();
    total = (sp - clean.array() * zPre_.array()).cast<double>().sum();
  } else {
    total = 0.5 * (z_ - clean).squaredNorm();
  }
  double loss = total / static_cast<double>(clean.rows());
  if (l2_ > 0.0f) loss += 0.5 * l2_ * w.squaredNorm();
  return static_cast<float>(loss);
}

float DenoisingAutoencoder::lossAndGradient(Eigen::Map<const Eigen::MatrixXf> w, Eigen::Map<const Eigen::VectorXf> hb,
                                            Eigen::Map<const Eigen::VectorXf> vb, const Eigen::MatrixXf& x,
                                            Eigen::Map<Eigen::MatrixXf> gW, Eigen::Map<Eigen::VectorXf> ghb,
                                            Eigen::Map<Eigen::VectorXf> gvb, Rng* rng) {
  const Eigen::MatrixXf* input = &x;
  if (rng && corruption_ > 0.0f) {
    corrupted_ = x;
    float* c = corrupted_.data();
    for (Eigen::Index i = 0; i < corrupted_.size(); ++i)
      if (rng->uniform() < corruption_) c[i] = 0.0f;
    input = &corrupted_;
  }
  const float loss = forward(w, hb, vb, *input, x);
  const float invRows = 1.0f / static_cast<float>(x.rows());
  // Sigmoid + cross-entropy and linear + squared error share dL/dzPre = z - x.
  dz_ = (z_ - x) * invRows;
  gvb = dz_.colwise().sum().transpose();
  dy_.noalias() = dz_ * w;
  multiplyByDerivative(encoder_, yPre_, y_, dy_);
  ghb = dy_.colwise().sum().transpose();
  // Tied weights collect the encoder's and the decoder's share.
  gW.noalias() = input->transpose() * dy_;
  gW.noalias() += dz_.transpose() * y_;
  if (l2_ > 0.0f) gW += l2_ * w;
  return loss;
}

float DenoisingAutoencoder::reconstructionError(Eigen::Map<const Eigen::MatrixXf> w, Eigen::Map<const Eigen::VectorXf> hb,
                                                Eigen::Map<const Eigen::VectorXf> vb, const Eigen::MatrixXf& x) {
  forward(w, hb, vb, x, x);
  return (z_ - x).squaredNorm() / static_cast<float>(x.rows());
}

}  // namespace scaleout
