#pragma once
// One file of the decoded-data cache: an IDX pair's stored bytes plus what its sources
// looked like when they were decoded. Written whole to a temporary name, then renamed;
// read through a read-only mapping. Anything inconsistent fails closed (the caller
// decodes the sources again and replaces the file).
//
// Layout, integers in host byte order (a file from a host of the other order fails the
// header checksum and the size checks):
//   "SOIDXC01"                     magic, the last two digits are the format version
//   u32 headerBytes                offset of the payload
//   i64 decodedAtNs                clock reading taken before the sources were looked at
//   u8  shaPresent                 1: sources were racy at decode, their SHA-256 below count
//   2 x { u32 pathBytes, path, u64 device, inode, size, i64 mtimeNs, ctimeNs, u8[32] sha256 }
//   u32 rank, rank x u32 dims      of the images (dims[0] = samples)
//   u64 pixelBytes, labelBytes
//   u32 payloadAdler32             of pixels then labels
//   u32 headerCrc32                of every header byte before it
//   payload: pixels, labels
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/file_identity.h"

namespace scaleout {

struct CachedSource {
  std::string path;
  FileIdentity identity;
  Sha256 sha{};
};

struct IdxCacheHeader {
  int64_t decodedAtNs = 0;
  bool shaPresent = false;
  std::array<CachedSource, 2> sources;  // images, labels
  std::vector<uint32_t> imageDims;
  uint64_t pixelBytes = 0, labelBytes = 0;
  uint32_t payloadSum = 0;  // Adler-32
};

// A cache file mapped read-only; the spans point into the mapping and die with it.
class MappedIdxCache {
 public:
  // nullopt with `error` empty when there is no such file; with `error` naming the file
  // and the fault when it is not a whole cache file of this version.
  static std::optional<MappedIdxCache> open(const std::filesystem::path& file, std::string& error);
  MappedIdxCache(MappedIdxCache&& other) noexcept;
  MappedIdxCache& operator=(MappedIdxCache&&) = delete;
  MappedIdxCache(const MappedIdxCache&) = delete;
  ~MappedIdxCache();

  const IdxCacheHeader& header() const { return header_; }
  std::span<const uint8_t> pixels() const;
  std::span<const uint8_t> labels() const;
  bool payloadIntact() const;  // the payload checksum matches (one pass over the bytes)

 private:
  MappedIdxCache() = default;
  IdxCacheHeader header_;
  const uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  size_t payloadOffset_ = 0;
};

// Writes `header` (its payloadSum computed here) and the payload to `file` atomically.
// false with `error` (one line, naming the file) when the directory or file cannot be written.
bool writeIdxCache(const std::filesystem::path& file, IdxCacheHeader header, std::span<const uint8_t> pixels,
                   std::span<const uint8_t> labels, std::string& error);

// Keeps the `keep` most recently used cache files in `dir` (each is tens of megabytes).
void pruneIdxCache(const std::filesystem::path& dir, size_t keep);

// Marks `file` most recently used.
void touchIdxCache(const std::filesystem::path& file);

inline constexpr const char* kIdxCacheExtension = ".idxcache";

}  // namespace scaleout
