#include "cluster/protocol.h"

#include <cmath>
#include <cstring>
#include <limits>

#include <zlib.h>

namespace scaleout::cluster {
namespace {

static_assert(sizeof(float) == 4 && sizeof(int) == 4, "blobs hold 4-byte elements");

constexpr size_t kCrcOffset = 40;

// ---- little-endian writer

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { raw(v); }
  void u32(uint32_t v) { raw(v); }
  void u64(uint64_t v) { raw(v); }
  void i32(int32_t v) { raw(v); }
  void i64(int64_t v) { raw(v); }
  void f32(float v) { raw(v); }
  void f64(double v) { raw(v); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void floats(const float* p, size_t n) {
    const auto* b = reinterpret_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n * 4);
  }

 private:
  template <typename T>
  void raw(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));  // the host is little-endian (static_assert in the header)
    out_.insert(out_.end(), b, b + sizeof(T));
  }
  std::vector<uint8_t>& out_;
};

// ---- bounds-checked reader: every read past the end sets an error and returns zeros

class Reader {
 public:
  explicit Reader(FrameView data) : data_(data) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t remaining() const { return data_.size() - pos_; }
  void fail(const std::string& why) {
    if (error_.empty()) error_ = why;
  }

  uint8_t u8() { return raw<uint8_t>("u8"); }
  uint16_t u16() { return raw<uint16_t>("u16"); }
  uint32_t u32() { return raw<uint32_t>("u32"); }
  uint64_t u64() { return raw<uint64_t>("u64"); }
  int32_t i32() { return raw<int32_t>("i32"); }
  int64_t i64() { return raw<int64_t>("i64"); }
  float f32() { return raw<float>("f32"); }
  double f64() { return raw<double>("f64"); }
  std::string str(const char* what) {
    const uint32_t n = u32();
    if (!ok()) return {};
    if (n > kMaxStringBytes || n > remaining()) {
      fail(std::string("string '") + what + "' of " + std::to_string(n) + " bytes runs past the body (" +
           std::to_string(remaining()) + " left)");
      return {};
    }
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  // n 4-byte elements; checks the length before allocating.
  template <typename T>
  bool array(std::vector<T>& out, size_t n, const char* what) {
    static_assert(sizeof(T) == 4);
    if (!ok()) return false;
    if (n > remaining() / 4) {
      fail(std::string("array '") + what + "' of " + std::to_string(n) + " elements runs past the body (" +
           std::to_string(remaining()) + " bytes left)");
      return false;
    }
    out.resize(n);
    if (n) std::memcpy(out.data(), data_.data() + pos_, n * 4);
    pos_ += n * 4;
    return true;
  }
  void expectEnd() {
    if (ok() && remaining() != 0) fail(std::to_string(remaining()) + " unexpected bytes after the body's last field");
  }

 private:
  template <typename T>
  T raw(const char* what) {
    T v{};
    if (!ok()) return v;
    if (remaining() < sizeof(T)) {
      fail(std::string("body is truncated: a ") + what + " needs " + std::to_string(sizeof(T)) + " bytes, " +
           std::to_string(remaining()) + " left");
      return v;
    }
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  FrameView data_;
  size_t pos_ = 0;
  std::string error_;
};

uint32_t crcUpdate(uint32_t crc, const void* data, size_t bytes) {
  // zlib's crc32 takes uInt lengths: feed large buffers in 1 GiB pieces.
  const auto* p = static_cast<const Bytef*>(data);
  while (bytes > 0) {
    const uInt n = static_cast<uInt>(std::min<size_t>(bytes, size_t{1} << 30));
    crc = static_cast<uint32_t>(crc32(crc, p, n));
    p += n;
    bytes -= n;
  }
  return crc;
}

Blob blobOf(const ByteBlob& b) { return Blob{b.owner, b.data, b.size}; }

// Bodies. Each writer appends the body and the blobs; each reader is the mirror image.

void writePhase(Writer& w, const Phase& p) {
  w.u8(p.kind == PhaseKind::Pretrain ? 1 : 2);
  w.u64(p.layer);
  w.i32(p.epochs);
  w.u64(p.begin);
  w.u64(p.end);
  w.u32(static_cast<uint32_t>(p.rates.size()));
  for (const auto& r : p.rates) {
    w.u64(r.begin);
    w.u64(r.end);
    w.f32(r.rate);
  }
}

Phase readPhase(Reader& r) {
  Phase p;
  const uint8_t kind = r.u8();
  if (r.ok() && kind != 1 && kind != 2) r.fail("phase kind " + std::to_string(kind) + " is neither 1 (pretrain) nor 2 (finetune)");
  p.kind = kind == 1 ? PhaseKind::Pretrain : PhaseKind::Finetune;
  p.layer = r.u64();
  p.epochs = r.i32();
  p.begin = r.u64();
  p.end = r.u64();
  const uint32_t n = r.u32();
  if (r.ok() && n > r.remaining() / 20) {
    r.fail("phase has " + std::to_string(n) + " rate ranges, more than the body holds");
    return p;
  }
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    RateRange rr{};
    rr.begin = r.u64();
    rr.end = r.u64();
    rr.rate = r.f32();
    if (r.ok() && (rr.begin > rr.end || rr.begin < p.begin || rr.end > p.end))
      r.fail("a rate range [" + std::to_string(rr.begin) + ", " + std::to_string(rr.end) + ") lies outside the phase [" +
             std::to_string(p.begin) + ", " + std::to_string(p.end) + ")");
    if (r.ok() && !std::isfinite(rr.rate)) r.fail("a learning rate is not finite");
    p.rates.push_back(rr);
  }
  if (r.ok() && p.begin > p.end) r.fail("phase range begins after it ends");
  return p;
}

struct BodyWriter {
  Writer& w;
  std::vector<Blob>& blobs;

