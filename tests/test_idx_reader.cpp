// readIdx: exact values from plain and gzip files, and one message check per kind of damage.
#include <filesystem>
#include <string>

#include <QTemporaryDir>
#include <QtTest>

#include "fixtures/error_of.h"
#include "data/data_source.h"
#include "data/readers.h"
#include "fixtures/data_files.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

// The message of the ScaleoutError that `fn` throws, or "" if it does not throw.
using scaleout::fixtures::errorOf;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class TestIdxReader : public QObject {
  Q_OBJECT

 private slots:
  void readsExactValues_data();
  void readsExactValues();
  void rank2ImagesHaveNoImageShape();
  void missingFile();
  void truncatedImages();
  void truncatedLabels();
  void truncatedGzip();
  void wrongMagic();
  void unsupportedElementType();
  void labelsFileAsImages();
  void countMismatch();
  void absurdHeaderDims();
  void trailingData();
  void realFashionMnistTestSet();

 private:
  QTemporaryDir dir_;
};

void TestIdxReader::readsExactValues_data() {
  QTest::addColumn<bool>("gzip");
  QTest::newRow("plain") << false;
  QTest::newRow("gz") << true;
}

void TestIdxReader::readsExactValues() {
  QFETCH(bool, gzip);
  const IdxPair pair = makeIdxPair(50, 4, 3, 7);
  const std::string images = pathIn(dir_, gzip ? "exact-images.gz" : "exact-images");
  const std::string labels = pathIn(dir_, gzip ? "exact-labels.gz" : "exact-labels");
  if (gzip) {
    writeGzFile(images, pair.imageFile);
    writeGzFile(labels, pair.labelFile);
  } else {
    writeFile(images, pair.imageFile);
    writeFile(labels, pair.labelFile);
  }
  const DataSet data = readIdx(images, labels);
  QCOMPARE(data.size(), size_t{50});
  QCOMPARE(data.dims(), 12);
  QCOMPARE(data.imageRows, 4);
  QCOMPARE(data.imageCols, 3);
  QCOMPARE(data.numClasses, 7);
  QCOMPARE(data.source, images);
  for (int s = 0; s < 50; ++s) {
    QCOMPARE(data.labels[s], int(pair.labels[s]));
    for (int i = 0; i < 12; ++i) QCOMPARE(data.features(s, i), float(pair.pixels[s * 12 + i]));
  }
}

void TestIdxReader::rank2ImagesHaveNoImageShape() {
  const std::vector<uint8_t> pixels = {1, 2, 3, 4, 5, 6};
  writeFile(pathIn(dir_, "r2-images"), idxBytes({2, 3}, pixels));
  writeFile(pathIn(dir_, "r2-labels"), idxBytes({2}, {0, 4}));
  const DataSet data = readIdx(pathIn(dir_, "r2-images"), pathIn(dir_, "r2-labels"));
  QCOMPARE(data.dims(), 3);
  QCOMPARE(data.imageRows, 0);
  QCOMPARE(data.numClasses, 5);
  QCOMPARE(data.features(1, 2), 6.0f);
}

void TestIdxReader::missingFile() {
  const IdxPair pair = makeIdxPair(3, 2, 2, 2);
  writeFile(pathIn(dir_, "m-labels"), pair.labelFile);
  const std::string missing = pathIn(dir_, "does-not-exist-images");
  const std::string message = errorOf([&] { readIdx(missing, pathIn(dir_, "m-labels")); });
  QVERIFY2(contains(message, missing), message.c_str());
  QVERIFY2(contains(message, "no such file"), message.c_str());
}

void TestIdxReader::truncatedImages() {
  const IdxPair pair = makeIdxPair(10, 5, 5, 3);
  writeFile(pathIn(dir_, "t-images"), pair.imageFile.left(16 + 100));  // 250 payload bytes declared
  writeFile(pathIn(dir_, "t-labels"), pair.labelFile);
  const std::string message = errorOf([&] { readIdx(pathIn(dir_, "t-images"), pathIn(dir_, "t-labels")); });
  QVERIFY2(contains(message, pathIn(dir_, "t-images")), message.c_str());
  QVERIFY2(contains(message, "truncated"), message.c_str());
  QVERIFY2(contains(message, "expected 250 bytes, got 100"), message.c_str());
}

void TestIdxReader::truncatedLabels() {
  const IdxPair pair = makeIdxPair(10, 5, 5, 3);
  writeFile(pathIn(dir_, "tl-images"), pair.imageFile);
  writeFile(pathIn(dir_, "tl-labels"), pair.labelFile.left(8 + 6));
  const std::string message = errorOf([&] { readIdx(pathIn(dir_, "tl-images"), pathIn(dir_, "tl-labels")); });
  QVERIFY2(contains(message, pathIn(dir_, "tl-labels")), message.c_str());
  QVERIFY2(contains(message, "truncated"), message.c_str());
  QVERIFY2(contains(message, "expected 10 bytes, got 6"), message.c_str());
}

void TestIdxReader::truncatedGzip() {
  // A gzip stream cut mid-way must read as a truncation, not as a crash or a zlib code.
  const IdxPair pair = makeIdxPair(200, 10, 10, 3);
  const std::string whole = pathIn(dir_, "whole.gz");
  writeGzFile(whole, pair.imageFile);
  QFile file(QString::fromStdString(whole));
  QVERIFY(file.open(QIODevice::ReadOnly));
  const QByteArray compressed = file.readAll();
  writeFile(pathIn(dir_, "cut-images.gz"), compressed.left(compressed.size() / 2));
  writeFile(pathIn(dir_, "cut-labels"), pair.labelFile);
  const std::string message =
      errorOf([&] { readIdx(pathIn(dir_, "cut-images.gz"), pathIn(dir_, "cut-labels")); });
  QVERIFY2(contains(message, pathIn(dir_, "cut-images.gz")), message.c_str());
  QVERIFY2(contains(message, "truncated"), message.c_str());
  QVERIFY2(contains(message, "expected 20000 bytes"), message.c_str());
}

