#include "train/steering.h"

#include <optional>

#include "config/knob.h"
#include "config/knob_registry.h"

namespace scaleout {

namespace {
// The value of `knob` = `text` if it can be steered; else "" and `problem` says why.
std::optional<nlohmann::json> steeringValue(const std::string& knob, const std::string& text, std::string& problem) {
  const KnobSpec* spec = findKnob(knob);
  if (!spec) {
    problem = "'" + knob + "' is not a knob";
    return std::nullopt;
  }
  if (!spec->steerable) {
    problem = knob + " is set when a run starts and cannot be steered";
    return std::nullopt;
  }
  auto value = parseKnobText(*spec, text);
  if (!value) {
    problem = knob + " = '" + text + "' is not " + describeAllowed(*spec);
    return std::nullopt;
  }
  if (std::string wrong = checkKnobValue(*spec, *value); !wrong.empty()) {
    problem = knob + " = " + text + ": " + wrong;
    return std::nullopt;
  }
  return value;
}
}  // namespace

std::string steeringProblem(const std::string& knob, const std::string& text) {
  std::string problem;
  steeringValue(knob, text, problem);
  return problem;
}

std::string Steering::request(const std::string& knob, const std::string& text) {
  std::string problem;
  const std::optional<nlohmann::json> parsed = steeringValue(knob, text, problem);
  if (!parsed) return problem;
  const nlohmann::json& value = *parsed;
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
