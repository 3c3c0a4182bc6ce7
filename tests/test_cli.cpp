// The `scaleout` executable end to end: version, help, knobs, check, train, eval,
// predict, resume and error exits, run as a child process (SCALEOUT_BINARY).
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "config/conf_io.h"
#include "config/knob_registry.h"
#include "data/data_source.h"
#include "fixtures/iris_conf.h"
#include "io/model_file.h"
#include "train/trainer.h"

using namespace scaleout;

namespace {

struct Run {
  int exitCode = -1;
  QString out, err;
};

QString irisCsv() { return fixtures::resourcePath("data/iris.csv"); }
QString irisConf() { return fixtures::resourcePath("confs/iris-mlp.json"); }
QString referenceMlpConf() { return fixtures::resourcePath("confs/reference-mlp.json"); }

std::vector<std::string> readLines(const QString& path) {
  std::ifstream in(path.toStdString());
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// The accuracy on the first "accuracy X" line of a report, or -1.
double accuracyIn(const QString& text, const QString& after = {}) {
  const qsizetype from = after.isEmpty() ? 0 : text.indexOf(after);
  if (from < 0) return -1;
  static const QRegularExpression re(QStringLiteral("(?:^|\\n)accuracy (\\d\\.\\d{4})"));
  const auto m = re.match(text, from);
  return m.hasMatch() ? m.captured(1).toDouble() : -1;
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void version();
  void help();
  void unknownCommand();
  void knobsListsEveryKnobWithDefault();
  void knobsJsonParses();
  void checkGoodConf();
  void checkDefaultsWithoutData();
  void checkWarnsThatNothingWillBeTrained();
  void checkBadConfNamesAllThree();
  void checkUnknownOverride();
  void checkMissingConfFile();
  void checkNInMismatch();
  void trainIris();
  void checkTakesShapeFromCsv();
  void checkKeepsGivenShape();
  void trainNamedClassesThroughEvalAndPredict();
  void evalModel();
  void evalOnOtherData();
  void predictWritesEveryRow();
  void predictNeedsData();
  void resumeFinishedCheckpoint();
  void resumeFinishedRunWithMoreEpochs();
  void resumeWithAdaGradStartsItsStateFromZero();
  void resumeRefusesKnobsThatCannotChange();
  void resumeMidRunCheckpointMatchesUninterrupted();
  void resumeFromModelIsRefused();
  void ctrlCWritesCheckpointAtTheStopPoint();
  void ctrlCAndResumeOnFashionMnistWithTwoThreads();

 private:
  Run scaleout(const QStringList& args, int timeoutMs = 25000);
  QString path(const QString& name) const { return dir_.filePath(name); }
  QString writeNamedIris();  // iris.csv as UCI ships it: no header, species names
  QString writeConf(const QString& name, const QByteArray& json);
  // Starts `scaleout train ARGS`, sends SIGINT once it reports an iteration, and checks the
  // stop: exit 130, the stop point named, its checkpoint holding that iteration.
  struct Interrupted {
    long long stoppedAt = 0;
    QString checkpoint;
    ModelFile model;
  };
  bool interrupt(const QStringList& args, Interrupted& result);

  QString binary_;
  QTemporaryDir dir_;
  QString trainOut_;  // stdout of trainIris
};

Run TestCli::scaleout(const QStringList& args, int timeoutMs) {
  QProcess process;
  process.setWorkingDirectory(dir_.path());  // a stray default --out lands in the temp dir
  process.start(binary_, args);
  Run run;
  if (!process.waitForStarted(10000)) {
    run.err = "could not start " + binary_;
    return run;
  }
  if (!process.waitForFinished(timeoutMs)) {
    process.kill();
    process.waitForFinished(2000);
    run.err = "timed out: scaleout " + args.join(' ');
    return run;
  }
  run.out = QString::fromUtf8(process.readAllStandardOutput());
  run.err = QString::fromUtf8(process.readAllStandardError());
  run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -2;
  return run;
}

void TestCli::initTestCase() {
  binary_ = QString::fromLocal8Bit(qgetenv("SCALEOUT_BINARY"));
  QVERIFY2(!binary_.isEmpty(), "SCALEOUT_BINARY is not set");
  QVERIFY2(QFile::exists(binary_), qPrintable(binary_));
  QVERIFY2(QFile::exists(irisCsv()), qPrintable(irisCsv()));
  QVERIFY(dir_.isValid());
}

void TestCli::version() {
  for (const char* flag : {"--version", "-v"}) {
    const Run r = scaleout({flag});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QString("scaleout " SCALEOUT_VERSION "\n"));
    QVERIFY(QRegularExpression("^scaleout \\d+\\.\\d+\\.\\d+\\n$").match(r.out).hasMatch());
    QVERIFY(r.err.isEmpty());
  }
}

void TestCli::help() {
  for (const char* flag : {"--help", "-h", "help"}) {
    const Run r = scaleout({flag});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("Usage: scaleout <command> [options]"), qPrintable(r.out));
    QVERIFY(r.out.contains("Scaleout Studio " SCALEOUT_VERSION));
    for (const char* command : {"knobs", "check", "train", "eval", "predict"})
      QVERIFY2(r.out.contains(QString("\n  %1 ").arg(command)), command);
  }
  // Each command has its own --help.
  const Run r = scaleout({"train", "--help"});
  QCOMPARE(r.exitCode, 0);
  QVERIFY2(r.out.contains("--resume"), qPrintable(r.out));
  QVERIFY(r.out.contains("--set"));
}

