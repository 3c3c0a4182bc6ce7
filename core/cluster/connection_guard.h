#pragma once
// ConnectionGuard: caps the TCP connections of the master's ROUTER socket. libzmq has no
// such option, so the guard follows the socket monitor: ZMQ_EVENT_ACCEPTED and
// ZMQ_EVENT_DISCONNECTED carry the connection's descriptor, getpeername() gives its
// address, and a connection over a limit is shut down (shutdown(2), never close(2): libzmq
// owns the descriptor, sees end-of-stream and cleans up, emitting DISCONNECTED).
//
// A connection is "half-open" until a message arrives from it (ZMQ_SRCFD of a received
// frame), which only happens after the CURVE handshake and the ZAP check. Caps, newest
// connection refused first:
//   - all connections: keeps descriptors in reserve for files, ZooKeeper and ZeroMQ;
//   - half-open connections, and half-open connections per peer address: strangers cannot
//     crowd out workers, and memory before authentication stays below
//     halfOpen x maxInboundMessageBytes (ZMQ_MAXMSGSIZE; see message_limits.h).
// Half-open connections last at most kMasterHandshakeTimeoutMs (ZMQ_HANDSHAKE_IVL).
//
// Races, and why they are harmless: events arrive on the master's thread after the fact,
// so a descriptor may already be closed, or reused, when its ACCEPTED is read. The master's
// context has one I/O thread, so events of one descriptor arrive in order (ACCEPTED before
// its DISCONNECTED, and that before the number is reused): the table stays balanced. Before
// a shutdown the descriptor is checked to be a connection to our listening port; at worst a
// refusal hits a newer connection to the same port that reused the number, and that peer
// reconnects. A monitor event lost in a full queue would leave a stale entry: an audit
// drops entries whose descriptor no longer holds the recorded connection.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cluster/cluster_log.h"
#include "cluster/zmq_io.h"

namespace scaleout::cluster {

// A peer that has not finished the ZMTP/CURVE handshake by then is disconnected by libzmq.
inline constexpr int kMasterHandshakeTimeoutMs = 4000;
// Descriptors never given to connections: model and checkpoint files, data, ZooKeeper,
// ZeroMQ's own pipes and sockets, the GUI.
inline constexpr long kDescriptorReserve = 128;
inline constexpr int kMaxConnections = 4096;
inline constexpr int kMaxHalfOpen = 256;
inline constexpr int kMaxHalfOpenPerAddress = 16;
// The monitor events the guard needs, on top of the handshake failures.
inline constexpr int kConnectionEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_DISCONNECTED;

struct ConnectionLimits {
  long descriptors = 0;        // the RLIMIT_NOFILE soft limit in force
  int total = 0;               // open connections of every kind
  int halfOpen = 0;            // connections no message has come from yet
  int halfOpenPerAddress = 0;  // the same, from one peer IP address
};

// Raises the soft RLIMIT_NOFILE to the hard limit (for the whole process: a master with
// many workers needs them) and returns the soft limit in force afterwards.
long raiseDescriptorLimit();

// Half of the descriptors beyond kDescriptorReserve for connections, at most
// kMaxConnections; half of those (at most kMaxHalfOpen) may be half-open.
ConnectionLimits connectionLimitsFor(long descriptors);

class ConnectionGuard {
 public:
  ConnectionGuard(ConnectionLimits limits, size_t maxMessageBytes, LogFn log);

  void onEvent(const MonitorEvent& event);                     // every monitor event, in order
  void onMessage(const std::vector<zmq::message_t>& frames);   // a message read from the ROUTER

  const ConnectionLimits& limits() const { return limits_; }
  int open() const { return static_cast<int>(connections_.size()); }
  int halfOpen() const { return halfOpen_; }
  uint64_t refused() const { return refused_; }
  uint64_t droppedInHandshake() const { return droppedInHandshake_; }

 private:
  struct Connection {
    std::string address;   // peer IP; empty if the descriptor was no longer ours when read
    uint16_t peerPort = 0;
    bool established = false;
    bool refused = false;
  };
  // One line at once, then at most one per interval, each with the running count.
  struct Throttle {
    std::chrono::steady_clock::time_point last;
    uint64_t count = 0;
    bool due();
  };

  void accepted(int fd, const std::string& endpoint);
  void disconnected(int fd);
  void forget(std::map<int, Connection>::iterator it);
  void refuse(int fd, Connection& c, const std::string& line, Throttle& throttle);
  void auditIfDue(bool force);

  ConnectionLimits limits_;
  size_t maxMessageBytes_;
  LogFn log_;
  std::map<int, Connection> connections_;
  std::map<std::string, int> halfOpenByAddress_;
  int halfOpen_ = 0;
  uint16_t listenPort_ = 0;
  uint16_t lastFailure_ = 0;     // the previous event, if it was a handshake failure
  uint64_t pendingAuthFailures_ = 0;
  uint64_t refused_ = 0, droppedInHandshake_ = 0;
  Throttle refusedTotal_, refusedHalfOpen_, refusedAddress_, outOfDescriptors_, dropped_;
  std::chrono::steady_clock::time_point lastAudit_;
};

}  // namespace scaleout::cluster
