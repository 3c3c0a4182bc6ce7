// Analytic gradients against double-sided finite differences: the feedforward pass for
// every hidden activation and output/loss pairing, L2, output-only finetuning, the
// finetuning pass of each stack, and the denoising autoencoder. Then the optimisers:
// conjugate gradient lowers a minibatch loss monotonically; SGD steps downhill.
#include <cmath>
#include <string>
#include <vector>

#include <QtTest>

#include "fixtures/engine_fixtures.h"
#include "nn/autoencoder.h"
#include "nn/feedforward.h"
#include "nn/network.h"
#include "train/objective.h"
#include "train/optimizer.h"
#include "train/phase.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

constexpr int kBatch = 6;
constexpr int kChecked = 50;
constexpr double kTolerance = 1e-2;

// 5-4-3-3 network of `networkClass` with fresh (seeded, Glorot) weights and small
// nonzero biases, so every bias gradient is exercised away from zero.
struct Net {
  Conf conf;
  NetworkLayout layout;
  Eigen::VectorXf params;

  explicit Net(Conf c) : conf(std::move(c)), layout(conf) {
    Rng rng(17);
    params = layout.initialParameters(conf, rng);
    for (size_t i = 0; i < layout.layers().size(); ++i) {
      auto b = layout.bias(params, i);
      for (Eigen::Index k = 0; k < b.size(); ++k) b[k] = 0.2f * (rng.uniform() - 0.5f);
    }
  }
};

Conf netConf(const std::string& networkClass = "mlp") {
  Conf conf = smallConf(networkClass, 5, {4, 3}, 3);
  conf.activation = "tanh";
  return conf;
}

bool kinked(const std::string& activation) {
  return activation == "relu" || activation == "leakyrelu" || activation == "hardtanh";
}

// Checks FeedForward::lossAndGradient of `net` on `batch` over the whole vector.
GradientCheck checkFeedForward(Net& net, const Batch& batch, Eigen::VectorXf& grad, bool kinks) {
  FeedForward ff(net.layout, net.conf);
  ff.lossAndGradient(net.params, batch, grad, nullptr);
  auto loss = [&](const Eigen::VectorXf& p) { return ff.loss(p, batch); };
  return checkGradient(loss, net.params, grad, 0, net.layout.size(), kChecked, 99, kinks);
}

size_t visibleBiasCount(const NetworkLayout& layout) {
  size_t n = 0;
  for (const auto& l : layout.layers()) n += l.shape.hasVisibleBias ? static_cast<size_t>(l.shape.nIn) : 0;
  return n;
}

}  // namespace

class TestGradients : public QObject {
  Q_OBJECT

 private slots:
  void hiddenActivation_data();
  void hiddenActivation();
  void outputAndLoss_data();
  void outputAndLoss();
  void l2Regularization();
  void dropoutWithFixedMasks_data();
  void dropoutWithFixedMasks();
  void outputOnlyWithoutBackProp();
  void stackFinetuning_data();
  void stackFinetuning();
  void lossIsTheMeanOverTheBatch();
  void autoencoderDirect_data();
  void autoencoderDirect();
  void autoencoderThroughObjective();
  void autoencoderSecondLayerOfStack();
  void conjugateGradientLowersLossMonotonically();
  void sgdGradientIsDescentDirection();
  void sgdStepIsLearningRateTimesGradient();
};

void TestGradients::hiddenActivation_data() {
  QTest::addColumn<QString>("activation");
  for (const char* a : {"sigmoid", "tanh", "hardtanh", "relu", "leakyrelu", "softplus", "linear"}) QTest::newRow(a) << a;
}