  void operator()(const HelloMsg& m) {
    w.u32(m.threads);
    w.str(m.name);
    w.str(m.host);
    w.u32(m.pid);
  }
  void operator()(const WelcomeMsg& m) {
    w.u32(m.heartbeatIntervalMs);
    w.u32(m.heartbeatTimeoutMs);
    w.u32(m.lanes);
  }
  void operator()(const ConfMsg& m) {
    w.str(m.confJson);
    w.u64(m.shardHash);
    w.u64(m.shardRows);
    w.u32(m.shardDims);
  }
  void operator()(const ShardRequestMsg& m) {
    w.u64(m.shardHash);
    w.u64(m.offset);
    w.u32(m.length);
  }
  void operator()(const ShardMsg& m) {
    const ShardLayout& l = m.layout;
    w.u64(m.shardHash);
    w.u64(l.rows);
    w.u32(l.dims);
    w.i32(l.numClasses);
    w.i32(l.imageRows);
    w.i32(l.imageCols);
    w.u8(static_cast<uint8_t>(l.encoding));
    w.u64(l.streamBytes);
    w.str(l.source);
    w.u64(m.offset);
    blobs.push_back(blobOf(m.chunk));
  }
  void operator()(const ReadyMsg& m) { w.u64(m.shardHash); }
  void operator()(const TaskMsg& m) {
    const RoundTask& t = m.task;
    w.u32(m.lane);
    w.u64(t.phaseIndex);
    writePhase(w, t.phase);
    w.i32(t.batchSize);
    w.u64(t.seed);
    w.f32(t.pendingShare);
    w.u32(static_cast<uint32_t>(t.indices.size()));
    for (uint32_t i : t.indices) w.u32(i);
    const ParamsUpdate& p = m.params;
    w.u8(static_cast<uint8_t>(p.kind));
    w.u64(p.version);
    w.u64(p.total);
    w.u8(static_cast<uint8_t>(p.codec));
    w.u64(p.begin);
    w.u64(p.count);
    blobs.push_back(blobOf(p.bytes));
  }
  void operator()(const ResultMsg& m) {
    const RoundResult& r = m.result;
    w.u32(m.lane);
    w.u64(r.samples);
    w.f64(r.computeSeconds);
    w.u8(r.cancelled ? 1 : 0);
    w.u8(r.diverged ? 1 : 0);
    w.u64(r.divergedBatch);
    w.u32(static_cast<uint32_t>(r.losses.size()));
    w.floats(r.losses.data(), r.losses.size());
    w.str(m.errorText);
    w.u8(static_cast<uint8_t>(m.codec));
    w.u8(m.delta ? 1 : 0);
    w.u64(m.count);
    blobs.push_back(blobOf(m.values));
  }
  void operator()(const HeartbeatMsg& m) { w.u32(m.busyLanes); }
  void operator()(const ErrorMsg& m) {
    w.u32(static_cast<uint32_t>(m.code));
    w.str(m.text);
  }
  void operator()(const ByeMsg& m) { w.str(m.reason); }
};

MessageType typeOf(const Payload& p) {
  static constexpr MessageType kTypes[] = {MessageType::Hello, MessageType::Welcome,   MessageType::Conf,
                                           MessageType::ShardRequest, MessageType::Shard, MessageType::Ready,
                                           MessageType::Task, MessageType::Result,   MessageType::Heartbeat,
                                           MessageType::Error, MessageType::Bye};
  return kTypes[p.index()];
}

size_t expectedBlobs(MessageType t) {
  switch (t) {
    case MessageType::Shard:
    case MessageType::Task:
    case MessageType::Result: return 1;
    default: return 0;
  }
}

bool knownType(uint16_t t) { return t >= 1 && t <= 11; }

std::optional<Payload> readBody(MessageType type, FrameView body, std::span<const FrameView> blobs, std::string& error) {
  Reader r(body);
  auto finish = [&](Payload p) -> std::optional<Payload> {
    r.expectEnd();
    if (!r.ok()) {
      error = r.error();
      return std::nullopt;
    }
    return p;
  };
  switch (type) {
    case MessageType::Hello: {
      HelloMsg m;
      m.threads = r.u32();
      m.name = r.str("name");
      m.host = r.str("host");
      m.pid = r.u32();
      if (r.ok() && (m.threads == 0 || m.threads > 1024)) r.fail("threads " + std::to_string(m.threads) + " is outside [1, 1024]");
      return finish(std::move(m));
    }
    case MessageType::Welcome: {
      WelcomeMsg m;
      m.heartbeatIntervalMs = r.u32();
      m.heartbeatTimeoutMs = r.u32();
      m.lanes = r.u32();
      if (r.ok() && (m.heartbeatIntervalMs == 0 || m.heartbeatTimeoutMs == 0)) r.fail("heartbeat settings are zero");
      return finish(std::move(m));
    }
    case MessageType::Conf: {
      ConfMsg m;
      m.confJson = r.str("conf");
      m.shardHash = r.u64();
      m.shardRows = r.u64();
      m.shardDims = r.u32();
      return finish(std::move(m));
    }
    case MessageType::ShardRequest: {
      ShardRequestMsg m;
      m.shardHash = r.u64();
      m.offset = r.u64();
      m.length = r.u32();
      if (r.ok() && (m.length == 0 || m.length > kShardChunkBytes))
        r.fail("chunk length " + std::to_string(m.length) + " is outside [1, " + std::to_string(kShardChunkBytes) + "]");
      return finish(std::move(m));
    }
    case MessageType::Shard: {
      ShardMsg m;
      ShardLayout& l = m.layout;
      m.shardHash = r.u64();
      l.rows = r.u64();
      l.dims = r.u32();
      l.numClasses = r.i32();
      l.imageRows = r.i32();
      l.imageCols = r.i32();
      const uint8_t encoding = r.u8();
      l.streamBytes = r.u64();
      l.source = r.str("source");
      m.offset = r.u64();
      r.expectEnd();
      if (!r.ok()) {
        error = r.error();
        return std::nullopt;
      }
      if (encoding > static_cast<uint8_t>(ShardEncoding::Table8)) {
        error = "unknown shard encoding " + std::to_string(encoding);
        return std::nullopt;
      }
      l.encoding = static_cast<ShardEncoding>(encoding);
      const auto expected = shardStreamBytes(l.encoding, l.rows, l.dims);
      if (!expected || *expected != l.streamBytes) {
        error = "shard stream of " + std::to_string(l.streamBytes) + " bytes does not fit " + std::to_string(l.rows) + " x " +
                std::to_string(l.dims) + " rows";
        return std::nullopt;
      }
      if (l.numClasses < 0 || l.numClasses > 1000000) {
        error = "shard's class count " + std::to_string(l.numClasses) + " is outside [0, 1000000]";
        return std::nullopt;
      }
      if (blobs[0].size() == 0 || blobs[0].size() > kShardChunkBytes || m.offset > l.streamBytes ||
          blobs[0].size() > l.streamBytes - m.offset) {
        error = "chunk [" + std::to_string(m.offset) + ", +" + std::to_string(blobs[0].size()) + ") does not fit a stream of " +
                std::to_string(l.streamBytes) + " bytes in chunks of at most " + std::to_string(kShardChunkBytes);
        return std::nullopt;
      }
      m.chunk = ByteBlob::copyOf(blobs[0]);
      return Payload(std::move(m));
    }
    case MessageType::Ready: {
      ReadyMsg m;
      m.shardHash = r.u64();
      return finish(std::move(m));
    }
    case MessageType::Task: {
      TaskMsg m;
      RoundTask& t = m.task;
      m.lane = r.u32();
      t.phaseIndex = r.u64();
      t.phase = readPhase(r);
      t.batchSize = r.i32();
      t.seed = r.u64();
      t.pendingShare = r.f32();
      const uint32_t n = r.u32();
      r.array(t.indices, n, "indices");
      ParamsUpdate& p = m.params;
      const uint8_t kind = r.u8();
      p.version = r.u64();
      p.total = r.u64();
      const uint8_t codec = r.u8();
      p.begin = r.u64();
      p.count = r.u64();
      r.expectEnd();
      if (!r.ok()) {
        error = r.error();
        return std::nullopt;
      }
      if (t.batchSize <= 0) {
        error = "task batch size " + std::to_string(t.batchSize) + " is not positive";
        return std::nullopt;
      }
      if (!(t.pendingShare >= 0.0f && t.pendingShare <= 1.0f)) {
        error = "task pending share " + std::to_string(t.pendingShare) + " is outside [0, 1]";
        return std::nullopt;
      }
      if (kind > static_cast<uint8_t>(ParamsKind::Delta) || !knownCodec(codec)) {
        error = "task parameters of unknown kind " + std::to_string(kind) + " or codec " + std::to_string(codec);
        return std::nullopt;
      }
      p.kind = static_cast<ParamsKind>(kind);
      p.codec = static_cast<Codec>(codec);
      if (p.total == 0 || p.total > kMaxParameters || t.phase.end > p.total) {
        error = "task phase [" + std::to_string(t.phase.begin) + ", " + std::to_string(t.phase.end) + ") does not fit its " +
                std::to_string(p.total) + " parameters";
        return std::nullopt;
      }
      const size_t bytes = blobs[0].size();
      const bool fits = p.kind == ParamsKind::Same    ? p.count == 0 && bytes == 0
                        : p.kind == ParamsKind::Full  ? p.codec == Codec::Float32 && p.begin == 0 && p.count == p.total && bytes == 4 * p.total
                                                      : p.begin <= p.total && p.count <= p.total - p.begin &&
                                                           bytes == encodedBytes(p.codec, static_cast<size_t>(p.count));
      if (!fits) {
        error = "task parameters (kind " + std::to_string(kind) + ", " + std::to_string(p.count) + " values from " +
                std::to_string(p.begin) + ", " + std::to_string(bytes) + " bytes) do not fit " + std::to_string(p.total) +
                " parameters";
        return std::nullopt;
      }
      p.bytes = ByteBlob::copyOf(blobs[0]);
      return Payload(std::move(m));
    }
    case MessageType::Result: {
      ResultMsg m;
      RoundResult& res = m.result;
      m.lane = r.u32();
      res.samples = r.u64();
      res.computeSeconds = r.f64();
      const uint8_t cancelled = r.u8(), diverged = r.u8();
      res.cancelled = cancelled != 0;
      res.diverged = diverged != 0;
      res.divergedBatch = r.u64();
      const uint32_t nl = r.u32();
      r.array(res.losses, nl, "losses");
      m.errorText = r.str("error");
      const uint8_t codec = r.u8(), delta = r.u8();
      m.count = r.u64();
      r.expectEnd();
      if (!r.ok()) {
        error = r.error();
        return std::nullopt;
      }
      if (cancelled > 1 || diverged > 1 || delta > 1) {
        error = "result flags are not 0 or 1";
        return std::nullopt;
      }
      if (!knownCodec(codec)) {
        error = "result values use unknown codec " + std::to_string(codec);
        return std::nullopt;
      }
      m.codec = static_cast<Codec>(codec);
      m.delta = delta != 0;
      if (!std::isfinite(res.computeSeconds) || res.computeSeconds < 0) {
        error = "result compute time is not a finite non-negative number";
        return std::nullopt;
      }
      if (m.count > kMaxParameters || blobs[0].size() != encodedBytes(m.codec, static_cast<size_t>(m.count))) {
        error = "result values (" + std::to_string(m.count) + " " + codecName(m.codec) + " values) are " +
                std::to_string(blobs[0].size()) + " bytes, expected " + std::to_string(encodedBytes(m.codec, static_cast<size_t>(m.count)));
        return std::nullopt;
      }
      if (res.diverged && res.losses.empty()) {
        error = "diverged result carries no loss";
        return std::nullopt;
      }
      // The values are checked (finite, sized to the task) where they are applied: RemoteLane::deliver.
      m.values = ByteBlob::copyOf(blobs[0]);
      return Payload(std::move(m));
    }
    case MessageType::Heartbeat: {
      HeartbeatMsg m;
      m.busyLanes = r.u32();
      return finish(std::move(m));
    }
    case MessageType::Error: {
      ErrorMsg m;
      m.code = static_cast<ErrorCode>(r.u32());
      m.text = r.str("text");
      return finish(std::move(m));
    }
    case MessageType::Bye: {
      ByeMsg m;
      m.reason = r.str("reason");
      return finish(std::move(m));
    }
  }
  error = "unknown message type";
  return std::nullopt;
}

Encoded encodeImpl(uint16_t version, const Envelope& env, const Payload& payload, const BlobCrcs* crcs) {
  Encoded e;
  Writer w(e.body);
  std::visit(BodyWriter{w, e.blobs}, payload);
  uint64_t payloadLength = e.body.size();
  for (const Blob& b : e.blobs) payloadLength += b.bytes;
  std::vector<uint8_t> header;
  header.reserve(kHeaderBytes);
  Writer h(header);
  for (uint8_t c : kMagic) h.u8(c);
  h.u16(version);
  h.u16(static_cast<uint16_t>(typeOf(payload)));
  h.u64(env.runId);
  h.u32(env.generation);
  h.u16(static_cast<uint16_t>(e.blobs.size()));
  h.u16(0);
  h.i64(env.round);
  h.u64(payloadLength);
  uint32_t crc = crcUpdate(static_cast<uint32_t>(crc32(0, nullptr, 0)), header.data(), header.size());
  crc = crcUpdate(crc, e.body.data(), e.body.size());
  for (size_t i = 0; i < e.blobs.size(); ++i) {
    const Blob& b = e.blobs[i];
    if (crcs && i < crcs->known.size() && crcs->known[i])
      crc = static_cast<uint32_t>(crc32_combine(crc, *crcs->known[i], static_cast<z_off_t>(b.bytes)));
    else
      crc = crcUpdate(crc, b.data, b.bytes);
  }
  h.u32(crc);
  h.u32(0);
  std::memcpy(e.header.data(), header.data(), kHeaderBytes);
  return e;
}

}  // namespace

