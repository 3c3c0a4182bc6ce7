// networkShape: the layers each network class describes, parameter counts by hand, and the
// one-line description the CLI's check and the GUI's summary print.
#include <optional>
#include <string>
#include <vector>

#include <QtTest>

#include "fixtures/engine_fixtures.h"
#include "config/plan.h"

using namespace scaleout;
using namespace scaleout::fixtures;

class TestNetworkShape : public QObject {
  Q_OBJECT

 private slots:
  // Hidden mlp layers are "dense" without a visible bias: 4*16+16 + 16*3+3 = 131.
  void mlpHasDenseLayersAndOutput() {
    Conf c = smallConf("mlp", 4, {16}, 3);
    c.activation = "tanh";
    const auto shape = networkShape(c);
    QCOMPARE(shape.size(), size_t(2));
    QCOMPARE(shape[0].role, LayerRole::Dense);
    QCOMPARE(shape[0].nIn, 4);
    QCOMPARE(shape[0].nOut, 16);
    QCOMPARE(shape[0].activation, Activation::Tanh);
    QVERIFY(!shape[0].hasVisibleBias);
    QCOMPARE(shape[1].role, LayerRole::Output);
    QCOMPARE(shape[1].nIn, 16);
    QCOMPARE(shape[1].activation, Activation::Softmax);
    QCOMPARE(parameterCount(shape), size_t(131));
    QCOMPARE(describeShape(c, shape), std::string("mlp 4-16(tanh)-3(softmax)"));
  }

  // Each RBM adds a visible bias: (784*500+500+784) + (500*250+250+500) + (250*10+10) = 521544.
  // Unit types come from the per-layer lists first, then the global knob.
  void dbnLayersAreRbmsWithVisibleBias() {
    Conf c = smallConf("dbn", 784, {500, 250}, 10);
    c.visibleUnitByLayer = {"gaussian", "binary"};
    c.hiddenUnit = "rectified";
    const auto shape = networkShape(c);
    QCOMPARE(shape.size(), size_t(3));
    QCOMPARE(shape[0].parameterCount(), size_t(393284));
    QCOMPARE(shape[1].role, LayerRole::Rbm);
    QVERIFY(shape[1].hasVisibleBias);
    QCOMPARE(shape[0].visibleUnit, std::optional(VisibleUnit::Gaussian));
    QCOMPARE(shape[1].visibleUnit, std::optional(VisibleUnit::Binary));
    QCOMPARE(shape[1].hiddenUnit, std::optional(HiddenUnit::Rectified));
    QCOMPARE(parameterCount(shape), size_t(521544));
    QCOMPARE(describeShape(c, shape), std::string("dbn 784-500(rbm)-250(rbm)-10(softmax)"));
  }

  // cdbn: only the first layer is a crbm, and its visible units are continuous whatever the knob says.
  void cdbnFirstLayerIsContinuousCrbm() {
    Conf c = smallConf("cdbn", 784, {1000, 500}, 10);
    c.visibleUnit = "gaussian";
    const auto shape = networkShape(c);
    QCOMPARE(shape[0].role, LayerRole::Crbm);
    QCOMPARE(shape[0].visibleUnit, std::optional(VisibleUnit::Continuous));
    QCOMPARE(shape[1].role, LayerRole::Rbm);
    QCOMPARE(shape[1].visibleUnit, std::optional(VisibleUnit::Gaussian));
    QCOMPARE(describeShape(c, shape), std::string("cdbn 784-1000(crbm)-500(rbm)-10(softmax)"));
  }

  // sda: autoencoders carry a visible bias but no RBM unit types.
  void sdaLayersAreAutoencoders() {
    const Conf c = smallConf("sda", 10, {6}, 2);
    const auto shape = networkShape(c);
    QCOMPARE(shape[0].role, LayerRole::Da);
    QVERIFY(shape[0].hasVisibleBias);
    QVERIFY(!shape[0].visibleUnit && !shape[0].hiddenUnit);
    QCOMPARE(parameterCount(shape), size_t(10 * 6 + 6 + 10 + 6 * 2 + 2));
    QCOMPARE(describeShape(c, shape), std::string("sda 10-6(da)-2(softmax)"));
  }

  // A single-layer net is one layer, nOut hidden units, no output layer; layerSizes is ignored.
  void singleLayerNets_data() {
    QTest::addColumn<QString>("networkClass");
    QTest::addColumn<QString>("visibleUnit");
    QTest::newRow("rbm") << "rbm" << "binary";
    QTest::newRow("crbm") << "crbm" << "continuous";
    QTest::newRow("da") << "da" << QString();  // an autoencoder has no RBM unit types
  }
  void singleLayerNets() {
    QFETCH(QString, networkClass);
    QFETCH(QString, visibleUnit);
    const std::string cls = networkClass.toStdString();
    const Conf c = smallConf(cls, 6, {99, 99}, 4);
    QVERIFY(isSingleLayerNetwork(cls));
    QVERIFY(!isStackNetwork(cls));
    const auto shape = networkShape(c);
    QCOMPARE(shape.size(), size_t(1));
    QCOMPARE(std::string(layerRoleName(shape[0].role)), cls);
    if (visibleUnit.isNull()) QVERIFY(!shape[0].visibleUnit);
    else QCOMPARE(std::string(choiceName(shape[0].visibleUnit.value())), visibleUnit.toStdString());
    QCOMPARE(parameterCount(shape), size_t(6 * 4 + 4 + 6));
    QCOMPARE(describeShape(c, shape), cls + " 6-4(" + cls + ")");
  }

  // activationByLayer overrides hidden layers only; the output follows outputActivation.
  void perLayerActivationsAndOutputActivation() {
    Conf c = smallConf("mlp", 4, {8, 6}, 2);
    c.activation = "tanh";
    c.activationByLayer = {"relu", "sigmoid"};
    c.outputActivation = "linear";
    const auto shape = networkShape(c);
    QCOMPARE(describeShape(c, shape), std::string("mlp 4-8(relu)-6(sigmoid)-2(linear)"));
  }

  // No hidden layers is logistic regression for an mlp (validation allows it): 4*3+3.
  // networkShape does no validation of its own: it throws only for a choice no knob lists.
  void mlpWithoutHiddenLayers() {
    const Conf c = smallConf("mlp", 4, {}, 3);
    const auto shape = networkShape(c);
    QCOMPARE(shape.size(), size_t(1));
    QCOMPARE(shape[0].role, LayerRole::Output);
    QCOMPARE(parameterCount(shape), size_t(15));
    QCOMPARE(describeShape(c, shape), std::string("mlp 4-3(softmax)"));
    QVERIFY(isStackNetwork("mlp") && isStackNetwork("cdbn") && !isStackNetwork("rbm"));
    QVERIFY(!isStackNetwork("lstm") && !isSingleLayerNetwork("lstm"));
  }
};

QTEST_GUILESS_MAIN(TestNetworkShape)
#include "test_network_shape.moc"
