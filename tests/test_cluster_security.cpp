// CURVE key material and the ZAP handler (core/include/cluster/security.h, core/cluster/zap_handler.h): key
// files created on first use with private modes, the allow-list parser (bad lines named
// by number), the cluster-secret derivation, --zk-auth parsing, the ZAP handler letting in
// exactly the listed keys, and the start-up self-test, including the fail-open case it
// exists to catch (a CURVE server without a handler accepts any key).
#include <sys/stat.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <zmq.hpp>

#include "cluster/cluster_master.h"
#include "cluster/security.h"
#include "cluster/zap_handler.h"
#include "cluster/zmq_io.h"
#include "data/data_source.h"
#include "fixtures/iris_conf.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::cluster;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void writeFile(const fs::path& path, const std::string& text, mode_t mode = 0600) {
  QFile f(QString::fromStdString(path.string()));
  QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
  f.write(text.data(), static_cast<qint64>(text.size()));
  f.close();
  ::chmod(path.c_str(), mode);
}

mode_t modeOf(const fs::path& path) {
  struct stat st{};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

// Connects a CURVE client to `endpoint` and reports how its handshake ended, and when.
struct Handshake {
  uint16_t event = 0;
  double seconds = 0;
};
Handshake handshake(zmq::context_t& ctx, const std::string& endpoint, const std::string& serverKey, const CurveKeyPair* client) {
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  if (client) {
    s.set(zmq::sockopt::curve_serverkey, serverKey);
    s.set(zmq::sockopt::curve_publickey, client->publicKey);
    s.set(zmq::sockopt::curve_secretkey, client->secretKey);
  }
  SocketMonitor monitor(ctx, s, "test-handshake",
                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  const auto t0 = Clock::now();
  s.connect(endpoint);
  Handshake h;
  while (Clock::now() - t0 < std::chrono::seconds(5)) {
    if (auto e = monitor.next(std::chrono::milliseconds(20))) {
      h.event = e->event;
      break;
    }
  }
  h.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  monitor.stop(s);
  return h;
}

}  // namespace

class TestClusterSecurity : public QObject {
  Q_OBJECT

  QTemporaryDir config_;

 private slots:
  void initTestCase() {
    QVERIFY(config_.isValid());
    // Never the real ~/.config: every key of this test lives in a temporary directory.
    qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
    QVERIFY(zmq_has("curve"));
  }

  void configDirFollowsXdg() {
    QCOMPARE(QString::fromStdString(defaultConfigDir().string()), config_.filePath("scaleout"));
    QCOMPARE(QString::fromStdString(curveDir({}).string()), config_.filePath("scaleout/curve"));
  }

  void keyPairIsCreatedOnceWithPrivateModes() {
    QTemporaryDir dir;
    const fs::path d = fs::path(dir.path().toStdString()) / "curve";
    QStringList log;
    const CurveKeyPair a = loadOrCreateKeyPair(d, "master", [&](const std::string& l) { log << QString::fromStdString(l); });
    QVERIFY(isZ85Key(a.publicKey) && isZ85Key(a.secretKey));
    QCOMPARE(publicKeyOf(a.secretKey), a.publicKey);
    QCOMPARE(modeOf(d / "master.key"), mode_t(0600));
    QCOMPARE(modeOf(d), mode_t(0700));
    QVERIFY2(log.join("\n").contains("created the CURVE key pair"), qPrintable(log.join("\n")));
    QFile pub(QString::fromStdString((d / "master.pub").string()));
    QVERIFY(pub.open(QIODevice::ReadOnly));
    QCOMPARE(pub.readAll().trimmed().toStdString(), a.publicKey);
    // The second use loads the same pair, and a deleted .pub comes back.
    fs::remove(d / "master.pub");
    const CurveKeyPair b = loadOrCreateKeyPair(d, "master", {});
    QCOMPARE(b.secretKey, a.secretKey);
    QVERIFY(fs::exists(d / "master.pub"));
    // A secret others may read is refused, with the fix in the message.
    ::chmod((d / "master.key").c_str(), 0644);
    try {
      loadOrCreateKeyPair(d, "master", {});
      QFAIL("a world-readable secret key was accepted");
    } catch (const ScaleoutError& e) {
      QVERIFY2(QString(e.what()).contains("chmod 600"), e.what());
    }
  }

  void allowListReportsBadLinesByNumber() {
    const CurveKeyPair k1 = newKeyPair(), k2 = newKeyPair();
    const std::string text = "# workers of the lab\n"
                             "\n" +
                             k1.publicKey + "   alice-laptop\n" +         // line 3: key + label
                             "   " + k2.publicKey + "\n" +                 // line 4: indented
                             "tooShort\n" +                                // line 5
                             k1.publicKey.substr(0, 39) + "\"\n" +         // line 6: 40 chars, '"' not Z85
                             "  # an indented comment\n" +                 // line 7
                             k2.publicKey + "x\n";                         // line 8: 41 chars
    const AllowList list = parseAllowList(text, "authorized_workers");
    QCOMPARE(list.keys.size(), size_t{2});
    QCOMPARE(list.keys[0].publicKey, k1.publicKey);
    QCOMPARE(QString::fromStdString(list.keys[0].origin), QString("authorized_workers line 3 (alice-laptop)"));
    QCOMPARE(list.keys[1].publicKey, k2.publicKey);
    QCOMPARE(list.problems.size(), size_t{3});
    QVERIFY2(QString::fromStdString(list.problems[0]).startsWith("authorized_workers line 5: 'tooShort' has 8 characters"),
             list.problems[0].c_str());
    QVERIFY2(QString::fromStdString(list.problems[1]).contains("line 6") &&
                 QString::fromStdString(list.problems[1]).contains("outside the Z85 alphabet"),
             list.problems[1].c_str());
    QVERIFY2(QString::fromStdString(list.problems[2]).contains("line 8") && QString::fromStdString(list.problems[2]).contains("41"),
             list.problems[2].c_str());
    QVERIFY(readAllowList("/nonexistent/authorized_workers").keys.empty());
  }

  void masterRefusesToStartWithABadAllowList() {
    QTemporaryDir dir;
    const fs::path allow = fs::path(dir.path().toStdString()) / "allow";
    writeFile(allow, "not-a-key\n", 0644);
    SecurityOptions o;
    o.configDir = dir.path().toStdString();
    o.authorizedWorkers = allow.string();
    try {
      resolveMasterCurve(o, {});
      QFAIL("a master started with a bad allow-list");
    } catch (const ScaleoutError& e) {
      QVERIFY2(QString(e.what()).contains("line 1"), e.what());
    }
    // Without a file of its own, the master accepts this user's worker key (created now).
    o.authorizedWorkers.clear();
    const MasterCurve m = resolveMasterCurve(o, {});
    QCOMPARE(m.accepted.size(), size_t{1});
    const CurveKeyPair own = loadOrCreateKeyPair(fs::path(o.configDir) / "curve", "worker", {});
    QCOMPARE(m.accepted[0].publicKey, own.publicKey);
  }

  void clusterSecretDerivesTheSameKeyEverywhere() {
    QTemporaryDir dir;
    const fs::path a = fs::path(dir.path().toStdString()) / "a", b = fs::path(dir.path().toStdString()) / "b",
                   c = fs::path(dir.path().toStdString()) / "c", shortOne = fs::path(dir.path().toStdString()) / "short";
    writeFile(a, "correct horse battery staple\n");
    writeFile(b, "correct horse battery staple");  // the trailing newline does not matter
    writeFile(c, "correct horse battery stapl3\n");
    writeFile(shortOne, "tiny\n");
    const CurveKeyPair ka = keyPairFromClusterSecret(a), kb = keyPairFromClusterSecret(b), kc = keyPairFromClusterSecret(c);
    QCOMPARE(ka.secretKey, kb.secretKey);
    QCOMPARE(ka.publicKey, kb.publicKey);
    QCOMPARE(publicKeyOf(ka.secretKey), ka.publicKey);
    QVERIFY(ka.publicKey != kc.publicKey);
    QVERIFY_THROWS_EXCEPTION(ScaleoutError, keyPairFromClusterSecret(shortOne));
    ::chmod(a.c_str(), 0644);
    QVERIFY_THROWS_EXCEPTION(ScaleoutError, keyPairFromClusterSecret(a));
  }

  void masterKeyAndZkAuthArguments() {
    QTemporaryDir dir;
    const CurveKeyPair k = newKeyPair();
    std::string origin;
    QCOMPARE(readPublicKeyArgument(k.publicKey, origin), k.publicKey);
    QCOMPARE(QString::fromStdString(origin), QString("--master-key"));
    const fs::path f = fs::path(dir.path().toStdString()) / "master.pub";
    writeFile(f, "# the lab's master\n" + k.publicKey + "\n", 0644);
    QCOMPARE(readPublicKeyArgument(f.string(), origin), k.publicKey);
    QVERIFY_THROWS_EXCEPTION(ScaleoutError, readPublicKeyArgument("no-such-file-or-key", origin));

    QCOMPARE(readZkAuthArgument("lab:s3cret"), std::string("lab:s3cret"));
    const fs::path auth = fs::path(dir.path().toStdString()) / "zkauth";
    writeFile(auth, "lab:from-file\n");
    QCOMPARE(readZkAuthArgument("@" + auth.string()), std::string("lab:from-file"));
    QVERIFY_THROWS_EXCEPTION(ScaleoutError, readZkAuthArgument("no-colon"));
    QVERIFY_THROWS_EXCEPTION(ScaleoutError, readZkAuthArgument(":password"));
    ::chmod(auth.c_str(), 0644);
    QVERIFY_THROWS_EXCEPTION(ScaleoutError, readZkAuthArgument("@" + auth.string()));
  }

  // The handler lets in the listed key only; a stranger and a NULL-mechanism peer fail.
  void zapHandlerAdmitsOnlyListedKeys() {
    zmq::context_t ctx;
    const CurveKeyPair server = newKeyPair(), friendKey = newKeyPair(), stranger = newKeyPair();
    QStringList log;
    std::mutex logMutex;
    ZapHandler zap(ctx, {{friendKey.publicKey, "test"}}, [&](const std::string& l) {
      std::lock_guard lock(logMutex);
      log << QString::fromStdString(l);
    });
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::curve_server, 1);
    router.set(zmq::sockopt::curve_secretkey, server.secretKey);
    router.set(zmq::sockopt::zap_domain, kZapDomain);
    router.bind("tcp://127.0.0.1:*");
    const std::string ep = router.get(zmq::sockopt::last_endpoint);
    QCOMPARE(handshake(ctx, ep, server.publicKey, &friendKey).event, uint16_t(ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
    QCOMPARE(handshake(ctx, ep, server.publicKey, &stranger).event, uint16_t(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH));
    QCOMPARE(handshake(ctx, ep, server.publicKey, nullptr).event, uint16_t(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL));
    QCOMPARE(zap.accepted(), uint64_t{1});
    QCOMPARE(zap.denied(), uint64_t{1});  // the NULL peer never got as far as ZAP
    std::lock_guard lock(logMutex);
    QVERIFY2(log.join("\n").contains(QString::fromStdString(stranger.publicKey)), qPrintable(log.join("\n")));
  }

  // The self-test catches the fail-open pitfall: a CURVE server without a ZAP handler.
  void selfTestDetectsAMissingHandler() {
    zmq::context_t ctx;
    const CurveKeyPair server = newKeyPair();
    zmq::socket_t router(ctx, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.set(zmq::sockopt::curve_server, 1);
    router.set(zmq::sockopt::curve_secretkey, server.secretKey);
    router.set(zmq::sockopt::zap_domain, kZapDomain);
    router.bind("tcp://127.0.0.1:*");
    const SelfTestResult r = probeUnknownKey(ctx, router.get(zmq::sockopt::last_endpoint), server.publicKey, newKeyPair(),
                                             std::chrono::seconds(3));
    QCOMPARE(int(r.outcome), int(SelfTestResult::Outcome::Accepted));
    QVERIFY2(QString::fromStdString(r.detail).contains("completed the CURVE handshake"), r.detail.c_str());
  }

  void masterSelfTestRefusesAStrangerFast() {
    Conf c = fixtures::irisCsvConf();
    c.layerSizes = {4};
    const TrainTestData data = loadTrainTest(c);
    QStringList log;
    std::mutex logMutex;
    ClusterMasterOptions o;
    o.bind = "tcp://0.0.0.0:*";  // the probe must find its way to a wildcard bind too
    o.log = [&](const std::string& l) {
      std::lock_guard lock(logMutex);
      log << QString::fromStdString(l);
    };
    const auto t0 = Clock::now();
    ClusterMaster master(c, data.train, o);
    const double startup = std::chrono::duration<double>(Clock::now() - t0).count();
    QVERIFY(master.secure());
    QVERIFY(isZ85Key(master.publicKey()));
    QVERIFY2(master.selfTestSeconds() > 0 && master.selfTestSeconds() < 1.0, qPrintable(QString::number(master.selfTestSeconds())));
    {
      std::lock_guard lock(logMutex);
      QVERIFY2(log.join("\n").contains("self-test: a stranger's key was refused"), qPrintable(log.join("\n")));
      QVERIFY2(!log.join("\n").contains("refused a connection"), "the self-test's stranger was logged as an intruder");
    }
    QCOMPARE(master.stats().peersRefused, uint64_t{0});  // the self-test's own stranger is not counted
    qInfo("self-test %.1f ms; master start-up (keys, ZAP, bind, self-test) %.1f ms", master.selfTestSeconds() * 1000, startup * 1000);
  }

  // What CURVE + ZAP adds to connecting: the handshake time with and without, same run.
  void handshakeOverhead() {
    zmq::context_t ctx;
    const CurveKeyPair server = newKeyPair(), client = newKeyPair();
    ZapHandler zap(ctx, {{client.publicKey, "test"}}, {});
    zmq::socket_t secure(ctx, zmq::socket_type::router), plain(ctx, zmq::socket_type::router);
    for (auto* s : {&secure, &plain}) s->set(zmq::sockopt::linger, 0);
    secure.set(zmq::sockopt::curve_server, 1);
    secure.set(zmq::sockopt::curve_secretkey, server.secretKey);
    secure.set(zmq::sockopt::zap_domain, kZapDomain);
    secure.bind("tcp://127.0.0.1:*");
    plain.bind("tcp://127.0.0.1:*");
    const int n = 20;
    double curveTotal = 0, plainTotal = 0;
    for (int i = 0; i < n; ++i) {
      const Handshake hc = handshake(ctx, secure.get(zmq::sockopt::last_endpoint), server.publicKey, &client);
      const Handshake hp = handshake(ctx, plain.get(zmq::sockopt::last_endpoint), "", nullptr);
      QCOMPARE(hc.event, uint16_t(ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
      QCOMPARE(hp.event, uint16_t(ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
      curveTotal += hc.seconds;
      plainTotal += hp.seconds;
    }
    qInfo("connect-to-handshake over loopback, mean of %d: CURVE+ZAP %.2f ms, plain %.2f ms", n, curveTotal / n * 1000,
          plainTotal / n * 1000);
    // Measured 2-3 ms; 50 ms leaves room for a loaded 2-core machine.
    QVERIFY2(curveTotal / n < 0.05, qPrintable(QString("mean CURVE handshake %1 ms").arg(curveTotal / n * 1000)));
  }
};

QTEST_GUILESS_MAIN(TestClusterSecurity)
#include "test_cluster_security.moc"
