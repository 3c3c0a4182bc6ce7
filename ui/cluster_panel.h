#pragma once
// ClusterPanel: ZooKeeper connection (connect string, cluster name, Security), its
// state, the live worker table, and a local headless worker started as a child process
// with its output in a log pane. Nothing here is needed for training: local threads are
// the default, and without ZooKeeper the table still lists the run's local workers.
// A local worker finds its master through ZooKeeper, so it can be started only while the
// panel is connected; a run does not wait on a cluster the panel already found unreachable.
// Timeouts come from the conf's Cluster knobs (zooKeeperSessionTimeoutSeconds).
#include <QWidget>

#include "config/conf.h"
#include "metatypes.h"
#include "training_session.h"
#include "worker_process.h"
#include "zk_watcher.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace scaleout::ui {

class WorkerTable;

class ClusterPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ClusterPanel(QWidget* parent = nullptr);
  ~ClusterPanel() override;

  void setConf(const Conf& conf);  // the Cluster knobs
  void shutdown();  // stops the local worker (bounded wait) and disconnects; for quitting

  ZkWatcher* watcher() const { return watcher_; }
  WorkerTable* workerTable() const { return table_; }
  WorkerProcess* workerProcess() const { return worker_; }
  QLineEdit* zkEdit() const { return zk_; }
  QLineEdit* clusterEdit() const { return cluster_; }
  QCheckBox* securityBox() const { return security_; }
  QSpinBox* workerThreadsBox() const { return threads_; }
  QPushButton* connectButton() const { return connect_; }
  QPushButton* disconnectButton() const { return disconnect_; }
  QPushButton* startWorkerButton() const { return startWorker_; }
  QPushButton* stopWorkerButton() const { return stopWorker_; }
  QString stateText() const;
  QString workerStateText() const;
  QString workerLog() const;
  QString workerHintText() const;  // why Start worker is disabled, or empty

  WorkerLaunch launchSettings() const;  // what the fields say now
  QCheckBox* useClusterBox() const { return useCluster_; }
  QLineEdit* bindEdit() const { return bind_; }
  // While connected (or still trying, within the bound) with "use the cluster" ticked, a
  // run is also the cluster's master: fills the cluster fields of `options` and returns
  // true. A cluster found unreachable is not waited on: returns false and says so.
  bool applyToRun(SessionOptions& options);

 public slots:
  void connectToZooKeeper();
  void disconnectFromZooKeeper();
  void startLocalWorker();
  void stopLocalWorker();
  void onRunStarted();
  void onRunEnded();
  void onRound(const scaleout::RoundInfo& round);

 signals:
  void message(const QString& text);  // for the main run log

 private:
  void onStateChanged(ZkWatcher::State state, const QString& text);
  void appendWorkerLog(const QString& line);
  void updateButtons();
  void saveSettings() const;

  Conf conf_;
  ZkWatcher* watcher_;
  WorkerTable* table_;
  WorkerProcess* worker_;
  QLineEdit *zk_, *cluster_, *bind_;
  QCheckBox *security_, *useCluster_;
  QSpinBox* threads_;
  QPushButton *connect_, *disconnect_, *startWorker_, *stopWorker_;
  QLabel *state_, *workerState_, *workerHint_, *knobs_, *master_;
  QPlainTextEdit* log_;
};

}  // namespace scaleout::ui
