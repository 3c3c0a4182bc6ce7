#include "cluster/worker_node.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "cluster/master_trust.h"
#include "cluster/protocol.h"
#include "cluster/zap_handler.h"
#include "cluster/zk_registry.h"
#include "cluster/zmq_io.h"
#include "config/conf_io.h"
#include "nn/network.h"
#include "train/worker.h"
#include "util/blas_threads.h"

namespace scaleout::cluster {

using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string hostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string fmt1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string hex64(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Shards received in this process, by content hash: a worker serving several runs of
// the same data downloads it once. Two entries are enough for a desktop's runs.
class ShardCache {
 public:
  std::shared_ptr<const DataSet> find(uint64_t hash) {
    std::lock_guard lock(mutex_);
    for (auto& [h, d] : entries_)
      if (h == hash) return d;
    return nullptr;
  }
  void put(uint64_t hash, std::shared_ptr<const DataSet> data) {
    std::lock_guard lock(mutex_);
    entries_.push_front({hash, std::move(data)});
    while (entries_.size() > 2) entries_.pop_back();
  }

 private:
  std::mutex mutex_;
  std::list<std::pair<uint64_t, std::shared_ptr<const DataSet>>> entries_;
};

ShardCache& shardCache() {
  static ShardCache cache;
  return cache;
}

// An encoded message waiting for the I/O thread, with whatever its blobs borrow from.
struct Outgoing {
  Encoded message;
  std::shared_ptr<const void> keepAlive;
};

class Outbox {
 public:
  explicit Outbox(WakePipe& wake) : wake_(wake) {}
  void push(Outgoing o) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(o));
    }
    wake_.notify();
  }
  std::deque<Outgoing> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

 private:
  WakePipe& wake_;
  std::mutex mutex_;
  std::deque<Outgoing> items_;
};

// One lane: a thread training the tasks the master sends to this lane, one at a time.
class Lane {
 public:
  Lane(const WorkerContext& context, uint32_t index, Envelope session, Outbox& outbox, std::atomic<long long>& tasks)
      : context_(context), index_(index), session_(session), outbox_(outbox), tasks_(tasks) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Lane() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(RoundTask task) {
    {
      std::lock_guard lock(mutex_);
      task_ = std::move(task);
    }
    cv_.notify_all();
  }
  bool busy() const { return busy_.load(); }

 private:
  void loop() {
    SliceTrainer trainer(context_);
    for (;;) {
      RoundTask task;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || task_.has_value(); });
        if (stopping_) return;
        task = std::move(*task_);
        task_.reset();
        busy_ = true;
      }
      auto payload = std::make_shared<Payload>(ResultMsg{});
      ResultMsg& msg = std::get<ResultMsg>(*payload);
      msg.lane = index_;
      try {
        msg.result = trainer.run(task, static_cast<int>(index_));
      } catch (const std::exception& e) {
        msg.result = RoundResult{};
        msg.errorText = e.what();
      } catch (...) {
        msg.result = RoundResult{};
        msg.errorText = "unknown error";
      }
      busy_ = false;
      if (msg.result.cancelled && context_.control->cancelled()) continue;  // the session is ending
      Envelope env = session_;
      env.round = task.round;
      // Encoding (and its CRC) happens here, in parallel with other lanes; the encoded
      // message borrows the result's buffers, which `payload` keeps alive until sent.
      Outgoing out{encode(env, *payload), payload};
      outbox_.push(std::move(out));
      ++tasks_;
    }
  }

  WorkerContext context_;
  const uint32_t index_;
  const Envelope session_;
  Outbox& outbox_;
  std::atomic<long long>& tasks_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<RoundTask> task_;
  bool stopping_ = false;
  std::atomic<bool> busy_{false};
};

}  // namespace

struct WorkerNode::Impl {
  WorkerNode& owner;
  WorkerNodeOptions options;
  std::string host = hostName();
  std::string baseName;
  uint32_t pid = static_cast<uint32_t>(getpid());
  uint32_t salt = 0;
  int connection = 0;

