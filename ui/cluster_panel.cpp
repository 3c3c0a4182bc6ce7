#include "cluster_panel.h"

#include <QCheckBox>
#include <QDateTime>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include "worker_table.h"

namespace scaleout::ui {

ClusterPanel::ClusterPanel(QWidget* parent)
    : QWidget(parent),
      watcher_(new ZkWatcher(this)),
      table_(new WorkerTable),
      worker_(new WorkerProcess(this)),
      zk_(new QLineEdit),
      cluster_(new QLineEdit),
      bind_(new QLineEdit),
      security_(new QCheckBox(tr("Security (encrypt and authenticate cluster traffic)"))),
      useCluster_(new QCheckBox(tr("Runs use the cluster's workers (this app is their master)"))),
      threads_(new QSpinBox),
      connect_(new QPushButton(tr("&Connect"))),
      disconnect_(new QPushButton(tr("&Disconnect"))),
      startWorker_(new QPushButton(tr("Start a local headless &worker"))),
      stopWorker_(new QPushButton(tr("Stop w&orker"))),
      state_(new QLabel),
      workerState_(new QLabel),
      workerHint_(new QLabel),
      knobs_(new QLabel),
      master_(new QLabel),
      log_(new QPlainTextEdit) {
  setObjectName("clusterPanel");
  QSettings settings;
  zk_->setObjectName("zkConnect");
  zk_->setPlaceholderText("127.0.0.1:2181");
  zk_->setText(settings.value("cluster/zk", "127.0.0.1:2181").toString());
  zk_->setToolTip(tr("ZooKeeper ensemble: HOST:PORT[,HOST:PORT...]"));
  cluster_->setObjectName("clusterName");
  cluster_->setText(settings.value("cluster/name", "default").toString());
  cluster_->setToolTip(tr("Workers and the master meet under /scaleout/NAME"));
  security_->setObjectName("security");
  security_->setChecked(settings.value("cluster/security", true).toBool());
  security_->setToolTip(tr("On: workers use the cluster's CURVE security. Off: workers start with --insecure "
                           "(unencrypted, unauthenticated; only on a network you trust)."));
  useCluster_->setObjectName("useCluster");
  useCluster_->setChecked(settings.value("cluster/useInRuns", true).toBool());
  useCluster_->setToolTip(tr("While connected, Start also opens a master endpoint and registers it in ZooKeeper; "
                             "workers of the cluster join at the next round"));
  bind_->setObjectName("masterBind");
  // Empty means automatic (the interface that reaches ZooKeeper); the old default,
  // loopback, kept remote machines out, so a saved copy of it is not carried over.
  const QString savedBind = settings.value("cluster/bind").toString();
  bind_->setText(savedBind == QLatin1String("tcp://127.0.0.1:*") ? QString() : savedBind);
  bind_->setPlaceholderText(tr("automatic: the address that reaches ZooKeeper"));
  bind_->setToolTip(tr("ZeroMQ endpoint the master listens on (port * = any free port). Empty: the address of the "
                       "interface that reaches ZooKeeper. Or give one, "
                       "e.g. tcp://192.168.1.10:*, for workers on other machines."));
  threads_->setObjectName("workerThreads");
  threads_->setRange(0, 1024);
  threads_->setValue(settings.value("cluster/workerThreads", 1).toInt());
  threads_->setSpecialValueText(tr("all cores"));
  threads_->setToolTip(tr("Lanes the local worker trains in parallel (0 = hardware threads)"));
  connect_->setObjectName("zkConnectButton");
  disconnect_->setObjectName("zkDisconnectButton");
  startWorker_->setObjectName("startWorker");
  stopWorker_->setObjectName("stopWorker");
  state_->setObjectName("zkState");
  state_->setWordWrap(true);
  workerState_->setObjectName("workerState");
  workerState_->setWordWrap(true);
  workerHint_->setObjectName("workerHint");
  workerHint_->setWordWrap(true);
  workerHint_->setStyleSheet("QLabel { color: gray; }");
  knobs_->setWordWrap(true);
  knobs_->setStyleSheet("QLabel { color: gray; }");
  master_->setObjectName("zkMaster");
  log_->setObjectName("workerLog");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(2000);
  log_->setPlaceholderText(tr("The local worker's output appears here."));

  auto* form = new QFormLayout;
  form->addRow(tr("ZooKeeper"), zk_);
  form->addRow(tr("Cluster"), cluster_);
  form->addRow(QString(), security_);
  form->addRow(QString(), useCluster_);
  form->addRow(tr("Master endpoint"), bind_);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(connect_);
  buttons->addWidget(disconnect_);
  buttons->addStretch(1);
  form->addRow(QString(), buttons);
  form->addRow(tr("State"), state_);
  form->addRow(tr("Master"), master_);
  form->addRow(QString(), knobs_);
  auto* zkBox = new QGroupBox(tr("Cluster (optional: local threads train without it)"));
  zkBox->setLayout(form);

  auto* workerBox = new QGroupBox(tr("Local headless worker"));
  auto* wl = new QVBoxLayout(workerBox);
  auto* wrow = new QHBoxLayout;
  wrow->addWidget(new QLabel(tr("Threads")));
  wrow->addWidget(threads_);
  wrow->addWidget(startWorker_);
  wrow->addWidget(stopWorker_);
  wrow->addStretch(1);
  wl->addLayout(wrow);
  wl->addWidget(workerHint_);
  wl->addWidget(workerState_);
  wl->addWidget(log_, 1);

  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(table_);
  split->addWidget(workerBox);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(zkBox);
  layout->addWidget(split, 1);

  connect(connect_, &QPushButton::clicked, this, &ClusterPanel::connectToZooKeeper);
  connect(zk_, &QLineEdit::returnPressed, this, &ClusterPanel::connectToZooKeeper);
  connect(disconnect_, &QPushButton::clicked, this, &ClusterPanel::disconnectFromZooKeeper);
  connect(startWorker_, &QPushButton::clicked, this, &ClusterPanel::startLocalWorker);
  connect(stopWorker_, &QPushButton::clicked, this, &ClusterPanel::stopLocalWorker);
  connect(security_, &QCheckBox::toggled, this, [this] { saveSettings(); });
  connect(watcher_, &ZkWatcher::stateChanged, this, &ClusterPanel::onStateChanged);
  connect(watcher_, &ZkWatcher::workersChanged, table_, &WorkerTable::setRegistered);
  connect(watcher_, &ZkWatcher::masterChanged, this, [this](bool present, const QString& endpoint) {
    master_->setText(present ? tr("registered at %1").arg(endpoint) : tr("none registered"));
  });
  connect(watcher_, &ZkWatcher::logLine, this, [this](const QString& l) { emit message(tr("ZooKeeper: %1").arg(l)); });
  connect(worker_, &WorkerProcess::line, this, &ClusterPanel::appendWorkerLog);
  connect(worker_, &WorkerProcess::started, this, [this](qint64 pid) {
    workerState_->setText(tr("running, pid %1: %2").arg(pid).arg(worker_->commandLine()));
    emit message(tr("local worker started (pid %1)").arg(pid));
    updateButtons();
  });
  connect(worker_, &WorkerProcess::finished, this, [this](int code, bool crashed, bool killed) {
    const QString how = killed ? tr("killed") : crashed ? tr("ended by a signal") : tr("exited with code %1").arg(code);
    workerState_->setText(tr("not running (last one %1)").arg(how));
    appendWorkerLog(tr("[worker %1]").arg(how));
    emit message(tr("local worker %1").arg(how));
    updateButtons();
  });

  state_->setText(tr("not connected (training uses local threads)"));
  master_->setText(tr("–"));
  workerState_->setText(tr("not running"));
  setConf(Conf{});
  updateButtons();
}

ClusterPanel::~ClusterPanel() { shutdown(); }

void ClusterPanel::setConf(const Conf& conf) {
  conf_ = conf;
  knobs_->setText(tr("Timeouts come from the conf's Cluster knobs: ZooKeeper session %1 s, heartbeat %2 s.")
                      .arg(conf_.zooKeeperSessionTimeoutSeconds)
                      .arg(conf_.heartbeatTimeoutSeconds));
}

void ClusterPanel::shutdown() {
  worker_->stopAndWait();
  watcher_->disconnectFrom();
}

QString ClusterPanel::stateText() const { return state_->text(); }
QString ClusterPanel::workerStateText() const { return workerState_->text(); }
QString ClusterPanel::workerLog() const { return log_->toPlainText(); }
QString ClusterPanel::workerHintText() const { return workerHint_->text(); }

WorkerLaunch ClusterPanel::launchSettings() const {
  WorkerLaunch l;
  l.zkHosts = zk_->text().trimmed();
  l.cluster = cluster_->text().trimmed();
  l.threads = threads_->value();
  l.security = security_->isChecked();
  return l;
}

bool ClusterPanel::applyToRun(SessionOptions& options) {
  const ZkWatcher::State state = watcher_->state();
  if (state == ZkWatcher::State::Disconnected || state == ZkWatcher::State::Failed || !useCluster_->isChecked()) return false;
  if (state == ZkWatcher::State::Unreachable) {
    // Registering would first wait a whole session timeout for an answer already known
    // not to come: this run trains with local threads and is not the cluster's master.
    emit message(tr("cluster: ZooKeeper at %1 is unreachable, so this run trains with local threads only and is not "
                    "the master of cluster %2; start the run again once the Cluster tab says connected")
                     .arg(watcher_->hosts(), watcher_->cluster()));
    return false;
  }
  options.clusterZk = watcher_->hosts();
  options.clusterName = watcher_->cluster();
  options.clusterBind = bind_->text().trimmed();  // empty: automatic (MasterServiceOptions::bind)
  options.clusterSecurity = security_->isChecked();
  return true;
}

void ClusterPanel::saveSettings() const {
  QSettings settings;
  settings.setValue("cluster/zk", zk_->text().trimmed());
  settings.setValue("cluster/name", cluster_->text().trimmed());
  settings.setValue("cluster/security", security_->isChecked());
  settings.setValue("cluster/workerThreads", threads_->value());
  settings.setValue("cluster/useInRuns", useCluster_->isChecked());
  settings.setValue("cluster/bind", bind_->text().trimmed());
}

void ClusterPanel::connectToZooKeeper() {
  saveSettings();
  const int sessionMs = static_cast<int>(conf_.zooKeeperSessionTimeoutSeconds * 1000);
  // Not connected within one session timeout: say so (the client keeps trying).
  watcher_->connectTo(zk_->text(), cluster_->text(), sessionMs, sessionMs);
  updateButtons();
}

void ClusterPanel::disconnectFromZooKeeper() {
  watcher_->disconnectFrom();
  master_->setText(tr("–"));
  updateButtons();
}

void ClusterPanel::onStateChanged(ZkWatcher::State state, const QString& text) {
  QString colour = "gray";
  if (state == ZkWatcher::State::Connected) colour = "#2e7d32";
  else if (state == ZkWatcher::State::Unreachable || state == ZkWatcher::State::Failed) colour = "#c62828";
  else if (state == ZkWatcher::State::Connecting) colour = "#ef6c00";
  state_->setText(text);
  state_->setStyleSheet(QStringLiteral("QLabel { color: %1; font-weight: bold; }").arg(colour));
  emit message(tr("cluster: %1").arg(text));
  updateButtons();
}

void ClusterPanel::startLocalWorker() {
  if (watcher_->state() != ZkWatcher::State::Connected) return;  // the button is disabled: the hint says why
  saveSettings();
  const WorkerLaunch launch = launchSettings();
  if (launch.zkHosts.isEmpty()) {
    workerState_->setText(tr("give the ZooKeeper connect string the worker should find its master through"));
    return;
  }
  appendWorkerLog(tr("[starting: %1 %2]").arg(worker_->program(), workerArguments(launch).join(' ')));
  worker_->start(launch);
  workerState_->setText(tr("starting…"));
  updateButtons();
}

void ClusterPanel::stopLocalWorker() {
  if (!worker_->isRunning()) return;
  workerState_->setText(tr("stopping…"));
  worker_->stop();
}

void ClusterPanel::appendWorkerLog(const QString& line) { log_->appendPlainText(line); }

void ClusterPanel::onRunStarted() { table_->startRun(); }
void ClusterPanel::onRunEnded() { table_->endRun(); }

void ClusterPanel::onRound(const RoundInfo& round) { table_->addRound(round); }

void ClusterPanel::updateButtons() {
  const ZkWatcher::State state = watcher_->state();
  const bool active = state == ZkWatcher::State::Connecting || state == ZkWatcher::State::Connected ||
                      state == ZkWatcher::State::Unreachable;
  connect_->setEnabled(!active);
  disconnect_->setEnabled(active);
  zk_->setEnabled(!active);
  cluster_->setEnabled(!active);
  bind_->setEnabled(!active);
  // A worker without ZooKeeper would wait for ever ("Connection refused"): it finds its
  // master through the cluster, so it starts only while the panel is connected.
  const bool running = worker_->isRunning();
  const bool connected = state == ZkWatcher::State::Connected;
  startWorker_->setEnabled(!running && connected);
  stopWorker_->setEnabled(running);
  threads_->setEnabled(!running);
  QString hint;
  if (!running && !connected)
    hint = state == ZkWatcher::State::Connecting ? tr("Waiting for ZooKeeper: a local worker can start once the panel is connected.")
                                                 : tr("Connect to ZooKeeper above first: a local worker finds its master (a run "
                                                      "of this app) through the cluster.");
  workerHint_->setText(hint);
  workerHint_->setVisible(!hint.isEmpty());
  startWorker_->setToolTip(hint.isEmpty() ? tr("Starts `scaleout worker` for this cluster as a child process") : hint);
}

}  // namespace scaleout::ui
