#include "cli_conf.h"

#include <iostream>

#include "config/conf_io.h"

using namespace scaleout;

void addConfOptions(QCommandLineParser& parser) {
  parser.addOption({{"s", "set"}, "Override a knob, e.g. --set finetuneEpochs=5 (repeatable).", "name=value"});
}

std::optional<Conf> confFromCommandLine(const QCommandLineParser& parser, const QString& confPath, GivenShape* given) {
  if (given) {
    std::vector<std::string> names;
    if (!confPath.isEmpty()) names = knobNamesInConfFile(confPath.toStdString());
    for (const QString& assignment : parser.values("set")) names.push_back(assignment.section('=', 0, 0).trimmed().toStdString());
    for (const std::string& name : names) {
      if (name == "nIn") given->nIn = true;
      if (name == "nOut") given->nOut = true;
    }
  }
  std::vector<ConfIssue> issues;
  Conf conf = confPath.isEmpty() ? Conf{} : loadConfFile(confPath.toStdString(), issues);
  for (const QString& assignment : parser.values("set")) applyOverride(conf, assignment.toStdString(), issues);
  if (issues.empty()) issues = validateConf(conf);
  if (!issues.empty()) {
    std::cerr << "error: " << issues.size() << " problem" << (issues.size() == 1 ? "" : "s") << " in the conf"
              << (confPath.isEmpty() ? "" : " " + confPath.toStdString()) << ":\n";
    for (const auto& issue : issues) std::cerr << "  - " << issue.message() << "\n";
    return std::nullopt;
  }
  return conf;
}
