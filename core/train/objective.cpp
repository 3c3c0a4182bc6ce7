#include "train/objective.h"

#include "nn/activation.h"
#include "nn/autoencoder.h"
#include "nn/feedforward.h"
#include "nn/rbm.h"

namespace scaleout {
namespace {

float l2Of(const Conf& conf) { return conf.useRegularization ? static_cast<float>(conf.l2) : 0.0f; }

Rbm makeRbm(const Conf& conf, const LayerLayout& l) {
  return Rbm(l.shape.visibleUnit.value(), l.shape.hiddenUnit.value(), conf.k,
             static_cast<float>(conf.sparsity), l2Of(conf));
}

DenoisingAutoencoder makeAutoencoder(const Conf& conf, const NetworkLayout& layout, size_t layer) {
  const bool crossEntropy = layout.plan().reconstructionLoss == ReconstructionLoss::CrossEntropy;
  return DenoisingAutoencoder(layout.layers()[layer].shape.activation, crossEntropy,
                              static_cast<float>(conf.corruptionLevel), l2Of(conf));
}

RbmParams rbmParams(const NetworkLayout& layout, const Eigen::VectorXf& p, size_t i) {
  return RbmParams{layout.weights(p, i), layout.bias(p, i), layout.visibleBias(p, i)};
}

class FinetuneObjective final : public Objective {
 public:
  FinetuneObjective(const Conf& conf, const NetworkLayout& layout) : net_(layout, conf) {}
  float step(const Eigen::VectorXf& p, const Batch& b, Eigen::VectorXf& g, Rng* rng) override {
    return net_.lossAndGradient(p, b, g, rng);
  }
  float loss(const Eigen::VectorXf& p, const Batch& b) override { return net_.loss(p, b); }
  bool hasTrueGradient() const override { return true; }

 private:
  FeedForward net_;
};

class PretrainObjective final : public Objective {
 public:
  PretrainObjective(const Conf& conf, const NetworkLayout& layout, size_t layer)
      : conf_(conf),
        layout_(layout),
        layer_(layer),
        isRbm_(isRbmRole(layout.layers()[layer].shape.role)),
        rbm_(isRbm_ ? makeRbm(conf, layout.layers()[layer]) : Rbm(VisibleUnit::Binary, HiddenUnit::Binary, 1, 0, 0)),
        da_(makeAutoencoder(conf, layout, layer)) {}

  float step(const Eigen::VectorXf& p, const Batch& b, Eigen::VectorXf& g, Rng* rng) override {
    const Eigen::MatrixXf& x = input(p, b, rng);
    if (g.size() != static_cast<Eigen::Index>(layout_.size())) g.setZero(static_cast<Eigen::Index>(layout_.size()));
    auto gw = layout_.weights(g, layer_);
    auto ghb = layout_.bias(g, layer_);
    auto gvb = layout_.visibleBias(g, layer_);
    if (isRbm_) {
      // CD-k is a sampling estimate; a deterministic call still needs a (fixed) chain.
      Rng fixed(0);
      return rbm_.contrastiveDivergence(rbmParams(layout_, p, layer_), x, gw, ghb, gvb, rng ? *rng : fixed);
    }
    return da_.lossAndGradient(layout_.weights(p, layer_), layout_.bias(p, layer_), layout_.visibleBias(p, layer_), x,
                               gw, ghb, gvb, rng);
  }

  float loss(const Eigen::VectorXf& p, const Batch& b) override {
    const Eigen::MatrixXf& x = input(p, b, nullptr);
    if (isRbm_) return rbm_.reconstructionError(rbmParams(layout_, p, layer_), x);
    return da_.reconstructionError(layout_.weights(p, layer_), layout_.bias(p, layer_), layout_.visibleBias(p, layer_), x);
  }

  bool hasTrueGradient() const override { return !isRbm_; }

 private:
  const Eigen::MatrixXf& input(const Eigen::VectorXf& p, const Batch& b, Rng* rng) {
    if (layer_ == 0) return b.x;
    propagateForPretraining(conf_, layout_, p, layer_, b.x, propagated_, conf_.sampleHiddenActivations ? rng : nullptr);
    return propagated_;
  }

  const Conf& conf_;
  const NetworkLayout& layout_;
  size_t layer_;
  bool isRbm_;
  Rbm rbm_;
  DenoisingAutoencoder da_;
  Eigen::MatrixXf propagated_;
};

}  // namespace

std::unique_ptr<Objective> makeObjective(const Conf& conf, const NetworkLayout& layout, const Phase& phase) {
  if (phase.kind == PhaseKind::Finetune) return std::make_unique<FinetuneObjective>(conf, layout);
  return std::make_unique<PretrainObjective>(conf, layout, phase.layer);
}

void propagateForPretraining(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                             size_t layers, const Eigen::MatrixXf& x, Eigen::MatrixXf& out, Rng* rng) {
  Eigen::MatrixXf current = x, pre, next;
  for (size_t i = 0; i < layers; ++i) {
    const auto& l = layout.layers()[i];
    if (isRbmRole(l.shape.role)) {
      Rbm rbm = makeRbm(conf, l);
      rbm.hiddenMean(rbmParams(layout, params, i), current, pre, next);
      if (rng) {
        Eigen::MatrixXf sample;
        rbm.hiddenSample(pre, next, sample, *rng);
        next.swap(sample);
      }
    } else {
      next.noalias() = current * layout.weights(params, i);
      next.rowwise() += layout.bias(params, i).transpose();
      applyActivation(l.shape.activation, next);
    }
    current.swap(next);
  }
  out.swap(current);
}

float layerReconstructionError(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                               size_t layer, const Eigen::MatrixXf& x) {
  Eigen::MatrixXf input;
  propagateForPretraining(conf, layout, params, layer, x, input, nullptr);
  const auto& l = layout.layers()[layer];
  if (isRbmRole(l.shape.role)) return makeRbm(conf, l).reconstructionError(rbmParams(layout, params, layer), input);
  return makeAutoencoder(conf, layout, layer).reconstructionError(layout.weights(params, layer), layout.bias(params, layer),
                                                      layout.visibleBias(params, layer), input);
}

}  // namespace scaleout
