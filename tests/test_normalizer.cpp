// Normalizer: fit on train, apply to train and test, for scale, zscore and none; constant
// columns, image data's shared range, and the errors it raises.
#include <cmath>
#include <string>

#include <QtTest>

#include "fixtures/error_of.h"
#include "data/normalizer.h"
#include "util/error.h"

using namespace scaleout;

namespace {

// Column 0: 1,3,5 (range 4, mean 3); column 1 constant 7; column 2: -2,0,2 (range 4, mean 0).
DataSet trainSet() {
  DataSet d;
  d.features.resize(3, 3);
  d.features << 1, 7, -2,
                3, 7, 0,
                5, 7, 2;
  d.source = "train.csv";
  return d;
}

RowMatrix rows(std::initializer_list<std::initializer_list<float>> values) {
  RowMatrix m(static_cast<Eigen::Index>(values.size()), static_cast<Eigen::Index>(values.begin()->size()));
  Eigen::Index r = 0;
  for (const auto& row : values) {
    Eigen::Index c = 0;
    for (float v : row) m(r, c++) = v;
    ++r;
  }
  return m;
}

void checkNear(const RowMatrix& actual, const RowMatrix& expected) {
  QCOMPARE(actual.rows(), expected.rows());
  QCOMPARE(actual.cols(), expected.cols());
  for (Eigen::Index i = 0; i < actual.size(); ++i) {
    QVERIFY2(std::abs(actual.data()[i] - expected.data()[i]) < 1e-5f,
             qPrintable(QString("element %1: %2, expected %3").arg(i).arg(actual.data()[i]).arg(expected.data()[i])));
  }
}

using scaleout::fixtures::errorOf;

}  // namespace

class TestNormalizer : public QObject {
  Q_OBJECT

 private slots:
  // Train maps to [0,1]; the constant column to 0, not NaN; test values outside the
  // train range are not clipped, and a constant column stays 0 whatever the test value.
  void scaleMapsTrainRangeToUnit() {
    const Normalizer n = Normalizer::fit(trainSet(), Normalization::Scale);
    RowMatrix train = trainSet().features;
    n.apply(train);
    checkNear(train, rows({{0, 0, 0}, {0.5f, 0, 0.5f}, {1, 0, 1}}));
    RowMatrix test = rows({{9, 8, -4}});
    n.apply(test);
    checkNear(test, rows({{2, 0, -0.5f}}));
  }

  // Population std (divide by n): column 0 has sd sqrt(8/3), so 1 and 5 map to -/+sqrt(1.5).
  // A constant column gets scale 1: train maps to 0, a test value to its distance from the mean.
  void zscoreUsesTrainMeanAndStd() {
    const Normalizer n = Normalizer::fit(trainSet(), Normalization::ZScore);
    const float z = std::sqrt(1.5f);
    RowMatrix train = trainSet().features;
    n.apply(train);
    checkNear(train, rows({{-z, 0, -z}, {0, 0, 0}, {z, 0, z}}));
    RowMatrix test = rows({{7, 8, 4}});
    n.apply(test);
    checkNear(test, rows({{2 * z, 1, 2 * z}}));
  }

  // Image data shares one min/max over all pixels: a per-column range would map pixel 0's
  // 5 to 1, not 0.05.
  void scaleOnImagesUsesOneRangeForAllPixels() {
    DataSet images;
    images.features = rows({{0, 10, 20}, {5, 50, 100}});
    images.imageRows = 1;
    images.imageCols = 3;
    const Normalizer n = Normalizer::fit(images, Normalization::Scale);
    RowMatrix x = images.features;
    n.apply(x);
    checkNear(x, rows({{0, 0.1f, 0.2f}, {0.05f, 0.5f, 1}}));
  }

  // "none" changes nothing and checks nothing, not even the column count.
  void noneLeavesDataUnchanged() {
    DataSet empty;
    empty.features.resize(0, 3);
    const Normalizer n = Normalizer::fit(empty, Normalization::None);
    QCOMPARE(n.offset.size(), Eigen::Index(3));
    RowMatrix x = rows({{9, -8}});
    n.apply(x);
    checkNear(x, rows({{9, -8}}));
  }

  void errorsNameTheProblem() {
    QVERIFY(errorOf([] { Normalizer::fit(trainSet(), parseChoice<Normalization>("normalize", "minmax")); })
                .find("normalize: unknown value 'minmax'") != std::string::npos);
    DataSet empty;
    empty.features.resize(0, 3);
    empty.source = "empty.csv";
    for (Normalization mode : {Normalization::Scale, Normalization::ZScore}) {
      const std::string e = errorOf([&] { Normalizer::fit(empty, mode); });
      QVERIFY2(e.find("empty.csv has no samples") != std::string::npos, e.c_str());
    }
    // Test data with a different column count is refused, not read out of bounds.
    const Normalizer n = Normalizer::fit(trainSet(), Normalization::ZScore);
    RowMatrix narrow = rows({{1, 2}});
    const std::string e = errorOf([&] { n.apply(narrow); });
    QVERIFY2(e.find("data has 2 columns, expected 3") != std::string::npos, e.c_str());
  }
};

QTEST_GUILESS_MAIN(TestNormalizer)
#include "test_normalizer.moc"