void TestGradients::hiddenActivation() {
  QFETCH(QString, activation);
  Conf conf = netConf();
  conf.activation = activation.toStdString();
  Net net(conf);
  Rng rng(5);
  // hardtanh saturates beyond +-1: keep most pre-activations in its linear part.
  const float range = activation == "hardtanh" ? 0.6f : 1.0f;
  const Batch batch = randomBatch(kBatch, 5, 3, rng, -range, range);
  Eigen::VectorXf grad;
  const GradientCheck g = checkFeedForward(net, batch, grad, kinked(conf.activation));
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
  QVERIFY2(g.checked >= kChecked - 5, describe(g).c_str());
  // Every layer's weights receive a gradient (the hidden ones only through backprop).
  for (size_t i = 0; i < net.layout.layers().size(); ++i) QVERIFY(net.layout.weights(grad, i).norm() > 1e-4f);
}

void TestGradients::outputAndLoss_data() {
  QTest::addColumn<QString>("output");
  QTest::addColumn<QString>("loss");
  QTest::newRow("softmax+mcxent") << "softmax" << "mcxent";
  QTest::newRow("sigmoid+xent") << "sigmoid" << "xent";
  QTest::newRow("linear+squaredError") << "linear" << "squaredError";
  QTest::newRow("softmax+squaredError") << "softmax" << "squaredError";
  QTest::newRow("sigmoid+squaredError") << "sigmoid" << "squaredError";
  QTest::newRow("sigmoid+mcxent") << "sigmoid" << "mcxent";
}

void TestGradients::outputAndLoss() {
  QFETCH(QString, output);
  QFETCH(QString, loss);
  Conf conf = netConf();
  conf.outputActivation = output.toStdString();
  conf.outputLossFunction = loss.toStdString();
  Net net(conf);
  Rng rng(6);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  Eigen::VectorXf grad;
  const GradientCheck g = checkFeedForward(net, batch, grad, false);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
  QVERIFY(g.analyticNormChecked > 1e-3);
}

void TestGradients::l2Regularization() {
  Conf conf = netConf();
  conf.useRegularization = true;
  conf.l2 = 0.1;
  Net net(conf);
  Rng rng(7);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  Eigen::VectorXf grad, plain;
  const GradientCheck g = checkFeedForward(net, batch, grad, false);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());

  // The penalty adds l2 * W to weight gradients and 0.5 * l2 * |W|^2 to the loss; biases untouched.
  Conf off = conf;
  off.useRegularization = false;
  FeedForward withL2(net.layout, conf), without(net.layout, off);
  const float lossL2 = withL2.lossAndGradient(net.params, batch, grad, nullptr);
  const float lossPlain = without.lossAndGradient(net.params, batch, plain, nullptr);
  double squares = 0;
  for (size_t i = 0; i < net.layout.layers().size(); ++i) squares += net.layout.weights(net.params, i).squaredNorm();
  QVERIFY(std::fabs((lossL2 - lossPlain) - 0.05 * squares) < 1e-5 * (1 + squares));
  for (size_t i = 0; i < net.layout.layers().size(); ++i) {
    const Eigen::MatrixXf diff = net.layout.weights(grad, i) - net.layout.weights(plain, i);
    QVERIFY((diff - 0.1f * net.layout.weights(net.params, i)).cwiseAbs().maxCoeff() < 1e-6f);
    QCOMPARE(net.layout.bias(grad, i), net.layout.bias(plain, i));
  }
}

void TestGradients::dropoutWithFixedMasks_data() {
  QTest::addColumn<QString>("activation");
  QTest::addColumn<bool>("dropConnect");
  QTest::newRow("units sigmoid") << "sigmoid" << false;
  QTest::newRow("units tanh") << "tanh" << false;
  QTest::newRow("units softplus") << "softplus" << false;
  QTest::newRow("connections tanh") << "tanh" << true;
  QTest::newRow("connections sigmoid") << "sigmoid" << true;
}

