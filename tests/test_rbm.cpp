// RBM and autoencoder layers: the truncated exponential of the CRBM's continuous units
// against numerical integration, and training that measurably lowers reconstruction
// error (CD-1 on binary and Gaussian visible units, a CRBM, a denoising autoencoder).
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <QtTest>

#include "data/batches.h"
#include "fixtures/engine_fixtures.h"
#include "nn/network.h"
#include "nn/rbm.h"
#include "train/objective.h"
#include "train/optimizer.h"
#include "train/phase.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

// E[v] for density proportional to e^{a v} on [0,1], by composite Simpson in double.
// The exponent is shifted by its maximum so a = +-20 cannot overflow.
double integratedMean(double a) {
  const int n = 20000;  // even
  const double shift = a > 0 ? a : 0.0;
  double num = 0, den = 0;
  for (int i = 0; i <= n; ++i) {
    const double v = static_cast<double>(i) / n;
    const double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
    const double e = std::exp(a * v - shift);
    num += w * v * e;
    den += w * e;
  }
  return num / den;
}

struct TrainResult {
  float before = 0, after = 0;
};

// Trains the single layer of `conf` (rbm, crbm or da) for `epochs` on `data` with the
// objective and optimizer the workers use; reports the mean-field reconstruction
// error on the whole set before and after.
TrainResult trainLayer(const Conf& conf, const DataSet& data, int epochs) {
  NetworkLayout layout(conf);
  const auto phases = planPhases(conf, layout);
  const Phase& phase = phases.at(0);
  Rng init(static_cast<uint64_t>(conf.seed));
  Eigen::VectorXf params = layout.initialParameters(conf, init);
  auto objective = makeObjective(conf, layout, phase);
  Optimizer optimizer(conf, phase);
  OptimizerState state;
  state.reset(phase.size(), conf.useAdaGrad);
  const Batch all = wholeBatch(data);
  TrainResult result;
  result.before = objective->loss(params, all);
  Rng rng(7);
  BatchIterator batches(data, conf.batchSize, rng);
  Batch batch;
  for (int e = 0; e < epochs; ++e) {
    batches.startEpoch();
    while (batches.next(batch)) optimizer.minibatch(*objective, params, state, batch, rng);
  }
  result.after = objective->loss(params, all);
  return result;
}

Conf layerConf(const std::string& networkClass, int nIn, int nHidden) {
  Conf conf = smallConf(networkClass, nIn, {}, nHidden);
  conf.batchSize = 20;
  conf.momentum = 0.5;
  conf.weightInit = "normal";
  conf.weightInitStd = 0.01;
  conf.activation = "sigmoid";
  return conf;
}

}  // namespace

class TestRbm : public QObject {
  Q_OBJECT

 private slots:
  void truncatedExponentialMeanMatchesIntegral_data();
  void truncatedExponentialMeanMatchesIntegral();
  void truncatedExponentialMeanIsInsideUnitInterval();
  void truncatedExponentialMeanIsContinuousAtSeriesSwitch();
  void truncatedExponentialSampleIsInverseCdf_data();
  void truncatedExponentialSampleIsInverseCdf();
  void unitNames();
  void hiddenAndVisibleMeans();
  void contrastiveDivergenceReportsReconstructionError();
  void cd1LowersBinaryReconstructionError();
  void gaussianVisibleRbmLowersReconstructionError();
  void continuousRbmLowersReconstructionError();
  void denoisingAutoencoderLearnsToReconstruct();
};

void TestRbm::truncatedExponentialMeanMatchesIntegral_data() {
  QTest::addColumn<float>("a");
  for (float a : {-20.0f, -3.0f, -0.5f, 1e-5f, 0.5f, 3.0f, 20.0f}) QTest::newRow(qPrintable(QString::number(a))) << a;
}

void TestRbm::truncatedExponentialMeanMatchesIntegral() {
  QFETCH(float, a);
  const double expected = integratedMean(a);
  const float got = truncatedExponentialMean(a);
  QVERIFY2(std::fabs(got - expected) < 2e-6,
           qPrintable(QString("mean(%1) = %2, integral %3").arg(a).arg(got, 0, 'g', 9).arg(expected, 0, 'g', 9)));
}

