// Which master a worker follows (issue #17 parts 2 and 5), against a real ZooKeeper
// server: a rogue that rewrites /scaleout/NAME/master (a raw, unauthenticated ZooKeeper
// client plus a second ClusterMaster with its own key pair that admits the worker's key,
// copied from the worker's world-readable registration) must not take a worker off the
// master it trains for; with --cluster-secret only a master that proves the secret is
// trusted; the master whose node was taken raises an ALARM; and the end of a run and a
// mismatched --insecure worker are each said once, not repeated or misdiagnosed.
// Masters (MasterService + Trainer) and workers (WorkerNode) run in this process, each
// with its own temporary config dir (its own CURVE keys).
#include <mutex>
#include <thread>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <zookeeper/zookeeper.h>

#include "cluster/cluster_master.h"
#include "cluster/master_service.h"
#include "cluster/master_trust.h"
#include "cluster/protocol.h"
#include "cluster/security.h"
#include "cluster/worker_node.h"
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

std::string hex64(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A ZooKeeper client of our own (the attacker's), optionally with digest credentials.
class RawZk {
 public:
  explicit RawZk(const std::string& hosts, const std::string& auth = "") {
    zh_ = zookeeper_init(hosts.c_str(), nullptr, 4000, nullptr, nullptr, 0);
    if (zh_ && !auth.empty()) zoo_add_auth(zh_, "digest", auth.data(), static_cast<int>(auth.size()), nullptr, nullptr);
  }
  ~RawZk() { close(); }
  RawZk(const RawZk&) = delete;
  RawZk& operator=(const RawZk&) = delete;
  void close() {
    if (zh_) zookeeper_close(zh_);  // its ephemeral nodes vanish with the session
    zh_ = nullptr;
  }
  bool connected() { return zh_ && fixtures::waitFor([&] { return zoo_state(zh_) == ZOO_CONNECTED_STATE; }, 10000); }

  int createPersistent(const std::string& path) {
    return zoo_create(zh_, path.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0);
  }

  // Deletes ROOT/master and creates it with `node` in one transaction, so the master that
  // held it cannot win the node back in between.
  int replaceMaster(const std::string& root, const nlohmann::json& node) {
    const std::string path = root + "/master", data = node.dump();
    zoo_op_t ops[2];
    zoo_op_result_t results[2];
    zoo_delete_op_init(&ops[0], path.c_str(), -1);
    zoo_create_op_init(&ops[1], path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
                       nullptr, 0);
    return zoo_multi(zh_, 2, ops, results);
  }

  // The public key a worker registered under ROOT/workers (world-readable).
  std::string firstWorkerKey(const std::string& root) {
    struct String_vector children{};
    if (zoo_get_children(zh_, (root + "/workers").c_str(), 0, &children) != ZOK) return "";
    std::string key;
    for (int i = 0; i < children.count && key.empty(); ++i) {
      char buf[8192];
      int len = sizeof buf;
      if (zoo_get(zh_, (root + "/workers/" + children.data[i]).c_str(), 0, buf, &len, nullptr) != ZOK || len <= 0) continue;
      const auto j = nlohmann::json::parse(std::string(buf, static_cast<size_t>(len)), nullptr, false);
      if (!j.is_discarded() && j.contains("payload")) key = j["payload"].value("publicKey", "");
    }
    deallocate_String_vector(&children);
    return key;
  }

 private:
  zhandle_t* zh_ = nullptr;
};

class RemoteCounter : public TrainingObserver {
 public:
  void onRound(const RoundInfo& r) override {
    for (const auto& w : r.workers)
      if (w.arrived && w.id.rfind("local", 0) != 0) ++remote;
  }
  std::atomic<long long> remote{0};
};

// A master as `scaleout train --zk` runs it: trainer, MasterService, the run on a thread.
class RealMaster {
 public:
  RealMaster(const TrainTestData& data, MasterServiceOptions options) : trainer_(fixtures::smallIrisConf(100000), data) {
    trainer_.addObserver(&counter_);
    options.log = log.sink();
    service_ = std::make_unique<MasterService>(fixtures::smallIrisConf(100000), data.train, trainer_, options);
    thread_ = std::thread([this] { trainer_.run(); });
  }
  ~RealMaster() { end(); }
  // Ends the run and says Bye to the workers, as `scaleout train` does at the end.
  void end() {
    if (!service_) return;
    trainer_.control().cancel();
    thread_.join();
    service_.reset();
  }
  MasterService& service() { return *service_; }
  long long remoteResults() const { return counter_.remote.load(); }
  fixtures::LogLines log;

 private:
  Trainer trainer_;
  RemoteCounter counter_;
  std::unique_ptr<MasterService> service_;
  std::thread thread_;
};

class WorkerUnderTest {
 public:
  explicit WorkerUnderTest(WorkerNodeOptions options) {
    options.log = log.sink();
    node_ = std::make_unique<WorkerNode>(std::move(options));
    thread_ = std::thread([this] { node_->run(); });
  }
  ~WorkerUnderTest() {
    node_->stop();
    thread_.join();
  }
  WorkerNodeStats stats() const { return node_->stats(); }
  fixtures::LogLines log;

 private:
  std::unique_ptr<WorkerNode> node_;
  std::thread thread_;
};

// The rogue's ZeroMQ side: its own key pair, and an allow-list holding the worker's key.
struct Rogue {
  QTemporaryDir dir;
  fixtures::LogLines log;
  std::unique_ptr<ClusterMaster> master;

  void start(const TrainTestData& data, const std::string& workerKey) {
    QFile allow(dir.filePath("authorized_workers"));
    if (allow.open(QIODevice::WriteOnly)) allow.write(QByteArray::fromStdString(workerKey) + " copied-from-zookeeper\n");
    allow.close();
    ClusterMasterOptions o;
    o.security.configDir = dir.path().toStdString();
    o.security.authorizedWorkers = allow.fileName().toStdString();
    o.log = log.sink();
    master = std::make_unique<ClusterMaster>(fixtures::smallIrisConf(100000), data.train, o);
  }
  nlohmann::json node(const std::string& proof = "") const {
    nlohmann::json n = {{"endpoint", master->endpoint()}, {"protocolVersion", kProtocolVersion}, {"publicKey", master->publicKey()},
                        {"secure", true}, {"host", "rogue"}, {"pid", 1}, {"runId", hex64(master->runId())}};
    if (!proof.empty()) n["secretProof"] = proof;
    return n;
  }
};

QString secretFile(const QTemporaryDir& dir) {
  const QString path = dir.filePath("lab.secret");
  QFile f(path);
  if (f.open(QIODevice::WriteOnly)) f.write("the lab cluster's shared secret, 32+ bytes\n");
  f.close();
  f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
  return path;
}

}  // namespace

class TestClusterTrust : public QObject {
  Q_OBJECT

  fixtures::ZooKeeperServer server_;
  TrainTestData data_;

  MasterServiceOptions masterOptions(const QString& cluster, const QTemporaryDir& config) {
    MasterServiceOptions o;
    o.zkHosts = server_.hostPort().toStdString();
    o.cluster = cluster.toStdString();
    o.security.configDir = config.path().toStdString();
    o.zkSessionTimeoutMs = 4000;
    return o;
  }
  WorkerNodeOptions workerOptions(const QString& cluster, const QTemporaryDir& config) {
    WorkerNodeOptions o;
    o.zkHosts = server_.hostPort().toStdString();
    o.cluster = cluster.toStdString();
    o.threads = 1;
    o.zkSessionTimeoutMs = 4000;
    o.waitingLogSeconds = 0.3;  // repeated lines show up within the test's windows
    o.security.configDir = config.path().toStdString();
    return o;
  }

  // The rogue takes over ROOT/master; afterwards the worker must still train for `real`.
  void expectWorkerStaysWithRealMaster(RealMaster& real, WorkerUnderTest& worker, Rogue& rogue, const QString& refusal) {
    const long long tasksBefore = worker.stats().tasks;
    const long long resultsBefore = real.remoteResults();
    // Longer than the 0.35 s the move took, and than the 3 s heartbeat timeout.
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    QVERIFY2(worker.stats().sessions == 1, qPrintable(worker.log.text()));
    QVERIFY2(!worker.log.contains("leaving the master"), qPrintable(worker.log.text()));
    QVERIFY2(worker.stats().tasks > tasksBefore + 20, qPrintable(worker.log.text()));
    QVERIFY(real.remoteResults() > resultsBefore + 20);
    QCOMPARE(real.service().stats().workersLost, 0);
    QCOMPARE(rogue.master->stats().workersJoined, 0);  // no Ready
    QCOMPARE(rogue.master->stats().resultsReceived, uint64_t{0});
    QVERIFY2(worker.log.contains(refusal), qPrintable(worker.log.text()));
    QVERIFY2(fixtures::waitFor([&] { return real.log.contains("ALARM: "); }, 5000), qPrintable(real.log.text()));
  }

 private slots:
  void initTestCase() {
    const QString missing = fixtures::ZooKeeperServer::unavailableReason();
    if (!missing.isEmpty()) QSKIP(qPrintable(missing));
    const QString failed = server_.start(30000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    data_ = loadTrainTest(fixtures::smallIrisConf(1));
  }

  // The rules on their own: pin, then secret proof, then --zk-auth, then trust on first use.
  void masterTrustRules() {
    const std::string a = newKeyPair().publicKey, b = newKeyPair().publicKey;
    auto node = [](const std::string& key, const std::string& proof = "") {
      nlohmann::json n = {{"endpoint", "tcp://10.0.0.1:5560"}, {"publicKey", key}, {"runId", "00000000000000ff"}};
      if (!proof.empty()) n["secretProof"] = proof;
      return n;
    };
    // Options set by name (an aggregate list leaves members unnamed: -Wmissing-field-initializers).
    auto options = [](const std::string& pinned, const std::string& proof, const std::string& origin, bool zk) {
      MasterTrustOptions o;
      o.cluster = "lab";
      o.pinnedKey = pinned;
      o.proofKey = proof;
      o.secretOrigin = origin;
      o.zkProtected = zk;
      return o;
    };
    MasterTrust tofu(options("", "", "", false));
    QVERIFY(tofu.judge(node(a)).note.find("trusted on first use") != std::string::npos);
    QVERIFY(tofu.judge(node(a)).trusted);
    const MasterVerdict refused = tofu.judge(node(b));
    QVERIFY(!refused.trusted);
    QVERIFY2(refused.note.find("refusing the new master key " + b) != std::string::npos, refused.note.c_str());

    const MasterTrustOptions pinned = options(b, "", "", false);
    QVERIFY(!MasterTrust(pinned).judge(node(a)).trusted);
    QVERIFY(MasterTrust(pinned).judge(node(b)).trusted);

    QTemporaryDir dir;
    const std::string proofKey = masterProofKeyFromClusterSecret(secretFile(dir).toStdString());
    QCOMPARE(proofKey.size(), size_t{32});
    MasterTrust secret(options("", proofKey, "--cluster-secret lab.secret", false));
    const std::string proof = masterNodeProof(proofKey, "tcp://10.0.0.1:5560", a, "00000000000000ff");
    QVERIFY(secret.judge(node(a, proof)).trusted);
    QVERIFY(!secret.judge(node(a)).trusted);                   // no proof, even for the first key
    QVERIFY(!secret.judge(node(b, proof)).trusted);            // a proof for another key
    nlohmann::json moved = node(a, proof);
    moved["endpoint"] = "tcp://10.6.6.6:5560";                  // the same proof, another endpoint
    QVERIFY(!secret.judge(moved).trusted);
    QVERIFY(MasterTrust(options("", "", "", true)).judge(node(b)).trusted);  // --zk-auth

    // Each use of the secret gets its own value; none equals the CURVE secret key's bytes.
    const std::string zkAuth = zkAuthFromClusterSecret(secretFile(dir).toStdString());
    QVERIFY(zkAuth.rfind("scaleout:", 0) == 0 && zkAuth.size() == 9 + 64);
    QCOMPARE(effectiveZkAuth("", SecurityOptions{false, "", "", secretFile(dir).toStdString(), ""}), zkAuth);
    QCOMPARE(effectiveZkAuth("me:pw", SecurityOptions{false, "", "", secretFile(dir).toStdString(), ""}), std::string("me:pw"));
    QCOMPARE(effectiveZkAuth("", SecurityOptions{}), std::string());
  }

  // Default settings (no --master-key, --cluster-secret or --zk-auth): the first master key
  // is trusted on first use; the rogue's new key is refused, and the worker stays.
  void rogueMasterNodeDoesNotTakeTheWorker() {
    QTemporaryDir user;
    const QString cluster = "trust-default", root = "/scaleout/" + cluster;
    RealMaster real(data_, masterOptions(cluster, user));
    WorkerUnderTest worker(workerOptions(cluster, user));
    QVERIFY2(fixtures::waitFor([&] { return real.remoteResults() >= 20; }, 20000), qPrintable(worker.log.text() + "\n" + real.log.text()));

    RawZk attacker(server_.hostPort().toStdString());
    QVERIFY(attacker.connected());
    Rogue rogue;
    const std::string workerKey = attacker.firstWorkerKey(root.toStdString());
    QVERIFY(isZ85Key(workerKey));
    rogue.start(data_, workerKey);
    QCOMPARE(attacker.replaceMaster(root.toStdString(), rogue.node()), int(ZOK));
    expectWorkerStaysWithRealMaster(real, worker, rogue, "refusing the new master key " + QString::fromStdString(rogue.master->publicKey()));
    if (QTest::currentTestFailed()) return;
    const QString refusal = worker.log.text();
    QVERIFY2(refusal.contains("--cluster-secret") && refusal.contains("--master-key") && refusal.contains("--zk-auth"),
             qPrintable(refusal));
    QVERIFY2(worker.log.contains("trusted on first use"), qPrintable(worker.log.text()));  // the real master's key
  }

  // --cluster-secret: a master that proves the secret in its node is trusted even with a
  // new key; a node without the proof is refused, and the worker stays.
  void clusterSecretVouchesForTheMaster() {
    QTemporaryDir masterA, masterB, workerUser, files;
    const QString cluster = "trust-secret", root = "/scaleout/" + cluster;
    const QString secret = secretFile(files);
    // A cluster root created before anyone used --zk-auth stays open to every client (the
    // registry warns about it); that is how the rogue can still replace the node here.
    RawZk attacker(server_.hostPort().toStdString());
    QVERIFY(attacker.connected());
    attacker.createPersistent("/scaleout");
    QCOMPARE(attacker.createPersistent(root.toStdString()), int(ZOK));

    auto mo = masterOptions(cluster, masterA);
    mo.security.clusterSecretFile = secret.toStdString();
    auto real = std::make_unique<RealMaster>(data_, mo);
    auto wo = workerOptions(cluster, workerUser);  // another user: admitted by the secret
    wo.security.clusterSecretFile = secret.toStdString();
    WorkerUnderTest worker(wo);
    QVERIFY2(fixtures::waitFor([&] { return real->remoteResults() >= 20; }, 20000), qPrintable(worker.log.text() + "\n" + real->log.text()));

    Rogue rogue;
    const std::string workerKey = attacker.firstWorkerKey(root.toStdString());
    QVERIFY(isZ85Key(workerKey));
    rogue.start(data_, workerKey);
    QCOMPARE(attacker.replaceMaster(root.toStdString(), rogue.node(std::string(64, 'a'))), int(ZOK));
    expectWorkerStaysWithRealMaster(*real, worker, rogue, "no valid proof of the cluster secret");
    if (QTest::currentTestFailed()) return;

    // The rogue goes, the real master ends; the next master (another key) holds the secret.
    const std::string keyA = real->service().publicKey();
    real.reset();
    auto mb = masterOptions(cluster, masterB);
    mb.security.clusterSecretFile = secret.toStdString();
    attacker.close();  // its session ends, and the rogue's node with it
    RealMaster next(data_, mb);
    QVERIFY(next.service().publicKey() != keyA);
    QVERIFY2(fixtures::waitFor([&] { return next.remoteResults() >= 5; }, 20000), qPrintable(worker.log.text() + "\n" + next.log.text()));
    QCOMPARE(worker.stats().sessions, 2);
    QCOMPARE(rogue.master->stats().workersJoined, 0);
    QCOMPARE(worker.log.count("vouched for by the cluster secret"), 2);  // the first master and the next
  }

  // Holders of the cluster's --zk-auth may replace the node (a second run started by
  // mistake); the worker still finishes with the master that answers, then moves.
  void workerStaysWhileItsMasterAnswers() {
    QTemporaryDir user;
    const QString cluster = "trust-zkauth", root = "/scaleout/" + cluster;
    auto mo = masterOptions(cluster, user);
    mo.zkAuth = "lab:pw";
    auto real = std::make_unique<RealMaster>(data_, mo);
    auto wo = workerOptions(cluster, user);
    wo.zkAuth = "lab:pw";
    WorkerUnderTest worker(wo);
    QVERIFY2(fixtures::waitFor([&] { return real->remoteResults() >= 20; }, 20000), qPrintable(worker.log.text() + "\n" + real->log.text()));

    RawZk insider(server_.hostPort().toStdString(), "lab:pw");
    QVERIFY(insider.connected());
    Rogue other;
    other.start(data_, insider.firstWorkerKey(root.toStdString()));
    QCOMPARE(insider.replaceMaster(root.toStdString(), other.node()), int(ZOK));
    expectWorkerStaysWithRealMaster(*real, worker, other, "staying with the master at " + QString::fromStdString(real->service().endpoint()));
    if (QTest::currentTestFailed()) return;
    QCOMPARE(worker.log.count("staying with the master at"), 1);  // said once
    real.reset();  // Bye: now the worker may go where ZooKeeper points
    QVERIFY2(fixtures::waitFor([&] { return other.master->stats().workersJoined == 1; }, 15000), qPrintable(worker.log.text()));
  }

  // After the master's Bye the worker says so in one line and waits for ZooKeeper to name
  // the next master: no reconnect to the closing endpoint, no misleading handshake line.
  void goodbyeIsOneLineAndTheNextRunIsJoined() {
    QTemporaryDir user;
    const QString cluster = "trust-bye";
    auto mo = masterOptions(cluster, user);
    auto first = std::make_unique<RealMaster>(data_, mo);
    const std::string endpoint = first->service().endpoint();
    WorkerUnderTest worker(workerOptions(cluster, user));
    QVERIFY2(fixtures::waitFor([&] { return first->remoteResults() >= 5; }, 20000), qPrintable(worker.log.text()));
    const int mark = worker.log.size();
    first.reset();
    QVERIFY2(fixtures::waitFor([&] { return worker.log.contains("said goodbye"); }, 5000), qPrintable(worker.log.text()));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const QStringList after = worker.log.since(mark);
    QVERIFY2(after.size() == 1 && after[0].contains("said goodbye"), qPrintable(after.join("\n")));
    // The next run binds the same endpoint with the same key: only its new node says it is new.
    mo.bind = endpoint;
    RealMaster second(data_, mo);
    QVERIFY2(fixtures::waitFor([&] { return second.remoteResults() >= 5; }, 20000), qPrintable(worker.log.text()));
    QCOMPARE(worker.stats().sessions, 2);
    QVERIFY2(!worker.log.contains("closed the connection during the handshake"), qPrintable(worker.log.text()));
  }

  // An --insecure worker and a secure registered master: said once, not "waiting for a
  // master to register" over and over while one is registered.
  void insecureWorkerIsToldOnceWhyItWaits() {
    QTemporaryDir user;
    const QString cluster = "trust-insecure";
    RealMaster real(data_, masterOptions(cluster, user));
    auto wo = workerOptions(cluster, user);
    wo.security.insecure = true;
    WorkerUnderTest worker(wo);
    QVERIFY2(fixtures::waitFor([&] { return worker.log.contains("requires CURVE"); }, 10000), qPrintable(worker.log.text()));
    const int mark = worker.log.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // 5 x waitingLogSeconds
    QCOMPARE(worker.log.count("requires CURVE"), 1);
    QVERIFY2(worker.log.since(mark).isEmpty(), qPrintable(worker.log.text()));
  }
};

QTEST_GUILESS_MAIN(TestClusterTrust)
#include "test_cluster_trust.moc"
