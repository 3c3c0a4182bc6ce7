// readCsv: headers, label placement, line endings, and the line/column of each kind of bad cell.
#include <string>

#include <QTemporaryDir>
#include <QtTest>

#include "data/readers.h"
#include "fixtures/data_files.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

template <typename Fn>
std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const ScaleoutError& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class TestCsvReader : public QObject {
  Q_OBJECT

 private slots:
  void withHeader();
  void withoutHeader();
  void labelColumn_data();
  void labelColumn();
  void crlfAndBlankLines();
  void nonNumericCell();
  void raggedRow();
  void badLabel_data();
  void badLabel();
  void labelColumnOutOfRange();
  void missingFile();
  void emptyFile();
  void headerOnly();

 private:
  QTemporaryDir dir_;
};

void TestCsvReader::withHeader() {
  const std::string path = writeText(dir_, "header.csv", "a,b,label\n1.5,-2,0\n3,4e1,2\n");
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{2});
  QCOMPARE(data.dims(), 2);
  QCOMPARE(data.features(0, 0), 1.5f);
  QCOMPARE(data.features(0, 1), -2.0f);
  QCOMPARE(data.features(1, 1), 40.0f);
  QCOMPARE(data.labels, (std::vector<int>{0, 2}));
  QCOMPARE(data.numClasses, 3);
  QCOMPARE(data.source, path);
}

void TestCsvReader::withoutHeader() {
  const std::string path = writeText(dir_, "noheader.csv", "1,2,1\n3,4,0\n5,6,1");  // no final newline
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{3});
  QCOMPARE(data.features(2, 0), 5.0f);
  QCOMPARE(data.features(2, 1), 6.0f);
  QCOMPARE(data.labels, (std::vector<int>{1, 0, 1}));
  QCOMPARE(data.numClasses, 2);
}

void TestCsvReader::labelColumn_data() {
  QTest::addColumn<int>("column");
  QTest::addColumn<std::vector<int>>("labels");
  QTest::addColumn<float>("firstFeature");
  // Rows: "4,10,20,1" and "3,11,21,2".
  QTest::newRow("first") << 0 << std::vector<int>{4, 3} << 10.0f;
  QTest::newRow("middle") << 1 << std::vector<int>{10, 11} << 4.0f;
  QTest::newRow("last explicit") << 3 << std::vector<int>{1, 2} << 4.0f;
  QTest::newRow("last by -1") << -1 << std::vector<int>{1, 2} << 4.0f;
}

void TestCsvReader::labelColumn() {
  QFETCH(int, column);
  QFETCH(std::vector<int>, labels);
  QFETCH(float, firstFeature);
  const std::string path = writeText(dir_, "labelcol.csv", "4,10,20,1\n3,11,21,2\n");
  const DataSet data = readCsv(path, column);
  QCOMPARE(data.dims(), 3);
  QCOMPARE(data.labels, labels);
  QCOMPARE(data.features(0, 0), firstFeature);
  QCOMPARE(data.numClasses, *std::max_element(labels.begin(), labels.end()) + 1);
}

void TestCsvReader::crlfAndBlankLines() {
  const std::string path = writeText(dir_, "crlf.csv", "x,y\r\n\r\n0.25,1\r\n  \r\n0.5,0\r\n\r\n");
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{2});
  QCOMPARE(data.dims(), 1);
  QCOMPARE(data.features(0, 0), 0.25f);
  QCOMPARE(data.features(1, 0), 0.5f);
  QCOMPARE(data.labels, (std::vector<int>{1, 0}));
}

void TestCsvReader::nonNumericCell() {
  const std::string path = writeText(dir_, "text.csv", "a,b,c\n1,2,0\n\n3,oops,1\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "line 4, column 2"), message.c_str());
  QVERIFY2(contains(message, "\"oops\""), message.c_str());
  QVERIFY2(contains(message, "expected a number"), message.c_str());
}

void TestCsvReader::raggedRow() {
  const std::string path = writeText(dir_, "ragged.csv", "1,2,0\n3,4,1\n5,6\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "line 3"), message.c_str());
  QVERIFY2(contains(message, "found 2 columns, expected 3"), message.c_str());
}

void TestCsvReader::badLabel_data() {
  QTest::addColumn<QString>("label");
  QTest::newRow("negative") << "-1";
  QTest::newRow("fractional") << "2.5";
  QTest::newRow("huge") << "1e12";
}

void TestCsvReader::badLabel() {
  QFETCH(QString, label);
  const std::string path =
      writeText(dir_, "badlabel.csv", "1,2,0\n3,4," + label.toStdString() + "\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, "line 2, column 3"), message.c_str());
  QVERIFY2(contains(message, "non-negative integer"), message.c_str());
  const std::string quoted = QStringLiteral("\"%1\"").arg(label).toStdString();
  QVERIFY2(contains(message, quoted), message.c_str());
}

void TestCsvReader::labelColumnOutOfRange() {
  const std::string path = writeText(dir_, "range.csv", "1,2,0\n");
  const std::string message = errorOf([&] { readCsv(path, 3); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "labelColumn 3 is out of range"), message.c_str());
  QVERIFY2(contains(message, "3 columns"), message.c_str());
}

void TestCsvReader::missingFile() {
  const std::string path = pathIn(dir_, "nowhere.csv");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "no such file"), message.c_str());
}

void TestCsvReader::emptyFile() {
  const std::string path = writeText(dir_, "empty.csv", "\n \r\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "empty file"), message.c_str());
}

void TestCsvReader::headerOnly() {
  const std::string path = writeText(dir_, "headeronly.csv", "a,b,label\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, "no data rows"), message.c_str());
}

QTEST_GUILESS_MAIN(TestCsvReader)
#include "test_csv_reader.moc"
