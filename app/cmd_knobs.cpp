// `scaleout knobs [--json]`: every knob with type, its label in the GUI form, default, range and help.
#include <iostream>

#include <QCommandLineParser>

#include "commands.h"
#include "config/knob_registry.h"

using namespace scaleout;

int runKnobsCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription("List every training knob.");
  parser.addHelpOption();
  parser.addOption({"json", "Print the registry as JSON (for tools)."});
  parser.process(args);

  if (parser.isSet("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& spec : knobRegistry()) {
      out.push_back({{"name", spec.name}, {"label", spec.label}, {"type", knobKindName(spec.kind)}, {"default", spec.defaultValue},
                     {"allowed", describeAllowed(spec)}, {"group", spec.group},
                     {"phase", knobPhaseName(spec.phase)}, {"steerable", spec.steerable}, {"help", spec.help}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::string group;
  for (const auto& spec : knobRegistry()) {
    if (spec.group != group) {
      group = spec.group;
      std::cout << "\n[" << group << "]\n";
    }
    std::cout << "  " << spec.name << " (" << knobKindName(spec.kind) << ", " << knobPhaseName(spec.phase)
              << (spec.steerable ? ", steerable" : "") << ")\n      label: " << spec.label << "\n      default: " << knobValueText(spec.defaultValue) << "\n      allowed: "
              << describeAllowed(spec) << "\n      " << spec.help << "\n";
  }
  return 0;
}