void TestGradients::dropoutWithFixedMasks() {
  // With an rng the pass drops units (or weights); a generator reseeded identically for
  // every evaluation draws the same masks, so the masked loss is a smooth function.
  QFETCH(QString, activation);
  QFETCH(bool, dropConnect);
  Conf conf = netConf();
  conf.activation = activation.toStdString();
  conf.dropout = 0.3;
  conf.useDropConnect = dropConnect;
  Net net(conf);
  Rng rng(23);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  FeedForward ff(net.layout, conf);
  Eigen::VectorXf grad, scratch;
  Rng masks(77);
  const float masked = ff.lossAndGradient(net.params, batch, grad, &masks);
  QVERIFY(masked != ff.loss(net.params, batch));  // the masks changed the function
  auto loss = [&](const Eigen::VectorXf& p) {
    Rng same(77);
    return ff.lossAndGradient(p, batch, scratch, &same);
  };
  const GradientCheck g = checkGradient(loss, net.params, grad, 0, net.layout.size(), kChecked, 24);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
  QVERIFY(g.analyticNormChecked > 1e-3);
}

void TestGradients::outputOnlyWithoutBackProp() {
  Conf conf = netConf();
  conf.useBackProp = false;
  Net net(conf);
  Rng rng(8);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  FeedForward ff(net.layout, conf);
  Eigen::VectorXf grad;
  ff.lossAndGradient(net.params, batch, grad, nullptr);
  const LayerLayout& out = net.layout.layers()[net.layout.outputLayer()];
  QCOMPARE(grad.size(), static_cast<Eigen::Index>(net.layout.size()));
  QCOMPARE(grad.head(static_cast<Eigen::Index>(out.begin)).cwiseAbs().maxCoeff(), 0.0f);
  QVERIFY(grad.segment(static_cast<Eigen::Index>(out.begin), static_cast<Eigen::Index>(out.end - out.begin)).norm() > 1e-3f);
  auto loss = [&](const Eigen::VectorXf& p) { return ff.loss(p, batch); };
  const GradientCheck g = checkGradient(loss, net.params, grad, out.begin, out.end, kChecked, 3);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
  // The phase trains only the output layer too.
  const auto phases = planPhases(conf, net.layout);
  QCOMPARE(phases.size(), size_t(1));
  QCOMPARE(phases[0].begin, out.begin);
  QCOMPARE(phases[0].end, out.end);
}

void TestGradients::stackFinetuning_data() {
  QTest::addColumn<QString>("networkClass");
  QTest::addColumn<int>("visibleBiases");
  QTest::newRow("mlp") << "mlp" << 0;
  QTest::newRow("dbn") << "dbn" << 5 + 4;
  QTest::newRow("cdbn") << "cdbn" << 5 + 4;
  QTest::newRow("sda") << "sda" << 5 + 4;
}

void TestGradients::stackFinetuning() {
  QFETCH(QString, networkClass);
  QFETCH(int, visibleBiases);
  Conf conf = netConf(networkClass.toStdString());
  conf.activation = "sigmoid";
  Net net(conf);
  QCOMPARE(visibleBiasCount(net.layout), size_t(visibleBiases));
  // Visible biases nonzero, so a wrong gradient there would show.
  for (size_t i = 0; i < net.layout.hiddenLayerCount(); ++i)
    if (net.layout.layers()[i].shape.hasVisibleBias) net.layout.visibleBias(net.params, i).setConstant(0.3f);
  Rng rng(9);
  const Batch batch = randomBatch(kBatch, 5, 3, rng, 0.0f, 1.0f);

  const auto phases = planPhases(conf, net.layout);
  QVERIFY(!phases.empty());
  const Phase& finetune = phases.back();
  QVERIFY(finetune.kind == PhaseKind::Finetune);
  auto objective = makeObjective(conf, net.layout, finetune);
  QVERIFY(objective->hasTrueGradient());
  Eigen::VectorXf grad;
  const float stepLoss = objective->step(net.params, batch, grad, nullptr);
  QCOMPARE(stepLoss, objective->loss(net.params, batch));
  QCOMPARE(grad.size(), static_cast<Eigen::Index>(net.layout.size()));
  for (size_t i = 0; i < net.layout.hiddenLayerCount(); ++i) {
    if (!net.layout.layers()[i].shape.hasVisibleBias) continue;
    QCOMPARE(net.layout.visibleBias(grad, i).cwiseAbs().maxCoeff(), 0.0f);
  }
  auto loss = [&](const Eigen::VectorXf& p) { return objective->loss(p, batch); };
  const GradientCheck g = checkGradient(loss, net.params, grad, 0, net.layout.size(), kChecked, 11);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
  // The first layer also gets a gradient: finetuning backpropagates through the stack.
  QVERIFY(net.layout.weights(grad, 0).norm() > 1e-4f);
}

