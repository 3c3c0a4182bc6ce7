// The Trainer end to end on small generated data: determinism, learning, every network
// class, resume from a checkpoint equal to an uninterrupted run, divergence reporting,
// and the evaluation metrics on a case computed by hand.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QtTest>

#include "fixtures/engine_fixtures.h"
#include "io/model_file.h"
#include "train/evaluation.h"
#include "train/objective.h"
#include "train/trainer.h"
#include "util/thread_priority.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

constexpr int kFeatures = 20;
constexpr int kClasses = 3;
constexpr size_t kTrainRows = 500;
constexpr int kBatchSize = 20;
constexpr long long kBatchesPerEpoch = (kTrainRows + kBatchSize - 1) / kBatchSize;

// 600 samples of 3 noisy clusters in [0,1]^20: 500 to train, 100 to test.
const TrainTestData& clusterData() {
  static const TrainTestData data = split(clusters(600, kFeatures, kClasses, 0.3f, 2024), kTrainRows);
  return data;
}

Conf trainerConf(const std::string& networkClass) {
  const bool single = networkClass == "rbm" || networkClass == "crbm" || networkClass == "da";
  Conf conf = smallConf(networkClass, kFeatures, single ? std::vector<int>{} : std::vector<int>{12, 8}, single ? 8 : kClasses);
  conf.batchSize = kBatchSize;
  conf.averagingFrequency = 3;
  conf.activation = "sigmoid";
  conf.pretrainEpochs = 2;
  conf.pretrainLearningRate = 0.05;
  conf.finetuneEpochs = 3;
  conf.finetuneLearningRate = 0.1;
  conf.evalEvery = 1;
  conf.seed = 7;
  return conf;
}

struct Recorder : TrainingObserver {
  std::vector<PhaseInfo> phases;
  std::vector<std::string> events;  // "phase <label>" and "epoch <label> <n>", in order
  long long iterations = 0;
  bool iterationOutsidePhase = false;
  std::vector<EvalReport> evaluations;
  std::vector<long long> checkpointIterations;
  std::function<void(const std::string&, long long)> checkpointHook;
  int finished = 0;

  void onPhaseStarted(const PhaseInfo& p) override {
    phases.push_back(p);
    events.push_back("phase " + p.label);
  }
  void onIteration(const IterationInfo& it) override {
    ++iterations;
    if (phases.empty() || it.phase != phases.back().label) iterationOutsidePhase = true;
  }
  void onEpochFinished(const EpochInfo& e) override { events.push_back("epoch " + e.phase + " " + std::to_string(e.epoch)); }
  void onEvaluation(const EvalReport& r) override { evaluations.push_back(r); }
  void onCheckpoint(const std::string& path, long long iteration) override {
    checkpointIterations.push_back(iteration);
    if (checkpointHook) checkpointHook(path, iteration);
  }
  void onFinished(const RunSummary&) override { ++finished; }
};

struct Run {
  RunSummary summary;
  Eigen::VectorXf params;
};

Run runOnce(const Conf& conf, const TrainTestData& data = clusterData(), Recorder* recorder = nullptr) {
  Trainer trainer(conf, data);
  if (recorder) trainer.addObserver(recorder);
  Run r;
  r.summary = trainer.run();
  r.params = trainer.parameters();
  return r;
}

Eigen::VectorXf initialParams(const Conf& conf) {
  NetworkLayout layout(conf);
  Rng rng(static_cast<uint64_t>(conf.seed));
  return layout.initialParameters(conf, rng);
}

QString describeRun(const RunSummary& s) {
  return QString("completed %1, error '%2', iterations %3").arg(s.completed).arg(QString::fromStdString(s.error)).arg(s.iterations);
}

}  // namespace

class TestTrainer : public QObject {
  Q_OBJECT

 private slots:
  void sameSeedIsBitIdentical_data();
  void sameSeedIsBitIdentical();
  void differentSeedDiffers();
  void mlpLearnsSeparableData();
  void phaseReportsTheRateItTrainsAt();
  void networkRunsEndToEnd_data();
  void networkRunsEndToEnd();
  void resumeEqualsUninterrupted_data();
  void resumeEqualsUninterrupted();
  void divergenceIsReported();
  void evaluationMatchesHandCount();
  void bestModelIsKept();
  void evaluationOfClassNeverSeen();
  void evaluationOfSingleLayerIsReconstruction();
  void evaluationOnThreadsIsIdentical();
  void finalEvaluationMatchesTrainedModel();
  void lanesRunBelowTheProcessPriority();
};