void TestRbm::truncatedExponentialMeanIsInsideUnitInterval() {
  float previous = 0.0f;
  for (float a : {-1e4f, -1000.0f, -80.0f, -20.0f, -3.0f, -1e-3f, -1e-4f, 0.0f, 1e-4f, 1e-3f, 0.5f, 3.0f, 20.0f, 80.0f, 1000.0f}) {
    const float m = truncatedExponentialMean(a);
    QVERIFY2(m > 0.0f && m < 1.0f, qPrintable(QString("mean(%1) = %2").arg(a).arg(m)));
    QVERIFY2(m > previous, qPrintable(QString("mean not increasing at a = %1").arg(a)));  // d mean / da = Var > 0
    previous = m;
  }
  QCOMPARE(truncatedExponentialMean(0.0f), 0.5f);
  QVERIFY(std::fabs(truncatedExponentialMean(1000.0f) - 0.999f) < 1e-6f);  // ~ 1 - 1/a
  QVERIFY(std::fabs(truncatedExponentialMean(-1000.0f) - 0.001f) < 1e-6f); // ~ -1/a
}

void TestRbm::truncatedExponentialMeanIsContinuousAtSeriesSwitch() {
  // Below |a| = 1e-3 a series replaces the cancelling closed form; the two must agree.
  for (float a : {9.99e-4f, -9.99e-4f}) {
    const float series = truncatedExponentialMean(a);
    const float closed = truncatedExponentialMean(a * 1.002f);
    QVERIFY(std::fabs(series - closed) < 1e-6f);
    QVERIFY(std::fabs(series - integratedMean(a)) < 1e-6);
  }
}

void TestRbm::truncatedExponentialSampleIsInverseCdf_data() {
  QTest::addColumn<float>("a");
  for (float a : {-20.0f, -3.0f, -0.5f, 1e-5f, 0.5f, 3.0f, 20.0f}) QTest::newRow(qPrintable(QString::number(a))) << a;
}

void TestRbm::truncatedExponentialSampleIsInverseCdf() {
  QFETCH(float, a);
  // Inverse CDF: 0 -> 0, 1 -> 1, non-decreasing, inside [0,1].
  QVERIFY(std::fabs(truncatedExponentialSample(a, 0.0f)) < 1e-6f);
  QVERIFY(std::fabs(truncatedExponentialSample(a, 1.0f) - 1.0f) < 1e-6f);
  float previous = -1.0f;
  for (int i = 0; i <= 1000; ++i) {
    const float u = static_cast<float>(i) / 1000.0f;
    const float v = truncatedExponentialSample(a, u);
    QVERIFY2(v >= 0.0f && v <= 1.0f, qPrintable(QString("sample(%1, %2) = %3").arg(a).arg(u).arg(v)));
    QVERIFY2(v >= previous, qPrintable(QString("sample(%1, u) decreases at u = %2").arg(a).arg(u)));
    previous = v;
  }
  // The CDF at the sample is u: F(v) = (e^{a v} - 1) / (e^a - 1).
  for (float u : {0.1f, 0.5f, 0.9f}) {
    const double v = truncatedExponentialSample(a, u);
    const double f = std::expm1(static_cast<double>(a) * v) / std::expm1(static_cast<double>(a));
    QVERIFY2(std::fabs(f - u) < 1e-4, qPrintable(QString("F(sample(%1, %2)) = %3").arg(a).arg(u).arg(f)));
  }
  // Monte Carlo: 40000 draws have a standard error below 0.0015 (sd <= 0.29).
  Rng rng(31);
  const int n = 40000;
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += truncatedExponentialSample(a, rng.uniform());
  const double mean = sum / n;
  QVERIFY2(std::fabs(mean - truncatedExponentialMean(a)) < 0.006,
           qPrintable(QString("sample mean %1, mean %2").arg(mean).arg(truncatedExponentialMean(a))));
}

void TestRbm::unitNames() {
  QVERIFY(parseChoice<VisibleUnit>("visibleUnit", "continuous") == VisibleUnit::Continuous);
  QVERIFY(parseChoice<VisibleUnit>("visibleUnit", "gaussian") == VisibleUnit::Gaussian);
  QVERIFY(parseChoice<HiddenUnit>("hiddenUnit", "rectified") == HiddenUnit::Rectified);
  try {
    parseChoice<VisibleUnit>("visibleUnit", "bernoulli");
    QFAIL("unknown visible unit accepted");
  } catch (const std::exception& e) {
    QVERIFY(std::string(e.what()).find("'bernoulli'") != std::string::npos);
  }
}