void TestCli::unknownCommand() {
  const Run r = scaleout({"frobnicate"});
  QVERIFY(r.exitCode != 0);
  QCOMPARE(r.exitCode, 2);
  QCOMPARE(r.err, QString("error: unknown command 'frobnicate'; run `scaleout --help`\n"));
}

void TestCli::knobsListsEveryKnobWithDefault() {
  const Run r = scaleout({"knobs"});
  QCOMPARE(r.exitCode, 0);
  const std::string out = r.out.toStdString();
  size_t last = 0;
  for (const auto& spec : knobRegistry()) {
    // "  name (kind, phase[, steerable])\n      label: Label\n      default: value\n      allowed: ...\n"
    const std::string block = "\n  " + spec.name + " (" + knobKindName(spec.kind) + ", " + knobPhaseName(spec.phase) +
                              (spec.steerable ? ", steerable" : "") + ")\n      label: " + spec.label + "\n      default: " + knobValueText(spec.defaultValue) +
                              "\n      allowed: " + describeAllowed(spec) + "\n      " + spec.help + "\n";
    const size_t at = out.find(block);
    QVERIFY2(at != std::string::npos, block.c_str());
    QVERIFY2(at >= last, spec.name.c_str());  // registry order
    last = at;
  }
  QVERIFY(r.out.contains("\n[Network]\n"));
  QVERIFY(r.out.contains("\n[Run]\n"));
  QVERIFY(r.out.contains("  layerSizes (int list, pretrain+finetune)\n      label: Hidden layer sizes\n      default: 256,128\n"));
  QVERIFY(r.out.contains("  networkClass (choice, pretrain+finetune)\n      label: Network type\n      default: mlp\n"));
  QVERIFY(r.out.contains("  l2 (real, pretrain+finetune)\n      label: L2 coefficient\n      default: 0.0001\n"));
  QVERIFY(r.out.contains("  averagingFrequency (int, run, steerable)\n"));
}

void TestCli::knobsJsonParses() {
  const Run r = scaleout({"knobs", "--json"});
  QCOMPARE(r.exitCode, 0);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(r.out.toStdString());
  } catch (const nlohmann::json::exception& e) {
    QFAIL(e.what());
  }
  QVERIFY(doc.is_array());
  const auto& registry = knobRegistry();
  QCOMPARE(doc.size(), registry.size());
  for (size_t i = 0; i < registry.size(); ++i) {
    const auto& item = doc[i];
    QCOMPARE(item.at("name").get<std::string>(), registry[i].name);
    QCOMPARE(item.at("label").get<std::string>(), registry[i].label);
    QVERIFY2(item.at("default") == registry[i].defaultValue, registry[i].name.c_str());
    QCOMPARE(item.at("type").get<std::string>(), std::string(knobKindName(registry[i].kind)));
    QCOMPARE(item.at("allowed").get<std::string>(), describeAllowed(registry[i]));
    QCOMPARE(item.at("group").get<std::string>(), registry[i].group);
    QCOMPARE(item.at("phase").get<std::string>(), std::string(knobPhaseName(registry[i].phase)));
    QCOMPARE(item.at("steerable").get<bool>(), registry[i].steerable);
    QCOMPARE(item.at("help").get<std::string>(), registry[i].help);
  }
  QCOMPARE(doc[0].at("default").get<std::string>(), std::string("mlp"));
}

