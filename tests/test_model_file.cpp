// Model and checkpoint files: bit-exact round trips, one refusal per kind of damage
// (missing, truncated, wrong magic, newer version, corrupted byte, invalid conf), the
// fit check of Trainer::resumeFrom, and atomic writes.
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <QtTest>

#include "fixtures/engine_fixtures.h"
#include "io/model_file.h"
#include "train/checkpoint_writer.h"
#include "nn/network.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Eigen::VectorXf randomVector(Eigen::Index n, Rng& rng) {
  Eigen::VectorXf v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = rng.normal();
  return v;
}

// A dbn conf with several knobs off their defaults, and parameters of its size that
// include values a lossy format would mangle.
ModelFile sampleModel(bool withState) {
  ModelFile m;
  m.conf = smallConf("dbn", 6, {5, 4}, 3);
  m.conf.pretrainLearningRate = 0.0123;
  m.conf.finetuneLearningRate = 1.0 / 3.0;
  m.conf.activationByLayer = {"tanh", "relu"};
  m.conf.visibleUnit = "gaussian";
  m.conf.useAdaGrad = true;
  m.conf.seed = 987654;
  m.conf.dataset = "csv";
  m.conf.trainData = "/data/some file with spaces é.csv";
  const NetworkLayout layout(m.conf);
  Rng rng(3);
  m.params = randomVector(static_cast<Eigen::Index>(layout.size()), rng);
  m.params[0] = -0.0f;
  m.params[1] = std::numeric_limits<float>::denorm_min();
  m.params[2] = std::numeric_limits<float>::max();
  m.params[3] = 1.0f / 3.0f;
  m.normalizer.mode = Normalization::ZScore;
  m.normalizer.offset = Eigen::RowVectorXf::LinSpaced(6, -1.0f / 7.0f, 2.0f / 3.0f);
  m.normalizer.scale = Eigen::RowVectorXf::LinSpaced(6, 0.1f, 12.345678f);
  if (withState) {
    TrainingState s;
    s.phaseIndex = 2;
    s.epoch = 3;
    s.iteration = 12345678901LL;
    s.round = 77;
    Rng master(11);
    for (int i = 0; i < 5; ++i) master.nextU64();
    s.rngState = master.state();
    s.learningRate = 0.037f;
    s.averagingFrequency = 7;
    s.midEpoch = true;
    s.optimizer.velocity = randomVector(40, rng);
    s.optimizer.adagrad = randomVector(40, rng).cwiseAbs();
    s.optimizer.lastStep = 0.125f;
    s.remaining = {5, 3, 99, 4000000000u, 0};
    m.state = s;
  }
  return m;
}

void expectRefused(const std::string& path, const std::vector<std::string>& fragments) {
  try {
    readModelFile(path);
    QFAIL(qPrintable(QString::fromStdString("accepted damaged file " + path)));
  } catch (const ScaleoutError& e) {
    const std::string message = e.what();
    QVERIFY2(message.find(path) != std::string::npos, qPrintable(QString::fromStdString("no path in: " + message)));
    for (const auto& f : fragments)
      QVERIFY2(message.find(f) != std::string::npos,
               qPrintable(QString::fromStdString("'" + f + "' missing from: " + message)));
  }
}

}  // namespace

class TestModelFile : public QObject {
  Q_OBJECT

 private slots:
  void init();
  void roundTripIsBitExact();
  void modelWithoutStateHasNone();
  void emptyBuffersRoundTrip();
  void outerVelocityRoundTripsAsVersion2();
  void layoutMatchesTheHeaderComment();
  void classNamesRoundTripAndAreOptional();
  void missingFileIsRefused();
  void truncatedFileIsRefused_data();
  void truncatedFileIsRefused();
  void wrongMagicIsRefused();
  void newerVersionIsRefused();
  void versionZeroIsRefused();
  void corruptedByteIsRefused_data();
  void corruptedByteIsRefused();
  void invalidConfIsRefused();
  void resumeRefusesMismatchedNetwork();
  void resumeRefusesPlainModel();
  void writeIsAtomic();
  void unwritableDirectoryIsReported();
  void backgroundWritesOneAtATime();
  void backgroundWriteErrorIsReturned();
  void spareIsTheLastWrittenFile();
  void writeCutShortLeavesNoTornFile();

