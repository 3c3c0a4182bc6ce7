// The optimiser on its own (core/train/optimizer.h), against an objective whose gradient
// the test chooses: the momentum step by hand, rates confined to their ranges, AdaGrad,
// a non-finite loss, conjugate gradient, and the one-pass momentum step giving exactly the
// bits of the two Eigen statements it replaced.
#include <cmath>
#include <cstring>
#include <limits>

#include <QtTest>

#include "train/optimizer.h"
#include "util/rng.h"

using namespace scaleout;

namespace {

// A fixed gradient, or with `target` the exact gradient of 0.5 |p - target|^2.
class ChosenObjective : public Objective {
 public:
  Eigen::VectorXf gradient;
  Eigen::VectorXf target;
  float reportedLoss = 1.0f;
  int steps = 0;
  float step(const Eigen::VectorXf& params, const Batch& batch, Eigen::VectorXf& grad, Rng*) override {
    ++steps;
    grad = target.size() ? Eigen::VectorXf(params - target) : gradient;
    return target.size() ? loss(params, batch) : reportedLoss;
  }
  float loss(const Eigen::VectorXf& params, const Batch&) override {
    return target.size() ? 0.5f * (params - target).squaredNorm() : reportedLoss;
  }
  bool hasTrueGradient() const override { return target.size() > 0; }
};

Phase wholePhase(size_t n, float rate) {
  Phase p;
  p.begin = 0;
  p.end = n;
  p.rates = {{0, n, rate}};
  p.epochs = 1;
  return p;
}

Conf sgdConf(double momentum) {
  Conf c;
  c.momentum = momentum;
  return c;
}

}  // namespace

class TestOptimizer : public QObject {
  Q_OBJECT
 private slots:
  void momentumStepByHand();
  void ratesStayWithinTheirRanges();
  void adaGradDividesByTheGradientHistory();
  void nonFiniteLossChangesNothing();
  void conjugateGradientLowersAQuadratic();
  void onePassStepHasTheBitsOfTheTwoStatements();
};

void TestOptimizer::momentumStepByHand() {
  const float mu = 0.5f, lr = 0.1f;
  Optimizer opt(sgdConf(mu), wholePhase(3, lr));
  ChosenObjective obj;
  obj.gradient = Eigen::Vector3f(1.0f, -2.0f, 4.0f);
  obj.reportedLoss = 0.75f;
  Eigen::VectorXf p = Eigen::Vector3f(1.0f, 1.0f, 1.0f);
  OptimizerState state;
  state.reset(3, false);
  Rng rng(1);
  QCOMPARE(opt.minibatch(obj, p, state, Batch{}, rng), 0.75f);
  // v = -lr g = (-0.1, 0.2, -0.4); p = (0.9, 1.2, 0.6)
  QCOMPARE(state.velocity[1], 0.2f);
  QCOMPARE(p[0], 0.9f);
  QCOMPARE(p[2], 0.6f);
  opt.minibatch(obj, p, state, Batch{}, rng);
  // v = mu v - lr g = (-0.05 - 0.1, 0.1 + 0.2, -0.2 - 0.4); p += v
  QVERIFY(std::abs(state.velocity[0] - -0.15f) < 1e-7f);
  QVERIFY(std::abs(state.velocity[2] - -0.6f) < 1e-7f);
  QVERIFY(std::abs(p[1] - 1.5f) < 1e-6f);
  QVERIFY(std::abs(p[2] - 0.0f) < 1e-6f);
}

void TestOptimizer::ratesStayWithinTheirRanges() {
  // A phase over [2, 8) of 10 parameters, two layers at their own rates; the velocity
  // holds the phase's range only (index 0 is parameter 2).
  Phase phase;
  phase.begin = 2;
  phase.end = 8;
  phase.rates = {{2, 5, 0.1f}, {5, 8, 0.01f}};
  Optimizer opt(sgdConf(0.9), phase);
  ChosenObjective obj;
  obj.gradient = Eigen::VectorXf::Ones(10);
  Eigen::VectorXf p = Eigen::VectorXf::Zero(10);
  OptimizerState state;
  state.reset(6, false);
  Rng rng(1);
  opt.minibatch(obj, p, state, Batch{}, rng);
  for (int i : {0, 1, 8, 9}) QCOMPARE(p[i], 0.0f);  // outside the phase: untouched
  for (int i = 2; i < 5; ++i) QCOMPARE(p[i], -0.1f);
  for (int i = 5; i < 8; ++i) QCOMPARE(p[i], -0.01f);
  QCOMPARE(state.velocity[0], -0.1f);
  QCOMPARE(state.velocity[5], -0.01f);
}

