// planPhases: which phases each network class yields, the parameter range each trains,
// epochs, labels and per-layer rates; rescaleRates for steering and rate schedules.
#include <cmath>
#include <vector>

#include <QtTest>

#include "fixtures/engine_fixtures.h"
#include "nn/network.h"
#include "train/phase.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

// 4-[5,3]-2. Ranges by hand (W + bias + visible bias for pretrained layers):
// pretrained stack: [0,29) 4*5+5+4, [29,52) 5*3+3+5, [52,60) 3*2+2; mlp: [0,25) [25,43) [43,51).
Conf stackConf(const std::string& networkClass) {
  Conf c = smallConf(networkClass, 4, {5, 3}, 2);
  c.pretrainEpochs = 2;
  c.finetuneEpochs = 3;
  c.pretrainLearningRate = 0.01;
  c.finetuneLearningRate = 0.1;
  return c;
}

std::vector<Phase> plan(const Conf& c) { return planPhases(c, NetworkLayout(c)); }

void checkRate(const RateRange& r, size_t begin, size_t end, float rate) {
  QCOMPARE(r.begin, begin);
  QCOMPARE(r.end, end);
  QVERIFY2(std::abs(r.rate - rate) < 1e-7f, qPrintable(QString("rate %1, expected %2").arg(r.rate).arg(rate)));
}

}  // namespace

class TestPhase : public QObject {
  Q_OBJECT

 private slots:
  // An mlp never pretrains, whatever pretrainEpochs says: one finetune over everything.
  void mlpOnlyFinetunes() {
    const auto phases = plan(stackConf("mlp"));
    QCOMPARE(phases.size(), size_t(1));
    const Phase& f = phases[0];
    QCOMPARE(f.kind, PhaseKind::Finetune);
    QCOMPARE(f.label(), std::string("finetune"));
    QCOMPARE(f.epochs, 3);
    QCOMPARE(f.layer, size_t(2));
    QCOMPARE(f.begin, size_t(0));
    QCOMPARE(f.end, size_t(51));
    QCOMPARE(f.rates.size(), size_t(3));
    checkRate(f.rates[0], 0, 25, 0.1f);
    checkRate(f.rates[1], 25, 43, 0.1f);
    checkRate(f.rates[2], 43, 51, 0.1f);
  }

  void stacksPretrainEachHiddenLayerThenFinetune_data() {
    QTest::addColumn<QString>("networkClass");
    QTest::newRow("dbn") << "dbn";
    QTest::newRow("cdbn") << "cdbn";
    QTest::newRow("sda") << "sda";
  }
  void stacksPretrainEachHiddenLayerThenFinetune() {
    QFETCH(QString, networkClass);
    const auto phases = plan(stackConf(networkClass.toStdString()));
    QCOMPARE(phases.size(), size_t(3));
    QCOMPARE(phases[0].kind, PhaseKind::Pretrain);
    QCOMPARE(phases[0].label(), std::string("pretrain layer 0"));
    QCOMPARE(phases[0].epochs, 2);
    QCOMPARE(phases[0].rates.size(), size_t(1));
    checkRate(phases[0].rates[0], 0, 29, 0.01f);  // the layer's visible bias included
    QCOMPARE(phases[1].label(), std::string("pretrain layer 1"));
    QCOMPARE(phases[1].layer, size_t(1));
    checkRate(phases[1].rates[0], 29, 52, 0.01f);
    QCOMPARE(phases[1].size(), size_t(23));
    const Phase& f = phases[2];
    QCOMPARE(f.kind, PhaseKind::Finetune);
    QCOMPARE(f.epochs, 3);
    QCOMPARE(f.begin, size_t(0));
    QCOMPARE(f.end, size_t(60));
    QCOMPARE(f.rates.size(), size_t(3));
    checkRate(f.rates[2], 52, 60, 0.1f);
  }

  // rbm/crbm/da are trained by pretraining alone: finetuneEpochs does not add a phase.
  void singleLayerNetOnlyPretrains() {
    Conf c = smallConf("rbm", 6, {}, 4);
    c.pretrainEpochs = 5;
    c.finetuneEpochs = 10;
    c.pretrainLearningRate = 0.02;
    const auto phases = plan(c);
    QCOMPARE(phases.size(), size_t(1));
    QCOMPARE(phases[0].kind, PhaseKind::Pretrain);
    QCOMPARE(phases[0].epochs, 5);
    checkRate(phases[0].rates[0], 0, 34, 0.02f);  // 6*4 + 4 + 6
    c.pretrainEpochs = 0;
    QVERIFY(plan(c).empty());
  }

