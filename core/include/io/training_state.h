#pragma once
// Where a run stands, as a checkpoint stores it. Plain structs, here rather than in train/
// so that io/ (which writes them) includes nothing from train/; the optimizer
// (train/optimizer.h) updates OptimizerState, the Trainer fills TrainingState.
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace scaleout {

// Per-parameter buffers for the phase's range (index 0 = phase.begin).
struct OptimizerState {
  Eigen::VectorXf velocity;  // momentum
  Eigen::VectorXf adagrad;   // sum of squared gradients
  float lastStep = 0.0f;     // conjugate gradient: last accepted line-search step

  void reset(size_t size, bool adaGrad);
};

// Where a run stands, enough to continue it to the same result.
struct TrainingState {
  size_t phaseIndex = 0;
  int epoch = 0;                   // 0-based epoch within the phase being trained
  long long iteration = 0;
  long long round = 0;
  std::string rngState;            // the master's generator
  float learningRate = 0;          // steered base rate of the current phase
  int averagingFrequency = 0;      // steered value
  bool midEpoch = false;           // remaining holds the rest of the current epoch
  OptimizerState optimizer;
  std::vector<uint32_t> remaining;
  // The outer optimizer's velocity over the phase's range (outerMomentum > 0), else empty.
  // Held apart from OptimizerState: that travels with every task, this stays with the master.
  Eigen::VectorXf outerVelocity;
};

}  // namespace scaleout
