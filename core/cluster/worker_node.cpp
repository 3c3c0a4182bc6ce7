#include "cluster/worker_node.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "cluster/master_trust.h"
#include "cluster/message_limits.h"
#include "cluster/protocol.h"
#include "cluster/zap_handler.h"
#include "cluster/zk_registry.h"
#include "cluster/zmq_io.h"
#include "config/conf_io.h"
#include "data/data_source.h"
#include "nn/network.h"
#include "train/phase.h"
#include "util/rng.h"
#include "train/lane_thread.h"
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
  bool empty() {
    std::lock_guard lock(mutex_);
    return entries_.empty();
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

// An encoded message waiting for the I/O thread (its blobs own their bytes).
struct Outgoing {
  Encoded message;
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

// A download of the training rows in progress. It outlives sessions: a transfer cut by
// a reconnect resumes at the first byte not yet received.
struct PartialShard {
  uint64_t hash = 0;
  ShardLayout layout;
  std::vector<uint8_t> bytes;
  uint64_t received = 0;  // contiguous prefix (chunks arrive in order on one connection)
};

PartialShard& partialShard() {
  static PartialShard partial;
  return partial;
}

// Chunks requested ahead: enough to fill a fast link (8 MiB in flight), few enough that a
// heartbeat never waits behind more than that (0.7 s at 100 Mbit/s).

// One lane: trains the tasks the master sends to this lane, in order, on a LaneThread (the
// loop the master's own lanes run). It keeps its own optimizer state across rounds (it
// never travels) and, with a lossy codec, the error-feedback residual of what it sends back.
class Lane {
 public:
  Lane(const WorkerContext& context, uint32_t index, Envelope session, Codec codec, Outbox& outbox, std::atomic<long long>& tasks)
      : context_(context), index_(index), session_(session), codec_(codec), outbox_(outbox), tasks_(tasks) {
    LaneThread::Hooks hooks;
    hooks.started = [this](SliceTrainer& trainer) { warmUp(trainer); };
    hooks.prepare = [this](RoundTask& task) {
      prepareState(task);
      compensateDelay(task);
    };
    hooks.finished = [this](RoundTask&& task, RoundResult&& result, SliceTrainer& trainer) {
      send(std::move(task), std::move(result), trainer);
    };
    thread_ = std::make_unique<LaneThread>(context, static_cast<int>(index), std::move(hooks));
  }
  // The master may send the next task while this one trains (overlapRemoteRounds): it
  // waits in the lane's queue and starts the moment the lane is free.
  void post(RoundTask task) { thread_->post(std::move(task)); }
  bool busy() const { return thread_->busy(); }

 private:
  // Encodes the result (or the error) for the master and hands it to the outbox.
  void send(RoundTask&& task, RoundResult&& result, SliceTrainer& trainer) {
    ResultMsg msg;
    msg.lane = index_;
    msg.result = std::move(result);
    try {
      if (msg.result.error) std::rethrow_exception(msg.result.error);
      state_ = std::move(msg.result.state);
      if (!msg.result.cancelled) encodeValues(task, msg);
    } catch (const std::exception& e) {
      msg.result = RoundResult{};
      msg.errorText = e.what();
    } catch (...) {
      msg.result = RoundResult{};
      msg.errorText = "unknown error";
    }
    if (msg.result.cancelled && context_.control->cancelled()) return;  // the session is ending
    Envelope env = session_;
    env.round = task.round;
    // The trained buffer is encoded already: the next task trains in it (no 5.6 MB
    // allocation and page faults per task on the reference MLP).
    trainer.recycle(std::move(msg.result.segment), OptimizerState{});
    // Encoding (and its CRC) happens here, in parallel with other lanes.
    outbox_.push(Outgoing{encode(env, Payload(std::move(msg)))});
    ++tasks_;
  }

  // A lane's first task runs cold (first touch of its buffers, BLAS start-up): at a third
  // of its speed on the reference MLP. The master sizes this worker's share from that
  // measurement, so a few throwaway minibatches on initial parameters run first, while
  // the "ready" message travels; a task arriving meanwhile waits for them.
  void warmUp(SliceTrainer& trainer) {
    if (!context_.conf || !context_.layout || !context_.train || context_.train->size() == 0) return;
    try {
      const std::vector<Phase> phases = planPhases(*context_.conf, *context_.layout);
      if (phases.empty()) return;
      RoundTask task;
      task.round = -1;
      task.phaseIndex = 0;
      task.phase = phases.front();
      Rng rng(1);
      task.params = std::make_shared<const Eigen::VectorXf>(context_.layout->initialParameters(*context_.conf, rng));
      auto state = std::make_shared<OptimizerState>();
      state->reset(task.phase.size(), context_.conf->useAdaGrad);
      task.state = std::move(state);
      task.batchSize = context_.conf->batchSize;
      const size_t rows = std::min(context_.train->size(), static_cast<size_t>(3 * std::max(1, task.batchSize)));
      for (size_t i = 0; i < rows; ++i) task.indices.push_back(static_cast<uint32_t>(i));
      task.seed = 1;
      RoundResult r = trainer.run(task, static_cast<int>(index_));
      trainer.recycle(std::move(r.segment), std::move(r.state));
    } catch (const std::exception&) {
      // Only a warm-up: the first real task reports any real problem.
    }
  }

  // The lane's own momentum/AdaGrad buffers, fresh at each phase.
  void prepareState(RoundTask& task) {
    if (task.phaseIndex != statePhase_ || static_cast<size_t>(state_.velocity.size()) != task.phase.size()) {
      state_.reset(task.phase.size(), context_.conf->useAdaGrad);
      residual_.setZero(static_cast<Eigen::Index>(task.phase.size()));
      lastDelta_.resize(0);  // a change of another phase's range compensates nothing
      statePhase_ = task.phaseIndex;
    }
    task.state = std::make_shared<const OptimizerState>(std::move(state_));
  }

  // Delay compensation (RoundTask::pendingShare): the master has not averaged this lane's
  // last change into the task's parameters yet (it is crossing the link); it will apply
  // about pendingShare of it. Starting from there, the lane does not learn that step a
  // second time. The change it sends is measured from this start, so the master, which
  // adds it to the parameters it sent, applies the new step only. Delta codecs only: a
  // float32 result is the absolute segment, which would carry the estimate along.
  void compensateDelay(RoundTask& task) {
    const auto n = static_cast<Eigen::Index>(task.phase.size());
    if (task.pendingShare <= 0 || codec_ == Codec::Float32 || lastDelta_.size() != n || !task.params) return;
    // One buffer per lane, refilled each task (no 5.6 MB allocation and page faults per
    // task); a fresh one only while the last result's encoding still holds it.
    if (!compensated_ || compensated_.use_count() > 1) compensated_ = std::make_shared<Eigen::VectorXf>();
    *compensated_ = *task.params;
    compensated_->segment(static_cast<Eigen::Index>(task.phase.begin), n) += task.pendingShare * lastDelta_;
    task.params = compensated_;
  }

  // float32: the trained segment itself (exact). bf16/int8: its change from the start,
  // plus what earlier rounds' rounding dropped (error feedback).
  void encodeValues(const RoundTask& task, ResultMsg& msg) {
    const Eigen::VectorXf& segment = msg.result.segment;
    auto bytes = std::make_shared<std::vector<uint8_t>>();
    msg.codec = codec_;
    msg.count = static_cast<uint64_t>(segment.size());
    if (codec_ == Codec::Float32) {
      encodeVector(Codec::Float32, segment.data(), static_cast<size_t>(segment.size()), nullptr, *bytes);
    } else {
      msg.delta = true;
      delta_ = segment - task.params->segment(static_cast<Eigen::Index>(task.phase.begin), segment.size());
      encodeVector(codec_, delta_.data(), static_cast<size_t>(delta_.size()), residual_.data(), *bytes);
      lastDelta_.swap(delta_);  // kept for the next task's delay compensation
    }
    msg.values = ByteBlob::of(std::move(bytes));
  }

  WorkerContext context_;
  const uint32_t index_;
  const Envelope session_;
  const Codec codec_;
  Outbox& outbox_;
  std::atomic<long long>& tasks_;
  OptimizerState state_;
  size_t statePhase_ = static_cast<size_t>(-1);
  Eigen::VectorXf residual_, delta_;
  Eigen::VectorXf lastDelta_;  // the change this lane sent last (delay compensation)
  std::shared_ptr<Eigen::VectorXf> compensated_;  // the task's start with it (delay compensation)
  std::unique_ptr<LaneThread> thread_;  // last: stopped before the state its hooks use
};

// The training rows found without a download, on a helper thread (reading a cache file or
// decoding Fashion-MNIST takes about a second, and heartbeats must go on meanwhile).
struct PreparedShard {
  std::shared_ptr<const DataSet> data;
  uint64_t hash = 0;   // of `data` when it came from this machine's files (0: not computed)
  std::string how;     // "the disk cache", "local files (...)"
  std::string notes;   // why other sources did not serve, for the log
};

// Rows downloaded by an earlier run, kept on disk under their hash.
PreparedShard findShardOnDisk(uint64_t hash) {
  PreparedShard p;
  std::string error;
  if (auto d = readCachedShard(shardCacheDir(), hash, error)) {
    p.data = std::make_shared<const DataSet>(std::move(*d));
    p.how = "the disk cache (" + shardCacheDir().string() + ")";
  } else if (!error.empty()) {
    p.notes = error + "; ";
  }
  return p;
}

// This machine's copy: rows downloaded by an earlier run, then the conf's own files, used
// if they hash like the master's. With hash 0 (the master has not named its rows yet) the
// files are loaded regardless and their hash returned, for the master's second Conf.
PreparedShard findShardLocally(const Conf& conf, uint64_t hash) {
  PreparedShard p;
  if (hash != 0) {
    p = findShardOnDisk(hash);
    if (p.data) return p;
  }
  try {
    TrainTestData local = loadTrainTest(conf);
    const uint64_t localHash = shardHash(local.train);
    if (hash == 0 || localHash == hash) {
      p.hash = localHash;
      p.data = std::make_shared<const DataSet>(std::move(local.train));
      p.how = "this machine's copy of the data (" + p.data->source + ")" +
              (hash == 0 ? ", loaded while the master loaded its own" : "");
      return p;
    }
    p.notes += "this machine's copy of the data differs from the master's; ";
  } catch (const std::exception& e) {
    p.notes += std::string("no local copy of the data (") + e.what() + "); ";
  }
  return p;
}

PreparedShard decodeDownload(PartialShard partial, bool cache) {
  PreparedShard p;
  std::string error;
  auto d = decodeShard(partial.layout, partial.bytes, error);
  if (!d) {
    p.notes = "the downloaded rows are unusable: " + error;
    return p;
  }
  if (shardHash(*d) != partial.hash) {
    p.notes = "the downloaded rows do not match their hash";
    return p;
  }
  p.data = std::make_shared<const DataSet>(std::move(*d));
  p.how = "the master";
  if (cache && !writeCachedShard(shardCacheDir(), partial.hash, partial.layout, partial.bytes, error))
    p.notes = "not cached: " + error;
  return p;
}

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
    uint64_t shardHash = 0, shardRows = 0;
    uint32_t shardDims = 0;
    std::shared_ptr<const DataSet> data;
    Clock::time_point shardAsked;
    std::future<PreparedShard> preparing;  // local search or decoding, off the I/O thread
    // Loaded before the master named its rows (its first Conf had shardHash 0), held for
    // its second Conf; `early` says such a load was started this session.
    PreparedShard earlyCopy;
    bool early = false;
    bool downloading = false;
    uint64_t nextRequest = 0;  // next chunk offset to ask for
    int chunksInFlight = 0;
    // The node's copy of the parameters (ParamsUpdate): lanes train from it.
    std::shared_ptr<Eigen::VectorXf> base;
    uint64_t baseVersion = 0;
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
    socket->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kWorkerMaxInboundBytes));
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
    if (m.params.total != s.layout->size())
      return "task has " + std::to_string(m.params.total) + " parameters; the conf builds " + std::to_string(s.layout->size());
    if (t.phase.size() == 0 || t.phase.end > s.layout->size()) return "task phase range does not fit the network";
    if (t.phase.layer >= s.layout->layers().size()) return "task phase names layer " + std::to_string(t.phase.layer) + ", which does not exist";
    for (uint32_t i : t.indices)
      if (i >= s.data->size()) return "task row " + std::to_string(i) + " is outside the " + std::to_string(s.data->size()) + " rows";
    return "";
  }

  // Brings the node's copy of the parameters to the task's version (ParamsUpdate).
  std::string applyParams(const ParamsUpdate& u) {
    Session& s = *session;
    const auto n = static_cast<Eigen::Index>(u.total);
    std::string error;
    if (u.kind == ParamsKind::Same) {
      if (!s.base || s.baseVersion != u.version) return "the task reuses parameter version " + std::to_string(u.version) + ", which this worker does not hold";
      return "";
    }
    // Lanes may still read the current copy: write into a fresh one then.
    std::shared_ptr<Eigen::VectorXf> next = s.base && s.base.use_count() == 1 ? s.base : std::make_shared<Eigen::VectorXf>();
    if (u.kind == ParamsKind::Full) {
      next->resize(n);
      if (!decodeVector(Codec::Float32, u.bytes.span(), static_cast<size_t>(u.total), next->data(), error))
        return "the task's parameters are unusable: " + error;
    } else {
      if (!s.base || s.baseVersion + 1 != u.version || s.base->size() != n)
        return "the task changes parameter version " + std::to_string(u.version - 1) + ", but this worker holds version " +
               std::to_string(s.baseVersion);
      if (next != s.base) *next = *s.base;
      if (!addDecoded(u.codec, u.bytes.span(), static_cast<size_t>(u.count), next->data() + u.begin, error))
        return "the task's parameter change is unusable: " + error;
    }
    s.base = std::move(next);
    s.baseVersion = u.version;
    return "";
  }

  void startLanes(const std::string& how) {
    Session& s = *session;
    WorkerContext ctx;
    ctx.conf = s.conf.get();
    ctx.layout = s.layout.get();
    ctx.train = s.data.get();
    ctx.control = &s.control;
    ctx.results = nullptr;  // lanes hand results to the outbox instead
    const Codec codec = codecFor(parseChoice<LinkCompression>("exchangeCompression", s.conf->exchangeCompression));
    for (uint32_t i = 0; i < s.lanes; ++i) s.laneWorkers.push_back(std::make_unique<Lane>(ctx, i, s.envelope, codec, outbox, tasks));
    send(ReadyMsg{s.shardHash});
    ++sessions;
    log("ready: " + std::to_string(s.lanes) + " lane(s) training for the master at " + endpoint + "; joined in " +
        fmt1(since(helloSent)) + " s, training rows from " + how);
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
    s.shardHash = m.shardHash;
    s.shardRows = m.shardRows;
    s.shardDims = m.shardDims;
    if (m.shardHash == 0) {
      // The master still loads its data (protocol version 4): load this machine's copy now,
      // unless this process already holds rows from an earlier run (likely the same ones).
      log("conf received: " + s.conf->networkClass + " network of " + std::to_string(s.layout->size()) +
          " parameters; the master is still loading its data");
      if (options.useLocalData && shardCache().empty() && !s.preparing.valid()) {
        const Conf copy = *s.conf;
        s.early = true;
        s.preparing = std::async(std::launch::async, [copy] { return findShardLocally(copy, 0); });
      }
      return;
    }
    if (s.early) {
      log("the master's training rows are " + hex64(m.shardHash));
      // Still loading: onPrepared takes it when it is done.
      if (!s.preparing.valid()) onPrepared(std::exchange(s.earlyCopy, PreparedShard{}));
      return;
    }
    log("conf received: " + s.conf->networkClass + " network of " + std::to_string(s.layout->size()) + " parameters");
    if (auto cached = shardCache().find(m.shardHash)) {
      s.data = cached;
      startLanes("this process's memory (" + std::to_string(cached->size()) + " rows)");
      return;
    }
    if (!options.useLocalData) {
      onPrepared(PreparedShard{});
      return;
    }
    const Conf copy = *s.conf;
    const uint64_t hash = m.shardHash;
    s.preparing = std::async(std::launch::async, [copy, hash] { return findShardLocally(copy, hash); });
  }

  // The rows are ready (found locally, or downloaded and decoded), or a download must start.
  void onPrepared(PreparedShard prepared) {
    Session& s = *session;
    if (!prepared.notes.empty()) log(prepared.notes);
    if (s.shardHash == 0) {  // loaded early: held until the master names its rows
      s.earlyCopy = std::move(prepared);
      s.earlyCopy.notes.clear();
      return;
    }
    if (s.early) {  // the early load, now that the master has named its rows
      s.early = false;
      if (!prepared.data || prepared.hash != s.shardHash) {  // no copy, or another one
        if (prepared.data)
          log("this machine's copy of the data differs from the master's (" + hex64(prepared.hash) + ", the master's " +
              hex64(s.shardHash) + "); looking in the disk cache, then asking the master");
        const uint64_t hash = s.shardHash;
        s.preparing = std::async(std::launch::async, [hash] { return findShardOnDisk(hash); });
        return;
      }
    }
    if (prepared.data) {
      if (prepared.data->size() != s.shardRows || static_cast<uint32_t>(prepared.data->dims()) != s.shardDims ||
          prepared.data->dims() != s.conf->nIn) {
        restart("the training rows have " + std::to_string(prepared.data->size()) + " x " + std::to_string(prepared.data->dims()) +
                " values; the master's conf promised " + std::to_string(s.shardRows) + " x " + std::to_string(s.conf->nIn));
        return;
      }
      s.data = prepared.data;
      shardCache().put(s.shardHash, s.data);
      if (s.downloading) {
        ++downloads;
        partialShard() = PartialShard{};
        log("received " + std::to_string(s.data->size()) + " training rows in " + fmt1(since(s.shardAsked)) + " s; cached as " +
            hex64(s.shardHash));
      }
      s.downloading = false;
      startLanes(prepared.how);
      return;
    }
    if (s.downloading) {  // the download was unusable: start it over
      partialShard() = PartialShard{};
      restart("starting the download over: " + prepared.notes);
      return;
    }
    s.downloading = true;
    s.shardAsked = Clock::now();
    PartialShard& partial = partialShard();
    if (partial.hash != s.shardHash) partial = PartialShard{};
    s.nextRequest = partial.received;
    log(partial.received ? "resuming the download of the training rows at byte " + std::to_string(partial.received)
                         : "asking the master for the training rows (" + std::to_string(s.shardRows) + " x " +
                               std::to_string(s.shardDims) + ")");
    requestChunks();
  }

  void requestChunks() {
    Session& s = *session;
    const PartialShard& partial = partialShard();
    // Until the first chunk tells the stream's size, ask for one chunk only.
    const uint64_t total = partial.hash == s.shardHash && partial.layout.streamBytes ? partial.layout.streamBytes : 0;
    while (s.chunksInFlight < (total ? kShardChunksInFlight : 1) && (total == 0 ? s.chunksInFlight == 0 : s.nextRequest < total)) {
      const uint32_t length = static_cast<uint32_t>(total ? std::min<uint64_t>(kShardChunkBytes, total - s.nextRequest) : kShardChunkBytes);
      send(ShardRequestMsg{s.shardHash, s.nextRequest, length});
      s.nextRequest += length;
      ++s.chunksInFlight;
    }
  }

  void onShard(const ShardMsg& m) {
    Session& s = *session;
    PartialShard& partial = partialShard();
    if (!s.downloading || s.data || m.shardHash != s.shardHash) {
      log("dropped an unexpected chunk of training rows from the master");
      return;
    }
    if (partial.hash != m.shardHash || partial.layout.streamBytes != m.layout.streamBytes) {
      if (m.offset != 0) {
        restart("the master's first chunk of training rows starts at byte " + std::to_string(m.offset) + "; starting over");
        return;
      }
      const auto expected = shardStreamBytes(m.layout.encoding, m.layout.rows, m.layout.dims);
      if (m.layout.rows != s.shardRows || m.layout.dims != s.shardDims || !expected) {
        restart("the master's training rows are " + std::to_string(m.layout.rows) + " x " + std::to_string(m.layout.dims) +
                "; its conf promised " + std::to_string(s.shardRows) + " x " + std::to_string(s.shardDims));
        return;
      }
      partial = PartialShard{};
      partial.hash = m.shardHash;
      partial.layout = m.layout;
      partial.bytes.resize(static_cast<size_t>(m.layout.streamBytes));
      s.nextRequest = 0;
    }
    if (m.offset != partial.received) {
      restart("a chunk of training rows arrived out of order (byte " + std::to_string(m.offset) + ", expected " +
              std::to_string(partial.received) + "); resuming");
      return;
    }
    std::copy(m.chunk.data, m.chunk.data + m.chunk.size, partial.bytes.begin() + static_cast<std::ptrdiff_t>(m.offset));
    partial.received += m.chunk.size;
    if (s.chunksInFlight > 0) --s.chunksInFlight;
    if (s.nextRequest < partial.received) s.nextRequest = partial.received;
    if (partial.received < partial.layout.streamBytes) {
      requestChunks();
      return;
    }
    log("downloaded " + fmt1(static_cast<double>(partial.layout.streamBytes) / 1e6) + " MB of training rows in " +
        fmt1(since(s.shardAsked)) + " s; decoding");
    s.preparing = std::async(std::launch::async, [copy = partial, cache = options.useLocalData] { return decodeDownload(copy, cache); });
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
        // A second Conf names the training rows when the first could not (shardHash 0).
        if (s.conf && s.shardHash != 0) {
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
        std::string bad = validateTask(m);
        if (bad.empty()) bad = applyParams(m.params);
        if (!bad.empty()) {
          log("refused a task: " + bad);
          ResultMsg r;
          r.lane = m.lane;
          r.errorText = "task refused: " + bad;
          send(Payload(std::move(r)), h.envelope.round);
          return;
        }
        m.task.params = s.base;
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
          refused("the master at " + endpoint + " refused this worker's key " + keyFingerprint(curve.client.publicKey) + " (from " +
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
                          : "most likely it requires CURVE and this worker runs --insecure (drop --insecure)") +
                  "; or the master is at its connection limit (its log then says 'refusing connections')");
          return;
      }
    }
    if (socket && !handshakeDone && tcpUpSince &&
        std::chrono::duration<double>(Clock::now() - *tcpUpSince).count() > options.handshakeTimeoutSeconds) {
      // TCP is up but the master never answered: a wrong key or mode is refused at once
      // (handled above), so this is a master that cannot take the connection.
      refused("reached the master at " + endpoint + " but no ZeroMQ handshake within " + fmt1(options.handshakeTimeoutSeconds) +
              " s: the master may be overloaded or out of file descriptors (its log then says 'refusing connections'), "
              "or it is not a Scaleout master (a wrong key or mode is normally refused at once)");
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
            (want.key.empty() ? "" : ", key " + keyFingerprint(want.key)) + "); staying with the master at " + endpoint + " while it answers");
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
          (secure ? " (CURVE key " + keyFingerprint(key) + (trustNote.empty() ? "" : "; " + trustNote) + ")" : ""));
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
                                   : "; master key " + keyFingerprint(curve.masterKey) + " (" + curve.masterKeyOrigin + ")"));
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
      if (session && session->preparing.valid() &&
          session->preparing.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
        onPrepared(session->preparing.get());
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
