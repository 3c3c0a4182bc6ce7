#include "train/phase.h"

namespace scaleout {

std::string Phase::label() const {
  return kind == PhaseKind::Pretrain ? "pretrain layer " + std::to_string(layer) : "finetune";
}

std::vector<Phase> planPhases(const Conf& conf, const NetworkLayout& layout) {
  std::vector<Phase> phases;
  const auto& layers = layout.layers();
  auto layerRate = [&](size_t i, double global) {
    return static_cast<float>(i < conf.learningRateByLayer.size() ? conf.learningRateByLayer[i] : global);
  };
  const bool pretrains = layout.plan().network != NetworkClass::Mlp;
  if (pretrains && conf.pretrainEpochs > 0) {
    for (size_t i = 0; i < layout.hiddenLayerCount(); ++i) {
      Phase p;
      p.kind = PhaseKind::Pretrain;
      p.layer = i;
      p.epochs = conf.pretrainEpochs;
      p.begin = layers[i].begin;
      p.end = layers[i].end;
      const float rate = layerRate(i, conf.pretrainLearningRate);
      p.rates.push_back({p.begin, p.end, rate, rate});
      phases.push_back(p);
    }
  }
  if (layout.isStack() && conf.finetuneEpochs > 0) {
    Phase p;
    p.kind = PhaseKind::Finetune;
    p.layer = layout.outputLayer();
    p.epochs = conf.finetuneEpochs;
    const size_t first = conf.useBackProp ? 0 : layout.outputLayer();
    p.begin = layers[first].begin;
    p.end = layers.back().end;
    for (size_t i = first; i < layers.size(); ++i) {
      const bool output = i == layout.outputLayer();
      const float rate = output ? static_cast<float>(conf.finetuneLearningRate) : layerRate(i, conf.finetuneLearningRate);
      p.rates.push_back({layers[i].begin, layers[i].end, rate, rate});
    }
    phases.push_back(p);
  }
  return phases;
}

// The first trained layer's rate: a layer frozen with learningRateByLayer = 0 is not the
// base (with layer 0 frozen, the base was 0 and rescaling set every layer's rate to the new
// base: a schedule or rate scaling then froze the whole net, and steering unfroze layer 0).
float baseRate(const Phase& phase) {
  for (const RateRange& r : phase.rates)
    if (r.rate > 0.0f) return r.rate;
  return 0.0f;
}

void scaleRates(Phase& phase, float factor) {
  for (auto& r : phase.rates) r.rate *= factor;
}

void rescaleRates(Phase& phase, float newBase) {
  const float old = baseRate(phase);
  // Frozen layers stay frozen.
  if (old > 0.0f) {
    scaleRates(phase, newBase / old);
    return;
  }
  // Every rate is 0 (steered to 0): the conf's rates give the ratios back. Before this, every
  // layer took the new rate, and steering 0 and back unfroze the layers learningRateByLayer froze.
  float plannedBase = 0.0f;
  for (const RateRange& r : phase.rates)
    if (r.planned > 0.0f) {
      plannedBase = r.planned;
      break;
    }
  // A phase whose conf froze every layer takes the new rate throughout.
  for (auto& r : phase.rates) r.rate = plannedBase > 0.0f ? r.planned * (newBase / plannedBase) : newBase;
}

}  // namespace scaleout
