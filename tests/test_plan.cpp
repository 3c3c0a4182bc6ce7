// resolvePlan and the choice enums: every choice knobs.def lists parses into its knob's
// enum (so the two lists cannot drift apart), every enum value is some knob's choice,
// per-layer lists expand into one shape per layer, the thread count is resolved, and a
// choice no knob lists is refused with the knob's name.
#include <set>
#include <string>
#include <vector>

#include <QtTest>

#include "config/knob_registry.h"
#include "config/plan.h"
#include "fixtures/engine_fixtures.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

// Every value of E named by `knob`'s choices; fails the test on a choice E lacks.
template <typename E>
std::set<E> parsedChoices(const std::string& knob) {
  const KnobSpec* spec = findKnob(knob);
  if (!spec) {
    QTest::qFail(qPrintable(QString::fromStdString("no knob " + knob)), __FILE__, __LINE__);
    return {};
  }
  std::set<E> values;
  for (const std::string& choice : spec->constraint.choices) {
    const auto value = choiceFromName<E>(choice);
    if (!value) {
      QTest::qFail(qPrintable(QString::fromStdString(knob + ": choice '" + choice + "' has no enum value")), __FILE__,
                   __LINE__);
      return {};
    }
    values.insert(*value);
    if (std::string(choiceName(*value)) != choice) QTest::qFail("name does not round-trip", __FILE__, __LINE__);
  }
  return values;
}

// The knobs covered below; a new choice knob fails choiceKnobsAreAllCovered until added.
const std::set<std::string> kCovered = {
    "networkClass", "activation", "activationByLayer", "outputActivation", "outputLossFunction", "lossFunction",
    "weightInit", "visibleUnit", "hiddenUnit", "visibleUnitByLayer", "hiddenUnitByLayer", "learningRateSchedule",
    "optimizationAlgorithm", "dataset", "normalize", "optimizerStatePolicy", "learningRateScaling",
    "exchangeCompression"};

template <typename E>
size_t enumSize() {
  return std::size(Choices<E>::names);
}

}  // namespace

class TestPlan : public QObject {
  Q_OBJECT

 private slots:
  void choiceKnobsAreAllCovered() {
    for (const KnobSpec& spec : knobRegistry()) {
      const bool choice = spec.kind == KnobKind::Choice || spec.kind == KnobKind::ChoiceList;
      QVERIFY2(!choice || kCovered.count(spec.name), qPrintable(QString::fromStdString(spec.name + " has no enum in config/choices.h")));
    }
  }

  // Each knob's list parses whole, and together the knobs name every enum value (but the
  // two no knob offers: softmax as a hidden activation is only an output's, and continuous
  // visible units are only a CDBN first layer's).
  void everyChoiceParsesAndEveryValueIsAChoice() {
    QCOMPARE(parsedChoices<NetworkClass>("networkClass").size(), enumSize<NetworkClass>());
    std::set<Activation> activations = parsedChoices<Activation>("activation");
    QCOMPARE(parsedChoices<Activation>("activationByLayer"), activations);
    for (Activation a : parsedChoices<Activation>("outputActivation")) activations.insert(a);
    QCOMPARE(activations.size(), enumSize<Activation>());
    QCOMPARE(parsedChoices<OutputLoss>("outputLossFunction").size(), enumSize<OutputLoss>());
    QCOMPARE(parsedChoices<ReconstructionLoss>("lossFunction").size(), enumSize<ReconstructionLoss>());
    QCOMPARE(parsedChoices<WeightInit>("weightInit").size(), enumSize<WeightInit>());
    const auto visible = parsedChoices<VisibleUnit>("visibleUnit");
    QCOMPARE(parsedChoices<VisibleUnit>("visibleUnitByLayer"), visible);
    QCOMPARE(visible.size() + 1, enumSize<VisibleUnit>());
    QVERIFY(!visible.count(VisibleUnit::Continuous));
    const auto hidden = parsedChoices<HiddenUnit>("hiddenUnit");
    QCOMPARE(parsedChoices<HiddenUnit>("hiddenUnitByLayer"), hidden);
    QCOMPARE(hidden.size(), enumSize<HiddenUnit>());
    QCOMPARE(parsedChoices<RateSchedule>("learningRateSchedule").size(), enumSize<RateSchedule>());
    QCOMPARE(parsedChoices<Optimization>("optimizationAlgorithm").size(), enumSize<Optimization>());
    QCOMPARE(parsedChoices<DataSourceKind>("dataset").size(), enumSize<DataSourceKind>());
    QCOMPARE(parsedChoices<Normalization>("normalize").size(), enumSize<Normalization>());
    QCOMPARE(parsedChoices<StatePolicy>("optimizerStatePolicy").size(), enumSize<StatePolicy>());
    QCOMPARE(parsedChoices<RateScaling>("learningRateScaling").size(), enumSize<RateScaling>());
    QCOMPARE(parsedChoices<LinkCompression>("exchangeCompression").size(), enumSize<LinkCompression>());
  }

