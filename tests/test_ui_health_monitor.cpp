// HealthMonitor calibrated on the shipped confs: a healthy run of each preset in
// resources/confs raises no alarm or warning, and a run made to diverge (a learning rate
// 200x too high) raises one. Fashion-MNIST presets train on a few thousand samples for a
// few epochs so each case stays within ~20 s on 2 cores; Iris runs in full (200 epochs).
// Measured before the calibration: every preset raised 2-3 update-ratio warnings in its
// first 60 iterations (log10 ratios up to -0.7), and Iris a plateau at its converged loss.
#include <cmath>
#include <cstdio>
#include <mutex>

#include <QDir>
#include <QtTest>

#include "config/conf_io.h"
#include "data/data_source.h"
#include "fixtures/iris_conf.h"
#include "health_monitor.h"
#include "train/trainer.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {

// Feeds a HealthMonitor exactly as MonitorPanel does, and keeps what it raised.
struct HealthRecorder : TrainingObserver {
  std::mutex mutex;
  HealthMonitor health;
  QStringList raised;
  double firstLoss = NAN, lastEpochLoss = NAN;
  float minRatio = 1, maxRatio = 0;

  void keep(const std::optional<HealthAlarm>& alarm) {
    if (alarm) raised << alarm->text;
  }
  void onPhaseStarted(const PhaseInfo& p) override {
    std::lock_guard lock(mutex);
    health.startPhase(p.label);
  }
  void onIteration(const IterationInfo& it) override {
    std::lock_guard lock(mutex);
    if (std::isnan(firstLoss)) firstLoss = it.loss;
    keep(health.addLoss(it.iteration, it.loss));
  }
  void onEpochFinished(const EpochInfo& e) override {
    std::lock_guard lock(mutex);
    lastEpochLoss = e.meanLoss;
    keep(health.addEpoch(e));
  }
  void onModelStats(const ModelStats& stats) override {
    std::lock_guard lock(mutex);
    for (const LayerStats& l : stats.layers)
      if (l.updateRatio > 0) {
        minRatio = std::min(minRatio, l.updateRatio);
        maxRatio = std::max(maxRatio, l.updateRatio);
      }
    keep(health.addModelStats(stats));
  }
};

// A preset, shortened where it would take minutes: the alarms must hold on what users run.
Conf presetConf(const QString& file, int epochs, int samples) {
  std::vector<ConfIssue> issues;
  Conf conf = loadConfFile(fixtures::resourcePath("confs/" + file).toStdString(), issues);
  if (!issues.empty()) qFatal("%s: %s", qPrintable(file), issues.front().message().c_str());
  if (epochs > 0) {
    conf.finetuneEpochs = std::min(conf.finetuneEpochs, epochs);
    conf.pretrainEpochs = std::min(conf.pretrainEpochs, 1);
  }
  if (samples > 0) conf.maxTrainSamples = samples;
  conf.threads = 2;
  conf.checkpointEveryEpochs = 0;
  conf.statsEvery = 20;  // more often than the default 100: more chances to raise a false alarm
  return conf;
}

QStringList runHealth(const Conf& conf, HealthRecorder& recorder, double* seconds) {
  const TrainTestData data = loadTrainTest(conf);
  Trainer trainer(conf, data);
  trainer.addObserver(&recorder);
  const RunSummary summary = trainer.run();
  *seconds = summary.seconds;
  return recorder.raised;
}
}  // namespace

class HealthMonitorTest : public QObject {
  Q_OBJECT

 private slots:
  void shippedPresetsRaiseNoAlarm_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("epochs");   // 0: as shipped
    QTest::addColumn<int>("samples");  // maxTrainSamples, 0: as shipped
    QTest::newRow("iris-mlp") << "iris-mlp.json" << 0 << 0;
    QTest::newRow("fast-mlp") << "fast-mlp.json" << 3 << 3000;
    QTest::newRow("mlp-fashion-mnist") << "mlp-fashion-mnist.json" << 8 << 2000;
    QTest::newRow("mlp-fashion-mnist-90") << "mlp-fashion-mnist-90.json" << 8 << 2000;
    QTest::newRow("reference-mlp") << "reference-mlp.json" << 6 << 1500;
    QTest::newRow("cdbn-seed") << "cdbn-seed.json" << 4 << 600;
    QTest::newRow("cdbn-quality") << "cdbn-quality.json" << 4 << 600;
  }

  void shippedPresetsRaiseNoAlarm() {
    QFETCH(QString, file);
    QFETCH(int, epochs);
    QFETCH(int, samples);
    const Conf conf = presetConf(file, epochs, samples);
    HealthRecorder recorder;
    double seconds = 0;
    const QStringList raised = runHealth(conf, recorder, &seconds);
    std::printf("HEALTH: %s: %d epochs on %d samples in %.1f s, loss %.4g -> %.4g, update ratio %.2g..%.2g, %d alarm(s)\n",
                qPrintable(file), conf.finetuneEpochs, conf.maxTrainSamples, seconds, recorder.firstLoss,
                recorder.lastEpochLoss, recorder.minRatio, recorder.maxRatio, static_cast<int>(raised.size()));
    for (const QString& r : raised) std::printf("HEALTH:   %s\n", qPrintable(r));
    QVERIFY2(recorder.lastEpochLoss < recorder.firstLoss, "the preset learned");
    QVERIFY2(raised.isEmpty(), qPrintable(raised.join("\n")));
  }

  void divergingRunRaisesAnAlarm() {
    Conf conf = presetConf("iris-mlp.json", 20, 0);
    conf.finetuneLearningRate = 10;  // 200x the preset's rate, the highest the registry accepts
    HealthRecorder recorder;
    double seconds = 0;
    const QStringList raised = runHealth(conf, recorder, &seconds);
    std::printf("HEALTH: iris at learning rate 10: %s\n", qPrintable(raised.join(" | ")));
    QVERIFY2(!raised.isEmpty(), "a diverging run raises an alarm");
  }

  void syntheticDivergenceRaisesAnAlarm() {
    // A healthy decay that then climbs back above where it started.
    HealthMonitor h;
    h.startPhase("finetune");
    std::optional<HealthAlarm> alarm;
    for (int i = 1; i <= 400 && !alarm; ++i) alarm = h.addLoss(i, i < 200 ? 2.0 * std::exp(-i / 30.0) + 0.01 : 0.02 * std::pow(1.05, i - 200));
    QVERIFY(alarm && alarm->level == HealthAlarm::Level::Alarm && alarm->text.contains("Exploding"));
    QVERIFY(alarm->iteration > 200);
  }

  void smallNoisyLossIsNotAnExplosion() {
    // Iris near convergence: a smoothed loss of 0.008 bouncing to 0.08 is noise on a tiny
    // loss, not divergence (it was reported as "Exploding loss" before).
    HealthMonitor h;
    h.startPhase("finetune");
    for (int i = 1; i <= 2000; ++i) {
      const double base = 1.1 * std::exp(-i / 100.0) + 0.003;
      const double spike = (i % 300 > 280) ? 0.4 : 0.0;  // a few hard minibatches in a row
      const auto alarm = h.addLoss(i, base + spike);
      QVERIFY2(!alarm, qPrintable(alarm ? alarm->text : QString()));
    }
  }
};

QTEST_MAIN(HealthMonitorTest)
#include "test_ui_health_monitor.moc"
