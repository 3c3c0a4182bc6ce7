// Charts: debiased EMA smoothing, honest log scale, annotations, raw exports, health
// alarms in the banner, and replot time with 8 curves of 1,000,000 points each.
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include <QApplication>
#include <QCheckBox>
#include <QLabel>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QMenu>
#include <QMenuBar>
#include <QTextBrowser>
#include <QtTest>

#include "conf_editor.h"
#include "data/data_source.h"
#include "evaluation_view.h"
#include "run_status.h"
#include "theme.h"
#include "training_session.h"
#include "event_markers.h"
#include "main_window.h"
#include "health_monitor.h"
#include "monitor_panel.h"
#include "qcustomplot.h"
#include "series_plot.h"
#include "smoothing.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {
QString artifactsDir() {
  QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
  if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
  QDir().mkpath(dir);
  return QDir(dir).absolutePath();
}

// The texts of the plot's visible text items.
QStringList visibleTexts(QCustomPlot* plot) {
  QStringList out;
  for (int i = 0; i < plot->itemCount(); ++i)
    if (auto* t = qobject_cast<QCPItemText*>(plot->item(i)); t && t->visible()) out << t->text();
  return out;
}

// The boxes of the visible text labels, as QCPItemText itself computes them.
QVector<QRectF> labelRects(QCustomPlot* plot) {
  QVector<QRectF> rects;
  for (int i = 0; i < plot->itemCount(); ++i)
    if (auto* t = qobject_cast<QCPItemText*>(plot->item(i)); t && t->visible())
      rects << QRectF(t->topLeft->pixelPosition(), t->bottomRight->pixelPosition()).normalized();
  return rects;
}

// "" when no two labels intersect and none intersects the legend, else what collides.
QString labelCollisions(QCustomPlot* plot) {
  const QVector<QRectF> rects = labelRects(plot);
  const QRectF legend = plot->legend->outerRect();
  QStringList problems;
  for (int a = 0; a < rects.size(); ++a) {
    if (rects[a].intersects(legend)) problems << QString("label %1 on the legend").arg(a);
    for (int b = a + 1; b < rects.size(); ++b)
      if (rects[a].intersects(rects[b])) problems << QString("labels %1 and %2").arg(a).arg(b);
  }
  return problems.join(", ");
}

IterationInfo iter(long long i, float loss) {
  IterationInfo it;
  it.phase = "finetune";
  it.epoch = 1;
  it.iteration = i;
  it.loss = loss;
  return it;
}
}  // namespace

class ChartsTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_charts");
  }

  void debiasedEmaMatchesTensorBoard() {
    // TensorBoard: last = last*w + (1-w)*y; smoothed = last / (1 - w^n).
    const std::vector<double> y{1, 2, 3, 4};
    const auto s = debiasedEma(y, 0.5);
    QCOMPARE(s[0], 1.0);               // debiasing: the first point is itself, not 0.5
    QCOMPARE(s[1], (0.25 + 1.0) / 0.75);
    QVERIFY(std::fabs(s[3] - ((((0.5 * 0.5 + 1.0) * 0.5 + 1.5) * 0.5 + 2.0) / (1 - 0.0625))) < 1e-12);
    // Weight 0 is the raw series; NaN passes through without poisoning later points.
    QCOMPARE(debiasedEma(y, 0.0), y);
    const auto withNan = debiasedEma({1, std::numeric_limits<double>::quiet_NaN(), 1}, 0.9);
    QVERIFY(std::isnan(withNan[1]));
    QCOMPARE(withNan[2], 1.0);
  }

  void lossChartKeepsRawAndSmoothed() {
    MonitorPanel panel;
    panel.resize(900, 500);
    panel.show();
    QVector<IterationInfo> batch;
    for (int i = 1; i <= 1000; ++i) batch << iter(i, 1.0f + 0.5f * std::sin(i * 0.7f) + 100.0f / (i + 10));
    PhaseInfo phase;
    phase.label = "finetune";
    phase.count = 1;
    panel.onPhaseStarted(phase);
    panel.onIterations(batch);
    SeriesPlot* loss = panel.lossPlot();
    QCOMPARE(loss->pointCount(0), qsizetype(1000));
    QCOMPARE(loss->pointCount(1), qsizetype(1000));
    // The smoothed curve is less noisy than the raw one.
    auto roughness = [&](int series) {
      double sum = 0;
      auto d = loss->graph(series)->data();
      for (int i = 501; i < d->size(); ++i) sum += std::fabs((d->begin() + i)->value - (d->begin() + i - 1)->value);
      return sum;
    };
    QVERIFY(roughness(1) < 0.5 * roughness(0));
    // Changing the slider recomputes the smoothed curve from the raw data; 0 = raw.
    panel.setSmoothing(0.0);
    for (int i = 0; i < 1000; i += 97)
      QCOMPARE((loss->graph(1)->data()->begin() + i)->value, (loss->graph(0)->data()->begin() + i)->value);
    panel.setSmoothing(0.9);
    QVERIFY(roughness(1) < 0.5 * roughness(0));
    // The 30 Hz timer replots the visible, changed plot.
    const int before = panel.replotCount();
    panel.onIterations({iter(1001, 1.0f)});
    QTRY_VERIFY(panel.replotCount() > before);
  }

  void logScaleFlagsPointsItCannotShow() {
    SeriesPlot plot("t", "x", "y");
    plot.resize(600, 400);
    plot.show();
    const int s = plot.addSeries("raw", SeriesStyle{});
    SeriesStyle derived;
    derived.derived = true;
    const int d = plot.addSeries("smoothed", derived);
    for (int i = 0; i < 100; ++i) {
      plot.append(s, i, i % 10 == 0 ? 0.0 : (i % 25 == 1 ? -1.0 : 1.0 / (i + 1)));
      plot.append(d, i, -5.0);  // derived curves are not counted
    }
    QCOMPARE(plot.nonPositiveCount(), qsizetype(10 + 4));
    QVERIFY(plot.logNote().isEmpty());  // linear: nothing to flag
    plot.setLogY(true);
    QCOMPARE(plot.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(!plot.plot()->yAxis->ticker().dynamicCast<QCPAxisTickerLog>().isNull());
    QCOMPARE(plot.logNote(), QString("14 point(s) <= 0 (or NaN) not shown on log scale"));
    plot.replotIfDirty();
    auto* note = plot.findChild<QLabel*>("logNote");
    QVERIFY(note && note->isVisible());
    QCOMPARE(note->text(), plot.logNote());
    // The range is fitted to the positive values, not clamped at 0.
    QVERIFY(plot.plot()->yAxis->range().lower > 0);
    QVERIFY(plot.plot()->yAxis->range().lower < 1.0 / 100);
    plot.setLogY(false);
    QVERIFY(plot.logNote().isEmpty());
  }

  void zoomStopsFollowingAndResetRestores() {
    SeriesPlot plot("t", "x", "y");
    plot.resize(600, 400);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    const int s = plot.addSeries("raw", SeriesStyle{});
    for (int i = 0; i < 100; ++i) plot.append(s, i, i);
    plot.replotNow();
    QCOMPARE(plot.plot()->xAxis->range().upper, 99.0);
    QVERIFY(plot.plot()->interactions().testFlag(QCP::iRangeDrag));
    QVERIFY(plot.plot()->interactions().testFlag(QCP::iRangeZoom));
    const QPoint centre = plot.plot()->axisRect()->rect().center();
    QWheelEvent wheel(centre, plot.plot()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(plot.plot(), &wheel);
    QVERIFY(!plot.following());
    QVERIFY(plot.plot()->xAxis->range().size() < 99.0);
    for (int i = 100; i < 200; ++i) plot.append(s, i, i);
    plot.replotNow();
    QVERIFY(plot.plot()->xAxis->range().upper < 199.0);  // the user's view is kept
    plot.resetView();
    QVERIFY(plot.following());
    QCOMPARE(plot.plot()->xAxis->range().upper, 199.0);
  }

  void annotationsMarkPhaseEpochSteeringMessagesAndCheckpoints() {
    MonitorPanel panel;
    PhaseInfo p0;
    p0.label = "pretrain layer 0";
    p0.pretraining = true;
    p0.count = 2;
    panel.onPhaseStarted(p0);
    panel.onIterations({iter(1, 2.0f), iter(2, 1.5f)});
    EpochInfo e;
    e.phase = "pretrain layer 0";
    e.epoch = 1;
    e.iteration = 2;
    e.meanLoss = 1.7f;
    panel.onEpochFinished(e);
    QCOMPARE(panel.reconstructionPlot()->totalPoints(), qsizetype(1));
    PhaseInfo p1;
    p1.label = "finetune";
    p1.index = 1;
    p1.count = 2;
    panel.onPhaseStarted(p1);
    SteeringChange change{2, "finetuneLearningRate", "0.01", "0.005"};
    panel.onSteering(change);
    panel.onMessage("worker w3 missed the round deadline");
    panel.onCheckpoint("/tmp/c.bin", 2);
    // loss plot: 2 phases + 1 epoch + steering + message + checkpoint.
    QCOMPARE(panel.lossPlot()->markerCount(), 6);
    QStringList texts;
    for (int i = 0; i < panel.lossPlot()->plot()->itemCount(); ++i)
      if (auto* t = qobject_cast<QCPItemText*>(panel.lossPlot()->plot()->item(i))) texts << t->text();
    QVERIFY2(texts.contains("finetune"), qPrintable(texts.join("|")));
    // A steering marker says what changed in the form's words: the knob's label.
    QVERIFY2(texts.contains(QString("Learning rate (finetune) 0.01→0.005")), qPrintable(texts.join("|")));
    // A checkpoint is a tick without text (as the epoch end is): 2 ticks, no "ckpt" label.
    QVERIFY2(!texts.contains("ckpt"), qPrintable(texts.join("|")));
    QCOMPARE(panel.lossPlot()->events()->tickCount(), 2);
    QVERIFY(panel.workersPlot()->markerCount() >= 3);
  }

  void labelsNeverOverlapOnALongRun() {
    // 300 epochs with a checkpoint after each, three phases, steering and cluster messages
    // in bursts: the old chart drew 300 "ckpt" labels in 4 staggered rows, under the legend.
    MonitorPanel panel;
    panel.resize(1000, 560);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    constexpr int kEpochs = 300, kPerEpoch = 20;
    long long it = 0;
    const char* phases[] = {"pretrain layer 0", "pretrain layer 1", "finetune"};
    for (int p = 0; p < 3; ++p) {
      PhaseInfo phase;
      phase.label = phases[p];
      phase.index = static_cast<size_t>(p);
      phase.count = 3;
      phase.epochs = kEpochs / 3;
      panel.onPhaseStarted(phase);
      for (int e = 1; e <= kEpochs / 3; ++e) {
        QVector<IterationInfo> batch;
        for (int k = 0; k < kPerEpoch; ++k) {
          ++it;
          batch << iter(it, static_cast<float>(1.0 + 50.0 / (it % 2000 + 20)));
        }
        panel.onIterations(batch);
        EpochInfo info;
        info.phase = phases[p];
        info.epoch = e;
        info.iteration = it;
        info.meanLoss = 1.0f;
        panel.onEpochFinished(info);
        panel.onCheckpoint(QString("/runs/x/checkpoint-%1.bin").arg(it), it);
        if (e % 17 == 0) panel.onSteering(SteeringChange{it, "finetuneLearningRate", "0.01", "0.005"});
        if (e % 23 == 0 || e % 23 == 1) panel.onMessage(QString("worker w%1 joined the cluster").arg(e));
      }
    }
    SeriesPlot* loss = panel.lossPlot();
    QCOMPARE(loss->events()->tickCount(), 2 * kEpochs);  // every epoch and checkpoint kept, as ticks
    loss->replotNow();
    QVector<QRectF> rects = labelRects(loss->plot());
    QVERIFY2(!rects.isEmpty(), "some labels are shown");
    QString collisions = labelCollisions(loss->plot());
    QVERIFY2(collisions.isEmpty(), qPrintable(collisions));
    for (QCustomPlot* plot : {panel.workersPlot()->plot()}) {
      panel.workersPlot()->replotNow();
      QVERIFY2(labelCollisions(plot).isEmpty(), qPrintable(labelCollisions(plot)));
    }
    // Hovering a checkpoint tick gives its path; the text labels carry no "ckpt".
    const double px = loss->plot()->xAxis->coordToPixel(static_cast<double>(kPerEpoch * 150));
    const QString details = loss->events()->detailsNear(px);
    QVERIFY2(details.contains("checkpoint at iteration 3000: /runs/x/checkpoint-3000.bin"), qPrintable(details));
    QVERIFY2(details.contains("epoch 50 ended at iteration 3000"), qPrintable(details));
    for (int i = 0; i < loss->plot()->itemCount(); ++i)
      if (auto* t = qobject_cast<QCPItemText*>(loss->plot()->item(i))) QVERIFY(!t->text().contains("ckp"));

    // The PNG export lays the labels out again at its own size: no overlap there either.
    QString exportCollisions = "export did not lay out";
    int exportLabels = 0;
    auto connection = connect(loss->plot(), &QCustomPlot::afterLayout, this, [&] {
      exportCollisions = labelCollisions(loss->plot());
      exportLabels = static_cast<int>(labelRects(loss->plot()).size());
    });
    const QString png = QDir(artifactsDir()).filePath("chart_labels_300_epochs.png");
    QVERIFY(loss->exportPng(png));
    disconnect(connection);
    QVERIFY2(exportCollisions.isEmpty(), qPrintable(exportCollisions));
    QVERIFY(exportLabels > 0);
    QVERIFY(panel.grab().save(QDir(artifactsDir()).filePath("chart_labels_300_epochs_window.png")));
    std::printf("LABELS: %d shown live, %d in the %s export; %d ticks\n", static_cast<int>(rects.size()), exportLabels,
                qPrintable(png), loss->events()->tickCount());
  }

  // Issue #16's "done when": the main window during a long run of the real workload
  // (Fashion-MNIST, a checkpoint and an evaluation every epoch, 2 threads), light then dark.
  // At each screenshot no chart label overlaps another or the legend, and the status bar's
  // epoch agrees with its progress bar. Artifacts: main_window_long_run_{light,dark}.png
  // and evaluation_long_run_dark.png.
  void aLongRunInBothThemes() {
    if (!QFile::exists(QString(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) QSKIP("Fashion-MNIST not installed");
    QTemporaryDir runs;
    QVERIFY(runs.isValid());
    MainWindow window;
    window.setRunsRoot(runs.path());
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    applyTheme("light");
    constexpr int kEpochs = 40;
    Conf c;
    c.networkClass = "mlp";
    c.dataset = "fashion-mnist";
    c.nIn = 784;
    c.nOut = 10;
    c.layerSizes = {256, 128};
    c.activation = "relu";
    c.finetuneEpochs = kEpochs;
    c.finetuneLearningRate = 0.05;
    c.batchSize = 50;
    c.maxTrainSamples = 6000;
    c.threads = 2;
    c.checkpointEveryEpochs = 1;
    window.confEditor()->setConf(c);
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    window.startAction()->trigger();

    auto check = [&](const char* name) {
      MonitorPanel* monitor = window.monitor();
      for (SeriesPlot* plot : {monitor->lossPlot(), monitor->accuracyPlot(), monitor->workersPlot()}) {
        plot->replotNow();
        const QString collisions = labelCollisions(plot->plot());
        QVERIFY2(collisions.isEmpty(), qPrintable(QString("%1: %2").arg(name, collisions)));
      }
      const QString status = window.runStatus()->text();
      const QRegularExpressionMatch m = QRegularExpression("epoch (\\d+)/(\\d+)").match(status);
      QVERIFY2(m.hasMatch(), qPrintable(status));
      QCOMPARE(m.captured(2).toInt(), kEpochs);
      const int epochsDone = m.captured(1).toInt();
      const int percent = window.runStatus()->percent();
      // The bar follows rounds and the epoch label follows epoch ends: they may be one epoch apart.
      QVERIFY2(percent >= (epochsDone - 1) * 100 / kEpochs && percent <= (epochsDone + 2) * 100 / kEpochs,
               qPrintable(QString("%1: '%2' next to a %3% bar").arg(name, status).arg(percent)));
      QVERIFY(window.grab().save(QDir(artifactsDir()).filePath(QString("main_window_long_run_%1.png").arg(name))));
      std::printf("LONG RUN %s: %s; %d ticks, %d labels on the loss chart\n", name, qPrintable(status),
                  monitor->lossPlot()->events()->tickCount(), static_cast<int>(labelRects(monitor->lossPlot()->plot()).size()));
    };
    QTRY_VERIFY_WITH_TIMEOUT(window.runStatus()->percent() >= 40 || !ended.isEmpty(), 180000);
    QVERIFY2(ended.isEmpty(), "the run ended before a mid-run screenshot");
    check("light");
    applyTheme("dark");
    QTRY_VERIFY_WITH_TIMEOUT(window.runStatus()->percent() >= 70 || !ended.isEmpty(), 180000);
    QVERIFY2(ended.isEmpty(), "the run ended before the dark screenshot");
    check("dark");
    QVERIFY(ended.wait(180000));
    QVERIFY2(window.runStatus()->percent() == 100, qPrintable(window.runStatus()->text()));
    // Every epoch and every checkpoint is a tick on the loss chart, not a text label.
    QVERIFY2(window.monitor()->lossPlot()->events()->tickCount() >= 2 * kEpochs,
             qPrintable(QString::number(window.monitor()->lossPlot()->events()->tickCount())));
    window.viewTabs()->setCurrentWidget(window.evaluationView());
    QApplication::processEvents();
    QVERIFY(window.grab().save(QDir(artifactsDir()).filePath("evaluation_long_run_dark.png")));
    applyTheme("system");
  }

  void exportsAreRawAndComplete() {
    QTemporaryDir dir;
    SeriesPlot plot("Minibatch loss", "iteration", "loss");
    plot.resize(800, 500);
    const int raw = plot.addSeries("raw", SeriesStyle{});
    SeriesStyle derived;
    derived.derived = true;
    const int smooth = plot.addSeries("smoothed", derived);
    for (int i = 0; i < 500; ++i) {
      plot.append(raw, i, 1.0 / (i + 1));
      plot.append(smooth, i, 0.5);
    }
    const QString csv = dir.filePath("loss.csv");
    QString error;
    QVERIFY2(plot.exportCsv(csv, &error), qPrintable(error));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 501);  // header + every raw point, no smoothed ones
    QCOMPARE(lines[0], QString("series,x,y"));
    QCOMPARE(lines[1], QString("raw,0,1"));
    QCOMPARE(lines[2], QString("raw,1,0.5"));
    QVERIFY(!lines.join('\n').contains("smoothed"));

    QVERIFY(plot.exportPng(dir.filePath("loss.png")));
    const QImage png(dir.filePath("loss.png"));
    QCOMPARE(png.width(), 1800);  // a never-shown plot exports at 900 px, times 2 for high-DPI
    QVERIFY(plot.exportPdf(dir.filePath("loss.pdf")));
    QVERIFY(QFileInfo(dir.filePath("loss.pdf")).size() > 1000);
  }

  void healthAlarmsReachTheBanner() {
    HealthMonitor h;
    h.startPhase("finetune");
    QVERIFY(!h.addLoss(1, 1.0));
    const auto nan = h.addLoss(2, std::numeric_limits<double>::quiet_NaN());
    QVERIFY(nan && nan->level == HealthAlarm::Level::Alarm);
    QVERIFY(nan->text.contains("NaN"));
    QVERIFY(!h.addLoss(3, std::numeric_limits<double>::quiet_NaN()));  // reported once

    HealthMonitor e;
    e.startPhase("finetune");
    std::optional<HealthAlarm> exploded;
    for (int i = 1; i <= 200 && !exploded; ++i) exploded = e.addLoss(i, i < 100 ? 1.0 : std::pow(1.2, i - 100));
    QVERIFY(exploded && exploded->text.contains("Exploding"));
    QVERIFY(exploded->iteration > 100);

    HealthMonitor p;
    p.startPhase("finetune");
    std::optional<HealthAlarm> plateau;
    for (int ep = 1; ep <= 20 && !plateau; ++ep) {
      EpochInfo info;
      info.phase = "finetune";
      info.epoch = ep;
      info.meanLoss = ep < 3 ? 1.0f - 0.05f * ep : 0.9f;  // stuck near where it started
      plateau = p.addEpoch(info);
    }
    QVERIFY(plateau && plateau->level == HealthAlarm::Level::Warning && plateau->text.contains("Plateau"));
    // A loss that fell 4x and then levels off has converged: no plateau warning.
    HealthMonitor converged;
    converged.startPhase("finetune");
    for (int ep = 1; ep <= 20; ++ep) {
      EpochInfo info;
      info.phase = "finetune";
      info.epoch = ep;
      info.meanLoss = ep < 5 ? 1.0f / ep : 0.25f;
      QVERIFY(!converged.addEpoch(info));
    }

    HealthMonitor r;
    ModelStats stats;
    LayerStats layer;
    layer.layer = 1;
    layer.updateRatio = 0.5f;  // log10 = -0.3: far above -1
    stats.layers.push_back(layer);
    // Warned only when it stays out of the band (HealthMonitor::kRatioStreak statistics).
    for (int i = 1; i < HealthMonitor::kRatioStreak; ++i) QVERIFY(!r.addModelStats(stats));
    const auto ratio = r.addModelStats(stats);
    QVERIFY(ratio && ratio->text.contains("above"));

    MonitorPanel panel;
    panel.show();
    PhaseInfo phase;
    phase.label = "finetune";
    panel.onPhaseStarted(phase);
    QVERIFY(!panel.bannerVisible());
    panel.onIterations({iter(1, 1.0f), iter(2, std::numeric_limits<float>::quiet_NaN())});
    QVERIFY(panel.bannerVisible());
    QVERIFY2(panel.bannerText().contains("Loss is NaN at iteration 2"), qPrintable(panel.bannerText()));
  }

  void alarmBannerShowsTheWholeMessage() {
    MonitorPanel panel;
    panel.resize(700, 450);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    const QString text = "Layer 1: log10 update:parameter ratio -0.30 at iteration 120 is above the healthy range "
                         "-4..-1 for 5 statistics in a row (learning rate too high): lower finetuneLearningRate.";
    panel.showAlarm(HealthAlarm{HealthAlarm::Level::Warning, text, 120});
    QApplication::processEvents();
    QLabel* label = panel.bannerLabel();
    QVERIFY(label->isVisible());
    QCOMPARE(label->text(), "Warning: " + text);
    // Every line of the wrapped message fits in the label: nothing is elided or cut.
    const QRect needed = label->fontMetrics().boundingRect(QRect(0, 0, label->contentsRect().width(), 10000),
                                                           Qt::TextWordWrap, label->text());
    QVERIFY2(needed.height() <= label->contentsRect().height(),
             qPrintable(QString("needs %1 px, has %2 px").arg(needed.height()).arg(label->contentsRect().height())));
    QVERIFY(needed.height() > label->fontMetrics().height());  // at 700 px it does take several lines
    QVERIFY(panel.grab().save(QDir(artifactsDir()).filePath("alarm_banner.png")));
  }

  // Issue #16: on first start the chart was empty with no hint, and an MLP's Reconstruction
  // chart an empty plot with an empty legend. Both now say why, in the plot (and its PNG).
  void emptyChartsSayWhy() {
    MainWindow window;
    window.setRunsRoot(QString());
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    SeriesPlot* loss = window.monitor()->lossPlot();
    QVERIFY(loss->emptyNoteShown());
    QVERIFY2(loss->emptyNote().contains("Press Start (F5) to train this conf"), qPrintable(loss->emptyNote()));
    QVERIFY2(loss->emptyNote().contains("iris-mlp for a 1-second demo"), qPrintable(loss->emptyNote()));
    loss->replotNow();
    QVERIFY(!loss->plot()->legend->visible());
    QVERIFY(visibleTexts(loss->plot()).contains(loss->emptyNote()));
    QVERIFY(window.grab().save(QDir(artifactsDir()).filePath("first_start.png")));

    SeriesPlot* reconstruction = window.monitor()->reconstructionPlot();
    QCOMPARE(QString::fromStdString(window.confEditor()->conf().networkClass), QString("mlp"));
    QVERIFY(reconstruction->emptyNoteShown());
    QVERIFY2(reconstruction->emptyNote().startsWith("No pretraining in this conf"), qPrintable(reconstruction->emptyNote()));
    const QString png = QDir(artifactsDir()).filePath("reconstruction_mlp.png");
    QVERIFY(reconstruction->exportPng(png, 1.0));
    QVERIFY(!reconstruction->plot()->legend->visible());
    QVERIFY(visibleTexts(reconstruction->plot()).contains(reconstruction->emptyNote()));
    // A DBN pretrains: the note says what will appear.
    QVERIFY(window.confEditor()->setKnobText("networkClass", "dbn"));
    QVERIFY2(reconstruction->emptyNote().contains("appears here while it pretrains"), qPrintable(reconstruction->emptyNote()));

    // Data replace the note, and the legend returns.
    const int s = loss->findSeries("raw");
    QVERIFY(s >= 0);
    loss->append(s, 1, 2.0);
    loss->replotNow();
    QVERIFY(!loss->emptyNoteShown());
    QVERIFY(!visibleTexts(loss->plot()).contains(loss->emptyNote()));
    QVERIFY(loss->plot()->legend->visible());
  }

  // Help > User Guide opens the README's section on this window (#16).
  void helpOpensTheUserGuide() {
    MainWindow window;
    QAction* guide = window.userGuideAction();
    QVERIFY(guide);
    QCOMPARE(guide->shortcut(), QKeySequence(QKeySequence::HelpContents));
    bool inHelpMenu = false;
    for (QAction* menu : window.menuBar()->actions())
      if (menu->text() == "&Help" && menu->menu()) inHelpMenu = menu->menu()->actions().contains(guide);
    QVERIFY(inHelpMenu);
    guide->trigger();
    auto* text = window.findChild<QTextBrowser*>("userGuideText");
    QVERIFY(text);
    QVERIFY(text->window()->isVisible());
    const QString shown = text->toPlainText();
    QVERIFY2(shown.startsWith("The desktop application"), qPrintable(shown.left(80)));
    QVERIFY2(shown.contains("a conf editor generated from the knob registry"), qPrintable(shown.left(400)));
    QVERIFY2(!shown.contains("Cluster: headless workers"), "only the GUI section");
    QVERIFY(shown.contains("man scaleout"));
  }

  void eightCurvesOfAMillionPointsReplotQuickly() {
    SeriesPlot plot("Benchmark", "iteration", "loss");
    plot.resize(1200, 600);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    constexpr int kCurves = 8, kPoints = 1'000'000;
    std::mt19937 rng(1);
    std::uniform_real_distribution<double> noise(-0.15, 0.15);
    QElapsedTimer fill;
    fill.start();
    for (int c = 0; c < kCurves; ++c) {
      SeriesStyle style;
      style.color = QColor::fromHsv(c * 45, 200, 200);
      const int s = plot.addSeries(QString("worker %1").arg(c), style);  // 1 px pen
      QVector<double> x(kPoints), y(kPoints);
      for (int i = 0; i < kPoints; ++i) {
        x[i] = i;
        y[i] = (2.0 + c * 0.1) * std::exp(-i / 300000.0) * (1.0 + noise(rng));
      }
      plot.setSeriesData(s, x, y);
      QVERIFY(plot.graph(s)->adaptiveSampling());
    }
    const double fillMs = fill.elapsed();
    QCOMPARE(plot.totalPoints(), qsizetype(kCurves) * kPoints);  // every point kept
    plot.replotNow();  // warm-up (buffers, fonts)
    double best = 1e9, worst = 0, sum = 0;
    constexpr int kRuns = 5;
    for (int r = 0; r < kRuns; ++r) {
      plot.markDirty();
      const double ms = plot.replotNow();
      best = std::min(best, ms);
      worst = std::max(worst, ms);
      sum += ms;
    }
    std::printf("REPLOT: %d curves x %d points: mean %.1f ms, best %.1f ms, worst %.1f ms "
                "(1 px pens, adaptive sampling; filling took %.0f ms)\n",
                kCurves, kPoints, sum / kRuns, best, worst, fillMs);
    // Measured 33-108 ms on the 2-core VM.
    QVERIFY2(sum / kRuns < 250.0, qPrintable(QString("mean replot %1 ms").arg(sum / kRuns)));
  }
};

QTEST_MAIN(ChartsTest)
#include "test_ui_charts.moc"
