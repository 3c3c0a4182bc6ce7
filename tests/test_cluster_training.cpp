// The cluster with real processes over loopback, without ZooKeeper: a master in this
// process (ClusterMaster + Trainer) and `scaleout worker --connect` child processes
// (SCALEOUT_BINARY), secure by default (CURVE keys in a temporary XDG_CONFIG_HOME that
// the workers inherit). With fixed membership the cluster run is bit-identical to local
// threads; a SIGKILLed worker, a late joiner and a stream of malformed messages leave
// the run going and (for the malformed stream) its parameters untouched. A worker with a
// key the master does not know, and peers without CURVE, are refused and change nothing.
#include <csignal>
#include <mutex>
#include <random>
#include <thread>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <zmq.hpp>

#include "cluster/cluster_master.h"
#include "cluster/protocol.h"
#include "cluster/security.h"
#include "data/data_source.h"
#include "fixtures/cluster_fixtures.h"
#include "fixtures/iris_conf.h"
#include "fixtures/zookeeper_server.h"  // freeLoopbackPort
#include "train/trainer.h"

using namespace scaleout;
using namespace scaleout::cluster;
using Clock = std::chrono::steady_clock;

namespace {

QString binary() { return qEnvironmentVariable("SCALEOUT_BINARY"); }

// The cluster tests' Iris MLP, with momentum (so optimizer state matters) and N threads.
Conf irisConf(int epochs, int threads) {
  Conf c = fixtures::smallIrisConf(epochs);
  c.momentum = 0.9;
  c.threads = threads;
  return c;
}

// Collects what a run reports, from the trainer's thread.
class Recorder : public TrainingObserver {
 public:
  void onMessage(const std::string& text) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(text);
  }
  void onRound(const RoundInfo& r) override {
    std::lock_guard lock(mutex_);
    ++rounds_;
    for (const auto& w : r.workers)
      if (w.arrived && w.id.rfind("local", 0) != 0) {
        ++remoteResults_;
        if (w.taskRound < r.round) ++staleResults_;
      }
  }
  bool saw(const QString& part) {
    std::lock_guard lock(mutex_);
    for (const auto& m : messages_)
      if (QString::fromStdString(m).contains(part)) return true;
    return false;
  }
  QString all() {
    std::lock_guard lock(mutex_);
    QString s;
    for (const auto& m : messages_) s += QString::fromStdString(m) + "\n";
    return s;
  }
  long long rounds() {
    std::lock_guard lock(mutex_);
    return rounds_;
  }
  long long remoteResults() {
    std::lock_guard lock(mutex_);
    return remoteResults_;
  }
  // Remote results averaged a round after their task went out (overlapRemoteRounds).
  long long staleResults() {
    std::lock_guard lock(mutex_);
    return staleResults_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
  long long rounds_ = 0, remoteResults_ = 0, staleResults_ = 0;
};

// A `scaleout worker` child process; its log goes to a file we can read at any time.
class WorkerProcess {
 public:
  explicit WorkerProcess(const QTemporaryDir& dir, const QString& name) : logPath_(dir.filePath(name + ".log")) {}
  ~WorkerProcess() {
    if (process_.state() != QProcess::NotRunning) {
      process_.kill();
      process_.waitForFinished(5000);
    }
  }
  // Another user's config dir: another worker key pair.
  void setConfigDir(const QString& dir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("XDG_CONFIG_HOME", dir);
    process_.setProcessEnvironment(env);
  }
  void start(const QStringList& args) {
    process_.setProgram(binary());
    process_.setArguments(QStringList{"worker", "--threads", "1"} + args);
    process_.setProcessChannelMode(QProcess::MergedChannels);
    process_.setStandardOutputFile(logPath_);
    process_.start();
    QVERIFY2(process_.waitForStarted(10000), qPrintable(process_.errorString()));
  }
  void kill() {
    process_.kill();  // SIGKILL: no Bye, no cleanup
    process_.waitForFinished(5000);
  }
  void terminate() { ::kill(static_cast<pid_t>(process_.processId()), SIGTERM); }
  bool waitFinished(int ms) { return process_.waitForFinished(ms); }
  int exitCode() const { return process_.exitCode(); }
  QString log() const {
    QFile f(logPath_);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
  }

 private:
  QString logPath_;
  QProcess process_;
};

using fixtures::waitFor;

struct MasterUnderTest {
  std::mutex logMutex;  // before master: it logs from its constructor (keys, self-test)
  QStringList log;
  Trainer trainer;
  ClusterMaster master;
  Recorder recorder;

  MasterUnderTest(const Conf& conf, const TrainTestData& data, bool insecure = false)
      : trainer(conf, data), master(conf, data.train, options(this, insecure)) {
    master.setJoinHandler([this](std::unique_ptr<Worker> w) { trainer.addWorker(std::move(w)); });
    trainer.addObserver(&recorder);
  }
  static ClusterMasterOptions options(MasterUnderTest* self, bool insecure) {
    ClusterMasterOptions o;
    o.bind = "tcp://127.0.0.1:*";
    o.security.insecure = insecure;
    o.heartbeatTimeoutSeconds = 3.0;
    o.log = [self](const std::string& line) {
      std::lock_guard lock(self->logMutex);
      self->log << QString::fromStdString(line);
    };
    return o;
  }
  QString logText() {
    std::lock_guard lock(logMutex);
    return log.join("\n");
  }
};

}  // namespace

