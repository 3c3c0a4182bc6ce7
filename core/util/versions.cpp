#include "util/versions.h"

#include <Eigen/Core>
#include <zmq.h>
#include <zookeeper/zookeeper_version.h>

extern "C" char* openblas_get_config(void);

namespace scaleout {

std::string eigenVersion() {
  return std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION);
}

std::string zeroMqVersion() {
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string zooKeeperVersion() { return ZOO_VERSION; }

std::string openBlasConfig() {
  const char* config = openblas_get_config();
  return config ? config : "";
}

std::vector<std::pair<std::string, std::string>> libraryVersions() {
  return {{"Eigen", eigenVersion()},
          {"ZeroMQ", zeroMqVersion()},
          {"ZooKeeper C client", zooKeeperVersion()},
          {"OpenBLAS", openBlasConfig()}};
}

}  // namespace scaleout
