#include "cluster/zmq_io.h"

#include <atomic>
#include <cstdio>
#include <cstring>

namespace scaleout::cluster {
namespace {

// Below this size a copy is cheaper than the bookkeeping of a zero-copy message.
constexpr size_t kZeroCopyMinBytes = 64 * 1024;

void releaseOwner(void* /*data*/, void* hint) { delete static_cast<std::shared_ptr<const void>*>(hint); }

zmq::message_t blobMessage(const Blob& blob) {
  if (blob.bytes == 0) return zmq::message_t();
  if (!blob.owner || blob.bytes < kZeroCopyMinBytes) return zmq::message_t(blob.data, blob.bytes);
  // ZeroMQ calls releaseOwner (from its own thread) once the bytes are on the wire; the
  // shared_ptr copy keeps the buffer alive until then.
  auto* hint = new std::shared_ptr<const void>(blob.owner);
  return zmq::message_t(const_cast<void*>(blob.data), blob.bytes, &releaseOwner, hint);
}

}  // namespace

SendStatus sendEncoded(zmq::socket_t& socket, const std::string& routingId, const Encoded& message) {
  try {
    if (!routingId.empty()) {
      // With ZMQ_ROUTER_MANDATORY the first frame fails at once for an unknown peer; once it
      // is accepted the remaining frames of the message are accepted too (atomic delivery).
      auto ok = socket.send(zmq::buffer(routingId), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      if (!ok) return SendStatus::WouldBlock;
    }
    const bool hasBlobs = !message.blobs.empty();
    socket.send(zmq::buffer(message.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket.send(zmq::buffer(message.body), (hasBlobs ? zmq::send_flags::sndmore : zmq::send_flags::none) | zmq::send_flags::dontwait);
    for (size_t i = 0; i < message.blobs.size(); ++i) {
      const bool last = i + 1 == message.blobs.size();
      socket.send(blobMessage(message.blobs[i]), (last ? zmq::send_flags::none : zmq::send_flags::sndmore) | zmq::send_flags::dontwait);
    }
    return SendStatus::Sent;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return SendStatus::Unreachable;
    if (e.num() == EAGAIN) return SendStatus::WouldBlock;
    return SendStatus::Failed;
  }
}

bool receiveFrames(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
  frames.clear();
  for (;;) {
    zmq::message_t part;
    auto got = socket.recv(part, frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
    if (!got) return false;
    const bool more = part.more();
    frames.push_back(std::move(part));
    if (!more) return true;
    if (frames.size() > kMaxBlobs + 3) {
      // Swallow the rest of an absurdly long message; the decoder refuses it.
      zmq::message_t rest;
      while (socket.recv(rest, zmq::recv_flags::none) && rest.more()) {
      }
      return true;
    }
  }
}

std::vector<FrameView> frameViews(const std::vector<zmq::message_t>& frames, size_t first) {
  std::vector<FrameView> views;
  for (size_t i = first; i < frames.size(); ++i)
    views.emplace_back(static_cast<const uint8_t*>(frames[i].data()), frames[i].size());
  return views;
}

WakePipe::WakePipe(zmq::context_t& context, const std::string& name)
    : reader_(context, zmq::socket_type::pair), writer_(context, zmq::socket_type::pair) {
  char address[128];
  std::snprintf(address, sizeof address, "inproc://%s-%p", name.c_str(), static_cast<void*>(this));
  reader_.set(zmq::sockopt::linger, 0);
  writer_.set(zmq::sockopt::linger, 0);
  reader_.bind(address);
  writer_.connect(address);
}

void WakePipe::notify() {
  // The writer is shared by several threads; the mutex gives the full fence ZeroMQ asks
  // for when a socket is used by more than one thread. A full pipe already means "wake".
  std::lock_guard lock(mutex_);
  try {
    (void)writer_.send(zmq::const_buffer(), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
  }
}

void WakePipe::drain() {
  zmq::message_t m;
  while (reader_.recv(m, zmq::recv_flags::dontwait)) {
  }
}

SocketMonitor::SocketMonitor(zmq::context_t& context, zmq::socket_t& socket, const std::string& name, int events)
    : pair_(context, zmq::socket_type::pair) {
  // A counter, not the address of this object: a monitor endpoint is released
  // asynchronously, and the next monitor may well live at the same address.
  static std::atomic<unsigned long> counter{0};
  char address[160];
  std::snprintf(address, sizeof address, "inproc://%s-monitor-%lu", name.c_str(), ++counter);
  if (zmq_socket_monitor(socket.handle(), address, events) != 0) throw zmq::error_t();
  pair_.set(zmq::sockopt::linger, 0);
  pair_.connect(address);
}

std::optional<MonitorEvent> SocketMonitor::next(std::chrono::milliseconds wait) {
  if (stopped_) return std::nullopt;
  if (wait.count() > 0) {
    zmq::pollitem_t items[] = {{pair_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, wait);
    } catch (const zmq::error_t&) {
      return std::nullopt;
    }
  }
  zmq::message_t head, address;
  try {
    if (!pair_.recv(head, zmq::recv_flags::dontwait)) return std::nullopt;
    if (head.more()) (void)pair_.recv(address, zmq::recv_flags::none);
  } catch (const zmq::error_t&) {
    return std::nullopt;
  }
  if (head.size() < 6) return std::nullopt;
  MonitorEvent e;
  std::memcpy(&e.event, head.data(), 2);
  std::memcpy(&e.value, static_cast<const char*>(head.data()) + 2, 4);
  e.address.assign(static_cast<const char*>(address.data()), address.size());
  return e;
}

void SocketMonitor::stop(zmq::socket_t& socket) {
  if (stopped_) return;
  stopped_ = true;
  if (socket) zmq_socket_monitor(socket.handle(), nullptr, 0);
  pair_.close();
}

std::string describeHandshakeFailure(const MonitorEvent& e) {
  switch (e.event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "the peer refused our key (ZAP status " + std::to_string(e.value) + ")";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      if (e.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return "the two sides use different security mechanisms (one CURVE, the other --insecure)";
      if (e.value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) return "a CURVE message failed to decrypt (wrong server key?)";
      char code[16];
      std::snprintf(code, sizeof code, "0x%08x", e.value);
      return std::string("ZMTP protocol error ") + code;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      return "the handshake failed (no detail from ZeroMQ)";
    default:
      return "event " + std::to_string(e.event);
  }
}

}  // namespace scaleout::cluster