void TestGradients::lossIsTheMeanOverTheBatch() {
  // Softmax + mcxent by hand for one tiny net: loss = mean_r (logsumexp(z_r) - z_r,y).
  Conf conf = smallConf("mlp", 2, {}, 2);
  NetworkLayout layout(conf);
  QCOMPARE(layout.size(), size_t(2 * 2 + 2));
  Eigen::VectorXf p(6);
  p << 1.0f, 0.0f, 0.0f, 2.0f, 0.5f, -0.5f;  // W column-major (nIn x nOut), then bias
  Batch batch;
  batch.x.resize(2, 2);
  batch.x << 1.0f, 1.0f, -1.0f, 0.5f;
  batch.y = {0, 1};
  // z0 = (1.5, 1.5), z1 = (-0.5, 0.5)
  const double l0 = std::log(2 * std::exp(1.5)) - 1.5;
  const double l1 = std::log(std::exp(-0.5) + std::exp(0.5)) - 0.5;
  FeedForward ff(layout, conf);
  QVERIFY(std::fabs(ff.loss(p, batch) - (l0 + l1) / 2) < 1e-6);
}

void TestGradients::autoencoderDirect_data() {
  QTest::addColumn<QString>("encoder");
  QTest::addColumn<bool>("crossEntropy");
  QTest::addColumn<float>("l2");
  QTest::newRow("sigmoid xent") << "sigmoid" << true << 0.0f;
  QTest::newRow("tanh xent l2") << "tanh" << true << 0.05f;
  QTest::newRow("softplus squared") << "softplus" << false << 0.0f;
  QTest::newRow("linear squared l2") << "linear" << false << 0.05f;
}

void TestGradients::autoencoderDirect() {
  QFETCH(QString, encoder);
  QFETCH(bool, crossEntropy);
  QFETCH(float, l2);
  const int nIn = 5, nHidden = 4;
  Rng rng(21);
  Eigen::VectorXf p(nIn * nHidden + nHidden + nIn), g(p.size());
  for (Eigen::Index i = 0; i < p.size(); ++i) p[i] = rng.uniform() - 0.5f;
  const Batch batch = randomBatch(kBatch, nIn, 2, rng, 0.0f, 1.0f);
  DenoisingAutoencoder da(parseChoice<Activation>("activation", encoder.toStdString()), crossEntropy, 0.5f, l2);
  auto run = [&](const Eigen::VectorXf& q, Eigen::VectorXf& grad) {
    return da.lossAndGradient(Eigen::Map<const Eigen::MatrixXf>(q.data(), nIn, nHidden),
                              Eigen::Map<const Eigen::VectorXf>(q.data() + nIn * nHidden, nHidden),
                              Eigen::Map<const Eigen::VectorXf>(q.data() + nIn * nHidden + nHidden, nIn), batch.x,
                              Eigen::Map<Eigen::MatrixXf>(grad.data(), nIn, nHidden),
                              Eigen::Map<Eigen::VectorXf>(grad.data() + nIn * nHidden, nHidden),
                              Eigen::Map<Eigen::VectorXf>(grad.data() + nIn * nHidden + nHidden, nIn), nullptr);
  };
  // Without an rng there is no corruption, even with corruption 0.5: the loss is deterministic.
  const float first = run(p, g);
  Eigen::VectorXf scratch(p.size());
  QCOMPARE(run(p, scratch), first);
  auto loss = [&](const Eigen::VectorXf& q) { return run(q, scratch); };
  const GradientCheck check = checkGradient(loss, p, g, 0, static_cast<size_t>(p.size()), kChecked, 4);
  QVERIFY2(check.worstRelative < kTolerance, describe(check).c_str());
  QVERIFY(check.analyticNormChecked > 1e-2);
}

