#pragma once
// Resuming a checkpoint with a conf that may differ from the one it was trained with:
// which differences can take effect mid-run and which would make the checkpoint's state
// meaningless (another network, other data, another algorithm). Compared knob by knob
// through the registry, so a new knob is covered without an edit here; only the short
// list of knobs that may change (kResumableKnobs in the .cpp) is kept by hand.
#include <string>
#include <vector>

#include "config/conf.h"

namespace scaleout {

struct ResumeComparison {
  std::vector<std::string> refused;  // "layerSizes: 256,128 in the checkpoint, 512,128 now"
  std::vector<std::string> applied;  // "finetuneLearningRate: 0.01 in the checkpoint, 0.05 now"
  bool changed(const std::string& knob) const;

 private:
  friend ResumeComparison compareForResume(const Conf&, const Conf&);
  std::vector<std::string> changedKnobs_;
};

// `saved`: the checkpoint's conf; `now`: the conf the run resumes with.
ResumeComparison compareForResume(const Conf& saved, const Conf& now);

// The message for a refused resume: every knob that differs, and what may change.
std::string describeRefusedResume(const ResumeComparison& c);

}  // namespace scaleout
