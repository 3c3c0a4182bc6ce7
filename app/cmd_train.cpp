// `scaleout train [CONF.json] [--set ...] [--out DIR] [--threads N] [--resume CHECKPOINT]`
#include <filesystem>
#include <optional>
#include <iostream>

#include <QCommandLineParser>

#include "cli_conf.h"
#include "commands.h"
#include "config/conf_io.h"
#include "io/model_file.h"
#include "config/plan.h"
#include "progress_printer.h"
#include "signal_stop.h"
#include "train/resume_check.h"
#include "run/training_run.h"
#include "util/error.h"

using namespace scaleout;


int runTrainCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription("Train a network by iterative reduce on this machine.");
  parser.addHelpOption();
  addConfOptions(parser);
  parser.addOption({{"o", "out"}, "Output directory for model.bin, best-model.bin, checkpoint.bin, metrics.csv, rounds.csv, conf.json.", "DIR", "scaleout-run"});
  parser.addOption({{"t", "threads"}, "Local worker threads (same as --set threads=N; 0 = hardware).", "N"});
  parser.addOption({"resume", "Continue from a checkpoint written by an earlier run.", "CHECKPOINT"});
  parser.addOption({"workers", "Print per-worker lines with each progress line."});
  parser.addOption({"interval", "Seconds between progress lines.", "SECONDS", "2"});
  parser.addOption({"zk", "Also train with the remote workers of --cluster, found through this ZooKeeper ensemble.", "HOST:PORT[,...]"});
  parser.addOption({"cluster", "Cluster name (ZooKeeper root /scaleout/NAME).", "NAME", "default"});
  parser.addOption({"bind", "Listen for remote workers on this ZeroMQ endpoint (default with --zk: the address of the interface "
                            "that reaches ZooKeeper, any free port); "
                            "workers can then also join with `scaleout worker --connect`.", "ENDPOINT"});
  parser.addOption({"insecure", "Remote workers without CURVE encryption or authentication (a demo on a network you trust)."});
  parser.addOption({"authorized-workers", "Allow-list of worker public keys (default: ~/.config/scaleout/curve/authorized_workers).", "FILE"});
  parser.addOption({"cluster-secret", "Also accept workers holding this shared secret file (they derive their key from it); "
                                      "it also proves this master to them in ZooKeeper and, without --zk-auth, is the "
                                      "ZooKeeper identity.", "FILE"});
  parser.addOption({"zk-auth", "ZooKeeper digest auth; the cluster's nodes become writable by this identity only "
                               "(default with --cluster-secret: an identity derived from it).", "USER:PASSWORD|@FILE"});
  parser.addPositionalArgument("conf", "Conf JSON file (omit for the defaults).", "[CONF.json]");
  parser.process(args);
  if (parser.positionalArguments().size() > 1) {
    std::cerr << "error: train takes one conf file\n";
    return 2;
  }
  std::optional<ModelFile> checkpoint;
  QString confPath = parser.positionalArguments().value(0);
  try {
    if (parser.isSet("resume")) checkpoint = readModelFile(parser.value("resume").toStdString());
  } catch (const ScaleoutError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::optional<Conf> conf;
  GivenShape given{true, true};  // a checkpoint's conf holds the shape it was trained with
  if (checkpoint && confPath.isEmpty()) {
    // Resuming without a conf: the checkpoint's own conf, plus any --set.
    std::vector<ConfIssue> issues;
    Conf c = checkpoint->conf;
    for (const QString& a : parser.values("set")) applyOverride(c, a.toStdString(), issues);
    if (issues.empty()) issues = validateConf(c);
    if (!issues.empty()) {
      std::cerr << "error:\n" << formatIssues(issues);
      return 1;
    }
    conf = c;
  } else {
    given = GivenShape{};
    conf = confFromCommandLine(parser, confPath, &given);
  }
  if (!conf) return 1;
  if (parser.isSet("threads")) {
    std::vector<ConfIssue> issues;
    setKnobFromText(*conf, "threads", parser.value("threads").toStdString(), issues);
    if (!issues.empty()) {
      std::cerr << "error: --threads: " << issues[0].message() << "\n";
      return 1;
    }
  }

  if (checkpoint && conf) {
    // A conf that leaves the shape out continues the checkpoint's, as it would have been
    // taken from the same data.
    if (!given.nIn) conf->nIn = checkpoint->conf.nIn;
    if (!given.nOut) conf->nOut = checkpoint->conf.nOut;
    given = GivenShape{true, true};
  }
  if (checkpoint) {
    // Refused before anything is written: the run folder may be the checkpoint's own.
    const ResumeComparison diff = compareForResume(checkpoint->conf, *conf);
    if (!diff.refused.empty()) {
      std::cerr << "error: " << describeRefusedResume(diff) << "\n";
      return 1;
    }
  }
  const std::filesystem::path out = parser.value("out").toStdString();
  try {
    RunOptions options;
    options.directory = out.string();
    options.given = given;
    options.resume = std::move(checkpoint);
    // Without --zk or --bind nothing about the cluster (or ZooKeeper) is touched.
    if (parser.isSet("zk") || parser.isSet("bind")) {
      cluster::MasterServiceOptions co;
      if (parser.isSet("bind")) co.bind = parser.value("bind").toStdString();
      co.zkHosts = parser.value("zk").toStdString();
      co.cluster = parser.value("cluster").toStdString();
      co.security.insecure = parser.isSet("insecure");
      co.security.authorizedWorkers = parser.value("authorized-workers").toStdString();
      co.security.clusterSecretFile = parser.value("cluster-secret").toStdString();
      if (co.security.insecure && (parser.isSet("authorized-workers") || parser.isSet("cluster-secret"))) {
        std::cerr << "error: --insecure turns CURVE off; --authorized-workers and --cluster-secret need it on\n";
        return 2;
      }
      if (parser.isSet("zk-auth")) co.zkAuth = cluster::readZkAuthArgument(parser.value("zk-auth").toStdString());
      co.log = [](const std::string& line) {
        std::printf("cluster: %s\n", line.c_str());
        std::fflush(stdout);
      };
      options.cluster = std::move(co);
    }
    TrainingRun run(*conf, std::move(options));
    std::cout << "loading data..." << std::endl;
    const std::vector<std::string> notes = run.prepare();
    const TrainTestData& data = run.data();
    std::cout << "data: " << data.train.source << " (" << data.train.size() << " train, " << data.test.size()
              << " test, " << data.train.dims() << " features, " << data.train.numClasses << " classes)\n";
    for (const std::string& note : notes) std::cout << "note: " << note << "\n";
    const auto shape = networkShape(run.conf());
    std::cout << "network: " << describeShape(run.conf(), shape) << ", " << parameterCount(shape) << " parameters, "
              << resolveThreads(run.conf().threads) << " worker thread(s), averaging every "
              << run.conf().averagingFrequency << " minibatches\n";
    Trainer& trainer = run.trainer();
    ProgressPrinter printer(parser.value("interval").toDouble(), parser.isSet("workers"));
    trainer.addObserver(&printer);
    RunSummary summary;
    {
      SignalStop stopOnSignal(trainer.control());
      summary = run.run();
    }
    run.saveModels();
    std::cout << "\nfinal evaluation on " << summary.finalEvaluation.samples << " test samples:\n"
              << summary.finalEvaluation.format();
    std::cout << "model: " << run.pathOf("model.bin") << "\nmetrics: " << run.pathOf("metrics.csv") << "\n";
    if (trainer.bestModel())
      std::printf("best model: %s (test accuracy %.4f after finetune epoch %d)\n", run.pathOf("best-model.bin").c_str(),
                  summary.bestAccuracy, summary.bestEpoch);
    std::printf("trained %lld iterations in %.1f s (model statistics every %d iterations took %.2f s, %.2f%%)\n",
                summary.iterations, summary.seconds, conf->statsEvery, printer.statsSeconds(),
                summary.seconds > 0 ? 100.0 * printer.statsSeconds() / summary.seconds : 0.0);
    if (summary.cancelled) {
      if (summary.stopCheckpoint.empty())
        std::cout << "training was stopped; no checkpoint was written at the stop point (see the messages above)\n";
      else
        std::cout << "training was stopped at iteration " << summary.iterations
                  << "; resume with: scaleout train --resume " << summary.stopCheckpoint << " --out " << out.string() << "\n";
      return 130;
    }
    if (!summary.error.empty()) {
      std::cerr << "error: " << summary.error << "\n";
      return 1;
    }
    return 0;
  } catch (const ConfError& e) {
    std::cerr << "error:\n" << e.what();
    return 1;
  } catch (const ScaleoutError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