void TestTrainer::sameSeedIsBitIdentical_data() {
  QTest::addColumn<QString>("networkClass");
  QTest::addColumn<int>("threads");
  QTest::newRow("mlp 1 thread") << "mlp" << 1;
  QTest::newRow("mlp 2 threads") << "mlp" << 2;
  QTest::newRow("dbn 1 thread") << "dbn" << 1;
  QTest::newRow("sda 2 threads") << "sda" << 2;
}

void TestTrainer::sameSeedIsBitIdentical() {
  QFETCH(QString, networkClass);
  QFETCH(int, threads);
  Conf conf = trainerConf(networkClass.toStdString());
  conf.threads = threads;
  conf.dropout = networkClass == "mlp" ? 0.2 : 0.0;  // random masks come from the seed too
  const Run a = runOnce(conf);
  const Run b = runOnce(conf);
  QVERIFY2(a.summary.completed, qPrintable(describeRun(a.summary)));
  QVERIFY(bitIdentical(a.params, b.params));
  QCOMPARE(a.summary.iterations, b.summary.iterations);
  QCOMPARE(a.summary.finalEvaluation.accuracy, b.summary.finalEvaluation.accuracy);
  QVERIFY(!bitIdentical(a.params, initialParams(conf)));  // it did train
}

void TestTrainer::differentSeedDiffers() {
  Conf conf = trainerConf("mlp");
  const Run a = runOnce(conf);
  conf.seed = 8;
  const Run b = runOnce(conf);
  QVERIFY(a.summary.completed && b.summary.completed);
  QCOMPARE(a.params.size(), b.params.size());
  QVERIFY((a.params - b.params).cwiseAbs().maxCoeff() > 1e-3f);
}

void TestTrainer::mlpLearnsSeparableData() {
  Conf conf = trainerConf("mlp");
  conf.layerSizes = {16};
  conf.activation = "relu";
  conf.finetuneEpochs = 10;
  const EvalReport before = evaluate(conf, NetworkLayout(conf), initialParams(conf), clusterData().test);
  Recorder recorder;
  const Run r = runOnce(conf, clusterData(), &recorder);
  QVERIFY2(r.summary.completed, qPrintable(describeRun(r.summary)));
  QVERIFY(r.summary.finalEvaluation.hasClassification);
  QCOMPARE(r.summary.finalEvaluation.samples, size_t(100));
  QVERIFY2(r.summary.finalEvaluation.accuracy > 0.9, qPrintable(QString::number(r.summary.finalEvaluation.accuracy)));
  QVERIFY2(before.accuracy < 0.7, qPrintable(QString::number(before.accuracy)));
  QVERIFY(r.summary.finalEvaluation.logLoss < before.logLoss);
  // One evaluation per epoch (evalEvery = 1), the last equal to the final one.
  QCOMPARE(recorder.evaluations.size(), size_t(10));
  QCOMPARE(recorder.evaluations.back().accuracy, r.summary.finalEvaluation.accuracy);
  QCOMPARE(recorder.evaluations.back().epoch, 10);
  QCOMPARE(r.summary.iterations, 10 * kBatchesPerEpoch);
  QCOMPARE(recorder.finished, 1);
}

// With learningRateByLayer the phase's rate is its first trained layer's, not the knob's:
// a frozen first layer (rate 0) leaves the second's. (Steering scales that rate.)
void TestTrainer::phaseReportsTheRateItTrainsAt() {
  Conf conf = trainerConf("mlp");
  conf.finetuneEpochs = 1;
  conf.learningRateByLayer = {0.0, 0.03};
  Recorder recorder;
  const Run r = runOnce(conf, clusterData(), &recorder);
  QVERIFY2(r.summary.completed, qPrintable(describeRun(r.summary)));
  QCOMPARE(recorder.phases.size(), size_t(1));
  QCOMPARE(recorder.phases[0].learningRate, 0.03f);
}

