// readCsv: headers, label placement, line endings, and the line/column of each kind of bad cell.
#include <string>

#include <QTemporaryDir>
#include <QtTest>

#include "fixtures/error_of.h"
#include "data/readers.h"
#include "fixtures/data_files.h"
#include "util/error.h"

using namespace scaleout;
using namespace scaleout::fixtures;

namespace {

using scaleout::fixtures::errorOf;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The one note containing `part`, or "" (so a failed QVERIFY shows all notes).
std::string noteWith(const DataSet& data, const std::string& part) {
  for (const std::string& note : data.notes) {
    if (contains(note, part)) return note;
  }
  return {};
}

std::string allNotes(const DataSet& data) {
  std::string text;
  for (const std::string& note : data.notes) text += note + "\n";
  return text;
}

CsvOptions dropping() {
  CsvOptions options;
  options.dropIncompleteRows = true;
  return options;
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
  void namesAndLinesForTheDrillDown();
  void nonNumericCell();
  void decimalComma_data();
  void decimalComma();
  void raggedRow();
  void badLabel_data();
  void badLabel();
  void labelColumnOutOfRange();
  void missingFile();
  void emptyFile();
  void headerOnly();
  // Real files as users have them (#14).
  void namedLabels();
  void namedLabelsKeepKnownNumbers();
  void namesAfterNumbersRefused();
  void delimiter_data();
  void delimiter();
  void quotedCells();
  void unclosedQuote();
  void sklearnHeader();
  void headerNote();
  void skipLines();
  void missingValue_data();
  void missingValue();
  void dropIncompleteRows();
  void allRowsIncomplete();

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

void TestCsvReader::namesAndLinesForTheDrillDown() {
  // The header names the features (label column left out), each row knows its file line.
  const std::string path = writeText(dir_, "lines.csv", "x,label,y\n\n1,0,2\n\n3,1,4\n");
  const DataSet data = readCsv(path, 1);
  QCOMPARE(data.featureNames, (std::vector<std::string>{"x", "y"}));
  QCOMPARE(data.sourceLines, (std::vector<size_t>{3, 5}));
  const std::string bare = writeText(dir_, "bare.csv", "1,2,0\n3,4,1\n");
  QVERIFY(readCsv(bare, -1).featureNames.empty());
  QCOMPARE(readCsv(bare, -1).sourceLines, (std::vector<size_t>{1, 2}));
  // A subset keeps them with its rows.
  const DataSet second = subset(data, {1});
  QCOMPARE(second.sourceLines, (std::vector<size_t>{5}));
  QCOMPARE(second.featureNames, data.featureNames);
}

void TestCsvReader::nonNumericCell() {
  const std::string path = writeText(dir_, "text.csv", "a,b,c\n1,2,0\n\n3,oops,1\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "line 4, column 2"), message.c_str());
  QVERIFY2(contains(message, "\"oops\""), message.c_str());
  QVERIFY2(contains(message, "expected a number"), message.c_str());
}

// Issue #14: a European export ("5,1;3,5;1,4;0,2;Iris-setosa") took its first line as a
// header and then said only 'expected a number, found "4,9"' on line 2. The first line is
// data, and the error names the decimal comma.
void TestCsvReader::decimalComma_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("where");
  QTest::addColumn<QString>("found");
  QTest::addColumn<QString>("dotted");
  QTest::newRow("iris, semicolons") << "5,1;3,5;1,4;0,2;Iris-setosa\n4,9;3,0;1,4;0,2;Iris-setosa\n"
                                    << "line 1, column 1" << "5,1" << "(5.1)";
  QTest::newRow("after a header") << "sepal;petal;class\n5.0;1.4;0\n6.3;4,7;1\n" << "line 3, column 2" << "4,7" << "(4.7)";
  QTest::newRow("tab") << "5\t0,25\t1\n" << "line 1, column 2" << "0,25" << "(0.25)";
}

void TestCsvReader::decimalComma() {
  QFETCH(QString, text);
  QFETCH(QString, where);
  QFETCH(QString, found);
  QFETCH(QString, dotted);
  const std::string path = writeText(dir_, "comma.csv", text.toStdString());
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path + ": " + where.toStdString()), message.c_str());
  QVERIFY2(contains(message, "found \"" + found.toStdString() + "\""), message.c_str());
  QVERIFY2(contains(message, "decimal comma"), message.c_str());
  QVERIFY2(contains(message, dotted.toStdString()), message.c_str());
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

void TestCsvReader::namedLabels() {
  // UCI iris format: no header, names in the last column; the first row must stay data.
  const std::string path = writeText(dir_, "iris.csv",
                                     "5.1,3.5,1.4,0.2,Iris-setosa\n"
                                     "7.0,3.2,4.7,1.4,Iris-versicolor\n"
                                     "4.9,3.0,1.4,0.2,Iris-setosa\n"
                                     "6.3,3.3,6.0,2.5,Iris-virginica\n");
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{4});
  QCOMPARE(data.dims(), 4);
  QCOMPARE(data.features(0, 0), 5.1f);
  QCOMPARE(data.labels, (std::vector<int>{0, 1, 0, 2}));
  QCOMPARE(data.numClasses, 3);
  QCOMPARE(data.classNames, (std::vector<std::string>{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}));
  const std::string note = noteWith(data, "order of first appearance");
  QVERIFY2(contains(note, "0=Iris-setosa, 1=Iris-versicolor, 2=Iris-virginica"), allNotes(data).c_str());
  QVERIFY2(noteWith(data, "header").empty(), allNotes(data).c_str());
}

