// The include layers of core/: every `#include "folder/..."` in core/ is checked against
// the table of allowed edges below, and no core file includes Qt, ui/ or app/. A new edge
// that breaks a layer fails here with the file, the line and what that folder may include.
// The sources are read from SCALEOUT_CORE_DIR (set by tests/CMakeLists.txt).
#include <map>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QStringList>
#include <QtTest>

namespace {

// Folder -> the other core folders its files may include (its own is always allowed).
// Lowest first: util is the ground floor; nn defines what it consumes (nn/batch.h), so
// data may include nn but not the reverse; io writes what train and the data describe
// (io/training_state.h) without including train; cluster plugs into train; run (one
// training run as the front ends start it) sits on top and may use them all.
const std::map<QString, QStringList>& allowedEdges() {
  static const std::map<QString, QStringList> table = {
      {"util", {}},
      {"config", {"util"}},
      {"nn", {"config", "util"}},
      {"data", {"config", "nn", "util"}},
      {"io", {"config", "data", "nn", "util"}},
      {"train", {"config", "data", "io", "nn", "util"}},
      {"cluster", {"config", "data", "io", "nn", "train", "util"}},
      {"run", {"cluster", "config", "data", "io", "nn", "train", "util"}},
  };
  return table;
}

// What is wrong with one line of a file in `folder` ("" when nothing is).
QString checkLine(const QString& folder, const QString& line) {
  static const QRegularExpression include(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  static const QRegularExpression qtHeader(R"(^(Q[A-Za-z]*|q[a-z]+\.h)(/|$))");
  const QRegularExpressionMatch m = include.match(line);
  if (!m.hasMatch()) return {};
  const QString path = m.captured(2);
  if (m.captured(1) == "<") return qtHeader.match(path).hasMatch() ? "includes Qt (<" + path + ">)" : QString();
  const QString target = path.section('/', 0, 0);
  if (!path.contains('/') || !allowedEdges().count(target))
    return "includes \"" + path + "\", which is not in a core folder (no ui/, app/ or Qt in core)";
  if (target == folder) return {};
  const QStringList& allowed = allowedEdges().at(folder);
  if (allowed.contains(target)) return {};
  return folder + " includes " + path + " (" + folder + " may include: " +
         (allowed.isEmpty() ? QString("nothing from the other core folders") : allowed.join(", ")) + ")";
}

struct Scan {
  int files = 0;
  int includes = 0;
  QStringList violations;  // "core/io/model_file.h:29: io includes train/optimizer.h (...)"
};

Scan scanCore(const QString& coreDir) {
  Scan scan;
  QDirIterator it(coreDir, {"*.h", "*.cpp", "*.def"}, QDir::Files, QDirIterator::Subdirectories);
  static const QRegularExpression anyInclude(R"(^\s*#\s*include\b)");
  static const QRegularExpression coreInclude(R"re(^\s*#\s*include\s*"([a-z_]+/[a-z_]+\.(?:h|def))")re");
  while (it.hasNext()) {
    const QString path = it.next();
    const QString relative = QDir(coreDir).relativeFilePath(path);
    // Public headers sit in core/include/FOLDER/, at the path they are included by; the
    // layer is FOLDER's all the same.
    const bool isPublic = relative.startsWith("include/");
    const QString inFolder = isPublic ? relative.mid(8) : relative;
    const QString folder = inFolder.section('/', 0, 0);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
      scan.violations << "core/" + relative + ": cannot be read";
      continue;
    }
    ++scan.files;
    if (!inFolder.contains('/') || !allowedEdges().count(folder)) {
      scan.violations << "core/" + relative + ": not in a known core folder (add it to the table in this test)";
      continue;
    }
    int number = 0;
    while (!file.atEnd()) {
      const QString line = QString::fromUtf8(file.readLine());
      ++number;
      if (anyInclude.match(line).hasMatch()) ++scan.includes;
      QString problem = checkLine(folder, line);
      // A public header may include only public headers: front ends see nothing else.
      const auto quoted = coreInclude.match(line);
      if (problem.isEmpty() && isPublic && quoted.hasMatch() && !QFile::exists(coreDir + "/include/" + quoted.captured(1)))
        problem = "a public header includes " + quoted.captured(1) + ", which is private to core (not in core/include/)";
      if (!problem.isEmpty()) scan.violations << "core/" + relative + ":" + QString::number(number) + ": " + problem;
    }
  }
  scan.violations.sort();
  return scan;
}

}  // namespace