void TestTrainer::networkRunsEndToEnd_data() {
  QTest::addColumn<QString>("networkClass");
  QTest::addColumn<QStringList>("phases");
  const QStringList stack{"pretrain layer 0", "pretrain layer 1", "finetune"};
  QTest::newRow("dbn") << "dbn" << stack;
  QTest::newRow("cdbn") << "cdbn" << stack;
  QTest::newRow("sda") << "sda" << stack;
  QTest::newRow("rbm") << "rbm" << QStringList{"pretrain layer 0"};
  QTest::newRow("crbm") << "crbm" << QStringList{"pretrain layer 0"};
  QTest::newRow("da") << "da" << QStringList{"pretrain layer 0"};
}

void TestTrainer::networkRunsEndToEnd() {
  QFETCH(QString, networkClass);
  QFETCH(QStringList, phases);
  const Conf conf = trainerConf(networkClass.toStdString());
  const NetworkLayout layout(conf);
  const EvalReport before = evaluate(conf, layout, initialParams(conf), clusterData().test);
  Recorder recorder;
  const Run r = runOnce(conf, clusterData(), &recorder);
  QVERIFY2(r.summary.completed, qPrintable(describeRun(r.summary)));
  QVERIFY(!r.summary.cancelled);
  QVERIFY(r.params.allFinite());

  // Phases in order, each announced before its iterations and epochs.
  QCOMPARE(recorder.phases.size(), static_cast<size_t>(phases.size()));
  std::vector<std::string> expectedEvents;
  int totalEpochs = 0;
  for (qsizetype i = 0; i < phases.size(); ++i) {
    const PhaseInfo& p = recorder.phases[static_cast<size_t>(i)];
    QCOMPARE(QString::fromStdString(p.label), phases[i]);
    QCOMPARE(p.index, static_cast<size_t>(i));
    QCOMPARE(p.count, static_cast<size_t>(phases.size()));
    const bool pretraining = phases[i].startsWith("pretrain");
    QCOMPARE(p.pretraining, pretraining);
    QCOMPARE(p.epochs, pretraining ? conf.pretrainEpochs : conf.finetuneEpochs);
    QCOMPARE(p.learningRate, static_cast<float>(pretraining ? conf.pretrainLearningRate : conf.finetuneLearningRate));
    if (pretraining) QCOMPARE(p.layer, static_cast<size_t>(i));
    expectedEvents.push_back("phase " + p.label);
    for (int e = 1; e <= p.epochs; ++e) expectedEvents.push_back("epoch " + p.label + " " + std::to_string(e));
    totalEpochs += p.epochs;
  }
  QCOMPARE(recorder.events, expectedEvents);
  QVERIFY(!recorder.iterationOutsidePhase);
  QCOMPARE(r.summary.iterations, totalEpochs * kBatchesPerEpoch);
  QCOMPARE(recorder.iterations, r.summary.iterations);

  // Every pretrained layer reports a reconstruction error; the first layer's fell.
  const size_t hidden = layout.hiddenLayerCount();
  QCOMPARE(r.summary.reconstructionErrors.size(), hidden);
  QCOMPARE(before.reconstructionErrors.size(), hidden);
  for (float e : r.summary.reconstructionErrors) QVERIFY(std::isfinite(e) && e >= 0.0f);
  QVERIFY2(r.summary.reconstructionErrors[0] < 0.8f * before.reconstructionErrors[0],
           qPrintable(QString("%1 -> %2").arg(before.reconstructionErrors[0]).arg(r.summary.reconstructionErrors[0])));

  if (layout.isStack()) {
    QVERIFY(r.summary.finalEvaluation.hasClassification);
    QVERIFY2(r.summary.finalEvaluation.accuracy > 0.8, qPrintable(QString::number(r.summary.finalEvaluation.accuracy)));
    // During pretraining the output layer is untrained: no accuracy is claimed.
    for (const EvalReport& e : recorder.evaluations)
      QCOMPARE(e.hasClassification, e.phase == "finetune");
  } else {
    QVERIFY(!r.summary.finalEvaluation.hasClassification);
  }
}

