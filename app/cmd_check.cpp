// `scaleout check CONF.json [--set name=value ...]`: validate, load the data, summarise.
#include <iostream>

#include <QCommandLineParser>

#include "cli_conf.h"
#include "config/conf_warnings.h"
#include "commands.h"
#include "data/data_source.h"
#include "config/plan.h"
#include "util/error.h"

using namespace scaleout;

int runCheckCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription("Validate a conf, load its data and print a summary.");
  parser.addHelpOption();
  addConfOptions(parser);
  parser.addOption({"no-data", "Validate the knobs only; do not load the data."});
  parser.addPositionalArgument("conf", "Conf JSON file (omit for the defaults).", "[CONF.json]");
  parser.process(args);
  const QStringList positional = parser.positionalArguments();
  if (positional.size() > 1) {
    std::cerr << "error: check takes one conf file, got " << positional.size() << "\n";
    return 2;
  }
  GivenShape given;
  auto conf = confFromCommandLine(parser, positional.value(0), &given);
  if (!conf) return 1;

  auto shape = networkShape(*conf);
  for (const std::string& w : confWarnings(*conf)) std::cout << "warning: " << w << "\n";
  std::cout << "conf: ok\nnetwork: " << describeShape(*conf, shape) << "\nparameters: " << parameterCount(shape)
            << "\n";
  if (parser.isSet("no-data")) return 0;
  try {
    TrainTestData data = loadTrainTest(*conf);
    std::cout << "data: " << data.train.source << "\ntrain samples: " << data.train.size()
              << "\ntest samples: " << data.test.size() << "\nfeatures: " << data.train.dims()
              << "\nclasses: " << data.train.numClasses << "\nnormalize: " << choiceName(data.normalizer.mode) << "\n";
    for (const std::string& note : data.notes) std::cout << "note: " << note << "\n";
    const std::vector<std::string> shapeNotes = takeShapeFromData(*conf, data, given);
    for (const std::string& note : shapeNotes) std::cout << "note: " << note << "\n";
    if (!shapeNotes.empty()) {
      shape = networkShape(*conf);
      std::cout << "network: " << describeShape(*conf, shape) << "\nparameters: " << parameterCount(shape) << "\n";
    }
    int problems = 0;
    if (data.train.dims() != conf->nIn) {
      std::cerr << "error: knob 'nIn' is " << conf->nIn << " but the data has " << data.train.dims()
                << " features; set --set nIn=" << data.train.dims() << "\n";
      ++problems;
    }
    if (isStackNetwork(conf->networkClass) && data.train.numClasses > conf->nOut) {
      std::cerr << "error: knob 'nOut' is " << conf->nOut << " but the data has " << data.train.numClasses
                << " classes; set --set nOut=" << data.train.numClasses << "\n";
      ++problems;
    }
    return problems ? 1 : 0;
  } catch (const ScaleoutError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