 private:
  std::unique_ptr<QTemporaryDir> dir_;
  std::string path(const char* name) const { return pathIn(*dir_, name); }
  std::string pathIn(const QTemporaryDir& d, const char* name) const {
    return d.filePath(QString::fromLatin1(name)).toStdString();
  }
};

void TestModelFile::init() {
  dir_ = std::make_unique<QTemporaryDir>();
  QVERIFY(dir_->isValid());
}

void TestModelFile::roundTripIsBitExact() {
  const ModelFile m = sampleModel(true);
  const std::string file = path("model.scaleout");
  writeModelFile(file, m);
  const ModelFile r = readModelFile(file);
  QVERIFY(r.conf == m.conf);
  QVERIFY(bitIdentical(r.params, m.params));
  QCOMPARE(r.normalizer.mode, m.normalizer.mode);
  QVERIFY(r.normalizer.offset == m.normalizer.offset);
  QVERIFY(r.normalizer.scale == m.normalizer.scale);
  QVERIFY(r.state.has_value());
  const TrainingState& a = *m.state;
  const TrainingState& b = *r.state;
  QCOMPARE(b.phaseIndex, a.phaseIndex);
  QCOMPARE(b.epoch, a.epoch);
  QCOMPARE(b.iteration, a.iteration);
  QCOMPARE(b.round, a.round);
  QCOMPARE(b.rngState, a.rngState);
  QCOMPARE(b.learningRate, a.learningRate);
  QCOMPARE(b.averagingFrequency, a.averagingFrequency);
  QCOMPARE(b.midEpoch, a.midEpoch);
  QCOMPARE(b.optimizer.lastStep, a.optimizer.lastStep);
  QVERIFY(bitIdentical(b.optimizer.velocity, a.optimizer.velocity));
  QVERIFY(bitIdentical(b.optimizer.adagrad, a.optimizer.adagrad));
  QCOMPARE(b.remaining, a.remaining);
  // The restored generator continues the same sequence.
  Rng x, y;
  x.setState(a.rngState);
  y.setState(b.rngState);
  QCOMPARE(y.nextU64(), x.nextU64());
  // Writing what was read gives the same bytes.
  writeModelFile(path("again.scaleout"), r);
  QCOMPARE(readBytes(path("again.scaleout")), readBytes(file));
}

void TestModelFile::modelWithoutStateHasNone() {
  const ModelFile m = sampleModel(false);
  writeModelFile(path("m"), m);
  const ModelFile r = readModelFile(path("m"));
  QVERIFY(!r.state.has_value());
  QVERIFY(bitIdentical(r.params, m.params));
  QVERIFY(r.conf == m.conf);
}

void TestModelFile::outerVelocityRoundTripsAsVersion2() {
  ModelFile m = sampleModel(true);
  Rng rng(5);
  m.state->outerVelocity = randomVector(40, rng);
  writeModelFile(path("m"), m);
  uint32_t version;
  std::memcpy(&version, readBytes(path("m")).data() + 8, 4);
  QCOMPARE(version, kModelFormatVersionOuter);
  const ModelFile r = readModelFile(path("m"));
  QVERIFY(bitIdentical(r.state->outerVelocity, m.state->outerVelocity));
  QVERIFY(bitIdentical(r.state->optimizer.velocity, m.state->optimizer.velocity));
  QCOMPARE(r.state->remaining, m.state->remaining);
  // A checkpoint without one reads back without one.
  writeModelFile(path("without"), sampleModel(true));
  QCOMPARE(readModelFile(path("without")).state->outerVelocity.size(), Eigen::Index(0));
}

void TestModelFile::emptyBuffersRoundTrip() {
  ModelFile m = sampleModel(true);
  m.state->optimizer.adagrad.resize(0);
  m.state->remaining.clear();
  m.state->midEpoch = false;
  m.normalizer = Normalizer{};
  writeModelFile(path("m"), m);
  const ModelFile r = readModelFile(path("m"));
  QCOMPARE(r.state->optimizer.adagrad.size(), Eigen::Index(0));
  QVERIFY(r.state->remaining.empty());
  QCOMPARE(r.normalizer.mode, Normalization::None);
  QCOMPARE(r.normalizer.offset.size(), Eigen::Index(0));
  QVERIFY(bitIdentical(r.state->optimizer.velocity, m.state->optimizer.velocity));
}

