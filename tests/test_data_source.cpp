// loadTrainTest: held-out splits, normalisation fitted on train, IDX pairs, error paths.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include <QTemporaryDir>
#include <QtTest>

#include "fixtures/error_of.h"
#include "config/conf.h"
#include "data/data_source.h"
#include "fixtures/data_files.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

using scaleout::fixtures::errorOf;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// rows lines "id,id*0.5+3,(id*37)%11,label": column 0 is a unique id per row.
std::string csvRows(int rows) {
  std::string text = "id,f1,f2,label\n";
  for (int r = 0; r < rows; ++r) {
    text += std::to_string(r) + "," + std::to_string(r * 0.5 + 3) + "," + std::to_string((r * 37) % 11) + "," +
            std::to_string(r % 4) + "\n";
  }
  return text;
}

Conf csvConf(const std::string& path, const std::string& normalize) {
  Conf conf;
  conf.dataset = "csv";
  conf.trainData = path;
  conf.labelColumn = -1;
  conf.testFraction = 0.2;
  conf.normalize = normalize;
  conf.seed = 7;
  return conf;
}

std::set<int> ids(const DataSet& data) {
  std::set<int> out;
  for (size_t r = 0; r < data.size(); ++r) out.insert(int(std::lround(data.features(Eigen::Index(r), 0))));
  return out;
}

}  // namespace

class TestDataSource : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void heldOutSplitIsDisjointAndComplete();
  void splitIsSeeded();
  void zeroTestFraction();
  void maxTrainSamplesAfterSplit();
  void scaleGivesUnitRangeOnTrain();
  void zscoreGivesZeroMeanUnitStdOnTrain();
  void idxWithExplicitTestFiles();
  void idxTestOnlyHalfGiven();
  void idxMissingFileNamed();
  void testDimsMustMatchTrain();
  void numClassesIsMaxOfBoth();
  void csvTestFileNumbersNamesAsTraining();
  void csvNotesSurviveTheHoldOut();
  void csvNamesInTestButNumbersInTrain();

 private:
  QTemporaryDir dir_;
  std::string csv100_;
};

void TestDataSource::initTestCase() {
  QVERIFY(dir_.isValid());
  csv100_ = writeText(dir_, "rows100.csv", csvRows(100));
}

void TestDataSource::heldOutSplitIsDisjointAndComplete() {
  const TrainTestData data = loadTrainTest(csvConf(csv100_, "none"));
  QCOMPARE(data.train.size(), size_t{80});
  QCOMPARE(data.test.size(), size_t{20});
  QCOMPARE(data.train.dims(), 3);
  QCOMPARE(data.test.dims(), 3);
  const std::set<int> train = ids(data.train);
  const std::set<int> test = ids(data.test);
  QCOMPARE(train.size(), size_t{80});
  QCOMPARE(test.size(), size_t{20});
  std::set<int> all = train;
  all.insert(test.begin(), test.end());
  QCOMPARE(all.size(), size_t{100});
  QCOMPARE(*all.begin(), 0);
  QCOMPARE(*all.rbegin(), 99);
  // Labels travel with their rows.
  for (size_t r = 0; r < data.test.size(); ++r) {
    QCOMPARE(data.test.labels[r], int(data.test.features(Eigen::Index(r), 0)) % 4);
  }
  QCOMPARE(data.train.numClasses, 4);
  QCOMPARE(data.test.numClasses, 4);
}

void TestDataSource::splitIsSeeded() {
  Conf conf = csvConf(csv100_, "none");
  const std::set<int> first = ids(loadTrainTest(conf).test);
  QCOMPARE(ids(loadTrainTest(conf).test), first);
  conf.seed = 8;
  QVERIFY(ids(loadTrainTest(conf).test) != first);
}

void TestDataSource::zeroTestFraction() {
  Conf conf = csvConf(csv100_, "scale");
  conf.testFraction = 0;
  const TrainTestData data = loadTrainTest(conf);
  QCOMPARE(data.train.size(), size_t{100});
  QCOMPARE(data.test.size(), size_t{0});
}

