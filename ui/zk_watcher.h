#pragma once
// ZkWatcher: the GUI's view of a cluster in ZooKeeper. It owns one cluster::ZkRegistry
// (which connects in the background and never blocks the caller), turns its callbacks,
// which run on the registry's thread, into queued signals on this object's thread, and
// reports a connection state by polling the registry: Connecting until it connects,
// Unreachable when it has not connected within the bound (the registry keeps retrying,
// and a later connection turns the state to Connected). Disconnecting destroys the
// registry on a helper thread, so closing a session never stalls the event loop.
// A connect string no client can be made for (a host that is not found) is Failed: the
// watcher stops trying and says what to fix. The client library's own lines go to the
// debug category scaleout.zookeeper (QT_LOGGING_RULES="scaleout.zookeeper.debug=true").
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QVector>

namespace scaleout::cluster {
class ZkRegistry;
}

namespace scaleout::ui {

Q_DECLARE_LOGGING_CATEGORY(lcZooKeeper)

struct ZkWorkerEntry {  // one ROOT/workers child, from its Curator ServiceInstance JSON
  QString id;
  QString host;
  qint64 pid = 0;
  int threads = 0;
  qint64 registeredMs = 0;  // UTC milliseconds
  QString version;
};

class ZkWatcher : public QObject {
  Q_OBJECT
 public:
  // Unreachable: not connected within the bound, still retrying. Failed: no client can be
  // made for the connect string (e.g. a host that is not found); nothing retries.
  enum class State { Disconnected, Connecting, Connected, Unreachable, Failed };
  Q_ENUM(State)

  explicit ZkWatcher(QObject* parent = nullptr);
  ~ZkWatcher() override;  // disconnects and waits (bounded by the client's close) for cleanup

  // Returns false (and reports Failed with the reason) for an empty connect string.
  bool connectTo(const QString& hosts, const QString& cluster, int sessionTimeoutMs, int unreachableAfterMs);
  void disconnectFrom();

  State state() const { return state_; }
  QString stateText() const { return stateText_; }
  QString hosts() const { return hosts_; }
  QString cluster() const { return cluster_; }

 signals:
  void stateChanged(scaleout::ui::ZkWatcher::State state, const QString& text);
  void workersChanged(const QVector<scaleout::ui::ZkWorkerEntry>& workers);
  void masterChanged(bool present, const QString& endpoint);
  void logLine(const QString& line);

 private:
  struct Relay;  // shared with the registry's callbacks; cut when this connection ends
  void poll();
  void setState(State state, const QString& text);
  void reapCleaners();
  void closeRegistry();  // ends the connection without a state change
  void onClientLine(const QString& line);

  std::unique_ptr<cluster::ZkRegistry> registry_;
  std::shared_ptr<Relay> relay_;
  std::vector<std::thread> cleaners_;
  QTimer poll_;
  QElapsedTimer since_;
  int unreachableAfterMs_ = 0;
  int generation_ = 0;
  State state_ = State::Disconnected;
  QString stateText_;
  QString hosts_, cluster_;
};

}  // namespace scaleout::ui

Q_DECLARE_METATYPE(scaleout::ui::ZkWorkerEntry)
Q_DECLARE_METATYPE(QVector<scaleout::ui::ZkWorkerEntry>)
