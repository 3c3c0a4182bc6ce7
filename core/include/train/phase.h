#pragma once
// A training phase: greedy pretraining of one layer, or finetuning of the stack.
// Each phase trains one contiguous range [begin, end) of the flat parameter vector.
#include <string>
#include <vector>

#include "config/conf.h"
#include "nn/network.h"

namespace scaleout {

enum class PhaseKind { Pretrain, Finetune };

struct RateRange {
  size_t begin, end;  // absolute positions in the parameter vector
  float rate;
  // The rate the conf gave this range. When steering has put every rate at 0, it is all
  // that keeps the layers' ratios (and layers frozen by learningRateByLayer frozen) for
  // the next rescale. 0 where unknown (a phase received over the link).
  float planned = 0.0f;
};

struct Phase {
  PhaseKind kind = PhaseKind::Finetune;
  size_t layer = 0;  // pretraining: the layer trained
  int epochs = 0;
  size_t begin = 0, end = 0;
  std::vector<RateRange> rates;  // learning rate per layer within [begin, end)
  std::string label() const;     // "pretrain layer 1", "finetune"
  size_t size() const { return end - begin; }
};

// Pretraining of every pretrainable hidden layer (dbn, cdbn, sda; rbm, crbm, da alone),
// then finetuning for stacks (all layers, or only the output with useBackProp=false).
std::vector<Phase> planPhases(const Conf& conf, const NetworkLayout& layout);

// Multiply every rate of `phase` so the base rate (the first trained layer's: frozen layers
// at 0 stay frozen) becomes `newBase` (steering, schedules, rate scaling).
void rescaleRates(Phase& phase, float newBase);
// Multiply every rate of `phase` by `factor` (frozen layers, at 0, stay frozen).
void scaleRates(Phase& phase, float factor);
float baseRate(const Phase& phase);

}  // namespace scaleout