void TestCli::checkGoodConf() {
  // The data sits beside the conf and is named relatively.
  QDir(dir_.path()).mkpath("good");
  QVERIFY(QFile::copy(irisCsv(), path("good/iris.csv")));
  QFile conf(path("good/conf.json"));
  QVERIFY(conf.open(QIODevice::WriteOnly));
  conf.write(R"({"nIn": 4, "nOut": 3, "layerSizes": [16], "activation": "tanh", "dataset": "csv",
                 "trainData": "iris.csv", "testFraction": 0.2})");
  conf.close();
  const Run r = scaleout({"check", path("good/conf.json")});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  QVERIFY2(r.out.contains("conf: ok\n"), qPrintable(r.out));
  QVERIFY2(r.out.contains("network: mlp 4-16(tanh)-3(softmax)\n"), qPrintable(r.out));
  QVERIFY(r.out.contains("parameters: 131\n"));  // 4*16+16 + 16*3+3
  QVERIFY(r.out.contains("train samples: 120\n"));
  QVERIFY(r.out.contains("test samples: 30\n"));
  QVERIFY(r.out.contains("features: 4\n"));
  QVERIFY(r.out.contains("classes: 3\n"));
  QVERIFY(r.out.contains("data: " + QDir(path("good")).absoluteFilePath("iris.csv")));
  QVERIFY(r.err.isEmpty());

  // --set applies on top of the file.
  const Run wider = scaleout({"check", path("good/conf.json"), "--set", "layerSizes=32,8", "--no-data"});
  QCOMPARE(wider.exitCode, 0);
  QVERIFY2(wider.out.contains("parameters: 451\n"), qPrintable(wider.out));  // 4*32+32 + 32*8+8 + 8*3+3
}

void TestCli::checkDefaultsWithoutData() {
  const Run r = scaleout({"check", "--no-data"});
  QCOMPARE(r.exitCode, 0);
  // 784-256-128-10: 784*256+256 + 256*128+128 + 128*10+10.
  QVERIFY2(r.out.contains("parameters: 235146\n"), qPrintable(r.out));
  QVERIFY(!r.out.contains("train samples"));
}

// finetuneEpochs=0 is a valid conf that trains nothing: check says so (#16).
void TestCli::checkWarnsThatNothingWillBeTrained() {
  const Run r = scaleout({"check", "--no-data", "--set", "finetuneEpochs=0"});
  QCOMPARE(r.exitCode, 0);
  QVERIFY2(r.out.contains("warning: finetuneEpochs is 0 and nothing is pretrained: the run will train nothing\n"), qPrintable(r.out));
  const Run ok = scaleout({"check", "--no-data"});
  QVERIFY2(!ok.out.contains("warning:"), qPrintable(ok.out));
}

void TestCli::checkBadConfNamesAllThree() {
  QFile conf(path("bad.json"));
  QVERIFY(conf.open(QIODevice::WriteOnly));
  conf.write(R"({"nIn": "four", "batchSize": 0, "activaton": "tanh", "nOut": 3})");
  conf.close();
  const Run r = scaleout({"check", path("bad.json")});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("3 problems in the conf " + path("bad.json")), qPrintable(r.err));
  QVERIFY2(r.err.contains("knob 'nIn': value four is not an integer; allowed: an integer in [1, 10000000]"),
           qPrintable(r.err));
  QVERIFY2(r.err.contains("knob 'batchSize': value 0 is outside [1, 1000000]"), qPrintable(r.err));
  QVERIFY2(r.err.contains("knob 'activaton' is not a known knob; allowed: did you mean 'activation'?"),
           qPrintable(r.err));
  QCOMPARE(r.err.count("\n  - "), 3);
  QVERIFY(!r.out.contains("conf: ok"));
}

void TestCli::checkUnknownOverride() {
  const Run r = scaleout({"check", "--no-data", "--set", "nosuch=1"});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("knob 'nosuch' is not a known knob"), qPrintable(r.err));
  const Run bad = scaleout({"check", "--no-data", "--set", "k=abc", "--set", "noequals"});
  QCOMPARE(bad.exitCode, 1);
  QVERIFY2(bad.err.contains("2 problems"), qPrintable(bad.err));
  QVERIFY(bad.err.contains("knob 'k': value abc cannot be read as int"));
  QVERIFY(bad.err.contains("noequals is not of the form name=value"));
}

void TestCli::checkMissingConfFile() {
  const QString missing = path("no-such-dir/missing.json");
  const Run r = scaleout({"check", missing});
  QVERIFY(r.exitCode != 0);
  QVERIFY2(r.err.contains(missing), qPrintable(r.err));
  QVERIFY2(r.err.contains("cannot be opened (no such file)"), qPrintable(r.err));
  const Run train = scaleout({"train", missing, "--out", path("never")});
  QVERIFY(train.exitCode != 0);
  QVERIFY(train.err.contains(missing));
  QVERIFY(!QFile::exists(path("never")));
  // A conf whose data file is missing: refused before the run folder exists.
  const Run noData = scaleout({"train", irisConf(), "--set", "trainData=" + path("no-such.csv"), "--out", path("never2")});
  QVERIFY(noData.exitCode != 0);
  QVERIFY2(noData.err.contains("no-such.csv"), qPrintable(noData.err));
  QVERIFY(!QFile::exists(path("never2")));
}

