#pragma once
// What one phase minimises, behind one interface so the worker loop and the optimiser
// do not care whether they run CD-k on an RBM, a denoising autoencoder or backprop.
// Not thread-safe: each worker owns its own instance (they hold scratch buffers).
#include <memory>

#include <Eigen/Core>

#include "config/conf.h"
#include "data/batches.h"
#include "nn/network.h"
#include "train/phase.h"
#include "util/rng.h"

namespace scaleout {

class Objective {
 public:
  virtual ~Objective() = default;
  // Minibatch loss at `params`; `grad` (full layout size) receives the update direction
  // for the phase's range (a true gradient, or the CD-k estimate for RBMs). With rng ==
  // nullptr there is no corruption, dropout or sampling noise (line search, grad checks).
  virtual float step(const Eigen::VectorXf& params, const Batch& batch, Eigen::VectorXf& grad, Rng* rng) = 0;
  // Deterministic loss (no corruption/dropout/sampling) for line search and evaluation.
  virtual float loss(const Eigen::VectorXf& params, const Batch& batch) = 0;
  // True when step() returns the exact gradient of loss() (conjugate gradient needs it).
  virtual bool hasTrueGradient() const = 0;
};

std::unique_ptr<Objective> makeObjective(const Conf& conf, const NetworkLayout& layout, const Phase& phase);

// Representation of `x` after hidden layers [0, layers) as pretraining sees it (RBM hidden
// means, DA encodings; samples when sampleHiddenActivations and an rng is given).
void propagateForPretraining(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                             size_t layers, const Eigen::MatrixXf& x, Eigen::MatrixXf& out, Rng* rng);

// Reconstruction error of pretrained layer `layer` on `x` (raw input, propagated first).
float layerReconstructionError(const Conf& conf, const NetworkLayout& layout, const Eigen::VectorXf& params,
                               size_t layer, const Eigen::MatrixXf& x);

}  // namespace scaleout