void TestDataSource::maxTrainSamplesAfterSplit() {
  Conf conf = csvConf(csv100_, "none");
  conf.maxTrainSamples = 30;
  const TrainTestData data = loadTrainTest(conf);
  QCOMPARE(data.train.size(), size_t{30});
  QCOMPARE(data.train.labels.size(), size_t{30});
  QCOMPARE(data.test.size(), size_t{20});  // the held-out part is untouched
  const std::set<int> train = ids(data.train);
  for (int id : ids(data.test)) QVERIFY(!train.count(id));
}

void TestDataSource::scaleGivesUnitRangeOnTrain() {
  const TrainTestData data = loadTrainTest(csvConf(csv100_, "scale"));
  QCOMPARE(data.normalizer.mode, Normalization::Scale);
  for (int c = 0; c < data.train.dims(); ++c) {
    QCOMPARE(data.train.features.col(c).minCoeff(), 0.0f);
    QVERIFY(std::abs(data.train.features.col(c).maxCoeff() - 1.0f) < 1e-6f);
  }
}

void TestDataSource::zscoreGivesZeroMeanUnitStdOnTrain() {
  const TrainTestData data = loadTrainTest(csvConf(csv100_, "zscore"));
  const auto& x = data.train.features;
  for (int c = 0; c < data.train.dims(); ++c) {
    const double mean = x.col(c).cast<double>().mean();
    const double var = (x.col(c).cast<double>().array() - mean).square().mean();
    QVERIFY2(std::abs(mean) < 1e-5, qPrintable(QString::number(mean)));
    QVERIFY2(std::abs(std::sqrt(var) - 1.0) < 1e-4, qPrintable(QString::number(std::sqrt(var))));
  }
  // The test set is transformed with the train statistics, not its own.
  const Normalizer& n = data.normalizer;
  QCOMPARE(n.offset.size(), Eigen::Index{3});
  QVERIFY(n.scale[0] > 0);
}

void TestDataSource::idxWithExplicitTestFiles() {
  const IdxPair train = makeIdxPair(40, 2, 3, 5);
  const IdxPair test = makeIdxPair(15, 2, 3, 5);
  Conf conf;
  conf.dataset = "idx";
  conf.trainData = pathIn(dir_, "idx-train-images.gz");
  conf.trainLabels = pathIn(dir_, "idx-train-labels.gz");
  conf.testData = pathIn(dir_, "idx-test-images");
  conf.testLabels = pathIn(dir_, "idx-test-labels");
  conf.normalize = "none";
  conf.testFraction = 0.5;  // ignored: test files are given
  writeGzFile(conf.trainData, train.imageFile);
  writeGzFile(conf.trainLabels, train.labelFile);
  writeFile(conf.testData, test.imageFile);
  writeFile(conf.testLabels, test.labelFile);
  const TrainTestData data = loadTrainTest(conf);
  QCOMPARE(data.train.size(), size_t{40});
  QCOMPARE(data.test.size(), size_t{15});
  QCOMPARE(data.train.dims(), 6);
  QCOMPARE(data.train.imageRows, 2);
  QCOMPARE(data.test.imageCols, 3);
  QCOMPARE(data.test.features(14, 5), float(test.pixels[14 * 6 + 5]));
  QCOMPARE(data.test.labels[14], int(test.labels[14]));

  conf.normalize = "scale";
  const TrainTestData scaled = loadTrainTest(conf);
  QCOMPARE(scaled.train.features.minCoeff(), 0.0f);
  QCOMPARE(scaled.train.features.maxCoeff(), 1.0f);
}

void TestDataSource::idxTestOnlyHalfGiven() {
  const IdxPair train = makeIdxPair(10, 2, 2, 2);
  Conf conf;
  conf.dataset = "idx";
  conf.trainData = pathIn(dir_, "half-images");
  conf.trainLabels = pathIn(dir_, "half-labels");
  writeFile(conf.trainData, train.imageFile);
  writeFile(conf.trainLabels, train.labelFile);
  conf.testData = conf.trainData;
  const std::string message = errorOf([&] { loadTrainTest(conf); });
  QVERIFY2(contains(message, "testLabels"), message.c_str());
  QVERIFY2(contains(message, "both set or both empty"), message.c_str());
}