void TestCli::checkNInMismatch() {
  const Run r = scaleout({"check", irisConf(), "--set", "nIn=5"});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("knob 'nIn' is 5 but the data has 4 features; set --set nIn=4"), qPrintable(r.err));
}

void TestCli::trainIris() {
  const QString out = path("run");
  const Run r = scaleout({"train", irisConf(), "--set", "finetuneEpochs=20", "--set", "checkpointEveryEpochs=5",
                          "--out", out});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
  trainOut_ = r.out;
  for (const char* file : {"model.bin", "metrics.csv", "conf.json", "checkpoint.bin"})
    QVERIFY2(QFile::exists(out + "/" + file), file);
  QVERIFY(r.out.contains("data: " + irisCsv() + " (120 train, 30 test, 4 features, 3 classes)"));
  // 120 training rows in minibatches of 10 for 20 epochs.
  QVERIFY2(r.out.contains("trained 240 iterations"), qPrintable(r.out));
  QVERIFY(r.out.contains("final evaluation on 30 test samples:\naccuracy "));
  const double accuracy = accuracyIn(r.out, "final evaluation");
  QVERIFY2(accuracy >= 0.85, qPrintable(r.out));

  const auto lines = readLines(out + "/metrics.csv");
  QVERIFY(lines.size() > 1);
  QCOMPARE(lines[0], std::string("iteration,epoch,phase,worker,loss,test_accuracy,event"));
  int minibatchRows = 0, evaluations = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto cells = splitCsv(lines[i]);
    QCOMPARE(cells.size(), size_t{7});
    if (!cells[3].empty()) {
      ++minibatchRows;
      QCOMPARE(std::stoll(cells[0]), static_cast<long long>(minibatchRows));
      QCOMPARE(cells[2], std::string("finetune"));
      QVERIFY(std::stod(cells[4]) >= 0);
    }
    if (cells[6] == "evaluation") {
      ++evaluations;
      QVERIFY(std::stod(cells[5]) > 0);
    }
  }
  QCOMPARE(minibatchRows, 240);
  QCOMPARE(evaluations, 1);  // evalEvery=50 with 20 epochs: the last epoch only

  // conf.json is the effective conf, with the overrides.
  std::vector<ConfIssue> issues;
  const Conf saved = loadConfFile((out + "/conf.json").toStdString(), issues);
  QVERIFY(issues.empty());
  QCOMPARE(saved.finetuneEpochs, 20);
  QCOMPARE(saved.layerSizes, std::vector<int>{16});
  QCOMPARE(saved.trainData, irisCsv().toStdString());
  const ModelFile model = readModelFile((out + "/model.bin").toStdString());
  QCOMPARE(model.params.size(), Eigen::Index{131});
  QVERIFY(!model.state);
  QCOMPARE(model.normalizer.mode, Normalization::ZScore);
}

QString TestCli::writeNamedIris() {
  static const char* species[] = {"Iris-setosa", "Iris-versicolor", "Iris-virginica"};
  const auto lines = readLines(irisCsv());
  QFile file(path("iris-uci.data.csv"));
  if (!file.open(QIODevice::WriteOnly)) return {};
  for (size_t i = 1; i < lines.size(); ++i) {  // line 0 is the numeric file's header
    auto cells = splitCsv(lines[i]);
    const int label = std::stoi(cells.back());
    cells.back() = species[label];
    std::string row;
    for (size_t c = 0; c < cells.size(); ++c) row += (c ? "," : "") + cells[c];
    file.write((row + "\n").c_str());
  }
  return file.fileName();
}

QString TestCli::writeConf(const QString& name, const QByteArray& json) {
  QFile file(path(name));
  if (!file.open(QIODevice::WriteOnly)) return {};
  file.write(json);
  return file.fileName();
}

void TestCli::checkTakesShapeFromCsv() {
  const QString data = writeNamedIris();
  // No nIn, no nOut: 784 and 10 would be Fashion-MNIST's, so the data decides.
  const QString conf = writeConf("shapeless.json", R"({"layerSizes": [16], "activation": "tanh", "dataset": "csv",
      "trainData": ")" + data.toUtf8() + R"("})");
  const Run r = scaleout({"check", conf});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
  QVERIFY2(r.out.contains("note: nIn=4 from the data's features"), qPrintable(r.out));
  QVERIFY2(r.out.contains("note: nOut=3 from the data's classes"), qPrintable(r.out));
  QVERIFY2(r.out.contains("network: mlp 4-16(tanh)-3(softmax)\n"), qPrintable(r.out));
  QVERIFY2(r.out.contains("classes: 3\n"), qPrintable(r.out));
  QVERIFY2(r.out.contains("0=Iris-setosa, 1=Iris-versicolor, 2=Iris-virginica"), qPrintable(r.out));
  QVERIFY2(!r.out.contains("taken as a header"), qPrintable(r.out));
}