void TestCsvReader::namedLabelsKeepKnownNumbers() {
  // A test file (or one given to eval) must number names as the training file did.
  const std::string path = writeText(dir_, "test-names.csv", "1,b\n2,c\n3,a\n");
  CsvOptions options;
  options.knownClassNames = {"a", "b"};
  const DataSet data = readCsv(path, options);
  QCOMPARE(data.labels, (std::vector<int>{1, 2, 0}));
  QCOMPARE(data.classNames, (std::vector<std::string>{"a", "b", "c"}));
  QCOMPARE(data.numClasses, 3);
}

void TestCsvReader::namesAfterNumbersRefused() {
  const std::string path = writeText(dir_, "mixed.csv", "1,2,0\n3,4,cat\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path + ": line 2, column 3"), message.c_str());
  QVERIFY2(contains(message, "\"cat\""), message.c_str());
  QVERIFY2(contains(message, "either numbers or names"), message.c_str());
}

void TestCsvReader::delimiter_data() {
  QTest::addColumn<QString>("text");
  QTest::addColumn<QString>("described");
  // The UCI wine-quality layout: quoted header names, ';' between cells.
  QTest::newRow("semicolon") << "\"fixed acidity\";\"pH\";\"quality\"\n7.4;3.51;5\n7.8;3.2;6\n" << "';'";
  QTest::newRow("semicolon, decimal-comma-free") << "7.4;3.51;5\n7.8;3.2;6\n" << "';'";
  QTest::newRow("tab") << "acidity\tpH\tquality\n7.4\t3.51\t5\n7.8\t3.2\t6\n" << "tab";
  QTest::newRow("comma") << "acidity,pH,quality\n7.4,3.51,5\n7.8,3.2,6\n" << "";
}

void TestCsvReader::delimiter() {
  QFETCH(QString, text);
  QFETCH(QString, described);
  const std::string path = writeText(dir_, "delim.csv", text.toStdString());
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{2});
  QCOMPARE(data.dims(), 2);
  QCOMPARE(data.features(0, 1), 3.51f);
  QCOMPARE(data.features(1, 0), 7.8f);
  QCOMPARE(data.labels, (std::vector<int>{5, 6}));
  const std::string note = noteWith(data, "separated by");
  if (described.isEmpty()) {
    QVERIFY2(note.empty(), allNotes(data).c_str());
  } else {
    QVERIFY2(contains(note, described.toStdString()), allNotes(data).c_str());
  }
}

void TestCsvReader::quotedCells() {
  // Quotes around numbers, a delimiter inside a quoted name and "" escapes.
  const std::string path = writeText(dir_, "quoted.csv",
                                     "\"x\",\"y\",\"kind\"\n"
                                     "\"1.5\",2,\"big, round\"\n"
                                     "3, \"4\" ,\"the \"\"odd\"\" one\"\n");
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{2});
  QCOMPARE(data.features(0, 0), 1.5f);
  QCOMPARE(data.features(1, 1), 4.0f);
  QCOMPARE(data.classNames, (std::vector<std::string>{"big, round", "the \"odd\" one"}));
}