void TestTrainer::resumeEqualsUninterrupted_data() {
  QTest::addColumn<QString>("networkClass");
  QTest::addColumn<int>("copyCheckpoint");  // which checkpoint (1-based) to resume from
  QTest::addColumn<bool>("adaGrad");
  QTest::addColumn<double>("outerMomentum");  // > 0: two threads, and the outer velocity must travel too
  // mlp, finetuneEpochs 4: checkpoint 2 is written after epoch 2.
  QTest::newRow("mlp after epoch 2") << "mlp" << 2 << false << 0.0;
  QTest::newRow("mlp adagrad after epoch 2") << "mlp" << 2 << true << 0.0;
  QTest::newRow("mlp outer momentum after epoch 2") << "mlp" << 2 << false << 0.5;
  // dbn, pretrainEpochs 2: checkpoint 2 ends pretraining of layer 0, 3 is inside layer 1.
  QTest::newRow("dbn at a phase boundary") << "dbn" << 2 << false << 0.0;
  QTest::newRow("dbn inside pretraining") << "dbn" << 3 << false << 0.0;
  QTest::newRow("dbn inside finetuning") << "dbn" << 6 << false << 0.0;
  QTest::newRow("dbn outer momentum inside finetuning") << "dbn" << 6 << false << 0.5;
}

void TestTrainer::resumeEqualsUninterrupted() {
  QFETCH(QString, networkClass);
  QFETCH(int, copyCheckpoint);
  QFETCH(bool, adaGrad);
  QFETCH(double, outerMomentum);
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const std::string checkpoint = dir.filePath("run.ckpt").toStdString();
  const std::string copy = dir.filePath("copy.ckpt").toStdString();

  Conf conf = trainerConf(networkClass.toStdString());
  conf.finetuneEpochs = 4;
  conf.checkpointEveryEpochs = 1;
  conf.useAdaGrad = adaGrad;
  conf.momentum = 0.9;  // velocity must travel in the checkpoint
  if (outerMomentum > 0) {
    conf.threads = 2;  // the outer step needs two results per round
    conf.outerMomentum = outerMomentum;
    conf.outerLearningRate = 0.7;
  }

  Recorder recorderA;
  int calls = 0;
  recorderA.checkpointHook = [&](const std::string& path, long long) {
    if (++calls == copyCheckpoint) std::filesystem::copy_file(path, copy);
  };
  TrainerOptions options;
  options.checkpointPath = checkpoint;
  Trainer a(conf, clusterData(), options);
  a.addObserver(&recorderA);
  const RunSummary summaryA = a.run();
  QVERIFY2(summaryA.completed, qPrintable(describeRun(summaryA)));
  QVERIFY(std::filesystem::exists(copy));
  const int totalEpochs = (networkClass == "mlp" ? 0 : 2 * conf.pretrainEpochs) + conf.finetuneEpochs;
  QCOMPARE(static_cast<int>(recorderA.checkpointIterations.size()), totalEpochs);

  const ModelFile saved = readModelFile(copy);
  QVERIFY(saved.state.has_value());
  QCOMPARE(saved.state->iteration, recorderA.checkpointIterations[static_cast<size_t>(copyCheckpoint - 1)]);
  if (adaGrad) QCOMPARE(saved.state->optimizer.adagrad.size(), saved.state->optimizer.velocity.size());
  // The outer velocity is in the checkpoint exactly when the outer optimizer runs.
  QCOMPARE(saved.state->outerVelocity.size() > 0, outerMomentum > 0);
  if (outerMomentum > 0) {
    QCOMPARE(saved.state->outerVelocity.size(), saved.state->optimizer.velocity.size());
    // ... and it changes the run: the same conf without it ends elsewhere.
    Conf plain = conf;
    plain.outerMomentum = 0;
    plain.outerLearningRate = 1;
    Trainer c(plain, clusterData());
    QVERIFY(c.run().completed);
    QVERIFY(!bitIdentical(c.parameters(), a.parameters()));
  }
  QVERIFY(!bitIdentical(saved.params, a.parameters()));

  Recorder recorderB;
  Trainer b(conf, clusterData());
  b.addObserver(&recorderB);
  b.resumeFrom(saved);
  QVERIFY(bitIdentical(b.parameters(), saved.params));
  const RunSummary summaryB = b.run();
  QVERIFY2(summaryB.completed, qPrintable(describeRun(summaryB)));
  QVERIFY(bitIdentical(b.parameters(), a.parameters()));
  QCOMPARE(summaryB.iterations, summaryA.iterations);
  QCOMPARE(summaryB.finalEvaluation.accuracy, summaryA.finalEvaluation.accuracy);
  // B trains only what was left: its iterations are those after the checkpoint.
  QCOMPARE(recorderB.iterations, summaryA.iterations - saved.state->iteration);
}