void TestModelFile::layoutMatchesTheHeaderComment() {
  const ModelFile m = sampleModel(true);
  writeModelFile(path("m"), m);
  const std::string bytes = readBytes(path("m"));
  QCOMPARE(bytes.substr(0, 8), std::string("SCALEOUT"));
  uint32_t version, flags;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&flags, bytes.data() + 12, 4);
  QCOMPARE(version, 1u);  // no outer velocity: the version builds before 2 read
  QCOMPARE(flags, 1u);
  uint64_t confLength;
  std::memcpy(&confLength, bytes.data() + 16, 8);
  QCOMPARE(bytes.at(24), '{');  // the conf's JSON follows its length
  QCOMPARE(bytes.at(24 + confLength - 1), '}');
  writeModelFile(path("plain"), sampleModel(false));
  std::memcpy(&flags, readBytes(path("plain")).data() + 12, 4);
  QCOMPARE(flags, 0u);
}

void TestModelFile::classNamesRoundTripAndAreOptional() {
  ModelFile named = sampleModel(false);
  named.classNames = {"Iris-setosa", "with, comma", "quote \" é"};
  writeModelFile(path("named"), named);
  QCOMPARE(readModelFile(path("named")).classNames, named.classNames);
  // Without names the key is not written: the bytes are those of a file from before
  // class names existed, which therefore still reads (as no names).
  const ModelFile plain = sampleModel(false);
  writeModelFile(path("plain"), plain);
  QVERIFY(readBytes(path("plain")).find("classNames") == std::string::npos);
  QVERIFY(readBytes(path("named")).find("\"classNames\"") != std::string::npos);
  QVERIFY(readModelFile(path("plain")).classNames.empty());
}

void TestModelFile::missingFileIsRefused() {
  expectRefused(path("nowhere.scaleout"), {"cannot be opened"});
}

void TestModelFile::truncatedFileIsRefused_data() {
  QTest::addColumn<bool>("withState");
  QTest::addColumn<int>("keep");  // bytes kept; negative: counted from the end
  for (bool state : {false, true}) {
    const char* kind = state ? "checkpoint" : "model";
    for (int keep : {0, 5, 8, 11, 15, 16, 20, 30, 200, -300, -60, -13, -8, -5, -4, -3, -1}) {
      QTest::newRow(qPrintable(QString("%1 keep %2").arg(kind).arg(keep))) << state << keep;
    }
  }
}

void TestModelFile::truncatedFileIsRefused() {
  QFETCH(bool, withState);
  QFETCH(int, keep);
  writeModelFile(path("whole"), sampleModel(withState));
  const std::string bytes = readBytes(path("whole"));
  const size_t n = keep >= 0 ? static_cast<size_t>(keep) : bytes.size() - static_cast<size_t>(-keep);
  QVERIFY(n < bytes.size());
  writeBytes(path("cut"), bytes.substr(0, n));
  // A file shorter than the magic cannot be told from a foreign one; beyond it, every cut
  // is reported as truncation, never as a generic corruption.
  expectRefused(path("cut"), {"truncated"});
}

void TestModelFile::wrongMagicIsRefused() {
  writeModelFile(path("m"), sampleModel(false));
  std::string bytes = readBytes(path("m"));
  bytes.replace(0, 8, "SCALEIN!");
  writeBytes(path("m"), bytes);
  expectRefused(path("m"), {"not a Scaleout Studio model", "magic"});
  writeBytes(path("text"), "{\"networkClass\": \"mlp\"}\n");
  expectRefused(path("text"), {"magic"});
}

void TestModelFile::newerVersionIsRefused() {
  writeModelFile(path("m"), sampleModel(true));
  std::string bytes = readBytes(path("m"));
  const uint32_t newer = kModelFormatVersion + 1;
  std::memcpy(bytes.data() + 8, &newer, 4);
  writeBytes(path("m"), bytes);
  // The version is checked before the checksum: the message says what to do.
  expectRefused(path("m"), {"format version " + std::to_string(newer), "newer", "upgrade"});
}

void TestModelFile::versionZeroIsRefused() {
  writeModelFile(path("m"), sampleModel(false));
  std::string bytes = readBytes(path("m"));
  std::memset(bytes.data() + 8, 0, 4);
  writeBytes(path("m"), bytes);
  expectRefused(path("m"), {"version 0"});
}

