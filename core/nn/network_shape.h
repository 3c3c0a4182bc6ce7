#pragma once
// The layer shapes a Conf describes, for summaries (CLI check, GUI) and for building
// the network. Pure arithmetic: no allocation of parameters.
#include <string>
#include <vector>

#include "config/conf.h"

namespace scaleout {

struct LayerShape {
  std::string role;        // "rbm", "crbm", "da", "dense" (mlp hidden) or "output"
  int nIn = 0;
  int nOut = 0;
  std::string activation;  // what the forward pass applies
  bool hasVisibleBias = false;  // pretrained layers also carry a visible bias
  std::string visibleUnit, hiddenUnit;  // RBM layers only

  size_t parameterCount() const {
    return static_cast<size_t>(nIn) * nOut + nOut + (hasVisibleBias ? nIn : 0);
  }
};

bool isStackNetwork(const std::string& networkClass);
bool isSingleLayerNetwork(const std::string& networkClass);

// Hidden layers then (for stacks) the output layer.
std::vector<LayerShape> networkShape(const Conf& conf);
size_t parameterCount(const std::vector<LayerShape>& shape);
// One line such as "cdbn 784-1000(crbm)-500(rbm)-250(rbm)-10(softmax)".
std::string describeShape(const Conf& conf, const std::vector<LayerShape>& shape);

}  // namespace scaleout
