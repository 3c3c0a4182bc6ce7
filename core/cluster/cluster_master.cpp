#include "cluster/cluster_master.h"

#include <algorithm>
#include <mutex>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "cluster/connection_guard.h"
#include "cluster/message_limits.h"
#include "cluster/parameter_broadcast.h"
#include "cluster/protocol.h"
#include "cluster/remote_worker.h"
#include "cluster/zap_handler.h"
#include "cluster/zmq_io.h"
#include "config/conf_io.h"
#include "nn/network.h"
#include "train/phase.h"
#include "util/error.h"

namespace scaleout::cluster {

using Clock = std::chrono::steady_clock;

namespace {

std::string printableId(const std::string& id) {
  const bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c >= 32 && c < 127; });
  if (printable && !id.empty()) return id;
  std::string hex = "0x";
  char buf[4];
  for (unsigned char c : id.substr(0, 16)) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return hex;
}

uint64_t randomRunId() {
  std::random_device rd;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return id;
}

std::string formatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

}  // namespace

struct ClusterMaster::Impl {
  struct Peer {
    std::string identity;
    std::string name;  // for log lines
    uint32_t generation = 0;
    uint32_t lanes = 1;
    bool ready = false;
    Clock::time_point lastSeen;
    std::vector<std::shared_ptr<RemoteLane>> laneStates;
    NodeParams params;  // the parameters this node holds (ParameterBroadcast)
    Clock::time_point shardStarted;
    // Bytes of its tasks and results, for "bytes per round per worker".
    uint64_t taskBytes = 0, resultBytes = 0, results = 0;
    bool confHadShard = false;  // its Conf named the training rows (else a second one follows)
  };

  ClusterMaster& owner;
  ClusterMasterOptions options;
  std::string confJson;
  // The training rows: null until the master has loaded them (ClusterMaster::setShard).
  // I/O thread only once it runs; setShard hands them over through `offered`.
  const DataSet* shard = nullptr;
  uint64_t shardHashValue = 0;
  std::mutex offerMutex;
  const DataSet* offeredShard = nullptr;
  uint64_t offeredHash = 0;
  std::atomic<bool> shardOffered{false};
  // The training rows as a chunked stream (shard_stream.h). Encoded on a helper thread
  // when the first worker asks for a chunk, not at start-up: most workers load the same
  // files themselves, and on a one-core master the encoding (~1 s) would be taken from
  // training. Requests that arrive meanwhile wait in `waitingChunks`; the I/O loop goes on.
  std::future<EncodedShard> shardEncoding;
  std::optional<EncodedShard> shardStream;
  std::vector<std::pair<std::string, ShardRequestMsg>> waitingChunks;
  Codec codec = Codec::Int8;  // exchangeCompression
  ParameterBroadcast broadcast;
  zmq::context_t context;
  std::unique_ptr<ZapHandler> zap;  // before router: it must answer before the first bind
  zmq::socket_t router;
  std::unique_ptr<SocketMonitor> monitor;
  std::unique_ptr<ConnectionGuard> guard;  // fed by the monitor; I/O thread only after start
  uint64_t handshakeFailures = 0;
  Clock::time_point lastHandshakeLog;
  WakePipe wake;
  std::shared_ptr<TaskOutbox> outbox;
  std::atomic<bool> stopping{false};
  std::thread io;

  mutable std::mutex statsMutex;
  ClusterMasterStats stats;
  std::mutex handlerMutex;
  JoinHandler handler;

  std::map<std::string, Peer> peers;  // I/O thread only
  uint32_t nextGeneration = 0;

  Impl(ClusterMaster& o, const Conf& conf, const DataSet* train, ClusterMasterOptions opts)
      : owner(o),
        options(std::move(opts)),
        shard(train),
        context(1),
        router(context, zmq::socket_type::router),
        wake(context, "scaleout-master-wake") {
    confJson = confToJson(conf).dump();
    codec = codecFor(parseChoice<LinkCompression>("exchangeCompression", conf.exchangeCompression));
    if (shard) shardHashValue = shardHash(*shard);
    outbox = std::make_shared<TaskOutbox>([this] { wake.notify(); });
  }

