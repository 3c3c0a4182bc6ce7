#pragma once
// Versions of the libraries this build uses, for About boxes and bug reports. The GUI
// shows them without including the ZeroMQ or ZooKeeper headers itself.
#include <string>
#include <utility>
#include <vector>

namespace scaleout {

std::string eigenVersion();      // compile-time, e.g. "3.4.0"
std::string zeroMqVersion();     // the linked libzmq at run time, e.g. "4.3.4"
std::string zooKeeperVersion();  // the C client's headers, e.g. "3.8.0"
std::string openBlasConfig();    // OpenBLAS's own build description

// All of the above as (name, version) pairs, in display order.
std::vector<std::pair<std::string, std::string>> libraryVersions();

}  // namespace scaleout
