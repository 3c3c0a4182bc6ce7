// ZooKeeper discovery against a real server (tests/fixtures/zookeeper_server.h): the
// registry's nodes and watches, a master that finds ZooKeeper unreachable and trains on,
// workers that find the master through ZooKeeper, and a run that survives ZooKeeper
// being stopped in the middle.
#include <mutex>
#include <thread>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "cluster/master_service.h"
#include "cluster/protocol.h"
#include "cluster/zk_registry.h"
#include "data/data_source.h"
#include "fixtures/zookeeper_server.h"
#include "train/trainer.h"

using namespace scaleout;
using namespace scaleout::cluster;
using Clock = std::chrono::steady_clock;

namespace {

QString binary() { return qEnvironmentVariable("SCALEOUT_BINARY"); }

template <typename Pred>
bool waitFor(Pred pred, int ms) {
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class LogLines {
 public:
  LogFn sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_ << QString::fromStdString(line);
    };
  }
  bool contains(const QString& part) {
    std::lock_guard lock(mutex_);
    return lines_.join("\n").contains(part);
  }
  QString text() {
    std::lock_guard lock(mutex_);
    return lines_.join("\n");
  }

 private:
  std::mutex mutex_;
  QStringList lines_;
};

Conf irisConf(int epochs) {
  Conf c;
  c.networkClass = "mlp";
  c.nIn = 4;
  c.nOut = 3;
  c.layerSizes = {16};
  c.activation = "tanh";
  c.finetuneEpochs = epochs;
  c.finetuneLearningRate = 0.05;
  c.batchSize = 10;
  c.dataset = "csv";
  c.trainData = qEnvironmentVariable("SCALEOUT_SOURCE_DIR").toStdString() + "/resources/data/iris.csv";
  c.normalize = "zscore";
  c.testFraction = 0.2;
  c.threads = 1;
  c.averagingFrequency = 1;
  c.checkpointEveryEpochs = 0;
  c.checkpointEveryMinutes = 0;
  c.evalEvery = 0;
  c.statsEvery = 0;
  return c;
}

class RemoteCounter : public TrainingObserver {
 public:
  void onRound(const RoundInfo& r) override {
    for (const auto& w : r.workers)
      if (w.arrived && w.id.rfind("local", 0) != 0) ++remote;
    ++rounds;
  }
  std::atomic<long long> remote{0}, rounds{0};
};

}  // namespace

class TestClusterZooKeeper : public QObject {
  Q_OBJECT

  fixtures::ZooKeeperServer server_;
  TrainTestData data_;