  void log(const std::string& line) {
    if (options.log) options.log(line);
  }

  void count(const std::function<void(ClusterMasterStats&)>& f) {
    std::lock_guard lock(statsMutex);
    f(stats);
  }

  SendStatus send(const std::string& identity, const Envelope& env, const Payload& payload, const BlobCrcs* crcs = nullptr) {
    const Encoded e = encode(env, payload, crcs);
    const SendStatus s = sendEncoded(router, identity, e);
    if (s == SendStatus::Sent) count([&](ClusterMasterStats& st) { st.bytesSent += e.bytes(); });
    return s;
  }

  Envelope envelopeFor(const Peer& p, long long round = 0) const { return Envelope{owner.runId_, p.generation, round}; }

  void drop(const std::string& identity, const std::string& why) {
    uint64_t n = 0;
    count([&](ClusterMasterStats& st) { n = ++st.messagesDropped; });
    if (n <= 20 || n % 1000 == 0)
      log("dropped a message from " + printableId(identity) + ": " + why + " (" + std::to_string(n) + " dropped so far)");
  }

  void peerGone(const std::string& identity, const std::string& reason) {
    auto it = peers.find(identity);
    if (it == peers.end()) return;
    Peer& p = it->second;
    int busy = 0;
    for (auto& lane : p.laneStates) {
      busy += lane->busy() ? 1 : 0;
      lane->fail(reason);
    }
    log("worker " + p.name + " " + reason + (busy ? "; its " + std::to_string(busy) + " slice(s) go back to the queue" : ""));
    logExchange(p);
    if (p.ready) owner.connected_.fetch_sub(1);
    count([&](ClusterMasterStats& st) { ++st.workersLost; });
    peers.erase(it);
  }

  void onHello(const std::string& identity, const HelloMsg& hello) {
    if (peers.count(identity)) peerGone(identity, "said hello again: its old session ends");
    Peer p;
    p.identity = identity;
    p.name = hello.name.empty() ? printableId(identity) : hello.name;
    p.generation = ++nextGeneration;
    p.lanes = std::min<uint32_t>(hello.threads, static_cast<uint32_t>(std::max(1, options.maxLanesPerWorker)));
    p.lastSeen = Clock::now();
    WelcomeMsg w;
    w.heartbeatIntervalMs = static_cast<uint32_t>(options.heartbeatIntervalSeconds * 1000);
    w.heartbeatTimeoutMs = static_cast<uint32_t>(options.heartbeatTimeoutSeconds * 1000);
    w.lanes = p.lanes;
    if (send(identity, envelopeFor(p), w) != SendStatus::Sent || !sendConf(p)) {
      log("worker " + p.name + " said hello but cannot be answered; ignored");
      return;
    }
    log("worker " + p.name + " (host " + hello.host + ", " + std::to_string(hello.threads) + " thread(s)) connected; session " +
        std::to_string(p.generation) + ", " + std::to_string(p.lanes) + " lane(s)");
    peers[identity] = std::move(p);
  }

  // The conf, and the training rows' identity once the master has them (shardHash 0 until
  // then: the worker loads its own copy meanwhile, and gets a second Conf that names them).
  bool sendConf(Peer& p) {
    ConfMsg c;
    c.confJson = confJson;
    if (shard) {
      c.shardHash = shardHashValue;
      c.shardRows = shard->size();
      c.shardDims = static_cast<uint32_t>(shard->dims());
    }
    p.confHadShard = shard != nullptr;
    return send(p.identity, envelopeFor(p), c) == SendStatus::Sent;
  }

  // setShard's rows, taken over on the I/O thread; nodes told "not yet" hear which they are.
  void adoptOfferedShard() {
    if (!shardOffered.exchange(false)) return;
    {
      std::lock_guard lock(offerMutex);
      shard = offeredShard;
      shardHashValue = offeredHash;
    }
    for (auto& [identity, p] : peers)
      if (!p.confHadShard && !sendConf(p)) log("worker " + p.name + " could not be told which training rows this run uses");
  }

