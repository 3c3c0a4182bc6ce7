// shuffledIndices, gatherBatch and BatchIterator: permutations, seeding, epoch coverage.
#include <algorithm>
#include <numeric>
#include <vector>

#include <QtTest>

#include "data/batches.h"
#include "util/rng.h"

using namespace scaleout;

namespace {

// n samples of `dims` columns where feature (s, c) = s * 1000 + c, label s % 10.
DataSet numbered(int n, int dims) {
  DataSet data;
  data.features.resize(n, dims);
  data.labels.resize(n);
  for (int s = 0; s < n; ++s) {
    for (int c = 0; c < dims; ++c) data.features(s, c) = float(s * 1000 + c);
    data.labels[s] = s % 10;
  }
  data.numClasses = 10;
  data.source = "numbered";
  return data;
}

bool isPermutation(std::vector<uint32_t> order, size_t n) {
  if (order.size() != n) return false;
  std::sort(order.begin(), order.end());
  for (size_t i = 0; i < n; ++i) {
    if (order[i] != i) return false;
  }
  return true;
}

}  // namespace

class TestBatches : public QObject {
  Q_OBJECT

 private slots:
  void shuffleIsPermutation_data();
  void shuffleIsPermutation();
  void shuffleIsSeeded();
  void shuffleIsUniformEnough();
  void gatherCopiesRowsAndLabels();
  void gatherReusesStorage();
  void iteratorCoversEpochOnce();
  void iteratorReshufflesEachEpoch();
};

void TestBatches::shuffleIsPermutation_data() {
  QTest::addColumn<int>("n");
  QTest::newRow("empty") << 0;
  QTest::newRow("one") << 1;
  QTest::newRow("two") << 2;
  QTest::newRow("many") << 10007;
}

void TestBatches::shuffleIsPermutation() {
  QFETCH(int, n);
  Rng rng(5);
  QVERIFY(isPermutation(shuffledIndices(size_t(n), rng), size_t(n)));
}

void TestBatches::shuffleIsSeeded() {
  Rng a(42), b(42), c(43);
  const auto first = shuffledIndices(1000, a);
  QCOMPARE(shuffledIndices(1000, b), first);
  QVERIFY(shuffledIndices(1000, c) != first);
  std::vector<uint32_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0u);
  QVERIFY(first != identity);
}

void TestBatches::shuffleIsUniformEnough() {
  // Each of 4 values should land first about 1/4 of the time; 8000 draws give sd ~39.
  Rng rng(9);
  int firstCount[4] = {0, 0, 0, 0};
  for (int t = 0; t < 8000; ++t) ++firstCount[shuffledIndices(4, rng)[0]];
  for (int v = 0; v < 4; ++v) QVERIFY2(std::abs(firstCount[v] - 2000) < 200, qPrintable(QString::number(firstCount[v])));
}

void TestBatches::gatherCopiesRowsAndLabels() {
  const DataSet data = numbered(20, 37);
  const std::vector<uint32_t> rows = {7, 0, 19, 7, 3};
  Batch batch;
  gatherBatch(data, rows.data(), rows.size(), batch);
  QCOMPARE(batch.size(), size_t{5});
  QCOMPARE(batch.x.rows(), Eigen::Index{5});
  QCOMPARE(batch.x.cols(), Eigen::Index{37});
  for (size_t i = 0; i < rows.size(); ++i) {
    QCOMPARE(batch.y[i], int(rows[i] % 10));
    for (int c = 0; c < 37; ++c) QCOMPARE(batch.x(Eigen::Index(i), c), float(rows[i] * 1000 + c));
  }
}

void TestBatches::gatherReusesStorage() {
  const DataSet data = numbered(20, 8);
  const std::vector<uint32_t> rows = {1, 2, 3, 4};
  Batch batch;
  gatherBatch(data, rows.data(), 4, batch);
  gatherBatch(data, rows.data() + 1, 3, batch);  // short batch: new shape
  QCOMPARE(batch.x.rows(), Eigen::Index{3});
  QCOMPARE(batch.x(0, 5), 2005.0f);
  gatherBatch(data, rows.data(), 3, batch);
  const float* reused = batch.x.data();
  gatherBatch(data, rows.data() + 1, 3, batch);  // same shape: same buffer
  QCOMPARE(batch.x.data(), reused);
  QCOMPARE(batch.x(2, 7), 4007.0f);
}

void TestBatches::iteratorCoversEpochOnce() {
  const DataSet data = numbered(103, 3);
  Rng rng(1);
  BatchIterator it(data, 10, rng);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int> seen(103, 0);
    std::vector<size_t> sizes;
    Batch batch;
    while (it.next(batch)) {
      sizes.push_back(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        const int sample = int(batch.x(Eigen::Index(i), 0)) / 1000;
        QCOMPARE(batch.y[i], sample % 10);
        ++seen[sample];
      }
    }
    QCOMPARE(sizes.size(), size_t{11});
    QCOMPARE(sizes.back(), size_t{3});
    QVERIFY(std::all_of(seen.begin(), seen.end(), [](int count) { return count == 1; }));
    QVERIFY(!it.next(batch));  // stays at the end until the next epoch starts
    it.startEpoch();
  }
}

void TestBatches::iteratorReshufflesEachEpoch() {
  const DataSet data = numbered(103, 2);
  Rng rng(1);
  BatchIterator it(data, 10, rng);
  const std::vector<uint32_t> first = it.order();
  QVERIFY(isPermutation(first, 103));
  it.startEpoch();
  QVERIFY(isPermutation(it.order(), 103));
  QVERIFY(it.order() != first);

  // The same seed replays the same epochs.
  Rng again(1);
  BatchIterator replay(data, 10, again);
  QCOMPARE(replay.order(), first);
}

QTEST_GUILESS_MAIN(TestBatches)
#include "test_batches.moc"
