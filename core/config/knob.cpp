#include "config/knob.h"

#include <cmath>
#include <sstream>

namespace scaleout {
namespace {

using nlohmann::json;

std::string formatNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string joinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i) out += ", ";
    out += choices[i];
  }
  return out;
}

std::string rangeText(const KnobConstraint& c) {
  if (c.min && c.max) return "[" + formatNumber(*c.min) + ", " + formatNumber(*c.max) + "]";
  if (c.min) return ">= " + formatNumber(*c.min);
  if (c.max) return "<= " + formatNumber(*c.max);
  return "";
}

bool isInteger(const json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 2147483648.0;
  }
  return false;
}

// Checks one scalar element; returns a problem or "".
std::string checkScalar(KnobKind elementKind, const KnobConstraint& c, const json& v) {
  switch (elementKind) {
    case KnobKind::Int:
    case KnobKind::Real: {
      if (elementKind == KnobKind::Int ? !isInteger(v) : !v.is_number()) {
        return "is not " + std::string(elementKind == KnobKind::Int ? "an integer" : "a number");
      }
      double d = v.get<double>();
      if (!std::isfinite(d)) return "is not finite";
      if ((c.min && d < *c.min) || (c.max && d > *c.max)) return "is outside " + rangeText(c);
      return "";
    }
    case KnobKind::Bool:
      return v.is_boolean() ? "" : "is not true or false";
    case KnobKind::Text:
    case KnobKind::Path:
      return v.is_string() ? "" : "is not a string";
    case KnobKind::Choice: {
      if (!v.is_string()) return "is not a string";
      for (const auto& choice : c.choices)
        if (choice == v.get<std::string>()) return "";
      return "is not one of " + joinChoices(c.choices);
    }
    default:
      return "has an unsupported type";
  }
}

KnobKind elementKind(KnobKind kind) {
  switch (kind) {
    case KnobKind::IntList: return KnobKind::Int;
    case KnobKind::RealList: return KnobKind::Real;
    case KnobKind::ChoiceList: return KnobKind::Choice;
    default: return kind;
  }
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  s.erase(s.find_last_not_of(ws) + 1);
  return s;
}

std::optional<json> parseScalarText(KnobKind kind, const std::string& raw) {
  std::string text = trim(raw);
  switch (kind) {
    case KnobKind::Int:
    case KnobKind::Real: {
      if (text.empty()) return std::nullopt;
      size_t used = 0;
      try {
        if (kind == KnobKind::Int) {
          long long v = std::stoll(text, &used);
          if (used != text.size()) {
            // Accept "1e3" or "100.0" when it is a whole number; checkKnobValue rejects the rest.
            double d = std::stod(text, &used);
            if (used != text.size()) return std::nullopt;
            return json(d);
          }
          return json(v);
        }
        double d = std::stod(text, &used);
        if (used != text.size()) return std::nullopt;
        return json(d);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    case KnobKind::Bool: {
      std::string lower;
      for (char ch : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return json(true);
      if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return json(false);
      return std::nullopt;
    }
    default:
      return json(text);
  }
}

}  // namespace

const char* knobKindName(KnobKind kind) {
  switch (kind) {
    case KnobKind::Int: return "int";
    case KnobKind::Real: return "real";
    case KnobKind::Bool: return "bool";
    case KnobKind::Text: return "text";
    case KnobKind::Path: return "path";
    case KnobKind::Choice: return "choice";
    case KnobKind::IntList: return "int list";
    case KnobKind::RealList: return "real list";
    case KnobKind::ChoiceList: return "choice list";
  }
  return "?";
}

const char* knobPhaseName(KnobPhase phase) {
  switch (phase) {
    case KnobPhase::Pretrain: return "pretrain";
    case KnobPhase::Finetune: return "finetune";
    case KnobPhase::Both: return "pretrain+finetune";
    case KnobPhase::Run: return "run";
    case KnobPhase::Data: return "data";
  }
  return "?";
}

std::string describeAllowed(const KnobSpec& spec) {
  const auto& c = spec.constraint;
  std::string range = rangeText(c);
  switch (spec.kind) {
    case KnobKind::Int: return "an integer" + (range.empty() ? "" : " in " + range);
    case KnobKind::Real: return "a number" + (range.empty() ? "" : " in " + range);
    case KnobKind::Bool: return "true or false";
    case KnobKind::Text: return "a string";
    case KnobKind::Path: return "a file path";
    case KnobKind::Choice: return "one of " + joinChoices(c.choices);
    case KnobKind::IntList: return "a list of integers" + (range.empty() ? "" : " each in " + range);
    case KnobKind::RealList: return "a list of numbers" + (range.empty() ? "" : " each in " + range);
    case KnobKind::ChoiceList: return "a list, each one of " + joinChoices(c.choices);
  }
  return "";
}

std::string checkKnobValue(const KnobSpec& spec, const json& value) {
  if (!spec.isList()) return checkScalar(spec.kind, spec.constraint, value);
  if (!value.is_array()) return "is not a list";
  for (size_t i = 0; i < value.size(); ++i) {
    std::string problem = checkScalar(elementKind(spec.kind), spec.constraint, value[i]);
    if (!problem.empty()) return "element " + std::to_string(i) + " (" + value[i].dump() + ") " + problem;
  }
  return "";
}

std::optional<json> parseKnobText(const KnobSpec& spec, const std::string& text) {
  if (!spec.isList()) return parseScalarText(spec.kind, text);
  std::string body = trim(text);
  if (!body.empty() && body.front() == '[') {
    try {
      json parsed = json::parse(body);
      if (parsed.is_array()) return parsed;
    } catch (const json::exception&) {
    }
    return std::nullopt;
  }
  json list = json::array();
  if (body.empty()) return list;
  std::stringstream in(body);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto element = parseScalarText(elementKind(spec.kind), item);
    if (!element) return std::nullopt;
    list.push_back(*element);
  }
  return list;
}

std::string knobValueText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (size_t i = 0; i < value.size(); ++i) {
      if (i) out += ",";
      out += knobValueText(value[i]);
    }
    return out;
  }
  if (value.is_number_float()) return formatNumber(value.get<double>());
  return value.dump();
}

}  // namespace scaleout
