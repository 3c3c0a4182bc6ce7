#pragma once
// The cluster's wire format, documented in docs/cluster.md. One message is a ZeroMQ
// multipart message of 2 + B frames:
//
//   frame 0   header, exactly kHeaderBytes, little-endian:
//     offset size field
//     0      4    magic "SOCW"
//     4      2    protocol version (kProtocolVersion)
//     6      2    message type (MessageType)
//     8      8    run id (random per master run; 0 before a Welcome)
//     16     4    membership generation (the worker's session number on the master)
//     20     2    blob count B
//     22     2    flags (0; reserved)
//     24     8    round (signed; 0 outside tasks and results)
//     32     8    payload length: bytes of the body frame plus every blob frame
//     40     4    CRC-32 (zlib) of header bytes [0, 40), then the body, then each blob
//     44     4    reserved (0)
//   frame 1   body: the type's fields, little-endian; strings are u32 length + UTF-8
//   frame 2.. blobs: raw bytes (a chunk of the shard stream, an encoded parameter vector).
//             Sent without copies.
//
// Version 2 (this one) keeps every message small enough that liveness never waits long
// behind bulk data: the training rows travel as chunks of at most kShardChunkBytes that the
// worker requests a few at a time (credit-based flow control), and parameters travel once
// per round as a (compressed) change against what the worker already holds; optimizer
// state never crosses the link.
//
// decodeMessage() is a pure function that fails closed: any truncated, oversized,
// unknown-type, wrong-version, wrong-length or checksum-damaged input yields an error
// string and no message. It never throws and never reads outside the frames.
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "cluster/shard_stream.h"
#include "cluster/vector_codec.h"
#include "data/dataset.h"
#include "train/worker.h"