void TestTrainer::divergenceIsReported() {
  // Linear hidden units, inputs around 1e3 and the largest allowed rate: the loss blows up.
  DataSet all = clusters(600, kFeatures, kClasses, 0.3f, 99);
  all.features *= 1000.0f;
  const TrainTestData data = split(all, kTrainRows);
  Conf conf = trainerConf("mlp");
  conf.activation = "linear";
  conf.finetuneLearningRate = 10;
  conf.finetuneEpochs = 5;
  Recorder recorder;
  Trainer trainer(conf, data);
  trainer.addObserver(&recorder);
  const RunSummary s = trainer.run();
  QVERIFY(!s.completed);
  QVERIFY(!s.cancelled);
  for (const char* fragment : {"diverged", "finetuneLearningRate", "epoch", "iteration", "finetune"})
    QVERIFY2(s.error.find(fragment) != std::string::npos, qPrintable(QString("'%1' missing from: %2").arg(fragment).arg(QString::fromStdString(s.error))));
  QVERIFY2(trainer.parameters().allFinite(), "the kept parameters are not finite");
  QCOMPARE(recorder.finished, 1);
  QVERIFY(s.iterations < conf.finetuneEpochs * kBatchesPerEpoch);
  // The message names the iteration at which it happened: within the round after the
  // last one that was averaged (a round is averagingFrequency minibatches).
  const QRegularExpressionMatch m = QRegularExpression("iteration (\\d+)").match(QString::fromStdString(s.error));
  QVERIFY2(m.hasMatch(), s.error.c_str());
  const long long at = m.captured(1).toLongLong();
  QVERIFY2(at > s.iterations && at <= s.iterations + conf.averagingFrequency, s.error.c_str());
}

void TestTrainer::evaluationMatchesHandCount() {
  // A 3-3 softmax net with W = 10 I: a one-hot input e_k is predicted as class k with
  // probability e^10 / (e^10 + 2). Ten samples with chosen predictions and labels:
  //   actual 0 -> predicted 0,0,0,1,2   actual 1 -> 1,1   actual 2 -> 2,0,1
  Conf conf = smallConf("mlp", 3, {}, 3);
  const NetworkLayout layout(conf);
  QCOMPARE(layout.size(), size_t(12));
  Eigen::VectorXf params = Eigen::VectorXf::Zero(12);
  layout.weights(params, 0) = 10.0f * Eigen::MatrixXf::Identity(3, 3);
  const std::vector<int> predicted{0, 0, 0, 1, 2, 1, 1, 2, 0, 1};
  const std::vector<int> actual{0, 0, 0, 0, 0, 1, 1, 2, 2, 2};
  DataSet data;
  data.features = RowMatrix::Zero(10, 3);
  for (int i = 0; i < 10; ++i) data.features(i, predicted[static_cast<size_t>(i)]) = 1.0f;
  data.labels = actual;
  data.numClasses = 3;

  const EvalReport r = evaluate(conf, layout, params, data);
  QVERIFY(r.hasClassification);
  QCOMPARE(r.samples, size_t(10));
  QCOMPARE(r.classes, 3);
  const std::vector<std::vector<long long>> confusion{{3, 1, 1}, {0, 2, 0}, {1, 1, 1}};
  QCOMPARE(r.confusion, confusion);
  QCOMPARE(r.accuracy, 0.6);
  // precision = tp / column sum, recall = tp / row sum, F1 = 2pr / (p + r).
  const std::vector<double> precision{3.0 / 4, 2.0 / 4, 1.0 / 2}, recall{3.0 / 5, 2.0 / 2, 1.0 / 3};
  const std::vector<double> f1{2.0 / 3, 2.0 / 3, 0.4};
  for (size_t c = 0; c < 3; ++c) {
    QVERIFY(std::fabs(r.precision[c] - precision[c]) < 1e-12);
    QVERIFY(std::fabs(r.recall[c] - recall[c]) < 1e-12);
    QVERIFY(std::fabs(r.f1[c] - f1[c]) < 1e-12);
  }
  QVERIFY(std::fabs(r.macroF1 - (2.0 / 3 + 2.0 / 3 + 0.4) / 3) < 1e-12);
  const double logLoss = (6 * std::log1p(2 * std::exp(-10.0)) + 4 * std::log(std::exp(10.0) + 2)) / 10;
  QVERIFY2(std::fabs(r.logLoss - logLoss) < 1e-4, qPrintable(QString("%1 vs %2").arg(r.logLoss).arg(logLoss)));
  const std::string text = r.format();
  QVERIFY2(text.find("accuracy 0.6000") != std::string::npos, text.c_str());
  QVERIFY2(text.find("macro-F1 0.5778") != std::string::npos, text.c_str());
  QVERIFY2(text.find("     3     1     1") != std::string::npos, text.c_str());
}

