#pragma once
// Versions of the messaging and coordination libraries the cluster code links, without
// their headers (for About boxes and bug reports; util/versions.h adds Eigen and OpenBLAS).
#include <string>

#include "util/versions.h"

namespace scaleout {

std::string zeroMqVersion();     // the linked libzmq at run time, e.g. "4.3.4"
std::string zooKeeperVersion();  // the C client's headers, e.g. "3.8.0"

// ZeroMQ then the ZooKeeper C client, as (name, version) pairs for libraryVersions().
LibraryVersions clusterLibraryVersions();

}  // namespace scaleout