namespace scaleout::cluster {

static_assert(std::endian::native == std::endian::little,
              "the wire format stores raw little-endian floats; big-endian hosts are not supported");

inline constexpr std::array<uint8_t, 4> kMagic = {'S', 'O', 'C', 'W'};
inline constexpr uint16_t kProtocolVersion = 4;  // 4: a Conf may leave shardHash 0 (rows named by a second Conf); 3: pendingShare
inline constexpr size_t kHeaderBytes = 48;
inline constexpr size_t kMaxBodyBytes = size_t{64} << 20;      // indices, losses, conf JSON
inline constexpr size_t kMaxPayloadBytes = size_t{4} << 30;    // a float32 parameter vector at most
inline constexpr uint64_t kMaxParameters = uint64_t{1} << 30;
inline constexpr size_t kMaxBlobs = 8;
inline constexpr size_t kMaxStringBytes = size_t{16} << 20;

// Numbers are part of the protocol: never renumber, only append.
enum class MessageType : uint16_t {
  Hello = 1,         // worker -> master: I exist (threads, host, name)
  Welcome = 2,       // master -> worker: your session (generation), heartbeat settings
  Conf = 3,          // master -> worker: the conf JSON, the shard's hash and shape
  ShardRequest = 4,  // worker -> master: send me this chunk of the shard stream
  Shard = 5,         // master -> worker: one chunk of the shard stream (version 1: the whole shard)
  Ready = 6,         // worker -> master: I hold the shard; give me work
  Task = 7,          // master -> worker: one RoundTask for one lane
  Result = 8,        // worker -> master: one RoundResult for one lane
  Heartbeat = 9,     // both ways, every second; any message counts as one
  Error = 10,        // both ways: a refusal or failure (layout frozen across versions)
  Bye = 11,          // both ways: leaving on purpose (run finished, worker stopping)
};
const char* messageTypeName(MessageType type);

// Refusal codes carried by Error messages.
enum class ErrorCode : uint32_t {
  VersionMismatch = 1,
  StaleSession = 2,    // unknown identity or old generation: say Hello again
  BadMessage = 3,
  TaskRejected = 4,    // the worker could not run the task (sizes do not fit its conf)
  NotAuthorized = 5,
};

struct Envelope {
  uint64_t runId = 0;
  uint32_t generation = 0;
  long long round = 0;
};

struct Header {
  uint16_t version = kProtocolVersion;
  MessageType type = MessageType::Heartbeat;
  Envelope envelope;
  uint16_t blobs = 0;
  uint64_t payloadLength = 0;
  uint32_t crc = 0;
};

// ---- payloads

struct HelloMsg {
  uint32_t threads = 1;  // lanes this worker runs in parallel
  std::string name;      // the worker's identity (unique per connection)
  std::string host;
  uint32_t pid = 0;
};

struct WelcomeMsg {
  uint32_t heartbeatIntervalMs = 1000;
  uint32_t heartbeatTimeoutMs = 3000;
  uint32_t lanes = 1;  // lanes the master will use
};

struct ConfMsg {
  std::string confJson;
  uint64_t shardHash = 0;
  uint64_t shardRows = 0;
  uint32_t shardDims = 0;
};

// Bytes that travel as one blob: sent without a copy (the owner keeps them alive until
// ZeroMQ is done), and owned by the message once decoded.
struct ByteBlob {
  std::shared_ptr<const void> owner;
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::span<const uint8_t> span() const { return {data, size}; }
  static ByteBlob copyOf(std::span<const uint8_t> bytes);
  static ByteBlob of(std::shared_ptr<const std::vector<uint8_t>> bytes);
};

struct ShardRequestMsg {
  uint64_t shardHash = 0;
  uint64_t offset = 0;   // into the stream (shard_stream.h)
  uint32_t length = 0;   // at most kShardChunkBytes
};

// One chunk of the shard stream; every chunk repeats the layout (a few dozen bytes), so
// a worker can start from any chunk, e.g. when it resumes a download after a reconnect.
struct ShardMsg {
  uint64_t shardHash = 0;
  ShardLayout layout;
  uint64_t offset = 0;
  ByteBlob chunk;
};

struct ReadyMsg {
  uint64_t shardHash = 0;
};

// How a task brings the worker's copy of the parameters up to date. The worker node keeps
// one copy, numbered by `version`; the master keeps the same copy (the broadcast base) and
// sends only its change each round, compressed, with error feedback on the master's side:
// what the compression dropped stays in the difference between the master's parameters and
// the base, and goes out with a later round.
enum class ParamsKind : uint8_t {
  Same = 0,   // the parameters of `version`, which the worker already holds (no bytes)
  Full = 1,   // all `total` parameters as float32
  Delta = 2,  // add the decoded change to [begin, begin + count) of version - 1
};

struct ParamsUpdate {
  ParamsKind kind = ParamsKind::Full;
  uint64_t version = 0;
  uint64_t total = 0;  // the network's parameter count
  Codec codec = Codec::Float32;
  uint64_t begin = 0, count = 0;
  ByteBlob bytes;
};

struct TaskMsg {
  uint32_t lane = 0;
  RoundTask task;  // phase, rows, batch size, seed; round travels in the header. Its params
                   // and state do not travel: `params` says how to rebuild the parameters,
                   // and each worker lane keeps its own optimizer state.
  ParamsUpdate params;
};

struct ResultMsg {
  uint32_t lane = 0;
  RoundResult result;       // round travels in the header; segment and state stay empty
  std::string errorText;    // non-empty: the worker failed this task
  // The trained phase range: absolute float32 values, or (delta) the change from the
  // parameters the task started from, encoded with `codec` and the lane's error feedback.
  Codec codec = Codec::Float32;
  bool delta = false;
  uint64_t count = 0;
  ByteBlob values;
};

struct HeartbeatMsg {
  uint32_t busyLanes = 0;
};

struct ErrorMsg {
  ErrorCode code = ErrorCode::BadMessage;
  std::string text;
};

struct ByeMsg {
  std::string reason;
};

using Payload = std::variant<HelloMsg, WelcomeMsg, ConfMsg, ShardRequestMsg, ShardMsg, ReadyMsg, TaskMsg,
                             ResultMsg, HeartbeatMsg, ErrorMsg, ByeMsg>;

// ---- encoding

// A blob sent without copying: `owner` keeps `data` alive until ZeroMQ is done with it.
struct Blob {
  std::shared_ptr<const void> owner;
  const void* data = nullptr;
  size_t bytes = 0;
};

struct Encoded {
  std::array<uint8_t, kHeaderBytes> header{};
  std::vector<uint8_t> body;
  std::vector<Blob> blobs;
  size_t bytes() const;  // everything on the wire, header included
};

// CRC-32 of a blob, memoised by the caller when one blob goes to many peers (the
// parameters of a round): pass it to encode() to skip recomputing it.
uint32_t blobCrc(const Blob& blob);
struct BlobCrcs {
  std::vector<std::optional<uint32_t>> known;  // index = blob position
};

// Blobs keep their owners, so the Encoded may outlive the payload.
Encoded encode(const Envelope& envelope, const Payload& payload, const BlobCrcs* crcs = nullptr);
// Same, with an explicit version (tests of the refusal path).
Encoded encodeWithVersion(uint16_t version, const Envelope& envelope, const Payload& payload);

// ---- decoding

enum class DecodeFailure { None, Truncated, Oversized, BadMagic, WrongVersion, UnknownType, WrongLength, Checksum, BadField };

struct Decoded {
  Header header;
  Payload payload;
};

struct DecodeOutcome {
  std::optional<Decoded> message;
  DecodeFailure failure = DecodeFailure::None;
  std::string error;         // why it was refused (for a log line)
  uint16_t peerVersion = 0;  // the version the peer spoke (set whenever the header was readable)
  explicit operator bool() const { return message.has_value(); }
};

using FrameView = std::span<const uint8_t>;
DecodeOutcome decodeMessage(std::span<const FrameView> frames);

// Peeks at a header (for routing a refusal) without checking anything else.
std::optional<Header> peekHeader(FrameView frame);

// Content hash of a shard (features and labels): the worker's cache key.
uint64_t shardHash(const DataSet& data);

}  // namespace scaleout::cluster