  void zeroEpochsDropThePhase() {
    Conf c = stackConf("dbn");
    c.pretrainEpochs = 0;
    auto phases = plan(c);
    QCOMPARE(phases.size(), size_t(1));
    QCOMPARE(phases[0].kind, PhaseKind::Finetune);
    c = stackConf("dbn");
    c.finetuneEpochs = 0;
    phases = plan(c);
    QCOMPARE(phases.size(), size_t(2));
    QCOMPARE(phases.back().kind, PhaseKind::Pretrain);
  }

  // useBackProp=false: finetuning touches only the output layer's range.
  void withoutBackPropFinetunesOnlyTheOutput() {
    Conf c = stackConf("dbn");
    c.useBackProp = false;
    c.learningRateByLayer = {0.5, 0.25};
    const Phase f = plan(c).back();
    QCOMPARE(f.begin, size_t(52));
    QCOMPARE(f.end, size_t(60));
    QCOMPARE(f.rates.size(), size_t(1));
    checkRate(f.rates[0], 52, 60, 0.1f);
  }

  // learningRateByLayer overrides each hidden layer in both phases; the output keeps finetuneLearningRate.
  void perLayerRatesOverrideHiddenLayers() {
    Conf c = stackConf("dbn");
    c.learningRateByLayer = {0.5, 0.25};
    const auto phases = plan(c);
    checkRate(phases[0].rates[0], 0, 29, 0.5f);
    checkRate(phases[1].rates[0], 29, 52, 0.25f);
    const Phase& f = phases[2];
    checkRate(f.rates[0], 0, 29, 0.5f);
    checkRate(f.rates[1], 29, 52, 0.25f);
    checkRate(f.rates[2], 52, 60, 0.1f);
    QCOMPARE(baseRate(f), 0.5f);
  }

  // Steering keeps the ratios between layers: 0.5/0.25/0.1 rescaled to base 0.05.
  void rescaleKeepsLayerRatios() {
    Conf c = stackConf("dbn");
    c.learningRateByLayer = {0.5, 0.25};
    Phase f = plan(c).back();
    rescaleRates(f, 0.05f);
    checkRate(f.rates[0], 0, 29, 0.05f);
    checkRate(f.rates[1], 29, 52, 0.025f);
    checkRate(f.rates[2], 52, 60, 0.01f);
    QCOMPARE(baseRate(Phase{}), 0.0f);
  }

  // A frozen first layer (learningRateByLayer[0] = 0, allowed by the knob's range) makes
  // the base rate 0. The trainer scales rates with rescaleRates(phase, baseRate * factor),
  // i.e. newBase 0 here, and rescaleRates then sets every rate to 0: the whole net stops.
  void rescaleWithFrozenFirstLayerKeepsOtherRates() {
    Conf c = stackConf("dbn");
    c.learningRateByLayer = {0.0, 0.25};
    Phase f = plan(c).back();
    // The base is the first trained layer's rate, not the frozen layer's 0.
    QCOMPARE(baseRate(f), 0.25f);
    const float output = f.rates.back().rate;
    rescaleRates(f, 0.5f);  // a schedule's factor 2, or steering to 0.5
    QCOMPARE(f.rates[0].rate, 0.0f);  // still frozen
    QCOMPARE(f.rates[1].rate, 0.5f);
    QCOMPARE(f.rates.back().rate, 2.0f * output);  // the ratios kept
  }

  // Steering the rate to 0 and back (trainer: scaleRates by 0, then rescaleRates from a
  // base of 0) gives every layer its conf ratio again: a frozen layer stays frozen.
  void steeringToZeroAndBackKeepsFrozenLayersAndRatios() {
    Conf c = stackConf("dbn");
    c.learningRateByLayer = {0.0, 0.25};
    Phase f = plan(c).back();
    const float output = f.rates.back().rate;
    scaleRates(f, 0.0f);
    QCOMPARE(baseRate(f), 0.0f);
    rescaleRates(f, 0.5f);
    QCOMPARE(f.rates[0].rate, 0.0f);  // still frozen (it took 0.5 before the fix)
    QCOMPARE(f.rates[1].rate, 0.5f);
    QCOMPARE(f.rates.back().rate, 2.0f * output);
    // A phase frozen whole by its conf takes the new rate throughout, as before.
    Phase frozen = f;
    for (RateRange& r : frozen.rates) r.rate = r.planned = 0.0f;
    rescaleRates(frozen, 0.3f);
    for (const RateRange& r : frozen.rates) QCOMPARE(r.rate, 0.3f);
  }
};

QTEST_GUILESS_MAIN(TestPhase)
#include "test_phase.moc"
