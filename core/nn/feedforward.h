#pragma once
// Supervised pass through a whole stack: hidden layers with their activations, then the
// output layer and its loss. Used for finetuning, evaluation and prediction.
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "nn/batch.h"
#include "nn/network.h"
#include "util/rng.h"

namespace scaleout {


class FeedForward {
 public:
  FeedForward(const NetworkLayout& layout, const Conf& conf);

  // Output-layer activations (class probabilities for softmax) for a batch; no dropout.
  void predict(const Eigen::VectorXf& params, const Eigen::MatrixXf& x, Eigen::MatrixXf& out);

  // Mean minibatch loss (+ L2 when on). With `rng`, dropout/DropConnect are applied as in
  // training; without, the pass is deterministic (line search, evaluation).
  // `grad` (full layout size) receives dLoss/dParams; entries of layers that do not
  // train (visible biases; all but the output when useBackProp=false) are zero.
  float lossAndGradient(const Eigen::VectorXf& params, const Batch& batch, Eigen::VectorXf& grad, Rng* rng);
  float loss(const Eigen::VectorXf& params, const Batch& batch);

  // Hidden activations of layer `layer` for a batch (model-health statistics).
  const Eigen::MatrixXf& activations(size_t layer) const { return a_[layer]; }

 private:
  float forward(const Eigen::VectorXf& params, const Batch* batch, const Eigen::MatrixXf& x, Rng* rng);

  const NetworkLayout& layout_;
  OutputLoss loss_;
  float l2_;
  float dropout_;
  bool dropConnect_;
  bool backpropAll_;
  std::vector<Eigen::MatrixXf> z_, a_, unitMask_, weightMask_, masked_, delta_;
  Eigen::MatrixXf target_;
};

}  // namespace scaleout