  void onReady(Peer& p, const ReadyMsg& m) {
    if (!shard) {
      drop(p.identity, "ready before this master has its training rows");
      return;
    }
    if (m.shardHash != shardHashValue) {
      drop(p.identity, "ready for shard " + std::to_string(m.shardHash) + " but this run's shard is " + std::to_string(shardHashValue));
      return;
    }
    if (p.ready) return;  // a repeated Ready changes nothing
    p.ready = true;
    owner.connected_.fetch_add(1);
    count([&](ClusterMasterStats& st) { ++st.workersJoined; });
    std::vector<std::unique_ptr<Worker>> workers;
    for (uint32_t i = 0; i < p.lanes; ++i) {
      const std::string id = p.lanes > 1 ? p.name + "#" + std::to_string(i) : p.name;
      auto lane = std::make_shared<RemoteLane>(id, p.identity, p.generation, i, outbox);
      p.laneStates.push_back(lane);
      workers.push_back(std::make_unique<RemoteWorker>(lane));
    }
    log("worker " + p.name + " is ready: " + std::to_string(p.lanes) + " lane(s) join at the next round");
    std::lock_guard lock(handlerMutex);
    if (!handler) {
      log("no trainer accepts workers yet; " + p.name + " stays idle");
      return;
    }
    for (auto& w : workers) handler(std::move(w));
  }

  void onResult(Peer& p, const Header& h, ResultMsg& m) {
    if (!p.ready || m.lane >= p.laneStates.size()) {
      drop(p.identity, "result for lane " + std::to_string(m.lane) + ", which this worker does not have");
      return;
    }
    m.result.round = h.envelope.round;
    const std::string why = p.laneStates[m.lane]->deliver(m);
    if (!why.empty()) {
      drop(p.identity, why);
      if (why.find("does not fit") != std::string::npos) peerGone(p.identity, "returned a result that does not fit its task");
      return;
    }
    p.resultBytes += kHeaderBytes + m.values.size;
    ++p.results;
    count([&](ClusterMasterStats& st) {
      ++st.resultsReceived;
      st.exchangeBytes += kHeaderBytes + m.values.size;
      ++st.exchanges;
    });
    if (p.results == 3) logExchange(p, 4.0 * 4.0 * static_cast<double>(m.count) / 1e6);
  }

  // Bytes per round with one worker: after its third result (the first task carries the
  // whole base) and, averaged over all its rounds, when its session ends.
  void logExchange(const Peer& p, double version1MB = 0) {
    if (p.results == 0) return;
    const double n = static_cast<double>(p.results);
    char line[200];
    std::snprintf(line, sizeof line, "exchange with %s%s: %.2f MB down + %.2f MB up per round (%s%s", p.name.c_str(),
                  version1MB > 0 ? "" : (" over " + std::to_string(p.results) + " rounds").c_str(), p.taskBytes / n / 1e6,
                  p.resultBytes / n / 1e6, codecName(codec), version1MB > 0 ? "" : ")");
    std::string text = line;
    if (version1MB > 0) {
      std::snprintf(line, sizeof line, "; protocol version 1 sent %.1f MB)", version1MB);
      text += line;
    }
    log(text);
  }

