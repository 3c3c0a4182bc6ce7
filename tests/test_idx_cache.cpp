// readIdxCached: the decoded-data cache returns what decoding returns, bit for bit; a
// changed source, a damaged cache file and an unwritable cache dir each fall back to
// decoding (one test per kind of damage); and the real Fashion-MNIST files load from it.
#include <cstring>
#include <filesystem>
#include <string>

#include <QByteArray>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "config/conf.h"
#include "data/data_source.h"
#include "data/idx_cache.h"
#include "data/readers.h"
#include "fixtures/data_files.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Same floats bit for bit (not just ==, which would let -0.0 equal 0.0), same labels and shape.
bool sameBits(const RowMatrix& a, const RowMatrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(float)) == 0;
}

bool sameData(const DataSet& a, const DataSet& b) {
  return sameBits(a.features, b.features) && a.labels == b.labels && a.numClasses == b.numClasses &&
         a.imageRows == b.imageRows && a.imageCols == b.imageCols;
}

// The only cache file in `dir` (each test uses its own dir and one pair).
std::filesystem::path onlyCacheFile(const std::filesystem::path& dir) {
  std::filesystem::path found;
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".idxcache") {
      found = e.path();
      ++count;
    }
  }
  return count == 1 ? found : std::filesystem::path();
}

// Sets XDG_CACHE_HOME for one scope (loadTrainTest finds its cache dir through it).
class CacheHome {
 public:
  explicit CacheHome(const std::string& dir) : old_(qgetenv("XDG_CACHE_HOME")), had_(qEnvironmentVariableIsSet("XDG_CACHE_HOME")) {
    qputenv("XDG_CACHE_HOME", QByteArray::fromStdString(dir));
  }
  ~CacheHome() {
    if (had_)
      qputenv("XDG_CACHE_HOME", old_);
    else
      qunsetenv("XDG_CACHE_HOME");
  }

 private:
  QByteArray old_;
  bool had_;
};

}  // namespace

class TestIdxCache : public QObject {
  Q_OBJECT

 private slots:
  void init();
  void cachedEqualsDecoded();
  void normalisedSetsEqualWithAndWithoutCache();
  void changedSourceInvalidates();
  void damagedCacheFileIgnoredAndReplaced_data();
  void damagedCacheFileIgnoredAndReplaced();
  void unwritableCacheDirStillLoads();
  void plainFilesAreNotCopied();
  void realFashionMnistSecondLoadFromCache();

 private:
  void writePair(const IdxPair& pair);
  std::unique_ptr<QTemporaryDir> dir_;
  std::string images_, labels_, cacheDir_;
};

void TestIdxCache::init() {
  dir_ = std::make_unique<QTemporaryDir>();
  QVERIFY(dir_->isValid());
  images_ = pathIn(*dir_, "images.gz");
  labels_ = pathIn(*dir_, "labels.gz");
  cacheDir_ = pathIn(*dir_, "cache");
}

void TestIdxCache::writePair(const IdxPair& pair) {
  writeGzFile(images_, pair.imageFile);
  writeGzFile(labels_, pair.labelFile);
}

void TestIdxCache::cachedEqualsDecoded() {
  writePair(makeIdxPair(300, 6, 7, 5));
  const DataSet decoded = readIdx(images_, labels_);
  IdxCacheReport first, second;
  const DataSet cold = readIdxCached(images_, labels_, cacheDir_, &first);
  QVERIFY(!first.hit);
  QVERIFY2(first.written, first.problem.c_str());
  const DataSet warm = readIdxCached(images_, labels_, cacheDir_, &second);
  QVERIFY2(second.hit, second.problem.c_str());
  QVERIFY(!second.written);
  QCOMPARE(warm.size(), size_t{300});
  QCOMPARE(warm.dims(), 42);
  QCOMPARE(warm.imageRows, 6);
  QCOMPARE(warm.numClasses, 5);
  QCOMPARE(warm.features(299, 41), static_cast<float>((299 * 7 + 41) % 256));
  QCOMPARE(warm.source, images_);
  QVERIFY(sameData(cold, decoded));
  QVERIFY(sameData(warm, decoded));
}