const char* messageTypeName(MessageType type) {
  switch (type) {
    case MessageType::Hello: return "hello";
    case MessageType::Welcome: return "welcome";
    case MessageType::Conf: return "conf";
    case MessageType::ShardRequest: return "shard-request";
    case MessageType::Shard: return "shard";
    case MessageType::Ready: return "ready";
    case MessageType::Task: return "task";
    case MessageType::Result: return "result";
    case MessageType::Heartbeat: return "heartbeat";
    case MessageType::Error: return "error";
    case MessageType::Bye: return "bye";
  }
  return "unknown";
}

size_t Encoded::bytes() const {
  size_t n = header.size() + body.size();
  for (const Blob& b : blobs) n += b.bytes;
  return n;
}

uint32_t blobCrc(const Blob& blob) { return crcUpdate(static_cast<uint32_t>(crc32(0, nullptr, 0)), blob.data, blob.bytes); }

Encoded encode(const Envelope& envelope, const Payload& payload, const BlobCrcs* crcs) {
  return encodeImpl(kProtocolVersion, envelope, payload, crcs);
}

Encoded encodeWithVersion(uint16_t version, const Envelope& envelope, const Payload& payload) {
  return encodeImpl(version, envelope, payload, nullptr);
}

std::optional<Header> peekHeader(FrameView frame) {
  if (frame.size() != kHeaderBytes || std::memcmp(frame.data(), kMagic.data(), kMagic.size()) != 0) return std::nullopt;
  Reader r(frame);
  for (size_t i = 0; i < kMagic.size(); ++i) r.u8();
  Header h;
  h.version = r.u16();
  h.type = static_cast<MessageType>(r.u16());
  h.envelope.runId = r.u64();
  h.envelope.generation = r.u32();
  h.blobs = r.u16();
  r.u16();
  h.envelope.round = r.i64();
  h.payloadLength = r.u64();
  h.crc = r.u32();
  return h;
}