void TestCsvReader::unclosedQuote() {
  const std::string path = writeText(dir_, "unclosed.csv", "1,2,0\n3,\"4,1\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path + ": line 2, column 2"), message.c_str());
  QVERIFY2(contains(message, "quoted cell is not closed"), message.c_str());
}

void TestCsvReader::sklearnHeader() {
  // sklearn's load_* CSV files: "samples,features,class names", then rows of features + label.
  const std::string path = writeText(dir_, "wine-sklearn.csv",
                                     "3,2,class_0,class_1,class_2\n"
                                     "14.2,1.7,0\n13.2,1.8,2\n12.4,1.1,1\n");
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{3});
  QCOMPARE(data.dims(), 2);
  QCOMPARE(data.labels, (std::vector<int>{0, 2, 1}));
  QCOMPARE(data.classNames, (std::vector<std::string>{"class_0", "class_1", "class_2"}));
  QVERIFY2(!noteWith(data, "sklearn format (3 samples, 2 features").empty(), allNotes(data).c_str());
  QVERIFY2(noteWith(data, "promises").empty(), allNotes(data).c_str());
}

void TestCsvReader::headerNote() {
  const std::string path = writeText(dir_, "named-header.csv", "\n\nlength,width,label\n1,2,0\n");
  const DataSet data = readCsv(path, -1);
  QCOMPARE(data.size(), size_t{1});
  const std::string note = noteWith(data, "taken as a header");
  QVERIFY2(contains(note, "line 3"), allNotes(data).c_str());
  QVERIFY2(contains(note, "\"length\" in column 1"), allNotes(data).c_str());
  QVERIFY2(contains(note, "csvSkipLines=0"), allNotes(data).c_str());
}

void TestCsvReader::skipLines() {
  // Two comment lines; the first is numeric-looking, so only csvSkipLines can tell.
  const std::string path = writeText(dir_, "skip.csv", "2024,1,1\nexported by tool\n1,2,0\n3,4,1\n");
  CsvOptions options;
  options.skipLines = 2;
  const DataSet data = readCsv(path, options);
  QCOMPARE(data.size(), size_t{2});
  QCOMPARE(data.features(0, 0), 1.0f);
  QVERIFY2(!noteWith(data, "skipped the first 2 line(s)").empty(), allNotes(data).c_str());
  // skipLines 0: every line is data, so a word is an error, not a header.
  options.skipLines = 0;
  const std::string message = errorOf([&] { readCsv(path, options); });
  QVERIFY2(contains(message, "line 2"), message.c_str());
}

void TestCsvReader::missingValue_data() {
  QTest::addColumn<QString>("cell");
  QTest::addColumn<int>("column");
  QTest::newRow("question mark (UCI)") << "?" << 2;
  QTest::newRow("empty") << "" << 2;
  QTest::newRow("NA") << "NA" << 2;
  QTest::newRow("missing label") << "" << 3;
}

void TestCsvReader::missingValue() {
  QFETCH(QString, cell);
  QFETCH(int, column);
  std::string row = column == 2 ? "5," + cell.toStdString() + ",1" : "5,6," + cell.toStdString();
  const std::string path = writeText(dir_, "missing.csv", "1,2,0\n3,4,1\n" + row + "\n");
  const std::string message = errorOf([&] { readCsv(path, -1); });
  QVERIFY2(contains(message, path + ": line 3, column " + std::to_string(column)), message.c_str());
  QVERIFY2(contains(message, "missing value (\"" + cell.toStdString() + "\")"), message.c_str());
  QVERIFY2(contains(message, "dropIncompleteRows=true"), message.c_str());
}

void TestCsvReader::dropIncompleteRows() {
  const std::string path = writeText(dir_, "drop.csv", "a,b,c\n1,2,x\n3,?,y\n5,6,\n7,8,y\n");
  const DataSet data = readCsv(path, dropping());
  QCOMPARE(data.size(), size_t{2});
  QCOMPARE(data.features(1, 0), 7.0f);
  QCOMPARE(data.labels, (std::vector<int>{0, 1}));
  // "y" first appears on a dropped row: it is numbered when a kept row names it.
  QCOMPARE(data.classNames, (std::vector<std::string>{"x", "y"}));
  QVERIFY2(!noteWith(data, "dropped 2 row(s) with missing values, the first on line 3").empty(), allNotes(data).c_str());
}

void TestCsvReader::allRowsIncomplete() {
  const std::string path = writeText(dir_, "allmissing.csv", "1,?,0\n?,2,1\n");
  const std::string message = errorOf([&] { readCsv(path, dropping()); });
  QVERIFY2(contains(message, path), message.c_str());
  QVERIFY2(contains(message, "all 2 data rows have missing values"), message.c_str());
}

QTEST_GUILESS_MAIN(TestCsvReader)
#include "test_csv_reader.moc"
