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
  const bool pretrains = conf.networkClass != "mlp";
  if (pretrains && conf.pretrainEpochs > 0) {
    for (size_t i = 0; i < layout.hiddenLayerCount(); ++i) {
      Phase p;
      p.kind = PhaseKind::Pretrain;
      p.layer = i;
      p.epochs = conf.pretrainEpochs;
      p.begin = layers[i].begin;
      p.end = layers[i].end;
      p.rates.push_back({p.begin, p.end, layerRate(i, conf.pretrainLearningRate)});
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
      p.rates.push_back({layers[i].begin, layers[i].end,
                         output ? static_cast<float>(conf.finetuneLearningRate) : layerRate(i, conf.finetuneLearningRate)});
    }
    phases.push_back(p);
  }
  return phases;
}

float baseRate(const Phase& phase) { return phase.rates.empty() ? 0.0f : phase.rates.front().rate; }

void rescaleRates(Phase& phase, float newBase) {
  const float old = baseRate(phase);
  for (auto& r : phase.rates) r.rate = old > 0.0f ? r.rate * (newBase / old) : newBase;
}

}  // namespace scaleout
