// histogramOf: the model-health charts' histograms. Four interleaved sets of counts must
// give exactly the counts of the plain one-at-a-time loop, for any length and spread.
#include <algorithm>
#include <random>
#include <vector>

#include <QtTest>

#include "train/model_stats.h"

using namespace scaleout;

namespace {

// The definition: bin = floor((x - min) / width), the maximum in the last bin.
std::array<int, kHistogramBins> plainCounts(const std::vector<float>& v) {
  std::array<int, kHistogramBins> counts{};
  const float lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  const float width = (hi - lo) / kHistogramBins;
  for (float x : v) {
    const int bin = width > 0 ? static_cast<int>((x - lo) * (1.0f / width)) : 0;
    counts[static_cast<size_t>(std::clamp(bin, 0, kHistogramBins - 1))]++;
  }
  return counts;
}

}  // namespace

class TestModelStats : public QObject {
  Q_OBJECT

 private slots:
  void histogramCountsEveryValueOnce_data() {
    QTest::addColumn<int>("count");
    QTest::addColumn<float>("spread");
    QTest::newRow("one value") << 1 << 1.0f;
    QTest::newRow("three (no group of four)") << 3 << 1.0f;
    QTest::newRow("4k + 3") << 4099 << 0.05f;
    QTest::newRow("a layer of weights") << 784 * 100 << 0.1f;
    QTest::newRow("all equal") << 1001 << 0.0f;
  }
  void histogramCountsEveryValueOnce() {
    QFETCH(int, count);
    QFETCH(float, spread);
    std::mt19937 rng(static_cast<unsigned>(count));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(count));
    for (float& x : v) x = 0.25f + spread * normal(rng);
    const Histogram h = histogramOf(v.data(), v.size());
    QCOMPARE(h.min, *std::min_element(v.begin(), v.end()));
    QCOMPARE(h.max, *std::max_element(v.begin(), v.end()));
    QVERIFY(h.counts == plainCounts(v));
    int total = 0;
    for (int c : h.counts) total += c;
    QCOMPARE(total, count);
    if (spread == 0.0f) QCOMPARE(h.counts[0], count);
  }

  void emptyHistogramIsZero() {
    const Histogram h = histogramOf(nullptr, 0);
    for (int c : h.counts) QCOMPARE(c, 0);
  }
};

QTEST_GUILESS_MAIN(TestModelStats)
#include "test_model_stats.moc"
