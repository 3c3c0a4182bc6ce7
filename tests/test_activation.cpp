// Activations: values at known points, derivatives against finite differences, softmax
// normalisation and its stability at extreme inputs, names.
#include <cmath>
#include <string>
#include <vector>

#include <QtTest>

#include "nn/activation.h"
#include "util/error.h"

using namespace scaleout;

Q_DECLARE_METATYPE(std::vector<float>)

namespace {

float apply(Activation a, float z) {
  Eigen::MatrixXf m(1, 1);
  m(0, 0) = z;
  applyActivation(a, m);
  return m(0, 0);
}

double sigmoidRef(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

class TestActivation : public QObject {
  Q_OBJECT

 private slots:
  void values_data();
  void values();
  void derivativeMatchesFiniteDifference_data();
  void derivativeMatchesFiniteDifference();
  void derivativeUsesTheRightSideOfKinks_data();
  void derivativeUsesTheRightSideOfKinks();
  void extremeInputsStayFinite_data();
  void extremeInputsStayFinite();
  void softmaxRowsSumToOne();
  void softmaxKnownValues();
  void softmaxIsStableForHugeInputs();
  void softmaxHasNoHiddenDerivative();
  void namesRoundTrip();
  void unknownNameIsRefused();
};

void TestActivation::values_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<float>("z");
  QTest::addColumn<double>("expected");
  QTest::newRow("sigmoid 0") << "sigmoid" << 0.0f << 0.5;
  QTest::newRow("sigmoid 2") << "sigmoid" << 2.0f << sigmoidRef(2.0);
  QTest::newRow("sigmoid -3") << "sigmoid" << -3.0f << sigmoidRef(-3.0);
  QTest::newRow("tanh 0.5") << "tanh" << 0.5f << std::tanh(0.5);
  QTest::newRow("tanh -2") << "tanh" << -2.0f << std::tanh(-2.0);
  QTest::newRow("hardtanh 0.3") << "hardtanh" << 0.3f << 0.3;
  QTest::newRow("hardtanh 2") << "hardtanh" << 2.0f << 1.0;
  QTest::newRow("hardtanh -3") << "hardtanh" << -3.0f << -1.0;
  QTest::newRow("relu -1") << "relu" << -1.0f << 0.0;
  QTest::newRow("relu 2.5") << "relu" << 2.5f << 2.5;
  QTest::newRow("leakyrelu -2") << "leakyrelu" << -2.0f << -0.02;
  QTest::newRow("leakyrelu 3") << "leakyrelu" << 3.0f << 3.0;
  QTest::newRow("softplus 0") << "softplus" << 0.0f << std::log(2.0);
  QTest::newRow("softplus 3") << "softplus" << 3.0f << std::log1p(std::exp(3.0));
  QTest::newRow("softplus -4") << "softplus" << -4.0f << std::log1p(std::exp(-4.0));
  QTest::newRow("linear -4.5") << "linear" << -4.5f << -4.5;
  QTest::newRow("linear 7") << "linear" << 7.0f << 7.0;
}

void TestActivation::values() {
  QFETCH(QString, name);
  QFETCH(float, z);
  QFETCH(double, expected);
  const float got = apply(parseChoice<Activation>("activation", name.toStdString()), z);
  QVERIFY2(std::fabs(got - expected) <= 1e-6 + 1e-6 * std::fabs(expected),
           qPrintable(QString("%1(%2) = %3, expected %4").arg(name).arg(z).arg(got, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

void TestActivation::derivativeMatchesFiniteDifference_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<std::vector<float>>("points");
  // Points keep clear of the kinks at 0 (relu, leakyrelu) and +-1 (hardtanh).
  const std::vector<float> smooth{-3.0f, -1.2f, -0.4f, 0.0f, 0.3f, 0.9f, 2.5f};
  const std::vector<float> kinked{-2.5f, -1.3f, -0.7f, -0.3f, 0.4f, 0.8f, 2.2f};
  QTest::newRow("sigmoid") << "sigmoid" << smooth;
  QTest::newRow("tanh") << "tanh" << smooth;
  QTest::newRow("hardtanh") << "hardtanh" << kinked;
  QTest::newRow("relu") << "relu" << kinked;
  QTest::newRow("leakyrelu") << "leakyrelu" << kinked;
  QTest::newRow("softplus") << "softplus" << smooth;
  QTest::newRow("linear") << "linear" << smooth;
}

void TestActivation::derivativeMatchesFiniteDifference() {
  QFETCH(QString, name);
  QFETCH(std::vector<float>, points);
  const Activation a = parseChoice<Activation>("activation", name.toStdString());
  const auto n = static_cast<Eigen::Index>(points.size());
  Eigen::MatrixXf z(2, n), out(2, n), delta(2, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    z(0, i) = points[static_cast<size_t>(i)];
    z(1, i) = -0.5f * points[static_cast<size_t>(i)];  // a second row, other values
  }
  out = z;
  applyActivation(a, out);
  // delta starts as an arbitrary upstream gradient; multiplyByDerivative scales it by f'.
  for (Eigen::Index i = 0; i < delta.size(); ++i) delta.data()[i] = 0.5f + 0.25f * static_cast<float>(i % 3);
  const Eigen::MatrixXf upstream = delta;
  multiplyByDerivative(a, z, out, delta);
  const float h = 1e-2f;
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    const float zi = z.data()[i];
    const double numeric = (static_cast<double>(apply(a, zi + h)) - apply(a, zi - h)) / (2.0 * h);
    const double expected = upstream.data()[i] * numeric;
    QVERIFY2(std::fabs(delta.data()[i] - expected) <= 1e-3,
             qPrintable(QString("%1'(%2): got %3, finite difference %4").arg(name).arg(zi).arg(delta.data()[i]).arg(expected)));
  }
}

void TestActivation::derivativeUsesTheRightSideOfKinks_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<float>("z");
  QTest::addColumn<float>("expected");
  QTest::newRow("relu negative") << "relu" << -0.01f << 0.0f;
  QTest::newRow("relu positive") << "relu" << 0.01f << 1.0f;
  QTest::newRow("leakyrelu negative") << "leakyrelu" << -5.0f << kLeakyReluSlope;
  QTest::newRow("hardtanh inside") << "hardtanh" << 0.99f << 1.0f;
  QTest::newRow("hardtanh above") << "hardtanh" << 1.01f << 0.0f;
  QTest::newRow("hardtanh below") << "hardtanh" << -1.01f << 0.0f;
}

void TestActivation::derivativeUsesTheRightSideOfKinks() {
  QFETCH(QString, name);
  QFETCH(float, z);
  QFETCH(float, expected);
  const Activation a = parseChoice<Activation>("activation", name.toStdString());
  Eigen::MatrixXf zm(1, 1), out(1, 1), delta(1, 1);
  zm(0, 0) = z;
  out = zm;
  applyActivation(a, out);
  delta(0, 0) = 2.0f;
  multiplyByDerivative(a, zm, out, delta);
  QCOMPARE(delta(0, 0), 2.0f * expected);
}

void TestActivation::extremeInputsStayFinite_data() {
  QTest::addColumn<QString>("name");
  QTest::addColumn<float>("z");
  QTest::addColumn<double>("expected");
  QTest::newRow("sigmoid 100") << "sigmoid" << 100.0f << 1.0;
  QTest::newRow("sigmoid -100") << "sigmoid" << -100.0f << 0.0;
  QTest::newRow("tanh 1000") << "tanh" << 1000.0f << 1.0;
  QTest::newRow("softplus 200") << "softplus" << 200.0f << 200.0;
  QTest::newRow("softplus -200") << "softplus" << -200.0f << 0.0;
}

void TestActivation::extremeInputsStayFinite() {
  QFETCH(QString, name);
  QFETCH(float, z);
  QFETCH(double, expected);
  const float got = apply(parseChoice<Activation>("activation", name.toStdString()), z);
  QVERIFY(std::isfinite(got));
  QVERIFY2(std::fabs(got - expected) <= 1e-6 * std::max(1.0, std::fabs(expected)),
           qPrintable(QString("%1(%2) = %3").arg(name).arg(z).arg(got)));
}

void TestActivation::softmaxRowsSumToOne() {
  Eigen::MatrixXf z(4, 5);
  for (Eigen::Index r = 0; r < z.rows(); ++r)
    for (Eigen::Index c = 0; c < z.cols(); ++c) z(r, c) = std::sin(static_cast<float>(3 * r + 7 * c)) * 4.0f;
  applyActivation(Activation::Softmax, z);
  for (Eigen::Index r = 0; r < z.rows(); ++r) {
    QVERIFY(std::fabs(z.row(r).sum() - 1.0f) < 1e-6f);
    QVERIFY(z.row(r).minCoeff() > 0.0f);
  }
}

void TestActivation::softmaxKnownValues() {
  Eigen::MatrixXf z(1, 3);
  z << 1.0f, 2.0f, 3.0f;
  applyActivation(Activation::Softmax, z);
  const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  QVERIFY(std::fabs(z(0, 0) - std::exp(1.0) / s) < 1e-6);
  QVERIFY(std::fabs(z(0, 1) - std::exp(2.0) / s) < 1e-6);
  QVERIFY(std::fabs(z(0, 2) - std::exp(3.0) / s) < 1e-6);
}

void TestActivation::softmaxIsStableForHugeInputs() {
  Eigen::MatrixXf z(4, 3);
  z << 1000.0f, 999.0f, -1000.0f,     // exp(1000) overflows without the max shift
      -1000.0f, -1000.0f, -1000.0f,   // exp(-1000) underflows to 0 everywhere
      -1000.0f, -999.0f, -1002.0f,    //
      1e30f, 0.0f, -1e30f;            //
  applyActivation(Activation::Softmax, z);
  QVERIFY(z.allFinite());
  for (Eigen::Index r = 0; r < z.rows(); ++r) QVERIFY(std::fabs(z.row(r).sum() - 1.0f) < 1e-6f);
  const double e1 = std::exp(-1.0);
  QVERIFY(std::fabs(z(0, 0) - 1.0 / (1.0 + e1)) < 1e-6);
  QVERIFY(std::fabs(z(0, 1) - e1 / (1.0 + e1)) < 1e-6);
  QCOMPARE(z(0, 2), 0.0f);
  for (Eigen::Index c = 0; c < 3; ++c) QVERIFY(std::fabs(z(1, c) - 1.0f / 3.0f) < 1e-6f);
  const double s = std::exp(-1.0) + 1.0 + std::exp(-3.0);  // shifted by the row max -999
  QVERIFY(std::fabs(z(2, 1) - 1.0 / s) < 1e-6);
  QCOMPARE(z(3, 0), 1.0f);
  QCOMPARE(z(3, 2), 0.0f);
}

void TestActivation::softmaxHasNoHiddenDerivative() {
  Eigen::MatrixXf z = Eigen::MatrixXf::Zero(1, 2), out = z, delta = z;
  try {
    multiplyByDerivative(Activation::Softmax, z, out, delta);
    QFAIL("softmax derivative did not throw");
  } catch (const ScaleoutError& e) {
    QVERIFY(std::string(e.what()).find("softmax") != std::string::npos);
  }
}

void TestActivation::namesRoundTrip() {
  for (Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::HardTanh, Activation::Relu, Activation::LeakyRelu,
                       Activation::Softplus, Activation::Linear, Activation::Softmax}) {
    QVERIFY(parseChoice<Activation>("activation", choiceName(a)) == a);
  }
  QCOMPARE(std::string(choiceName(Activation::LeakyRelu)), std::string("leakyrelu"));
}

void TestActivation::unknownNameIsRefused() {
  try {
    parseChoice<Activation>("activation", "swish");
    QFAIL("unknown activation accepted");
  } catch (const ScaleoutError& e) {
    QVERIFY(std::string(e.what()).find("'swish'") != std::string::npos);
  }
}

QTEST_APPLESS_MAIN(TestActivation)
#include "test_activation.moc"
