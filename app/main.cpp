// scaleout: one executable, subcommands for each role. Thin: parses and dispatches.
#include <cstdio>
#include <iostream>
#include <string_view>

#include <QCoreApplication>

#include "commands.h"
#ifdef SCALEOUT_HAS_GUI
#include "gui_main.h"
#endif

namespace {

void printUsage() {
  std::cout << "Scaleout Studio " SCALEOUT_VERSION " - train neural networks by iterative reduce\n\n"
               "Usage: scaleout <command> [options]\n\n"
               "Commands:\n"
               "  gui [CONF.json]  the desktop app (also what `scaleout` alone starts)\n"
               "  knobs            list every training knob (type, default, range, help)\n"
               "  check CONF.json  validate a conf, load its data and summarise the network\n"
               "  train CONF.json  train by iterative reduce on this machine (--threads N, --out DIR, --resume)\n"
               "  eval MODEL       evaluate a saved model on its conf's test data or --data/--labels\n"
               "  predict MODEL    write predicted class and probabilities per row (--data FILE --out CSV)\n"
               "  worker           lend this machine to a master (--connect tcp://HOST:PORT or --zk HOST:PORT --cluster NAME)\n\n"
               "Options:\n"
               "  -h, --help       this help; `scaleout <command> --help` for a command's options\n"
               "  -v, --version    print the version\n";
}

}  // namespace

int main(int argc, char** argv) {
#ifdef SCALEOUT_HAS_GUI
  // No command (or `gui`): the desktop app, which creates its own QApplication. Every
  // other command stays headless on the QCoreApplication below and needs no display.
  if (argc < 2 || std::string_view(argv[1]) == "gui") return scaleout::ui::runGui(argc, argv);
#endif
  // Log lines go out as they are made, also into a pipe (`scaleout train ... | tee`, a
  // supervisor's log): with the default block buffering a line could wait for kilobytes.
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
  QCoreApplication app(argc, argv);
  QCoreApplication::setApplicationName("scaleout");
  QCoreApplication::setApplicationVersion(SCALEOUT_VERSION);
  QStringList args = app.arguments();
  if (args.size() < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help") {
    printUsage();
    return args.size() < 2 ? 2 : 0;
  }
  if (args[1] == "-v" || args[1] == "--version") {
    std::cout << "scaleout " SCALEOUT_VERSION "\n";
    return 0;
  }
  const QString command = args[1];
  QStringList rest = args.mid(2);
  rest.prepend(args[0] + " " + command);
  if (command == "knobs") return runKnobsCommand(rest);
  if (command == "check") return runCheckCommand(rest);
  if (command == "train") return runTrainCommand(rest);
  if (command == "eval") return runEvalCommand(rest);
  if (command == "predict") return runPredictCommand(rest);
  if (command == "worker") return runWorkerCommand(rest);
  std::cerr << "error: unknown command '" << command.toStdString() << "'; run `scaleout --help`\n";
  return 2;
}