void TestModelFile::corruptedByteIsRefused_data() {
  QTest::addColumn<bool>("withState");
  QTest::addColumn<int>("offset");  // negative: from the end
  QTest::newRow("flags") << false << 12;
  QTest::newRow("conf json") << false << 40;
  QTest::newRow("parameter") << false << -10;
  QTest::newRow("checksum") << false << -2;
  QTest::newRow("training state json") << true << -400;
  QTest::newRow("remaining rows") << true << -7;
}

void TestModelFile::corruptedByteIsRefused() {
  QFETCH(bool, withState);
  QFETCH(int, offset);
  writeModelFile(path("m"), sampleModel(withState));
  std::string bytes = readBytes(path("m"));
  const size_t at = offset >= 0 ? static_cast<size_t>(offset) : bytes.size() - static_cast<size_t>(-offset);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x04);
  writeBytes(path("m"), bytes);
  expectRefused(path("m"), {"checksum mismatch"});
}

void TestModelFile::invalidConfIsRefused() {
  ModelFile m = sampleModel(false);
  m.conf.batchSize = 0;  // outside [1, 1000000]; the checksum is right, the conf is not
  writeModelFile(path("m"), m);
  expectRefused(path("m"), {"invalid conf", "batchSize"});
}

void TestModelFile::resumeRefusesMismatchedNetwork() {
  const TrainTestData data = split(clusters(40, 6, 3, 0.1f, 1), 30);
  Conf conf = smallConf("mlp", 6, {5}, 3);
  Trainer trainer(conf, data);
  ModelFile checkpoint = sampleModel(true);  // a 6-5-4-3 dbn: another network
  writeModelFile(path("ckpt"), checkpoint);
  const ModelFile loaded = readModelFile(path("ckpt"));
  const size_t expected = trainer.layout().size();
  try {
    trainer.resumeFrom(loaded);
    QFAIL("resumeFrom accepted a checkpoint of another network");
  } catch (const ScaleoutError& e) {
    const std::string message = e.what();
    // Every knob that differs is named, with both values.
    QVERIFY2(message.find("cannot resume") != std::string::npos, e.what());
    QVERIFY2(message.find("networkClass: dbn in the checkpoint, mlp now") != std::string::npos, e.what());
    QVERIFY2(message.find("layerSizes: 5,4 in the checkpoint, 5 now") != std::string::npos, e.what());
  }
  // The trainer is untouched: its parameters are still its own initial ones.
  QCOMPARE(static_cast<size_t>(trainer.parameters().size()), expected);
}

void TestModelFile::resumeRefusesPlainModel() {
  const TrainTestData data = split(clusters(40, 6, 3, 0.1f, 1), 30);
  Conf conf = smallConf("mlp", 6, {5}, 3);
  Trainer trainer(conf, data);
  ModelFile model = trainer.model();
  writeModelFile(path("model"), model);
  try {
    trainer.resumeFrom(readModelFile(path("model")));
    QFAIL("resumeFrom accepted a model without training state");
  } catch (const ScaleoutError& e) {
    QVERIFY2(std::string(e.what()).find("not a checkpoint") != std::string::npos, e.what());
  }
}

void TestModelFile::writeIsAtomic() {
  const std::string file = path("model.scaleout");
  ModelFile first = sampleModel(true);
  writeModelFile(file, first);
  QVERIFY(!std::filesystem::exists(file + ".tmp"));
  ModelFile second = sampleModel(false);
  second.params.array() += 1.0f;
  writeModelFile(file, second);  // replaces the old file
  QVERIFY(!std::filesystem::exists(file + ".tmp"));
  const ModelFile r = readModelFile(file);
  QVERIFY(!r.state.has_value());
  QVERIFY(bitIdentical(r.params, second.params));
  // Only the model file is in the directory: nothing left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_->path().toStdString())) {
    (void)e;
    ++entries;
  }
  QCOMPARE(entries, 1);
}

void TestModelFile::unwritableDirectoryIsReported() {
  const std::string file = path("missing-dir/model.scaleout");
  try {
    writeModelFile(file, sampleModel(false));
    QFAIL("wrote into a directory that does not exist");
  } catch (const ScaleoutError& e) {
    QVERIFY2(std::string(e.what()).find(file + ".tmp") != std::string::npos, e.what());
  }
  QVERIFY(!std::filesystem::exists(file));
}

