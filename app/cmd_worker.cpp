// `scaleout worker --connect tcp://HOST:PORT | --zk HOST:PORT --cluster NAME [--threads N] [security flags]`
#include <csignal>
#include <ctime>
#include <iostream>
#include <mutex>

#include <QCommandLineParser>

#include "cluster/worker_node.h"
#include "commands.h"
#include "config/conf.h"
#include "config/plan.h"
#include "util/error.h"

using namespace scaleout;

namespace {
cluster::WorkerNode* activeNode = nullptr;
void onSignal(int) {
  // Only sets an atomic: safe in a signal handler. The node stops within 100 ms.
  if (activeNode) activeNode->stop();
}

std::mutex logMutex;
void logLine(const std::string& line) {
  std::lock_guard lock(logMutex);
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::cout << stamp << " worker: " << line << std::endl;
}
}  // namespace

int runWorkerCommand(const QStringList& args) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Lend this machine's CPU to a master: train the rounds it sends until stopped (SIGINT/SIGTERM).\n"
      "Needs no copy of the data or the conf: the master ships both.");
  parser.addHelpOption();
  parser.addOption({"connect", "Master endpoint to connect to directly (no ZooKeeper).", "tcp://HOST:PORT"});
  parser.addOption({"zk", "ZooKeeper ensemble to find the master in.", "HOST:PORT[,HOST:PORT...]"});
  parser.addOption({"cluster", "Cluster name (ZooKeeper root /scaleout/NAME).", "NAME", "default"});
  parser.addOption({{"t", "threads"}, "Lanes to train in parallel (0 = hardware threads).", "N", "1"});
  parser.addOption({"bind", "Local address (IP or interface name) to connect to the master from; "
                            "also the address this worker registers in ZooKeeper.", "ADDR"});
  parser.addOption({"insecure", "Run without CURVE encryption and authentication (the master must too)."});
  parser.addOption({"master-key", "The master's CURVE public key, or a file holding it (default with --connect: "
                                  "~/.config/scaleout/curve/master.pub; with --zk: the key the master publishes).", "Z85|FILE"});
  parser.addOption({"cluster-secret", "Derive this worker's key from a secret file shared with the master; with --zk, "
                                      "follow only a master that proves it holds the secret, and (without --zk-auth) "
                                      "use the ZooKeeper identity derived from it.", "FILE"});
  parser.addOption({"zk-auth", "ZooKeeper digest auth (the cluster's --zk-auth; default with --cluster-secret: derived "
                               "from it).", "USER:PASSWORD|@FILE"});
  parser.addOption({"download-data", "Always fetch the training rows from the master: ignore this machine's copy of the "
                                     "data and the shard cache (~/.cache/scaleout/shards)."});
  parser.process(args);
  if (!parser.positionalArguments().isEmpty()) {
    std::cerr << "error: worker takes no positional arguments\n";
    return 2;
  }
  if (parser.isSet("connect") == parser.isSet("zk")) {
    std::cerr << "error: give exactly one of --connect tcp://HOST:PORT or --zk HOST:PORT --cluster NAME\n";
    return 2;
  }
  const bool insecure = parser.isSet("insecure");
  if (insecure && (parser.isSet("master-key") || parser.isSet("cluster-secret"))) {
    std::cerr << "error: --insecure turns CURVE off; --master-key and --cluster-secret need it on\n";
    return 2;
  }
  bool ok = false;
  const int threads = parser.value("threads").toInt(&ok);
  if (!ok || threads < 0 || threads > 1024) {
    std::cerr << "error: --threads must be an integer in [0, 1024], not '" << parser.value("threads").toStdString() << "'\n";
    return 2;
  }
  const Conf defaults;
  cluster::WorkerNodeOptions options;
  options.connect = parser.value("connect").toStdString();
  options.zkHosts = parser.value("zk").toStdString();
  options.cluster = parser.value("cluster").toStdString();
  options.bind = parser.value("bind").toStdString();
  options.useLocalData = !parser.isSet("download-data");
  if (options.bind.rfind("tcp://", 0) == 0) options.bind = options.bind.substr(6);
  if (parser.isSet("bind") && (options.bind.empty() || options.bind.find(';') != std::string::npos)) {
    std::cerr << "error: --bind takes a local IP address or interface name, not '" << parser.value("bind").toStdString() << "'\n";
    return 2;
  }
  options.threads = resolveThreads(threads);
  options.heartbeatTimeoutSeconds = defaults.heartbeatTimeoutSeconds;
  options.zkSessionTimeoutMs = static_cast<int>(defaults.zooKeeperSessionTimeoutSeconds * 1000);
  options.security.insecure = insecure;
  options.security.masterKey = parser.value("master-key").toStdString();
  options.security.clusterSecretFile = parser.value("cluster-secret").toStdString();
  if (parser.isSet("zk-auth")) {
    try {
      options.zkAuth = cluster::readZkAuthArgument(parser.value("zk-auth").toStdString());
    } catch (const ScaleoutError& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 2;
    }
  }
  options.log = logLine;
  logLine(std::string(insecure ? "INSECURE: no CURVE encryption or authentication; " : "") + std::to_string(options.threads) +
          " lane(s), " +
          (options.connect.empty() ? "cluster " + options.cluster + " via ZooKeeper " + options.zkHosts : "master " + options.connect));
  cluster::WorkerNode node(options);
  activeNode = &node;
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  const int rc = node.run();
  activeNode = nullptr;
  const auto stats = node.stats();
  logLine("trained " + std::to_string(stats.tasks) + " task(s) for " + std::to_string(stats.sessions) + " master session(s)");
  return rc;
}
