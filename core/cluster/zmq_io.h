#pragma once
// Internal ZeroMQ helpers shared by the master and the worker node: multipart send of an
// Encoded message (blobs without copies), receive into frames, and a wake-up pipe that
// lets other threads nudge the one thread that owns the sockets.
#include <mutex>
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

}  // namespace scaleout::cluster
