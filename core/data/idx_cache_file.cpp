#include "data/idx_cache_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include <zlib.h>

namespace scaleout {
namespace {

constexpr char kMagic[8] = {'S', 'O', 'I', 'D', 'X', 'C', '0', '1'};
constexpr uint32_t kMaxPathBytes = 1 << 16;
constexpr uint32_t kMaxRank = 16;

// The header's checksum: CRC-32, the stronger check, on a few hundred bytes.
uint32_t crcOf(uint32_t crc, std::span<const uint8_t> bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const size_t n = std::min(bytes.size() - off, size_t{1} << 30);
    crc = static_cast<uint32_t>(crc32(crc, bytes.data() + off, static_cast<uInt>(n)));
    off += n;
  }
  return crc;
}

// The payload's checksum: Adler-32 (as in the cluster's shardHash), which runs about seven
// times faster than zlib's CRC-32 here (30 vs 220 ms for Fashion-MNIST's 55 MB, a third of
// the warm load's budget); for damage to a disk file rather than an adversary it is enough.
uint32_t adlerOf(uint32_t sum, std::span<const uint8_t> bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const size_t n = std::min(bytes.size() - off, size_t{1} << 30);
    sum = static_cast<uint32_t>(adler32(sum, bytes.data() + off, static_cast<uInt>(n)));
    off += n;
  }
  return sum;
}

uint32_t payloadSumOf(std::span<const uint8_t> pixels, std::span<const uint8_t> labels) {
  return adlerOf(adlerOf(static_cast<uint32_t>(adler32(0, nullptr, 0)), pixels), labels);
}

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof v);
  }
  void putBytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// Reads fields from the mapping; once a read would pass the end, every later read fails.
class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  template <typename T>
  bool get(T& v) {
    if (n_ - at_ < sizeof v) return fail();
    std::memcpy(&v, p_ + at_, sizeof v);
    at_ += sizeof v;
    return true;
  }
  bool getBytes(void* dst, size_t n) {
    if (n_ - at_ < n) return fail();
    std::memcpy(dst, p_ + at_, n);
    at_ += n;
    return true;
  }
  size_t offset() const { return at_; }

 private:
  bool fail() {
    at_ = n_;
    return false;
  }
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
};

std::vector<uint8_t> encodeHeader(const IdxCacheHeader& h) {
  Writer w;
  w.putBytes(kMagic, sizeof kMagic);
  w.put(uint32_t{0});  // headerBytes, filled in below
  w.put(h.decodedAtNs);
  w.put(static_cast<uint8_t>(h.shaPresent ? 1 : 0));
  for (const CachedSource& s : h.sources) {
    w.put(static_cast<uint32_t>(s.path.size()));
    w.putBytes(s.path.data(), s.path.size());
    w.put(s.identity.device);
    w.put(s.identity.inode);
    w.put(s.identity.size);
    w.put(s.identity.mtimeNs);
    w.put(s.identity.ctimeNs);
    w.putBytes(s.sha.data(), s.sha.size());
  }
  w.put(static_cast<uint32_t>(h.imageDims.size()));
  for (uint32_t d : h.imageDims) w.put(d);
  w.put(h.pixelBytes);
  w.put(h.labelBytes);
  w.put(h.payloadSum);
  auto& bytes = w.bytes();
  const auto headerBytes = static_cast<uint32_t>(bytes.size() + 4);
  std::memcpy(bytes.data() + sizeof kMagic, &headerBytes, 4);
  w.put(crcOf(static_cast<uint32_t>(crc32(0, nullptr, 0)), bytes));
  return std::move(bytes);
}

