// libFuzzer target for the cluster protocol decoder (core/cluster/protocol.h): every
// input is turned into a multipart message and handed to decodeMessage(), which must
// fail closed (no crash, no read outside the frames, no huge allocation) on anything.
// Built and run by bench/fuzz_decoder.sh with clang (-fsanitize=fuzzer,address,undefined);
// not part of the normal build.
//
// Input layout (so mutations of a valid seed stay interesting):
//   byte 0    flags: bit 0 = repair the header's blob count, payload length and CRC-32
//             after mutation, so the fuzzer also reaches the body and blob decoders
//             behind the checksum; otherwise the bytes are used exactly as given
//   byte 1    frame count (mod kMaxBlobs + 4)
//   then per frame but the last: u16 little-endian length, then that many bytes;
//   the last frame takes whatever is left.
//
// With -DSCALEOUT_FUZZ_SEEDS the file instead builds a program that writes a seed
// corpus of valid messages of every type to the directory named on its command line.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <zlib.h>

#include "cluster/protocol.h"

using namespace scaleout;
using namespace scaleout::cluster;

namespace {

void putU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void putU16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void putU64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

// Same CRC as the codec: header bytes [0, 40), then the body, then every blob.
void repair(std::vector<std::vector<uint8_t>>& frames) {
  if (frames.size() < 2 || frames[0].size() != kHeaderBytes) return;
  uint8_t* h = frames[0].data();
  putU16(h + 20, static_cast<uint16_t>(frames.size() - 2));
  uint64_t payload = 0;
  for (size_t i = 1; i < frames.size(); ++i) payload += frames[i].size();
  putU64(h + 32, payload);
  uLong crc = crc32(0, nullptr, 0);
  crc = crc32(crc, h, 40);
  for (size_t i = 1; i < frames.size(); ++i) crc = crc32(crc, frames[i].data(), static_cast<uInt>(frames[i].size()));
  putU32(h + 40, static_cast<uint32_t>(crc));
}

}  // namespace

#ifndef SCALEOUT_FUZZ_SEEDS

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool fix = data[0] & 1;
  const size_t count = data[1] % (kMaxBlobs + 4);
  size_t pos = 2;
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < count; ++i) {
    size_t len = size - pos;
    if (i + 1 < count) {
      if (size - pos < 2) break;
      len = std::min<size_t>(size - pos - 2, static_cast<size_t>(data[pos]) | static_cast<size_t>(data[pos + 1]) << 8);
      pos += 2;
    }
    frames.emplace_back(data + pos, data + pos + len);  // own copies: ASan sees every overread
    pos += len;
  }
  if (fix) repair(frames);
  std::vector<FrameView> views;
  for (const auto& f : frames) views.emplace_back(f.data(), f.size());
  const DecodeOutcome out = decodeMessage(views);
  if (out) {
    // A decoded message must be consistent with what the decoder promised.
    if (out.message->header.version != kProtocolVersion && out.message->header.type != MessageType::Error) __builtin_trap();
    // What the receiver does next with the decoded bytes must stay in bounds too.
    if (const auto* shard = std::get_if<ShardMsg>(&out.message->payload))
      if (shard->offset + shard->chunk.size > shard->layout.streamBytes || shard->chunk.size > kShardChunkBytes) __builtin_trap();
    if (const auto* task = std::get_if<TaskMsg>(&out.message->payload)) {
      const ParamsUpdate& u = task->params;
      if (u.kind == ParamsKind::Delta && u.count <= 4096 && u.begin + u.count <= u.total && u.total <= 4096) {
        std::vector<float> base(static_cast<size_t>(u.total), 0.0f);
        std::string error;
        (void)addDecoded(u.codec, u.bytes.span(), static_cast<size_t>(u.count), base.data() + u.begin, error);
      }
    }
    if (const auto* result = std::get_if<ResultMsg>(&out.message->payload)) {
      if (result->values.size != encodedBytes(result->codec, static_cast<size_t>(result->count))) __builtin_trap();
      if (result->count <= 4096) {
        std::vector<float> values(static_cast<size_t>(result->count));
        std::string error;
        (void)decodeVector(result->codec, result->values.span(), values.size(), values.data(), error);
      }
    }
  } else if (out.error.empty()) {
    __builtin_trap();  // every refusal says why
  }
  return 0;
}

