#include "nn/network_shape.h"

namespace scaleout {

bool isStackNetwork(const std::string& c) { return c == "mlp" || c == "dbn" || c == "cdbn" || c == "sda"; }
bool isSingleLayerNetwork(const std::string& c) { return c == "rbm" || c == "crbm" || c == "da"; }

namespace {

template <typename T>
T byLayer(const std::vector<T>& overrides, size_t layer, const T& global) {
  return layer < overrides.size() ? overrides[layer] : global;
}

std::string pretrainRole(const Conf& conf, size_t layer) {
  if (conf.networkClass == "dbn") return "rbm";
  if (conf.networkClass == "cdbn") return layer == 0 ? "crbm" : "rbm";
  if (conf.networkClass == "sda") return "da";
  return "dense";
}

}  // namespace

std::vector<LayerShape> networkShape(const Conf& conf) {
  std::vector<LayerShape> layers;
  if (isSingleLayerNetwork(conf.networkClass)) {
    LayerShape l;
    l.role = conf.networkClass;
    l.nIn = conf.nIn;
    l.nOut = conf.nOut;  // hidden units of a single-layer net, as in the original
    l.activation = byLayer(conf.activationByLayer, 0, conf.activation);
    l.hasVisibleBias = true;
    l.visibleUnit = conf.networkClass == "crbm" ? "continuous" : byLayer(conf.visibleUnitByLayer, 0, conf.visibleUnit);
    l.hiddenUnit = byLayer(conf.hiddenUnitByLayer, 0, conf.hiddenUnit);
    layers.push_back(l);
    return layers;
  }
  int in = conf.nIn;
  for (size_t i = 0; i < conf.layerSizes.size(); ++i) {
    LayerShape l;
    l.role = pretrainRole(conf, i);
    l.nIn = in;
    l.nOut = conf.layerSizes[i];
    l.activation = byLayer(conf.activationByLayer, i, conf.activation);
    l.hasVisibleBias = l.role != "dense";
    if (l.role == "rbm" || l.role == "crbm") {
      l.visibleUnit = l.role == "crbm" ? "continuous" : byLayer(conf.visibleUnitByLayer, i, conf.visibleUnit);
      l.hiddenUnit = byLayer(conf.hiddenUnitByLayer, i, conf.hiddenUnit);
    }
    layers.push_back(l);
    in = l.nOut;
  }
  LayerShape out;
  out.role = "output";
  out.nIn = in;
  out.nOut = conf.nOut;
  out.activation = conf.outputActivation;
  layers.push_back(out);
  return layers;
}

size_t parameterCount(const std::vector<LayerShape>& shape) {
  size_t total = 0;
  for (const auto& l : shape) total += l.parameterCount();
  return total;
}

std::string describeShape(const Conf& conf, const std::vector<LayerShape>& shape) {
  std::string out = conf.networkClass + " " + std::to_string(conf.nIn);
  for (const auto& l : shape) {
    const std::string& label = (l.role == "output" || l.role == "dense") ? l.activation : l.role;
    out.append("-").append(std::to_string(l.nOut)).append("(").append(label).append(")");
  }
  return out;
}

}  // namespace scaleout
