#include "io/training_state.h"

namespace scaleout {

void OptimizerState::reset(size_t size, bool adaGrad) {
  velocity.setZero(static_cast<Eigen::Index>(size));
  if (adaGrad) adagrad.setZero(static_cast<Eigen::Index>(size));
  else adagrad.resize(0);
  lastStep = 0.0f;
}

}  // namespace scaleout
