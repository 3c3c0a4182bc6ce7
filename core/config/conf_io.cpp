#include "config/conf_io.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/choices.h"
#include "config/knob_registry.h"
#include "config/plan.h"
#include "util/error.h"

namespace scaleout {
namespace {

using nlohmann::json;

std::string valueText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void checkPerLayerList(const Conf& conf, const std::string& name, size_t size,
                       std::vector<ConfIssue>& issues) {
  size_t layers = isStackNetwork(conf.networkClass) ? conf.layerSizes.size() : 1;
  if (size != 0 && size != layers) {
    issues.push_back({name, std::to_string(size) + " entries", "does not match the number of hidden layers",
                      "empty, or exactly " + std::to_string(layers) + " entries (one per hidden layer)"});
  }
}

}  // namespace

std::string ConfIssue::message() const {
  std::string out = knob.empty() ? std::string("conf") : "knob '" + knob + "'";
  if (!value.empty()) out += ": value " + value;
  out += " " + problem;
  if (!allowed.empty()) out += "; allowed: " + allowed;
  return out;
}

std::string formatIssues(const std::vector<ConfIssue>& issues) {
  std::string out;
  for (const auto& issue : issues) out += issue.message() + "\n";
  return out;
}

ConfError::ConfError(std::vector<ConfIssue> issues)
    : std::runtime_error(formatIssues(issues)), issues_(std::move(issues)) {}

json confToJson(const Conf& conf) {
  json doc = json::object();
  for (const auto& spec : knobRegistry()) doc[spec.name] = spec.get(conf);
  return doc;
}

std::string confToJsonText(const Conf& conf) {
  // nlohmann sorts object keys; write in registry order so files read like the knob list.
  std::string out = "{\n";
  const auto& registry = knobRegistry();
  for (size_t i = 0; i < registry.size(); ++i) {
    out += "  " + json(registry[i].name).dump() + ": " + registry[i].get(conf).dump();
    out += i + 1 < registry.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

Conf confFromJson(const json& doc, std::vector<ConfIssue>& issues) {
  Conf conf;
  if (!doc.is_object()) {
    issues.push_back({"", "", "is not a JSON object", "an object of knob names to values"});
    return conf;
  }
  for (const auto& [key, value] : doc.items()) {
    const KnobSpec* spec = findKnob(key);
    if (!spec) {
      std::string hint = closestKnobName(key);
      issues.push_back({key, "", "is not a known knob", hint.empty() ? "see `scaleout knobs`" : "did you mean '" + hint + "'?"});
      continue;
    }
    std::string problem = checkKnobValue(*spec, value);
    if (!problem.empty()) {
      issues.push_back({key, valueText(value), problem, describeAllowed(*spec)});
      continue;
    }
    spec->set(conf, value);
  }
  return conf;
}

Conf loadConfFile(const std::string& path, std::vector<ConfIssue>& issues) {
  std::ifstream in(path);
  if (!in) {
    issues.push_back({"", path, "cannot be opened (" + std::string(std::filesystem::exists(path) ? "permission denied" : "no such file") + ")", "a readable JSON conf file"});
    return Conf{};
  }
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    issues.push_back({"", path, std::string("is not valid JSON: ") + e.what(), "a JSON object of knobs"});
    return Conf{};
  }
  Conf conf = confFromJson(doc, issues);
  // Relative data paths in a conf file mean "next to the conf", so shipped examples work
  // from any working directory; a path that does not exist there stays as written.
  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  for (const auto& spec : knobRegistry()) {
    if (spec.kind != KnobKind::Path) continue;
    const std::string value = spec.get(conf).get<std::string>();
    if (value.empty() || std::filesystem::path(value).is_absolute()) continue;
    const std::filesystem::path beside = base / value;
    if (std::filesystem::exists(beside)) spec.set(conf, json(std::filesystem::absolute(beside).lexically_normal().string()));
  }
  return conf;
}

void saveConfFile(const Conf& conf, const std::string& path) {
  // Write a temp file and rename it so a crash never leaves a half-written conf.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw ScaleoutError("cannot write conf file '" + path + "'");
    out << confToJsonText(conf);
    if (!out) throw ScaleoutError("error while writing conf file '" + path + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw ScaleoutError("cannot replace conf file '" + path + "': " + ec.message());
}

void setKnobFromText(Conf& conf, const std::string& name, const std::string& text,
                     std::vector<ConfIssue>& issues) {
  const KnobSpec* spec = findKnob(name);
  if (!spec) {
    std::string hint = closestKnobName(name);
    issues.push_back({name, "", "is not a known knob", hint.empty() ? "see `scaleout knobs`" : "did you mean '" + hint + "'?"});
    return;
  }
  auto value = parseKnobText(*spec, text);
  if (!value) {
    issues.push_back({name, text, "cannot be read as " + std::string(knobKindName(spec->kind)), describeAllowed(*spec)});
    return;
  }
  std::string problem = checkKnobValue(*spec, *value);
  if (!problem.empty()) {
    issues.push_back({name, text, problem, describeAllowed(*spec)});
    return;
  }
  spec->set(conf, *value);
}

std::vector<std::string> knobNamesInConfFile(const std::string& path) {
  std::vector<std::string> names;
  std::ifstream in(path);
  const json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return names;
  for (const auto& item : doc.items()) names.push_back(item.key());
  return names;
}

void applyOverride(Conf& conf, const std::string& assignment, std::vector<ConfIssue>& issues) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    issues.push_back({"", assignment, "is not of the form name=value", "--set name=value"});
    return;
  }
  setKnobFromText(conf, assignment.substr(0, eq), assignment.substr(eq + 1), issues);
}

std::vector<ConfIssue> validateConf(const Conf& conf) {
  std::vector<ConfIssue> issues;
  for (const auto& spec : knobRegistry()) {
    json value = spec.get(conf);
    std::string problem = checkKnobValue(spec, value);
    if (!problem.empty()) issues.push_back({spec.name, valueText(value), problem, describeAllowed(spec)});
  }
  if (isStackNetwork(conf.networkClass) && conf.layerSizes.empty() && !choiceIs(conf.networkClass, NetworkClass::Mlp)) {
    issues.push_back({"layerSizes", "[]", "is empty, but " + conf.networkClass + " pretrains hidden layers",
                      "at least one hidden layer size"});
  }
  checkPerLayerList(conf, "activationByLayer", conf.activationByLayer.size(), issues);
  checkPerLayerList(conf, "learningRateByLayer", conf.learningRateByLayer.size(), issues);
  checkPerLayerList(conf, "visibleUnitByLayer", conf.visibleUnitByLayer.size(), issues);
  checkPerLayerList(conf, "hiddenUnitByLayer", conf.hiddenUnitByLayer.size(), issues);
  if (!choiceIs(conf.dataset, DataSourceKind::FashionMnist)) {
    if (conf.trainData.empty())
      issues.push_back({"trainData", "\"\"", "is empty, but dataset=" + conf.dataset + " needs a file", "a path to the training " + std::string(choiceIs(conf.dataset, DataSourceKind::Csv) ? "CSV file" : "IDX images")});
    if (choiceIs(conf.dataset, DataSourceKind::Idx) && conf.trainLabels.empty())
      issues.push_back({"trainLabels", "\"\"", "is empty, but dataset=idx needs a label file", "a path to IDX labels"});
    if (choiceIs(conf.dataset, DataSourceKind::Idx) && conf.testData.empty() != conf.testLabels.empty())
      issues.push_back({conf.testData.empty() ? "testData" : "testLabels", "\"\"", "is empty while its partner is set", "both testData and testLabels, or neither"});
  }
  if (choiceIs(conf.outputActivation, Activation::Softmax) && choiceIs(conf.outputLossFunction, OutputLoss::CrossEntropy) &&
      isStackNetwork(conf.networkClass)) {
    issues.push_back({"outputLossFunction", "xent", "does not fit a softmax output", "mcxent or squaredError with softmax; xent with sigmoid"});
  }
  return issues;
}

void validateConfOrThrow(const Conf& conf) {
  auto issues = validateConf(conf);
  if (!issues.empty()) throw ConfError(std::move(issues));
}

}  // namespace scaleout