class TestCoreLayers : public QObject {
  Q_OBJECT

 private slots:
  void coreIncludesFollowTheLayers() {
    const Scan scan = scanCore(QStringLiteral(SCALEOUT_CORE_DIR));
    // Reading nothing would pass vacuously: core has well over 100 files and 300 includes.
    QVERIFY2(scan.files > 100, qPrintable(QString("only %1 files read from %2").arg(scan.files).arg(SCALEOUT_CORE_DIR)));
    QVERIFY2(scan.includes > 300, qPrintable(QString("only %1 includes read").arg(scan.includes)));
    QVERIFY2(scan.violations.isEmpty(),
             qPrintable(QString("%1 forbidden include(s):\n").arg(scan.violations.size()) + scan.violations.join("\n")));
  }

  // The checker itself, one row per kind of edge, so the table cannot silently allow
  // everything.
  void checkerNamesTheForbiddenEdge_data() {
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("problem");
    QTest::newRow("io -> train") << "io" << "#include \"train/optimizer.h\""
                                 << "io includes train/optimizer.h (io may include: config, data, nn, util)";
    QTest::newRow("io -> cluster") << "io" << "#include \"cluster/protocol.h\""
                                   << "io includes cluster/protocol.h (io may include: config, data, nn, util)";
    QTest::newRow("nn -> data") << "nn" << "#include \"data/batches.h\""
                                << "nn includes data/batches.h (nn may include: config, util)";
    QTest::newRow("nn -> train") << "nn" << "  #  include \"train/phase.h\""
                                 << "nn includes train/phase.h (nn may include: config, util)";
    QTest::newRow("data -> train") << "data" << "#include \"train/worker.h\""
                                   << "data includes train/worker.h (data may include: config, nn, util)";
    QTest::newRow("util -> cluster") << "util" << "#include \"cluster/zmq_io.h\""
                                     << "util includes cluster/zmq_io.h (util may include: nothing from the other core folders)";
    QTest::newRow("ui") << "train" << "#include \"ui/main_window.h\""
                        << "includes \"ui/main_window.h\", which is not in a core folder (no ui/, app/ or Qt in core)";
    QTest::newRow("app header") << "cluster" << "#include \"commands.h\""
                                << "includes \"commands.h\", which is not in a core folder (no ui/, app/ or Qt in core)";
    QTest::newRow("Qt") << "config" << "#include <QString>" << "includes Qt (<QString>)";
    QTest::newRow("Qt module path") << "util" << "#include <QtCore/qglobal.h>" << "includes Qt (<QtCore/qglobal.h>)";
    QTest::newRow("cluster -> train") << "cluster" << "#include \"train/worker.h\"" << "";
    QTest::newRow("train -> io") << "train" << "#include \"io/model_file.h\"" << "";
    QTest::newRow("data -> nn") << "data" << "#include \"nn/batch.h\"" << "";
    QTest::newRow("own folder") << "util" << "#include \"util/rng.h\"" << "";
    QTest::newRow("system header") << "util" << "#include <vector>" << "";
    QTest::newRow("commented out") << "nn" << "// #include \"train/phase.h\"" << "";
  }

  void checkerNamesTheForbiddenEdge() {
    QFETCH(QString, folder);
    QFETCH(QString, line);
    QFETCH(QString, problem);
    QCOMPARE(checkLine(folder, line), problem);
  }
};

QTEST_GUILESS_MAIN(TestCoreLayers)
#include "test_core_layers.moc"
