#pragma once
// ZapHandler: the master's ZeroMQ authentication handler (ZAP, RFC 27). A REP socket on
// inproc://zeromq.zap.01 in the master's context, answered by its own thread, accepts a
// CURVE client only if its public key is on the list it was given; everything else gets
// status 400 and a log line with the key and the peer's address.
// Beware: without a handler a CURVE server accepts ANY client key. Construct this before
// the server socket binds, and prove it with refusesUnknownKey() once it has.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "cluster/cluster_log.h"
#include "cluster/security.h"

namespace scaleout::cluster {

inline constexpr const char* kZapDomain = "scaleout";

class ZapHandler {
 public:
  // Produces the whole accepted list again; throws ScaleoutError on a bad allow-list.
  using Reload = std::function<std::vector<AuthorizedKey>()>;

  // Throws ScaleoutError if the handler endpoint is taken (another handler in `context`).
  // With `watchFile` and `reload`: when an unknown key knocks and the file has changed
  // since it was last read, the list is rebuilt first (so appending a key to the
  // allow-list admits that worker at its next attempt, without a restart). A file with
  // bad lines keeps the previous list in force.
  ZapHandler(zmq::context_t& context, const std::vector<AuthorizedKey>& accepted, LogFn log, std::string watchFile = "",
             Reload reload = {});
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // The self-test's stranger: refused like any other key, but not logged as an intruder.
  void expectStranger(const std::string& publicKeyZ85);
  uint64_t accepted() const { return accepted_.load(); }
  uint64_t denied() const { return denied_.load(); }

 private:
  void loop();
  void answer(std::vector<zmq::message_t>& request);

  zmq::socket_t socket_;
  void setKeys(const std::vector<AuthorizedKey>& accepted);
  bool reloadIfChanged();  // handler thread

  std::map<std::string, std::string> keys_;  // raw 32-byte key -> origin; handler thread once running
  std::string watchFile_;
  Reload reload_;
  std::optional<std::filesystem::file_time_type> watchedTime_;
  std::chrono::steady_clock::time_point lastWatchCheck_;
  std::mutex strangerMutex_;
  std::string stranger_;                     // raw key of the self-test's client
  LogFn log_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0}, denied_{0};
  std::map<std::string, std::pair<uint64_t, std::chrono::steady_clock::time_point>> deniedLog_;  // handler thread only
  std::thread thread_;
};

// The start-up proof: a client with a fresh random key pair connects to `endpoint` (a
// CURVE server whose public key is `serverPublicKey`) and must be refused. `stranger` is
// a fresh newKeyPair() nobody has listed.
struct SelfTestResult {
  enum class Outcome { Refused, Accepted, NoAnswer } outcome = Outcome::NoAnswer;
  double seconds = 0;
  std::string detail;
};
SelfTestResult probeUnknownKey(zmq::context_t& context, const std::string& endpoint, const std::string& serverPublicKey,
                               const CurveKeyPair& stranger, std::chrono::milliseconds timeout);

// tcp://0.0.0.0:P and tcp://*:P are not connectable: the loopback address of the same port.
std::string connectableEndpoint(const std::string& boundEndpoint);

}  // namespace scaleout::cluster
