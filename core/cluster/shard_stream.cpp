#include "cluster/shard_stream.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "cluster/protocol.h"
#include "util/cache_dir.h"

namespace scaleout::cluster {
namespace {

constexpr size_t kTable = 256;

// Distinct values of one column, by their bits (so -0.0 and 0.0 stay apart and the
// worker rebuilds the exact bits): a small open-addressing table, since a linear search
// per cell would cost ~100 comparisons for each of Fashion-MNIST's 47 million values.
class ColumnDictionary {
 public:
  // The value's code (insertion order); -1 once the column holds more than 256 values.
  int codeOf(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    uint32_t slot = (bits * 2654435761u) >> (32 - kSlotBits);
    for (;;) {
      if (codes_[slot] < 0) {
        if (values_.size() == kTable) return -1;
        codes_[slot] = static_cast<int16_t>(values_.size());
        keys_[slot] = bits;
        values_.push_back(v);
        return codes_[slot];
      }
      if (keys_[slot] == bits) return codes_[slot];
      slot = (slot + 1) & (kSlots - 1);
    }
  }
  const std::vector<float>& values() const { return values_; }

 private:
  static constexpr int kSlotBits = 10;
  static constexpr uint32_t kSlots = 1u << kSlotBits;  // at most 256 used: probes stay short
  std::vector<uint32_t> keys_ = std::vector<uint32_t>(kSlots);
  std::vector<int16_t> codes_ = std::vector<int16_t>(kSlots, -1);
  std::vector<float> values_;
};

void appendRaw(std::vector<uint8_t>& out, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}

std::filesystem::path cacheFile(const std::filesystem::path& dir, uint64_t hash) {
  char name[40];
  std::snprintf(name, sizeof name, "%016llx.shard", static_cast<unsigned long long>(hash));
  return dir / name;
}

constexpr char kCacheMagic[8] = {'S', 'O', 'S', 'H', 'A', 'R', 'D', '1'};

}  // namespace

std::optional<uint64_t> shardStreamBytes(ShardEncoding encoding, uint64_t rows, uint32_t dims) {
  const uint64_t limit = kMaxShardStreamBytes;
  if (rows > limit || (dims && rows > limit / dims)) return std::nullopt;
  const uint64_t cells = rows * dims;
  const uint64_t labels = rows * 4;
  uint64_t total = 0;
  if (encoding == ShardEncoding::Table8)
    total = uint64_t{dims} * kTable * 4 + cells + labels;
  else if (encoding == ShardEncoding::Float32) {
    if (cells > limit / 4) return std::nullopt;
    total = cells * 4 + labels;
  } else {
    return std::nullopt;
  }
  if (total > limit) return std::nullopt;
  return total;
}

EncodedShard encodeShard(const DataSet& data) {
  EncodedShard e;
  ShardLayout& l = e.layout;
  l.rows = data.size();
  l.dims = static_cast<uint32_t>(data.dims());
  l.numClasses = data.numClasses;
  l.imageRows = data.imageRows;
  l.imageCols = data.imageCols;
  l.source = data.source;
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  const size_t cells = static_cast<size_t>(l.rows) * l.dims;
  // Codes are assigned in one pass over the rows (row-major: sequential reads); a column
  // with more than 256 distinct values sends the whole set as float32.
  std::vector<uint8_t> codes;
  std::vector<ColumnDictionary> columns;
  bool table8 = l.rows > kTable && l.dims > 0;  // a small set is not worth tables
  if (table8) {
    codes.resize(cells);
    columns.resize(l.dims);
    // Each column remembers its last value's bits and code: image rows repeat the
    // background value, so most cells skip the table (Fashion-MNIST: ~0.2 s, not ~1.5 s).
    std::vector<uint32_t> lastBits(l.dims, 0);
    std::vector<uint8_t> lastCode(l.dims, 0), known(l.dims, 0);  // known: lastBits holds a coded value
    const float* f = data.features.data();
    uint8_t* out = codes.data();
    for (uint64_t r = 0; table8 && r < l.rows; ++r) {
      for (uint32_t c = 0; c < l.dims; ++c, ++f, ++out) {
        uint32_t bits;
        std::memcpy(&bits, f, 4);
        if (known[c] && bits == lastBits[c]) {
          *out = lastCode[c];
          continue;
        }
        const int code = std::isfinite(*f) ? columns[c].codeOf(*f) : -1;
        if (code < 0) {
          table8 = false;
          break;
        }
        *out = lastCode[c] = static_cast<uint8_t>(code);
        lastBits[c] = bits;
        known[c] = 1;
      }
    }
  }
  l.encoding = table8 ? ShardEncoding::Table8 : ShardEncoding::Float32;
  l.streamBytes = shardStreamBytes(l.encoding, l.rows, l.dims).value_or(0);
  bytes->reserve(l.streamBytes);
  if (table8) {
    for (const auto& c : columns) {
      std::vector<float> t = c.values();
      t.resize(kTable, t.empty() ? 0.0f : t.back());  // unused entries repeat the last value
      appendRaw(*bytes, t.data(), kTable * 4);
    }
    bytes->insert(bytes->end(), codes.begin(), codes.end());
  } else {
    appendRaw(*bytes, data.features.data(), cells * 4);
  }
  appendRaw(*bytes, data.labels.data(), data.labels.size() * 4);
  e.bytes = std::move(bytes);
  return e;
}

std::optional<DataSet> decodeShard(const ShardLayout& l, std::span<const uint8_t> stream, std::string& error) {
  const auto expected = shardStreamBytes(l.encoding, l.rows, l.dims);
  if (!expected || *expected != l.streamBytes || stream.size() != l.streamBytes) {
    error = "the training rows (" + std::to_string(l.rows) + " x " + std::to_string(l.dims) + ") need " +
            (expected ? std::to_string(*expected) : std::string("an impossible number of")) + " bytes, " +
            std::to_string(stream.size()) + " arrived";
    return std::nullopt;
  }
  if (l.numClasses < 0 || l.numClasses > 1000000) {
    error = "class count " + std::to_string(l.numClasses) + " is outside [0, 1000000]";
    return std::nullopt;
  }
  if (l.dims == 0 && l.rows > 0) {
    error = "rows of zero features";
    return std::nullopt;
  }
  DataSet d;
  d.numClasses = l.numClasses;
  d.imageRows = l.imageRows;
  d.imageCols = l.imageCols;
  d.source = l.source;
  d.features.resize(static_cast<Eigen::Index>(l.rows), static_cast<Eigen::Index>(l.dims));
  const size_t cells = static_cast<size_t>(l.rows) * l.dims;
  const uint8_t* p = stream.data();
  if (l.encoding == ShardEncoding::Table8) {
    std::vector<float> tables(static_cast<size_t>(l.dims) * kTable);
    std::memcpy(tables.data(), p, tables.size() * 4);
    for (float v : tables)
      if (!std::isfinite(v)) {
        error = "a value table holds a number that is not finite";
        return std::nullopt;
      }
    p += tables.size() * 4;
    float* out = d.features.data();
    for (size_t i = 0; i < cells; ++i) out[i] = tables[(i % l.dims) * kTable + p[i]];
    p += cells;
  } else {
    if (cells) std::memcpy(d.features.data(), p, cells * 4);
    p += cells * 4;
  }
  d.labels.resize(static_cast<size_t>(l.rows));
  if (l.rows) std::memcpy(d.labels.data(), p, static_cast<size_t>(l.rows) * 4);
  for (int label : d.labels)
    if (label < 0 || (d.numClasses > 0 && label >= d.numClasses)) {
      error = "label " + std::to_string(label) + " is outside [0, " + std::to_string(d.numClasses) + ")";
      return std::nullopt;
    }
  return d;
}

std::filesystem::path shardCacheDir() { return userCacheDir("shards"); }

std::optional<DataSet> readCachedShard(const std::filesystem::path& dir, uint64_t hash, std::string& error) {
  const auto file = cacheFile(dir, hash);
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;  // not cached: not an error
  char magic[8];
  ShardLayout l;
  uint8_t encoding = 0;
  uint32_t sourceBytes = 0;
  in.read(magic, 8);
  in.read(reinterpret_cast<char*>(&l.rows), 8);
  in.read(reinterpret_cast<char*>(&l.dims), 4);
  in.read(reinterpret_cast<char*>(&l.numClasses), 4);
  in.read(reinterpret_cast<char*>(&l.imageRows), 4);
  in.read(reinterpret_cast<char*>(&l.imageCols), 4);
  in.read(reinterpret_cast<char*>(&encoding), 1);
  in.read(reinterpret_cast<char*>(&l.streamBytes), 8);
  in.read(reinterpret_cast<char*>(&sourceBytes), 4);
  if (!in || std::memcmp(magic, kCacheMagic, 8) != 0 || encoding > 1 || sourceBytes > 65536 || l.streamBytes > kMaxShardStreamBytes) {
    error = file.string() + " is not a shard cache file of this version; ignoring it";
    return std::nullopt;
  }
  l.encoding = static_cast<ShardEncoding>(encoding);
  l.source.resize(sourceBytes);
  in.read(l.source.data(), sourceBytes);
  std::vector<uint8_t> stream(static_cast<size_t>(l.streamBytes));
  in.read(reinterpret_cast<char*>(stream.data()), static_cast<std::streamsize>(stream.size()));
  if (!in || in.peek() != std::char_traits<char>::eof()) {
    error = file.string() + " is truncated or too long; ignoring it";
    return std::nullopt;
  }
  auto d = decodeShard(l, stream, error);
  if (!d) {
    error = file.string() + ": " + error;
    return std::nullopt;
  }
  if (shardHash(*d) != hash) {
    error = file.string() + " does not match its hash (damaged?); ignoring it";
    return std::nullopt;
  }
  std::error_code ec;
  std::filesystem::last_write_time(file, std::filesystem::file_time_type::clock::now(), ec);  // most recently used
  return d;
}

bool writeCachedShard(const std::filesystem::path& dir, uint64_t hash, const ShardLayout& l, std::span<const uint8_t> stream,
                      std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot create " + dir.string() + ": " + ec.message();
    return false;
  }
  const auto file = cacheFile(dir, hash);
  const auto tmp = file.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const uint8_t encoding = static_cast<uint8_t>(l.encoding);
    const uint32_t sourceBytes = static_cast<uint32_t>(std::min<size_t>(l.source.size(), 65536));
    out.write(kCacheMagic, 8);
    out.write(reinterpret_cast<const char*>(&l.rows), 8);
    out.write(reinterpret_cast<const char*>(&l.dims), 4);
    out.write(reinterpret_cast<const char*>(&l.numClasses), 4);
    out.write(reinterpret_cast<const char*>(&l.imageRows), 4);
    out.write(reinterpret_cast<const char*>(&l.imageCols), 4);
    out.write(reinterpret_cast<const char*>(&encoding), 1);
    out.write(reinterpret_cast<const char*>(&l.streamBytes), 8);
    out.write(reinterpret_cast<const char*>(&sourceBytes), 4);
    out.write(l.source.data(), sourceBytes);
    out.write(reinterpret_cast<const char*>(stream.data()), static_cast<std::streamsize>(stream.size()));
    out.flush();
    if (!out) {
      error = "cannot write " + tmp + " (disk full?)";
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    error = "cannot rename " + tmp + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  // Keep the newest few: a shard is tens of megabytes.
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".shard") entries.push_back({e.last_write_time(ec), e.path()});
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = kShardCacheEntries; i < entries.size(); ++i) std::filesystem::remove(entries[i].second, ec);
  return true;
}

}  // namespace scaleout::cluster
