// TrainingRun (core/run): the run the CLI and the GUI both start. Its folder, the shape
// taken from the data, a resume, a run without a folder, and the cluster service's life.
#include <filesystem>

#include <QTemporaryDir>
#include <QtTest>

#include "config/conf_io.h"
#include "fixtures/iris_conf.h"
#include "io/model_file.h"
#include "run/training_run.h"
#include "util/error.h"

using namespace scaleout;
namespace fs = std::filesystem;

namespace {
Conf evaluatedIrisConf(int epochs) {
  Conf c = fixtures::smallIrisConf(epochs);
  c.evalEvery = 1;  // an evaluation per epoch, so a best model is kept
  return c;
}
}  // namespace

class TestTrainingRun : public QObject {
  Q_OBJECT
 private slots:
  void writesTheRunFolder();
  void missingDataLeavesNoFolder();
  void shapeNotGivenComesFromTheData();
  void withoutAFolderWritesNothing();
  void resumesFromACheckpoint();
  void clusterServiceLivesForTheRun();
};

void TestTrainingRun::writesTheRunFolder() {
  QTemporaryDir tmp;
  const fs::path dir = fs::path(tmp.path().toStdString()) / "run";
  RunOptions options;
  options.directory = dir.string();
  options.given = GivenShape{true, true};
  TrainingRun run(evaluatedIrisConf(3), options);
  // Only the data's own notes: the conf gave the shape, so nothing was taken from the data.
  const size_t notes = run.prepare().size();
  QCOMPARE(notes, run.data().notes.size());
  QVERIFY(fs::exists(dir / "conf.json"));
  QVERIFY(fs::exists(dir / "metrics.csv"));
  const RunSummary summary = run.run();
  QVERIFY2(summary.completed, summary.error.c_str());
  QVERIFY(!fs::exists(dir / "model.bin"));  // only saveModels() writes the models
  run.saveModels();
  QCOMPARE(QString::fromStdString(run.pathOf("model.bin")), QString::fromStdString((dir / "model.bin").string()));
  const ModelFile model = readModelFile(run.pathOf("model.bin"));
  QVERIFY(model.params.isApprox(run.trainer().parameters(), 0.0f));
  QVERIFY(fs::exists(dir / "best-model.bin"));
  QVERIFY(summary.bestAccuracy >= 0);
  // The metrics file has a row per minibatch and the evaluations.
  QFile metrics(QString::fromStdString((dir / "metrics.csv").string()));
  QVERIFY(metrics.open(QIODevice::ReadOnly));
  const QString text = QString::fromUtf8(metrics.readAll());
  QVERIFY(text.count('\n') > static_cast<int>(summary.iterations));
  QVERIFY(text.contains("evaluation"));
  // rounds.csv: every trained sample is in one worker's row of one round.
  QFile rounds(QString::fromStdString((dir / "rounds.csv").string()));
  QVERIFY(rounds.open(QIODevice::ReadOnly));
  const QStringList rows = QString::fromUtf8(rounds.readAll()).split('\n', Qt::SkipEmptyParts);
  QVERIFY(rows.size() > 1);
  QVERIFY(rows.first().startsWith("round,phase,epoch,iteration,round_seconds"));
  long long samples = 0;
  for (qsizetype i = 1; i < rows.size(); ++i) samples += rows[i].split(',').value(10).toLongLong();
  QCOMPARE(samples, static_cast<long long>(run.data().train.size()) * 3);  // 3 epochs
}

void TestTrainingRun::missingDataLeavesNoFolder() {
  QTemporaryDir tmp;
  const fs::path dir = fs::path(tmp.path().toStdString()) / "run";
  Conf conf = evaluatedIrisConf(1);
  conf.trainData = (fs::path(tmp.path().toStdString()) / "no-such.csv").string();
  RunOptions options;
  options.directory = dir.string();
  options.given = GivenShape{true, true};
  TrainingRun run(conf, options);
  QVERIFY_THROWS_EXCEPTION(ScaleoutError, run.prepare());
  QVERIFY(!fs::exists(dir));
  QVERIFY_THROWS_EXCEPTION(ScaleoutError, run.trainer());
}

