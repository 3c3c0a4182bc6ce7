#pragma once
// WorkerTable: one row per worker of the run and of the cluster, merged from two
// sources: ZooKeeper registrations (host, threads; a worker that waits for a master is
// listed before it ever trains) and the master's per-round reports (samples/s, rounds
// contributed, missed deadlines). A remote worker's lanes ("host:pid#2") count as one
// row "host:pid", which is also how its ZooKeeper registration names it. Rounds arrive
// many times a second, so they only update the rows' data; the table is redrawn by a
// 2 Hz timer (which also ages the "last heard" column).
#include <QDateTime>
#include <QMap>
#include <QTableWidget>
#include <QTimer>

#include "metatypes.h"
#include "zk_watcher.h"

namespace scaleout::ui {

class WorkerTable : public QTableWidget {
  Q_OBJECT
 public:
  enum Column { kWorker, kHost, kThreads, kState, kSpeed, kBusy, kLastHeard, kRounds, kColumns };

  explicit WorkerTable(QWidget* parent = nullptr);

  void setRegistered(const QVector<scaleout::ui::ZkWorkerEntry>& workers);
  void addRound(const scaleout::RoundInfo& round);
  void startRun();  // forget the previous run's round statistics
  // The run ended: no row says "training" any more (its rounds and speed stay readable).
  void endRun();
  void refresh();   // redraw now (the timer does it otherwise)

  int workerCount() const { return static_cast<int>(rows_.size()); }
  QStringList workerKeys() const { return rows_.keys(); }
  long long roundsOf(const QString& key) const;
  QString stateOf(const QString& key) const;
  // Compute over wall time since its first round, 0..1 (-1 before its first timed round).
  double busyOf(const QString& key) const;

 private:
  struct Row {
    QString id, host;
    int threads = 0;
    bool registered = false, everRegistered = false, local = false;
    QString state;
    double samplesPerSecond = 0;
    long long rounds = 0;
    long long lastRound = -1;
    // Busy: its lanes' compute seconds over their wall time since its first round of the
    // run (the rounds' seconds summed from there): below ~90% it waits for the others or
    // for its link. Not per round: an overlapping worker's task spans rounds.
    double computeSeconds = 0;
    int lanes = 0;  // the most lanes it has used in a round
    double runSecondsAtJoin = -1;  // runSeconds_ before its first round; -1: none yet
    QDateTime lastHeard;
  };
  QTimer timer_;
  QMap<QString, Row> rows_;
  bool dirty_ = false;
  double runSeconds_ = 0;  // the run's rounds' wall time so far
};

}  // namespace scaleout::ui
