#pragma once
// Run history: every run started from the GUI keeps conf.json and metrics.csv in its own
// directory under the runs root (QStandardPaths::AppDataLocation/runs). This lists those
// runs and reads a run's curves back from metrics.csv: minibatch loss vs iteration and
// test accuracy vs epoch counted over all phases (as the live charts count them).
#include <QDateTime>
#include <QList>
#include <QString>
#include <QVector>

namespace scaleout::ui {

struct RunRecord {
  QString id;    // directory name, e.g. 20261126-091500-123
  QString path;  // absolute directory
  QDateTime started;
  QString summary;  // network class, layers, data, epochs and rate, from conf.json ("" if unreadable)
  double finalAccuracy = -1;  // the last evaluation in metrics.csv (-1: none yet)
};

struct RunCurves {
  QString id;
  QVector<double> lossX, lossY;  // every minibatch row
  QVector<double> accuracyX, accuracyY;
};

QString defaultRunsRoot();                         // AppDataLocation + "/runs"
QList<RunRecord> listRuns(const QString& root);    // newest first; directories with metrics.csv
// Blocking (a large run has millions of rows): call it off the GUI thread.
bool loadRunCurves(const QString& runDir, RunCurves& out, QString* error = nullptr);

}  // namespace scaleout::ui