void TestCli::checkKeepsGivenShape() {
  const QString data = writeNamedIris();
  // Given in the file, even at the default value: kept, and the mismatch is an error.
  const QString conf = writeConf("shape784.json", R"({"nIn": 784, "dataset": "csv", "trainData": ")" +
                                                      data.toUtf8() + R"("})");
  const Run r = scaleout({"check", conf});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("knob 'nIn' is 784 but the data has 4 features"), qPrintable(r.err));
  QVERIFY2(!r.out.contains("note: nIn="), qPrintable(r.out));
  QVERIFY2(r.out.contains("note: nOut=3"), qPrintable(r.out));  // nOut was left out
  // Given by --set: the same.
  const Run set = scaleout({"check", "--set", "dataset=csv", "--set", "trainData=" + data, "--set", "nOut=2"});
  QCOMPARE(set.exitCode, 1);
  QVERIFY2(set.err.contains("knob 'nOut' is 2 but the data has 3 classes"), qPrintable(set.err));
  QVERIFY2(set.out.contains("note: nIn=4"), qPrintable(set.out));
}

void TestCli::trainNamedClassesThroughEvalAndPredict() {
  const QString data = writeNamedIris();
  const QString out = path("named-run");
  const Run r = scaleout({"train", "--set", "dataset=csv", "--set", "trainData=" + data, "--set", "layerSizes=16",
                          "--set", "activation=tanh", "--set", "finetuneEpochs=30", "--set", "batchSize=10",
                          "--set", "finetuneLearningRate=0.05", "--set", "normalize=zscore", "--set", "threads=1",
                          "--set", "averagingFrequency=1", "--set", "checkpointEveryEpochs=0", "--set", "testFraction=0.2",
                          "--out", out});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
  QVERIFY2(r.out.contains("(120 train, 30 test, 4 features, 3 classes)"), qPrintable(r.out));
  QVERIFY2(r.out.contains("note: nIn=4"), qPrintable(r.out));
  // The run's conf.json holds the shape it trained, so it trains the same net again.
  std::vector<ConfIssue> issues;
  const Conf saved = loadConfFile((out + "/conf.json").toStdString(), issues);
  QVERIFY(issues.empty());
  QCOMPARE(saved.nIn, 4);
  QCOMPARE(saved.nOut, 3);
  const ModelFile model = readModelFile((out + "/model.bin").toStdString());
  QCOMPARE(model.classNames, (std::vector<std::string>{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}));

  const Run eval = scaleout({"eval", out + "/model.bin", "--data", data});
  QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
  QVERIFY2(eval.out.contains("(150 samples)"), qPrintable(eval.out));
  QVERIFY2(eval.out.contains("2 Iris-virginica  "), qPrintable(eval.out));
  QVERIFY2(accuracyIn(eval.out) >= 0.85, qPrintable(eval.out));

  const QString predictions = path("named-predictions.csv");
  const Run predict = scaleout({"predict", out + "/model.bin", "--data", data, "--out", predictions});
  QVERIFY2(predict.exitCode == 0, qPrintable(predict.err));
  const auto lines = readLines(predictions);
  QCOMPARE(lines.size(), size_t{151});
  QCOMPARE(lines[0], std::string("row,predicted,predictedClass,p0,p1,p2"));
  const auto truth = readLines(data);
  int correct = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto cells = splitCsv(lines[i]);
    QCOMPARE(cells.size(), size_t{6});
    QCOMPARE(cells[2], model.classNames.at(static_cast<size_t>(std::stoi(cells[1]))));
    correct += cells[2] == splitCsv(truth[i - 1]).back() ? 1 : 0;
  }
  QVERIFY2(correct >= 135, qPrintable(QString::number(correct)));

  // A name the model never saw is refused by eval, naming it.
  QFile odd(path("odd-species.csv"));
  QVERIFY(odd.open(QIODevice::WriteOnly));
  odd.write("5.1,3.5,1.4,0.2,Iris-setosa\n6.0,3.0,4.0,1.0,Iris-unknown\n");
  odd.close();
  const Run unknown = scaleout({"eval", out + "/model.bin", "--data", odd.fileName()});
  QCOMPARE(unknown.exitCode, 1);
  QVERIFY2(unknown.err.contains("not trained on: \"Iris-unknown\""), qPrintable(unknown.err));
}

void TestCli::evalModel() {
  if (trainOut_.isEmpty()) QSKIP("trainIris did not produce a model");
  const Run r = scaleout({"eval", path("run/model.bin")});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  QVERIFY2(r.out.startsWith("accuracy "), qPrintable(r.out));
  QVERIFY(r.out.contains("(30 samples)"));
  QVERIFY(r.out.contains("confusion matrix"));
  // The same test split as the training run's final evaluation.
  QCOMPARE(accuracyIn(r.out), accuracyIn(trainOut_, "final evaluation"));
}