  zmq::context_t context{1};
  WakePipe wake{context, "scaleout-worker-wake"};
  Outbox outbox{wake};
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<SocketMonitor> monitor;
  std::string endpoint;
  std::string masterKey;  // the CURVE server key used for `endpoint` (empty: insecure)
  std::string identity;
  bool handshakeDone = false;
  std::optional<Clock::time_point> tcpUpSince;

  // CURVE: this worker's key pair and where the master's key came from.
  bool secure = true;
  WorkerCurve curve;

  // Discovery through ZooKeeper.
  std::string zkAuth;    // --zk-auth, else derived from --cluster-secret
  std::string proofKey;  // derived from --cluster-secret: checks the master node's secretProof
  std::unique_ptr<ZkRegistry> zk;
  std::unique_ptr<MasterTrust> trust;  // ZooKeeper thread only
  std::mutex discoveredMutex;
  std::string discovered, discoveredKey, discoveredRunId;
  std::string rejectedNode;  // "ENDPOINT KEY" of a registered master this worker will not use

  // After a master's Bye. With ZooKeeper: the run id that ended; only a master of another
  // run is joined. With --connect: retries stay silent until a master welcomes us again.
  std::string finishedRunId;
  bool waitingForNextRun = false;
  bool quietAfterBye = false;
  std::string stayingNotice;  // the other master named while in a run (said once each)

  // The current session with a master.
  struct Session {
    bool welcomed = false;
    Envelope envelope;  // run id and generation given by the master
    uint32_t lanes = 1;
    double heartbeatInterval = 1, heartbeatTimeout = 3;
    std::unique_ptr<Conf> conf;
    std::unique_ptr<NetworkLayout> layout;
    std::vector<Phase> phases;
    uint64_t shardHash = 0, shardRows = 0;
    std::shared_ptr<const DataSet> data;
    Clock::time_point shardAsked;
    RunControl control;
    std::vector<std::unique_ptr<Lane>> laneWorkers;
  };
  std::unique_ptr<Session> session;
  Clock::time_point lastHeard, lastSent, helloSent, nextWaitingLog, retryAfter;

  std::atomic<long long> tasks{0};
  std::atomic<int> sessions{0};
  std::atomic<int> downloads{0};

  Impl(WorkerNode& o, WorkerNodeOptions opts) : owner(o), options(std::move(opts)) {
    std::random_device rd;
    salt = rd();
    baseName = host + ":" + std::to_string(pid);
  }

  void log(const std::string& line) {
    if (options.log) options.log(line);
  }

  double heartbeatInterval() const { return session && session->welcomed ? session->heartbeatInterval : options.heartbeatIntervalSeconds; }
  double heartbeatTimeout() const { return session && session->welcomed ? session->heartbeatTimeout : options.heartbeatTimeoutSeconds; }

  void send(const Payload& payload, long long round = 0) {
    if (!socket) return;
    Envelope env = session ? session->envelope : Envelope{};
    env.round = round;
    if (sendEncoded(*socket, "", encode(env, payload)) == SendStatus::Sent) lastSent = Clock::now();
  }

  void endSession() {
    if (!session) return;
    session->control.cancel();      // lanes stop at their next minibatch
    session->laneWorkers.clear();   // joins them
    session.reset();
    outbox.take();                  // results of the old session are worthless now
  }

  void closeSocket() {
    if (!socket) return;
    if (monitor) monitor->stop(*socket);
    monitor.reset();
    socket->set(zmq::sockopt::linger, 0);
    socket->close();
    socket.reset();
  }