// The whole loader (held-out split off, explicit test pair, zscore): the gzip pair goes
// through the cache, a plain copy of the same bytes does not; the normalised sets and the
// fitted normaliser must not differ by one bit.
void TestIdxCache::normalisedSetsEqualWithAndWithoutCache() {
  const IdxPair train = makeIdxPair(200, 5, 5, 4);
  const IdxPair test = makeIdxPair(60, 5, 5, 4);
  writeGzFile(pathIn(*dir_, "train-images.gz"), train.imageFile);
  writeGzFile(pathIn(*dir_, "train-labels.gz"), train.labelFile);
  writeGzFile(pathIn(*dir_, "test-images.gz"), test.imageFile);
  writeGzFile(pathIn(*dir_, "test-labels.gz"), test.labelFile);
  writeFile(pathIn(*dir_, "train-images"), train.imageFile);
  writeFile(pathIn(*dir_, "train-labels"), train.labelFile);
  writeFile(pathIn(*dir_, "test-images"), test.imageFile);
  writeFile(pathIn(*dir_, "test-labels"), test.labelFile);
  CacheHome home(cacheDir_);
  auto conf = [&](const char* suffix) {
    Conf c;
    c.dataset = "idx";
    c.normalize = "zscore";
    c.trainData = pathIn(*dir_, "train-images") + suffix;
    c.trainLabels = pathIn(*dir_, "train-labels") + suffix;
    c.testData = pathIn(*dir_, "test-images") + suffix;
    c.testLabels = pathIn(*dir_, "test-labels") + suffix;
    return c;
  };
  const TrainTestData plain = loadTrainTest(conf(""));
  const TrainTestData cold = loadTrainTest(conf(".gz"));
  const TrainTestData warm = loadTrainTest(conf(".gz"));
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(cacheDir_) / "scaleout" / "decoded"))
    files += e.path().extension() == ".idxcache";
  QCOMPARE(files, 2);  // train and test pair; the plain pair was not copied
  for (const TrainTestData* d : {&cold, &warm}) {
    QVERIFY(sameData(d->train, plain.train));
    QVERIFY(sameData(d->test, plain.test));
    QVERIFY(d->normalizer.offset == plain.normalizer.offset);
    QVERIFY(d->normalizer.scale == plain.normalizer.scale);
    QVERIFY(d->notes.empty());
  }
  QVERIFY(plain.train.features.cwiseAbs().maxCoeff() > 0.5f);  // really normalised data, not zeros
}

// Same sizes, different pixels, written right after the first load (within one timestamp
// tick on a coarse clock: the SHA-256 check is what catches it then).
void TestIdxCache::changedSourceInvalidates() {
  IdxPair pair = makeIdxPair(100, 4, 4, 3);
  writePair(pair);
  IdxCacheReport report;
  readIdxCached(images_, labels_, cacheDir_, &report);
  QVERIFY(report.written);
  for (uint8_t& p : pair.pixels) p = static_cast<uint8_t>(255 - p);
  writeGzFile(images_, idxBytes({100, 4, 4}, pair.pixels));
  const DataSet changed = readIdxCached(images_, labels_, cacheDir_, &report);
  QVERIFY(!report.hit);
  QVERIFY2(report.written, report.problem.c_str());
  QVERIFY(sameData(changed, readIdx(images_, labels_)));
  QCOMPARE(changed.features(0, 0), 255.0f);
  // A changed labels file counts as much as a changed images file.
  pair.labels[0] = 2;
  writeGzFile(labels_, idxBytes({100}, pair.labels));
  const DataSet relabelled = readIdxCached(images_, labels_, cacheDir_, &report);
  QVERIFY(!report.hit);
  QCOMPARE(relabelled.labels[0], 2);
  readIdxCached(images_, labels_, cacheDir_, &report);
  QVERIFY(report.hit);
}

void TestIdxCache::damagedCacheFileIgnoredAndReplaced_data() {
  QTest::addColumn<QString>("damage");
  QTest::addColumn<QString>("problem");
  QTest::newRow("truncated") << "truncated" << "truncated";
  QTest::newRow("empty") << "empty" << "empty";
  QTest::newRow("garbage") << "garbage" << "magic";
  QTest::newRow("foreign magic") << "foreign" << "magic";
  QTest::newRow("header byte flipped") << "header" << "header checksum";
  QTest::newRow("payload byte flipped") << "payload" << "payload checksum";
}