void TestGradients::autoencoderThroughObjective() {
  Conf conf = smallConf("da", 5, {}, 4);
  conf.corruptionLevel = 0.0;
  conf.activation = "sigmoid";
  NetworkLayout layout(conf);
  const auto phases = planPhases(conf, layout);
  QCOMPARE(phases.size(), size_t(1));
  QVERIFY(phases[0].kind == PhaseKind::Pretrain);
  auto objective = makeObjective(conf, layout, phases[0]);
  QVERIFY(objective->hasTrueGradient());
  Rng rng(12);
  Eigen::VectorXf params = layout.initialParameters(conf, rng);
  layout.visibleBias(params, 0).setConstant(-0.2f);
  layout.bias(params, 0).setConstant(0.1f);
  const Batch batch = randomBatch(kBatch, 5, 2, rng, 0.0f, 1.0f);
  Eigen::VectorXf grad;
  const float stepLoss = objective->step(params, batch, grad, nullptr);
  QCOMPARE(grad.size(), static_cast<Eigen::Index>(layout.size()));

  // step() returns the DA's own loss (reconstruction cross-entropy), which is what its
  // gradient differentiates; loss() reports the squared reconstruction error instead.
  DenoisingAutoencoder da(Activation::Sigmoid, true, 0.0f, 0.0f);
  Eigen::VectorXf direct = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(layout.size()));
  const Eigen::VectorXf& cp = params;
  const float daLoss = da.lossAndGradient(layout.weights(cp, 0), layout.bias(cp, 0), layout.visibleBias(cp, 0),
                                          batch.x, layout.weights(direct, 0), layout.bias(direct, 0),
                                          layout.visibleBias(direct, 0), nullptr);
  QCOMPARE(stepLoss, daLoss);
  QVERIFY(bitIdentical(grad, direct));

  Eigen::MatrixXf y = (batch.x * layout.weights(params, 0)).rowwise() + layout.bias(params, 0).transpose();
  applyActivation(Activation::Sigmoid, y);
  Eigen::MatrixXf z = (y * layout.weights(params, 0).transpose()).rowwise() + layout.visibleBias(params, 0).transpose();
  applyActivation(Activation::Sigmoid, z);
  const double recon = (z - batch.x).squaredNorm() / kBatch;
  QVERIFY(std::fabs(objective->loss(params, batch) - recon) < 1e-5 * (1 + recon));

  Eigen::VectorXf scratch;
  auto loss = [&](const Eigen::VectorXf& p) { return objective->step(p, batch, scratch, nullptr); };
  const GradientCheck g = checkGradient(loss, params, grad, 0, layout.size(), kChecked, 13);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
}

void TestGradients::autoencoderSecondLayerOfStack() {
  // Pretraining layer 1 of an sda sees layer 0's encodings and only trains layer 1.
  Conf conf = netConf("sda");
  conf.corruptionLevel = 0.0;
  conf.activation = "sigmoid";
  NetworkLayout layout(conf);
  const auto phases = planPhases(conf, layout);
  QCOMPARE(phases.size(), size_t(3));
  QCOMPARE(phases[1].layer, size_t(1));
  auto objective = makeObjective(conf, layout, phases[1]);
  Rng rng(14);
  Eigen::VectorXf params = layout.initialParameters(conf, rng);
  const Batch batch = randomBatch(kBatch, 5, 3, rng, 0.0f, 1.0f);
  Eigen::VectorXf grad;
  objective->step(params, batch, grad, nullptr);
  const LayerLayout& l1 = layout.layers()[1];
  QCOMPARE(grad.head(static_cast<Eigen::Index>(l1.begin)).cwiseAbs().maxCoeff(), 0.0f);
  QCOMPARE(grad.tail(static_cast<Eigen::Index>(layout.size() - l1.end)).cwiseAbs().maxCoeff(), 0.0f);
  Eigen::VectorXf scratch;
  auto loss = [&](const Eigen::VectorXf& p) { return objective->step(p, batch, scratch, nullptr); };
  const GradientCheck g = checkGradient(loss, params, grad, l1.begin, l1.end, kChecked, 15);
  QVERIFY2(g.worstRelative < kTolerance, describe(g).c_str());
}

