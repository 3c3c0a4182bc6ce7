#pragma once
// Network: the layers a Conf describes over one flat parameter vector. Each layer's
// W (nIn x nOut), hidden bias and (for pretrained layers) visible bias are views into
// it, so averaging, checkpoints and the wire format handle one contiguous float array.
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "config/plan.h"
#include "util/rng.h"

namespace scaleout {

struct LayerLayout {
  LayerShape shape;       // shape.activation: the forward activation (finetuning and inference)
  size_t weightOffset = 0;
  size_t biasOffset = 0;
  size_t visibleBiasOffset = 0;  // valid when shape.hasVisibleBias
  size_t begin = 0, end = 0;     // the layer's whole range in the flat vector
};

using FloatMap = Eigen::Map<Eigen::MatrixXf>;
using ConstFloatMap = Eigen::Map<const Eigen::MatrixXf>;
using VecMap = Eigen::Map<Eigen::VectorXf>;
using ConstVecMap = Eigen::Map<const Eigen::VectorXf>;

class NetworkLayout {
 public:
  explicit NetworkLayout(const Conf& conf);  // resolves the conf's plan
  explicit NetworkLayout(Plan plan);

  const Plan& plan() const { return plan_; }

  const std::vector<LayerLayout>& layers() const { return layers_; }
  size_t size() const { return size_; }
  bool isStack() const { return plan_.stack; }
  size_t outputLayer() const { return layers_.size() - 1; }  // stacks only
  size_t hiddenLayerCount() const { return plan_.stack ? layers_.size() - 1 : layers_.size(); }

  FloatMap weights(Eigen::VectorXf& p, size_t layer) const;
  ConstFloatMap weights(const Eigen::VectorXf& p, size_t layer) const;
  VecMap bias(Eigen::VectorXf& p, size_t layer) const;
  ConstVecMap bias(const Eigen::VectorXf& p, size_t layer) const;
  VecMap visibleBias(Eigen::VectorXf& p, size_t layer) const;
  ConstVecMap visibleBias(const Eigen::VectorXf& p, size_t layer) const;

  // Fresh parameters per weightInit (Glorot uniform, normal with sd weightInitStd, zero);
  // biases zero.
  Eigen::VectorXf initialParameters(const Conf& conf, Rng& rng) const;

 private:
  Plan plan_;
  std::vector<LayerLayout> layers_;
  size_t size_ = 0;
};

}  // namespace scaleout
