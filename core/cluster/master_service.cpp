#include "cluster/master_service.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cluster/cluster_master.h"
#include "cluster/master_trust.h"
#include "cluster/protocol.h"
#include "cluster/reachable_address.h"
#include "cluster/zk_registry.h"
#include "train/trainer.h"
#include "util/error.h"

namespace scaleout::cluster {

struct MasterService::Impl {
  std::unique_ptr<ClusterMaster> master;
  std::unique_ptr<ZkRegistry> zk;
  LogFn log;
  // Started before the data (attach follows): the wait for a ZooKeeper session overlaps the
  // master's loading and is finished in attach, up to this deadline.
  std::chrono::steady_clock::time_point zkDeadline;
  std::string zkHosts;
  int zkSessionTimeoutMs = 0;

  void reportUnreachable() const {
    if (log)
      log("ZooKeeper at " + zkHosts + " is unreachable (no session within " + std::to_string(zkSessionTimeoutMs) +
          " ms); training with local threads, and registering the master when ZooKeeper answers");
  }
};

namespace {

// What workers read in ROOT/master. With the cluster secret the node also proves that its
// writer holds the secret (workers refuse a master key nothing vouches for, master_trust.h).
nlohmann::json masterNode(const ClusterMaster& master, const SecurityOptions& security) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  char runId[20];
  std::snprintf(runId, sizeof runId, "%016llx", static_cast<unsigned long long>(master.runId()));
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json node = {{"endpoint", master.endpoint()},
                         {"protocolVersion", kProtocolVersion},
                         {"publicKey", master.secure() ? nlohmann::json(master.publicKey()) : nlohmann::json()},
                         {"secure", master.secure()},
                         {"host", host},
                         {"pid", static_cast<int>(getpid())},
                         {"runId", runId},
                         {"version", SCALEOUT_VERSION},
                         {"registrationTimeUTC", now}};
  if (master.secure() && !security.clusterSecretFile.empty())
    node["secretProof"] =
        masterNodeProof(masterProofKeyFromClusterSecret(security.clusterSecretFile), master.endpoint(), master.publicKey(), runId);
  return node;
}

}  // namespace

MasterService::MasterService(const Conf& conf, const DataSet& train, Trainer& trainer, MasterServiceOptions options)
    : impl_(std::make_unique<Impl>()) {
  start(conf, &train, &trainer, std::move(options));
}

MasterService::MasterService(const Conf& conf, MasterServiceOptions options) : impl_(std::make_unique<Impl>()) {
  start(conf, nullptr, nullptr, std::move(options));
}

void MasterService::attach(const DataSet& train, Trainer& trainer) {
  impl_->master->setJoinHandler([&trainer](std::unique_ptr<Worker> w) { trainer.addWorker(std::move(w)); });
  impl_->master->setShard(train);
  if (impl_->zk && !impl_->zk->connected()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(impl_->zkDeadline - std::chrono::steady_clock::now());
    if (!impl_->zk->waitConnected(std::max(left, std::chrono::milliseconds(0)))) impl_->reportUnreachable();
  }
}

void MasterService::start(const Conf& conf, const DataSet* train, Trainer* trainer, MasterServiceOptions options) {
  impl_->log = options.log;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  ClusterMasterOptions mo;
  mo.bind = options.bind;
  if (mo.bind.empty() && !options.zkHosts.empty()) {
    std::string why;
    mo.bind = endpointFacing(options.zkHosts, why);
    if (mo.bind.empty()) log("cannot tell which address reaches ZooKeeper (" + why + "); listening on loopback only: give --bind");
  }
  if (mo.bind.empty()) mo.bind = "tcp://127.0.0.1:*";
  mo.heartbeatIntervalSeconds = 1.0;
  mo.heartbeatTimeoutSeconds = conf.heartbeatTimeoutSeconds;
  mo.security = options.security;
  mo.log = options.log;
  impl_->master = train ? std::make_unique<ClusterMaster>(conf, *train, mo) : std::make_unique<ClusterMaster>(conf, mo);
  if (trainer) impl_->master->setJoinHandler([trainer](std::unique_ptr<Worker> w) { trainer->addWorker(std::move(w)); });
  if (!impl_->master->secure())
    log("INSECURE: no CURVE encryption or authentication; any peer that reaches " + impl_->master->endpoint() +
        " can join and see the training data");
  log("listening for workers on " + impl_->master->endpoint() + " (protocol version " + std::to_string(kProtocolVersion) + ")");
  if (options.zkHosts.empty()) return;

  ZkRegistryOptions zo;
  zo.hosts = options.zkHosts;
  zo.root = clusterRoot(options.cluster);
  zo.sessionTimeoutMs = options.zkSessionTimeoutMs;
  zo.auth = effectiveZkAuth(options.zkAuth, options.security);
  zo.log = options.log;
  if (options.zkAuth.empty() && !zo.auth.empty())
    log("ZooKeeper nodes of cluster " + options.cluster + " are written with the identity derived from --cluster-secret " +
        options.security.clusterSecretFile + " (other clients may read them, not change them)");
  impl_->zk = std::make_unique<ZkRegistry>(zo);
  impl_->zk->publishMaster(masterNode(*impl_->master, options.security));
  impl_->zk->watchWorkers([log = options.log, last = std::make_shared<size_t>(static_cast<size_t>(-1))](const std::vector<nlohmann::json>& workers) {
    if (workers.size() == *last) return;
    *last = workers.size();
    if (log) log("ZooKeeper lists " + std::to_string(workers.size()) + " registered worker(s) in the cluster");
  });
  impl_->zkHosts = options.zkHosts;
  impl_->zkSessionTimeoutMs = options.zkSessionTimeoutMs;
  impl_->zkDeadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.zkSessionTimeoutMs);
  if (!train) return;  // attach waits for the session, while the master has loaded its data meanwhile
  if (!impl_->zk->waitConnected(std::chrono::milliseconds(options.zkSessionTimeoutMs))) impl_->reportUnreachable();
}

MasterService::~MasterService() {
  impl_->zk.reset();      // unregister first, so no worker comes looking for a closing master
  impl_->master.reset();
}

const std::string& MasterService::endpoint() const { return impl_->master->endpoint(); }
const std::string& MasterService::publicKey() const { return impl_->master->publicKey(); }
ClusterMasterStats MasterService::stats() const { return impl_->master->stats(); }
bool MasterService::zooKeeperConnected() const { return impl_->zk && impl_->zk->connected(); }

}  // namespace scaleout::cluster