void TestGradients::conjugateGradientLowersLossMonotonically() {
  Conf conf = netConf();
  conf.optimizationAlgorithm = "conjugateGradient";
  conf.finetuneLearningRate = 0.1;
  Net net(conf);
  const auto phases = planPhases(conf, net.layout);
  auto objective = makeObjective(conf, net.layout, phases.back());
  Optimizer optimizer(conf, phases.back());
  OptimizerState state;
  state.reset(phases.back().size(), false);
  Rng rng(16);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  const float initial = objective->loss(net.params, batch);
  float previous = initial;
  for (int call = 0; call < 5; ++call) {
    const float before = optimizer.minibatch(*objective, net.params, state, batch, rng);
    QCOMPARE(before, previous);  // each call reports the loss it started from
    const float after = objective->loss(net.params, batch);
    QVERIFY2(after < before, qPrintable(QString("call %1: %2 -> %3").arg(call).arg(before).arg(after)));
    previous = after;
  }
  QVERIFY2(previous < 0.5f * initial, qPrintable(QString("%1 -> %2").arg(initial).arg(previous)));
  QVERIFY(state.lastStep > 0.0f);
  QVERIFY(net.params.allFinite());
}

void TestGradients::sgdGradientIsDescentDirection() {
  Conf conf = netConf();
  Net net(conf);
  auto objective = makeObjective(conf, net.layout, planPhases(conf, net.layout).back());
  Rng rng(18);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  Eigen::VectorXf grad;
  const float loss = objective->step(net.params, batch, grad, nullptr);
  const double g2 = grad.squaredNorm();
  QVERIFY(g2 > 1e-4);
  // L(p - t g) = L(p) - t |g|^2 + O(t^2): the decrease matches the first-order prediction.
  const float t = 1e-2f;
  const Eigen::VectorXf moved = net.params - t * grad;
  const double decrease = loss - objective->loss(moved, batch);
  QVERIFY(decrease > 0);
  QVERIFY2(std::fabs(decrease / (t * g2) - 1.0) < 0.1, qPrintable(QString("ratio %1").arg(decrease / (t * g2))));
}

void TestGradients::sgdStepIsLearningRateTimesGradient() {
  Conf conf = netConf();
  conf.momentum = 0.0;
  conf.finetuneLearningRate = 0.05;
  Net net(conf);
  const Phase phase = planPhases(conf, net.layout).back();
  auto objective = makeObjective(conf, net.layout, phase);
  Optimizer optimizer(conf, phase);
  OptimizerState state;
  state.reset(phase.size(), false);
  Rng rng(19);
  const Batch batch = randomBatch(kBatch, 5, 3, rng);
  Eigen::VectorXf grad;
  const float loss = objective->step(net.params, batch, grad, nullptr);
  const Eigen::VectorXf before = net.params;
  Rng unused(1);
  QCOMPARE(optimizer.minibatch(*objective, net.params, state, batch, unused), loss);
  QVERIFY(((net.params - before) + 0.05f * grad).cwiseAbs().maxCoeff() < 1e-7f);
  QVERIFY(objective->loss(net.params, batch) < loss);
  // With momentum 0 the velocity is exactly the last step.
  QVERIFY((state.velocity - (net.params - before)).cwiseAbs().maxCoeff() < 1e-7f);
}

QTEST_APPLESS_MAIN(TestGradients)
#include "test_gradients.moc"
