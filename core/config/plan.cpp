#include "config/plan.h"

#include <thread>

#include "util/error.h"

namespace scaleout {

void throwUnknownChoice(const char* knob, const std::string& name) {
  throw ScaleoutError(std::string(knob) + ": unknown value '" + name + "'");
}

const char* layerRoleName(LayerRole role) {
  switch (role) {
    case LayerRole::Dense: return "dense";
    case LayerRole::Rbm: return "rbm";
    case LayerRole::Crbm: return "crbm";
    case LayerRole::Da: return "da";
    case LayerRole::Output: return "output";
  }
  return "?";
}

int resolveThreads(int threadsKnob) {
  if (threadsKnob > 0) return threadsKnob;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

bool isStackNetwork(NetworkClass c) {
  return c == NetworkClass::Mlp || c == NetworkClass::Dbn || c == NetworkClass::Cdbn || c == NetworkClass::Sda;
}
bool isSingleLayerNetwork(NetworkClass c) { return !isStackNetwork(c); }

bool isStackNetwork(const std::string& c) {
  const auto network = choiceFromName<NetworkClass>(c);
  return network && isStackNetwork(*network);
}
bool isSingleLayerNetwork(const std::string& c) {
  const auto network = choiceFromName<NetworkClass>(c);
  return network && isSingleLayerNetwork(*network);
}

namespace {

// An empty per-layer list means "the global knob" (knobs.def); a short one covers the
// first layers.
template <typename E>
E byLayer(const char* knob, const std::vector<std::string>& overrides, size_t layer, const char* globalKnob,
          const std::string& global) {
  return layer < overrides.size() ? parseChoice<E>(knob, overrides[layer]) : parseChoice<E>(globalKnob, global);
}

LayerRole pretrainRole(NetworkClass network, size_t layer) {
  switch (network) {
    case NetworkClass::Dbn: return LayerRole::Rbm;
    case NetworkClass::Cdbn: return layer == 0 ? LayerRole::Crbm : LayerRole::Rbm;
    case NetworkClass::Sda: return LayerRole::Da;
    default: return LayerRole::Dense;
  }
}

LayerRole singleLayerRole(NetworkClass network) {
  switch (network) {
    case NetworkClass::Rbm: return LayerRole::Rbm;
    case NetworkClass::Crbm: return LayerRole::Crbm;
    default: return LayerRole::Da;
  }
}

// Layer `i`'s activation and (RBM layers only) unit types from the global knobs and their
// per-layer lists.
void setUnits(const Conf& conf, size_t i, LayerShape& l) {
  l.activation = byLayer<Activation>("activationByLayer", conf.activationByLayer, i, "activation", conf.activation);
  if (!isRbmRole(l.role)) return;
  l.visibleUnit = l.role == LayerRole::Crbm
                      ? VisibleUnit::Continuous
                      : byLayer<VisibleUnit>("visibleUnitByLayer", conf.visibleUnitByLayer, i, "visibleUnit", conf.visibleUnit);
  l.hiddenUnit = byLayer<HiddenUnit>("hiddenUnitByLayer", conf.hiddenUnitByLayer, i, "hiddenUnit", conf.hiddenUnit);
}

std::vector<LayerShape> layersOf(const Conf& conf, NetworkClass network) {
  std::vector<LayerShape> layers;
  if (isSingleLayerNetwork(network)) {
    LayerShape l;
    l.role = singleLayerRole(network);
    l.nIn = conf.nIn;
    l.nOut = conf.nOut;  // hidden units of a single-layer net, as in the original
    l.hasVisibleBias = true;
    setUnits(conf, 0, l);
    layers.push_back(l);
    return layers;
  }
  int in = conf.nIn;
  for (size_t i = 0; i < conf.layerSizes.size(); ++i) {
    LayerShape l;
    l.role = pretrainRole(network, i);
    l.nIn = in;
    l.nOut = conf.layerSizes[i];
    l.hasVisibleBias = l.role != LayerRole::Dense;
    setUnits(conf, i, l);
    layers.push_back(l);
    in = l.nOut;
  }
  LayerShape out;
  out.role = LayerRole::Output;
  out.nIn = in;
  out.nOut = conf.nOut;
  out.activation = parseChoice<Activation>("outputActivation", conf.outputActivation);
  layers.push_back(out);
  return layers;
}

}  // namespace

Plan resolvePlan(const Conf& conf) {
  Plan p;
  p.network = parseChoice<NetworkClass>("networkClass", conf.networkClass);
  p.stack = isStackNetwork(p.network);
  p.layers = layersOf(conf, p.network);
  p.outputLoss = parseChoice<OutputLoss>("outputLossFunction", conf.outputLossFunction);
  p.reconstructionLoss = parseChoice<ReconstructionLoss>("lossFunction", conf.lossFunction);
  p.weightInit = parseChoice<WeightInit>("weightInit", conf.weightInit);
  p.schedule = parseChoice<RateSchedule>("learningRateSchedule", conf.learningRateSchedule);
  p.optimization = parseChoice<Optimization>("optimizationAlgorithm", conf.optimizationAlgorithm);
  p.dataset = parseChoice<DataSourceKind>("dataset", conf.dataset);
  p.normalize = parseChoice<Normalization>("normalize", conf.normalize);
  p.statePolicy = parseChoice<StatePolicy>("optimizerStatePolicy", conf.optimizerStatePolicy);
  p.rateScaling = parseChoice<RateScaling>("learningRateScaling", conf.learningRateScaling);
  p.compression = parseChoice<LinkCompression>("exchangeCompression", conf.exchangeCompression);
  p.threads = resolveThreads(conf.threads);
  return p;
}

std::vector<LayerShape> networkShape(const Conf& conf) {
  return layersOf(conf, parseChoice<NetworkClass>("networkClass", conf.networkClass));
}

size_t parameterCount(const std::vector<LayerShape>& shape) {
  size_t total = 0;
  for (const auto& l : shape) total += l.parameterCount();
  return total;
}

std::string describeShape(const Conf& conf, const std::vector<LayerShape>& shape) {
  std::string out = conf.networkClass + " " + std::to_string(conf.nIn);
  for (const auto& l : shape) {
    const bool byActivation = l.role == LayerRole::Output || l.role == LayerRole::Dense;
    out.append("-").append(std::to_string(l.nOut)).append("(");
    out.append(byActivation ? choiceName(l.activation) : layerRoleName(l.role)).append(")");
  }
  return out;
}

}  // namespace scaleout
