#pragma once
// KnobSpec: what the registry knows about one knob, enough to validate it, convert it
// to and from JSON and text, list it, and build a GUI field for it.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/conf.h"

namespace scaleout {

enum class KnobKind { Int, Real, Bool, Text, Path, Choice, IntList, RealList, ChoiceList };
enum class KnobPhase { Pretrain, Finetune, Both, Run, Data };
enum class KnobSteer { Fixed, Steerable };  // knobs.def's last column: a typo does not compile

struct KnobConstraint {
  std::optional<double> min, max;    // numbers and list elements
  std::vector<std::string> choices;  // Choice and ChoiceList
};

struct KnobSpec {
  std::string name;   // the knob's one identifier: files, --set, messages
  std::string label;  // the GUI form's caption, e.g. "Learning rate (finetune)"
  KnobKind kind;
  std::string group;
  KnobPhase phase;
  KnobConstraint constraint;
  std::string help;
  bool steerable = false;  // a running trainer takes a new value at its next round (knobs.def)
  nlohmann::json defaultValue;
  std::function<nlohmann::json(const Conf&)> get;
  // Stores an already type-checked value (see checkKnobValue).
  std::function<void(Conf&, const nlohmann::json&)> set;

  bool isList() const {
    return kind == KnobKind::IntList || kind == KnobKind::RealList || kind == KnobKind::ChoiceList;
  }
  bool isNumeric() const {
    return kind == KnobKind::Int || kind == KnobKind::Real || kind == KnobKind::IntList ||
           kind == KnobKind::RealList;
  }
};

const char* knobKindName(KnobKind kind);
const char* knobPhaseName(KnobPhase phase);

// Human description of what a knob accepts, e.g. "an integer in [1, 1000]".
std::string describeAllowed(const KnobSpec& spec);

// Returns an empty string if `value` has the knob's type and lies in its range or
// choices, else a sentence saying what is wrong (without the knob name).
std::string checkKnobValue(const KnobSpec& spec, const nlohmann::json& value);

// Parses the text form used by `--set name=value` and the GUI into JSON of the knob's
// type: numbers, true/false/yes/no/1/0, comma-separated or JSON lists, plain strings.
// Returns nullopt when the text cannot be read as that type.
std::optional<nlohmann::json> parseKnobText(const KnobSpec& spec, const std::string& text);

// The text form of a value, as `scaleout knobs` prints it and parseKnobText reads it.
std::string knobValueText(const nlohmann::json& value);

}  // namespace scaleout