void TestModelFile::backgroundWritesOneAtATime() {
  // Each start() returns the previous write's outcome, so none is lost; the last one is
  // on disk after wait(), and the file read back is the last model handed over.
  const std::string file = path("ckpt.bin");
  CheckpointWriter writer;
  QVERIFY(!writer.poll());
  QVERIFY(!writer.wait());
  std::vector<long long> reported;
  for (long long it = 1; it <= 5; ++it) {
    ModelFile m = sampleModel(true);
    m.state->iteration = it;
    if (auto done = writer.start(file, std::move(m), it)) {
      QVERIFY2(done->error.empty(), done->error.c_str());
      reported.push_back(done->iteration);
    }
  }
  const auto last = writer.wait();
  QVERIFY(last && last->error.empty());
  reported.push_back(last->iteration);
  QCOMPARE(reported, (std::vector<long long>{1, 2, 3, 4, 5}));
  QVERIFY(!writer.wait());  // reported once
  const ModelFile back = readModelFile(file);
  QVERIFY(back.state);
  QCOMPARE(back.state->iteration, 5LL);
  QVERIFY(!std::filesystem::exists(file + ".tmp"));
}

void TestModelFile::backgroundWriteErrorIsReturned() {
  const std::string file = path("missing-dir/ckpt.bin");
  CheckpointWriter writer;
  QVERIFY(!writer.start(file, sampleModel(true), 7));
  const auto done = writer.wait();
  QVERIFY(done);
  QCOMPARE(done->iteration, 7LL);
  QVERIFY2(done->error.find(file + ".tmp") != std::string::npos, done->error.c_str());
}

void TestModelFile::spareIsTheLastWrittenFile() {
  // The trainer refills the last checkpoint's buffers for the next one: spare() hands
  // them over only once that write is done (wait() here), and only once.
  const std::string file = path("spare.bin");
  CheckpointWriter writer;
  QCOMPARE(writer.spare().params.size(), Eigen::Index{0});  // nothing written yet
  ModelFile m = sampleModel(true);
  const Eigen::VectorXf params = m.params;
  QVERIFY(!writer.start(file, std::move(m), 1));
  const auto done = writer.wait();
  QVERIFY(done && done->error.empty());
  ModelFile spare = writer.spare();
  QVERIFY(spare.params == params);
  QVERIFY(spare.state);
  QCOMPARE(writer.spare().params.size(), Eigen::Index{0});
  // Refilled and written again, it reads back as the new contents.
  spare.params.setConstant(0.25f);
  spare.state->iteration = 2;
  QVERIFY(!writer.start(file, std::move(spare), 2));
  QVERIFY(writer.wait());
  const ModelFile back = readModelFile(file);
  QVERIFY(back.params.isConstant(0.25f));
  QCOMPARE(back.state->iteration, 2LL);
}

void TestModelFile::writeCutShortLeavesNoTornFile() {
  // The disk refuses the write part-way (a file-size limit of 1 MiB here, as a full disk
  // would): the error says so, and neither the file nor a torn .tmp is left behind.
  const std::string file = path("cut.bin");
  ModelFile m = sampleModel(true);
  m.params = Eigen::VectorXf::Zero(1 << 19);  // 2 MiB of parameters
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;  // the write fails with EFBIG instead of the signal ending us
  QVERIFY(sigaction(SIGXFSZ, &ignore, &previous) == 0);
  rlimit limit{}, saved{};
  QVERIFY(getrlimit(RLIMIT_FSIZE, &saved) == 0);
  limit = saved;
  limit.rlim_cur = 1 << 20;
  QVERIFY(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  std::string error;
  try {
    writeModelFile(file, m);
  } catch (const ScaleoutError& e) {
    error = e.what();
  }
  QVERIFY(setrlimit(RLIMIT_FSIZE, &saved) == 0);
  QVERIFY(sigaction(SIGXFSZ, &previous, nullptr) == 0);
  QVERIFY2(error.find("disk full") != std::string::npos, error.c_str());
  QVERIFY(!std::filesystem::exists(file));
  QVERIFY(!std::filesystem::exists(file + ".tmp"));
}

QTEST_APPLESS_MAIN(TestModelFile)
#include "test_model_file.moc"