class TestClusterTraining : public QObject {
  Q_OBJECT

  TrainTestData data_;
  QTemporaryDir config_;

 private slots:
  void initTestCase() {
    if (binary().isEmpty() || !QFile::exists(binary())) QSKIP("SCALEOUT_BINARY is not set to the built scaleout executable");
    // Keys of this user (master and workers alike) live here, never in the real ~/.config.
    QVERIFY(config_.isValid());
    qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());
    qputenv("XDG_CACHE_HOME", (config_.path() + "/cache").toUtf8());  // the workers' shard cache
    data_ = loadTrainTest(irisConf(1, 1));
    QCOMPARE(data_.train.size(), size_t{120});
  }

  // 1 local thread + 2 worker processes computes exactly what 3 local threads compute when
  // those keep their own optimizer state (remote workers always do: it never crosses the
  // link) and parameters travel exactly (exchangeCompression=none).
  void twoWorkerProcessesMatchLocalThreadsBitForBit() {
    const int epochs = 60;
    Conf localConf = irisConf(epochs, 3);
    localConf.optimizerStatePolicy = "perWorker";
    Trainer local(localConf, data_);
    const RunSummary localRun = local.run();
    QVERIFY(localRun.completed);

    QTemporaryDir dir;
    Conf fixedShares = localConf;
    fixedShares.threads = 1;
    fixedShares.exchangeCompression = "none";
    fixedShares.balanceShares = false;  // equal slices: the same computation as 3 local threads
    fixedShares.overlapRemoteRounds = false;  // local threads never train on last round's parameters
    MasterUnderTest m(fixedShares, data_);
    WorkerProcess a(dir, "a"), b(dir, "b");
    a.start({"--connect", QString::fromStdString(m.master.endpoint()), "--download-data"});
    b.start({"--connect", QString::fromStdString(m.master.endpoint())});
    QVERIFY2(waitFor([&] { return m.master.connectedWorkers() == 2; }, 20000), qPrintable(m.logText() + "\n" + a.log()));
    const auto t0 = Clock::now();
    const RunSummary run = m.trainer.run();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    QVERIFY2(run.completed, run.error.c_str());
    // The master's I/O thread counts a result just after handing it to the trainer, so the
    // last count can trail run()'s return by a moment.
    waitFor([&] { return m.master.stats().resultsReceived >= static_cast<uint64_t>(2 * 4 * epochs); }, 2000);
    const auto stats = m.master.stats();
    QVERIFY2(stats.resultsReceived >= static_cast<uint64_t>(2 * 4 * epochs),  // 2 of 3 slices each round
             qPrintable(QString("%1 results in %2 rounds").arg(stats.resultsReceived).arg(m.recorder.rounds())));
    QCOMPARE(m.recorder.remoteResults(), static_cast<long long>(stats.resultsReceived));
    QCOMPARE(m.recorder.staleResults(), 0LL);
    QVERIFY2(m.trainer.parameters() == local.parameters(), "the cluster's parameters differ from local training");
    QCOMPARE(run.finalEvaluation.accuracy, localRun.finalEvaluation.accuracy);
    QVERIFY(run.finalEvaluation.accuracy >= 0.85);
    qInfo("%d rounds in %.2f s; %.0f bytes sent + %.0f received per round; accuracy %.3f (local %.3f)",
          static_cast<int>(m.recorder.rounds()), seconds, double(stats.bytesSent) / m.recorder.rounds(),
          double(stats.bytesReceived) / m.recorder.rounds(), run.finalEvaluation.accuracy, localRun.finalEvaluation.accuracy);
    QVERIFY(a.log().contains("connected to the master at"));
    // One worker fetched the rows, the other found the same data file on this machine.
    QVERIFY2(a.log().contains("received 120 training rows"), qPrintable(a.log()));
    QVERIFY2(b.log().contains("training rows from this machine's copy of the data"), qPrintable(b.log()));
    // The master encodes the rows for shipping once, when the first worker asks for them.
    QCOMPARE(m.logText().count("encoding the training rows"), 1);
  }

  void workersJoinWhileTheMasterLoadsItsData_data() {
    QTest::addColumn<bool>("sameRows");
    QTest::newRow("the worker's copy is the master's") << true;
    QTest::newRow("the worker's copy differs") << false;
  }

  // A master whose network shape the conf fixes listens before its data is loaded
  // (protocol version 4): a worker that connects then gets the conf with no rows named,
  // loads its own copy meanwhile, and is ready as soon as setShard names the rows. A copy
  // that differs from the master's rows is not used: the worker downloads them.
  void workersJoinWhileTheMasterLoadsItsData() {
    QFETCH(bool, sameRows);
    const Conf conf = irisConf(20, 1);
    TrainTestData data = data_;
    if (!sameRows) data.train.features(0, 0) += 1.0f;  // one value changed
    std::mutex logMutex;
    QStringList masterLog;
    ClusterMasterOptions o;
    o.bind = "tcp://127.0.0.1:*";
    o.log = [&](const std::string& line) {
      std::lock_guard lock(logMutex);
      masterLog << QString::fromStdString(line);
    };
    ClusterMaster master(conf, o);  // no rows yet
    auto masterText = [&] {
      std::lock_guard lock(logMutex);
      return masterLog.join("\n");
    };
    QTemporaryDir dir;
    WorkerProcess worker(dir, "early");
    worker.start({"--connect", QString::fromStdString(master.endpoint())});
    QVERIFY2(waitFor([&] { return worker.log().contains("the master is still loading its data"); }, 20000),
             qPrintable(worker.log()));
    // Its own copy is loaded, and it waits for the rows' name, not yet ready.
    QTest::qWait(1000);
    QCOMPARE(master.connectedWorkers(), 0);
    QVERIFY2(!worker.log().contains("ready:"), qPrintable(worker.log()));

    Trainer trainer(conf, data);
    master.setJoinHandler([&trainer](std::unique_ptr<Worker> w) { trainer.addWorker(std::move(w)); });
    master.setShard(data.train);
    QVERIFY2(waitFor([&] { return master.connectedWorkers() == 1; }, 20000), qPrintable(masterText() + "\n" + worker.log()));
    const RunSummary run = trainer.run();
    QVERIFY2(run.completed, run.error.c_str());
    waitFor([&] { return master.stats().resultsReceived > 0; }, 2000);
    QVERIFY(master.stats().resultsReceived > 0);
    if (sameRows) {
      QVERIFY2(worker.log().contains("loaded while the master loaded its own"), qPrintable(worker.log()));
      QVERIFY(!masterText().contains("encoding the training rows"));
    } else {
      QVERIFY2(worker.log().contains("differs from the master's"), qPrintable(worker.log()));
      QVERIFY2(worker.log().contains("received 120 training rows"), qPrintable(worker.log()));
      QCOMPARE(masterText().count("encoding the training rows"), 1);
    }
  }

  // Light rounds: with int8 a round moves about a quarter of the float32 bytes (the
  // parameters' change down, the trained change up, no optimizer state either way), and
  // the run learns as well.
  void compressedRoundsMoveAQuarterOfTheBytes() {
    const int epochs = 30;
    double perExchange[2] = {0, 0};
    double accuracy[2] = {0, 0};
    const char* codecs[2] = {"none", "int8"};
    for (int i = 0; i < 2; ++i) {
      Conf conf = irisConf(epochs, 1);
      conf.exchangeCompression = codecs[i];
      conf.balanceShares = false;
      conf.overlapRemoteRounds = true;  // real worker processes holding two tasks each
      QTemporaryDir dir;
      MasterUnderTest m(conf, data_);
      WorkerProcess a(dir, "a"), b(dir, "b");
      a.start({"--connect", QString::fromStdString(m.master.endpoint())});
      b.start({"--connect", QString::fromStdString(m.master.endpoint())});
      QVERIFY2(waitFor([&] { return m.master.connectedWorkers() == 2; }, 20000), qPrintable(m.logText()));
      const RunSummary run = m.trainer.run();
      QVERIFY2(run.completed, run.error.c_str());
      waitFor([&] { return m.master.stats().exchanges >= static_cast<uint64_t>(2 * 4 * epochs); }, 2000);
      const auto stats = m.master.stats();
      QVERIFY(stats.exchanges > 0);
      perExchange[i] = double(stats.exchangeBytes) / double(stats.exchanges);
      accuracy[i] = run.finalEvaluation.accuracy;
      // overlapRemoteRounds: each worker process trains its next task while
      // its last result crosses back, so most remote results are averaged a round late.
      QVERIFY2(m.recorder.staleResults() * 2 > m.recorder.remoteResults(),
               qPrintable(QString("%1 of %2 remote results a round late").arg(m.recorder.staleResults()).arg(m.recorder.remoteResults())));
      QVERIFY2(m.logText().contains(QString("(%1;").arg(i == 0 ? "float32" : "int8")), qPrintable(m.logText()));
      // Both workers load the rows themselves: the master never encodes them for shipping
      // (on a one-core master that would take ~1 s of Fashion-MNIST from training).
      QVERIFY2(!m.logText().contains("encoding the training rows"), qPrintable(m.logText()));
    }
    qInfo("bytes per task + result: %.0f float32, %.0f int8; accuracy %.3f float32, %.3f int8", perExchange[0], perExchange[1],
          accuracy[0], accuracy[1]);
    QVERIFY2(perExchange[1] < 0.4 * perExchange[0], qPrintable(QString::number(perExchange[1] / perExchange[0])));
    QVERIFY(accuracy[1] >= 0.85);
  }

  void workerKilledMidRunDoesNotStopTheRun() {
    QTemporaryDir dir;
    MasterUnderTest m(irisConf(400, 1), data_);
    WorkerProcess a(dir, "a"), b(dir, "b");
    a.start({"--connect", QString::fromStdString(m.master.endpoint())});
    b.start({"--connect", QString::fromStdString(m.master.endpoint())});
    QVERIFY(waitFor([&] { return m.master.connectedWorkers() == 2; }, 20000));
    RunSummary run;
    std::atomic<bool> ended{false};
    std::thread t([&] {
      run = m.trainer.run();
      ended = true;
    });
    const bool going = waitFor([&] { return m.master.stats().resultsReceived >= 100; }, 20000);
    a.kill();
    const auto killedAt = Clock::now();
    const uint64_t before = m.master.stats().resultsReceived;
    const bool dropped = waitFor([&] { return m.master.stats().workersLost >= 1; }, 10000);
    const double detect = std::chrono::duration<double>(Clock::now() - killedAt).count();
    // Bounded: if the run hangs, cancel it so the test fails instead of timing out.
    if (!waitFor([&] { return ended.load(); }, 40000)) m.trainer.control().cancel();
    t.join();
    QVERIFY(going);
    QVERIFY2(dropped, qPrintable(m.logText()));
    QVERIFY2(run.completed, run.error.c_str());
    QVERIFY(run.finalEvaluation.accuracy >= 0.85);
    QVERIFY2(m.master.stats().resultsReceived > before + 50, "the surviving worker stopped getting work");
    QVERIFY2(m.logText().contains("disconnected") || m.logText().contains("declared dead"), qPrintable(m.logText()));
    qInfo("the killed worker was dropped %.2f s after SIGKILL", detect);
    QVERIFY(detect <= 4.0);  // heartbeats: 1 s interval, 3 s timeout
  }

  void workerJoiningMidRunIsUsed() {
    QTemporaryDir dir;
    MasterUnderTest m(irisConf(5000, 1), data_);
    RunSummary run;
    std::thread t([&] { run = m.trainer.run(); });
    const bool started = waitFor([&] { return m.recorder.rounds() >= 20; }, 20000);
    WorkerProcess a(dir, "late");
    a.start({"--connect", QString::fromStdString(m.master.endpoint()), "--bind", "127.0.0.1"});  // a chosen source address
    const bool used = waitFor([&] { return m.recorder.remoteResults() >= 20; }, 20000);
    m.trainer.control().cancel();
    t.join();
    QVERIFY(started);
    QVERIFY2(used, qPrintable(m.logText() + "\n" + m.recorder.all() + "\n" + a.log()));
    QRegularExpression joined("worker \\S+ joined at round (\\d+)");
    const auto match = joined.match(m.recorder.all());
    QVERIFY2(match.hasMatch(), qPrintable(m.recorder.all()));
    QVERIFY(match.captured(1).toInt() > 20);
  }

  void refusesWorkerOfAnotherProtocolVersion() {
    const Conf conf = irisConf(1, 1);
    QStringList log;
    std::mutex logMutex;
    ClusterMasterOptions o;
    o.log = [&](const std::string& line) {
      std::lock_guard lock(logMutex);
      log << QString::fromStdString(line);
    };
    ClusterMaster master(conf, data_.train, o);
    zmq::context_t ctx;
    zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::rcvtimeo, 5000);
    const CurveKeyPair keys = loadOrCreateKeyPair(curveDir({}), "worker", {});  // an accepted key
    dealer.set(zmq::sockopt::curve_serverkey, master.publicKey());
    dealer.set(zmq::sockopt::curve_publickey, keys.publicKey);
    dealer.set(zmq::sockopt::curve_secretkey, keys.secretKey);
    dealer.connect(master.endpoint());
    const Encoded hello = encodeWithVersion(kProtocolVersion + 1, Envelope{}, HelloMsg{1, "future", "host", 1});
    dealer.send(zmq::buffer(hello.header), zmq::send_flags::sndmore);
    dealer.send(zmq::buffer(hello.body), zmq::send_flags::none);
    std::vector<zmq::message_t> frames;
    zmq::message_t part;
    do {
      QVERIFY2(dealer.recv(part), "no answer to a hello of another protocol version");
      frames.push_back(std::move(part));
    } while (frames.back().more());
    std::vector<FrameView> views;
    for (auto& f : frames) views.emplace_back(static_cast<const uint8_t*>(f.data()), f.size());
    auto out = decodeMessage(views);
    QVERIFY2(out, out.error.c_str());
    const auto& e = std::get<ErrorMsg>(out.message->payload);
    QCOMPARE(e.code, ErrorCode::VersionMismatch);
    const QString text = QString::fromStdString(e.text);
    QVERIFY2(text.contains(QString("version %1").arg(kProtocolVersion)) && text.contains(QString("version %1").arg(kProtocolVersion + 1)),
             qPrintable(text));
    QCOMPARE(master.connectedWorkers(), 0);
    std::lock_guard lock(logMutex);
    QVERIFY(log.join("\n").contains("refused"));
  }

  // (helpers, not test functions)
 private:
  // Who sends the garbage: nobody, a peer holding an accepted key (so every message reaches
  // the decoder), a stranger with its own CURVE key, or a peer without CURVE.
  enum class Attacker { None, Authenticated, Stranger, Plain };

  // One run with a real worker while `attacker` sends garbage and forged results; returns
  // the trained parameters (empty on failure).
  Eigen::VectorXf runUnderAttack(Attacker attacker, ClusterMasterStats& stats, int epochs) {
    {
      const bool attack = attacker != Attacker::None;
      QTemporaryDir dir;
      Conf conf = irisConf(epochs, 1);
      conf.balanceShares = false;  // two runs compared bit for bit: no timing-dependent shares
      MasterUnderTest m(conf, data_);
      WorkerProcess a(dir, "a");
      a.start({"--connect", QString::fromStdString(m.master.endpoint())});
      if (!waitFor([&] { return m.master.connectedWorkers() == 1; }, 20000)) return Eigen::VectorXf();
      std::atomic<bool> done{false};
      std::thread attackThread;
      if (attack)
        attackThread = std::thread([&] {
          zmq::context_t ctx;
          zmq::socket_t d(ctx, zmq::socket_type::dealer);
          d.set(zmq::sockopt::linger, 0);
          d.set(zmq::sockopt::sndtimeo, 100);
          if (attacker != Attacker::Plain) {
            const CurveKeyPair keys = attacker == Attacker::Authenticated ? loadOrCreateKeyPair(curveDir({}), "worker", {}) : newKeyPair();
            d.set(zmq::sockopt::curve_serverkey, m.master.publicKey());
            d.set(zmq::sockopt::curve_publickey, keys.publicKey);
            d.set(zmq::sockopt::curve_secretkey, keys.secretKey);
          }
          d.connect(m.master.endpoint());
          std::mt19937 rng(7);
          auto sendFrames = [&](const std::vector<std::vector<uint8_t>>& frames) {
            for (size_t i = 0; i < frames.size(); ++i)
              (void)d.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
          };
          auto framesOf = [](const Encoded& e) {
            std::vector<std::vector<uint8_t>> f{{e.header.begin(), e.header.end()}, e.body};
            for (const Blob& b : e.blobs) f.emplace_back(static_cast<const uint8_t*>(b.data), static_cast<const uint8_t*>(b.data) + b.bytes);
            return f;
          };
          Payload forgedPayload = ResultMsg{};
          ResultMsg& forged = std::get<ResultMsg>(forgedPayload);
          const std::vector<float> huge(m.trainer.parameters().size(), 1e6f);
          auto forgedBytes = std::make_shared<std::vector<uint8_t>>();
          encodeVector(Codec::Float32, huge.data(), huge.size(), nullptr, *forgedBytes);
          forged.count = huge.size();
          forged.values = ByteBlob::of(forgedBytes);
          forged.result.samples = 1000;
          forged.result.losses = {0.0f};
          for (int i = 0; !done.load() && i < 100000; ++i) {
            switch (i % 6) {
              case 0: {  // random bytes
                std::vector<uint8_t> junk(rng() % 200);
                for (auto& c : junk) c = static_cast<uint8_t>(rng());
                sendFrames({junk});
                break;
              }
              case 1: {  // a forged result outside any session
                sendFrames(framesOf(encode(Envelope{m.master.runId(), 1, i}, forgedPayload)));
                break;
              }
              case 2: {  // a valid-looking result with a flipped bit (checksum)
                auto f = framesOf(encode(Envelope{m.master.runId(), 1, i}, forgedPayload));
                f[2][rng() % f[2].size()] ^= 1;
                sendFrames(f);
                break;
              }
              case 3: {  // a hello, so later results come from a "session" that has no lanes
                sendFrames(framesOf(encode(Envelope{}, HelloMsg{1, "attacker", "nowhere", 1})));
                break;
              }
              case 4: {  // results for lanes it does not have, for every generation it might own
                for (uint32_t g = 1; g < 8; ++g) sendFrames(framesOf(encode(Envelope{m.master.runId(), g, i}, forgedPayload)));
                break;
              }
              case 5: {  // a task (wrong direction) and a truncated header
                auto f = framesOf(encode(Envelope{m.master.runId(), 1, i}, ByeMsg{"x"}));
                f[0].resize(20);
                sendFrames(f);
                break;
              }
            }
            std::this_thread::sleep_for(std::chrono::microseconds(300));
          }
        });
      const RunSummary run = m.trainer.run();
      done = true;
      if (attackThread.joinable()) attackThread.join();
      stats = m.master.stats();
      if (!run.completed) return Eigen::VectorXf();
      return Eigen::VectorXf(m.trainer.parameters());
    }
  }

 private slots:
  // Garbage from an authenticated test client while a real worker trains: the parameters
  // come out exactly as in the same run without the garbage, and every bad message was dropped.
  void malformedMessagesLeaveTrainingUntouched() {
    const int epochs = 80;
    ClusterMasterStats clean, attacked;
    const Eigen::VectorXf reference = runUnderAttack(Attacker::None, clean, epochs);
    const Eigen::VectorXf underAttack = runUnderAttack(Attacker::Authenticated, attacked, epochs);
    QVERIFY(reference.size() > 0);
    QVERIFY(underAttack.size() > 0);
    QVERIFY2(underAttack == reference, "malformed messages changed the trained parameters");
    QCOMPARE(clean.messagesDropped, uint64_t{0});
    QVERIFY(attacked.messagesDropped > 100);
    qInfo("%llu malformed or forged messages dropped during the run", static_cast<unsigned long long>(attacked.messagesDropped));
  }

  // The same forged results from peers that do not hold an accepted key never reach the
  // master at all: not one message decoded, the parameters exactly those of a clean run.
  void unauthenticatedPeerCannotSubmitParameters() {
    const int epochs = 40;
    ClusterMasterStats clean, stranger, plain;
    const Eigen::VectorXf reference = runUnderAttack(Attacker::None, clean, epochs);
    const Eigen::VectorXf withStranger = runUnderAttack(Attacker::Stranger, stranger, epochs);
    const Eigen::VectorXf withPlain = runUnderAttack(Attacker::Plain, plain, epochs);
    QVERIFY(reference.size() > 0);
    QVERIFY2(withStranger == reference, "a peer with an unknown CURVE key changed the trained parameters");
    QVERIFY2(withPlain == reference, "a peer without CURVE changed the trained parameters");
    QCOMPARE(stranger.messagesDropped, uint64_t{0});  // nothing got as far as the decoder
    QCOMPARE(plain.messagesDropped, uint64_t{0});
    QVERIFY(stranger.peersRefused >= 1);
    QVERIFY(plain.handshakeFailures >= 1);
    QCOMPARE(stranger.workersJoined, 1);
    QCOMPARE(plain.workersJoined, 1);
    qInfo("stranger refused %llu time(s); plain peer failed the handshake %llu time(s)",
          static_cast<unsigned long long>(stranger.peersRefused), static_cast<unsigned long long>(plain.handshakeFailures));
  }

  // A worker whose key is on no list of this master (another user's config dir) is refused
  // with its key named on both sides; the accepted worker trains on and the run completes.
  void workerWithUnknownKeyIsRefused() {
    QTemporaryDir dir, otherUser;
    MasterUnderTest m(irisConf(150, 1), data_);
    WorkerProcess good(dir, "good"), bad(dir, "bad");
    bad.setConfigDir(otherUser.path());
    good.start({"--connect", QString::fromStdString(m.master.endpoint())});
    bad.start({"--connect", QString::fromStdString(m.master.endpoint()), "--master-key", QString::fromStdString(m.master.publicKey())});
    const auto t0 = Clock::now();
    QVERIFY2(waitFor([&] { return bad.log().contains("refused this worker's key"); }, 10000), qPrintable(bad.log() + "\n" + m.logText()));
    const double said = std::chrono::duration<double>(Clock::now() - t0).count();
    QVERIFY2(waitFor([&] { return m.master.connectedWorkers() == 1; }, 20000), qPrintable(m.logText()));
    const RunSummary run = m.trainer.run();
    QVERIFY2(run.completed, run.error.c_str());
    QVERIFY(run.finalEvaluation.accuracy >= 0.85);
    QVERIFY(m.recorder.remoteResults() > 0);
    QCOMPARE(m.master.stats().workersJoined, 1);
    QVERIFY(m.master.stats().peersRefused >= 1);
    const QRegularExpression keyRe("CURVE on: this worker's key (\\S{40})");
    const auto match = keyRe.match(bad.log());
    QVERIFY2(match.hasMatch(), qPrintable(bad.log()));
    QVERIFY2(m.logText().contains("refused a connection from") && m.logText().contains(match.captured(1)), qPrintable(m.logText()));
    qInfo("the refused worker said so %.2f s after it started", said);
  }

  // Workers of other users get in two ways: a key listed in the master's allow-list
  // (--authorized-workers), or a key derived from the cluster secret both sides hold.
  void allowListedAndClusterSecretWorkersAreAccepted() {
    QTemporaryDir dir, userA, userB;
    const CurveKeyPair keyA = loadOrCreateKeyPair(std::filesystem::path(userA.path().toStdString()) / "scaleout" / "curve", "worker", {});
    const QString allow = dir.filePath("authorized_workers"), secret = dir.filePath("cluster.secret");
    {
      QFile f(allow);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(QByteArray("# lab machines\n") + QByteArray::fromStdString(keyA.publicKey) + " user-a\n");
      QFile g(secret);
      QVERIFY(g.open(QIODevice::WriteOnly));
      g.write("a shared secret of the lab cluster\n");
      g.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    std::mutex logMutex;
    QStringList log;
    Trainer trainer(irisConf(100, 1), data_);
    ClusterMasterOptions o;
    o.security.authorizedWorkers = allow.toStdString();
    o.security.clusterSecretFile = secret.toStdString();
    o.log = [&](const std::string& line) {
      std::lock_guard lock(logMutex);
      log << QString::fromStdString(line);
    };
    ClusterMaster master(irisConf(100, 1), data_.train, o);
    master.setJoinHandler([&](std::unique_ptr<Worker> w) { trainer.addWorker(std::move(w)); });
    auto logText = [&] {
      std::lock_guard lock(logMutex);
      return log.join("\n");
    };
    QVERIFY2(logText().contains("authorized_workers line 2 (user-a)"), qPrintable(logText()));
    WorkerProcess a(dir, "a"), b(dir, "b");
    a.setConfigDir(userA.path());
    b.setConfigDir(userB.path());
    const QString key = QString::fromStdString(master.publicKey());
    a.start({"--connect", QString::fromStdString(master.endpoint()), "--master-key", key});
    b.start({"--connect", QString::fromStdString(master.endpoint()), "--master-key", key, "--cluster-secret", secret});
    QVERIFY2(waitFor([&] { return master.connectedWorkers() == 2; }, 20000), qPrintable(logText() + "\n" + a.log() + "\n" + b.log()));
    const RunSummary run = trainer.run();
    QVERIFY2(run.completed, run.error.c_str());
    QCOMPARE(master.stats().peersRefused, uint64_t{0});
    QVERIFY2(b.log().contains("(--cluster-secret " + secret + ")"), qPrintable(b.log()));
  }

  // Appending a refused worker's key to the allow-list admits it at its next attempt,
  // without restarting the master.
  void allowListEditAdmitsAWorkerWithoutRestart() {
    QTemporaryDir dir, otherUser;
    const QString allow = dir.filePath("authorized_workers");
    {
      QFile f(allow);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write("# nobody yet\n");
    }
    const CurveKeyPair key = loadOrCreateKeyPair(std::filesystem::path(otherUser.path().toStdString()) / "scaleout" / "curve", "worker", {});
    std::mutex logMutex;
    QStringList log;
    ClusterMasterOptions o;
    o.security.authorizedWorkers = allow.toStdString();
    o.log = [&](const std::string& line) {
      std::lock_guard lock(logMutex);
      log << QString::fromStdString(line);
    };
    ClusterMaster master(irisConf(1, 1), data_.train, o);
    auto logText = [&] {
      std::lock_guard lock(logMutex);
      return log.join("\n");
    };
    WorkerProcess w(dir, "w");
    w.setConfigDir(otherUser.path());
    w.start({"--connect", QString::fromStdString(master.endpoint()), "--master-key", QString::fromStdString(master.publicKey())});
    QVERIFY2(waitFor([&] { return w.log().contains("refused this worker's key"); }, 10000), qPrintable(w.log()));
    {
      QFile f(allow);
      QVERIFY(f.open(QIODevice::Append));
      f.write(QByteArray::fromStdString(key.publicKey) + " added-later\n");
    }
    const auto t0 = Clock::now();
    QVERIFY2(waitFor([&] { return master.connectedWorkers() == 1; }, 25000), qPrintable(logText() + "\n" + w.log()));
    qInfo("admitted %.1f s after the allow-list edit (the worker retries every 10 s)",
          std::chrono::duration<double>(Clock::now() - t0).count());
    QVERIFY2(logText().contains("changed: 2 worker key(s) accepted now"), qPrintable(logText()));
  }

  // The command line end to end: `scaleout train --bind --cluster-secret` and a worker of
  // another user holding the same secret; and the flag errors users will meet.
  void commandLineSecurityFlags() {
    QTemporaryDir dir, otherUser;
    const QString secret = dir.filePath("lab.secret"), badList = dir.filePath("bad_list"), conf = dir.filePath("conf.json");
    {
      QFile g(secret);
      QVERIFY(g.open(QIODevice::WriteOnly));
      g.write("the lab's shared cluster secret\n");
      g.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
      QFile b(badList);
      QVERIFY(b.open(QIODevice::WriteOnly));
      b.write("# ok\nnot-a-key label\n");
    }
    const QString iris = fixtures::resourcePath("confs/iris-mlp.json");
    auto runToEnd = [&](const QStringList& args, QString& output) {
      QProcess p;
      p.setProgram(binary());
      p.setArguments(args);
      p.setProcessChannelMode(QProcess::MergedChannels);
      p.start();
      if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished(5000);
      }
      output = QString::fromUtf8(p.readAll());
      return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    };
    QString out;
    QCOMPARE(runToEnd({"train", iris, "--out", dir.filePath("r0"), "--bind", "tcp://127.0.0.1:*", "--authorized-workers", badList}, out), 1);
    QVERIFY2(out.contains("line 2: 'not-a-key'"), qPrintable(out));
    QCOMPARE(runToEnd({"train", iris, "--out", dir.filePath("r1"), "--bind", "tcp://127.0.0.1:*", "--zk-auth", "nocolon"}, out), 1);
    QVERIFY2(out.contains("user:password"), qPrintable(out));
    QCOMPARE(runToEnd({"worker", "--connect", "tcp://127.0.0.1:1", "--insecure", "--master-key", "x"}, out), 2);
    QVERIFY2(out.contains("--insecure turns CURVE off"), qPrintable(out));

    // A master (its own process) and another user's worker that holds the cluster secret.
    const int port = fixtures::freeLoopbackPort();
    const QString endpoint = QString("tcp://127.0.0.1:%1").arg(port);
    QProcess master;
    master.setProgram(binary());
    master.setArguments({"train", iris, "--out", dir.filePath("r2"), "--bind", endpoint, "--cluster-secret", secret, "--set",
                         "finetuneEpochs=3000", "--interval", "100"});
    master.setProcessChannelMode(QProcess::MergedChannels);
    master.setStandardOutputFile(dir.filePath("master.log"));
    master.start();
    QVERIFY(master.waitForStarted(10000));
    auto masterLog = [&] {
      QFile f(dir.filePath("master.log"));
      return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    };
    QVERIFY2(waitFor([&] { return masterLog().contains("listening for workers on " + endpoint); }, 20000), qPrintable(masterLog()));
    const QRegularExpression keyRe("CURVE on: master key (\\S{40})");
    const QString masterKey = keyRe.match(masterLog()).captured(1);
    QVERIFY2(!masterKey.isEmpty(), qPrintable(masterLog()));
    WorkerProcess w(dir, "w");
    w.setConfigDir(otherUser.path());
    w.start({"--connect", endpoint, "--master-key", masterKey, "--cluster-secret", secret});
    const bool joined = waitFor([&] { return w.log().contains("ready: 1 lane(s) training"); }, 20000);
    if (!master.waitForFinished(60000)) master.kill();
    QVERIFY2(joined, qPrintable(masterLog() + "\n" + w.log()));
    QCOMPARE(master.exitCode(), 0);
    QVERIFY2(masterLog().contains("accepts worker key") && masterLog().contains("--cluster-secret"), qPrintable(masterLog()));
    QVERIFY2(!masterLog().contains("INSECURE"), qPrintable(masterLog()));
  }

  // Mixed security: each side says why within a few seconds instead of hanging silently.
  void mixedSecurityIsExplained_data() {
    QTest::addColumn<bool>("masterInsecure");
    QTest::addColumn<QStringList>("workerArgs");
    QTest::addColumn<QString>("expected");
    QTest::newRow("insecure worker, secure master") << false << QStringList{"--insecure"} << "requires CURVE and this worker runs --insecure";
    QTest::newRow("secure worker, insecure master") << true << QStringList{} << "runs --insecure";
    QTest::newRow("wrong master key") << false << QStringList{"--master-key", QString::fromStdString(newKeyPair().publicKey)}
                                      << "is not that master's";
  }
  void mixedSecurityIsExplained() {
    QFETCH(bool, masterInsecure);
    QFETCH(QStringList, workerArgs);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    MasterUnderTest m(irisConf(1, 1), data_, masterInsecure);
    WorkerProcess w(dir, "w");
    const auto t0 = Clock::now();
    w.start(QStringList{"--connect", QString::fromStdString(m.master.endpoint())} + workerArgs);
    QVERIFY2(waitFor([&] { return w.log().contains(expected); }, 10000), qPrintable(w.log()));
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    QVERIFY(seconds < 8.0);
    QCOMPARE(m.master.connectedWorkers(), 0);
    if (!QString(QTest::currentDataTag()).contains("wrong master key"))
      QVERIFY2(waitFor([&] { return m.logText().contains("failed the handshake"); }, 5000), qPrintable(m.logText()));
    qInfo("%s: the worker explained it after %.2f s", QTest::currentDataTag(), seconds);
  }

  void workerWaitsForAMasterAndStopsCleanly() {
    QTemporaryDir dir;
    const Conf conf = irisConf(1, 1);
    // Reserve a port by binding a master, note it, close it: the worker starts first.
    std::string endpoint;
    {
      ClusterMaster probe(conf, data_.train, {});
      endpoint = probe.endpoint();
    }
    WorkerProcess a(dir, "early");
    a.start({"--connect", QString::fromStdString(endpoint)});
    QVERIFY2(waitFor([&] { return a.log().contains("waiting for a master at"); }, 10000), qPrintable(a.log()));
    ClusterMasterOptions o;
    o.bind = endpoint;
    ClusterMaster master(conf, data_.train, o);
    QVERIFY2(waitFor([&] { return master.connectedWorkers() == 1; }, 15000), qPrintable(a.log()));
    a.terminate();
    QVERIFY(a.waitFinished(5000));
    QCOMPARE(a.exitCode(), 0);
    QVERIFY(a.log().contains("stopped"));
    QVERIFY(waitFor([&] { return master.connectedWorkers() == 0; }, 3000));  // its Bye arrived
  }
};

QTEST_GUILESS_MAIN(TestClusterTraining)
#include "test_cluster_training.moc"
