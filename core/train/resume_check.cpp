#include "train/resume_check.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "config/knob.h"
#include "config/knob_registry.h"

namespace scaleout {
namespace {

// Knobs outside the Run group that a resumed run may change: how long and how fast it
// trains. The Trainer adapts the optimizer state when useAdaGrad changes. Everything else
// outside the Run group shapes the network, the data or the algorithm, which the
// checkpoint's parameters and row order belong to.
constexpr std::array<std::string_view, 9> kResumableKnobs = {
    "pretrainEpochs", "finetuneEpochs", "pretrainLearningRate", "finetuneLearningRate", "learningRateByLayer",
    "momentum",       "useAdaGrad",     "l2",                   "renderWeightEpochs"};

bool resumable(const KnobSpec& spec) {
  if (spec.phase == KnobPhase::Run) return true;
  return std::find(kResumableKnobs.begin(), kResumableKnobs.end(), spec.name) != kResumableKnobs.end();
}

}  // namespace

bool ResumeComparison::changed(const std::string& knob) const {
  return std::find(changedKnobs_.begin(), changedKnobs_.end(), knob) != changedKnobs_.end();
}

ResumeComparison compareForResume(const Conf& saved, const Conf& now) {
  ResumeComparison c;
  for (const KnobSpec& spec : knobRegistry()) {
    const nlohmann::json before = spec.get(saved), after = spec.get(now);
    if (before == after) continue;
    c.changedKnobs_.push_back(spec.name);
    std::string line = spec.name + ": " + knobValueText(before) + " in the checkpoint, " + knobValueText(after) + " now";
    if (spec.name == "seed") line += " (ignored: the checkpoint's random state continues)";
    (resumable(spec) ? c.applied : c.refused).push_back(std::move(line));
  }
  return c;
}

std::string describeRefusedResume(const ResumeComparison& c) {
  std::string text = "cannot resume: the conf differs from the checkpoint's in knobs that cannot change mid-run:";
  for (const std::string& line : c.refused) text += "\n  - " + line;
  text += "\nA resumed run may change epochs, learning rates, momentum, useAdaGrad, l2 and the Run group's knobs; "
          "for anything else, start a new run.";
  return text;
}

}  // namespace scaleout
