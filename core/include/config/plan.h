#pragma once
// Plan: a Conf resolved once. Choice knobs become enums, per-layer lists are expanded
// into one shape per layer, and the thread count is resolved. Everything past the Conf
// reads the plan (nn builds its layers from it, train its policies, data its source, the
// cluster its link codec, the front ends their summaries), so no knob name or choice
// string is compared outside config/. The phases and their effective learning rates are
// train's (train/phase.h): they follow the plan and the worker count.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/choices.h"
#include "config/conf.h"

namespace scaleout {

enum class LayerRole { Dense, Rbm, Crbm, Da, Output };  // Dense: an MLP's hidden layer
const char* layerRoleName(LayerRole role);              // "dense", "rbm", "crbm", "da", "output"
inline bool isRbmRole(LayerRole role) { return role == LayerRole::Rbm || role == LayerRole::Crbm; }

// One layer as the Conf describes it: pure arithmetic, no parameters allocated.
struct LayerShape {
  LayerRole role = LayerRole::Dense;
  int nIn = 0;
  int nOut = 0;
  Activation activation = Activation::Relu;       // what the forward pass applies
  bool hasVisibleBias = false;                    // pretrained layers also carry a visible bias
  std::optional<VisibleUnit> visibleUnit;         // RBM layers only
  std::optional<HiddenUnit> hiddenUnit;           // RBM layers only

  size_t parameterCount() const {
    return static_cast<size_t>(nIn) * nOut + nOut + (hasVisibleBias ? nIn : 0);
  }
};

struct Plan {
  NetworkClass network = NetworkClass::Mlp;
  bool stack = true;               // hidden layers plus an output layer (mlp, dbn, cdbn, sda)
  std::vector<LayerShape> layers;  // hidden layers then, for stacks, the output layer
  OutputLoss outputLoss = OutputLoss::MultiClassCrossEntropy;
  ReconstructionLoss reconstructionLoss = ReconstructionLoss::CrossEntropy;
  WeightInit weightInit = WeightInit::Xavier;
  RateSchedule schedule = RateSchedule::Constant;
  Optimization optimization = Optimization::Sgd;
  DataSourceKind dataset = DataSourceKind::FashionMnist;
  Normalization normalize = Normalization::Scale;
  StatePolicy statePolicy = StatePolicy::Average;
  RateScaling rateScaling = RateScaling::None;
  LinkCompression compression = LinkCompression::Int8;
  int threads = 1;  // local worker threads, resolved (knob 0: the hardware's)
};

// Throws ScaleoutError naming the knob for a choice the registry does not list (a Conf
// that passed validation never throws).
Plan resolvePlan(const Conf& conf);

int resolveThreads(int threadsKnob);  // 0 -> hardware threads (at least 1)

bool isStackNetwork(NetworkClass network);
bool isSingleLayerNetwork(NetworkClass network);
// By name, for validation and tests: false for a name that is no network class.
bool isStackNetwork(const std::string& networkClass);
bool isSingleLayerNetwork(const std::string& networkClass);

// The layers alone (resolvePlan(conf).layers).
std::vector<LayerShape> networkShape(const Conf& conf);
size_t parameterCount(const std::vector<LayerShape>& shape);
// One line such as "cdbn 784-1000(crbm)-500(rbm)-250(rbm)-10(softmax)".
std::string describeShape(const Conf& conf, const std::vector<LayerShape>& shape);

}  // namespace scaleout
