#pragma once
// Restricted Boltzmann machine layer trained by contrastive divergence (CD-k), with the
// unit types of the 2014 API: binary, Gaussian, linear, softmax and "continuous"
// (truncated exponential on [0,1], the CRBM) visible units; binary, rectified (noisy
// ReLU), Gaussian and softmax hidden units.
#include <string>

#include <Eigen/Core>

#include "config/choices.h"
#include "util/rng.h"

namespace scaleout {


// Mean and inverse-CDF sample of the truncated exponential on [0,1] with density
// proportional to e^{a v}: mean 1/(1-e^{-a}) - 1/a (the 2014 code mis-parenthesised it).
float truncatedExponentialMean(float a);
float truncatedExponentialSample(float a, float u);

struct RbmParams {
  Eigen::Map<const Eigen::MatrixXf> w;   // nVisible x nHidden
  Eigen::Map<const Eigen::VectorXf> hb;  // nHidden
  Eigen::Map<const Eigen::VectorXf> vb;  // nVisible
};

class Rbm {
 public:
  Rbm(VisibleUnit visible, HiddenUnit hidden, int k, float sparsity, float l2)
      : visible_(visible), hidden_(hidden), k_(k), sparsity_(sparsity), l2_(l2) {}

  void hiddenMean(const RbmParams& p, const Eigen::MatrixXf& v, Eigen::MatrixXf& pre, Eigen::MatrixXf& mean) const;
  void hiddenSample(const Eigen::MatrixXf& pre, const Eigen::MatrixXf& mean, Eigen::MatrixXf& sample, Rng& rng) const;
  void visibleMean(const RbmParams& p, const Eigen::MatrixXf& h, Eigen::MatrixXf& pre, Eigen::MatrixXf& mean) const;

  // One CD-k estimate of the negative log-likelihood gradient, written into gW/ghb/gvb
  // (so that params -= lr * g is a step uphill in likelihood). Returns the reconstruction
  // error (mean over samples of the summed squared error of the first reconstruction).
  float contrastiveDivergence(const RbmParams& p, const Eigen::MatrixXf& v0, Eigen::Map<Eigen::MatrixXf> gW,
                              Eigen::Map<Eigen::VectorXf> ghb, Eigen::Map<Eigen::VectorXf> gvb, Rng& rng);

  // Deterministic mean-field reconstruction error v -> E[h] -> E[v].
  float reconstructionError(const RbmParams& p, const Eigen::MatrixXf& v);

 private:
  VisibleUnit visible_;
  HiddenUnit hidden_;
  int k_;
  float sparsity_;
  float l2_;
  Eigen::MatrixXf hPre_, h0_, hSample_, vPre_, vk_, hk_;
};

}  // namespace scaleout
