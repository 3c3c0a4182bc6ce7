#include "cluster/connection_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace scaleout::cluster {

using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kLogInterval = std::chrono::seconds(30);
constexpr auto kAuditInterval = std::chrono::seconds(5);

struct SocketAddress {
  std::string address;
  uint16_t port = 0;
};

std::optional<SocketAddress> describe(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    if (!inet_ntop(AF_INET, &a.sin_addr, text, sizeof text)) return std::nullopt;
    return SocketAddress{text, ntohs(a.sin_port)};
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    if (!inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text)) return std::nullopt;
    return SocketAddress{text, ntohs(a.sin6_port)};
  }
  return std::nullopt;
}

std::optional<SocketAddress> localOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return describe(ss);
}

std::optional<SocketAddress> peerOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return describe(ss);
}

// "tcp://127.0.0.1:40123" -> 40123; 0 if there is no port.
uint16_t portOf(const std::string& endpoint) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) return 0;
  const long port = std::strtol(endpoint.c_str() + colon + 1, nullptr, 10);
  return port > 0 && port < 65536 ? static_cast<uint16_t>(port) : 0;
}

std::string megabytes(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

}  // namespace

long raiseDescriptorLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
  if (r.rlim_cur < r.rlim_max) {
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
  }
  // RLIM_INFINITY or an absurd hard limit: the caps below stop at kMaxConnections anyway.
  return r.rlim_cur > 1 << 30 ? 1L << 30 : static_cast<long>(r.rlim_cur);
}

ConnectionLimits connectionLimitsFor(long descriptors) {
  ConnectionLimits l;
  l.descriptors = descriptors;
  const long usable = std::max(0L, descriptors - kDescriptorReserve);
  l.total = static_cast<int>(std::clamp(usable / 2, 8L, static_cast<long>(kMaxConnections)));
  l.halfOpen = std::clamp(l.total / 2, 4, kMaxHalfOpen);
  l.halfOpenPerAddress = std::clamp(l.halfOpen / 4, 2, kMaxHalfOpenPerAddress);
  return l;
}

bool ConnectionGuard::Throttle::due() {
  const auto now = Clock::now();
  ++count;
  if (count > 1 && now - last < kLogInterval) return false;
  last = now;
  return true;
}

ConnectionGuard::ConnectionGuard(ConnectionLimits limits, size_t maxMessageBytes, LogFn log)
    : limits_(limits), maxMessageBytes_(maxMessageBytes), log_(std::move(log)), lastAudit_(Clock::now()) {}

void ConnectionGuard::onEvent(const MonitorEvent& e) {
  switch (e.event) {
    case ZMQ_EVENT_ACCEPTED:
      accepted(static_cast<int>(e.value), e.address);
      break;
    case ZMQ_EVENT_DISCONNECTED:
      disconnected(static_cast<int>(e.value));
      break;
    case ZMQ_EVENT_ACCEPT_FAILED:
      if ((e.value == EMFILE || e.value == ENFILE) && outOfDescriptors_.due() && log_)
        log_("refusing connections: out of file descriptors with " + std::to_string(open()) + " open, descriptor limit " +
             std::to_string(limits_.descriptors) + " (" + std::to_string(outOfDescriptors_.count) + " failed accepts so far)");
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      // The ZAP handler logged the key; the connection ends later with a bare DISCONNECTED.
      if (pendingAuthFailures_ < 100000) ++pendingAuthFailures_;
      break;
    default:
      break;
  }
  const bool failure = e.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || e.event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                       e.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
  lastFailure_ = failure ? e.event : 0;
  auditIfDue(false);
}

void ConnectionGuard::onMessage(const std::vector<zmq::message_t>& frames) {
  // Frame 0 is the routing id the ROUTER made up; frame 1 came from the peer's connection.
  if (frames.size() < 2) return;
  const int fd = zmq_msg_get(const_cast<zmq_msg_t*>(frames[1].handle()), ZMQ_SRCFD);
  if (fd < 0) return;
  auto it = connections_.find(fd);
  if (it == connections_.end() || it->second.established) return;
  it->second.established = true;
  --halfOpen_;
  if (--halfOpenByAddress_[it->second.address] <= 0) halfOpenByAddress_.erase(it->second.address);
}

