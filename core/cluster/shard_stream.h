#pragma once
// The training rows as one byte stream that travels in chunks (docs/cluster.md, "Data").
// Image data leaves the master as it was stored: every column of Fashion-MNIST holds at
// most 256 distinct values (pixels 0..255, whatever the normalisation made of them), so
// each value travels as a one-byte code into its column's table of 256 floats: 47 MB
// instead of 188 MB, and the worker rebuilds the exact same floats (the same shard hash).
// Data with more distinct values per column travels as raw float32.
//
//   table8:  [tables: dims x 256 float32][codes: rows x dims uint8][labels: rows int32]
//   float32: [features: rows x dims float32][labels: rows int32]
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace scaleout::cluster {

// Numbers are part of the wire format: never renumber.
enum class ShardEncoding : uint8_t { Float32 = 0, Table8 = 1 };

inline constexpr size_t kShardChunkBytes = size_t{1} << 20;  // one chunk message carries at most this
// A worker keeps this many chunk requests in flight (credit-based flow control).
inline constexpr int kShardChunksInFlight = 8;
inline constexpr uint64_t kMaxShardStreamBytes = uint64_t{16} << 30;

struct ShardLayout {
  uint64_t rows = 0;
  uint32_t dims = 0;
  int32_t numClasses = 0;
  int32_t imageRows = 0, imageCols = 0;
  ShardEncoding encoding = ShardEncoding::Float32;
  uint64_t streamBytes = 0;
  std::string source;
};

// Bytes the stream of this shape takes; nullopt if the shape is impossible (overflow).
std::optional<uint64_t> shardStreamBytes(ShardEncoding encoding, uint64_t rows, uint32_t dims);

// The master's side: the stream, built once.
struct EncodedShard {
  ShardLayout layout;
  std::shared_ptr<const std::vector<uint8_t>> bytes;
};
EncodedShard encodeShard(const DataSet& data);

// The worker's side: rebuilds the rows; fails closed (nullopt + error) on any
// inconsistency: sizes, a label outside [0, numClasses), a table value that is not finite.
std::optional<DataSet> decodeShard(const ShardLayout& layout, std::span<const uint8_t> stream, std::string& error);

// Shards kept on the worker's disk under their content hash, so a second run ships nothing.
// DIR = $XDG_CACHE_HOME/scaleout/shards, else ~/.cache/scaleout/shards. At most
// kShardCacheEntries files are kept (the oldest go first). Failures are reported, never thrown.
inline constexpr size_t kShardCacheEntries = 4;
std::filesystem::path shardCacheDir();
std::optional<DataSet> readCachedShard(const std::filesystem::path& dir, uint64_t hash, std::string& error);
bool writeCachedShard(const std::filesystem::path& dir, uint64_t hash, const ShardLayout& layout, std::span<const uint8_t> stream,
                      std::string& error);

}  // namespace scaleout::cluster