  // A fresh DEALER with a fresh identity: a master that declared us dead must not mix
  // our new session with the old one.
  void openSocket() {
    closeSocket();
    char id[96];
    std::snprintf(id, sizeof id, "%s-%08x-%d", baseName.c_str(), salt, ++connection);
    identity = id;
    socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    socket->set(zmq::sockopt::routing_id, identity);
    socket->set(zmq::sockopt::linger, 0);
    socket->set(zmq::sockopt::sndhwm, 64);
    socket->set(zmq::sockopt::heartbeat_ivl, 1000);
    socket->set(zmq::sockopt::heartbeat_timeout, 5000);
    socket->set(zmq::sockopt::reconnect_ivl, 200);
    socket->set(zmq::sockopt::reconnect_ivl_max, 2000);
    if (secure) {
      socket->set(zmq::sockopt::curve_serverkey, masterKey);
      socket->set(zmq::sockopt::curve_publickey, curve.client.publicKey);
      socket->set(zmq::sockopt::curve_secretkey, curve.client.secretKey);
    }
    handshakeDone = false;
    tcpUpSince.reset();
    monitor = std::make_unique<SocketMonitor>(context, *socket, "scaleout-worker",
                                              ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                                  ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    // ZeroMQ's "tcp://SOURCE:PORT;DESTINATION" form connects from a chosen local address;
    // without a port it silently never connects, so port 0 (any) is added.
    std::string source = options.bind;
    const bool hasPort = !source.empty() && source.back() != ']' && source.find(':') != std::string::npos &&
                         (source[0] != '[' || source.find("]:") != std::string::npos);
    if (!source.empty() && !hasPort) source += ":0";
    const std::string target =
        source.empty() || endpoint.rfind("tcp://", 0) != 0 ? endpoint : "tcp://" + source + ";" + endpoint.substr(6);
    try {
      socket->connect(target);
    } catch (const zmq::error_t& e) {
      log("cannot connect to '" + endpoint + "': " + e.what() + "; waiting");
      closeSocket();
      retryAfter = Clock::now() + std::chrono::seconds(5);
      return;
    }
    session = std::make_unique<Session>();
    HelloMsg hello;
    hello.threads = static_cast<uint32_t>(std::max(1, options.threads));
    hello.name = baseName;
    hello.host = host;
    hello.pid = pid;
    send(hello);
    helloSent = lastHeard = Clock::now();
  }

  void restart(const std::string& why) {
    if (!why.empty()) log(why);
    endSession();
    closeSocket();
    if (!endpoint.empty() && Clock::now() >= retryAfter) openSocket();
  }

  std::string validateTask(const TaskMsg& m) const {
    const Session& s = *session;
    const RoundTask& t = m.task;
    if (m.lane >= s.laneWorkers.size()) return "lane " + std::to_string(m.lane) + " does not exist";
    if (static_cast<size_t>(t.params->size()) != s.layout->size())
      return "task has " + std::to_string(t.params->size()) + " parameters; the conf builds " + std::to_string(s.layout->size());
    if (t.phase.size() == 0 || t.phase.end > s.layout->size()) return "task phase range does not fit the network";
    if (t.phase.layer >= s.layout->layers().size()) return "task phase names layer " + std::to_string(t.phase.layer) + ", which does not exist";
    for (uint32_t i : t.indices)
      if (i >= s.data->size()) return "task row " + std::to_string(i) + " is outside the " + std::to_string(s.data->size()) + " rows";
    return "";
  }

  void startLanes() {
    Session& s = *session;
    WorkerContext ctx;
    ctx.conf = s.conf.get();
    ctx.layout = s.layout.get();
    ctx.train = s.data.get();
    ctx.phases = &s.phases;
    ctx.control = &s.control;
    ctx.results = nullptr;  // lanes hand results to the outbox instead
    for (uint32_t i = 0; i < s.lanes; ++i) s.laneWorkers.push_back(std::make_unique<Lane>(ctx, i, s.envelope, outbox, tasks));
    send(ReadyMsg{s.shardHash});
    ++sessions;
    log("ready: " + std::to_string(s.lanes) + " lane(s) training for the master at " + endpoint);
  }

  void onConf(const ConfMsg& m) {
    Session& s = *session;
    std::vector<ConfIssue> issues;
    nlohmann::json doc = nlohmann::json::parse(m.confJson, nullptr, false);
    Conf conf = doc.is_discarded() ? Conf{} : confFromJson(doc, issues);
    if (doc.is_discarded()) issues.push_back({"", "", "is not valid JSON", "a conf object"});
    if (!issues.empty()) {
      const std::string text = "cannot use the master's conf: " + formatIssues(issues);
      send(ErrorMsg{ErrorCode::BadMessage, text});
      retryAfter = Clock::now() + std::chrono::seconds(30);
      restart(text + "; trying again in 30 s");
      return;
    }
    try {
      s.conf = std::make_unique<Conf>(conf);
      s.layout = std::make_unique<NetworkLayout>(*s.conf);
    } catch (const std::exception& e) {
      send(ErrorMsg{ErrorCode::BadMessage, std::string("cannot build the network: ") + e.what()});
      retryAfter = Clock::now() + std::chrono::seconds(30);
      restart(std::string("cannot build the master's network: ") + e.what() + "; trying again in 30 s");
      return;
    }
    std::string error;
    auto phases = phasesFromJson(m.phasesJson, s.layout->size(), error);
    if (!phases) {
      send(ErrorMsg{ErrorCode::BadMessage, error});
      retryAfter = Clock::now() + std::chrono::seconds(30);
      restart("cannot use the master's phases: " + error + "; trying again in 30 s");
      return;
    }
    s.phases = std::move(*phases);
    s.shardHash = m.shardHash;
    s.shardRows = m.shardRows;
    log("conf received: " + s.conf->networkClass + " network of " + std::to_string(s.layout->size()) + " parameters");
    if (auto cached = shardCache().find(m.shardHash)) {
      s.data = cached;
      log("training rows " + hex64(m.shardHash) + " found in the cache (" + std::to_string(cached->size()) + " rows)");
      startLanes();
      return;
    }
    log("asking for the training rows (" + std::to_string(m.shardRows) + " x " + std::to_string(m.shardDims) + ")");
    s.shardAsked = Clock::now();
    send(ShardRequestMsg{m.shardHash});
  }

  void onShard(const ShardMsg& m) {
    Session& s = *session;
    if (!s.conf || m.shardHash != s.shardHash || s.data) {
      log("dropped an unexpected shard from the master");
      return;
    }
    if (m.data->size() != s.shardRows || m.data->dims() != s.conf->nIn) {
      restart("the master's shard has " + std::to_string(m.data->size()) + " x " + std::to_string(m.data->dims()) +
              " values; its conf promised " + std::to_string(s.shardRows) + " x " + std::to_string(s.conf->nIn));
      return;
    }
    if (shardHash(*m.data) != m.shardHash) {
      restart("the master's shard does not match its hash; starting over");
      return;
    }
    s.data = m.data;
    shardCache().put(m.shardHash, m.data);
    ++downloads;
    log("received " + std::to_string(m.data->size()) + " training rows (" + fmt1(m.data->features.size() * 4 / 1e6) + " MB) in " +
        fmt1(since(s.shardAsked)) + " s; cached as " + hex64(m.shardHash));
    startLanes();
  }

  void handle(std::vector<zmq::message_t>& frames) {
    const auto views = frameViews(frames, 0);
    DecodeOutcome out = decodeMessage(views);
    if (!out) {
      log("dropped a message from the master: " + out.error);
      return;
    }
    const Header& h = out.message->header;
    Payload& payload = out.message->payload;
    if (h.type == MessageType::Error) {
      const auto& e = std::get<ErrorMsg>(payload);
      if (e.code == ErrorCode::VersionMismatch) {
        retryAfter = Clock::now() + std::chrono::seconds(30);
        restart("the master at " + endpoint + " " + e.text + "; trying again in 30 s");
      } else if (e.code == ErrorCode::StaleSession) {
        restart("the master does not know this session (" + e.text + "); saying hello again");
      } else {
        log("the master reports: " + e.text);
      }
      return;
    }
    Session& s = *session;
    if (h.type == MessageType::Welcome) {
      if (s.welcomed || h.envelope.runId == 0) {
        log("dropped a repeated welcome");
        return;
      }
      const auto& w = std::get<WelcomeMsg>(payload);
      s.welcomed = true;
      s.envelope = {h.envelope.runId, h.envelope.generation, 0};
      s.lanes = std::max<uint32_t>(1, std::min<uint32_t>(w.lanes, static_cast<uint32_t>(std::max(1, options.threads))));
      s.heartbeatInterval = w.heartbeatIntervalMs / 1000.0;
      s.heartbeatTimeout = w.heartbeatTimeoutMs / 1000.0;
      lastHeard = Clock::now();
      log("connected to the master at " + endpoint + " (run " + hex64(h.envelope.runId) + ", session " +
          std::to_string(h.envelope.generation) + ")");
      return;
    }
    if (!s.welcomed || h.envelope.runId != s.envelope.runId || h.envelope.generation != s.envelope.generation) {
      log(std::string("dropped a ") + messageTypeName(h.type) + " outside the current session");
      return;
    }
    lastHeard = Clock::now();
    switch (h.type) {
      case MessageType::Conf:
        if (s.conf) {
          log("dropped a repeated conf");
          return;
        }
        onConf(std::get<ConfMsg>(payload));
        return;
      case MessageType::Shard:
        onShard(std::get<ShardMsg>(payload));
        return;
      case MessageType::Task: {
        auto& m = std::get<TaskMsg>(payload);
        if (!s.data || s.laneWorkers.empty()) {
          log("dropped a task that came before the training rows");
          return;
        }
        m.task.round = h.envelope.round;
        const std::string bad = validateTask(m);
        if (!bad.empty()) {
          log("refused a task: " + bad);
          ResultMsg r;
          r.lane = m.lane;
          r.errorText = "task refused: " + bad;
          send(Payload(std::move(r)), h.envelope.round);
          return;
        }
        if (m.task.state && m.task.state->velocity.size() == 0 && m.task.phase.size() > 0) {
          // The master leaves the velocity home when momentum is 0: start from zeros.
          auto state = std::make_shared<OptimizerState>(*m.task.state);
          state->velocity.setZero(static_cast<Eigen::Index>(m.task.phase.size()));
          m.task.state = std::move(state);
        }
        s.laneWorkers[m.lane]->post(std::move(m.task));
        return;
      }
      case MessageType::Heartbeat:
        return;
      case MessageType::Bye:
        onBye(std::get<ByeMsg>(payload).reason);
        return;
      default:
        log(std::string("dropped an unexpected ") + messageTypeName(h.type) + " from the master");
        return;
    }
  }

  void sendResults() {
    for (Outgoing& o : outbox.take()) {
      if (!socket || !session || !session->welcomed) continue;
      // The result's buffers go out without a copy: ZeroMQ holds `keepAlive` until sent.
      for (Blob& b : o.message.blobs)
        if (!b.owner) b.owner = o.keepAlive;
      if (sendEncoded(*socket, "", o.message) == SendStatus::Sent) lastSent = Clock::now();
    }
  }

  // A refused or failed handshake never shows up as a message: the monitor tells why,
  // and the worker says so and retries later instead of reconnecting silently forever.
  void refused(const std::string& why) {
    retryAfter = Clock::now() + std::chrono::milliseconds(static_cast<int>(options.refusedRetrySeconds * 1000));
    restart(why + "; trying again in " + fmt1(options.refusedRetrySeconds) + " s");
  }

  void watchHandshake() {
    while (socket && monitor) {
      auto e = monitor->next();
      if (!e) break;
      switch (e->event) {
        case ZMQ_EVENT_CONNECTED:
          if (!tcpUpSince) tcpUpSince = Clock::now();
          break;
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
          handshakeDone = true;
          break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
          refused("the master at " + endpoint + " refused this worker's key " + curve.client.publicKey + " (from " +
                  curve.clientOrigin + ", ZAP status " + std::to_string(e->value) +
                  "): add that key to the master's authorized_workers file, or give both the same --cluster-secret");
          return;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
          if (e->value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
            refused(secure ? "the master at " + endpoint +
                                 " runs --insecure (no CURVE) and this worker requires CURVE: "
                                 "start both with --insecure, or neither"
                           : "the master at " + endpoint +
                                 " requires CURVE and this worker runs --insecure: drop --insecure "
                                 "(and give --master-key if the master is another user's)");
            return;
          }
          refused("the handshake with the master at " + endpoint + " failed: " + describeHandshakeFailure(*e));
          return;
        default:
          // The server just closed the connection: what a CURVE master does to a peer without
          // CURVE, and to a client that used the wrong server key. Our own mode tells which.
          refused("the master at " + endpoint + " closed the connection during the handshake: " +
                  (secure ? "most likely the master key in use, " + masterKey + " (from " + curve.masterKeyOrigin +
                                "), is not that master's, or the master runs --insecure (start both with --insecure, or neither)"
                          : "most likely it requires CURVE and this worker runs --insecure (drop --insecure)"));
          return;
      }
    }
    if (socket && !handshakeDone && tcpUpSince &&
        std::chrono::duration<double>(Clock::now() - *tcpUpSince).count() > options.handshakeTimeoutSeconds) {
      refused("reached the master at " + endpoint + " but no ZeroMQ handshake completed within " +
              fmt1(options.handshakeTimeoutSeconds) + " s: " +
              (secure ? "the master key in use, " + masterKey + " (from " + curve.masterKeyOrigin +
                            "), is probably not that master's, or it is not a Scaleout master"
                      : "the master probably requires CURVE (drop --insecure), or it is not a Scaleout master"));
    }
  }

  // The master's Bye ends its session on purpose. Reconnecting at once would race its
  // closing socket and fail with a misleading handshake error, so: with ZooKeeper, wait for
  // it to name a master of another run; with --connect, try again after a pause, quietly.
  void onBye(const std::string& reason) {
    const std::string ended = session && session->welcomed ? hex64(session->envelope.runId) : "";
    endSession();
    closeSocket();
    const std::string said = "the master at " + endpoint + " said goodbye (" + reason + "); ";
    if (options.connect.empty()) {
      finishedRunId = ended;
      waitingForNextRun = true;
      log(said + "waiting for ZooKeeper to name the next master of cluster " + options.cluster);
      return;
    }
    quietAfterBye = true;
    retryAfter = Clock::now() + std::chrono::seconds(1);  // the master's socket lingers 0.5 s
    log(said + "trying it again quietly until a new run starts there");
  }

  struct Target {
    std::string endpoint, key, runId;
  };
  Target target() {
    if (!options.connect.empty()) return {options.connect, secure ? curve.masterKey : "", ""};
    std::lock_guard lock(discoveredMutex);
    return {discovered, discoveredKey, discoveredRunId};
  }

  // Whether to connect to `want` now. In a run the worker stays with its master while it
  // answers, whatever ZooKeeper says meanwhile (anyone who can write there can change it):
  // heartbeats or a Bye decide when that master is gone.
  bool shouldMoveTo(const Target& want) {
    if (want.endpoint.empty()) return false;
    if (waitingForNextRun) {
      if (want.runId == finishedRunId) return false;
      waitingForNextRun = false;
      return true;
    }
    if (want.endpoint == endpoint && want.key == masterKey) return false;
    if (session && session->welcomed) {
      const std::string other = want.endpoint + " " + want.key;
      if (other != stayingNotice)
        log("ZooKeeper now names another master of cluster " + options.cluster + " (" + want.endpoint +
            (want.key.empty() ? "" : ", key " + want.key) + "); staying with the master at " + endpoint + " while it answers");
      stayingNotice = other;
      return false;
    }
    return true;
  }

  bool registeredMasterRefused() {
    std::lock_guard lock(discoveredMutex);
    return !rejectedNode.empty();
  }

  MasterTrustOptions trustOptions() const {
    MasterTrustOptions t;
    t.cluster = options.cluster;
    if (curve.masterKeyPinned) t.pinnedKey = curve.masterKey;
    t.proofKey = proofKey;
    t.secretOrigin = "--cluster-secret " + options.security.clusterSecretFile;
    t.zkProtected = !zkAuth.empty();
    return t;
  }

  // Why this worker will not use the master `node` names (empty: it will); for a usable
  // node, `trustNote` says why its key is trusted. ZooKeeper thread.
  std::string problemWith(const nlohmann::json& node, const std::string& endpoint, const std::string& key, std::string& trustNote) {
    const std::string where = "the master of cluster " + options.cluster + " at " + endpoint + " ";
    const bool masterSecure = node.contains("secure") && node["secure"].is_boolean() && node["secure"].get<bool>();
    if (secure && !masterSecure) return where + "runs --insecure and this worker requires CURVE: start both with --insecure, or neither";
    if (!secure && masterSecure) return where + "requires CURVE and this worker runs --insecure: drop --insecure";
    if (!secure) return "";
    if (!isZ85Key(key)) return where + "publishes no valid CURVE public key";
    const MasterVerdict verdict = trust->judge(node);
    if (!verdict.trusted) return verdict.note;
    trustNote = verdict.note;
    return "";
  }

  static std::string stringField(const nlohmann::json& node, const char* name) {
    return node.contains(name) && node[name].is_string() ? node[name].get<std::string>() : "";
  }

  void onMasterNode(const std::optional<nlohmann::json>& master) {
    const std::string ep = master ? stringField(*master, "endpoint") : "";
    if (master && master->value("protocolVersion", 0) != kProtocolVersion && !ep.empty())
      log("the registered master speaks protocol version " + std::to_string(master->value("protocolVersion", 0)) +
          ", this worker speaks " + std::to_string(kProtocolVersion) + "; trying anyway so it can refuse with its reason");
    if (ep.empty()) {
      std::lock_guard lock(discoveredMutex);
      rejectedNode.clear();  // nobody registered: "waiting for a master to register" is true again
      return;
    }
    const std::string key = stringField(*master, "publicKey"), runId = stringField(*master, "runId");
    std::string trustNote;
    const std::string problem = problemWith(*master, ep, key, trustNote);
    std::lock_guard lock(discoveredMutex);
    // A master that vanished from ZooKeeper is not dropped here: heartbeats decide
    // (ZooKeeper can be down while the master trains on). Only a new, usable node counts.
    if (!problem.empty()) {
      if (ep + " " + key != rejectedNode) log(problem);  // once per node, not on every re-read
      rejectedNode = ep + " " + key;
      return;
    }
    rejectedNode.clear();
    if (ep != discovered || (secure ? key : "") != discoveredKey || runId != discoveredRunId) {
      discovered = ep;
      discoveredKey = secure ? key : "";
      discoveredRunId = runId;
      log("ZooKeeper names the master of cluster " + options.cluster + ": " + ep +
          (secure ? " (CURVE key " + key + (trustNote.empty() ? "" : "; " + trustNote) + ")" : ""));
    }
  }

  void startDiscovery() {
    ZkRegistryOptions zo;
    zo.hosts = options.zkHosts;
    zo.root = clusterRoot(options.cluster);
    zo.sessionTimeoutMs = options.zkSessionTimeoutMs;
    zo.auth = zkAuth;
    zo.log = options.log;
    trust = std::make_unique<MasterTrust>(trustOptions());
    zk = std::make_unique<ZkRegistry>(zo);
    // Curator's ServiceInstance shape, so Java tooling can list the workers.
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    char id[64];
    std::snprintf(id, sizeof id, "%s-%u-%08x", host.c_str(), pid, salt);
    nlohmann::json instance = {{"name", "worker"},
                               {"id", id},
                               {"address", options.bind.empty() ? host : options.bind},
                               {"port", nullptr},
                               {"sslPort", nullptr},
                               {"payload", {{"threads", std::max(1, options.threads)}, {"host", host}, {"pid", pid},
                                            {"version", SCALEOUT_VERSION}, {"protocolVersion", kProtocolVersion},
                                            {"secure", secure},
                                            {"publicKey", secure ? nlohmann::json(curve.client.publicKey) : nlohmann::json()}}},
                               {"registrationTimeUTC", now},
                               {"serviceType", "DYNAMIC"},
                               {"uriSpec", nullptr}};
    zk->publishWorker(id, instance);
    zk->watchMaster([this](std::optional<nlohmann::json> master) { onMasterNode(master); });
  }

  void waitingLog(const std::string& text) {
    if (Clock::now() < nextWaitingLog) return;
    log(text);
    nextWaitingLog = Clock::now() + std::chrono::milliseconds(static_cast<int>(options.waitingLogSeconds * 1000));
  }

  int run() {
    limitBlasThreadsToOne();  // parallelism comes from lanes, as on the master
    secure = !options.security.insecure;
    zkAuth = options.zkAuth;
    if (secure) {
      try {
        curve = resolveWorkerCurve(options.security, !options.zkHosts.empty() && options.connect.empty(), options.log);
        zkAuth = effectiveZkAuth(options.zkAuth, options.security);
        if (!options.security.clusterSecretFile.empty()) proofKey = masterProofKeyFromClusterSecret(options.security.clusterSecretFile);
      } catch (const std::exception& e) {
        log(std::string("cannot set up CURVE: ") + e.what());
        return 1;
      }
      log("CURVE on: this worker's key " + curve.client.publicKey + " (" + curve.clientOrigin + ")" +
          (curve.masterKey.empty() ? "; the master's key comes from ZooKeeper"
                                   : "; master key " + curve.masterKey + " (" + curve.masterKeyOrigin + ")"));
    }
    if (!options.zkHosts.empty() && options.connect.empty()) {
      if (options.zkAuth.empty() && !zkAuth.empty())
        log("ZooKeeper nodes are written with the identity derived from --cluster-secret " + options.security.clusterSecretFile);
      startDiscovery();
      log("looking for the master of cluster " + options.cluster + " in ZooKeeper at " + options.zkHosts);
    }
    nextWaitingLog = Clock::now();
    std::vector<zmq::message_t> frames;
    while (!owner.stopRequested_.load()) {
      const Target want = target();
      if (shouldMoveTo(want)) {
        endSession();
        closeSocket();
        endpoint = want.endpoint;
        masterKey = want.key;
        if (secure && options.connect.empty() && !curve.masterKeyPinned) curve.masterKeyOrigin = "ZooKeeper";
        retryAfter = Clock::now();
        openSocket();
      }
      if (!socket) {
        if (!endpoint.empty() && !waitingForNextRun && Clock::now() >= retryAfter) openSocket();
        if (!socket) {
          if (waitingForNextRun || quietAfterBye)
            ;  // the goodbye line said what happens next
          else if (!endpoint.empty())
            waitingLog("waiting to retry the master at " + endpoint);
          else if (zk && !zk->connected())
            waitingLog("waiting for ZooKeeper at " + options.zkHosts + " to find the master of cluster " + options.cluster);
          else if (!registeredMasterRefused())  // that master's problem was said once
            waitingLog("waiting for a master of cluster " + options.cluster + " to register in ZooKeeper");
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
      }
      zmq::pollitem_t items[] = {{socket->handle(), 0, ZMQ_POLLIN, 0},
                                 {wake.socket().handle(), 0, ZMQ_POLLIN, 0},
                                 {monitor->socket().handle(), 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 3, std::chrono::milliseconds(100));
      } catch (const zmq::error_t&) {
        continue;  // EINTR from a signal: the loop condition decides
      }
      if (items[1].revents & ZMQ_POLLIN) wake.drain();
      watchHandshake();
      if (!socket) continue;
      for (int i = 0; i < 64 && socket && receiveFrames(*socket, frames); ++i) handle(frames);
      sendResults();
      if (!socket || !session) continue;
      if (session->welcomed) {
        quietAfterBye = false;
        if (since(lastSent) >= heartbeatInterval()) {
          uint32_t busy = 0;
          for (auto& l : session->laneWorkers) busy += l->busy() ? 1 : 0;
          send(HeartbeatMsg{busy});
        }
        if (since(lastHeard) > heartbeatTimeout())
          restart("the master at " + endpoint + " has been silent for " + fmt1(since(lastHeard)) + " s; waiting for a master");
      } else {
        if (!quietAfterBye) waitingLog("waiting for a master at " + endpoint);
        // The hello waits in ZeroMQ's queue until a master listens; start afresh now and
        // then in case a dying master swallowed it.
        if (since(helloSent) > 10.0) restart("");
      }
    }
    if (session && session->welcomed) send(ByeMsg{"the worker is stopping"});
    endSession();
    if (socket) {
      if (monitor) monitor->stop(*socket);
      monitor.reset();
      socket->set(zmq::sockopt::linger, 500);  // let the Bye out
      socket->close();
      socket.reset();
    }
    zk.reset();  // deletes our registration at once
    log("stopped");
    return 0;
  }
};

WorkerNode::WorkerNode(WorkerNodeOptions options) : impl_(std::make_unique<Impl>(*this, std::move(options))) {}
WorkerNode::~WorkerNode() = default;

int WorkerNode::run() { return impl_->run(); }
void WorkerNode::stop() { stopRequested_.store(true); }

WorkerNodeStats WorkerNode::stats() const {
  WorkerNodeStats s;
  s.sessions = impl_->sessions.load();
  s.tasks = impl_->tasks.load();
  s.shardDownloads = impl_->downloads.load();
  return s;
}

}  // namespace scaleout::cluster
