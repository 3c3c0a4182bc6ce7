#include "nn/network.h"

#include <cmath>
#include <utility>

namespace scaleout {

NetworkLayout::NetworkLayout(const Conf& conf) : NetworkLayout(resolvePlan(conf)) {}

NetworkLayout::NetworkLayout(Plan plan) : plan_(std::move(plan)) {
  size_t offset = 0;
  for (const LayerShape& shape : plan_.layers) {
    LayerLayout l;
    l.shape = shape;
    l.begin = offset;
    l.weightOffset = offset;
    offset += static_cast<size_t>(shape.nIn) * shape.nOut;
    l.biasOffset = offset;
    offset += shape.nOut;
    if (shape.hasVisibleBias) {
      l.visibleBiasOffset = offset;
      offset += shape.nIn;
    }
    l.end = offset;
    layers_.push_back(l);
  }
  size_ = offset;
}

FloatMap NetworkLayout::weights(Eigen::VectorXf& p, size_t i) const {
  const auto& l = layers_[i];
  return FloatMap(p.data() + l.weightOffset, l.shape.nIn, l.shape.nOut);
}
ConstFloatMap NetworkLayout::weights(const Eigen::VectorXf& p, size_t i) const {
  const auto& l = layers_[i];
  return ConstFloatMap(p.data() + l.weightOffset, l.shape.nIn, l.shape.nOut);
}
VecMap NetworkLayout::bias(Eigen::VectorXf& p, size_t i) const {
  return VecMap(p.data() + layers_[i].biasOffset, layers_[i].shape.nOut);
}
ConstVecMap NetworkLayout::bias(const Eigen::VectorXf& p, size_t i) const {
  return ConstVecMap(p.data() + layers_[i].biasOffset, layers_[i].shape.nOut);
}
VecMap NetworkLayout::visibleBias(Eigen::VectorXf& p, size_t i) const {
  return VecMap(p.data() + layers_[i].visibleBiasOffset, layers_[i].shape.nIn);
}
ConstVecMap NetworkLayout::visibleBias(const Eigen::VectorXf& p, size_t i) const {
  return ConstVecMap(p.data() + layers_[i].visibleBiasOffset, layers_[i].shape.nIn);
}

Eigen::VectorXf NetworkLayout::initialParameters(const Conf& conf, Rng& rng) const {
  Eigen::VectorXf p = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(size_));
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto w = weights(p, i);
    const int fanIn = layers_[i].shape.nIn, fanOut = layers_[i].shape.nOut;
    if (plan_.weightInit == WeightInit::Xavier) {
      // Glorot & Bengio (2010): U(-r, r) with r = sqrt(6 / (fanIn + fanOut)).
      const float r = std::sqrt(6.0f / static_cast<float>(fanIn + fanOut));
      for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = (2.0f * rng.uniform() - 1.0f) * r;
    } else if (plan_.weightInit == WeightInit::Normal) {
      const float sd = static_cast<float>(conf.weightInitStd);
      for (Eigen::Index k = 0; k < w.size(); ++k) w.data()[k] = rng.normal() * sd;
    }
  }
  return p;
}

}  // namespace scaleout
