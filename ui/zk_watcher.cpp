#include "zk_watcher.h"

#include <QMetaObject>
#include <QPointer>

#include "cluster/zk_registry.h"

namespace scaleout::ui {

// Debug level by default off: the client library prints a line per connection attempt.
Q_LOGGING_CATEGORY(lcZooKeeper, "scaleout.zookeeper", QtInfoMsg)

// The registry's callbacks hold this, never the watcher: cutting it (under the mutex)
// guarantees no callback touches a watcher that is gone or a connection that ended.
struct ZkWatcher::Relay {
  std::mutex mutex;
  ZkWatcher* target = nullptr;
  int generation = 0;

  // Runs f(watcher) on the watcher's thread, unless this connection has ended by then.
  template <typename F>
  void post(F f) {
    std::lock_guard lock(mutex);
    if (!target) return;
    QMetaObject::invokeMethod(
        target,
        [t = target, g = generation, f = std::move(f)] {
          if (t->generation_ == g) f(t);
        },
        Qt::QueuedConnection);
  }
  void cut() {
    std::lock_guard lock(mutex);
    target = nullptr;
  }
};

namespace {
ZkWorkerEntry entryFrom(const nlohmann::json& j) {
  ZkWorkerEntry e;
  auto text = [](const nlohmann::json& o, const char* key) {
    return o.contains(key) && o[key].is_string() ? QString::fromStdString(o[key].get<std::string>()) : QString();
  };
  e.id = text(j, "id");
  e.host = text(j, "address");
  if (j.contains("registrationTimeUTC") && j["registrationTimeUTC"].is_number())
    e.registeredMs = j["registrationTimeUTC"].get<qint64>();
  if (j.contains("payload") && j["payload"].is_object()) {
    const auto& p = j["payload"];
    if (!text(p, "host").isEmpty()) e.host = text(p, "host");
    if (p.contains("pid") && p["pid"].is_number()) e.pid = p["pid"].get<qint64>();
    if (p.contains("threads") && p["threads"].is_number()) e.threads = p["threads"].get<int>();
    e.version = text(p, "version");
  }
  return e;
}
}  // namespace

ZkWatcher::ZkWatcher(QObject* parent) : QObject(parent) {
  qRegisterMetaType<ZkWorkerEntry>();
  qRegisterMetaType<QVector<ZkWorkerEntry>>();
  poll_.setInterval(100);
  connect(&poll_, &QTimer::timeout, this, &ZkWatcher::poll);
}

ZkWatcher::~ZkWatcher() {
  disconnectFrom();
  for (auto& t : cleaners_)
    if (t.joinable()) t.join();
}

bool ZkWatcher::connectTo(const QString& hosts, const QString& cluster, int sessionTimeoutMs, int unreachableAfterMs) {
  disconnectFrom();
  hosts_ = hosts.trimmed();
  cluster_ = cluster.trimmed().isEmpty() ? QStringLiteral("default") : cluster.trimmed();
  if (hosts_.isEmpty()) {
    setState(State::Failed, tr("no ZooKeeper connect string: give HOST:PORT[,HOST:PORT...] and connect"));
    return false;
  }
  relay_ = std::make_shared<Relay>();
  relay_->target = this;
  relay_->generation = ++generation_;
  cluster::ZkRegistryOptions options;
  options.hosts = hosts_.toStdString();
  options.root = cluster::clusterRoot(cluster_.toStdString());
  options.sessionTimeoutMs = sessionTimeoutMs;
  std::weak_ptr<Relay> weak = relay_;
  options.log = [weak](const std::string& line) {
    if (auto r = weak.lock()) r->post([l = QString::fromStdString(line)](ZkWatcher* t) { t->onClientLine(l); });
  };
  // Any thread; the category is thread-safe.
  options.clientLog = [](const std::string& line) { qCDebug(lcZooKeeper).noquote() << QString::fromStdString(line); };
  registry_ = std::make_unique<cluster::ZkRegistry>(options);  // returns at once
  registry_->watchWorkers([weak](const std::vector<nlohmann::json>& children) {
    QVector<ZkWorkerEntry> entries;
    for (const auto& j : children) entries << entryFrom(j);
    if (auto r = weak.lock()) r->post([entries](ZkWatcher* t) { emit t->workersChanged(entries); });
  });
  registry_->watchMaster([weak](std::optional<nlohmann::json> master) {
    QString endpoint;
    if (master && master->contains("endpoint") && (*master)["endpoint"].is_string())
      endpoint = QString::fromStdString((*master)["endpoint"].get<std::string>());
    const bool present = master.has_value();
    if (auto r = weak.lock()) r->post([present, endpoint](ZkWatcher* t) { emit t->masterChanged(present, endpoint); });
  });
  unreachableAfterMs_ = unreachableAfterMs;
  since_.start();
  setState(State::Connecting, tr("connecting to %1 (cluster %2)…").arg(hosts_, cluster_));
  poll_.start();
  return true;
}

void ZkWatcher::onClientLine(const QString& line) {
  // No client can be made for this connect string (most often a typo): the registry would
  // retry with backoff, but the string will not get better by itself. Stop, and say what
  // to fix, once, instead of the registry's line.
  const QString prefix = QString::fromUtf8(cluster::kCannotStartClient);
  if (line.startsWith(prefix) && state_ != State::Connected) {
    QString why = line.mid(line.indexOf(QLatin1String("': "), prefix.size()) + 3);
    why = why.left(why.indexOf(QLatin1String("; retrying")));
    closeRegistry();
    setState(State::Failed, tr("cannot use ZooKeeper at %1: %2; check the connect string and connect again").arg(hosts_, why));
    return;
  }
  emit logLine(line);
}

void ZkWatcher::closeRegistry() {
  poll_.stop();
  ++generation_;  // events of the ended connection still in the queue are dropped
  if (relay_) relay_->cut();
  relay_.reset();
  if (registry_) {
    // Closing the session joins the registry's thread and the client's: off this thread.
    reapCleaners();
    cleaners_.emplace_back([r = std::move(registry_)]() mutable { r.reset(); });
    emit workersChanged({});
  }
}

void ZkWatcher::disconnectFrom() {
  closeRegistry();
  if (state_ != State::Disconnected) setState(State::Disconnected, tr("disconnected"));
}

void ZkWatcher::reapCleaners() {
  // Finished cleaners are joined when the next one starts; at most a handful pile up.
  if (cleaners_.size() < 8) return;
  for (auto& t : cleaners_)
    if (t.joinable()) t.join();
  cleaners_.clear();
}

void ZkWatcher::poll() {
  if (!registry_) return;
  const bool up = registry_->connected();
  if (up && state_ != State::Connected) {
    setState(State::Connected, tr("connected to %1 (cluster %2)").arg(hosts_, cluster_));
  } else if (!up && state_ == State::Connected) {
    since_.restart();
    setState(State::Connecting, tr("lost the connection to %1; reconnecting…").arg(hosts_));
  } else if (!up && state_ == State::Connecting && since_.elapsed() >= unreachableAfterMs_) {
    setState(State::Unreachable, tr("cannot reach ZooKeeper at %1 (no answer within %2 s); still retrying")
                                     .arg(hosts_)
                                     .arg(unreachableAfterMs_ / 1000.0, 0, 'f', 1));
  }
}

void ZkWatcher::setState(State state, const QString& text) {
  state_ = state;
  stateText_ = text;
  emit stateChanged(state, text);
}

}  // namespace scaleout::ui
