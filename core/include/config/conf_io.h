#pragma once
// Conf <-> JSON, `--set name=value` overrides, and validation. Every function collects
// all problems instead of stopping at the first, so a user fixes a conf in one pass.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/conf.h"

namespace scaleout {

struct ConfIssue {
  std::string knob;     // knob name, or "" for the document as a whole
  std::string value;    // the value given, as text
  std::string problem;  // what is wrong, e.g. "is outside [1, 1000]"
  std::string allowed;  // what the knob accepts

  std::string message() const;
};

// Thrown by the *OrThrow helpers; message() lists every issue, one per line.
class ConfError : public std::runtime_error {
 public:
  explicit ConfError(std::vector<ConfIssue> issues);
  const std::vector<ConfIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfIssue> issues_;
};

nlohmann::json confToJson(const Conf& conf);
std::string confToJsonText(const Conf& conf);  // pretty, stable key order (registry order)

// Starts from defaults and applies every key of `doc`; unknown keys, wrong types and
// out-of-range values are appended to `issues` (the knob keeps its default).
Conf confFromJson(const nlohmann::json& doc, std::vector<ConfIssue>& issues);

// Reads a conf file; a missing or unparsable file is one issue naming the file.
Conf loadConfFile(const std::string& path, std::vector<ConfIssue>& issues);
void saveConfFile(const Conf& conf, const std::string& path);  // throws ScaleoutError
// The knob names a conf file sets (its top-level keys); empty when it cannot be read.
// Lets callers tell a knob left out from one set to its default value.
std::vector<std::string> knobNamesInConfFile(const std::string& path);

// Applies "name=value" (the CLI's --set) to `conf`.
void applyOverride(Conf& conf, const std::string& assignment, std::vector<ConfIssue>& issues);
// Sets one knob from its text form (GUI fields use this too).
void setKnobFromText(Conf& conf, const std::string& name, const std::string& text,
                     std::vector<ConfIssue>& issues);

// Per-knob checks plus the rules that tie knobs together (layer lists, data paths).
std::vector<ConfIssue> validateConf(const Conf& conf);
void validateConfOrThrow(const Conf& conf);

std::string formatIssues(const std::vector<ConfIssue>& issues);

}  // namespace scaleout
