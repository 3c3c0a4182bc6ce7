#pragma once
// Internal ZeroMQ helpers shared by the master and the worker node: multipart send of an
// Encoded message (blobs without copies), receive into frames, and a wake-up pipe that
// lets other threads nudge the one thread that owns the sockets.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "cluster/protocol.h"

namespace scaleout::cluster {

enum class SendStatus { Sent, WouldBlock, Unreachable, Failed };

// Sends `message`, prefixed by `routingId` when non-empty (ROUTER side). Never blocks:
// a full queue gives WouldBlock, an unknown peer (ZMQ_ROUTER_MANDATORY) Unreachable.
SendStatus sendEncoded(zmq::socket_t& socket, const std::string& routingId, const Encoded& message);

// Receives one whole multipart message if one is waiting (non-blocking).
bool receiveFrames(zmq::socket_t& socket, std::vector<zmq::message_t>& frames);

std::vector<FrameView> frameViews(const std::vector<zmq::message_t>& frames, size_t first);

// Other threads call notify(); the socket-owning thread polls socket() and drain()s.
class WakePipe {
 public:
  WakePipe(zmq::context_t& context, const std::string& name);
  void notify();               // any thread
  zmq::socket_t& socket() { return reader_; }
  void drain();                // owner thread

 private:
  std::mutex mutex_;
  zmq::socket_t reader_;
  zmq::socket_t writer_;
};

struct MonitorEvent {
  uint16_t event = 0;   // ZMQ_EVENT_*
  uint32_t value = 0;   // e.g. the ZAP status code or ZMQ_PROTOCOL_ERROR_*
  std::string address;
};

// zmq_socket_monitor() on an inproc PAIR owned by the same thread as the socket.
class SocketMonitor {
 public:
  SocketMonitor(zmq::context_t& context, zmq::socket_t& socket, const std::string& name, int events);
  std::optional<MonitorEvent> next(std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  zmq::socket_t& socket() { return pair_; }
  void stop(zmq::socket_t& socket);  // before closing the monitored socket

 private:
  zmq::socket_t pair_;
  bool stopped_ = false;
};

// "the peer speaks another security mechanism (CURVE vs none)" and so on.
std::string describeHandshakeFailure(const MonitorEvent& event);

}  // namespace scaleout::cluster
