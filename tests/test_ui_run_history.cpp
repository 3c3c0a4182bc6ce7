// Run history: runs keep their metrics in the user's data directory (XDG_DATA_HOME is a
// temporary directory here), are listed newest first, read back into curves, and an
// earlier run's curves overlay the current charts and stay there across a new run.
#include <cstdio>

#include <QApplication>
#include <QDir>
#include <QTabWidget>
#include <QFile>
#include <QListWidget>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "conf_editor.h"
#include "fixtures/iris_conf.h"
#include "main_window.h"
#include "monitor_panel.h"
#include "qcustomplot.h"
#include "run_history.h"
#include "runs_panel.h"
#include "series_plot.h"
#include "training_session.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {
Conf irisConf(int epochs) {
  Conf c = fixtures::smallIrisConf(epochs);
  c.layerSizes = {8};
  c.activation = Conf{}.activation;
  c.evalEvery = 2;
  return c;
}
}  // namespace

class RunHistoryTest : public QObject {
  Q_OBJECT
  QTemporaryDir home_;

 private slots:
  void initTestCase() {
    QVERIFY(home_.isValid());
    // The user's data and config directories, private to this test.
    qputenv("XDG_DATA_HOME", home_.filePath("data").toUtf8());
    qputenv("XDG_CONFIG_HOME", home_.filePath("config").toUtf8());
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_run_history");
    registerMetaTypes();
    QVERIFY2(defaultRunsRoot().startsWith(home_.filePath("data")), qPrintable(defaultRunsRoot()));
  }

