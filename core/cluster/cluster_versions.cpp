#include "cluster/cluster_versions.h"

#include <zmq.h>
#include <zookeeper/zookeeper_version.h>

namespace scaleout {

std::string zeroMqVersion() {
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string zooKeeperVersion() { return ZOO_VERSION; }

LibraryVersions clusterLibraryVersions() {
  return {{"ZeroMQ", zeroMqVersion()}, {"ZooKeeper C client", zooKeeperVersion()}};
}

}  // namespace scaleout
