#pragma once
// ClusterMaster: the master's ZeroMQ endpoint. A ROUTER socket (ZMQ_ROUTER_MANDATORY)
// owned by one I/O thread greets worker nodes (Hello -> Welcome + Conf), ships the
// training rows once (workers cache them by content hash), and turns each lane of a
// ready node into a RemoteWorker handed to the join handler (the Trainer's addWorker).
// Heartbeats go both ways every second; a node silent past the timeout is declared
// dead, and its outstanding slices come back to the trainer as failed results.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cluster/cluster_log.h"
#include "cluster/cluster_stats.h"
#include "cluster/security.h"
#include "config/conf.h"
#include "data/dataset.h"
#include "train/worker.h"

namespace scaleout::cluster {

struct ClusterMasterOptions {
  std::string bind = "tcp://127.0.0.1:*";  // ZeroMQ endpoint; port * picks a free one
  double heartbeatIntervalSeconds = 1.0;
  double heartbeatTimeoutSeconds = 3.0;    // silence after which a node is dead
  int maxLanesPerWorker = 64;
  // CURVE on by default: key pair from the user's config dir, a ZAP allow-list started
  // before bind(), and a self-test that an unknown key is refused (docs/cluster.md).
  SecurityOptions security;
  LogFn log;                               // one line per event
};

class ClusterMaster {
 public:
  using JoinHandler = std::function<void(std::unique_ptr<Worker>)>;

  // `train` must outlive this object. Binds at once; throws ScaleoutError if it cannot.
  ClusterMaster(const Conf& conf, const DataSet& train, ClusterMasterOptions options);
  // Without the training rows yet (the master still loads them): workers that connect get
  // the conf at once and load their own copy meanwhile; setShard names the rows later.
  ClusterMaster(const Conf& conf, ClusterMasterOptions options);
  ~ClusterMaster();  // says Bye to every node and stops the I/O thread
  ClusterMaster(const ClusterMaster&) = delete;
  ClusterMaster& operator=(const ClusterMaster&) = delete;

  // The endpoint actually bound (the port resolved), e.g. tcp://127.0.0.1:40123.
  const std::string& endpoint() const { return endpoint_; }
  uint64_t runId() const { return runId_; }
  bool secure() const { return !publicKey_.empty(); }
  const std::string& publicKey() const { return publicKey_; }  // Z85; empty when insecure
  double selfTestSeconds() const { return selfTestSeconds_; }
  // Called on the I/O thread once per lane of each node that is ready to train.
  void setJoinHandler(JoinHandler handler);
  // The training rows, for a master constructed without them (`train` must outlive this
  // object; call once). Hashes them on the calling thread; nodes already connected then
  // learn which rows the run uses.
  void setShard(const DataSet& train);
  ClusterMasterStats stats() const;
  int connectedWorkers() const { return connected_.load(); }

 private:
  void start(const Conf& conf, const DataSet* train, ClusterMasterOptions options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string endpoint_;
  std::string publicKey_;
  double selfTestSeconds_ = 0;
  uint64_t runId_ = 0;
  std::atomic<int> connected_{0};
};

}  // namespace scaleout::cluster
