// `scaleout train [CONF.json] [--set ...] [--out DIR] [--threads N] [--resume CHECKPOINT]`
#include <filesystem>
#include <optional>
#include <iostream>

#include <QCommandLineParser>

#include "cli_conf.h"
#include "cluster/master_service.h"
#include "commands.h"
#include "config/conf_io.h"
#include "data/data_source.h"
#include "io/model_file.h"
#include "nn/network_shape.h"
#include "progress_printer.h"
#include "signal_stop.h"
#include "train/metrics_writer.h"
#include "train/resume_check.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace scaleout;


int runTrainCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription("Train a network by iterative reduce on this machine.");
  parser.addHelpOption();
  addConfOptions(parser);
  parser.addOption({{"o", "out"}, "Output directory for model.bin, checkpoint.bin, metrics.csv, conf.json.", "DIR", "scaleout-run"});
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
    // Without --zk or --bind nothing about the cluster (or ZooKeeper) is touched.
    std::optional<cluster::MasterServiceOptions> clusterOptions;
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
      co.zkSessionTimeoutMs = static_cast<int>(conf->zooKeeperSessionTimeoutSeconds * 1000);
      co.log = [](const std::string& line) {
        std::printf("cluster: %s\n", line.c_str());
        std::fflush(stdout);
      };
      clusterOptions = std::move(co);
    }
    // A network whose shape the conf fixes is known before the data: the master listens and
    // registers first, so workers join and load their own copy while it loads (on the
    // reference MLP on one-core hosts, ~0.8 s of the master training alone). A shape taken
    // from the data has to wait for it.
    std::unique_ptr<cluster::MasterService> clusterService;
    if (clusterOptions && given.nIn && given.nOut) clusterService = std::make_unique<cluster::MasterService>(*conf, *clusterOptions);
    std::cout << "loading data...\n";
    TrainTestData data = loadTrainTest(*conf);
    // After the data: a missing or unreadable file leaves no run folder behind.
    std::filesystem::create_directories(out);
    std::cout << "data: " << data.train.source << " (" << data.train.size() << " train, " << data.test.size()
              << " test, " << data.train.dims() << " features, " << data.train.numClasses << " classes)\n";
    for (const std::string& note : data.notes) std::cout << "note: " << note << "\n";
    for (const std::string& note : takeShapeFromData(*conf, data, given)) std::cout << "note: " << note << "\n";
    // Saved after the shape is known, so the run's conf.json trains the same network again.
    saveConfFile(*conf, (out / "conf.json").string());
    const auto shape = networkShape(*conf);
    std::cout << "network: " << describeShape(*conf, shape) << ", " << parameterCount(shape) << " parameters, "
              << resolveThreads(conf->threads) << " worker thread(s), averaging every " << conf->averagingFrequency
              << " minibatches\n";
    TrainerOptions options;
    options.checkpointPath = (out / "checkpoint.bin").string();
    Trainer trainer(*conf, data, options);
    if (checkpoint) trainer.resumeFrom(*checkpoint);
    ProgressPrinter printer(parser.value("interval").toDouble(), parser.isSet("workers"));
    MetricsWriter metrics((out / "metrics.csv").string());
    trainer.addObserver(&printer);
    trainer.addObserver(&metrics);
    if (clusterOptions && !clusterService)
      clusterService = std::make_unique<cluster::MasterService>(*conf, data.train, trainer, *clusterOptions);
    else if (clusterService)
      clusterService->attach(data.train, trainer);
    // The service holds the rows and the trainer: it stops before they go, also when an
    // exception unwinds this block (it was declared before them).
    struct StopCluster {
      std::unique_ptr<cluster::MasterService>& service;
      ~StopCluster() { service.reset(); }
    } stopCluster{clusterService};
    RunSummary summary;
    {
      SignalStop stopOnSignal(trainer.control());
      summary = trainer.run();
    }
    clusterService.reset();  // workers go back to waiting
    const std::string modelPath = (out / "model.bin").string();
    writeModelFile(modelPath, trainer.model());
    std::cout << "\nfinal evaluation on " << summary.finalEvaluation.samples << " test samples:\n"
              << summary.finalEvaluation.format();
    std::cout << "model: " << modelPath << "\nmetrics: " << (out / "metrics.csv").string() << "\n";
    if (auto best = trainer.bestModel()) {
      const std::string bestPath = (out / "best-model.bin").string();
      writeModelFile(bestPath, *best);
      std::printf("best model: %s (test accuracy %.4f after finetune epoch %d)\n", bestPath.c_str(), summary.bestAccuracy,
                  summary.bestEpoch);
    }
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