  // The defaults, resolved: what knobs.def says, as enums.
  void defaultsResolve() {
    const Plan p = resolvePlan(Conf{});
    QVERIFY(p.network == NetworkClass::Mlp && p.stack);
    QVERIFY(p.outputLoss == OutputLoss::MultiClassCrossEntropy);
    QVERIFY(p.weightInit == WeightInit::Xavier);
    QVERIFY(p.schedule == RateSchedule::Constant);
    QVERIFY(p.optimization == Optimization::Sgd);
    QVERIFY(p.dataset == DataSourceKind::FashionMnist);
    QVERIFY(p.normalize == Normalization::Scale);
    QVERIFY(p.statePolicy == StatePolicy::Average);
    QVERIFY(p.rateScaling == RateScaling::Sqrt);
    QVERIFY(p.compression == LinkCompression::Int8);
    QVERIFY(p.threads >= 1);  // threads=0: the hardware's
  }

  // Per-layer lists override the global knob for the layers they cover; the rest follow it.
  void perLayerListsExpand() {
    Conf c = smallConf("dbn", 6, {5, 4, 3}, 2);
    c.activation = "tanh";
    c.activationByLayer = {"sigmoid"};
    c.hiddenUnit = "rectified";
    c.hiddenUnitByLayer = {"binary", "gaussian"};
    c.threads = 3;
    const Plan p = resolvePlan(c);
    QCOMPARE(p.layers.size(), size_t(4));
    QVERIFY(p.layers[0].activation == Activation::Sigmoid);
    QVERIFY(p.layers[1].activation == Activation::Tanh && p.layers[2].activation == Activation::Tanh);
    QVERIFY(p.layers[0].hiddenUnit == HiddenUnit::Binary && p.layers[1].hiddenUnit == HiddenUnit::Gaussian);
    QVERIFY(p.layers[2].hiddenUnit == HiddenUnit::Rectified);
    QVERIFY(p.layers[3].role == LayerRole::Output && !p.layers[3].hiddenUnit);
    QCOMPARE(p.threads, 3);
  }

  // A conf edited past validation (a file written by hand, then used without `check`).
  void unknownChoiceNamesTheKnob() {
    Conf c;
    c.learningRateScaling = "cubic";
    try {
      resolvePlan(c);
      QFAIL("an unknown learningRateScaling was accepted");
    } catch (const ScaleoutError& e) {
      QCOMPARE(std::string(e.what()), std::string("learningRateScaling: unknown value 'cubic'"));
    }
  }

  // Validation and warnings ask choiceIs of names that may be no choice at all.
  void choiceIsAnswersForUnknownNames() {
    QVERIFY(choiceIs("mlp", NetworkClass::Mlp));
    QVERIFY(!choiceIs("dbn", NetworkClass::Mlp));
    QVERIFY(!choiceIs("MLP", NetworkClass::Mlp));  // names are exact
    QVERIFY(!choiceIs("", DataSourceKind::FashionMnist));
    QVERIFY(choiceIs("xent", OutputLoss::CrossEntropy));
  }
};

QTEST_GUILESS_MAIN(TestPlan)
#include "test_plan.moc"