void TestIdxCache::damagedCacheFileIgnoredAndReplaced() {
  QFETCH(QString, damage);
  QFETCH(QString, problem);
  writePair(makeIdxPair(120, 5, 3, 4));
  const DataSet decoded = readIdx(images_, labels_);
  readIdxCached(images_, labels_, cacheDir_);
  const std::filesystem::path file = onlyCacheFile(cacheDir_);
  QVERIFY(!file.empty());
  QFile f(QString::fromStdString(file.string()));
  QVERIFY(f.open(QIODevice::ReadOnly));
  QByteArray bytes = f.readAll();
  f.close();
  if (damage == "truncated") bytes.truncate(bytes.size() - 100);
  if (damage == "empty") bytes.clear();
  if (damage == "garbage") bytes.fill('\x5a');
  if (damage == "foreign") bytes.replace(0, 8, "PK\x03\x04zzzz");
  if (damage == "header") bytes[20] = static_cast<char>(bytes[20] ^ 0x01);
  if (damage == "payload") bytes[bytes.size() - 200] = static_cast<char>(bytes[bytes.size() - 200] ^ 0x10);
  writeFile(file.string(), bytes);

  IdxCacheReport report;
  const DataSet data = readIdxCached(images_, labels_, cacheDir_, &report);
  QVERIFY(!report.hit);
  QVERIFY2(contains(report.problem, file.string()), report.problem.c_str());
  QVERIFY2(contains(report.problem, problem.toStdString()), report.problem.c_str());
  QVERIFY2(report.written, report.problem.c_str());
  QVERIFY(sameData(data, decoded));
  readIdxCached(images_, labels_, cacheDir_, &report);
  QVERIFY2(report.hit, report.problem.c_str());
  QVERIFY(report.problem.empty());
}

// The cache dir lies under a regular file, so it cannot be created even by root (a chmod
// would not stop root, and the suite runs as root in CI).
void TestIdxCache::unwritableCacheDirStillLoads() {
  writePair(makeIdxPair(80, 4, 4, 2));
  const std::string blocker = pathIn(*dir_, "not-a-dir");
  writeFile(blocker, "x");
  IdxCacheReport report;
  const DataSet data = readIdxCached(images_, labels_, std::filesystem::path(blocker) / "decoded", &report);
  QVERIFY(!report.hit);
  QVERIFY(!report.written);
  QVERIFY2(contains(report.problem, "cannot create " + blocker), report.problem.c_str());
  QVERIFY(sameData(data, readIdx(images_, labels_)));

  // Through the loader: a train and a test pair, and still one line about it.
  CacheHome home(blocker);
  Conf c;
  c.dataset = "idx";
  c.trainData = c.testData = images_;
  c.trainLabels = c.testLabels = labels_;
  const TrainTestData loaded = loadTrainTest(c);
  QCOMPARE(loaded.train.size(), size_t{80});
  QCOMPARE(loaded.notes.size(), size_t{1});
  QVERIFY2(contains(loaded.notes[0], "not cached"), loaded.notes[0].c_str());
}

void TestIdxCache::plainFilesAreNotCopied() {
  const IdxPair pair = makeIdxPair(30, 4, 4, 2);
  writeFile(pathIn(*dir_, "plain-images"), pair.imageFile);
  writeFile(pathIn(*dir_, "plain-labels"), pair.labelFile);
  IdxCacheReport report;
  const DataSet data = readIdxCached(pathIn(*dir_, "plain-images"), pathIn(*dir_, "plain-labels"), cacheDir_, &report);
  QVERIFY(!report.hit && !report.written && report.problem.empty());
  QCOMPARE(data.size(), size_t{30});
  QVERIFY(!std::filesystem::exists(cacheDir_));
}

// The workload users run. bootstrap.sh installs the files on every machine that runs the
// suite, so their absence is a failure here, not a skip.
void TestIdxCache::realFashionMnistSecondLoadFromCache() {
  const std::filesystem::path dir(kFashionMnistDir);
  const std::string images = (dir / "train-images-idx3-ubyte.gz").string();
  const std::string labels = (dir / "train-labels-idx1-ubyte.gz").string();
  QVERIFY2(std::filesystem::exists(images) && std::filesystem::exists(labels),
           "Fashion-MNIST is missing: run scripts/bootstrap.sh (installs dataset-fashion-mnist)");
  IdxCacheReport first, second;
  const DataSet cold = readIdxCached(images, labels, cacheDir_, &first);
  QVERIFY2(first.written, first.problem.c_str());
  const DataSet warm = readIdxCached(images, labels, cacheDir_, &second);
  QVERIFY2(second.hit, second.problem.c_str());
  QCOMPARE(warm.size(), size_t{60000});
  QCOMPARE(warm.dims(), 784);
  QCOMPARE(warm.numClasses, 10);
  QVERIFY(sameData(warm, cold));

  // The loader end to end: normalised train and test sets identical on the second load.
  CacheHome home(cacheDir_);
  Conf c;
  c.dataset = "fashion-mnist";
  const TrainTestData a = loadTrainTest(c);
  const TrainTestData b = loadTrainTest(c);
  QCOMPARE(b.test.size(), size_t{10000});
  QVERIFY(sameData(a.train, b.train));
  QVERIFY(sameData(a.test, b.test));
  QVERIFY(b.notes.empty());
}

QTEST_GUILESS_MAIN(TestIdxCache)
#include "test_idx_cache.moc"
