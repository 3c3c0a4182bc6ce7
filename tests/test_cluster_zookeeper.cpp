// ZooKeeper discovery against a real server (tests/fixtures/zookeeper_server.h): the
// registry's nodes and watches, a master that finds ZooKeeper unreachable and trains on,
// workers that find the master (and its CURVE key) through ZooKeeper, a run that survives
// ZooKeeper being stopped in the middle, and digest ACLs that keep other clients from
// changing the cluster's nodes.
#include <mutex>
#include <thread>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <zookeeper/zookeeper.h>

#include "cluster/master_service.h"
#include "cluster/protocol.h"
#include "cluster/security.h"
#include "cluster/zk_registry.h"
#include "data/data_source.h"
#include "fixtures/cluster_fixtures.h"
#include "fixtures/iris_conf.h"
#include "fixtures/zookeeper_server.h"
#include "train/trainer.h"

using namespace scaleout;
using namespace scaleout::cluster;
using Clock = std::chrono::steady_clock;

namespace {

QString binary() { return qEnvironmentVariable("SCALEOUT_BINARY"); }

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
  QTemporaryDir config_;

 private slots:
  void initTestCase() {
    // CURVE keys of masters and workers (which inherit the variable) live here.
    QVERIFY(config_.isValid());
    qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
    const QString missing = fixtures::ZooKeeperServer::unavailableReason();
    if (!missing.isEmpty()) QSKIP(qPrintable(missing));
    const QString failed = server_.start(30000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    data_ = loadTrainTest(fixtures::smallIrisConf(1));
  }

  void registryPublishesAndWatches() {
    fixtures::LogLines log;
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
    QVERIFY2(fixtures::waitFor([&] { return seenEndpoint() == "tcp://127.0.0.1:1"; }, 10000), qPrintable(log.text()));
    {
      ZkRegistry w1(o), w2(o);
      w1.publishWorker("w1", {{"name", "worker"}, {"id", "w1"}, {"payload", {{"threads", 1}}}});
      w2.publishWorker("w2", {{"name", "worker"}, {"id", "w2"}, {"payload", {{"threads", 2}}}});
      QVERIFY2(fixtures::waitFor([&] { return workerCount.load() == 2; }, 10000), qPrintable(log.text()));
    }
    // Closing the sessions deletes the ephemeral nodes at once, and the watch sees it.
    QVERIFY(fixtures::waitFor([&] { return workerCount.load() == 0; }, 10000));
    const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";  // a CURVE public key (Z85)
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:2"}, {"protocolVersion", kProtocolVersion}, {"publicKey", key},
                          {"host", "h1"}, {"pid", 42}, {"secretProof", std::string(64, 'f')}});
    QVERIFY(fixtures::waitFor([&] { return seenEndpoint() == "tcp://127.0.0.1:2"; }, 10000));
    // A second master of the same cluster waits for the first to leave.
    fixtures::LogLines log2;
    ZkRegistryOptions o2 = o;
    o2.log = log2.sink();
    auto second = std::make_unique<ZkRegistry>(o2);
    second->publishMaster({{"endpoint", "tcp://127.0.0.1:3"}, {"protocolVersion", kProtocolVersion}});
    QVERIFY2(fixtures::waitFor([&] { return log2.contains("another master holds"); }, 10000), qPrintable(log2.text()));
    // Named by endpoint, host and a key fingerprint: no 40-character key, no proof (#16).
    QVERIFY2(log2.contains("(tcp://127.0.0.1:2 on h1 pid 42, key rq:rM>}U…)"), qPrintable(log2.text()));
    QVERIFY2(!log2.contains(QString::fromStdString(key)) && !log2.contains("ffffffff"), qPrintable(log2.text()));
    // The first master's node is untouched by the second.
    QVERIFY(fixtures::waitFor([&] { return seenEndpoint() == "tcp://127.0.0.1:2"; }, 10000));
  }

  // A master and a worker registered and watching: once settled, they only ping. Before
  // the fix the master rewrote its own node on every pass, its own data watch fired and
  // started the next pass: about 2,400 requests a second as soon as a worker joined (half
  // of ZooKeeper's core, and the master's; checked against the old code: 10,315 requests in
  // 3 s, against 9 after the fix).
  void settledRegistrationsOnlyPing() {
    ZkRegistryOptions o;
    o.hosts = server_.hostPort().toStdString();
    o.root = clusterRoot("quiet-test");
    o.sessionTimeoutMs = 4000;
    fixtures::LogLines log;
    o.log = log.sink();
    ZkRegistry master(o);
    master.watchWorkers([](const std::vector<nlohmann::json>&) {});
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:1"}, {"protocolVersion", kProtocolVersion}});
    std::atomic<bool> found{false};
    ZkRegistry worker(o);
    worker.publishWorker("w1", {{"name", "worker"}, {"id", "w1"}});
    worker.watchMaster([&](std::optional<nlohmann::json> m) { found = found || m.has_value(); });
    QVERIFY2(fixtures::waitFor([&] { return found.load(); }, 10000), qPrintable(log.text()));
    // A pass over the registrations after the master's node exists (as a reconnect or a
    // watch event starts): it must leave the node as it is.
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:1"}, {"protocolVersion", kProtocolVersion}});
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the joins' watch events settle
    const long long before = server_.requestsReceived();
    QVERIFY(before >= 0);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const long long requests = server_.requestsReceived() - before;
    qInfo("%lld requests in 3 s from a settled master and worker", requests);
    QVERIFY2(requests < 30, qPrintable(QString("%1 requests in 3 s").arg(requests)));  // pings: ~2 per client per 4 s
  }

  // ZooKeeper SIGKILLed and restarted on the same port with an EMPTY data directory: the
  // server refuses the old sessions (their clients have seen a newer zxid than it has), and
  // the C client does not report expiry but stays in CONNECTING. The registries must notice
  // (a reachable server, no session for longer than the session timeout), start new
  // sessions, publish their nodes again and re-arm their watches. Checked against the old
  // code: it fails there (nodes still missing after the bound, clients stuck connecting).
  void sessionIsRenewedWhenZooKeeperLostItsData() {
    fixtures::ZooKeeperServer server;  // its own: this test wipes the data
    const QString started = server.start(30000);
    QVERIFY2(started.isEmpty(), qPrintable(started));
    fixtures::LogLines masterLog, workerLog, watcherLog;
    ZkRegistryOptions o;
    o.hosts = server.hostPort().toStdString();
    o.root = clusterRoot("lost-data");
    o.sessionTimeoutMs = 4000;
    ZkRegistryOptions mo = o, wo = o, so = o;
    mo.log = masterLog.sink();
    wo.log = workerLog.sink();
    so.log = watcherLog.sink();
    ZkRegistry master(mo), worker(wo), watcher(so);
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:7"}, {"protocolVersion", kProtocolVersion}});
    worker.publishWorker("w1", {{"name", "worker"}, {"id", "w1"}});
    std::mutex seenMutex;
    std::string seen;
    int seenVersion = -1;
    watcher.watchMaster([&](std::optional<nlohmann::json> m) {
      std::lock_guard lock(seenMutex);
      seen = m ? m->value("endpoint", "") : "";
      seenVersion = m ? m->value("n", -1) : -1;
    });
    auto seenEndpoint = [&] {
      std::lock_guard lock(seenMutex);
      return seen;
    };
    auto seenN = [&] {
      std::lock_guard lock(seenMutex);
      return seenVersion;
    };
    auto logs = [&] {
      return "--- master:\n" + masterLog.text() + "\n--- worker:\n" + workerLog.text() + "\n--- watcher:\n" + watcherLog.text();
    };
    QVERIFY2(fixtures::waitFor([&] { return seenEndpoint() == "tcp://127.0.0.1:7" && workerLog.contains("registered this worker"); }, 15000),
             qPrintable(logs()));
    // Transactions on the old server, so its clients have seen a zxid the new one lacks (and
    // does not reach with the few transactions of the new sessions: then the old session
    // would be found unknown and reported expired, a path that worked before).
    for (int n = 1; n <= 30; ++n) {
      master.publishMaster({{"endpoint", "tcp://127.0.0.1:7"}, {"protocolVersion", kProtocolVersion}, {"n", n}});
      QVERIFY2(fixtures::waitFor([&] { return seenN() == n; }, 5000), qPrintable(logs()));
    }
    const int timeoutMs = master.negotiatedTimeoutMs();
    QVERIFY(timeoutMs > 0 && timeoutMs <= 4000);

    server.stop();  // SIGKILL
    const QString wiped = server.wipeData();
    QVERIFY2(wiped.isEmpty(), qPrintable(wiped));
    {
      std::lock_guard lock(seenMutex);
      seen.clear();  // only a read from the new server can set it again
    }
    const QString restarted = server.start(30000);
    QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
    const auto up = Clock::now();

    // A fresh client (it has seen no zxid) is accepted at once and looks at the new tree.
    ZkRegistry observer(o);
    std::atomic<int> workersSeen{-1};
    std::atomic<bool> masterSeen{false};
    observer.watchWorkers([&](const std::vector<nlohmann::json>& w) { workersSeen = static_cast<int>(w.size()); });
    observer.watchMaster([&](std::optional<nlohmann::json> m) { masterSeen = m && m->value("endpoint", "") == "tcp://127.0.0.1:7"; });
    // Detection takes one session timeout once the server answers; then a new session.
    const int boundMs = timeoutMs + 8000;
    const bool back = fixtures::waitFor([&] { return masterSeen.load() && workersSeen.load() == 1 && seenEndpoint() == "tcp://127.0.0.1:7"; }, boundMs);
    const double took = std::chrono::duration<double>(Clock::now() - up).count();
    qInfo("after the restart with an empty data dir: master %s, workers %d, watcher %s, after %.1f s (bound %.1f s)",
          masterSeen.load() ? "back" : "missing", workersSeen.load(), seenEndpoint().empty() ? "blind" : "sees it", took,
          boundMs / 1000.0);
    if (!back)  // QVERIFY2 cuts long messages: print the logs whole
      for (const QString& line : logs().split('\n')) qInfo("%s", qPrintable(line));
    QVERIFY(back);
    QVERIFY2(masterLog.contains("answers but refuses this session (it has lost its data?); starting a new session"),
             qPrintable(masterLog.text()));
  }

  // The other side of the test above: a server restarted WITH its data after an outage
  // longer than the session timeout restores the session, and the client resumes it. The
  // registry must not mistake the first seconds of that for a refused session.
  void sessionResumesWhenZooKeeperRestartsWithItsData() {
    fixtures::ZooKeeperServer server;
    const QString started = server.start(30000);
    QVERIFY2(started.isEmpty(), qPrintable(started));
    fixtures::LogLines log;
    ZkRegistryOptions o;
    o.hosts = server.hostPort().toStdString();
    o.root = clusterRoot("kept-data");
    o.sessionTimeoutMs = 4000;
    o.log = log.sink();
    ZkRegistry worker(o);
    worker.publishWorker("w1", {{"name", "worker"}, {"id", "w1"}});
    QVERIFY2(fixtures::waitFor([&] { return log.contains("registered this worker at /scaleout/kept-data/workers/worker-w1-0000000000"); }, 15000),
             qPrintable(log.text()));
    server.stop();  // SIGKILL, data kept
    // Down for longer than the session timeout (said at 5 s).
    QVERIFY2(fixtures::waitFor([&] { return log.contains("unreachable for"); }, 10000), qPrintable(log.text()));
    const QString restarted = server.start(30000);
    QVERIFY2(restarted.isEmpty(), qPrintable(restarted));
    QVERIFY2(fixtures::waitFor([&] { return log.contains("reconnected to"); }, 10000), qPrintable(log.text()));
    std::atomic<int> workersSeen{-1};
    ZkRegistryOptions oo = o;
    oo.log = nullptr;
    ZkRegistry observer(oo);
    observer.watchWorkers([&](const std::vector<nlohmann::json>& w) { workersSeen = static_cast<int>(w.size()); });
    QVERIFY(fixtures::waitFor([&] { return workersSeen.load() == 1; }, 10000));
    // The same session: no new one, no second registration.
    QVERIFY2(!log.contains("refuses") && !log.contains("expired") && !log.contains("worker-w1-0000000001"), qPrintable(log.text()));
  }

  // Something that accepts TCP but never answers the handshake (a wrong port, a server that
  // is not serving) is not "unreachable", and it is not a server that lost its data either.
  void silentListenerIsToldApartFromUnreachable() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    QVERIFY(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    // The kernel completes the connections (backlog); nobody ever reads them.
    const bool listening = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 16) == 0 &&
                           ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const int port = ntohs(addr.sin_port);
    fixtures::LogLines log;
    bool told = false;
    if (listening) {
      ZkRegistryOptions o;
      o.hosts = "127.0.0.1:" + std::to_string(port);
      o.root = clusterRoot("silent");
      o.sessionTimeoutMs = 2000;
      o.log = log.sink();
      ZkRegistry registry(o);
      told = fixtures::waitFor([&] { return log.contains("accepts connections but gives no session within 2000 ms"); }, 8000);
    }
    ::close(fd);
    QVERIFY(listening);
    QVERIFY2(told, qPrintable(log.text()));
    QVERIFY2(!log.contains("unreachable") && !log.contains("lost its data"), qPrintable(log.text()));
  }

  void unreachableZooKeeperIsReportedAndTrainingGoesOn() {
    fixtures::LogLines log;
    Conf conf = fixtures::smallIrisConf(5);
    Trainer trainer(conf, data_);
    MasterServiceOptions o;
    o.zkHosts = "127.0.0.1:" + std::to_string(fixtures::freeLoopbackPort());
    o.cluster = "nobody-home";
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

  // The master publishes its CURVE key; a worker started --insecure is told at once why
  // it will not connect (no handshake attempt that would fail silently).
  void masterPublishesItsKeyAndAnInsecureWorkerIsTold() {
    if (binary().isEmpty() || !QFile::exists(binary())) QSKIP("SCALEOUT_BINARY is not set to the built scaleout executable");
    fixtures::LogLines log;
    Conf conf = fixtures::smallIrisConf(1);
    Trainer trainer(conf, data_);
    MasterServiceOptions o;
    o.zkHosts = server_.hostPort().toStdString();
    o.cluster = "keys";
    o.log = log.sink();
    MasterService service(conf, data_.train, trainer, o);
    QVERIFY(isZ85Key(service.publicKey()));
    QFile pub(config_.filePath("scaleout/curve/master.pub"));
    QVERIFY(pub.open(QIODevice::ReadOnly));
    QCOMPARE(pub.readAll().trimmed().toStdString(), service.publicKey());
    std::mutex seenMutex;
    nlohmann::json seen;
    ZkRegistryOptions wo;
    wo.hosts = o.zkHosts;
    wo.root = clusterRoot("keys");
    ZkRegistry observer(wo);
    observer.watchMaster([&](std::optional<nlohmann::json> m) {
      std::lock_guard lock(seenMutex);
      seen = m ? *m : nlohmann::json();
    });
    QVERIFY(fixtures::waitFor(
        [&] {
          std::lock_guard lock(seenMutex);
          return seen.is_object() && seen.value("publicKey", "") == service.publicKey();
        },
        10000));
    {
      std::lock_guard lock(seenMutex);
      QCOMPARE(seen.value("secure", false), true);
    }
    QTemporaryDir dir;
    QProcess w;
    w.setProgram(binary());
    w.setArguments({"worker", "--insecure", "--zk", server_.hostPort(), "--cluster", "keys"});
    w.setProcessChannelMode(QProcess::MergedChannels);
    w.setStandardOutputFile(dir.filePath("w.log"));
    w.start();
    QVERIFY(w.waitForStarted(10000));
    auto readLog = [&] {
      QFile f(dir.filePath("w.log"));
      return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    };
    QVERIFY2(fixtures::waitFor([&] { return readLog().contains("requires CURVE and this worker runs --insecure"); }, 10000), qPrintable(readLog()));
    w.terminate();
    QVERIFY(w.waitForFinished(10000));
    QCOMPARE(service.stats().workersJoined, 0);
  }

  // --zk-auth: nodes are creator-ALL + world-READ. A client without the credentials reads
  // the master node but can neither change nor delete it, nor add a worker; another
  // identity cannot register either, and says why.
  void digestAclKeepsOtherClientsOut() {
    fixtures::LogLines log;
    ZkRegistryOptions o;
    o.hosts = server_.hostPort().toStdString();
    o.root = clusterRoot("acl-test");
    o.sessionTimeoutMs = 4000;
    o.auth = "lab:s3cret";
    o.log = log.sink();
    ZkRegistry master(o);
    std::atomic<int> workerCount{-1};
    master.watchWorkers([&](const std::vector<nlohmann::json>& w) { workerCount = static_cast<int>(w.size()); });
    master.publishMaster({{"endpoint", "tcp://127.0.0.1:9"}, {"protocolVersion", kProtocolVersion}});
    QVERIFY2(fixtures::waitFor([&] { return log.contains("registered this master at /scaleout/acl-test/master"); }, 10000), qPrintable(log.text()));
    {
      ZkRegistry worker(o);  // same credentials: may register
      worker.publishWorker("w1", {{"name", "worker"}, {"id", "w1"}});
      QVERIFY2(fixtures::waitFor([&] { return workerCount.load() == 1; }, 10000), qPrintable(log.text()));
    }

    zhandle_t* zh = zookeeper_init(o.hosts.c_str(), nullptr, 4000, nullptr, nullptr, 0);
    QVERIFY(zh);
    const bool connected = fixtures::waitFor([&] { return zoo_state(zh) == ZOO_CONNECTED_STATE; }, 10000);
    char buf[1024];
    int len = sizeof buf;
    const int getRc = zoo_get(zh, "/scaleout/acl-test/master", 0, buf, &len, nullptr);
    const int setRc = zoo_set(zh, "/scaleout/acl-test/master", "{}", 2, -1);
    const int deleteRc = zoo_delete(zh, "/scaleout/acl-test/master", -1);
    const int createRc = zoo_create(zh, "/scaleout/acl-test/workers/intruder", "x", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0);
    const int deleteRootRc = zoo_delete(zh, "/scaleout/acl-test/workers", -1);
    struct ACL_vector acl{};
    struct Stat stat{};
    const int aclRc = zoo_get_acl(zh, "/scaleout/acl-test/master", &acl, &stat);
    QStringList entries;
    for (int i = 0; i < acl.count; ++i)
      entries << QString("%1:%2=%3").arg(acl.data[i].id.scheme, QString(acl.data[i].id.id).section(':', 0, 0)).arg(acl.data[i].perms);
    if (aclRc == ZOK) deallocate_ACL_vector(&acl);
    zookeeper_close(zh);
    QVERIFY(connected);
    QCOMPARE(getRc, int(ZOK));
    QVERIFY(QByteArray(buf, len).contains("tcp://127.0.0.1:9"));
    QCOMPARE(setRc, int(ZNOAUTH));
    QCOMPARE(deleteRc, int(ZNOAUTH));
    QCOMPARE(createRc, int(ZNOAUTH));
    QCOMPARE(deleteRootRc, int(ZNOAUTH));
    QCOMPARE(aclRc, int(ZOK));
    entries.sort();
    QCOMPARE(entries.join(" "), QString("digest:lab=%1 world:anyone=%2").arg(ZOO_PERM_ALL).arg(ZOO_PERM_READ));

    fixtures::LogLines otherLog;
    ZkRegistryOptions other = o;
    other.auth = "mallory:guess";
    other.log = otherLog.sink();
    ZkRegistry intruder(other);
    intruder.publishWorker("m1", {{"name", "worker"}, {"id", "m1"}});
    QVERIFY2(fixtures::waitFor([&] { return otherLog.contains("belong to another --zk-auth identity"); }, 10000), qPrintable(otherLog.text()));
    QCOMPARE(workerCount.load(), 0);
  }

  // Workers started before the master find it (and its key) through ZooKeeper; stopping
  // ZooKeeper in the middle of the run neither stops the run nor the connected workers,
  // and with --zk-auth everyone registers again after the restart under the same ACL.
  void discoveryAndZooKeeperLossMidRun() {
    if (binary().isEmpty() || !QFile::exists(binary())) QSKIP("SCALEOUT_BINARY is not set to the built scaleout executable");
    QTemporaryDir dir;
    auto startWorker = [&](QProcess& p, const QString& name) {
      p.setProgram(binary());
      p.setArguments({"worker", "--zk", server_.hostPort(), "--cluster", "discovery", "--threads", "1", "--zk-auth", "lab:pw"});
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
    QVERIFY2(fixtures::waitFor([&] { return readLog("a.log").contains("registered this worker"); }, 15000), qPrintable(readLog("a.log")));
    QVERIFY2(fixtures::waitFor([&] { return readLog("a.log").contains("waiting for a master of cluster discovery"); }, 10000),
             qPrintable(readLog("a.log")));

    fixtures::LogLines log;
    Conf conf = fixtures::smallIrisConf(3000);
    Trainer trainer(conf, data_);
    RemoteCounter counter;
    trainer.addObserver(&counter);
    MasterServiceOptions o;
    o.zkHosts = server_.hostPort().toStdString();
    o.cluster = "discovery";
    o.zkAuth = "lab:pw";  // the nodes must come back after the restart under the same ACL
    o.zkSessionTimeoutMs = 4000;
    o.log = log.sink();
    std::atomic<bool> ended{false};
    RunSummary run;
    {
      MasterService service(conf, data_.train, trainer, o);
      QVERIFY2(fixtures::waitFor([&] { return service.stats().workersJoined == 2; }, 20000),
               qPrintable(log.text() + "\n--- a:\n" + readLog("a.log")));
      QVERIFY2(fixtures::waitFor([&] { return log.contains("ZooKeeper lists 2 registered worker(s)"); }, 5000), qPrintable(log.text()));
      std::thread t([&] {
        run = trainer.run();
        ended = true;
      });
      const bool training = fixtures::waitFor([&] { return counter.remote.load() >= 100; }, 20000);
      server_.stop();  // ZooKeeper gone mid-run
      const long long before = counter.remote.load();
      const bool goesOn = fixtures::waitFor([&] { return counter.remote.load() >= before + 200; }, 20000);
      const bool zkNoticed = fixtures::waitFor([&] { return log.contains("lost the connection to ZooKeeper"); }, 10000);
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
      const bool reRegistered = fixtures::waitFor(
          [&] {
            std::lock_guard lock(seenMutex);
            return seen == service.endpoint() && workersSeen.load() == 2;
          },
          30000);
      trainer.control().cancel();
      if (!fixtures::waitFor([&] { return ended.load(); }, 20000)) QFAIL("the run did not end after cancel");
      t.join();
      QVERIFY(training);
      QVERIFY2(goesOn, qPrintable(log.text()));
      QVERIFY2(zkNoticed, qPrintable(log.text()));
      if (!reRegistered)  // QVERIFY2 cuts long messages: print both logs whole
        for (const QString& line : (log.text() + "\n--- a:\n" + readLog("a.log")).split('\n')) qInfo("%s", qPrintable(line));
      QVERIFY(reRegistered);
      QCOMPARE(service.stats().workersLost, 0);  // both workers kept training
      QVERIFY2(!log.contains("ZNOAUTH") && !log.contains("not authenticated"), qPrintable(log.text()));
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
