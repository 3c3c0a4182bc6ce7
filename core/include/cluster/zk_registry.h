#pragma once
// ZkRegistry: RAII around one ZooKeeper C client handle (zhandle_t), and the only code
// that calls zoo_*. It keeps ephemeral registrations alive across reconnects and session
// expiry and reports watched nodes to callbacks. ZooKeeper's callbacks run on the
// client's completion thread and only queue events; the registry's own thread does every
// ZooKeeper call, re-arms watches after each event and after reconnecting, and makes
// every operation safe to repeat (a CONNECTIONLOSS request may have succeeded).
//
// Layout under root = /scaleout/NAME (docs/cluster.md):
//   ROOT/master               EPHEMERAL   {"endpoint","protocolVersion","publicKey","host","pid","runId",...}
//   ROOT/workers/worker-ID-N  EPHEMERAL|SEQUENTIAL  Curator ServiceInstance JSON
// With `auth` (digest "user:password") ROOT and everything below are created with the ACL
// creator-ALL + world-READ: anyone may read the cluster, only that identity may change it.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster/cluster_log.h"

namespace scaleout::cluster {

struct ZkRegistryOptions {
  std::string hosts;               // HOST:PORT[,HOST:PORT...]
  std::string root;                // e.g. /scaleout/default
  int sessionTimeoutMs = 6000;     // the server clamps it to [2, 20] x tickTime
  std::string auth;                // "user:password" for zoo_add_auth("digest"); empty: open ACLs
  LogFn log;                       // what a user needs: connected, lost, unreachable (once per outage), refused
  // The client library's own lines (ZOO_ERROR@check_events... at every attempt): detail for
  // debugging, not for the user's log. Empty: dropped, or on stderr when the environment
  // sets SCALEOUT_ZK_CLIENT_LOG=1.
  LogFn clientLog;
};

// Opens the line the registry logs when no client can be created for the connect string
// (a host that does not resolve, a malformed string); the reason follows after "': ".
inline constexpr const char* kCannotStartClient = "cannot start a ZooKeeper client for '";

std::string clusterRoot(const std::string& clusterName);  // "/scaleout/" + name

class ZkRegistry {
 public:
  explicit ZkRegistry(ZkRegistryOptions options);  // returns at once; connects in the background
  ~ZkRegistry();  // closes the session: its ephemeral nodes vanish at once
  ZkRegistry(const ZkRegistry&) = delete;
  ZkRegistry& operator=(const ZkRegistry&) = delete;

  bool waitConnected(std::chrono::milliseconds timeout);
  bool connected() const;
  int negotiatedTimeoutMs() const;

  // Keeps ROOT/master = info while this object lives (waits if another master holds it).
  void publishMaster(const nlohmann::json& info);
  // Keeps one ROOT/workers/worker-ID-NNNNNNNNNN = info while this object lives.
  void publishWorker(const std::string& id, const nlohmann::json& info);
  // Current content of ROOT/master (nullopt: none), reported on the registry's thread
  // after every change seen and after every reconnect. Never called while disconnected.
  void watchMaster(std::function<void(std::optional<nlohmann::json>)> onChange);
  // Current worker registrations (JSON of each child), same rules.
  void watchWorkers(std::function<void(const std::vector<nlohmann::json>&)> onChange);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scaleout::cluster