void TestCli::evalOnOtherData() {
  if (trainOut_.isEmpty()) QSKIP("trainIris did not produce a model");
  const Run r = scaleout({"eval", path("run/model.bin"), "--data", irisCsv()});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  QVERIFY(r.out.contains("(150 samples)"));
  QVERIFY2(accuracyIn(r.out) >= 0.85, qPrintable(r.out));
  const Run missing = scaleout({"eval", path("run/no-such-model.bin")});
  QCOMPARE(missing.exitCode, 1);
  QVERIFY2(missing.err.contains("no-such-model.bin"), qPrintable(missing.err));
}

void TestCli::predictWritesEveryRow() {
  if (trainOut_.isEmpty()) QSKIP("trainIris did not produce a model");
  const QString out = path("p.csv");
  const Run r = scaleout({"predict", path("run/model.bin"), "--data", irisCsv(), "--out", out});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  QVERIFY(r.out.contains("wrote 150 predictions to " + out));
  const auto lines = readLines(out);
  QCOMPARE(lines.size(), size_t{151});
  QCOMPARE(lines[0], std::string("row,predicted,p0,p1,p2"));
  const auto iris = readLines(irisCsv());
  QCOMPARE(iris.size(), size_t{151});
  int correct = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto cells = splitCsv(lines[i]);
    QCOMPARE(cells.size(), size_t{5});
    QCOMPARE(std::stoi(cells[0]), static_cast<int>(i - 1));
    const int predicted = std::stoi(cells[1]);
    QVERIFY(predicted >= 0 && predicted < 3);
    double sum = 0, best = -1;
    int argmax = -1;
    for (int c = 0; c < 3; ++c) {
      const double p = std::stod(cells[2 + static_cast<size_t>(c)]);
      sum += p;
      if (p > best) {
        best = p;
        argmax = c;
      }
    }
    QVERIFY(std::abs(sum - 1.0) < 1e-4);
    QCOMPARE(argmax, predicted);
    correct += predicted == std::stoi(splitCsv(iris[i]).back()) ? 1 : 0;
  }
  QVERIFY2(correct >= 135, qPrintable(QString::number(correct)));
}

void TestCli::predictNeedsData() {
  if (trainOut_.isEmpty()) QSKIP("trainIris did not produce a model");
  const Run r = scaleout({"predict", path("run/model.bin")});
  QCOMPARE(r.exitCode, 2);
  QVERIFY(r.err.contains("--data"));
}

void TestCli::resumeFinishedCheckpoint() {
  QVERIFY2(!trainOut_.isEmpty(), "trainIris did not produce a checkpoint");
  const ModelFile checkpoint = readModelFile(path("run/checkpoint.bin").toStdString());
  QVERIFY(checkpoint.state);
  QCOMPARE(checkpoint.state->iteration, 240LL);
  // Nothing left to train: said, instead of "trained 240 iterations in 0.0 s".
  const Run r = scaleout({"train", "--resume", path("run/checkpoint.bin"), "--out", path("resumed")});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("the checkpoint is of a finished run: all 20 finetune epochs are trained"), qPrintable(r.err));
  QVERIFY2(r.err.contains("--set finetuneEpochs=40"), qPrintable(r.err));
}

void TestCli::resumeFinishedRunWithMoreEpochs() {
  QVERIFY2(!trainOut_.isEmpty(), "trainIris did not produce a checkpoint");
  const Run r = scaleout({"train", "--resume", path("run/checkpoint.bin"), "--set", "finetuneEpochs=30", "--out", path("more")});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
  QVERIFY2(r.out.contains("continuing the finished run: finetune epochs 21-30"), qPrintable(r.out));
  QVERIFY2(r.out.contains("resuming with finetuneEpochs: 20 in the checkpoint, 30 now"), qPrintable(r.out));
  QVERIFY(r.out.contains("epoch  21 done"));
  QVERIFY(!r.out.contains("epoch  20 done"));
  QVERIFY2(r.out.contains("trained 360 iterations"), qPrintable(r.out));
  // The final checkpoint kept the momentum: nothing had to start from zero.
  QVERIFY2(!r.out.contains("starts from zero"), qPrintable(r.out));
  const ModelFile first = readModelFile(path("run/model.bin").toStdString());
  const ModelFile more = readModelFile(path("more/model.bin").toStdString());
  QVERIFY(more.params != first.params);
  QVERIFY(accuracyIn(r.out, "final evaluation") >= 0.85);
}

