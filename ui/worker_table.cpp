#include "worker_table.h"

#include <QHeaderView>
#include <QSet>

namespace scaleout::ui {

namespace {
QString keyOf(const std::string& id) {
  const QString s = QString::fromStdString(id);
  const qsizetype hash = s.indexOf('#');
  return hash < 0 ? s : s.left(hash);
}

QString ago(const QDateTime& t) {
  if (!t.isValid()) return QStringLiteral("–");
  const double s = t.msecsTo(QDateTime::currentDateTimeUtc()) / 1000.0;
  return s < 60 ? QObject::tr("%1 s ago").arg(s, 0, 'f', 1) : QObject::tr("%1 min ago").arg(s / 60.0, 0, 'f', 1);
}

QTableWidgetItem* makeItem(const QString& text, bool right = false) {
  auto* i = new QTableWidgetItem(text);
  if (right) i->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return i;
}
}  // namespace

WorkerTable::WorkerTable(QWidget* parent) : QTableWidget(0, kColumns, parent) {
  setObjectName("workerTable");
  setHorizontalHeaderLabels({tr("Worker"), tr("Host"), tr("Threads"), tr("State"), tr("Samples/s"), tr("Busy"),
                             tr("Last heard"), tr("Rounds")});
  horizontalHeaderItem(kLastHeard)
      ->setToolTip(tr("Time since the worker was last heard of: a round result reported by the master, or its "
                      "ZooKeeper registration changing"));
  horizontalHeaderItem(kSpeed)->setToolTip(tr("Samples the worker trained in the last round per second of the round's "
                                             "wall time (all its lanes)"));
  horizontalHeaderItem(kRounds)->setToolTip(tr("Rounds of this run the worker contributed a result to"));
  horizontalHeaderItem(kBusy)->setToolTip(tr("Share of the time since the worker's first round that its lanes spent "
                                            "computing: below about 90% it waits for the other workers or for its link "
                                            "(rounds.csv in the run folder has the detail)"));
  setEditTriggers(QAbstractItemView::NoEditTriggers);
  setSelectionBehavior(QAbstractItemView::SelectRows);
  verticalHeader()->hide();
  horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  horizontalHeader()->setStretchLastSection(true);
  timer_.setInterval(500);
  connect(&timer_, &QTimer::timeout, this, &WorkerTable::refresh);
  timer_.start();
}

void WorkerTable::setRegistered(const QVector<ZkWorkerEntry>& workers) {
  QSet<QString> seen;
  for (const ZkWorkerEntry& w : workers) {
    // The master names a remote worker "host:pid" (lanes "host:pid#i"): match that.
    const QString key = w.pid > 0 ? QStringLiteral("%1:%2").arg(w.host).arg(w.pid) : w.id;
    seen.insert(key);
    Row& r = rows_[key];
    if (!r.registered) r.lastHeard = QDateTime::currentDateTimeUtc();
    r.id = key;
    r.host = w.host;
    r.threads = w.threads;
    r.registered = r.everRegistered = true;
    if (r.state.isEmpty() || r.state == tr("left the cluster")) r.state = tr("registered, waiting for a master");
  }
  for (auto it = rows_.begin(); it != rows_.end(); ++it) {
    if (it->registered && !seen.contains(it.key())) {
      it->registered = false;
      it->state = tr("left the cluster");
      it->lastHeard = QDateTime::currentDateTimeUtc();
    }
  }
  refresh();
}

void WorkerTable::addRound(const RoundInfo& round) {
  // A round's lanes of one worker add up; a worker contributed if any lane arrived.
  QMap<QString, double> speed;
  QMap<QString, bool> arrived;
  QMap<QString, int> lanes;
  QMap<QString, double> compute;
  for (const WorkerRoundInfo& w : round.workers) {
    const QString key = keyOf(w.id.empty() ? "local-" + std::to_string(w.worker) : w.id);
    lanes[key] += 1;
    if (w.arrived) compute[key] += w.computeSeconds;
    // Its share of the run's pace: samples over the round's wall time (the core's own
    // samplesPerSecond counts compute time only, which overstates it when rounds are short).
    if (w.arrived) speed[key] += round.seconds > 0 ? static_cast<double>(w.samples) / round.seconds : w.samplesPerSecond;
    arrived[key] = arrived.value(key, false) || w.arrived;
  }
  const QDateTime now = QDateTime::currentDateTimeUtc();
  const double before = runSeconds_;
  runSeconds_ += round.seconds;
  for (auto it = lanes.begin(); it != lanes.end(); ++it) {
    Row& r = rows_[it.key()];
    if (r.runSecondsAtJoin < 0) r.runSecondsAtJoin = before;
    r.computeSeconds += compute.value(it.key());
    r.lanes = std::max(r.lanes, it.value());
    if (r.id.isEmpty()) {
      r.id = it.key();
      r.local = it.key().startsWith("local-");
      r.host = r.local ? tr("this process") : it.key().section(':', 0, 0);
    }
    if (!r.everRegistered) r.threads = std::max(r.threads, it.value());
    r.lastHeard = now;
    r.lastRound = round.round;
    if (arrived.value(it.key())) {
      ++r.rounds;
      r.samplesPerSecond = speed.value(it.key());
      r.state = tr("training");
    } else {
      r.state = tr("missed round %1").arg(round.round);
    }
  }
  dirty_ = true;
}

void WorkerTable::startRun() {
  runSeconds_ = 0;
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (!it->everRegistered) {
      it = rows_.erase(it);
      continue;
    }
    it->rounds = 0;
    it->lastRound = -1;
    it->samplesPerSecond = 0;
    it->computeSeconds = 0;
    it->lanes = 0;
    it->runSecondsAtJoin = -1;
    if (it->registered) it->state = tr("registered, waiting for a master");
    ++it;
  }
  refresh();
}