  void metricsFileIsReadBack() {
    QTemporaryDir dir;
    QFile f(dir.filePath("metrics.csv"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("iteration,epoch,phase,worker,loss,test_accuracy,event\n"
            "1,1,finetune,0,2.5,,\n"
            "2,1,finetune,1,2.0,,\n"
            "2,1,finetune,,2.25,,epoch end\n"
            "2,1,finetune,,,0.5,evaluation\n"
            "2,1,finetune,,,,\"worker a,b joined\"\n"
            "3,2,finetune,0,1.5,,\n"
            "3,2,finetune,,1.5,,epoch end\n"
            "3,2,finetune,,,0.75,evaluation recon0=0.1\n");
    f.close();
    RunCurves c;
    QString error;
    QVERIFY2(loadRunCurves(dir.path(), c, &error), qPrintable(error));
    QCOMPARE(c.lossX, (QVector<double>{1, 2, 3}));
    QCOMPARE(c.lossY, (QVector<double>{2.5, 2.0, 1.5}));
    QCOMPARE(c.accuracyX, (QVector<double>{1, 2}));  // epochs over all phases
    QCOMPARE(c.accuracyY, (QVector<double>{0.5, 0.75}));

    QVERIFY(!loadRunCurves(dir.filePath("missing"), c, &error));
    QVERIFY2(error.contains("metrics.csv"), qPrintable(error));
  }

  // The run in progress is listed but cannot be overlaid on itself; once it ends it can.
  void theCurrentRunIsNotOfferedAsAnOverlay() {
    QTemporaryDir root;
    for (const char* id : {"20261202-070000-000", "20261202-080000-000"}) {
      QDir(root.path()).mkpath(id);
      QFile m(QDir(root.path()).filePath(QString(id) + "/metrics.csv"));
      QVERIFY(m.open(QIODevice::WriteOnly));
      m.write("iteration,epoch,phase,worker,loss,test_accuracy,event\n1,1,finetune,0,1.5,,\n1,1,finetune,,,0.8125,evaluation finetune\n");
    }
    RunsPanel panel;
    panel.setRoot(root.path());
    QCOMPARE(panel.runCount(), 2);
    QVERIFY(panel.setChecked("20261202-080000-000", true));
    panel.setCurrentRun("20261202-080000-000");
    QListWidgetItem* current = panel.list()->item(0);
    QCOMPARE(current->data(Qt::UserRole).toString(), QString("20261202-080000-000"));
    QVERIFY2(current->text().contains("(this run)") && current->text().contains("test accuracy 0.8125"), qPrintable(current->text()));
    QVERIFY(!(current->flags() & Qt::ItemIsUserCheckable));
    QVERIFY(panel.checkedIds().isEmpty());  // its overlay of itself went
    QVERIFY(panel.list()->item(1)->flags() & Qt::ItemIsUserCheckable);
    panel.setCurrentRun(QString());
    QVERIFY(panel.list()->item(0)->flags() & Qt::ItemIsUserCheckable);
    QVERIFY(!panel.list()->item(0)->text().contains("this run"));
  }

  void anEarlierRunOverlaysTheCharts() {
    MainWindow window;  // runs go to the default root: XDG_DATA_HOME/.../runs
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    RunsPanel* runs = window.runsPanel();
    QCOMPARE(runs->root(), defaultRunsRoot());
    const int before = runs->runCount();

    QSignalSpy ended(window.session(), &TrainingSession::ended);
    window.confEditor()->setConf(irisConf(10));
    window.startAction()->trigger();
    QVERIFY(ended.wait(60000));
    QVERIFY(ended.at(0).at(0).toBool());
    // Listed when it ends, without a Refresh click (issue #16), with what tells runs apart.
    QCOMPARE(runs->runCount(), before + 1);
    const QString first = runs->list()->item(0)->data(Qt::UserRole).toString();  // newest first
    QVERIFY(QFile::exists(QDir(defaultRunsRoot()).filePath(first + "/metrics.csv")));
    const QString text = runs->list()->item(0)->text();
    QVERIFY2(text.contains("mlp [8] on csv iris.csv, 10 epochs, rate 0.05, test accuracy 0."), qPrintable(text));
    QVERIFY2(!text.contains("this run"), qPrintable(text));
    QVERIFY(runs->list()->item(0)->flags() & Qt::ItemIsUserCheckable);

    MonitorPanel* monitor = window.monitor();
    QSignalSpy overlays(runs, &RunsPanel::overlaysChanged);
    QVERIFY(runs->setChecked(first, true));
    QVERIFY(overlays.wait(10000));
    QCOMPARE(overlays.last().at(0).value<QList<RunCurves>>().size(), 1);
    QCOMPARE(monitor->lossPlot()->overlayCount(), 1);
    QCOMPARE(monitor->lossPlot()->overlayPoints(), qsizetype(12 * 10));  // 120 minibatches, all kept (< 4000)
    QCOMPARE(monitor->accuracyPlot()->overlayCount(), 1);
    QCOMPARE(monitor->accuracyPlot()->overlayPoints(), qsizetype(10 / 2));
    // Overlays are not the run's data: not counted, not exported.
    const qsizetype livePoints = monitor->lossPlot()->totalPoints(false);

    // A second run: the charts are cleared for it, the overlay stays.
    ended.clear();
    window.confEditor()->setConf(irisConf(6));
    window.startAction()->trigger();
    QVERIFY(ended.wait(60000));
    QCOMPARE(monitor->lossPlot()->overlayCount(), 1);
    QCOMPARE(monitor->lossPlot()->pointCount(0), qsizetype(12 * 6));
    QVERIFY(monitor->lossPlot()->totalPoints(false) != livePoints);
    QVERIFY(monitor->lossPlot()->graph(0)->name() == "raw");
    QCOMPARE(runs->runCount(), before + 2);
    QCOMPARE(runs->checkedIds(), QStringList{first});

    // The overlay is labelled with its run in the legend, and unticking removes it.
    bool labelled = false;
    for (int i = 0; i < monitor->lossPlot()->plot()->graphCount(); ++i)
      labelled = labelled || monitor->lossPlot()->plot()->graph(i)->name() == "run " + first;
    QVERIFY(labelled);
    window.leftTabs()->setCurrentWidget(runs);
    monitor->lossPlot()->replotNow();
    QApplication::processEvents();
    QString artifacts = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
    if (artifacts.isEmpty()) artifacts = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(window.grab().save(QDir(artifacts).filePath("run_overlay.png")));
    overlays.clear();
    QVERIFY(runs->setChecked(first, false));
    QVERIFY(overlays.count() == 1 || overlays.wait(5000));
    QCOMPARE(monitor->lossPlot()->overlayCount(), 0);
    std::printf("RUNS: %d run(s) kept under %s\n", runs->runCount(), qPrintable(defaultRunsRoot()));
  }
};

QTEST_MAIN(RunHistoryTest)
#include "test_ui_run_history.moc"
