#include "nn/rbm.h"

#include <cmath>

#include "nn/activation.h"
#include "util/error.h"

namespace scaleout {

float truncatedExponentialMean(float a) {
  // Near a = 0 both terms blow up and cancel; the series is 1/2 + a/12 - a^3/720.
  if (std::fabs(a) < 1e-3f) return 0.5f + a / 12.0f;
  const double ad = a;
  return static_cast<float>(1.0 / (-std::expm1(-ad)) - 1.0 / ad);
}

float truncatedExponentialSample(float a, float u) {
  // Inverse CDF: F(v) = (e^{av} - 1) / (e^a - 1) = u.
  if (std::fabs(a) < 1e-3f) return u;
  const double ad = a, ud = u;
  if (ad > 0) {
    // v = 1 + log(u + (1-u) e^{-a}) / a avoids overflow of e^a for large a.
    return static_cast<float>(1.0 + std::log(ud + (1.0 - ud) * std::exp(-ad)) / ad);
  }
  return static_cast<float>(std::log1p(ud * std::expm1(ad)) / ad);
}

namespace {

void sigmoidInPlace(Eigen::MatrixXf& m) { m = (m.array() * 0.5f).tanh() * 0.5f + 0.5f; }

void softmaxRows(Eigen::MatrixXf& m) { applyActivation(Activation::Softmax, m); }

void sampleCategoricalRows(const Eigen::MatrixXf& probs, Eigen::MatrixXf& out, Rng& rng) {
  out.setZero(probs.rows(), probs.cols());
  for (Eigen::Index r = 0; r < probs.rows(); ++r) {
    float u = rng.uniform(), acc = 0.0f;
    Eigen::Index pick = probs.cols() - 1;
    for (Eigen::Index c = 0; c < probs.cols(); ++c) {
      acc += probs(r, c);
      if (u < acc) {
        pick = c;
        break;
      }
    }
    out(r, pick) = 1.0f;
  }
}

}  // namespace

void Rbm::hiddenMean(const RbmParams& p, const Eigen::MatrixXf& v, Eigen::MatrixXf& pre, Eigen::MatrixXf& mean) const {
  pre.noalias() = v * p.w;
  pre.rowwise() += p.hb.transpose();
  mean = pre;
  switch (hidden_) {
    case HiddenUnit::Binary: sigmoidInPlace(mean); break;
    case HiddenUnit::Rectified: mean = mean.array().max(0.0f); break;
    case HiddenUnit::Gaussian: break;
    case HiddenUnit::Softmax: softmaxRows(mean); break;
  }
}

void Rbm::hiddenSample(const Eigen::MatrixXf& pre, const Eigen::MatrixXf& mean, Eigen::MatrixXf& sample, Rng& rng) const {
  sample.resize(mean.rows(), mean.cols());
  const Eigen::Index n = mean.size();
  switch (hidden_) {
    case HiddenUnit::Binary:
      for (Eigen::Index i = 0; i < n; ++i) sample.data()[i] = rng.uniform() < mean.data()[i] ? 1.0f : 0.0f;
      break;
    case HiddenUnit::Rectified:
      // Noisy ReLU (Nair & Hinton 2010): max(0, x + N(0, sigmoid(x))).
      for (Eigen::Index i = 0; i < n; ++i) {
        const float x = pre.data()[i];
        const float sd = std::sqrt(1.0f / (1.0f + std::exp(-x)));
        sample.data()[i] = std::max(0.0f, x + sd * rng.normal());
      }
      break;
    case HiddenUnit::Gaussian:
      for (Eigen::Index i = 0; i < n; ++i) sample.data()[i] = pre.data()[i] + rng.normal();
      break;
    case HiddenUnit::Softmax: sampleCategoricalRows(mean, sample, rng); break;
  }
}

void Rbm::visibleMean(const RbmParams& p, const Eigen::MatrixXf& h, Eigen::MatrixXf& pre, Eigen::MatrixXf& mean) const {
  pre.noalias() = h * p.w.transpose();
  pre.rowwise() += p.vb.transpose();
  mean = pre;
  switch (visible_) {
    case VisibleUnit::Binary: sigmoidInPlace(mean); break;
    case VisibleUnit::Gaussian:  // unit variance: the mean is the pre-activation
    case VisibleUnit::Linear: break;
    case VisibleUnit::Softmax: softmaxRows(mean); break;
    case VisibleUnit::Continuous:
      mean = pre.unaryExpr([](float a) { return truncatedExponentialMean(a); });
      break;
  }
}

float Rbm::contrastiveDivergence(const RbmParams& p, const Eigen::MatrixXf& v0, Eigen::Map<Eigen::MatrixXf> gW,
                                 Eigen::Map<Eigen::VectorXf> ghb, Eigen::Map<Eigen::VectorXf> gvb, Rng& rng) {
  const float invRows = 1.0f / static_cast<float>(v0.rows());
  hiddenMean(p, v0, hPre_, h0_);
  hiddenSample(hPre_, h0_, hSample_, rng);
  float reconstruction = 0.0f;
  // Gibbs chain h -> v -> h, k times. Visible states are sampled except in the last
  // step, whose mean-field reconstruction feeds the negative statistics (Hinton 2010).
  for (int step = 0; step < k_; ++step) {
    visibleMean(p, hSample_, vPre_, vk_);
    if (step == 0) reconstruction = (vk_ - v0).squaredNorm() * invRows;
    if (step + 1 < k_) {
      const Eigen::Index n = vk_.size();
      switch (visible_) {
        case VisibleUnit::Binary:
          for (Eigen::Index i = 0; i < n; ++i) vk_.data()[i] = rng.uniform() < vk_.data()[i] ? 1.0f : 0.0f;
          break;
        case VisibleUnit::Gaussian:
          for (Eigen::Index i = 0; i < n; ++i) vk_.data()[i] += rng.normal();
          break;
        case VisibleUnit::Continuous:
          for (Eigen::Index i = 0; i < n; ++i) vk_.data()[i] = truncatedExponentialSample(vPre_.data()[i], rng.uniform());
          break;
        default: break;
      }
    }
    hiddenMean(p, vk_, hPre_, hk_);
    if (step + 1 < k_) hiddenSample(hPre_, hk_, hSample_, rng);
  }
  // dNLL/dW ~ -(<v h>_data - <v h>_model)
  gW.noalias() = -(v0.transpose() * h0_);
  gW.noalias() += vk_.transpose() * hk_;
  gW *= invRows;
  ghb = -(h0_.colwise().sum() - hk_.colwise().sum()).transpose() * invRows;
  gvb = -(v0.colwise().sum() - vk_.colwise().sum()).transpose() * invRows;
  if (sparsity_ > 0.0f) {
    // Push the mean hidden activation toward the target (Lee et al. 2008 style penalty).
    ghb += (h0_.colwise().mean().transpose().array() - sparsity_).matrix();
  }
  if (l2_ > 0.0f) gW += l2_ * p.w;
  return reconstruction;
}

float Rbm::reconstructionError(const RbmParams& p, const Eigen::MatrixXf& v) {
  hiddenMean(p, v, hPre_, h0_);
  visibleMean(p, h0_, vPre_, vk_);
  return (vk_ - v).squaredNorm() / static_cast<float>(v.rows());
}

}  // namespace scaleout