void TestTrainer::evaluationOfClassNeverSeen() {
  // Class 2 is neither present nor predicted: its precision, recall and F1 are 0, not NaN.
  Conf conf = smallConf("mlp", 3, {}, 3);
  const NetworkLayout layout(conf);
  Eigen::VectorXf params = Eigen::VectorXf::Zero(12);
  layout.weights(params, 0) = 10.0f * Eigen::MatrixXf::Identity(3, 3);
  DataSet data;
  data.features = RowMatrix::Zero(4, 3);
  data.features(0, 0) = data.features(1, 0) = data.features(2, 1) = data.features(3, 0) = 1.0f;
  data.labels = {0, 0, 1, 1};
  data.numClasses = 3;
  const EvalReport r = evaluate(conf, layout, params, data);
  QCOMPARE(r.accuracy, 0.75);
  QCOMPARE(r.precision, (std::vector<double>{2.0 / 3, 1.0, 0.0}));
  QCOMPARE(r.recall, (std::vector<double>{1.0, 0.5, 0.0}));
  QCOMPARE(r.f1[2], 0.0);
  QVERIFY(std::fabs(r.f1[0] - 0.8) < 1e-12);
  QVERIFY(std::fabs(r.f1[1] - 2.0 / 3) < 1e-12);
}

void TestTrainer::evaluationOnThreadsIsIdentical() {
  // 3500 rows: four chunks of 1000 rows (the last one short), shared among 1, 2 and 3 threads.
  const Conf conf = trainerConf("mlp");
  const NetworkLayout layout(conf);
  const Eigen::VectorXf params = initialParams(conf);
  const DataSet data = clusters(3500, kFeatures, kClasses, 0.3f, 99);
  const EvalReport one = evaluate(conf, layout, params, data, 2000, 1);
  QVERIFY(one.accuracy > 0 && one.logLoss > 0);
  for (int threads : {2, 3, 8}) {
    const EvalReport many = evaluate(conf, layout, params, data, 2000, threads);
    QCOMPARE(many.confusion, one.confusion);
    QCOMPARE(many.accuracy, one.accuracy);
    QCOMPARE(many.logLoss, one.logLoss);  // same probabilities, summed in the same order
  }
  const Eigen::MatrixXf p1 = predictProbabilities(conf, layout, params, data.features, 1);
  const Eigen::MatrixXf p3 = predictProbabilities(conf, layout, params, data.features, 3);
  QVERIFY(p1.rows() == 3500 && p1.cwiseEqual(p3).all());
}

void TestTrainer::finalEvaluationMatchesTrainedModel() {
  // The final evaluation reuses the last epoch's when nothing changed since, and equals a
  // fresh evaluation of the trained parameters.
  Conf conf = trainerConf("mlp");
  conf.threads = 2;
  Trainer trainer(conf, clusterData());
  std::vector<EvalReport> reports;
  struct Spy : TrainingObserver {
    std::vector<EvalReport>* out;
    void onEvaluation(const EvalReport& r) override { out->push_back(r); }
  } spy;
  spy.out = &reports;
  trainer.addObserver(&spy);
  const RunSummary s = trainer.run();
  QVERIFY2(s.completed, qPrintable(describeRun(s)));
  QVERIFY(!reports.empty());
  const EvalReport fresh = evaluate(conf, NetworkLayout(conf), trainer.parameters(), clusterData().test);
  QCOMPARE(s.finalEvaluation.confusion, fresh.confusion);
  QCOMPARE(s.finalEvaluation.logLoss, fresh.logLoss);
  QCOMPARE(s.finalEvaluation.confusion, reports.back().confusion);
  QCOMPARE(s.finalEvaluation.iteration, reports.back().iteration);
  QCOMPARE(QString::fromStdString(s.finalEvaluation.phase), QString("final"));
}

