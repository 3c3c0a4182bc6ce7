#pragma once
// MasterService: everything `scaleout train --zk/--bind` adds to a run. It opens the
// ClusterMaster endpoint, feeds every ready remote lane to the Trainer (which admits it
// at the next round boundary), and, with ZooKeeper, registers the master so workers of
// the cluster find it. ZooKeeper unreachable at start is reported within the session
// timeout and the run goes on with local threads; registration follows when it connects.
#include <memory>
#include <string>

#include "cluster/cluster_log.h"
#include "cluster/cluster_stats.h"
#include "cluster/security.h"
#include "config/conf.h"
#include "data/dataset.h"

namespace scaleout {
class Trainer;
}  // namespace scaleout

namespace scaleout::cluster {

struct MasterServiceOptions {
  // Empty: with zkHosts, the address of the interface that reaches ZooKeeper (so workers on
  // other machines can connect to what the master registers); without, tcp://127.0.0.1:*.
  std::string bind;
  std::string zkHosts;  // empty: no ZooKeeper (workers use --connect)
  std::string cluster = "default";
  SecurityOptions security;  // CURVE on unless security.insecure (docs/cluster.md, "Security")
  std::string zkAuth;        // "user:password": ZooKeeper digest auth; nodes get creator-ALL + world-READ
  int zkSessionTimeoutMs = 6000;
  LogFn log;
};

class MasterService {
 public:
  // `train` and `trainer` must outlive this object; construct it after the trainer.
  MasterService(const Conf& conf, const DataSet& train, Trainer& trainer, MasterServiceOptions options);
  // Before the master's data is loaded: it listens and registers at once, so workers join
  // (and load their own copy of the data) while it loads; `attach` then brings the rows and
  // the trainer. Only for a conf whose network shape does not come from the data.
  MasterService(const Conf& conf, MasterServiceOptions options);
  // `train` and `trainer` must outlive this object. Once, for the constructor above.
  void attach(const DataSet& train, Trainer& trainer);
  ~MasterService();
  const std::string& endpoint() const;
  const std::string& publicKey() const;  // Z85; empty when insecure
  ClusterMasterStats stats() const;
  bool zooKeeperConnected() const;

 private:
  void start(const Conf& conf, const DataSet* train, Trainer* trainer, MasterServiceOptions options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scaleout::cluster