// Was a segmentation fault: the checkpoint had no AdaGrad state and it was used unchecked.
void TestCli::resumeWithAdaGradStartsItsStateFromZero() {
  QVERIFY2(!trainOut_.isEmpty(), "trainIris did not produce a checkpoint");
  const Run r = scaleout({"train", irisConf(), "--resume", path("run/checkpoint.bin"), "--set", "finetuneEpochs=25", "--set",
                          "checkpointEveryEpochs=5", "--set", "useAdaGrad=true", "--out", path("adagrad")});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
  QVERIFY2(r.out.contains("resuming with useAdaGrad: false in the checkpoint, true now"), qPrintable(r.out));
  QVERIFY2(r.out.contains("(momentum, AdaGrad): it starts from zero"), qPrintable(r.out));
  QVERIFY2(r.out.contains("trained 300 iterations"), qPrintable(r.out));
}

void TestCli::resumeRefusesKnobsThatCannotChange() {
  QVERIFY2(!trainOut_.isEmpty(), "trainIris did not produce a checkpoint");
  const Run r = scaleout({"train", "--resume", path("run/checkpoint.bin"), "--set", "finetuneEpochs=30", "--set",
                          "layerSizes=32", "--set", "useBackProp=false", "--out", path("refused-knobs")});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("cannot resume: the conf differs from the checkpoint's in knobs that cannot change mid-run"), qPrintable(r.err));
  QVERIFY2(r.err.contains("layerSizes: 16 in the checkpoint, 32 now"), qPrintable(r.err));
  QVERIFY2(r.err.contains("useBackProp: true in the checkpoint, false now"), qPrintable(r.err));
  QVERIFY2(!r.err.contains("finetuneEpochs:"), qPrintable(r.err));  // that one may change
  QVERIFY2(!QFile::exists(path("refused-knobs")), "nothing is written for a refused resume");
}

void TestCli::resumeMidRunCheckpointMatchesUninterrupted() {
  if (trainOut_.isEmpty()) QSKIP("trainIris did not produce a model");
  // Train the same conf in-process and keep the checkpoint written after epoch 10 of 20.
  std::vector<ConfIssue> issues;
  Conf conf = loadConfFile(irisConf().toStdString(), issues);
  applyOverride(conf, "finetuneEpochs=20", issues);
  applyOverride(conf, "checkpointEveryEpochs=5", issues);
  QVERIFY2(issues.empty(), formatIssues(issues).c_str());
  const TrainTestData data = loadTrainTest(conf);
  TrainerOptions options;
  options.checkpointPath = path("inproc-checkpoint.bin").toStdString();
  const std::string mid = path("mid.bin").toStdString();
  struct Keep : TrainingObserver {
    std::string mid;
    Trainer* trainer = nullptr;
    void onCheckpoint(const std::string& p, long long iteration) override {
      // The checkpoint at the stop point that follows has the same iteration: keep the first.
      if (iteration != 120 || std::filesystem::exists(mid)) return;
      std::filesystem::copy_file(p, mid);
      trainer->control().cancel();
    }
  } keep;
  keep.mid = mid;
  Trainer trainer(conf, data, options);
  keep.trainer = &trainer;
  trainer.addObserver(&keep);
  const RunSummary partial = trainer.run();
  QVERIFY(partial.cancelled);
  const ModelFile checkpoint = readModelFile(mid);
  QVERIFY(checkpoint.state);
  QCOMPARE(checkpoint.state->epoch, 10);
  QCOMPARE(checkpoint.state->iteration, 120LL);

  const Run r = scaleout({"train", "--resume", QString::fromStdString(mid), "--out", path("resumed-mid")});
  QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
  QVERIFY2(r.out.contains("trained 240 iterations"), qPrintable(r.out));
  QVERIFY(r.out.contains("epoch  11 done"));
  QVERIFY(!r.out.contains("epoch  10 done"));
  const ModelFile uninterrupted = readModelFile(path("run/model.bin").toStdString());
  const ModelFile resumed = readModelFile(path("resumed-mid/model.bin").toStdString());
  QVERIFY2(resumed.params == uninterrupted.params, "resuming after epoch 10 did not reproduce the 20-epoch run");
  QCOMPARE(accuracyIn(r.out, "final evaluation"), accuracyIn(trainOut_, "final evaluation"));
}

void TestCli::resumeFromModelIsRefused() {
  if (trainOut_.isEmpty()) QSKIP("trainIris did not produce a model");
  const Run r = scaleout({"train", "--resume", path("run/model.bin"), "--out", path("refused")});
  QCOMPARE(r.exitCode, 1);
  QVERIFY2(r.err.contains("the file is a model, not a checkpoint"), qPrintable(r.err));
}