  void handle(std::vector<zmq::message_t>& frames) {
    if (frames.empty()) return;
    const std::string identity(static_cast<const char*>(frames[0].data()), frames[0].size());
    uint64_t bytes = 0;
    for (size_t i = 1; i < frames.size(); ++i) bytes += frames[i].size();
    count([&](ClusterMasterStats& st) { st.bytesReceived += bytes; });
    const auto views = frameViews(frames, 1);
    DecodeOutcome out = decodeMessage(views);
    if (!out) {
      if (out.failure == DecodeFailure::WrongVersion) {
        const std::string text = "refused: this master speaks cluster protocol version " + std::to_string(kProtocolVersion) +
                                 ", the worker speaks version " + std::to_string(out.peerVersion) +
                                 "; run the same Scaleout release on both";
        log("worker " + printableId(identity) + " " + text);
        send(identity, Envelope{}, ErrorMsg{ErrorCode::VersionMismatch, text});
        peerGone(identity, "was refused");
        count([&](ClusterMasterStats& st) { ++st.messagesDropped; });
        return;
      }
      drop(identity, out.error);
      // A damaged message inside a session may have been a result: end the session so its
      // lanes fail now (slices re-queued) instead of waiting forever; the node says hello again.
      if (peers.count(identity)) peerGone(identity, "sent a damaged message; its session ends");
      return;
    }
    const Header& h = out.message->header;
    Payload& payload = out.message->payload;
    if (h.type == MessageType::Hello) {
      onHello(identity, std::get<HelloMsg>(payload));
      return;
    }
    auto it = peers.find(identity);
    if (it == peers.end() || h.envelope.runId != owner.runId_ || h.envelope.generation != it->second.generation) {
      drop(identity, std::string(messageTypeName(h.type)) + " outside a current session (run " + std::to_string(h.envelope.runId) +
                         ", generation " + std::to_string(h.envelope.generation) + ")");
      if (h.type != MessageType::Error && h.type != MessageType::Bye)
        send(identity, Envelope{owner.runId_, 0, 0}, ErrorMsg{ErrorCode::StaleSession, "unknown or stale session: say hello again"});
      return;
    }
    Peer& p = it->second;
    p.lastSeen = Clock::now();
    switch (h.type) {
      case MessageType::ShardRequest:
        onShardRequest(p, std::get<ShardRequestMsg>(payload));
        return;
      case MessageType::Ready:
        onReady(p, std::get<ReadyMsg>(payload));
        return;
      case MessageType::Result:
        onResult(p, h, std::get<ResultMsg>(payload));
        return;
      case MessageType::Heartbeat:
        return;
      case MessageType::Bye:
        peerGone(identity, "left: " + std::get<ByeMsg>(payload).reason);
        return;
      case MessageType::Error:
        log("worker " + p.name + " reports: " + std::get<ErrorMsg>(payload).text);
        return;
      default:
        drop(identity, std::string("unexpected ") + messageTypeName(h.type) + " from a worker");
        return;
    }
  }

  // One chunk of the shard stream per request; the worker keeps a few requests in
  // flight, so heartbeats interleave with the data and a cut transfer resumes.
  void onShardRequest(Peer& p, const ShardRequestMsg& m) {
    if (!shard || m.shardHash != shardHashValue) {
      drop(p.identity, "asked for an unknown shard");
      return;
    }
    if (!shardStream) {
      if (!shardEncoding.valid()) {
        log("encoding the training rows for " + p.name + ", which does not hold them");
        shardEncoding = std::async(std::launch::async, [this] { return encodeShard(*shard); });
      }
      // A worker keeps at most kShardChunksInFlight requests in flight; more from one
      // peer is not a worker following the protocol.
      const auto mine = std::count_if(waitingChunks.begin(), waitingChunks.end(), [&](const auto& w) { return w.first == p.identity; });
      if (mine >= kShardChunksInFlight) {
        drop(p.identity, "asked for more than " + std::to_string(kShardChunksInFlight) + " chunks at once");
        return;
      }
      waitingChunks.emplace_back(p.identity, m);
      return;
    }
    sendChunk(p, m);
  }

