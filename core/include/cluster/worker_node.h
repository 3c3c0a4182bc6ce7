#pragma once
// WorkerNode: the headless `scaleout worker`. It finds a master (a fixed endpoint, or the
// one registered in ZooKeeper), says Hello over a DEALER socket with a unique identity,
// receives the conf and (once, cached by content hash) the training rows, then trains
// each task on one of its lanes with the same SliceTrainer local threads use. One I/O
// thread owns the socket; lanes are threads that hand encoded results back to it.
// A master that falls silent or says Bye sends the node back to waiting.
#include <atomic>
#include <memory>
#include <string>

#include "cluster/cluster_log.h"
#include "cluster/security.h"

namespace scaleout::cluster {

struct WorkerNodeOptions {
  std::string connect;         // tcp://HOST:PORT of a master (no ZooKeeper), or
  std::string zkHosts;         // HOST:PORT[,HOST:PORT...] to discover the master of `cluster`
  std::string cluster = "default";
  int threads = 1;             // lanes offered to the master
  std::string bind;            // local address (IP or interface) to connect from, and the
                               // address registered in ZooKeeper; empty: the OS picks, host name
  double heartbeatIntervalSeconds = 1.0;  // until a master's Welcome says otherwise
  double heartbeatTimeoutSeconds = 3.0;
  double waitingLogSeconds = 5.0;         // how often "waiting for a master" is repeated
  int zkSessionTimeoutMs = 6000;
  std::string zkAuth;          // "user:password": ZooKeeper digest auth (the cluster's --zk-auth)
  // CURVE on by default: this user's worker key (or one derived from --cluster-secret),
  // and the master's public key from ZooKeeper, --master-key or this user's master.pub.
  SecurityOptions security;
  // Look for the training rows on this machine before downloading them: the shard cache
  // on disk, then the conf's own data files (used when their rows hash like the master's).
  bool useLocalData = true;
  double handshakeTimeoutSeconds = 3.0;  // TCP up but no ZeroMQ handshake: say why, retry later
  double refusedRetrySeconds = 10.0;     // after the master refused the handshake
  LogFn log;
};

struct WorkerNodeStats {
  int sessions = 0;        // masters this node worked for
  long long tasks = 0;     // tasks trained
  int shardDownloads = 0;  // shards received (the rest came from the cache)
};

class WorkerNode {
 public:
  explicit WorkerNode(WorkerNodeOptions options);
  ~WorkerNode();
  WorkerNode(const WorkerNode&) = delete;
  WorkerNode& operator=(const WorkerNode&) = delete;

  int run();    // blocks until stop(); returns 0 after a clean stop, 1 on a setup error
  void stop();  // any thread, and async-signal-safe: only sets an atomic
  WorkerNodeStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> stopRequested_{false};
};

}  // namespace scaleout::cluster