bool TestCli::interrupt(const QStringList& args, Interrupted& result) {
  QProcess process;
  process.setWorkingDirectory(dir_.path());
  process.start(binary_, args);
  if (!process.waitForStarted(10000)) {
    qWarning("could not start %s", qPrintable(binary_));
    return false;
  }
  QString out;
  QElapsedTimer clock;
  clock.start();
  while (!out.contains(" iter ") && clock.elapsed() < 30000) {
    process.waitForReadyRead(200);
    out += QString::fromUtf8(process.readAllStandardOutput());
  }
  [&] { QVERIFY2(out.contains(" iter "), qPrintable(out)); }();
  ::kill(static_cast<pid_t>(process.processId()), SIGINT);
  if (!process.waitForFinished(30000)) {
    process.kill();
    qWarning("scaleout did not stop within 30 s of Ctrl-C");
    return false;
  }
  out += QString::fromUtf8(process.readAllStandardOutput());
  const QString err = QString::fromUtf8(process.readAllStandardError());
  bool ok = true;
  [&] {
    ok = false;
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    QVERIFY2(err.contains("Ctrl-C: stopping after the current minibatch"), qPrintable(err));
    const auto m = QRegularExpression("training was stopped at iteration (\\d+); resume with: scaleout train --resume (\\S+)").match(out);
    QVERIFY2(m.hasMatch(), qPrintable(out + err));
    result.stoppedAt = m.captured(1).toLongLong();
    result.checkpoint = m.captured(2);
    result.model = readModelFile(result.checkpoint.toStdString());
    QVERIFY(result.model.state);
    QCOMPARE(result.model.state->iteration, result.stoppedAt);
    QVERIFY(result.stoppedAt > 0);
    ok = true;
  }();
  return ok && !QTest::currentTestFailed();
}

// Ctrl-C mid-epoch: the checkpoint holds the stop point, not the last epoch boundary, and
// resuming from it finishes the run.
void TestCli::ctrlCWritesCheckpointAtTheStopPoint() {
  Interrupted stop;
  QVERIFY(interrupt({"train", irisConf(), "--set", "finetuneEpochs=100000", "--set", "checkpointEveryEpochs=0", "--set", "evalEvery=0",
                     "--interval", "0.1", "--out", path("interrupted")},
                    stop));
  QCOMPARE(stop.checkpoint, path("interrupted/checkpoint.bin"));
  // 12 minibatches per epoch: the rest of the epoch is in the checkpoint.
  if (stop.stoppedAt % 12 != 0) {
    QVERIFY(stop.model.state->midEpoch);
    QCOMPARE(static_cast<long long>(stop.model.state->remaining.size()), 120 - (stop.stoppedAt % 12) * 10);
  }
  const Run resumed = scaleout({"train", "--resume", stop.checkpoint, "--set", "finetuneEpochs=" + QString::number(stop.stoppedAt / 12 + 2),
                                "--out", path("interrupted")});
  QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err + resumed.out));
  QVERIFY2(resumed.out.contains(QString("trained %1 iterations").arg((stop.stoppedAt / 12 + 2) * 12)), qPrintable(resumed.out));
}

// The same at the scale users run: the reference MLP on Fashion-MNIST (6,000 rows, so 60
// minibatches an epoch) with two worker threads, stopped mid-epoch and resumed.
void TestCli::ctrlCAndResumeOnFashionMnistWithTwoThreads() {
  Interrupted stop;
  QVERIFY(interrupt({"train", referenceMlpConf(), "--threads", "2", "--set", "maxTrainSamples=6000", "--set", "finetuneEpochs=1000",
                     "--set", "checkpointEveryEpochs=0", "--set", "evalEvery=0", "--interval", "0.1", "--out", path("fashion")},
                    stop));
  QCOMPARE(stop.checkpoint, path("fashion/checkpoint.bin"));
  const long long perEpoch = 60;
  if (stop.stoppedAt % perEpoch != 0) {
    QVERIFY(stop.model.state->midEpoch);
    QCOMPARE(static_cast<long long>(stop.model.state->remaining.size()), 6000 - (stop.stoppedAt % perEpoch) * 100);
  }
  const long long epochs = stop.stoppedAt / perEpoch + 2;
  const Run resumed = scaleout({"train", "--resume", stop.checkpoint, "--threads", "2", "--set", "finetuneEpochs=" + QString::number(epochs),
                                "--out", path("fashion")},
                               120000);
  QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err + resumed.out));
  QVERIFY2(resumed.out.contains(QString("trained %1 iterations").arg(epochs * perEpoch)), qPrintable(resumed.out));
  const double accuracy = accuracyIn(resumed.out, "final evaluation");
  QVERIFY2(accuracy > 0.7, qPrintable(resumed.out));  // ~0.78 after two epochs of 6,000 rows
}

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
