#include "config/knob_registry.h"

#include <algorithm>
#include <limits>

namespace scaleout {
namespace {

using nlohmann::json;

KnobConstraint range(double lo, double hi) { return KnobConstraint{lo, hi, {}}; }
KnobConstraint choices(std::vector<std::string> names) {
  return KnobConstraint{std::nullopt, std::nullopt, std::move(names)};
}
KnobConstraint unconstrained() { return KnobConstraint{}; }

constexpr KnobKind kindOf(std::string_view token) {
  if (token == "INT") return KnobKind::Int;
  if (token == "REAL") return KnobKind::Real;
  if (token == "BOOL") return KnobKind::Bool;
  if (token == "TEXT") return KnobKind::Text;
  if (token == "PATH") return KnobKind::Path;
  if (token == "CHOICE") return KnobKind::Choice;
  if (token == "INTLIST") return KnobKind::IntList;
  if (token == "REALLIST") return KnobKind::RealList;
  return KnobKind::ChoiceList;
}

template <typename T>
KnobSpec makeKnob(const char* name, const char* label, KnobKind kind, T Conf::*member, const char* group,
                  KnobPhase phase, KnobConstraint constraint, const char* help, bool steerable) {
  KnobSpec spec;
  spec.name = name;
  spec.label = label;
  spec.kind = kind;
  spec.group = group;
  spec.phase = phase;
  spec.constraint = std::move(constraint);
  spec.help = help;
  spec.steerable = steerable;
  spec.get = [member](const Conf& conf) { return json(conf.*member); };
  spec.set = [member](Conf& conf, const json& value) { conf.*member = value.get<T>(); };
  spec.defaultValue = spec.get(Conf{});
  return spec;
}

std::vector<KnobSpec> buildRegistry() {
  return {
#define SCALEOUT_KNOB(kind, name, label, def, group, phase, constraint, help, steer) \
  makeKnob(#name, label, kindOf(#kind), &Conf::name, group, KnobPhase::phase, constraint, help, KnobSteer::steer == KnobSteer::Steerable),
#include "config/knobs.def"
#undef SCALEOUT_KNOB
  };
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<KnobSpec>& knobRegistry() {
  static const std::vector<KnobSpec> registry = buildRegistry();
  return registry;
}

const KnobSpec* findKnob(std::string_view name) {
  for (const auto& spec : knobRegistry())
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string closestKnobName(std::string_view name) {
  std::string best;
  size_t bestDistance = std::numeric_limits<size_t>::max();
  for (const auto& spec : knobRegistry()) {
    size_t d = editDistance(name, spec.name);
    if (d < bestDistance) {
      bestDistance = d;
      best = spec.name;
    }
  }
  // Only suggest names that are plausibly a typo of the given one.
  return bestDistance <= std::max<size_t>(2, name.size() / 3) ? best : std::string();
}

}  // namespace scaleout
