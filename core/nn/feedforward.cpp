#include "nn/feedforward.h"

#include <cmath>

#include "nn/activation.h"
#include "util/error.h"

namespace scaleout {

FeedForward::FeedForward(const NetworkLayout& layout, const Conf& conf)
    : layout_(layout),
      loss_(layout.plan().outputLoss),
      l2_(conf.useRegularization ? static_cast<float>(conf.l2) : 0.0f),
      dropout_(static_cast<float>(conf.dropout)),
      dropConnect_(conf.useDropConnect),
      backpropAll_(conf.useBackProp) {
  const size_t n = layout.layers().size();
  z_.resize(n);
  a_.resize(n);
  unitMask_.resize(n);
  weightMask_.resize(n);
  masked_.resize(n);
  delta_.resize(n);
}

namespace {

void fillMask(Eigen::MatrixXf& mask, Eigen::Index rows, Eigen::Index cols, float dropProbability, Rng& rng) {
  // Inverted dropout: kept entries are scaled by 1/(1-p) so inference needs no rescaling.
  mask.resize(rows, cols);
  const float keep = 1.0f - dropProbability;
  const float scale = 1.0f / keep;
  float* m = mask.data();
  for (Eigen::Index k = 0; k < mask.size(); ++k) m[k] = rng.uniform() < keep ? scale : 0.0f;
}

}  // namespace

float FeedForward::forward(const Eigen::VectorXf& params, const Batch* batch, const Eigen::MatrixXf& x, Rng* rng) {
  const auto& layers = layout_.layers();
  const Eigen::MatrixXf* input = &x;
  const bool drop = rng && dropout_ > 0.0f;
  for (size_t i = 0; i < layers.size(); ++i) {
    auto w = layout_.weights(params, i);
    const bool isOutput = i + 1 == layers.size();
    if (drop && dropConnect_ && !isOutput) {
      fillMask(weightMask_[i], w.rows(), w.cols(), dropout_, *rng);
      masked_[i] = w.cwiseProduct(weightMask_[i]);
      z_[i].noalias() = *input * masked_[i];
    } else {
      z_[i].noalias() = *input * w;
    }
    z_[i].rowwise() += layout_.bias(params, i).transpose();
    a_[i] = z_[i];
    applyActivation(layers[i].shape.activation, a_[i]);
    if (drop && !dropConnect_ && !isOutput) {
      fillMask(unitMask_[i], a_[i].rows(), a_[i].cols(), dropout_, *rng);
      a_[i].array() *= unitMask_[i].array();
    }
    input = &a_[i];
  }
  if (!batch) return 0.0f;

  // Loss of the output layer, computed from pre-activations where that is more stable.
  const size_t out = layers.size() - 1;
  const Eigen::MatrixXf& z = z_[out];
  const Eigen::Index rows = z.rows();
  target_.setZero(rows, z.cols());
  for (Eigen::Index r = 0; r < rows; ++r) target_(r, batch->y[static_cast<size_t>(r)]) = 1.0f;
  double total = 0.0;
  switch (loss_) {
    case OutputLoss::MultiClassCrossEntropy:
      if (layers[out].shape.activation == Activation::Softmax) {
        // -log softmax(z)_y = logsumexp(z) - z_y
        for (Eigen::Index r = 0; r < rows; ++r) {
          const float m = z.row(r).maxCoeff();
          const double lse = m + std::log((z.row(r).array() - m).exp().sum());
          total += lse - z(r, batch->y[static_cast<size_t>(r)]);
        }
      } else {
        for (Eigen::Index r = 0; r < rows; ++r)
          total -= std::log(std::max(a_[out](r, batch->y[static_cast<size_t>(r)]), 1e-12f));
      }
      break;
    case OutputLoss::CrossEntropy:
      if (layers[out].shape.activation == Activation::Sigmoid) {
        // -[y log s(z) + (1-y) log(1-s(z))] = softplus(z) - y z
        auto sp = z.array().max(0.0f) + (-z.array().abs()).exp().log1p();
        total = (sp - target_.array() * z.array()).cast<double>().sum();
      } else {
        auto p = a_[out].array().max(1e-7f).min(1.0f - 1e-7f);
        total = -(target_.array() * p.log() + (1.0f - target_.array()) * (1.0f - p).log()).cast<double>().sum();
      }
      break;
    case OutputLoss::SquaredError:
      total = 0.5 * (a_[out] - target_).squaredNorm();
      break;
  }
  double loss = total / static_cast<double>(rows);
  if (l2_ > 0.0f) {
    double sq = 0.0;
    for (size_t i = 0; i < layers.size(); ++i) sq += layout_.weights(params, i).squaredNorm();
    loss += 0.5 * l2_ * sq;
  }
  return static_cast<float>(loss);
}

void FeedForward::predict(const Eigen::VectorXf& params, const Eigen::MatrixXf& x, Eigen::MatrixXf& out) {
  forward(params, nullptr, x, nullptr);
  out = a_.back();
}

float FeedForward::loss(const Eigen::VectorXf& params, const Batch& batch) {
  return forward(params, &batch, batch.x, nullptr);
}

float FeedForward::lossAndGradient(const Eigen::VectorXf& params, const Batch& batch, Eigen::VectorXf& grad, Rng* rng) {
  const float loss = forward(params, &batch, batch.x, rng);
  const auto& layers = layout_.layers();
  const size_t out = layers.size() - 1;
  const float invRows = 1.0f / static_cast<float>(batch.size());
  grad.setZero(static_cast<Eigen::Index>(layout_.size()));

  // dLoss/dz of the output layer. Softmax+mcxent and sigmoid+xent both reduce to (a - y).
  // One delta buffer per layer, reused across minibatches: swapping two buffers of
  // different shapes reallocated (and page-faulted) them every minibatch.
  Eigen::MatrixXf& outDelta = delta_[out];
  outDelta = a_[out] - target_;
  const bool matched = (loss_ == OutputLoss::MultiClassCrossEntropy && layers[out].shape.activation == Activation::Softmax) ||
                       (loss_ == OutputLoss::CrossEntropy && layers[out].shape.activation == Activation::Sigmoid);
  if (!matched) {
    if (loss_ == OutputLoss::MultiClassCrossEntropy) {
      // -sum y log a: dL/da = -y/a, then through the activation.
      outDelta = -(target_.array() / a_[out].array().max(1e-12f)).matrix();
    } else if (loss_ == OutputLoss::CrossEntropy) {
      auto p = a_[out].array().max(1e-7f).min(1.0f - 1e-7f);
      outDelta = ((p - target_.array()) / (p * (1.0f - p))).matrix();
    }
    if (layers[out].shape.activation == Activation::Softmax) {
      // Jacobian of softmax: d_j = a_j (g_j - sum_k g_k a_k)
      Eigen::VectorXf dot = (outDelta.array() * a_[out].array()).rowwise().sum();
      outDelta = (a_[out].array() * (outDelta.array().colwise() - dot.array())).matrix();
    } else {
      multiplyByDerivative(layers[out].shape.activation, z_[out], a_[out], outDelta);
    }
  }
  outDelta *= invRows;

  for (size_t ii = layers.size(); ii-- > 0;) {
    const Eigen::MatrixXf& delta = delta_[ii];
    const Eigen::MatrixXf& input = ii == 0 ? batch.x : a_[ii - 1];
    Eigen::Map<Eigen::MatrixXf> gw(grad.data() + layers[ii].weightOffset, layers[ii].shape.nIn, layers[ii].shape.nOut);
    // `+=` onto the zeros set above: Eigen's `=` would zero these weights-sized blocks a
    // second time before its (same) GEMM call, a 5.6 MB memset per minibatch on the
    // reference MLP. Same bits either way.
    gw.noalias() += input.transpose() * delta;
    const bool connectMasked = rng && dropout_ > 0.0f && dropConnect_ && ii != out;
    if (connectMasked) gw.array() *= weightMask_[ii].array();
    Eigen::Map<Eigen::VectorXf>(grad.data() + layers[ii].biasOffset, layers[ii].shape.nOut) =
        delta.colwise().sum().transpose();
    if (l2_ > 0.0f) gw += l2_ * layout_.weights(params, ii);
    if (ii == 0 || !backpropAll_) break;
    // Propagate to the layer below: delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1}) (* dropout mask).
    const size_t below = ii - 1;
    Eigen::MatrixXf& prevDelta = delta_[below];
    if (connectMasked) {
      prevDelta.noalias() = delta * masked_[ii].transpose();
    } else {
      prevDelta.noalias() = delta * layout_.weights(params, ii).transpose();
    }
    if (rng && dropout_ > 0.0f && !dropConnect_) prevDelta.array() *= unitMask_[below].array();
    // With unit dropout a_[below] holds masked outputs; derivatives that read the output
    // are only evaluated where the mask kept the unit, where a = f(z)/keep. Recompute f(z).
    if (rng && dropout_ > 0.0f && !dropConnect_ &&
        (layers[below].shape.activation == Activation::Sigmoid || layers[below].shape.activation == Activation::Tanh)) {
      Eigen::MatrixXf clean = z_[below];
      applyActivation(layers[below].shape.activation, clean);
      multiplyByDerivative(layers[below].shape.activation, z_[below], clean, prevDelta);
    } else {
      multiplyByDerivative(layers[below].shape.activation, z_[below], a_[below], prevDelta);
    }
  }
  return loss;
}

}  // namespace scaleout