void TestDataSource::idxMissingFileNamed() {
  const IdxPair train = makeIdxPair(10, 2, 2, 2);
  Conf conf;
  conf.dataset = "idx";
  conf.trainData = pathIn(dir_, "present-images");
  conf.trainLabels = pathIn(dir_, "absent-labels");
  writeFile(conf.trainData, train.imageFile);
  const std::string message = errorOf([&] { loadTrainTest(conf); });
  QVERIFY2(contains(message, conf.trainLabels), message.c_str());
  QVERIFY2(contains(message, "no such file"), message.c_str());
}

void TestDataSource::testDimsMustMatchTrain() {
  Conf conf = csvConf(csv100_, "none");
  conf.testData = writeText(dir_, "narrow-test.csv", "1,2,0\n3,4,1\n");
  const std::string message = errorOf([&] { loadTrainTest(conf); });
  QVERIFY2(contains(message, conf.testData), message.c_str());
  QVERIFY2(contains(message, "has 2 columns per sample, expected 3"), message.c_str());
}

void TestDataSource::numClassesIsMaxOfBoth() {
  Conf conf = csvConf(writeText(dir_, "few-classes.csv", "1,2,0\n3,4,1\n5,6,1\n"), "none");
  conf.testData = writeText(dir_, "more-classes.csv", "1,2,6\n");
  const TrainTestData data = loadTrainTest(conf);
  QCOMPARE(data.train.numClasses, 7);
  QCOMPARE(data.test.numClasses, 7);
}

void TestDataSource::csvTestFileNumbersNamesAsTraining() {
  Conf conf = csvConf(writeText(dir_, "train-names.csv", "1,2,b\n3,4,a\n5,6,b\n"), "none");
  conf.testData = writeText(dir_, "test-names.csv", "5,6,a\n7,8,c\n");
  const TrainTestData data = loadTrainTest(conf);
  QCOMPARE(data.train.labels, (std::vector<int>{0, 1, 0}));
  QCOMPARE(data.test.labels, (std::vector<int>{1, 2}));
  // "c" only occurs in the test file: it gets the next number and an output unit.
  QCOMPARE(data.train.classNames, (std::vector<std::string>{"b", "a", "c"}));
  QCOMPARE(data.train.numClasses, 3);
  QCOMPARE(data.test.numClasses, 3);
  QCOMPARE(data.notes.size(), size_t{2});  // one naming note per file
}

void TestDataSource::csvNotesSurviveTheHoldOut() {
  std::string text = "x;y;kind\n";
  for (int r = 0; r < 20; ++r) text += std::to_string(r) + ";" + std::to_string(r % 3) + ";" + (r % 2 ? "odd" : "even") + "\n";
  const TrainTestData data = loadTrainTest(csvConf(writeText(dir_, "semi.csv", text), "none"));
  QCOMPARE(data.train.size() + data.test.size(), size_t{20});
  QCOMPARE(data.train.classNames, (std::vector<std::string>{"even", "odd"}));
  QCOMPARE(data.test.classNames, data.train.classNames);
  std::string all;
  for (const std::string& note : data.notes) all += note + "\n";
  QVERIFY2(contains(all, "separated by ';'"), all.c_str());
  QVERIFY2(contains(all, "taken as a header"), all.c_str());
  QVERIFY2(contains(all, "0=even, 1=odd"), all.c_str());
}

void TestDataSource::csvNamesInTestButNumbersInTrain() {
  Conf conf = csvConf(writeText(dir_, "train-numbers.csv", "1,2,0\n3,4,1\n"), "none");
  conf.testData = writeText(dir_, "test-words.csv", "5,6,cat\n");
  const std::string message = errorOf([&] { loadTrainTest(conf); });
  QVERIFY2(contains(message, conf.testData), message.c_str());
  QVERIFY2(contains(message, "same kind of label"), message.c_str());
}

QTEST_GUILESS_MAIN(TestDataSource)
#include "test_data_source.moc"