 private slots:
  void initTestCase() {
    const QString missing = fixtures::ZooKeeperServer::unavailableReason();
    if (!missing.isEmpty()) QSKIP(qPrintable(missing));
    const QString failed = server_.start(30000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    data_ = loadTrainTest(irisConf(1));
  }

  void registryPublishesAndWatches() {
    LogLines log;
    ZkRegistryOptions o;
    o.hosts = server_.hostPort().toStdString();
    o.root = clusterRoot("registry-test");
    o.sessionTimeoutMs = 4000;
    o.log = log.sink();
    ZkRegistry master(o);
    QVERIFY2(master.waitConnected(std::chrono::seconds(10)), qPrintable(log.text()));
    std::atomic<int> workerCount{-1};
    master.watchWorkers([&](const std::vector<nlohmann::json>& w) { workerCount = static_cast<int>(w.size()); });
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:1"}, {"protocolVersion", kProtocolVersion}});

    std::mutex seenMutex;
    std::string seen;
    ZkRegistry watcher(o);
    watcher.watchMaster([&](std::optional<nlohmann::json> m) {
      std::lock_guard lock(seenMutex);
      seen = m ? m->value("endpoint", "") : "";
    });
    auto seenEndpoint = [&] {
      std::lock_guard lock(seenMutex);
      return seen;
    };
    QVERIFY2(waitFor([&] { return seenEndpoint() == "tcp://127.0.0.1:1"; }, 10000), qPrintable(log.text()));
    {
      ZkRegistry w1(o), w2(o);
      w1.publishWorker("w1", {{"name", "worker"}, {"id", "w1"}, {"payload", {{"threads", 1}}}});
      w2.publishWorker("w2", {{"name", "worker"}, {"id", "w2"}, {"payload", {{"threads", 2}}}});
      QVERIFY2(waitFor([&] { return workerCount.load() == 2; }, 10000), qPrintable(log.text()));
    }
    // Closing the sessions deletes the ephemeral nodes at once, and the watch sees it.
    QVERIFY(waitFor([&] { return workerCount.load() == 0; }, 10000));
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:2"}, {"protocolVersion", kProtocolVersion}});
    // A second master of the same cluster waits for the first to leave.
    LogLines log2;
    ZkRegistryOptions o2 = o;
    o2.log = log2.sink();
    auto second = std::make_unique<ZkRegistry>(o2);
    second->publishMaster({{"endpoint", "tcp://127.0.0.1:3"}, {"protocolVersion", kProtocolVersion}});
    QVERIFY2(waitFor([&] { return log2.contains("another master holds"); }, 10000), qPrintable(log2.text()));
    // The first master's node is untouched by the second.
    QVERIFY(waitFor([&] { return seenEndpoint() == "tcp://127.0.0.1:2"; }, 10000));
  }

  void unreachableZooKeeperIsReportedAndTrainingGoesOn() {
    LogLines log;
    Conf conf = irisConf(5);
    Trainer trainer(conf, data_);
    MasterServiceOptions o;
    o.zkHosts = "127.0.0.1:" + std::to_string(fixtures::freeLoopbackPort());
    o.cluster = "nobody-home";
    o.insecure = true;
    o.zkSessionTimeoutMs = 2000;
    o.log = log.sink();
    const auto t0 = Clock::now();
    MasterService service(conf, data_.train, trainer, o);
    const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
    QVERIFY2(log.contains("unreachable"), qPrintable(log.text()));
    QVERIFY(waited < 4.0);  // said so within the session timeout (plus slack)
    const RunSummary run = trainer.run();
    QVERIFY2(run.completed, run.error.c_str());
  }

  void masterRefusesToStartWithoutInsecure() {
    Conf conf = irisConf(1);
    Trainer trainer(conf, data_);
    MasterServiceOptions o;
    o.zkHosts = server_.hostPort().toStdString();
    try {
      MasterService service(conf, data_.train, trainer, o);
      QFAIL("a cluster master started without CURVE and without --insecure");
    } catch (const std::exception& e) {
      QVERIFY(QString(e.what()).contains("--insecure"));
    }
  }

  // Workers started before the master find it through ZooKeeper; stopping ZooKeeper in
  // the middle of the run neither stops the run nor the connected workers.
  void discoveryAndZooKeeperLossMidRun() {
    if (binary().isEmpty() || !QFile::exists(binary())) QSKIP("SCALEOUT_BINARY is not set to the built scaleout executable");
    QTemporaryDir dir;
    auto startWorker = [&](QProcess& p, const QString& name) {
      p.setProgram(binary());
      p.setArguments({"worker", "--insecure", "--zk", server_.hostPort(), "--cluster", "discovery", "--threads", "1"});
      p.setProcessChannelMode(QProcess::MergedChannels);
      p.setStandardOutputFile(dir.filePath(name));
      p.start();
      return p.waitForStarted(10000);
    };
    auto readLog = [&](const QString& name) {
      QFile f(dir.filePath(name));
      return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    };
    QProcess a, b;
    QVERIFY(startWorker(a, "a.log"));
    QVERIFY(startWorker(b, "b.log"));
    QVERIFY2(waitFor([&] { return readLog("a.log").contains("registered this worker"); }, 15000), qPrintable(readLog("a.log")));
    QVERIFY2(waitFor([&] { return readLog("a.log").contains("waiting for a master of cluster discovery"); }, 10000),
             qPrintable(readLog("a.log")));

    LogLines log;
    Conf conf = irisConf(3000);
    Trainer trainer(conf, data_);
    RemoteCounter counter;
    trainer.addObserver(&counter);
    MasterServiceOptions o;
    o.zkHosts = server_.hostPort().toStdString();
    o.cluster = "discovery";
    o.insecure = true;
    o.zkSessionTimeoutMs = 4000;
    o.log = log.sink();
    std::atomic<bool> ended{false};
    RunSummary run;
    {
      MasterService service(conf, data_.train, trainer, o);
      QVERIFY2(waitFor([&] { return service.stats().workersJoined == 2; }, 20000),
               qPrintable(log.text() + "\n--- a:\n" + readLog("a.log")));
      QVERIFY2(waitFor([&] { return log.contains("ZooKeeper lists 2 registered worker(s)"); }, 5000), qPrintable(log.text()));
      std::thread t([&] {
        run = trainer.run();
        ended = true;
      });
      const bool training = waitFor([&] { return counter.remote.load() >= 100; }, 20000);
      server_.stop();  // ZooKeeper gone mid-run
      const long long before = counter.remote.load();
      const bool goesOn = waitFor([&] { return counter.remote.load() >= before + 200; }, 20000);
      const bool zkNoticed = waitFor([&] { return log.contains("lost the connection to ZooKeeper"); }, 10000);
      // ZooKeeper back (same port and data): the master's and workers' nodes return, on the
      // old session or, if it expired meanwhile, on a new one.
      const QString restarted = server_.start(30000);
      QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
      std::mutex seenMutex;
      std::string seen;
      std::atomic<int> workersSeen{0};
      ZkRegistryOptions wo;
      wo.hosts = server_.hostPort().toStdString();
      wo.root = clusterRoot("discovery");
      ZkRegistry observer(wo);
      observer.watchMaster([&](std::optional<nlohmann::json> m) {
        std::lock_guard lock(seenMutex);
        seen = m ? m->value("endpoint", "") : "";
      });
      observer.watchWorkers([&](const std::vector<nlohmann::json>& w) { workersSeen = static_cast<int>(w.size()); });
      const bool reRegistered = waitFor(
          [&] {
            std::lock_guard lock(seenMutex);
            return seen == service.endpoint() && workersSeen.load() == 2;
          },
          30000);
      trainer.control().cancel();
      if (!waitFor([&] { return ended.load(); }, 20000)) QFAIL("the run did not end after cancel");
      t.join();
      QVERIFY(training);
      QVERIFY2(goesOn, qPrintable(log.text()));
      QVERIFY2(zkNoticed, qPrintable(log.text()));
      QVERIFY2(reRegistered, qPrintable(log.text() + "\n--- a:\n" + readLog("a.log")));
      QCOMPARE(service.stats().workersLost, 0);  // both workers kept training
    }
    QVERIFY(run.error.empty());
    // The workers outlived ZooKeeper's absence and the run.
    QCOMPARE(a.state(), QProcess::Running);
    QCOMPARE(b.state(), QProcess::Running);
    a.terminate();
    b.terminate();
    QVERIFY(a.waitForFinished(10000));
    QVERIFY(b.waitForFinished(10000));
    QCOMPARE(a.exitCode(), 0);
  }
};

QTEST_GUILESS_MAIN(TestClusterZooKeeper)
#include "test_cluster_zookeeper.moc"