void ConnectionGuard::accepted(int fd, const std::string& endpoint) {
  if (listenPort_ == 0) listenPort_ = portOf(endpoint);
  if (auto old = connections_.find(fd); old != connections_.end()) forget(old);  // its DISCONNECTED was lost
  Connection c;
  const auto local = localOf(fd);
  const auto peer = peerOf(fd);
  const bool ours = local && peer && local->port == listenPort_;
  if (ours) {
    c.address = peer->address;
    c.peerPort = peer->port;
  }
  Connection& entry = connections_[fd] = c;
  ++halfOpen_;
  const int fromAddress = ++halfOpenByAddress_[entry.address];
  if (!ours) return;  // already gone: its DISCONNECTED follows
  const int total = open();
  if (total > limits_.total || halfOpen_ > limits_.halfOpen || fromAddress > limits_.halfOpenPerAddress) {
    auditIfDue(true);  // count only connections that really exist before refusing anyone
    if (connections_.find(fd) == connections_.end()) return;
  }
  if (open() > limits_.total) {
    refuse(fd, entry,
           "refusing connections: " + std::to_string(open() - 1) + " open, limit " + std::to_string(limits_.total) +
               " (descriptor limit " + std::to_string(limits_.descriptors) + ")",
           refusedTotal_);
  } else if (halfOpen_ > limits_.halfOpen) {
    refuse(fd, entry,
           "refusing connections: " + std::to_string(halfOpen_ - 1) + " open without a completed handshake, limit " +
               std::to_string(limits_.halfOpen),
           refusedHalfOpen_);
  } else if (halfOpenByAddress_[entry.address] > limits_.halfOpenPerAddress) {
    refuse(fd, entry,
           "refusing connections from " + entry.address + ": " + std::to_string(halfOpenByAddress_[entry.address] - 1) +
               " open from that address without a completed handshake, limit " + std::to_string(limits_.halfOpenPerAddress),
           refusedAddress_);
  }
}

void ConnectionGuard::refuse(int fd, Connection& c, const std::string& line, Throttle& throttle) {
  c.refused = true;
  ++refused_;
  ::shutdown(fd, SHUT_RDWR);
  if (throttle.due() && log_) log_(line + " (" + std::to_string(throttle.count) + " refused so far)");
}

void ConnectionGuard::disconnected(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  const Connection& c = it->second;
  // A connection that ends mid-handshake without a handshake-failure event right before
  // its DISCONNECTED was cut by libzmq's decoder: a frame over ZMQ_MAXMSGSIZE, or broken
  // ZMTP framing. A key refused by ZAP also ends without one, but was counted above.
  if (!c.established && !c.refused && !c.address.empty()) {
    if (lastFailure_ != 0) {
      if (lastFailure_ == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && pendingAuthFailures_ > 0) --pendingAuthFailures_;
    } else if (pendingAuthFailures_ > 0) {
      --pendingAuthFailures_;
    } else {
      ++droppedInHandshake_;
      if (dropped_.due() && log_)
        log_("dropped a connection from " + c.address + " during its handshake: it declared a frame over the " +
             megabytes(maxMessageBytes_) + " limit or broke the ZMTP framing (" + std::to_string(dropped_.count) +
             " such connection(s) so far)");
    }
  }
  forget(it);
}

void ConnectionGuard::forget(std::map<int, Connection>::iterator it) {
  if (!it->second.established) {
    --halfOpen_;
    if (--halfOpenByAddress_[it->second.address] <= 0) halfOpenByAddress_.erase(it->second.address);
  }
  connections_.erase(it);
}

void ConnectionGuard::auditIfDue(bool force) {
  const auto now = Clock::now();
  if (!force && now - lastAudit_ < kAuditInterval) return;
  if (force && now - lastAudit_ < std::chrono::seconds(1)) return;
  lastAudit_ = now;
  for (auto it = connections_.begin(); it != connections_.end();) {
    const Connection& c = it->second;
    const auto local = localOf(it->first);
    const auto peer = peerOf(it->first);
    const bool same = !c.address.empty() && local && peer && local->port == listenPort_ && peer->address == c.address &&
                      peer->port == c.peerPort;
    if (same) {
      ++it;
    } else {
      auto gone = it++;
      // An entry whose descriptor was already gone when read waits for its DISCONNECTED;
      // only a recorded connection that is no longer there is stale.
      if (!gone->second.address.empty()) forget(gone);
    }
  }
}

}  // namespace scaleout::cluster
