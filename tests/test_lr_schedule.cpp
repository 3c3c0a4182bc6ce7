// Learning-rate schedules: the factor at hand-computed points, and a run whose statistics
// report the rate each worker actually trained at (the GUI's learning-rate chart).
#include <cmath>
#include <vector>

#include <QtTest>

#include "fixtures/engine_fixtures.h"
#include "train/lr_schedule.h"
#include "train/observer.h"
#include "train/trainer.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

Conf withSchedule(const char* schedule, double decay = 0.5, int stepEpochs = 10, double warmup = 0) {
  Conf c;
  c.learningRateSchedule = schedule;
  c.learningRateDecay = decay;
  c.learningRateStepEpochs = stepEpochs;
  c.learningRateWarmupEpochs = warmup;
  return c;
}

struct RateRecorder : TrainingObserver {
  std::vector<std::pair<long long, float>> rates;
  void onModelStats(const ModelStats& s) override { rates.emplace_back(s.iteration, s.learningRate); }
};

}  // namespace

class TestLrSchedule : public QObject {
  Q_OBJECT

 private slots:
  void factorsAtHandComputedPoints() {
    QCOMPARE(scheduleFactor(Conf{}, 7.3, 20), 1.0);  // constant, the default
    const Conf step = withSchedule("step", 0.1, 10);
    QCOMPARE(scheduleFactor(step, 9.99, 30), 1.0);
    QVERIFY(std::abs(scheduleFactor(step, 10.0, 30) - 0.1) < 1e-12);
    QVERIFY(std::abs(scheduleFactor(step, 25.0, 30) - 0.01) < 1e-12);
    QVERIFY(std::abs(scheduleFactor(withSchedule("exponential", 0.5), 3.0, 10) - 0.125) < 1e-12);
    QVERIFY(std::abs(scheduleFactor(withSchedule("inverse", 0.5), 4.0, 10) - 1.0 / 3.0) < 1e-12);
    const Conf cosine = withSchedule("cosine", 0.5, 10, 2.0);
    QVERIFY(std::abs(scheduleFactor(cosine, 1.0, 12) - 0.5) < 1e-12);  // warm-up: halfway up
    QVERIFY(std::abs(scheduleFactor(cosine, 2.0, 12) - 1.0) < 1e-12);  // top
    QVERIFY(std::abs(scheduleFactor(cosine, 7.0, 12) - 0.5) < 1e-12);  // halfway down
    QVERIFY(std::abs(scheduleFactor(cosine, 12.0, 12)) < 1e-12);       // 0 at the end
  }

  // The chart's rate is the rate workers used: base x learningRateScaling x schedule.
  void runReportsTheScheduledRate() {
    Conf conf = smallConf("mlp", 4, {8}, 3);
    conf.finetuneEpochs = 4;
    conf.finetuneLearningRate = 0.1;
    conf.batchSize = 10;
    conf.averagingFrequency = 1;
    conf.statsEvery = 1;
    conf.threads = 2;
    conf.learningRateScaling = "sqrt";
    conf.learningRateSchedule = "exponential";
    conf.learningRateDecay = 0.5;
    const TrainTestData data = split(clusters(120, 4, 3, 0.2f, 7), 100);  // 100 rows: 10 minibatches per epoch
    Trainer trainer(conf, data);
    RateRecorder recorder;
    trainer.addObserver(&recorder);
    const RunSummary run = trainer.run();
    QVERIFY2(run.completed, run.error.c_str());
    QVERIFY(recorder.rates.size() >= 8);
    // The first round of epoch 1 trains at the base rate x sqrt(2); every later round lower.
    QVERIFY2(std::abs(recorder.rates.front().second - 0.1f * std::sqrt(2.0f)) < 1e-6f,
             qPrintable(QString::number(recorder.rates.front().second)));
    for (size_t i = 1; i < recorder.rates.size(); ++i) QVERIFY(recorder.rates[i].second < recorder.rates[i - 1].second);
    // The last round starts 3.8 epochs in (2 workers x 1 minibatch per round: 5 rounds per epoch): 0.5^3.8.
    const float last = recorder.rates.back().second;
    QVERIFY2(last < 0.1f * std::sqrt(2.0f) * std::pow(0.5f, 3.5f) && last > 0.1f * std::sqrt(2.0f) * std::pow(0.5f, 4.0f),
             qPrintable(QString::number(last)));
    // And it learns better than chance (3 classes), as the constant rate does.
    Conf constant = conf;
    constant.learningRateSchedule = "constant";
    Trainer reference(constant, data);
    const RunSummary referenceRun = reference.run();
    const QString text = QString("accuracy exponential %1, constant %2").arg(run.finalEvaluation.accuracy).arg(referenceRun.finalEvaluation.accuracy);
    qInfo("%s", qPrintable(text));
    QVERIFY2(run.finalEvaluation.accuracy > 0.5, qPrintable(text));
  }
};

QTEST_APPLESS_MAIN(TestLrSchedule)
#include "test_lr_schedule.moc"
