// MetricsWriter: the CSV a run leaves behind, row by row per event, its quoting, and that
// evaluation, epoch and steering rows reach the disk while the run still holds the file.
// RoundsWriter: one row per worker per round, flushed at each epoch's end.
#include <string>

#include <QFile>
#include <QStringList>
#include <QTemporaryDir>
#include <QtTest>

#include "train/metrics_writer.h"
#include "train/rounds_writer.h"
#include "util/error.h"

using namespace scaleout;

namespace {

const QString kHeader = "iteration,epoch,phase,worker,loss,test_accuracy,event";

// What is on disk now (read by a second handle, as a crash would leave it), one entry per line.
QStringList linesOnDisk(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

IterationInfo iteration(long long n, int epoch, const std::string& phase, float loss, int worker) {
  IterationInfo it;
  it.iteration = n;
  it.epoch = epoch;
  it.phase = phase;
  it.loss = loss;
  it.worker = worker;
  return it;
}

}  // namespace

class TestMetricsWriter : public QObject {
  Q_OBJECT

 private slots:
  void init() { QVERIFY(dir_.isValid()); path_ = dir_.filePath("metrics.csv"); }

  // Losses print with 6 significant digits: 1/3 as "0.333333".
  void headerAndIterationRows() {
    {
      MetricsWriter w(path_.toStdString());
      w.onIteration(iteration(1, 1, "finetune", 0.25f, 0));
      w.onIteration(iteration(2, 1, "finetune", 1.0f / 3.0f, 1));
    }
    QCOMPARE(linesOnDisk(path_), QStringList({kHeader, "1,1,finetune,0,0.25,,", "2,1,finetune,1,0.333333,,"}));
  }

  // Accuracy only with classification; reconstruction errors go into the event column.
  void evaluationRows() {
    {
      MetricsWriter w(path_.toStdString());
      EvalReport pre;
      pre.phase = "pretrain layer 0";
      pre.epoch = 1;
      pre.iteration = 12;
      pre.accuracy = 0.9;  // ignored: no classification yet
      pre.reconstructionErrors = {0.5f};
      w.onEvaluation(pre);
      EvalReport fine;
      fine.phase = "finetune";
      fine.epoch = 2;
      fine.iteration = 30;
      fine.accuracy = 0.875;
      fine.hasClassification = true;
      fine.reconstructionErrors = {0.5f, 0.125f};
      w.onEvaluation(fine);
    }
    QCOMPARE(linesOnDisk(path_), QStringList({kHeader, "12,1,pretrain layer 0,,,,evaluation recon0=0.5",
                                              "30,2,finetune,,,0.875,evaluation recon0=0.5 recon1=0.125"}));
  }

  // Steering, messages and checkpoints carry the epoch and phase of the last iteration.
  void epochSteeringMessageAndCheckpointRows() {
    {
      MetricsWriter w(path_.toStdString());
      w.onEpochFinished({"finetune", 2, 1, 20, 0.5f, 1.5});
      w.onIteration(iteration(21, 2, "finetune", 0.75f, 0));
      w.onSteering({22, "finetuneLearningRate", "0.1", "0.05"});
      w.onMessage("worker joined");
      w.onCheckpoint("/runs/a.ckpt", 25);
    }
    QCOMPARE(linesOnDisk(path_), QStringList({kHeader, "20,1,finetune,,0.5,,epoch end", "21,2,finetune,0,0.75,,",
                                              "22,2,finetune,,,,steer finetuneLearningRate 0.1 -> 0.05",
                                              "21,2,finetune,,,,worker joined", "25,2,finetune,,,,checkpoint /runs/a.ckpt"}));
  }

  // RFC 4180: a comma or quote puts the field in quotes, quotes double; a line break (LF
  // or a bare CR, which some readers also take as one) would split the row: a space.
  void quotesPhasesAndEvents() {
    {
      MetricsWriter w(path_.toStdString());
      w.onIteration(iteration(1, 1, "pretrain, layer 0", 0.5f, 0));
      w.onMessage("say \"hi\"");
      w.onMessage("two\nlines");
      w.onMessage("carriage\rreturn");
      w.onCheckpoint("/runs/a,b.ckpt", 3);
    }
    QCOMPARE(linesOnDisk(path_),
             QStringList({kHeader, "1,1,\"pretrain, layer 0\",0,0.5,,", "1,1,\"pretrain, layer 0\",,,,\"say \"\"hi\"\"\"",
                          "1,1,\"pretrain, layer 0\",,,,\"two lines\"", "1,1,\"pretrain, layer 0\",,,,\"carriage return\"",
                          "3,1,\"pretrain, layer 0\",,,,\"checkpoint /runs/a,b.ckpt\""}));
  }