  // Once the encoding is done, answers the requests that waited for it.
  void serveWaitingChunks() {
    if (shardStream || !shardEncoding.valid() || shardEncoding.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      return;
    shardStream = shardEncoding.get();
    for (auto& [identity, m] : std::exchange(waitingChunks, {})) {
      auto it = peers.find(identity);
      if (it != peers.end()) sendChunk(it->second, m);
    }
  }

  void sendChunk(Peer& p, const ShardRequestMsg& m) {
    const EncodedShard& s = *shardStream;
    if (m.offset >= s.layout.streamBytes) {
      drop(p.identity, "asked for a chunk past the end of the shard");
      return;
    }
    if (m.offset == 0 || p.shardStarted == Clock::time_point{}) {
      p.shardStarted = Clock::now();
      char mb[96];
      std::snprintf(mb, sizeof mb, "%.1f MB as %s", static_cast<double>(s.layout.streamBytes) / 1e6,
                    s.layout.encoding == ShardEncoding::Table8 ? "one byte per value" : "float32");
      log("shipping the training rows to " + p.name + " (" + std::to_string(s.layout.rows) + " rows, " + mb +
          (m.offset ? ", resuming at byte " + std::to_string(m.offset) : std::string()) + ")");
    }
    const size_t length = static_cast<size_t>(std::min<uint64_t>({m.length, kShardChunkBytes, s.layout.streamBytes - m.offset}));
    ShardMsg chunk;
    chunk.shardHash = shardHashValue;
    chunk.layout = s.layout;
    chunk.offset = m.offset;
    chunk.chunk.owner = s.bytes;
    chunk.chunk.data = s.bytes->data() + m.offset;
    chunk.chunk.size = length;
    if (send(p.identity, envelopeFor(p), chunk) != SendStatus::Sent) {
      peerGone(p.identity, "could not be sent a chunk of its shard (its queue is full)");
      return;
    }
    if (m.offset + length == s.layout.streamBytes)
      log("shipped the training rows to " + p.name + " in " +
          formatSeconds(std::chrono::duration<double>(Clock::now() - p.shardStarted).count()) + " s");
  }

  void sendTasks() {
    for (OutgoingTask& t : outbox->take()) {
      auto it = peers.find(t.peer);
      if (it == peers.end() || it->second.generation != t.generation) continue;  // its lane already failed
      Peer& p = it->second;
      const long long round = t.task.round;
      TaskMsg m;
      m.lane = t.lane;
      m.params = broadcast.updateFor(*t.task.params, t.task.phase, round, codec, p.params);
      m.task = std::move(t.task);
      m.task.params.reset();
      m.task.state.reset();
      const SendStatus s = send(t.peer, envelopeFor(p, round), m, broadcast.crcs(m.params));
      if (s == SendStatus::Sent) {
        p.taskBytes += kHeaderBytes + m.params.bytes.size;
        count([&](ClusterMasterStats& st) {
          ++st.tasksSent;
          st.exchangeBytes += kHeaderBytes + m.params.bytes.size;
        });
      } else {
        peerGone(t.peer, s == SendStatus::Unreachable ? "disconnected" : "cannot take a task (its queue is full)");
      }
    }
  }

  void heartbeat() {
    const auto now = Clock::now();
    std::vector<std::pair<std::string, std::string>> gone;
    for (auto& [identity, p] : peers) {
      const double silent = std::chrono::duration<double>(now - p.lastSeen).count();
      if (silent > options.heartbeatTimeoutSeconds) {
        gone.push_back({identity, "silent for " + formatSeconds(silent) + " s (heartbeat timeout " +
                                      formatSeconds(options.heartbeatTimeoutSeconds) + " s): declared dead"});
        continue;
      }
      int busy = 0;
      for (auto& lane : p.laneStates) busy += lane->busy() ? 1 : 0;
      const SendStatus s = send(identity, envelopeFor(p), HeartbeatMsg{static_cast<uint32_t>(busy)});
      if (s == SendStatus::Unreachable) gone.push_back({identity, "disconnected"});
    }
    for (auto& [identity, reason] : gone) peerGone(identity, reason);
  }

  // Failed handshakes never reach the ROUTER as messages; the monitor sees them.
  void monitorEvents() {
    while (auto e = monitor->next()) {
      guard->onEvent(*e);
      if (e->event & kConnectionEvents) continue;  // the guard's business
      if (e->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) continue;  // the ZAP handler logged the key
      ++handshakeFailures;
      count([&](ClusterMasterStats& st) { ++st.handshakeFailures; });
      const auto now = Clock::now();
      if (handshakeFailures == 1 || now - lastHandshakeLog > std::chrono::seconds(30)) {
        std::string hint = owner.secure() ? " (a worker started with --insecure? this master requires CURVE)"
                                          : " (a worker using CURVE? this master runs --insecure)";
        if (e->value != ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) hint = "";
        log("a peer failed the handshake on " + e->address + ": " + describeHandshakeFailure(*e) + hint + " (" +
            std::to_string(handshakeFailures) + " so far)");
        lastHandshakeLog = now;
      }
    }
  }

  void loop() {
    const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.heartbeatIntervalSeconds));
    auto nextBeat = Clock::now() + interval;
    std::vector<zmq::message_t> frames;
    while (!stopping.load()) {
      zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0},
                                 {wake.socket().handle(), 0, ZMQ_POLLIN, 0},
                                 {monitor->socket().handle(), 0, ZMQ_POLLIN, 0}};
      const auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(nextBeat - Clock::now()),
                                   std::chrono::milliseconds(0), std::chrono::milliseconds(100));
      try {
        zmq::poll(items, 3, wait);
      } catch (const zmq::error_t&) {
        continue;  // EINTR
      }
      if (items[1].revents & ZMQ_POLLIN) wake.drain();
      adoptOfferedShard();
      if (items[2].revents & ZMQ_POLLIN) monitorEvents();
      sendTasks();
      for (int i = 0; i < 256 && receiveFrames(router, frames); ++i) {
        guard->onMessage(frames);  // its connection finished the handshake
        handle(frames);
      }
      sendTasks();
      serveWaitingChunks();
      if (Clock::now() >= nextBeat) {
        heartbeat();
        nextBeat = Clock::now() + interval;
      }
    }
    outbox->close();
    for (auto& [identity, p] : peers) {
      send(identity, envelopeFor(p), ByeMsg{"the run has ended"});
      logExchange(p);
      for (auto& lane : p.laneStates) lane->fail("is no longer used: the master stopped");
    }
    peers.clear();
    router.set(zmq::sockopt::linger, 500);  // let the Byes out
    monitor->stop(router);
    router.close();
  }
};

