// The cluster panel: the worker's command line follows the Security box; connecting to a
// ZooKeeper that is not there never blocks and ends in a clear error state; a local
// headless worker runs as a child process with its output in the log pane and stops on
// request; the worker table merges ZooKeeper registrations with the master's rounds;
// and, when a ZooKeeper server can be started here, a started worker shows up in it.
#include <cstdio>
#include <mutex>
#include <random>

#include <QCheckBox>
#include <QDir>
#include <QSettings>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>
#include <QtTest>

#include <signal.h>

#include "cluster_panel.h"
#include "conf_editor.h"
#include "main_window.h"
#include "observer_adapter.h"
#include "training_session.h"
#include "fixtures/iris_conf.h"
#include "fixtures/zookeeper_server.h"
#include "metatypes.h"
#include "worker_process.h"
#include "worker_table.h"
#include "zk_watcher.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {
QString scaleoutBinary() { return qEnvironmentVariable("SCALEOUT_BINARY"); }

QString artifactsDir() {
  QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
  if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
  QDir().mkpath(dir);
  return QDir(dir).absolutePath();
}

// Gaussian blobs, label last: enough rows for a run that lasts while a worker joins.
QString writeBlobs(const QString& path, int rows, int features, int classes) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) return {};
  QTextStream out(&file);
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int f = 0; f < features; ++f) out << "f" << f << ",";
  out << "label\n";
  for (int r = 0; r < rows; ++r) {
    const int label = r % classes;
    for (int f = 0; f < features; ++f) out << QString::number(2.0 * ((label + f) % 3) + noise(rng), 'f', 3) << ",";
    out << label << "\n";
  }
  return path;
}

Conf irisConf() {
  Conf c = fixtures::irisCsvConf();
  c.layerSizes = {8};
  c.finetuneEpochs = 5;
  c.batchSize = 10;
  c.threads = 2;
  c.averagingFrequency = 1;
  c.normalize = "zscore";
  c.checkpointEveryEpochs = 0;
  return c;
}

Conf quickConf() {
  Conf c;
  c.zooKeeperSessionTimeoutSeconds = 2;  // the bound for "unreachable"
  return c;
}
}  // namespace

class ClusterPanelTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_cluster");
    registerMetaTypes();
  }

  void workerArgumentsFollowTheSecurityBox_data() {
    QTest::addColumn<bool>("security");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("secure") << true
                            << QStringList{"worker", "--zk", "zk1:2181,zk2:2181", "--cluster", "lab", "--threads", "3"};
    QTest::newRow("insecure") << false
                              << QStringList{"worker", "--zk", "zk1:2181,zk2:2181", "--cluster", "lab", "--threads", "3",
                                             "--insecure"};
  }
  void workerArgumentsFollowTheSecurityBox() {
    QFETCH(bool, security);
    QFETCH(QStringList, expected);
    WorkerLaunch launch;
    launch.zkHosts = " zk1:2181,zk2:2181 ";
    launch.cluster = "lab";
    launch.threads = 3;
    launch.security = security;
    QCOMPARE(workerArguments(launch), expected);

    // The panel builds the same launch from its fields.
    ClusterPanel panel;
    panel.zkEdit()->setText(launch.zkHosts);
    panel.clusterEdit()->setText("lab");
    panel.workerThreadsBox()->setValue(3);
    panel.securityBox()->setChecked(security);
    QCOMPARE(workerArguments(panel.launchSettings()), expected);
  }

  void securityIsOnByDefault() {
    QSettings().remove("cluster/security");
    ClusterPanel panel;
    QVERIFY(panel.securityBox()->isChecked());
    QVERIFY(!workerArguments(panel.launchSettings()).contains("--insecure"));
  }

  void connectingToAClosedPortEndsInAnErrorState() {
    ClusterPanel panel;
    panel.setConf(quickConf());
    const int port = fixtures::freeLoopbackPort();
    QVERIFY(port > 0);
    panel.zkEdit()->setText(QString("127.0.0.1:%1").arg(port));
    QSignalSpy states(panel.watcher(), &ZkWatcher::stateChanged);
    QElapsedTimer clock;
    clock.start();
    panel.connectButton()->click();
    const qint64 clickMs = clock.elapsed();  // blocking would take the whole session timeout (2 s)
    QCOMPARE(panel.watcher()->state(), ZkWatcher::State::Connecting);
    QVERIFY2(clickMs < 1000, qPrintable(QString("connect blocked the GUI thread for %1 ms").arg(clickMs)));
    QTRY_COMPARE_WITH_TIMEOUT(panel.watcher()->state(), ZkWatcher::State::Unreachable, 8000);
    const qint64 errorMs = clock.elapsed();
    QVERIFY2(panel.stateText().contains(QString("cannot reach ZooKeeper at 127.0.0.1:%1").arg(port)),
             qPrintable(panel.stateText()));
    QVERIFY(errorMs >= 1900);  // not before the session timeout (2 s) is over
    QVERIFY(!panel.connectButton()->isEnabled());
    QVERIFY(panel.disconnectButton()->isEnabled());
    std::printf("CLUSTER: connect returned in %lld ms; error state after %lld ms (session timeout 2000 ms)\n",
                static_cast<long long>(clickMs), static_cast<long long>(errorMs));

    clock.restart();
    panel.disconnectButton()->click();
    const qint64 disconnectMs = clock.elapsed();
    QCOMPARE(panel.watcher()->state(), ZkWatcher::State::Disconnected);
    QVERIFY2(disconnectMs < 1000, qPrintable(QString("disconnect blocked for %1 ms").arg(disconnectMs)));
    QVERIFY(panel.connectButton()->isEnabled());
    QCOMPARE(panel.workerTable()->workerCount(), 0);

    // Closing a session that never connected, as the app does at quit: bounded.
    {
      ZkWatcher watcher;
      watcher.connectTo(QString("127.0.0.1:%1").arg(port), "x", 2000, 2000);
      QTest::qWait(300);
      clock.restart();
    }
    const qint64 destroyMs = clock.elapsed();
    QVERIFY2(destroyMs < 3000, qPrintable(QString("closing took %1 ms").arg(destroyMs)));
    std::printf("CLUSTER: disconnect returned in %lld ms; destroying an unconnected watcher took %lld ms\n",
                static_cast<long long>(disconnectMs), static_cast<long long>(destroyMs));

    // An empty connect string is refused at once with its reason, and can be fixed.
    panel.zkEdit()->setText("  ");
    panel.connectButton()->click();
    QCOMPARE(panel.watcher()->state(), ZkWatcher::State::Failed);
    QVERIFY2(panel.stateText().contains("no ZooKeeper connect string"), qPrintable(panel.stateText()));
    QVERIFY(panel.connectButton()->isEnabled());
    QVERIFY(panel.zkEdit()->isEnabled());
  }

  // Issue #16: "nosuchhost:2181" said "No such file or directory" (the client library's
  // errno), then both "retrying in 8 s" and "check the connect string and connect again".
  // Now one message that names the host, and nothing retries. "nosuch..host" has an empty
  // label: the resolver refuses it without asking any DNS server (no network in tests).
  void anUnresolvableHostIsReported() {
    ClusterPanel panel;
    panel.setConf(quickConf());
    QSignalSpy messages(&panel, &ClusterPanel::message);
    panel.zkEdit()->setText("nosuch..host:2181");
    QElapsedTimer clock;
    clock.start();
    panel.connectButton()->click();
    QVERIFY2(clock.elapsed() < 250, qPrintable(QString::number(clock.elapsed())));  // measured 3-9 ms: never blocks the GUI
    QTRY_COMPARE_WITH_TIMEOUT(panel.watcher()->state(), ZkWatcher::State::Failed, 8000);
    QCOMPARE(panel.stateText(),
             QString("cannot use ZooKeeper at nosuch..host:2181: host 'nosuch..host' not found; check the connect string and "
                     "connect again"));
    // It can be fixed at once: the field is editable and Connect enabled; nothing retries.
    QVERIFY(panel.connectButton()->isEnabled());
    QVERIFY(panel.zkEdit()->isEnabled());
    QVERIFY(!panel.disconnectButton()->isEnabled());
    QTest::qWait(2500);  // the registry's first retry came after 1 s, the next after 2 s
    QStringList lines;
    for (const auto& m : messages) lines << m.at(0).toString();
    std::printf("CLUSTER: unresolvable host -> %s\n", qPrintable(lines.join(" | ")));
    QCOMPARE(lines.filter("not found").size(), 1);
    QVERIFY2(lines.filter("retrying").isEmpty(), qPrintable(lines.join(" | ")));
    QVERIFY2(lines.filter("No such file").isEmpty(), qPrintable(lines.join(" | ")));
    QCOMPARE(panel.watcher()->state(), ZkWatcher::State::Failed);
  }

  // Issue #16: the worker without ZooKeeper waited for ever ("Connection refused"). It
  // finds its master through the cluster, so Start is enabled only while connected, and
  // the panel says what it needs.
  void localWorkerNeedsAConnectedCluster() {
    ClusterPanel panel;
    panel.setConf(quickConf());
    if (!scaleoutBinary().isEmpty()) panel.workerProcess()->setProgram(scaleoutBinary());
    QVERIFY(!panel.startWorkerButton()->isEnabled());
    QVERIFY2(panel.workerHintText().contains("Connect to ZooKeeper above first"), qPrintable(panel.workerHintText()));
    QCOMPARE(panel.startWorkerButton()->toolTip(), panel.workerHintText());
    panel.startLocalWorker();  // the slot refuses too
    QVERIFY(!panel.workerProcess()->isRunning());

    const int port = fixtures::freeLoopbackPort();
    QVERIFY(port > 0);
    panel.zkEdit()->setText(QString("127.0.0.1:%1").arg(port));
    panel.connectButton()->click();
    QCOMPARE(panel.watcher()->state(), ZkWatcher::State::Connecting);
    QVERIFY(!panel.startWorkerButton()->isEnabled());
    QVERIFY2(panel.workerHintText().contains("once the panel is connected"), qPrintable(panel.workerHintText()));
    QTRY_COMPARE_WITH_TIMEOUT(panel.watcher()->state(), ZkWatcher::State::Unreachable, 8000);
    QVERIFY(!panel.startWorkerButton()->isEnabled());
    QVERIFY2(panel.workerHintText().contains("Connect to ZooKeeper above first"), qPrintable(panel.workerHintText()));
    panel.startLocalWorker();
    QVERIFY(!panel.workerProcess()->isRunning());
    QCOMPARE(panel.workerLog(), QString());
  }

  // Issue #16: with ZooKeeper unreachable, every Start waited the whole session timeout
  // (the master's registry) although the panel already said "unreachable". Measured
  // before the fix: applyToRun() returned true, and the run waited 10 s for ZooKeeper.
  void aRunDoesNotWaitOnAnUnreachableCluster() {
    MainWindow window;
    window.setRunsRoot(QString());
    Conf c = irisConf();
    c.zooKeeperSessionTimeoutSeconds = 10;  // what a run would wait for ZooKeeper
    window.confEditor()->setConf(c);
    ClusterPanel* panel = window.clusterPanel();
    panel->setConf(quickConf());  // the panel's bound for "unreachable": 2 s
    panel->useClusterBox()->setChecked(true);
    panel->zkEdit()->setText(QString("127.0.0.1:%1").arg(fixtures::freeLoopbackPort()));
    panel->connectButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(panel->watcher()->state(), ZkWatcher::State::Unreachable, 8000);

    SessionOptions options;
    QSignalSpy messages(panel, &ClusterPanel::message);
    QVERIFY(!panel->applyToRun(options));
    QVERIFY(options.clusterZk.isEmpty());
    QCOMPARE(messages.size(), 1);
    QVERIFY2(messages.at(0).at(0).toString().contains("is unreachable, so this run trains with local threads only"),
             qPrintable(messages.at(0).at(0).toString()));

    QSignalSpy ended(window.session(), &TrainingSession::ended);
    QElapsedTimer clock;
    clock.start();
    window.startAction()->trigger();
    QVERIFY(ended.wait(30000));
    const qint64 runMs = clock.elapsed();
    QVERIFY2(ended.at(0).at(0).toBool(), qPrintable(ended.at(0).at(1).toString() + "\n" + window.logText()));
    QVERIFY2(!window.logText().contains("this run is the master of cluster"), qPrintable(window.logText()));
    QVERIFY2(window.logText().contains("trains with local threads only"), qPrintable(window.logText()));
    QVERIFY2(runMs < 8000, qPrintable(QString("the run took %1 ms (it waited on ZooKeeper?)").arg(runMs)));
    std::printf("CLUSTER: a 5-epoch Iris run with ZooKeeper unreachable took %lld ms (session timeout 10 s)\n",
                static_cast<long long>(runMs));
  }

  // Issue #16: the run log filled with the client library's own lines (ZOO_ERROR@...) and
  // an "unreachable ... retrying" line every few seconds. The library's lines go to the
  // debug category scaleout.zookeeper; the retry line is said once per outage.
  void zooKeeperClientLinesStayOutOfTheRunLog() {
    // The client library logs from its own threads.
    static std::mutex debugMutex;
    static QStringList debugLines;
    static QtMessageHandler previous = nullptr;
    debugLines.clear();
    QLoggingCategory::setFilterRules("scaleout.zookeeper.debug=true");
    previous = qInstallMessageHandler([](QtMsgType type, const QMessageLogContext& context, const QString& text) {
      if (type == QtDebugMsg && QByteArray(context.category) == "scaleout.zookeeper") {
        std::lock_guard lock(debugMutex);
        debugLines << text;
      } else if (previous) {
        previous(type, context, text);
      }
    });
    {
      ClusterPanel panel;
      panel.setConf(quickConf());
      QSignalSpy messages(&panel, &ClusterPanel::message);
      panel.zkEdit()->setText(QString("127.0.0.1:%1").arg(fixtures::freeLoopbackPort()));
      panel.connectButton()->click();
      QTRY_COMPARE_WITH_TIMEOUT(panel.watcher()->state(), ZkWatcher::State::Unreachable, 8000);
      QTest::qWait(7000);  // the registry's retry line came at 2 s, then 5 s later
      QStringList lines;
      for (const auto& m : messages) lines << m.at(0).toString();
      const QString all = lines.join("\n");
      QVERIFY2(!all.contains("ZOO_"), qPrintable(all));
      QVERIFY2(!all.contains("zookeeper client"), qPrintable(all));
      QVERIFY2(lines.filter("unreachable for").size() == 1, qPrintable(all));
      QVERIFY2(lines.filter("cannot reach ZooKeeper").size() == 1, qPrintable(all));
      std::printf("CLUSTER: %lld run-log line(s) over 9 s of an unreachable ZooKeeper\n", static_cast<long long>(lines.size()));
    }
    qInstallMessageHandler(previous);
    QLoggingCategory::setFilterRules(QString());
    std::lock_guard lock(debugMutex);
    // Not dropped: at debug level they are there (one per connection attempt).
    QVERIFY2(!debugLines.isEmpty(), "no ZooKeeper client line at debug level");
    QVERIFY2(debugLines.filter("ZOO_").size() == debugLines.size(), qPrintable(debugLines.join("\n")));
  }

  void quittingTheAppStopsTheLocalWorker() {
    if (scaleoutBinary().isEmpty()) QSKIP("SCALEOUT_BINARY not set (run through ctest)");
    MainWindow window;
    window.setRunsRoot(QString());
    ClusterPanel* panel = window.clusterPanel();
    panel->workerProcess()->setProgram(scaleoutBinary());
    panel->zkEdit()->setText(QString("127.0.0.1:%1").arg(fixtures::freeLoopbackPort()));
    panel->securityBox()->setChecked(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy started(panel->workerProcess(), &WorkerProcess::started);
    // Not through the button (it waits for a connected cluster): the process itself, whose
    // end on quitting is what this test is about.
    panel->workerProcess()->start(panel->launchSettings());
    QVERIFY(started.wait(10000));
    const qint64 pid = panel->workerProcess()->processId();
    QTRY_VERIFY_WITH_TIMEOUT(panel->workerLog().contains("INSECURE"), 10000);
    QVERIFY(::kill(static_cast<pid_t>(pid), 0) == 0);  // alive
    QElapsedTimer clock;
    clock.start();
    QVERIFY(window.close());
    const qint64 closeMs = clock.elapsed();
    QVERIFY(!panel->workerProcess()->isRunning());
    // Gone and reaped: the pid no longer names our child.
    QVERIFY(::kill(static_cast<pid_t>(pid), 0) != 0);
    QVERIFY2(closeMs < 4000 + 1000, qPrintable(QString::number(closeMs)));
    std::printf("CLUSTER: closing the main window stopped the worker (pid %lld) in %lld ms\n", static_cast<long long>(pid),
                static_cast<long long>(closeMs));
  }

  void aWorkerThatIgnoresTerminateIsKilled() {
    // A child that traps SIGTERM: stop() kills it once the bound has passed.
    WorkerProcess process;
    process.setProgram("/bin/sh");
    process.setKillAfterMs(500);
    QSignalSpy started(&process, &WorkerProcess::started);
    QSignalSpy lines(&process, &WorkerProcess::line);
    QSignalSpy finished(&process, &WorkerProcess::finished);
    // workerArguments() starts with "worker": sh runs a script of that name.
    QTemporaryDir dir;
    QFile script(dir.filePath("worker"));
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write("trap '' TERM; echo ready; while true; do sleep 0.1; done\n");
    script.close();
    const QString old = QDir::currentPath();
    QDir::setCurrent(dir.path());
    process.start(WorkerLaunch{});
    const bool ok = started.wait(5000);
    QDir::setCurrent(old);
    QVERIFY(ok);
    QTRY_VERIFY_WITH_TIMEOUT(!lines.isEmpty(), 5000);
    QCOMPARE(lines.at(0).at(0).toString(), QString("ready"));
    QElapsedTimer clock;
    clock.start();
    process.stop();
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.at(0).at(2).toBool(), true);  // killed after the bound
    QVERIFY2(clock.elapsed() >= 450 && clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
  }

  // A local run's rows ("local-0 ... training") say the run ended once it has.
  void noWorkerIsTrainingAfterTheRunEnded() {
    MainWindow window;
    window.setRunsRoot(QString());
    window.confEditor()->setConf(irisConf());
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    QStringList statesDuringRun;
    connect(window.session()->adapter(), &ObserverAdapter::round, this, [&] {
      for (const QString& key : window.clusterPanel()->workerTable()->workerKeys())
        statesDuringRun << window.clusterPanel()->workerTable()->stateOf(key);
    });  // direct, after the table's own: the adapter emits on this thread
    window.startAction()->trigger();
    QVERIFY(ended.wait(60000));
    QApplication::processEvents();
    WorkerTable* table = window.clusterPanel()->workerTable();
    QVERIFY(statesDuringRun.contains("training"));
    QCOMPARE(table->workerCount(), 2);
    for (int row = 0; row < table->rowCount(); ++row) {
      const QString state = table->item(row, WorkerTable::kState)->text();
      QVERIFY2(!state.contains("training"), qPrintable(state));
      QCOMPARE(state, QString("done (run ended)"));
    }
  }

  void workerTableMergesRegistrationsAndRounds() {
    WorkerTable table;
    ZkWorkerEntry e;
    e.id = "h1-42-abcdef01";
    e.host = "h1";
    e.pid = 42;
    e.threads = 4;
    table.setRegistered({e});
    QCOMPARE(table.workerCount(), 1);
    QVERIFY(table.stateOf("h1:42").contains("registered"));

    RoundInfo round;
    round.round = 7;
    for (int lane = 0; lane < 2; ++lane) {
      WorkerRoundInfo w;
      w.worker = 1 + lane;
      w.id = "h1:42#" + std::to_string(lane);
      w.samplesPerSecond = 100;
      w.samples = 50;
      round.workers.push_back(w);
    }
    WorkerRoundInfo local;
    local.worker = 0;
    local.id = "local-0";
    local.samplesPerSecond = 300;
    round.workers.push_back(local);
    table.addRound(round);
    round.round = 8;
    round.workers[0].arrived = round.workers[1].arrived = false;  // missed the deadline
    table.addRound(round);
    table.refresh();
    QCOMPARE(table.workerCount(), 2);
    QCOMPARE(table.roundsOf("h1:42"), 1LL);
    QCOMPARE(table.roundsOf("local-0"), 2LL);
    QCOMPARE(table.stateOf("h1:42"), QString("missed round 8"));
    QCOMPARE(table.rowCount(), 2);
    // Rows sorted by key: "h1:42" then "local-0".
    QCOMPARE(table.item(0, WorkerTable::kThreads)->text(), QString("4"));
    QCOMPARE(table.item(0, WorkerTable::kSpeed)->text(), QString("200"));  // two lanes (no round time: compute rate)
    RoundInfo timed = round;
    timed.round = 9;
    timed.seconds = 0.5;
    timed.workers[0].arrived = timed.workers[1].arrived = true;
    table.addRound(timed);
    table.refresh();
    QCOMPARE(table.item(0, WorkerTable::kSpeed)->text(), QString("200"));  // 2 x 50 samples in 0.5 s
    QCOMPARE(table.roundsOf("h1:42"), 2LL);
    QCOMPARE(table.roundsOf("local-0"), 3LL);
    QCOMPARE(table.item(1, WorkerTable::kHost)->text(), QString("this process"));
    QCOMPARE(table.item(1, WorkerTable::kRounds)->text(), QString("3"));
    // Busy: compute over the wall time since the worker's first round (per lane). Only
    // round 9 had a wall time (0.5 s); nobody reported compute yet: 0%.
    QCOMPARE(table.busyOf("h1:42"), 0.0);
    QCOMPARE(table.item(0, WorkerTable::kBusy)->text(), QString("0%"));
    RoundInfo busy = timed;
    busy.round = 10;
    busy.seconds = 1.5;
    busy.workers[0].computeSeconds = busy.workers[1].computeSeconds = 1.0;  // two lanes, 2 s of 2 x 2 s
    busy.workers[2].computeSeconds = 1.5;                                     // the local lane: 1.5 s of 2 s
    table.addRound(busy);
    table.refresh();
    QCOMPARE(table.busyOf("h1:42"), 0.5);
    QCOMPARE(table.busyOf("local-0"), 0.75);
    QCOMPARE(table.item(1, WorkerTable::kBusy)->text(), QString("75%"));
    QCOMPARE(table.busyOf("nobody"), -1.0);
    QVERIFY(table.item(1, WorkerTable::kLastHeard)->text().endsWith("s ago"));

    table.setRegistered({});
    QCOMPARE(table.stateOf("h1:42"), QString("left the cluster"));
    table.startRun();  // a new run: local rows go, registered ones stay with no rounds
    QCOMPARE(table.workerCount(), 1);
    QCOMPARE(table.roundsOf("h1:42"), 0LL);
  }

  void aStartedWorkerAppearsThroughZooKeeper() {
    const QString why = fixtures::ZooKeeperServer::unavailableReason();
    if (!why.isEmpty()) QSKIP(qPrintable(why));
    if (scaleoutBinary().isEmpty()) QSKIP("SCALEOUT_BINARY not set (run through ctest)");
    fixtures::ZooKeeperServer server;
    const QString error = server.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));

    ClusterPanel panel;
    panel.setConf(quickConf());
    panel.workerProcess()->setProgram(scaleoutBinary());
    panel.zkEdit()->setText(server.hostPort());
    panel.clusterEdit()->setText("uitest");
    panel.securityBox()->setChecked(false);
    panel.workerThreadsBox()->setValue(2);
    panel.connectButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(panel.watcher()->state(), ZkWatcher::State::Connected, 15000);
    QCOMPARE(panel.workerTable()->workerCount(), 0);
    QVERIFY(panel.startWorkerButton()->isEnabled());
    QCOMPARE(panel.workerHintText(), QString());

    QSignalSpy started(panel.workerProcess(), &WorkerProcess::started);
    panel.startWorkerButton()->click();
    QVERIFY(started.wait(10000));
    const qint64 pid = panel.workerProcess()->processId();
    QVERIFY(panel.workerProcess()->arguments().contains("--insecure"));
    QVERIFY(!panel.startWorkerButton()->isEnabled());
    QVERIFY(panel.stopWorkerButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(panel.workerLog().contains("INSECURE"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(panel.workerLog().contains(server.hostPort()), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(panel.workerTable()->workerCount(), 1, 20000);
    const QString key = panel.workerTable()->workerKeys().value(0);
    QVERIFY2(key.endsWith(QString(":%1").arg(pid)), qPrintable(key));
    QVERIFY(panel.workerTable()->stateOf(key).contains("registered"));
    panel.workerTable()->refresh();
    QCOMPARE(panel.workerTable()->item(0, WorkerTable::kThreads)->text(), QString("2"));
    panel.resize(1000, 700);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QTRY_VERIFY_WITH_TIMEOUT(panel.workerLog().contains("registered this worker"), 10000);
    QVERIFY(panel.grab().save(QDir(artifactsDir()).filePath("cluster_panel.png")));

    // Stopped: a clean exit on SIGTERM; its ephemeral registration goes, and the table says so.
    QSignalSpy finished(panel.workerProcess(), &WorkerProcess::finished);
    panel.stopWorkerButton()->click();
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
    QCOMPARE(finished.at(0).at(2).toBool(), false);  // not killed
    QVERIFY2(panel.workerLog().contains("trained 0 task(s)"), qPrintable(panel.workerLog()));
    QVERIFY2(panel.workerStateText().contains("exited with code 0"), qPrintable(panel.workerStateText()));
    QVERIFY(panel.startWorkerButton()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(panel.workerTable()->stateOf(key), QString("left the cluster"), 15000);
    panel.disconnectButton()->click();
  }

  void aRunFromTheGuiTrainsOnTheStartedWorker() {
    const QString why = fixtures::ZooKeeperServer::unavailableReason();
    if (!why.isEmpty()) QSKIP(qPrintable(why));
    if (scaleoutBinary().isEmpty()) QSKIP("SCALEOUT_BINARY not set (run through ctest)");
    fixtures::ZooKeeperServer server;
    const QString error = server.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTemporaryDir dir;
    const QString csv = writeBlobs(dir.filePath("blobs.csv"), 20000, 16, 4);
    QVERIFY(!csv.isEmpty());

    MainWindow window;
    window.setRunsRoot(QString());
    ClusterPanel* panel = window.clusterPanel();
    panel->setConf(quickConf());
    panel->workerProcess()->setProgram(scaleoutBinary());
    panel->zkEdit()->setText(server.hostPort());
    panel->clusterEdit()->setText("guirun");
    panel->securityBox()->setChecked(false);  // today's cluster has no CURVE
    panel->useClusterBox()->setChecked(true);
    panel->workerThreadsBox()->setValue(1);
    panel->connectButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(panel->watcher()->state(), ZkWatcher::State::Connected, 15000);
    QSignalSpy started(panel->workerProcess(), &WorkerProcess::started);
    panel->startWorkerButton()->click();
    QVERIFY(started.wait(10000));
    const QString key = QString(":%1").arg(panel->workerProcess()->processId());
    QTRY_COMPARE_WITH_TIMEOUT(panel->workerTable()->workerCount(), 1, 20000);

    Conf c;
    c.networkClass = "mlp";
    c.dataset = "csv";
    c.trainData = csv.toStdString();
    c.nIn = 16;
    c.nOut = 4;
    c.layerSizes = {32};
    // Far more epochs than the test waits for: on a fast machine 200 epochs of this small net
    // ended in 0.8 s, before the stop below, and the stop then had nothing to end.
    c.finetuneEpochs = 100000;
    c.batchSize = 20;
    c.threads = 1;
    c.averagingFrequency = 5;
    c.normalize = "zscore";
    c.evalEvery = 0;
    c.statsEvery = 0;
    c.checkpointEveryEpochs = 0;
    c.checkpointEveryMinutes = 0;
    c.zooKeeperSessionTimeoutSeconds = 2;
    window.confEditor()->setConf(c);
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    long long remoteRounds = 0;
    connect(window.session()->adapter(), &ObserverAdapter::round, this, [&](const RoundInfo& r) {
      for (const auto& w : r.workers)
        if (w.arrived && QString::fromStdString(w.id).contains(key)) ++remoteRounds;
    });
    window.startAction()->trigger();
    QVERIFY2(window.logText().contains("this run is the master of cluster guirun"), qPrintable(window.logText()));
    // The worker finds this run's master through ZooKeeper, joins, and trains rounds.
    QTRY_VERIFY_WITH_TIMEOUT(remoteRounds >= 3, 30000);
    panel->workerTable()->refresh();
    QString row;
    for (const QString& k : panel->workerTable()->workerKeys())
      if (k.endsWith(key)) row = k;
    QVERIFY(!row.isEmpty());
    QVERIFY(panel->workerTable()->roundsOf(row) >= 3);
    QCOMPARE(panel->workerTable()->stateOf(row), QString("training"));
    QVERIFY(panel->workerTable()->workerKeys().contains("local-0"));
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.viewTabs()->setCurrentWidget(panel);
    QTest::qWait(600);  // one refresh of the table's ages
    QVERIFY(window.grab().save(QDir(artifactsDir()).filePath("cluster_panel_training.png")));
    // The run must still be going, or the stop below proves nothing.
    QVERIFY(window.session()->isRunning());
    QCOMPARE(ended.count(), 0);
    window.stopAction()->trigger();
    QVERIFY(ended.wait(30000));
    QVERIFY2(window.logText().contains("cluster: worker"), qPrintable(window.logText()));
    std::printf("CLUSTER: a GUI run trained %lld round(s) on the local headless worker %s\n", remoteRounds, qPrintable(row));
  }
};

QTEST_MAIN(ClusterPanelTest)
#include "test_ui_cluster.moc"
