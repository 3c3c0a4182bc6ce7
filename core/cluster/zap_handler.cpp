#include "cluster/zap_handler.h"

#include <cstdio>

#include "cluster/zmq_io.h"
#include "util/error.h"

namespace scaleout::cluster {

using Clock = std::chrono::steady_clock;

namespace {

std::string frameText(const zmq::message_t& m) { return std::string(static_cast<const char*>(m.data()), m.size()); }

std::string z85Of(const std::string& raw) {
  char z85[48];
  if (raw.size() != 32) {
    std::snprintf(z85, sizeof z85, "(a %zu-byte credential)", raw.size());
    return z85;
  }
  zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  return z85;
}

}  // namespace

namespace {
std::optional<std::filesystem::file_time_type> modified(const std::string& file) {
  std::error_code ec;
  const auto t = std::filesystem::last_write_time(file, ec);
  if (ec) return std::nullopt;
  return t;
}
}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, const std::vector<AuthorizedKey>& accepted, LogFn log, std::string watchFile,
                       Reload reload)
    : socket_(context, zmq::socket_type::rep), watchFile_(std::move(watchFile)), reload_(std::move(reload)), log_(std::move(log)) {
  setKeys(accepted);
  if (!watchFile_.empty()) watchedTime_ = modified(watchFile_);
  socket_.set(zmq::sockopt::linger, 0);
  try {
    socket_.bind("inproc://zeromq.zap.01");
  } catch (const zmq::error_t& e) {
    throw ScaleoutError(std::string("cannot start the ZAP authentication handler: ") + e.what());
  }
  thread_ = std::thread([this] { loop(); });
}

void ZapHandler::setKeys(const std::vector<AuthorizedKey>& accepted) {
  keys_.clear();
  for (const auto& k : accepted) {
    uint8_t raw[32];
    if (!isZ85Key(k.publicKey) || !zmq_z85_decode(raw, k.publicKey.c_str())) continue;
    keys_.emplace(std::string(reinterpret_cast<const char*>(raw), 32), k.origin);
  }
}

bool ZapHandler::reloadIfChanged() {
  if (watchFile_.empty() || !reload_) return false;
  const auto now = Clock::now();
  if (now - lastWatchCheck_ < std::chrono::milliseconds(500)) return false;  // a flood of strangers: stat twice a second at most
  lastWatchCheck_ = now;
  const auto t = modified(watchFile_);
  if (t == watchedTime_) return false;
  watchedTime_ = t;
  try {
    const auto accepted = reload_();
    setKeys(accepted);
    if (log_) log_("the allow-list " + watchFile_ + " changed: " + std::to_string(accepted.size()) + " worker key(s) accepted now");
    return true;
  } catch (const std::exception& e) {
    if (log_) log_(std::string("the allow-list changed but cannot be used; the previous list stays in force: ") + e.what());
    return false;
  }
}

void ZapHandler::expectStranger(const std::string& publicKeyZ85) {
  uint8_t raw[32];
  if (!isZ85Key(publicKeyZ85) || !zmq_z85_decode(raw, publicKeyZ85.c_str())) return;
  std::lock_guard lock(strangerMutex_);
  stranger_.assign(reinterpret_cast<const char*>(raw), 32);
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::loop() {
  std::vector<zmq::message_t> frames;
  while (!stop_.load()) {
    zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 1, std::chrono::milliseconds(100));
    } catch (const zmq::error_t&) {
      continue;
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    if (!receiveFrames(socket_, frames)) continue;
    answer(frames);
  }
  socket_.close();
}