DecodeOutcome decodeMessage(std::span<const FrameView> frames) {
  DecodeOutcome out;
  auto fail = [&](DecodeFailure f, std::string why) {
    out.failure = f;
    out.error = std::move(why);
    return out;
  };
  if (frames.size() < 2) return fail(DecodeFailure::Truncated, "message has " + std::to_string(frames.size()) + " frame(s), at least 2 needed");
  const FrameView head = frames[0];
  if (head.size() < kHeaderBytes) return fail(DecodeFailure::Truncated, "header is " + std::to_string(head.size()) + " bytes, expected " + std::to_string(kHeaderBytes));
  if (head.size() > kHeaderBytes) return fail(DecodeFailure::Oversized, "header is " + std::to_string(head.size()) + " bytes, expected " + std::to_string(kHeaderBytes));
  if (std::memcmp(head.data(), kMagic.data(), kMagic.size()) != 0) return fail(DecodeFailure::BadMagic, "bad magic: not a Scaleout cluster message");
  const Header h = *peekHeader(head);
  out.peerVersion = h.version;
  // Error keeps one layout in every version, so a refusal is readable across versions.
  if (h.version != kProtocolVersion && h.type != MessageType::Error)
    return fail(DecodeFailure::WrongVersion, "peer speaks protocol version " + std::to_string(h.version) +
                                                 ", this build speaks version " + std::to_string(kProtocolVersion));
  if (!knownType(static_cast<uint16_t>(h.type)))
    return fail(DecodeFailure::UnknownType, "unknown message type " + std::to_string(static_cast<uint16_t>(h.type)));
  const size_t blobCount = frames.size() - 2;
  if (h.blobs != blobCount || blobCount > kMaxBlobs)
    return fail(DecodeFailure::WrongLength, "header declares " + std::to_string(h.blobs) + " blob(s) but " +
                                                std::to_string(blobCount) + " followed");
  if (blobCount != expectedBlobs(h.type))
    return fail(DecodeFailure::WrongLength, std::string(messageTypeName(h.type)) + " carries " +
                                                std::to_string(expectedBlobs(h.type)) + " blob(s), not " + std::to_string(blobCount));
  if (h.payloadLength > kMaxPayloadBytes)
    return fail(DecodeFailure::Oversized, "payload of " + std::to_string(h.payloadLength) + " bytes exceeds the limit of " +
                                              std::to_string(kMaxPayloadBytes));
  if (frames[1].size() > kMaxBodyBytes)
    return fail(DecodeFailure::Oversized, "body of " + std::to_string(frames[1].size()) + " bytes exceeds the limit of " +
                                              std::to_string(kMaxBodyBytes));
  uint64_t actual = 0;
  for (size_t i = 1; i < frames.size(); ++i) actual += frames[i].size();
  if (actual != h.payloadLength)
    return fail(actual < h.payloadLength ? DecodeFailure::Truncated : DecodeFailure::WrongLength,
                "header declares a payload of " + std::to_string(h.payloadLength) + " bytes but " + std::to_string(actual) +
                    " arrived");
  uint32_t crc = crcUpdate(static_cast<uint32_t>(crc32(0, nullptr, 0)), head.data(), kCrcOffset);
  for (size_t i = 1; i < frames.size(); ++i) crc = crcUpdate(crc, frames[i].data(), frames[i].size());
  if (crc != h.crc) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "checksum mismatch: header says %08x, content gives %08x", h.crc, crc);
    return fail(DecodeFailure::Checksum, buf);
  }
  std::string error;
  auto payload = readBody(h.type, frames[1], frames.subspan(2), error);
  if (!payload)
    return fail(DecodeFailure::BadField, std::string(messageTypeName(h.type)) + ": " + error);
  out.message = Decoded{h, std::move(*payload)};
  return out;
}