void TestTrainer::evaluationOfSingleLayerIsReconstruction() {
  const Conf conf = trainerConf("rbm");
  const NetworkLayout layout(conf);
  const Eigen::VectorXf params = initialParams(conf);
  const DataSet& test = clusterData().test;
  const EvalReport r = evaluate(conf, layout, params, test, 50);
  QVERIFY(!r.hasClassification);
  QCOMPARE(r.reconstructionErrors.size(), size_t(1));
  const Eigen::MatrixXf first50 = test.features.topRows(50);
  QCOMPARE(r.reconstructionErrors[0], layerReconstructionError(conf, layout, params, 0, first50));
}

// The best finetuning evaluation's parameters are kept beside the last ones: with a rate
// high enough to make test accuracy wander, best and last differ, and the kept model
// really scores the reported best accuracy.
void TestTrainer::bestModelIsKept() {
  Conf conf = trainerConf("mlp");
  conf.layerSizes = {16};
  conf.finetuneEpochs = 8;
  conf.finetuneLearningRate = 2.0;  // noisy on purpose
  conf.momentum = 0.9;
  Trainer trainer(conf, clusterData());
  Recorder recorder;
  trainer.addObserver(&recorder);
  const RunSummary summary = trainer.run();
  QVERIFY2(summary.completed, qPrintable(describeRun(summary)));
  QCOMPARE(recorder.evaluations.size(), size_t(8));
  double best = -1;
  int bestEpoch = 0;
  for (const EvalReport& r : recorder.evaluations)
    if (r.accuracy > best) {
      best = r.accuracy;
      bestEpoch = r.epoch;
    }
  QCOMPARE(summary.bestAccuracy, best);
  QCOMPARE(summary.bestEpoch, bestEpoch);
  const std::optional<ModelFile> kept = trainer.bestModel();
  QVERIFY(kept.has_value());
  const EvalReport again = evaluate(conf, NetworkLayout(conf), kept->params, clusterData().test);
  QCOMPARE(again.accuracy, best);
  if (bestEpoch != conf.finetuneEpochs) QVERIFY(kept->params != trainer.parameters());

  // Nothing to keep before a finetuning evaluation.
  Trainer single(trainerConf("rbm"), clusterData());
  single.run();
  QVERIFY(!single.bestModel().has_value());
}

// Nice values of this process's threads (Linux: /proc/self/task/TID/stat, field 19).
static std::vector<int> threadNiceValues() {
  std::vector<int> nice;
  const QStringList tids = QDir("/proc/self/task").entryList(QDir::Dirs | QDir::NoDotAndDotDot);
  for (const QString& tid : tids) {
    QFile stat("/proc/self/task/" + tid + "/stat");
    if (!stat.open(QIODevice::ReadOnly)) continue;
    const QString line = QString::fromLatin1(stat.readAll());
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const QStringList fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    if (fields.size() > 16) nice.push_back(fields[16].toInt());  // field 19 overall
  }
  return nice;
}

// Training lanes run kLaneNiceSteps below the process, so the threads that move parameters
// (and the GUI) never wait behind them for a scheduler slice; the trainer's own thread
// stays where it was. Looked at while the lanes exist: at each epoch's end.
void TestTrainer::lanesRunBelowTheProcessPriority() {
  struct NiceProbe : TrainingObserver {
    std::vector<std::vector<int>> seen;
    void onEpochFinished(const EpochInfo&) override { seen.push_back(threadNiceValues()); }
  };
  const int base = getpriority(PRIO_PROCESS, 0);  // this thread's, on Linux
  Conf conf = trainerConf("mlp");
  conf.threads = 2;
  NiceProbe probe;
  Trainer trainer(conf, clusterData());
  trainer.addObserver(&probe);
  const RunSummary summary = trainer.run();
  QVERIFY2(summary.completed, summary.error.c_str());
  QVERIFY(!probe.seen.empty());
  const int lane = std::min(19, base + kLaneNiceSteps);
  for (const std::vector<int>& nice : probe.seen) {
    QCOMPARE(std::count(nice.begin(), nice.end(), lane), 2L);  // the two lanes
    QVERIFY(std::count(nice.begin(), nice.end(), base) >= 1);   // this thread, the trainer's
  }
  QCOMPARE(getpriority(PRIO_PROCESS, 0), base);  // the process itself is left alone
}

QTEST_APPLESS_MAIN(TestTrainer)
#include "test_trainer.moc"