void TestRbm::hiddenAndVisibleMeans() {
  // 2 visible, 1 hidden: E[h|v] = sigmoid(v W + hb), E[v|h] = sigmoid(h W^T + vb) for
  // binary units; Gaussian visible units give the pre-activation itself.
  Eigen::MatrixXf w(2, 1);
  w << 1.0f, -2.0f;
  Eigen::VectorXf hb(1), vb(2);
  hb << 0.5f;
  vb << 0.25f, -0.25f;
  const RbmParams p{Eigen::Map<const Eigen::MatrixXf>(w.data(), 2, 1), Eigen::Map<const Eigen::VectorXf>(hb.data(), 1),
                    Eigen::Map<const Eigen::VectorXf>(vb.data(), 2)};
  Eigen::MatrixXf v(1, 2), pre, mean;
  v << 1.0f, 1.0f;
  Rbm binary(VisibleUnit::Binary, HiddenUnit::Binary, 1, 0, 0);
  binary.hiddenMean(p, v, pre, mean);
  QVERIFY(std::fabs(pre(0, 0) - (-0.5f)) < 1e-7f);
  QVERIFY(std::fabs(mean(0, 0) - 1.0 / (1.0 + std::exp(0.5))) < 1e-6);
  Eigen::MatrixXf h(1, 1);
  h << 1.0f;
  binary.visibleMean(p, h, pre, mean);
  QVERIFY(std::fabs(mean(0, 0) - 1.0 / (1.0 + std::exp(-1.25))) < 1e-6);
  QVERIFY(std::fabs(mean(0, 1) - 1.0 / (1.0 + std::exp(2.25))) < 1e-6);
  Rbm gaussian(VisibleUnit::Gaussian, HiddenUnit::Binary, 1, 0, 0);
  gaussian.visibleMean(p, h, pre, mean);
  QVERIFY(std::fabs(mean(0, 0) - 1.25f) < 1e-6f);
  QVERIFY(std::fabs(mean(0, 1) - (-2.25f)) < 1e-6f);
  Rbm continuous(VisibleUnit::Continuous, HiddenUnit::Binary, 1, 0, 0);
  continuous.visibleMean(p, h, pre, mean);
  QCOMPARE(mean(0, 0), truncatedExponentialMean(1.25f));
}

void TestRbm::contrastiveDivergenceReportsReconstructionError() {
  // With zero weights the hidden layer carries nothing: the reconstruction is
  // sigmoid(vb) = 0.5 for every sample, whatever the chain samples, and h0 = hk = 0.5.
  const int nv = 4, nh = 3;
  Eigen::VectorXf params = Eigen::VectorXf::Zero(nv * nh + nh + nv), grad = params;
  const RbmParams p{Eigen::Map<const Eigen::MatrixXf>(params.data(), nv, nh),
                    Eigen::Map<const Eigen::VectorXf>(params.data() + nv * nh, nh),
                    Eigen::Map<const Eigen::VectorXf>(params.data() + nv * nh + nh, nv)};
  Eigen::MatrixXf v(2, nv);
  v << 1, 0, 1, 1, 0, 0, 1, 0;
  Rbm rbm(VisibleUnit::Binary, HiddenUnit::Binary, 1, 0, 0);
  Rng rng(3);
  const float error = rbm.contrastiveDivergence(p, v, Eigen::Map<Eigen::MatrixXf>(grad.data(), nv, nh),
                                                Eigen::Map<Eigen::VectorXf>(grad.data() + nv * nh, nh),
                                                Eigen::Map<Eigen::VectorXf>(grad.data() + nv * nh + nh, nv), rng);
  // Each of 8 entries is off by exactly 0.5: mean over 2 samples of 4 * 0.25 = 1.
  QVERIFY(std::fabs(error - 1.0f) < 1e-6f);
  QVERIFY(std::fabs(rbm.reconstructionError(p, v) - 1.0f) < 1e-6f);
  // dNLL ~ -(<v h>_data - <v h>_model): for vb, -(mean v - 0.5); for W, 0.5 times that
  // in every hidden column; for hb, -(0.5 - 0.5) = 0.
  for (int i = 0; i < nv; ++i) {
    const float expected = -(0.5f * (v(0, i) + v(1, i)) - 0.5f);
    QVERIFY(std::fabs(grad[nv * nh + nh + i] - expected) < 1e-6f);
    for (int j = 0; j < nh; ++j) QVERIFY(std::fabs(grad[j * nv + i] - 0.5f * expected) < 1e-6f);
  }
  for (int j = 0; j < nh; ++j) QVERIFY(std::fabs(grad[nv * nh + j]) < 1e-7f);
}

