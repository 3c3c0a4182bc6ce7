#pragma once
// Denoising autoencoder layer with tied weights (Vincent et al. 2008): mask a fraction
// of the inputs to zero, encode y = f(x~ W + b_h), decode z = g(y W^T + b_v), and
// minimise the reconstruction loss of the clean x.
#include <Eigen/Core>

#include "nn/activation.h"
#include "util/rng.h"

namespace scaleout {

class DenoisingAutoencoder {
 public:
  // crossEntropy: sigmoid decoder with reconstruction cross-entropy (inputs in [0,1]);
  // otherwise a linear decoder with squared error.
  DenoisingAutoencoder(Activation encoder, bool crossEntropy, float corruption, float l2)
      : encoder_(encoder), crossEntropy_(crossEntropy), corruption_(corruption), l2_(l2) {}

  // Loss and gradient (dLoss/dParams); with rng == nullptr no corruption is applied.
  float lossAndGradient(Eigen::Map<const Eigen::MatrixXf> w, Eigen::Map<const Eigen::VectorXf> hb,
                        Eigen::Map<const Eigen::VectorXf> vb, const Eigen::MatrixXf& x, Eigen::Map<Eigen::MatrixXf> gW,
                        Eigen::Map<Eigen::VectorXf> ghb, Eigen::Map<Eigen::VectorXf> gvb, Rng* rng);
  // Summed squared error per sample of the clean reconstruction (comparable to the RBM's).
  float reconstructionError(Eigen::Map<const Eigen::MatrixXf> w, Eigen::Map<const Eigen::VectorXf> hb,
                            Eigen::Map<const Eigen::VectorXf> vb, const Eigen::MatrixXf& x);

 private:
  float forward(Eigen::Map<const Eigen::MatrixXf> w, Eigen::Map<const Eigen::VectorXf> hb,
                Eigen::Map<const Eigen::VectorXf> vb, const Eigen::MatrixXf& input, const Eigen::MatrixXf& clean);

  Activation encoder_;
  bool crossEntropy_;
  float corruption_;
  float l2_;
  Eigen::MatrixXf corrupted_, yPre_, y_, zPre_, z_, dz_, dy_;
};

}  // namespace scaleout