  // The writer stays open: what the file shows now is what a crash would keep. A few short
  // rows sit in the stream's buffer until a flush, so each check needs the writer's flush.
  void everyRowButAMinibatchsIsFlushed() {
    MetricsWriter w(path_.toStdString());
    w.onIteration(iteration(5, 1, "finetune", 0.5f, 0));
    EvalReport r;
    r.phase = "finetune";
    r.epoch = 1;
    r.iteration = 5;
    r.accuracy = 0.5;
    r.hasClassification = true;
    w.onEvaluation(r);
    QCOMPARE(linesOnDisk(path_).size(), 3);
    QCOMPARE(linesOnDisk(path_).last(), QString("5,1,finetune,,,0.5,evaluation"));
    w.onEpochFinished({"finetune", 0, 1, 6, 0.25f, 1.0});
    QCOMPARE(linesOnDisk(path_).last(), QString("6,1,finetune,,0.25,,epoch end"));
    w.onSteering({7, "threads", "2", "1"});
    QCOMPARE(linesOnDisk(path_).last(), QString("7,1,finetune,,,,steer threads 2 -> 1"));
    w.onMessage("worker local-1 joined");
    QCOMPARE(linesOnDisk(path_).last(), QString("5,1,finetune,,,,worker local-1 joined"));
    w.onCheckpoint("/runs/c.ckpt", 8);
    QCOMPARE(linesOnDisk(path_).last(), QString("8,1,finetune,,,,checkpoint /runs/c.ckpt"));
  }

  // An existing file is replaced, not appended to; an unwritable path names itself.
  void truncatesAndReportsUnwritablePath() {
    QFile old(path_);
    QVERIFY(old.open(QIODevice::WriteOnly));
    old.write("stale,row\n");
    old.close();
    { MetricsWriter w(path_.toStdString()); }
    QCOMPARE(linesOnDisk(path_), QStringList({kHeader}));
    const std::string bad = dir_.filePath("missing/metrics.csv").toStdString();
    try {
      MetricsWriter w(bad);
      QFAIL("no error for a path in a missing folder");
    } catch (const ScaleoutError& e) {
      QVERIFY2(std::string(e.what()).find(bad) != std::string::npos, e.what());
    }
  }

  // A row per worker of the round, the round's columns repeated; a worker that missed the
  // deadline says arrived 0; a remote id with a comma is quoted. On disk at the epoch's end.
  void roundsRowsPerWorkerFlushedPerEpoch() {
    const QString rounds = dir_.filePath("rounds.csv");
    RoundsWriter w(rounds.toStdString());
    RoundInfo r;
    r.phase = "finetune";
    r.epoch = 2;
    r.round = 7;
    r.iteration = 70;
    r.seconds = 0.25;
    r.averagingSeconds = 0.0125;
    WorkerRoundInfo local;
    local.worker = 0;
    local.id = "local-0";
    local.taskRound = 7;
    local.samples = 500;
    local.computeSeconds = 0.2;
    local.waitSeconds = 0.01;
    WorkerRoundInfo remote;
    remote.worker = 1;
    remote.id = "host,b:42";
    remote.taskRound = 6;
    remote.arrived = false;
    r.workers = {local, remote};
    w.onRound(r);
    w.onEpochFinished(EpochInfo{"finetune", 0, 2, 70, 0.5f, 1.0});
    QCOMPARE(linesOnDisk(rounds),
             QStringList({"round,phase,epoch,iteration,round_seconds,averaging_seconds,worker,id,task_round,arrived,samples,"
                          "compute_seconds,wait_seconds",
                          "7,finetune,2,70,0.2500,0.0125,0,local-0,7,1,500,0.2000,0.0100",
                          "7,finetune,2,70,0.2500,0.0125,1,\"host,b:42\",6,0,0,0.0000,0.0000"}));
  }

 private:
  QTemporaryDir dir_;
  QString path_;
};

QTEST_GUILESS_MAIN(TestMetricsWriter)
#include "test_metrics_writer.moc"
