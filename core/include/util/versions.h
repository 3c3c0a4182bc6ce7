#pragma once
// Versions of the libraries this build uses, for About boxes and bug reports. The GUI
// shows them without including the ZeroMQ or ZooKeeper headers itself. util/ is the
// ground floor and includes no other core folder: the messaging libraries' versions come
// from cluster/cluster_versions.h and are passed in.
#include <string>
#include <utility>
#include <vector>

namespace scaleout {

using LibraryVersions = std::vector<std::pair<std::string, std::string>>;  // (name, version)

std::string eigenVersion();      // compile-time, e.g. "3.4.0"
std::string openBlasConfig();    // OpenBLAS's own build description

// Eigen, then `clusterLibraries` (clusterLibraryVersions()), then OpenBLAS: display order.
LibraryVersions libraryVersions(const LibraryVersions& clusterLibraries);

}  // namespace scaleout