void TestOptimizer::adaGradDividesByTheGradientHistory() {
  Conf conf = sgdConf(0.0);
  conf.useAdaGrad = true;
  Optimizer opt(conf, wholePhase(2, 0.5f));
  ChosenObjective obj;
  obj.gradient = Eigen::Vector2f(2.0f, -4.0f);
  Eigen::VectorXf p = Eigen::Vector2f::Zero();
  OptimizerState state;
  state.reset(2, true);
  Rng rng(1);
  opt.minibatch(obj, p, state, Batch{}, rng);
  // h = g^2; step = -lr g / (|g| + eps): -0.5 sign(g), whatever the gradient's size.
  QCOMPARE(state.adagrad[0], 4.0f);
  QCOMPARE(state.adagrad[1], 16.0f);
  QVERIFY(std::abs(p[0] - -0.5f) < 1e-6f);
  QVERIFY(std::abs(p[1] - 0.5f) < 1e-6f);
  opt.minibatch(obj, p, state, Batch{}, rng);
  // h = 2 g^2: the second step is smaller by sqrt(2).
  QVERIFY(std::abs(p[0] - (-0.5f - 0.5f / std::sqrt(2.0f))) < 1e-6f);
}

void TestOptimizer::nonFiniteLossChangesNothing() {
  Optimizer opt(sgdConf(0.9), wholePhase(2, 0.1f));
  ChosenObjective obj;
  obj.gradient = Eigen::Vector2f(1.0f, 1.0f);
  obj.reportedLoss = std::numeric_limits<float>::quiet_NaN();
  Eigen::VectorXf p = Eigen::Vector2f(3.0f, 4.0f);
  OptimizerState state;
  state.reset(2, false);
  state.velocity = Eigen::Vector2f(0.25f, 0.5f);
  Rng rng(1);
  QVERIFY(std::isnan(opt.minibatch(obj, p, state, Batch{}, rng)));
  QCOMPARE(p[0], 3.0f);  // the caller reports the divergence; the last parameters stay
  QCOMPARE(state.velocity[1], 0.5f);
}

void TestOptimizer::conjugateGradientLowersAQuadratic() {
  Conf conf = sgdConf(0.0);
  conf.optimizationAlgorithm = "conjugateGradient";
  Optimizer opt(conf, wholePhase(4, 0.1f));
  ChosenObjective obj;
  obj.target = Eigen::Vector4f(1.0f, -2.0f, 3.0f, 0.5f);
  Eigen::VectorXf p = Eigen::Vector4f::Zero();
  OptimizerState state;
  state.reset(4, false);
  Rng rng(1);
  const float before = obj.loss(p, Batch{});
  opt.minibatch(obj, p, state, Batch{}, rng);
  const float after = obj.loss(p, Batch{});
  QVERIFY2(after < 0.5f * before, qPrintable(QString("loss %1 -> %2").arg(before).arg(after)));
  QVERIFY(obj.steps >= 1);
}

void TestOptimizer::onePassStepHasTheBitsOfTheTwoStatements() {
  const Eigen::Index n = 100003;  // not a multiple of any SIMD width
  Rng rng(5);
  Eigen::VectorXf g(n), v(n), p(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    g[i] = rng.normal() * std::pow(10.0f, float(i % 5) - 2.0f);
    v[i] = rng.normal() * 1e-3f;
    p[i] = rng.normal();
  }
  const float mu = 0.9f, lr = 0.0137f;
  // What the optimiser computed before it fused the pass.
  Eigen::VectorXf vExpected = mu * v - lr * g;
  Eigen::VectorXf pExpected = p + vExpected;
  Optimizer opt(sgdConf(mu), wholePhase(static_cast<size_t>(n), lr));
  ChosenObjective obj;
  obj.gradient = g;
  OptimizerState state;
  state.velocity = v;
  Rng unused(1);
  opt.minibatch(obj, p, state, Batch{}, unused);
  QVERIFY(std::memcmp(state.velocity.data(), vExpected.data(), sizeof(float) * static_cast<size_t>(n)) == 0);
  QVERIFY(std::memcmp(p.data(), pExpected.data(), sizeof(float) * static_cast<size_t>(n)) == 0);
}

QTEST_GUILESS_MAIN(TestOptimizer)
#include "test_optimizer.moc"