ClusterMaster::ClusterMaster(const Conf& conf, ClusterMasterOptions options) { start(conf, nullptr, std::move(options)); }

ClusterMaster::ClusterMaster(const Conf& conf, const DataSet& train, ClusterMasterOptions options) {
  start(conf, &train, std::move(options));
}

void ClusterMaster::setShard(const DataSet& train) {
  const uint64_t hash = shardHash(train);  // on the caller's thread: the I/O loop goes on
  {
    std::lock_guard lock(impl_->offerMutex);
    impl_->offeredShard = &train;
    impl_->offeredHash = hash;
  }
  impl_->shardOffered = true;
  impl_->wake.notify();
}

void ClusterMaster::start(const Conf& conf, const DataSet* train, ClusterMasterOptions options) {
  runId_ = randomRunId();
  impl_ = std::make_unique<Impl>(*this, conf, train, std::move(options));
  auto& router = impl_->router;
  router.set(zmq::sockopt::router_mandatory, 1);
  // High-water marks count messages, not bytes: a few parameter vectors per peer at most.
  router.set(zmq::sockopt::sndhwm, 64);
  router.set(zmq::sockopt::rcvhwm, 256);
  router.set(zmq::sockopt::linger, 0);
  // ZMTP-level pings find dead TCP peers; application heartbeats find hung processes.
  router.set(zmq::sockopt::heartbeat_ivl, 1000);
  router.set(zmq::sockopt::heartbeat_timeout, 5000);
  // Limits on peers without a key yet (issue #17; docs/cluster.md, Limits): frame size,
  // handshake time, and connections (ConnectionGuard, which also raises RLIMIT_NOFILE).
  const size_t maxMessage = maxInboundMessageBytes(NetworkLayout(conf).size());
  router.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(maxMessage));
  router.set(zmq::sockopt::handshake_ivl, kMasterHandshakeTimeoutMs);
  const ConnectionLimits limits = connectionLimitsFor(raiseDescriptorLimit());
  impl_->guard = std::make_unique<ConnectionGuard>(limits, maxMessage, impl_->options.log);
  if (impl_->options.log)
    impl_->options.log("limits: frames up to " + std::to_string(maxMessage >> 20) + " MiB, handshake within " +
                       std::to_string(kMasterHandshakeTimeoutMs / 1000) + " s, " + std::to_string(limits.total) + " connections (" +
                       std::to_string(limits.halfOpen) + " mid-handshake, " + std::to_string(limits.halfOpenPerAddress) +
                       " per address) of " + std::to_string(limits.descriptors) + " file descriptors");
  const SecurityOptions& security = impl_->options.security;
  MasterCurve curve;
  if (!security.insecure) {
    curve = resolveMasterCurve(security, impl_->options.log);
    // The handler first: a CURVE server that binds without one accepts every key.
    impl_->zap = std::make_unique<ZapHandler>(impl_->context, curve.accepted, impl_->options.log, curve.allowListFile,
                                               [security] { return resolveMasterCurve(security, {}).accepted; });
    router.set(zmq::sockopt::curve_server, 1);
    router.set(zmq::sockopt::curve_secretkey, curve.server.secretKey);
    router.set(zmq::sockopt::zap_domain, kZapDomain);
  }
  impl_->monitor = std::make_unique<SocketMonitor>(
      impl_->context, router, "scaleout-master",
      ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
          kConnectionEvents);
  try {
    router.bind(impl_->options.bind);
  } catch (const zmq::error_t& e) {
    throw ScaleoutError("cannot listen for workers on " + impl_->options.bind + ": " + e.what());
  }
  endpoint_ = router.get(zmq::sockopt::last_endpoint);
  if (!security.insecure) {
    // Prove that the handler is in place: a stranger's key must be refused.
    const CurveKeyPair stranger = newKeyPair();
    impl_->zap->expectStranger(stranger.publicKey);
    const SelfTestResult t = probeUnknownKey(impl_->context, endpoint_, curve.server.publicKey, stranger, std::chrono::milliseconds(3000));
    if (t.outcome != SelfTestResult::Outcome::Refused || impl_->zap->denied() == 0) {
      impl_->monitor->stop(router);
      throw ScaleoutError("security self-test failed, refusing to start: " + t.detail +
                          (t.outcome == SelfTestResult::Outcome::Accepted
                               ? "; the ZAP handler is not enforcing the allow-list, so any peer could join"
                               : "; could not prove that unknown keys are refused"));
    }
    selfTestSeconds_ = t.seconds;
    publicKey_ = curve.server.publicKey;
    if (impl_->options.log) {
      char ms[32];
      std::snprintf(ms, sizeof ms, "%.0f", t.seconds * 1000);
      // Its own public key in full (a worker's --master-key is copied from here); other keys
      // appear by fingerprint.
      impl_->options.log("CURVE on: master key " + publicKey_ + " (" + curve.serverKeyFile + "), " +
                         std::to_string(curve.accepted.size()) + " worker key(s) accepted; self-test: a stranger's key was refused in " +
                         ms + " ms");
      for (const auto& k : curve.accepted) impl_->options.log("accepts worker key " + keyFingerprint(k.publicKey) + " from " + k.origin);
    }
  }
  impl_->io = std::thread([this] { impl_->loop(); });
}

ClusterMaster::~ClusterMaster() {
  impl_->stopping = true;
  impl_->wake.notify();
  if (impl_->io.joinable()) impl_->io.join();
}

void ClusterMaster::setJoinHandler(JoinHandler handler) {
  std::lock_guard lock(impl_->handlerMutex);
  impl_->handler = std::move(handler);
}

ClusterMasterStats ClusterMaster::stats() const {
  std::lock_guard lock(impl_->statsMutex);
  ClusterMasterStats s = impl_->stats;
  if (impl_->zap) s.peersRefused = impl_->zap->denied() - 1;  // minus the self-test's stranger
  return s;
}

}  // namespace scaleout::cluster
