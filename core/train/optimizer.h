#pragma once
// Applies one minibatch to a parameter vector: SGD with classical momentum and optional
// AdaGrad, or nonlinear conjugate gradient with a backtracking line search.
#include <Eigen/Core>

#include "config/conf.h"
#include "io/training_state.h"
#include "train/objective.h"
#include "train/phase.h"

namespace scaleout {

class Optimizer {
 public:
  Optimizer(const Conf& conf, const Phase& phase);
  // Trains `params` on one minibatch; returns the minibatch loss before the update.
  float minibatch(Objective& objective, Eigen::VectorXf& params, OptimizerState& state, const Batch& batch, Rng& rng);
  void setPhase(const Phase& phase) { phase_ = phase; }

 private:
  float sgd(Objective& objective, Eigen::VectorXf& params, OptimizerState& state, const Batch& batch, Rng& rng);
  float conjugateGradient(Objective& objective, Eigen::VectorXf& params, OptimizerState& state, const Batch& batch, Rng& rng);

  Phase phase_;
  float momentum_;
  bool adaGrad_;
  bool cg_;
  Eigen::VectorXf grad_, trial_, direction_, previousGrad_;
};

inline constexpr int kConjugateGradientIterations = 3;
inline constexpr float kAdaGradEpsilon = 1e-6f;

}  // namespace scaleout