// The header's fields, or an error saying which check failed.
std::optional<IdxCacheHeader> decodeHeader(const uint8_t* p, size_t fileBytes, size_t& payloadOffset,
                                           std::string& error) {
  Reader r(p, fileBytes);
  char magic[8];
  uint32_t headerBytes = 0;
  if (!r.getBytes(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) {
    error = "not a decoded-data cache file of this version (magic)";
    return std::nullopt;
  }
  if (!r.get(headerBytes) || headerBytes < 16 || headerBytes > fileBytes) {
    error = "header length " + std::to_string(headerBytes) + " does not fit the file's " + std::to_string(fileBytes) + " bytes";
    return std::nullopt;
  }
  uint32_t storedCrc = 0;
  std::memcpy(&storedCrc, p + headerBytes - 4, 4);
  if (crcOf(static_cast<uint32_t>(crc32(0, nullptr, 0)), {p, headerBytes - size_t{4}}) != storedCrc) {
    error = "header checksum mismatch";
    return std::nullopt;
  }
  Reader h(p, headerBytes - size_t{4});  // the checksum is trusted from here on, the lengths are still checked
  IdxCacheHeader out;
  uint8_t shaPresent = 0;
  uint32_t rank = 0;
  bool ok = h.getBytes(magic, 8) && h.get(headerBytes) && h.get(out.decodedAtNs) && h.get(shaPresent) && shaPresent <= 1;
  for (CachedSource& s : out.sources) {
    uint32_t pathBytes = 0;
    ok = ok && h.get(pathBytes) && pathBytes <= kMaxPathBytes;
    if (ok) s.path.resize(pathBytes);
    ok = ok && h.getBytes(s.path.data(), pathBytes) && h.get(s.identity.device) && h.get(s.identity.inode) &&
         h.get(s.identity.size) && h.get(s.identity.mtimeNs) && h.get(s.identity.ctimeNs) &&
         h.getBytes(s.sha.data(), s.sha.size());
  }
  ok = ok && h.get(rank) && rank >= 2 && rank <= kMaxRank;
  if (ok) out.imageDims.resize(rank);
  for (uint32_t i = 0; ok && i < rank; ++i) ok = h.get(out.imageDims[i]);
  ok = ok && h.get(out.pixelBytes) && h.get(out.labelBytes) && h.get(out.payloadSum) &&
       h.offset() == headerBytes - size_t{4};
  if (!ok) {
    error = "header fields do not add up";
    return std::nullopt;
  }
  out.shaPresent = shaPresent == 1;
  // Each dim is < 2^32 and the product is checked before the next multiply: no overflow.
  uint64_t product = 1;
  for (uint32_t d : out.imageDims) {
    product *= d;
    if (d == 0 || product > fileBytes) break;
  }
  if (product != out.pixelBytes || out.labelBytes != out.imageDims[0] ||
      uint64_t{headerBytes} + out.pixelBytes + out.labelBytes != fileBytes) {
    error = "payload sizes do not match the dims or the file length (truncated?)";
    return std::nullopt;
  }
  payloadOffset = headerBytes;
  return out;
}

}  // namespace

std::optional<MappedIdxCache> MappedIdxCache::open(const std::filesystem::path& file, std::string& error) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) error = file.string() + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    error = file.string() + ": empty or unreadable";
    return std::nullopt;
  }
  const auto bytes = static_cast<size_t>(st.st_size);
  // MAP_POPULATE maps the whole (page-cached) file in one call instead of one fault per page.
  void* p = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    error = file.string() + ": cannot map: " + std::strerror(errno);
    return std::nullopt;
  }
  MappedIdxCache m;
  m.base_ = static_cast<const uint8_t*>(p);
  m.bytes_ = bytes;
  auto header = decodeHeader(m.base_, bytes, m.payloadOffset_, error);
  if (!header) {
    error = file.string() + ": " + error;
    return std::nullopt;
  }
  m.header_ = std::move(*header);
  return m;
}

MappedIdxCache::MappedIdxCache(MappedIdxCache&& other) noexcept
    : header_(std::move(other.header_)),
      base_(std::exchange(other.base_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      payloadOffset_(other.payloadOffset_) {}

MappedIdxCache::~MappedIdxCache() {
  if (base_) ::munmap(const_cast<uint8_t*>(base_), bytes_);
}

std::span<const uint8_t> MappedIdxCache::pixels() const {
  return {base_ + payloadOffset_, static_cast<size_t>(header_.pixelBytes)};
}

std::span<const uint8_t> MappedIdxCache::labels() const {
  return {base_ + payloadOffset_ + header_.pixelBytes, static_cast<size_t>(header_.labelBytes)};
}

bool MappedIdxCache::payloadIntact() const { return payloadSumOf(pixels(), labels()) == header_.payloadSum; }

bool writeIdxCache(const std::filesystem::path& file, IdxCacheHeader header, std::span<const uint8_t> pixels,
                   std::span<const uint8_t> labels, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    error = "cannot create " + file.parent_path().string() + ": " + ec.message();
    return false;
  }
  header.pixelBytes = pixels.size();
  header.labelBytes = labels.size();
  header.payloadSum = payloadSumOf(pixels, labels);
  const std::vector<uint8_t> head = encodeHeader(header);
  // A unique temporary name per process and file, so two programs filling the cache at once
  // never write into each other's file; rename makes the whole file appear at once.
  static std::atomic<unsigned> serial{0};
  const std::string tmp = file.string() + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
    out.write(reinterpret_cast<const char*>(pixels.data()), static_cast<std::streamsize>(pixels.size()));
    out.write(reinterpret_cast<const char*>(labels.data()), static_cast<std::streamsize>(labels.size()));
    out.flush();
    if (!out) {
      error = "cannot write " + tmp + " (read-only or full?)";
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    error = "cannot rename " + tmp + " to " + file.string() + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

void pruneIdxCache(const std::filesystem::path& dir, size_t keep) {
  std::error_code ec;
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == kIdxCacheExtension) entries.push_back({e.last_write_time(ec), e.path()});
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = keep; i < entries.size(); ++i) std::filesystem::remove(entries[i].second, ec);
}

void touchIdxCache(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::last_write_time(file, std::filesystem::file_time_type::clock::now(), ec);
}

}  // namespace scaleout
