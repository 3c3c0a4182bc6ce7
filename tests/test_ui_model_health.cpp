// Model-health views beyond the curves: histograms of a chosen layer's parameters and
// updates, and the System tab (throughput per round, resident memory of the process).
#include <cstdio>

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QtTest>

#include "conf_editor.h"
#include "fixtures/iris_conf.h"
#include "histogram_view.h"
#include "main_window.h"
#include "monitor_panel.h"
#include "process_stats.h"
#include "qcustomplot.h"
#include "series_plot.h"
#include "training_session.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {

QString artifactsDir() {
  QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
  if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
  QDir().mkpath(dir);
  return QDir(dir).absolutePath();
}

Histogram histogram(float lo, float hi, int base) {
  Histogram h;
  h.min = lo;
  h.max = hi;
  for (int i = 0; i < kHistogramBins; ++i) h.counts[static_cast<size_t>(i)] = base + i;
  return h;
}
}  // namespace

class ModelHealthTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_model_health");
    registerMetaTypes();
  }

  void histogramsShowTheChosenLayer() {
    HistogramView view;
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    ModelStats stats;
    stats.iteration = 300;
    stats.phase = "finetune";
    for (int l = 0; l < 2; ++l) {
      LayerStats s;
      s.layer = static_cast<size_t>(l);
      s.paramHistogram = histogram(-1.0f, 1.0f, 10 * (l + 1));
      s.updateHistogram = histogram(-0.01f, 0.01f, l);
      s.updateRatio = 0.001f;
      stats.layers.push_back(s);
    }
    view.onModelStats(stats);
    QCOMPARE(view.layerCount(), 2);
    QCOMPARE(view.layer(), 0);
    // Sum of counts: base * 20 + (0 + 1 + ... + 19) = base * 20 + 190.
    QCOMPARE(view.drawnCount(false), 10LL * 20 + 190);
    QCOMPARE(view.drawnCount(true), 0LL * 20 + 190);
    auto* bars = qobject_cast<QCPBars*>(view.parameterPlot()->plottable(0));
    QVERIFY(bars);
    QCOMPARE(bars->width(), 0.1);                        // (1 - -1) / 20
    QCOMPARE(bars->data()->at(0)->key, -0.95);           // centre of the first bin
    view.setLayer(1);
    QCOMPARE(view.drawnCount(false), 20LL * 20 + 190);
    QCOMPARE(view.drawnCount(true), 1LL * 20 + 190);
    QVERIFY2(view.captionText().contains("iteration 300"), qPrintable(view.captionText()));
    // New statistics keep the chosen layer.
    stats.iteration = 400;
    view.onModelStats(stats);
    QCOMPARE(view.layer(), 1);
    QVERIFY(view.captionText().contains("iteration 400"));
  }

  void residentMemoryIsRead() {
    const qint64 rss = residentBytes();
    QVERIFY(rss > 1024 * 1024);  // a Qt test process is well over 1 MiB
    std::printf("SYSTEM: resident memory of this test %.1f MiB\n", rss / (1024.0 * 1024.0));
  }

  void aRunFillsHistogramsThroughputAndMemory() {
    MainWindow window;
    window.setRunsRoot(QString());
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    Conf c = fixtures::irisCsvConf();
    c.layerSizes = {16, 8};
    c.finetuneEpochs = 30;
    c.batchSize = 10;
    c.threads = 2;
    c.averagingFrequency = 2;
    c.normalize = "zscore";
    c.statsEvery = 20;
    c.checkpointEveryEpochs = 0;
    c.checkpointEveryMinutes = 0;
    window.confEditor()->setConf(c);
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    QSignalSpy rounds(window.session()->adapter(), &ObserverAdapter::round);
    window.startAction()->trigger();
    QVERIFY(ended.wait(60000));
    QVERIFY(ended.at(0).at(0).toBool());

    MonitorPanel* m = window.monitor();
    QCOMPARE(m->histogramView()->layerCount(), 3);  // two hidden layers and the output layer
    m->tabs()->setCurrentWidget(m->histogramView());
    QApplication::processEvents();
    QVERIFY(m->histogramView()->drawnCount(false) > 0);
    QVERIFY(m->throughputPlot()->totalPoints() > 0);
    QVERIFY(m->throughputPlot()->totalPoints() <= rounds.count());
    QVERIFY(m->memoryPlot()->totalPoints() >= 2);  // during the run and at its end
    const auto rssGraph = m->memoryPlot()->graph(0)->data();
    QVERIFY(rssGraph->at(0)->value > 1.0);  // MiB
    QVERIFY(m->histogramView()->grab().save(QDir(artifactsDir()).filePath("histogram_view.png")));
    std::printf("SYSTEM: %d rounds, %lld throughput points, %lld memory samples (first %.1f MiB)\n",
                static_cast<int>(rounds.count()), static_cast<long long>(m->throughputPlot()->totalPoints()),
                static_cast<long long>(m->memoryPlot()->totalPoints()), rssGraph->at(0)->value);
  }
};

QTEST_MAIN(ModelHealthTest)
#include "test_ui_model_health.moc"
