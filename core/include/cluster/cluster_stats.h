#pragma once
// What a cluster master counts while it runs (the GUI's cluster panel and the tests read
// it through MasterService::stats): apart from ClusterMaster, so that front ends see the
// figures without the master's internals.
#include <cstdint>

namespace scaleout::cluster {

struct ClusterMasterStats {
  uint64_t bytesSent = 0, bytesReceived = 0;
  uint64_t messagesDropped = 0;  // refused by the decoder or by a session check
  uint64_t tasksSent = 0, resultsReceived = 0;
  int workersJoined = 0, workersLost = 0;
  uint64_t peersRefused = 0;       // CURVE clients whose key the ZAP handler refused
  uint64_t handshakeFailures = 0;  // other failed handshakes (e.g. an --insecure peer)
  // Parameters on the wire: bytes of every task and result (header + parameter blob), and
  // the results they bought; exchangeBytes / exchanges = bytes per round per remote lane.
  uint64_t exchangeBytes = 0, exchanges = 0;
};

}  // namespace scaleout::cluster