uint64_t shardHash(const DataSet& data) {
  // Two independent 32-bit checksums plus the shape: a cache key, not a security measure
  // (the link's integrity is CRC-checked per message and, with CURVE, authenticated).
  const auto* f = reinterpret_cast<const Bytef*>(data.features.data());
  const size_t fb = static_cast<size_t>(data.features.size()) * 4;
  const auto* l = reinterpret_cast<const Bytef*>(data.labels.data());
  const size_t lb = data.labels.size() * 4;
  uint32_t c = crcUpdate(static_cast<uint32_t>(crc32(0, nullptr, 0)), f, fb);
  c = crcUpdate(c, l, lb);
  uLong a = adler32(0, nullptr, 0);
  for (size_t off = 0; off < fb; off += size_t{1} << 30) a = adler32(a, f + off, static_cast<uInt>(std::min(fb - off, size_t{1} << 30)));
  a = adler32(a, l, static_cast<uInt>(lb));
  const uint64_t shape = static_cast<uint64_t>(data.size()) * 1000003u + static_cast<uint64_t>(data.dims()) * 131u +
                         static_cast<uint64_t>(data.numClasses);
  return ((static_cast<uint64_t>(c) << 32) | static_cast<uint32_t>(a)) ^ (shape * 0x9E3779B97F4A7C15ull);
}

ByteBlob ByteBlob::copyOf(std::span<const uint8_t> bytes) {
  auto v = std::make_shared<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  return of(std::move(v));
}

ByteBlob ByteBlob::of(std::shared_ptr<const std::vector<uint8_t>> bytes) {
  ByteBlob b;
  b.data = bytes->data();
  b.size = bytes->size();
  b.owner = std::move(bytes);
  return b;
}

}  // namespace scaleout::cluster