void WorkerTable::endRun() {
  for (Row& r : rows_) {
    if (r.registered)
      r.state = tr("registered, waiting for a master");
    else if (r.everRegistered)
      r.state = tr("left the cluster");
    else
      r.state = r.rounds > 0 ? tr("done (run ended)") : tr("idle (run ended)");
  }
  dirty_ = true;
  refresh();
}

long long WorkerTable::roundsOf(const QString& key) const { return rows_.value(key).rounds; }
QString WorkerTable::stateOf(const QString& key) const { return rows_.value(key).state; }

void WorkerTable::refresh() {
  if (rowCount() != rows_.size()) dirty_ = true;
  setRowCount(static_cast<int>(rows_.size()));
  int i = 0;
  for (auto it = rows_.cbegin(); it != rows_.cend(); ++it, ++i) {
    const Row& r = it.value();
    if (dirty_ || !QTableWidget::item(i, kWorker) || QTableWidget::item(i, kWorker)->text() != r.id) {
      setItem(i, kWorker, makeItem(r.id));
      setItem(i, kHost, makeItem(r.host));
      setItem(i, kThreads, makeItem(r.threads > 0 ? QString::number(r.threads) : QStringLiteral("–"), true));
      setItem(i, kState, makeItem(r.state));
      setItem(i, kSpeed, makeItem(r.rounds > 0 ? QString::number(r.samplesPerSecond, 'f', 0) : QStringLiteral("–"), true));
      const double busy = busyOf(it.key());
      setItem(i, kBusy, makeItem(busy >= 0 ? QString::number(busy * 100.0, 'f', 0) + "%" : QStringLiteral("–"), true));
      setItem(i, kRounds, makeItem(QString::number(r.rounds), true));
    }
    // Only the age changes by itself: update that cell's text in place.
    if (QTableWidgetItem* cell = QTableWidget::item(i, kLastHeard)) cell->setText(ago(r.lastHeard));
    else setItem(i, kLastHeard, makeItem(ago(r.lastHeard), true));
  }
  dirty_ = false;
}

double WorkerTable::busyOf(const QString& key) const {
  const auto it = rows_.find(key);
  if (it == rows_.end() || it->runSecondsAtJoin < 0) return -1;
  const double wall = (runSeconds_ - it->runSecondsAtJoin) * std::max(1, it->lanes);
  if (wall <= 0) return -1;
  // An overlapping worker's last task may end after the round that counts it: at most 100%.
  return std::min(1.0, it->computeSeconds / wall);
}

}  // namespace scaleout::ui