// Request (RFC 27): version, request id, domain, address, identity, mechanism, credentials...
// Reply: version, request id, status code, status text, user id, metadata.
void ZapHandler::answer(std::vector<zmq::message_t>& request) {
  std::string status = "400", text = "not authorized", userId;
  std::string address = request.size() > 3 ? frameText(request[3]) : "?";
  std::string why;
  const std::string requestId = request.size() > 1 ? frameText(request[1]) : "";
  if (request.size() < 6 || frameText(request[0]) != "1.0") {
    why = "malformed ZAP request";
  } else if (frameText(request[2]) != kZapDomain) {
    why = "unknown ZAP domain '" + frameText(request[2]) + "'";
  } else if (frameText(request[5]) != "CURVE" || request.size() < 7) {
    why = "mechanism " + frameText(request[5]) + " is not CURVE";
  } else {
    const std::string key = frameText(request[6]);
    auto it = keys_.find(key);
    if (it == keys_.end() && reloadIfChanged()) it = keys_.find(key);
    if (it != keys_.end()) {
      status = "200";
      text = "OK";
      userId = z85Of(key);
    } else {
      why = "key " + z85Of(key) + " is not authorized";
      std::lock_guard lock(strangerMutex_);
      if (key == stranger_) why.clear();  // the self-test: expected, not news
    }
  }
  if (status == "200") {
    ++accepted_;
  } else if (why.empty()) {
    ++denied_;
  } else {
    ++denied_;
    // A refused worker reconnects every few seconds: say it once, then every 30 s per key.
    if (deniedLog_.size() > 1000) deniedLog_.clear();  // a flood of random keys must not grow memory
    auto& [count, last] = deniedLog_[why];
    ++count;
    const auto now = Clock::now();
    if (count == 1 || now - last > std::chrono::seconds(30)) {
      if (log_)
        log_("refused a connection from " + address + ": " + why +
             (count > 1 ? " (" + std::to_string(count) + " attempts so far)" : "") +
             "; to admit it, add the key to the master's authorized_workers file");
      last = now;
    }
  }
  const std::string reply[] = {"1.0", requestId, status, text, userId, ""};
  try {
    for (size_t i = 0; i < 6; ++i) socket_.send(zmq::buffer(reply[i]), i + 1 < 6 ? zmq::send_flags::sndmore : zmq::send_flags::none);
  } catch (const zmq::error_t&) {
  }
}

std::string connectableEndpoint(const std::string& bound) {
  const auto colon = bound.rfind(':');
  if (bound.rfind("tcp://", 0) != 0 || colon == std::string::npos) return bound;
  const std::string host = bound.substr(6, colon - 6);
  if (host == "0.0.0.0" || host == "*") return "tcp://127.0.0.1" + bound.substr(colon);
  if (host == "[::]" || host == "[*]") return "tcp://[::1]" + bound.substr(colon);
  return bound;
}

SelfTestResult probeUnknownKey(zmq::context_t& context, const std::string& endpoint, const std::string& serverPublicKey,
                               const CurveKeyPair& stranger, std::chrono::milliseconds timeout) {
  const auto t0 = Clock::now();
  SelfTestResult r;
  zmq::socket_t probe(context, zmq::socket_type::dealer);
  probe.set(zmq::sockopt::linger, 0);
  probe.set(zmq::sockopt::curve_serverkey, serverPublicKey);
  probe.set(zmq::sockopt::curve_publickey, stranger.publicKey);
  probe.set(zmq::sockopt::curve_secretkey, stranger.secretKey);
  SocketMonitor monitor(context, probe, "scaleout-selftest",
                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  probe.connect(connectableEndpoint(endpoint));
  while (Clock::now() - t0 < timeout) {
    auto event = monitor.next(std::chrono::milliseconds(20));
    if (!event) continue;
    if (event->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      r.outcome = SelfTestResult::Outcome::Accepted;
      r.detail = "a client with the unknown key " + stranger.publicKey + " completed the CURVE handshake";
      break;
    }
    if (event->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      r.outcome = SelfTestResult::Outcome::Refused;
      r.detail = "unknown key refused with ZAP status " + std::to_string(event->value);
      break;
    }
    r.detail = "handshake failed without an authentication answer (" + describeHandshakeFailure(*event) + ")";
  }
  if (r.outcome == SelfTestResult::Outcome::NoAnswer && r.detail.empty())
    r.detail = "no handshake outcome within " + std::to_string(timeout.count()) + " ms";
  monitor.stop(probe);
  probe.close();
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace scaleout::cluster
