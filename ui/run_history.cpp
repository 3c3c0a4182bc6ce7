#include "run_history.h"

#include <algorithm>

#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTextStream>

namespace scaleout::ui {

QString defaultRunsRoot() { return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/runs"; }

namespace {
QString confSummary(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) return {};
  const QJsonObject o = QJsonDocument::fromJson(file.readAll()).object();
  if (o.isEmpty()) return {};
  QStringList layers;
  for (const auto& v : o.value("layerSizes").toArray()) layers << QString::number(v.toInt());
  QString data = o.value("dataset").toString();
  const QString trainData = o.value("trainData").toString();
  if (!trainData.isEmpty()) data += " " + QFileInfo(trainData).fileName();
  // Runs of one preset differ in their epochs and rate: without them every entry reads alike.
  return QStringLiteral("%1 [%2] on %3, %4 epochs, rate %5")
      .arg(o.value("networkClass").toString(), layers.join(','), data.trimmed())
      .arg(o.value("finetuneEpochs").toInt())
      .arg(o.value("finetuneLearningRate").toDouble());
}

QStringList splitCsv(const QString& line);

// The test accuracy of the last evaluation row, read from the file's last 64 KiB only: a
// long run's metrics.csv has millions of rows, and the list is refreshed after every run.
double lastAccuracy(const QString& metricsPath) {
  QFile file(metricsPath);
  if (!file.open(QIODevice::ReadOnly)) return -1;
  const QStringList header = splitCsv(QString::fromUtf8(file.readLine()).trimmed());
  const int iAcc = header.indexOf("test_accuracy"), iEvent = header.indexOf("event");
  if (iAcc < 0 || iEvent < 0) return -1;
  const qint64 tail = 64 * 1024;
  if (file.size() > tail) file.seek(file.size() - tail);
  const QStringList lines = QString::fromUtf8(file.readAll()).split('\n');
  for (qsizetype i = lines.size() - 1; i >= 0; --i) {
    const QStringList f = splitCsv(lines[i]);
    if (f.size() <= std::max(iAcc, iEvent) || !f[iEvent].startsWith("evaluation") || f[iAcc].isEmpty()) continue;
    bool ok = false;
    const double acc = f[iAcc].toDouble(&ok);
    if (ok) return acc;
  }
  return -1;
}

// Splits one CSV line (quoted fields may hold commas and doubled quotes).
QStringList splitCsv(const QString& line) {
  QStringList out;
  QString field;
  bool quoted = false;
  for (qsizetype i = 0; i < line.size(); ++i) {
    const QChar ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out << field;
      field.clear();
    } else {
      field += ch;
    }
  }
  out << field;
  return out;
}
}  // namespace

QList<RunRecord> listRuns(const QString& root) {
  QList<RunRecord> runs;
  QDir dir(root);
  for (const QFileInfo& info : dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name | QDir::Reversed)) {
    const QDir run(info.absoluteFilePath());
    if (!run.exists("metrics.csv")) continue;
    RunRecord r;
    r.id = info.fileName();
    r.path = info.absoluteFilePath();
    r.started = QDateTime::fromString(r.id.left(15), "yyyyMMdd-HHmmss");
    if (!r.started.isValid()) r.started = info.birthTime().isValid() ? info.birthTime() : info.lastModified();
    r.summary = confSummary(run.filePath("conf.json"));
    r.finalAccuracy = lastAccuracy(run.filePath("metrics.csv"));
    runs << r;
  }
  return runs;
}

bool loadRunCurves(const QString& runDir, RunCurves& out, QString* error) {
  QFile file(QDir(runDir).filePath("metrics.csv"));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
    if (error) *error = QObject::tr("cannot read '%1': %2").arg(file.fileName(), file.errorString());
    return false;
  }
  out.id = QFileInfo(runDir).fileName();
  QTextStream in(&file);
  const QStringList header = splitCsv(in.readLine());
  const int iIt = header.indexOf("iteration"), iWorker = header.indexOf("worker"), iLoss = header.indexOf("loss"),
            iAcc = header.indexOf("test_accuracy"), iEvent = header.indexOf("event");
  if (iIt < 0 || iLoss < 0 || iAcc < 0 || iEvent < 0 || iWorker < 0) {
    if (error) *error = QObject::tr("'%1' is not a metrics file (header: %2)").arg(file.fileName(), header.join(','));
    return false;
  }
  const int needed = std::max({iIt, iWorker, iLoss, iAcc, iEvent});
  int runEpoch = 0;  // epochs over all phases, as the live accuracy chart counts them
  while (!in.atEnd()) {
    const QString line = in.readLine();
    // Minibatch rows (the vast majority) carry no quotes: split them the fast way.
    const QStringList f = line.contains('"') ? splitCsv(line) : line.split(',');
    if (f.size() <= needed) continue;
    const QString& event = f[iEvent];
    bool ok = false;
    const double it = f[iIt].toDouble(&ok);
    if (!ok) continue;
    if (event.isEmpty() && !f[iWorker].isEmpty()) {
      const double loss = f[iLoss].toDouble(&ok);
      if (ok) {
        out.lossX << it;
        out.lossY << loss;
      }
    } else if (event == "epoch end") {
      ++runEpoch;
    } else if (event.startsWith("evaluation") && !f[iAcc].isEmpty()) {
      const double acc = f[iAcc].toDouble(&ok);
      if (ok) {
        out.accuracyX << runEpoch;
        out.accuracyY << acc;
      }
    }
  }
  return true;
}

}  // namespace scaleout::ui