void TestIdxReader::wrongMagic() {
  const IdxPair pair = makeIdxPair(3, 2, 2, 2);
  QByteArray bad = pair.imageFile;
  bad[0] = char(0x12);
  bad[1] = char(0x34);
  writeFile(pathIn(dir_, "magic-images"), bad);
  writeFile(pathIn(dir_, "magic-labels"), pair.labelFile);
  const std::string message =
      errorOf([&] { readIdx(pathIn(dir_, "magic-images"), pathIn(dir_, "magic-labels")); });
  QVERIFY2(contains(message, pathIn(dir_, "magic-images")), message.c_str());
  QVERIFY2(contains(message, "wrong magic 0x12340803"), message.c_str());
  QVERIFY2(contains(message, "expected 0x00000803"), message.c_str());
}

void TestIdxReader::unsupportedElementType() {
  QByteArray floats;
  appendBigEndian32(floats, 0x00000D03);  // float images
  for (uint32_t d : {1u, 1u, 1u}) appendBigEndian32(floats, d);
  floats.append(4, '\0');
  writeFile(pathIn(dir_, "float-images"), floats);
  writeFile(pathIn(dir_, "float-labels"), idxBytes({1}, {0}));
  const std::string message =
      errorOf([&] { readIdx(pathIn(dir_, "float-images"), pathIn(dir_, "float-labels")); });
  QVERIFY2(contains(message, "0x00000D03"), message.c_str());
  QVERIFY2(contains(message, "float"), message.c_str());
  QVERIFY2(contains(message, "not supported"), message.c_str());
}

void TestIdxReader::labelsFileAsImages() {
  const IdxPair pair = makeIdxPair(3, 2, 2, 2);
  writeFile(pathIn(dir_, "swap-images"), pair.imageFile);
  writeFile(pathIn(dir_, "swap-labels"), pair.labelFile);
  const std::string message =
      errorOf([&] { readIdx(pathIn(dir_, "swap-labels"), pathIn(dir_, "swap-images")); });
  QVERIFY2(contains(message, pathIn(dir_, "swap-labels")), message.c_str());
  QVERIFY2(contains(message, "wrong magic 0x00000801"), message.c_str());
  QVERIFY2(contains(message, "expected 0x00000803"), message.c_str());
}

void TestIdxReader::countMismatch() {
  const IdxPair images = makeIdxPair(12, 2, 2, 3);
  const IdxPair labels = makeIdxPair(11, 2, 2, 3);
  writeFile(pathIn(dir_, "cm-images"), images.imageFile);
  writeFile(pathIn(dir_, "cm-labels"), labels.labelFile);
  const std::string message = errorOf([&] { readIdx(pathIn(dir_, "cm-images"), pathIn(dir_, "cm-labels")); });
  QVERIFY2(contains(message, "12 images"), message.c_str());
  QVERIFY2(contains(message, "11 labels"), message.c_str());
  QVERIFY2(contains(message, pathIn(dir_, "cm-labels")), message.c_str());
}

void TestIdxReader::absurdHeaderDims() {
  QByteArray huge;
  appendBigEndian32(huge, 0x00000803);
  for (uint32_t d : {4000000000u, 60000u, 60000u}) appendBigEndian32(huge, d);
  writeFile(pathIn(dir_, "huge-images"), huge);
  writeFile(pathIn(dir_, "huge-labels"), idxBytes({1}, {0}));
  const std::string message = errorOf([&] { readIdx(pathIn(dir_, "huge-images"), pathIn(dir_, "huge-labels")); });
  QVERIFY2(contains(message, pathIn(dir_, "huge-images")), message.c_str());
  QVERIFY2(contains(message, "4000000000 x 60000 x 60000"), message.c_str());
  QVERIFY2(contains(message, "limit"), message.c_str());
}

void TestIdxReader::trailingData() {
  const IdxPair pair = makeIdxPair(3, 2, 2, 2);
  writeFile(pathIn(dir_, "long-images"), pair.imageFile + QByteArray(5, 'x'));
  writeFile(pathIn(dir_, "long-labels"), pair.labelFile);
  const std::string message =
      errorOf([&] { readIdx(pathIn(dir_, "long-images"), pathIn(dir_, "long-labels")); });
  QVERIFY2(contains(message, pathIn(dir_, "long-images")), message.c_str());
  QVERIFY2(contains(message, "declares 12 bytes"), message.c_str());
}

void TestIdxReader::realFashionMnistTestSet() {
  const std::filesystem::path dir(kFashionMnistDir);
  const std::string images = (dir / "t10k-images-idx3-ubyte.gz").string();
  const std::string labels = (dir / "t10k-labels-idx1-ubyte.gz").string();
  if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) {
    QSKIP("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
  }
  const DataSet data = readIdx(images, labels);
  QCOMPARE(data.size(), size_t{10000});
  QCOMPARE(data.dims(), 784);
  QCOMPARE(data.numClasses, 10);
  QCOMPARE(data.imageRows, 28);
  QCOMPARE(data.imageCols, 28);
  QCOMPARE(data.features.minCoeff(), 0.0f);
  QCOMPARE(data.features.maxCoeff(), 255.0f);
}

QTEST_GUILESS_MAIN(TestIdxReader)
#include "test_idx_reader.moc"
