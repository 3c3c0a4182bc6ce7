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
//   frame 2.. blobs: raw little-endian 4-byte elements (float32 parameters, optimizer
//             buffers, shard features; int32 labels). Sent without copies.
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

#include "data/dataset.h"
#include "train/worker.h"

namespace scaleout::cluster {

static_assert(std::endian::native == std::endian::little,
              "the wire format stores raw little-endian floats; big-endian hosts are not supported");

inline constexpr std::array<uint8_t, 4> kMagic = {'S', 'O', 'C', 'W'};
inline constexpr uint16_t kProtocolVersion = 1;
inline constexpr size_t kHeaderBytes = 48;
inline constexpr size_t kMaxBodyBytes = size_t{64} << 20;      // indices, losses, conf JSON
inline constexpr size_t kMaxPayloadBytes = size_t{4} << 30;    // a whole shard of features
inline constexpr size_t kMaxBlobs = 8;
inline constexpr size_t kMaxStringBytes = size_t{16} << 20;

// Numbers are part of the protocol: never renumber, only append.
enum class MessageType : uint16_t {
  Hello = 1,         // worker -> master: I exist (threads, host, name)
  Welcome = 2,       // master -> worker: your session (generation), heartbeat settings
  Conf = 3,          // master -> worker: conf + phases JSON, the shard's hash and shape
  ShardRequest = 4,  // worker -> master: send me the shard with this hash
  Shard = 5,         // master -> worker: the training rows (features blob, labels blob)
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
  std::string phasesJson;
  uint64_t shardHash = 0;
  uint64_t shardRows = 0;
  uint32_t shardDims = 0;
};

struct ShardRequestMsg {
  uint64_t shardHash = 0;
};

struct ShardMsg {
  uint64_t shardHash = 0;
  std::shared_ptr<const DataSet> data;  // features and labels (sent without copies)
};

struct ReadyMsg {
  uint64_t shardHash = 0;
};

struct TaskMsg {
  uint32_t lane = 0;
  RoundTask task;  // round travels in the header
  // Encoding only. false: the velocity goes out with count 0. With momentum 0 the update
  // v = 0 * v - lr * g does not read v, so the worker starts from zeros and a third of
  // the task's bytes stay home. A decoded task with count 0 has an empty velocity.
  bool withVelocity = true;
};

struct ResultMsg {
  uint32_t lane = 0;
  RoundResult result;       // round travels in the header; `error` as text below
  std::string errorText;    // non-empty: the worker failed this task
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

// The Encoded borrows the payload's buffers (blobs without an owner, e.g. a Result's
// segment): keep `payload` alive until the message is sent.
Encoded encode(const Envelope& envelope, const Payload& payload, const BlobCrcs* crcs = nullptr);
// A ResultMsg would be copied into a temporary Payload that dies before the send: build
// a Payload and keep it instead.
Encoded encode(const Envelope&, const ResultMsg&, const BlobCrcs* = nullptr) = delete;
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

// Phases as JSON (the Conf message) and back; the reader validates ranges against `parameterCount`.
std::string phasesToJson(const std::vector<Phase>& phases);
std::optional<std::vector<Phase>> phasesFromJson(const std::string& text, size_t parameterCount, std::string& error);

}  // namespace scaleout::cluster