void TestTrainingRun::shapeNotGivenComesFromTheData() {
  QTemporaryDir tmp;
  const fs::path dir = fs::path(tmp.path().toStdString()) / "run";
  Conf conf = evaluatedIrisConf(1);
  conf.nIn = 784;  // the defaults, as a conf that leaves the shape out parses
  conf.nOut = 10;
  RunOptions options;
  options.directory = dir.string();  // given: neither
  TrainingRun run(conf, options);
  const std::vector<std::string> notes = run.prepare();
  QCOMPARE(notes.size(), run.data().notes.size() + 2);  // one per knob taken
  QCOMPARE(run.conf().nIn, 4);
  QCOMPARE(run.conf().nOut, 3);
  // conf.json trains the same network again.
  std::vector<ConfIssue> issues;
  const Conf saved = loadConfFile((dir / "conf.json").string(), issues);
  QVERIFY(issues.empty());
  QCOMPARE(saved.nIn, 4);
  QCOMPARE(saved.nOut, 3);
  // A given shape that does not fit is refused, naming the knob.
  RunOptions fixed;
  fixed.given = GivenShape{true, true};
  TrainingRun wrong(conf, fixed);
  try {
    wrong.prepare();
    QFAIL("a 784-input conf trained on 4-feature data");
  } catch (const ScaleoutError& e) {
    QVERIFY2(QString(e.what()).contains("nIn"), e.what());
  }
}

void TestTrainingRun::withoutAFolderWritesNothing() {
  QTemporaryDir tmp;
  const fs::path before = fs::current_path();
  fs::current_path(tmp.path().toStdString());  // anything written relative would land here
  RunOptions options;
  options.given = GivenShape{true, true};
  {
    TrainingRun run(evaluatedIrisConf(2), options);
    run.prepare();
    QVERIFY(run.run().completed);
    run.saveModels();
    QCOMPARE(QString::fromStdString(run.pathOf("model.bin")), QString());
  }
  const bool empty = fs::is_empty(tmp.path().toStdString());
  fs::current_path(before);
  QVERIFY(empty);
}

void TestTrainingRun::resumesFromACheckpoint() {
  QTemporaryDir tmp;
  const fs::path first = fs::path(tmp.path().toStdString()) / "first";
  Conf conf = evaluatedIrisConf(2);
  conf.checkpointEveryEpochs = 1;
  RunOptions options;
  options.directory = first.string();
  options.given = GivenShape{true, true};
  long long firstIterations = 0;
  {
    TrainingRun run(conf, options);
    run.prepare();
    const RunSummary s = run.run();
    QVERIFY(s.completed);
    firstIterations = s.iterations;
  }
  QVERIFY(fs::exists(first / "checkpoint.bin"));
  conf.finetuneEpochs = 4;
  RunOptions resumed = options;
  resumed.directory = (fs::path(tmp.path().toStdString()) / "second").string();
  resumed.resume = readModelFile((first / "checkpoint.bin").string());
  TrainingRun run(conf, resumed);
  run.prepare();
  const RunSummary s = run.run();
  QVERIFY2(s.completed, s.error.c_str());
  // Two more epochs of the same size continue the count.
  QCOMPARE(s.iterations, 2 * firstIterations);
}

void TestTrainingRun::clusterServiceLivesForTheRun() {
  RunOptions options;
  options.given = GivenShape{true, true};
  cluster::MasterServiceOptions co;
  co.bind = "tcp://127.0.0.1:*";
  co.security.insecure = true;  // no keys of the user's touched
  options.cluster = co;
  Conf conf = evaluatedIrisConf(2);
  conf.zooKeeperSessionTimeoutSeconds = 4;
  TrainingRun run(conf, options);
  QVERIFY(run.cluster() == nullptr);
  run.prepare();
  QVERIFY(run.cluster() != nullptr);
  QVERIFY(QString::fromStdString(run.cluster()->endpoint()).startsWith("tcp://127.0.0.1:"));
  QVERIFY(run.run().completed);
  QVERIFY(run.cluster() == nullptr);  // stopped with the run: remote workers go back to waiting
}

QTEST_GUILESS_MAIN(TestTrainingRun)
#include "test_training_run.moc"
