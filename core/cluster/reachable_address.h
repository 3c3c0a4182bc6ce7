#pragma once
// The address other machines can reach this one at: the local address of the interface
// that routes to the ZooKeeper ensemble (a connected UDP socket: no packet is sent). A
// master that registers this address in ZooKeeper can be reached by every worker that can
// reach ZooKeeper, which a loopback address never is.
#include <string>

namespace scaleout::cluster {

// "tcp://ADDRESS:*" for the first host of `zkHosts` ("HOST:PORT[,HOST:PORT...][/chroot]");
// empty with `why` set when the host does not resolve or no route leads to it.
std::string endpointFacing(const std::string& zkHosts, std::string& why);

}  // namespace scaleout::cluster