void TestRbm::cd1LowersBinaryReconstructionError() {
  // 200 samples of 3 prototypes with 5% flipped bits; 16 visible, 8 hidden, CD-1.
  const DataSet data = noisyBinaryPatterns(200, 16, 3, 0.05f, 41);
  Conf conf = layerConf("rbm", 16, 8);
  conf.pretrainLearningRate = 0.1;
  conf.k = 1;
  const TrainResult r = trainLayer(conf, data, 30);
  // Untrained, every unit reconstructs as ~0.5: about 16 * 0.25 = 4 per sample.
  QVERIFY2(std::fabs(r.before - 4.0f) < 0.1f, qPrintable(QString("before %1").arg(r.before)));
  QVERIFY2(r.after < 0.6f * r.before, qPrintable(QString("%1 -> %2").arg(r.before).arg(r.after)));
  // The noise floor is 16 * 0.05 flipped bits per sample; training should get near it.
  QVERIFY2(r.after < 1.5f, qPrintable(QString("after %1").arg(r.after)));
}

void TestRbm::gaussianVisibleRbmLowersReconstructionError() {
  // Real-valued data: 3 prototypes with N(0,1) entries plus N(0, 0.1) noise.
  Rng rng(43);
  Eigen::MatrixXf prototypes(3, 16);
  for (Eigen::Index i = 0; i < prototypes.size(); ++i) prototypes.data()[i] = rng.normal();
  DataSet data;
  data.features.resize(200, 16);
  data.labels.resize(200);
  data.numClasses = 3;
  for (int s = 0; s < 200; ++s) {
    data.labels[static_cast<size_t>(s)] = s % 3;
    for (int c = 0; c < 16; ++c) data.features(s, c) = prototypes(s % 3, c) + 0.1f * rng.normal();
  }
  Conf conf = layerConf("rbm", 16, 8);
  conf.visibleUnit = "gaussian";
  conf.pretrainLearningRate = 0.01;
  const TrainResult r = trainLayer(conf, data, 50);
  QVERIFY2(r.after < 0.6f * r.before, qPrintable(QString("%1 -> %2").arg(r.before).arg(r.after)));
}

void TestRbm::continuousRbmLowersReconstructionError() {
  // The CRBM's first layer: values in [0,1] near 3 prototypes of 0.2/0.8 entries.
  const DataSet data = clusters(200, 16, 3, 0.05f, 47);
  Conf conf = layerConf("crbm", 16, 8);
  conf.pretrainLearningRate = 0.1;
  NetworkLayout layout(conf);
  QCOMPARE(layout.layers()[0].shape.visibleUnit, std::optional(VisibleUnit::Continuous));
  const TrainResult r = trainLayer(conf, data, 30);
  QVERIFY2(r.after < 0.6f * r.before, qPrintable(QString("%1 -> %2").arg(r.before).arg(r.after)));
}

void TestRbm::denoisingAutoencoderLearnsToReconstruct() {
  const DataSet data = noisyBinaryPatterns(200, 16, 3, 0.05f, 53);
  Conf conf = layerConf("da", 16, 8);
  conf.corruptionLevel = 0.3;
  conf.pretrainLearningRate = 0.1;
  conf.weightInit = "xavier";
  const TrainResult r = trainLayer(conf, data, 30);
  QVERIFY2(r.after < 0.5f * r.before, qPrintable(QString("%1 -> %2").arg(r.before).arg(r.after)));
}

QTEST_APPLESS_MAIN(TestRbm)
#include "test_rbm.moc"
