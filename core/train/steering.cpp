#include "train/steering.h"

#include "config/knob.h"
#include "config/knob_registry.h"

namespace scaleout {

std::string steeringProblem(const std::string& knob, const std::string& text) {
  const KnobSpec* spec = findKnob(knob);
  if (!spec) return "'" + knob + "' is not a knob";
  if (!spec->steerable) return knob + " is set when a run starts and cannot be steered";
  const auto value = parseKnobText(*spec, text);
  if (!value) return knob + " = '" + text + "' is not " + describeAllowed(*spec);
  if (std::string problem = checkKnobValue(*spec, *value); !problem.empty()) return knob + " = " + text + ": " + problem;
  return "";
}

std::string Steering::request(const std::string& knob, const std::string& text) {
  if (std::string problem = steeringProblem(knob, text); !problem.empty()) return problem;
  const nlohmann::json value = *parseKnobText(*findKnob(knob), text);
  std::lock_guard l(m_);
  for (auto& [name, v] : pending_)
    if (name == knob) {
      v = value;
      return "";
    }
  pending_.emplace_back(knob, value);
  return "";
}

std::vector<std::pair<std::string, nlohmann::json>> Steering::take() {
  std::lock_guard l(m_);
  return std::exchange(pending_, {});
}

}  // namespace scaleout