#else  // seed corpus generator

namespace {

void write(const std::string& dir, const std::string& name, const Encoded& e, bool fix) {
  std::vector<std::vector<uint8_t>> frames{{e.header.begin(), e.header.end()}, e.body};
  for (const Blob& b : e.blobs)
    frames.emplace_back(static_cast<const uint8_t*>(b.data), static_cast<const uint8_t*>(b.data) + b.bytes);
  std::vector<uint8_t> out{static_cast<uint8_t>(fix ? 1 : 0), static_cast<uint8_t>(frames.size())};
  for (size_t i = 0; i < frames.size(); ++i) {
    if (i + 1 < frames.size()) {
      out.push_back(static_cast<uint8_t>(frames[i].size() & 0xff));
      out.push_back(static_cast<uint8_t>(frames[i].size() >> 8));
    }
    out.insert(out.end(), frames[i].begin(), frames[i].end());
  }
  const std::string path = dir + "/" + name + (fix ? "-repair" : "-exact");
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    return;
  }
  std::fwrite(out.data(), 1, out.size(), f);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const Envelope env{0x1234, 3, 7};
  std::vector<std::pair<std::string, Payload>> messages;
  messages.push_back({"hello", HelloMsg{2, "host:1-abc-1", "host", 42}});
  messages.push_back({"welcome", WelcomeMsg{1000, 3000, 2}});
  messages.push_back({"conf", ConfMsg{R"({"networkClass":"mlp","nIn":4})", 99, 3, 4}});
  messages.push_back({"shardrequest", ShardRequestMsg{99, 0, 4096}});
  DataSet rows;
  rows.features.resize(300, 4);
  for (Eigen::Index i = 0; i < rows.features.size(); ++i) rows.features.data()[i] = static_cast<float>(i % 7) / 7.0f;
  rows.labels.assign(300, 1);
  rows.numClasses = 3;
  const EncodedShard shard = encodeShard(rows);
  messages.push_back({"shard", ShardMsg{99, shard.layout, 0, ByteBlob::of(shard.bytes)}});
  messages.push_back({"ready", ReadyMsg{99}});
  const std::vector<float> change = {0.5f, -0.25f, 0.125f, 0.0f, 1.0f, -1.0f, 0.75f, 0.3f};
  auto encoded = [&](Codec codec) {
    auto bytes = std::make_shared<std::vector<uint8_t>>();
    encodeVector(codec, change.data(), change.size(), nullptr, *bytes);
    return ByteBlob::of(bytes);
  };
  for (Codec codec : {Codec::Float32, Codec::BFloat16, Codec::Int8}) {
    TaskMsg task;
    task.lane = 1;
    task.task.indices = {0, 2};
    task.task.batchSize = 2;
    task.task.phase.end = 8;
    task.params.kind = codec == Codec::Float32 ? ParamsKind::Full : ParamsKind::Delta;
    task.params.version = 3;
    task.params.total = 8;
    task.params.codec = codec;
    task.params.count = 8;
    task.params.bytes = encoded(codec);
    messages.push_back({std::string("task-") + codecName(codec), task});
    ResultMsg result;
    result.result.samples = 2;
    result.result.losses = {0.5f, 0.25f};
    result.codec = codec;
    result.delta = codec != Codec::Float32;
    result.count = 8;
    result.values = encoded(codec);
    messages.push_back({std::string("result-") + codecName(codec), result});
  }
  messages.push_back({"heartbeat", HeartbeatMsg{1}});
  messages.push_back({"error", ErrorMsg{ErrorCode::VersionMismatch, "refused: versions 1 and 2"}});
  messages.push_back({"bye", ByeMsg{"the run has ended"}});
  for (const auto& [name, payload] : messages) {
    const Encoded e = encode(env, payload);
    write(dir, name, e, false);
    write(dir, name, e, true);
  }
  std::printf("wrote %zu seeds to %s\n", messages.size() * 2, dir.c_str());
  return 0;
}

#endif
