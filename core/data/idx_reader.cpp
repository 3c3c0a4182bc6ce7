#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <zlib.h>

#include "data/idx_bytes.h"
#include "data/readers.h"
#include "util/error.h"

namespace scaleout {
namespace {

// A damaged header can claim terabytes; refusing early beats a bad_alloc or an OOM kill.
constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 31;
constexpr uint64_t kChunkBytes = uint64_t{1} << 22;
constexpr uint8_t kUnsignedByteType = 0x08;

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

const char* idxTypeName(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
  }
}

// Owns the zlib handle so every error path closes it. gzread passes plain files through
// untouched, so one code path serves .gz and uncompressed IDX files.
class IdxFile {
 public:
  explicit IdxFile(const std::string& path) : path_(path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) throw ScaleoutError(path + ": no such file");
    if (std::filesystem::is_directory(status)) {
      throw ScaleoutError(path + ": is a directory, expected an IDX file");
    }
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) throw ScaleoutError(path + ": cannot open: " + std::strerror(errno));
    gzbuffer(file_, 1u << 20);  // fewer syscalls and inflate calls than the 8 KiB default
  }
  ~IdxFile() {
    if (file_) gzclose(file_);
  }
  IdxFile(const IdxFile&) = delete;
  IdxFile& operator=(const IdxFile&) = delete;

  const std::string& path() const { return path_; }

  // Reads up to n bytes; fewer only when the data ends. Corrupt compressed data throws.
  size_t read(void* dst, size_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    size_t got = 0;
    while (got < n) {
      const unsigned want = static_cast<unsigned>(std::min<uint64_t>(n - got, kChunkBytes));
      const int r = gzread(file_, out + got, want);
      if (r < 0) {
        int errnum = Z_OK;
        const char* message = gzerror(file_, &errnum);
        // A gzip stream cut short is a truncation, reported by the caller with counts.
        if (errnum == Z_BUF_ERROR) break;
        throw ScaleoutError(path_ + ": cannot read at byte offset " + std::to_string(offset_ + got) +
                            " (uncompressed): " + (message ? message : "zlib error"));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    offset_ += got;
    return got;
  }

  void readExactly(void* dst, size_t n, const std::string& what) {
    const size_t got = read(dst, n);
    if (got < n) truncated(what, n, got);
  }

  [[noreturn]] void truncated(const std::string& what, uint64_t expected, uint64_t got) {
    truncatedAt(what, expected, got, offset_);
  }

  [[noreturn]] void truncatedAt(const std::string& what, uint64_t expected, uint64_t got, uint64_t end) {
    throw ScaleoutError(path_ + ": truncated " + what + ": expected " + std::to_string(expected) +
                        " bytes, got " + std::to_string(got) + " (the " +
                        (gzdirect(file_) ? "file" : "uncompressed stream") + " ends at byte offset " +
                        std::to_string(end) + ")");
  }

  // Refuses a plain file shorter than its header claims before anything is allocated.
  // (A .gz file's length is only known by inflating it; the caller's allocation is then
  // only virtual until bytes actually arrive.)
  void checkPlainLength(uint64_t expected, const std::string& what) {
    if (!gzdirect(file_)) return;
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path_, ec);
    if (!ec && size < offset_ + expected) {
      truncatedAt(what + " after the " + std::to_string(offset_) + "-byte header", expected, size - offset_, size);
    }
  }

  // Streams `expected` payload bytes through `sink(bytes, count, position)` in large chunks,
  // so the data lands in its final form without a second full-size buffer.
  template <typename Sink>
  void readPayload(uint64_t expected, const std::string& what, Sink&& sink) {
    const uint64_t headerBytes = offset_;
    std::vector<uint8_t> chunk(static_cast<size_t>(std::min(expected, kChunkBytes)));
    uint64_t got = 0;
    while (got < expected) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(expected - got, chunk.size()));
      const size_t n = read(chunk.data(), want);
      sink(chunk.data(), n, got);
      got += n;
      if (n < want) truncated(what + " after the " + std::to_string(headerBytes) + "-byte header", expected, got);
    }
    uint8_t extra = 0;
    if (read(&extra, 1) != 0) {
      throw ScaleoutError(path_ + ": unexpected data after byte offset " + std::to_string(offset_ - 1) +
                          ": the header declares " + std::to_string(expected) + " bytes of " + what +
                          ", the file holds more (wrong header or concatenated files?)");
    }
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  uint64_t offset_ = 0;
};

struct IdxHeader {
  std::vector<uint32_t> dims;
  uint64_t payloadBytes = 0;
  uint64_t sampleBytes = 0;
};

uint32_t bigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads and checks magic and dims. wantImages: rank >= 2 (magic 0x0803 for n x rows x cols);
// else labels, rank exactly 1 (magic 0x0801).
IdxHeader readHeader(IdxFile& file, bool wantImages) {
  const char* expected = wantImages ? "0x00000803 (IDX unsigned-byte images, rank >= 2)"
                                    : "0x00000801 (IDX unsigned-byte labels, rank 1)";
  uint8_t magicBytes[4];
  file.readExactly(magicBytes, 4, "IDX magic number");
  const uint32_t magic = bigEndian32(magicBytes);
  if (magicBytes[0] != 0 || magicBytes[1] != 0) {
    throw ScaleoutError(file.path() + ": wrong magic " + hex32(magic) + " at byte offset 0, expected " +
                        expected + "; not an IDX file");
  }
  const uint8_t type = magicBytes[2];
  const int rank = magicBytes[3];
  if (type != kUnsignedByteType) {
    throw ScaleoutError(file.path() + ": wrong magic " + hex32(magic) + ": IDX element type " +
                        "0x" + hex32(type).substr(8) + " (" + idxTypeName(type) + ") is not supported, expected " +
                        expected);
  }
  if (wantImages ? rank < 2 : rank != 1) {
    throw ScaleoutError(file.path() + ": wrong magic " + hex32(magic) + " (rank " + std::to_string(rank) +
                        "), expected " + expected +
                        (wantImages ? "; is this a labels file?" : "; is this an images file?"));
  }

  std::vector<uint8_t> dimBytes(static_cast<size_t>(rank) * 4);
  file.readExactly(dimBytes.data(), dimBytes.size(), "IDX header dimensions");
  IdxHeader header;
  header.dims.resize(static_cast<size_t>(rank));
  std::string dimsText;
  for (int i = 0; i < rank; ++i) {
    header.dims[i] = bigEndian32(dimBytes.data() + 4 * i);
    dimsText += (i ? " x " : "") + std::to_string(header.dims[i]);
  }
  // Each factor is < 2^32 and the running product is checked against 2^31 before the next
  // multiply, so the uint64 product cannot overflow.
  uint64_t total = 1;
  for (int i = 0; i < rank; ++i) {
    if (header.dims[i] == 0) {
      throw ScaleoutError(file.path() + ": header dimension " + std::to_string(i) + " is 0 (dims " +
                          dimsText + "), expected a non-empty " + (wantImages ? "image set" : "label set"));
    }
    total *= header.dims[i];
    if (total > kMaxPayloadBytes) {
      throw ScaleoutError(file.path() + ": header dims " + dimsText + " exceed the limit of " +
                          std::to_string(kMaxPayloadBytes) + " bytes of data (damaged header?)");
    }
  }
  header.payloadBytes = total;
  header.sampleBytes = total / header.dims[0];
  return header;
}

}  // namespace

IdxBytes decodeIdxPair(const std::string& imagesPath, const std::string& labelsPath) {
  IdxFile images(imagesPath);
  IdxFile labels(labelsPath);
  const IdxHeader imageHeader = readHeader(images, true);
  const IdxHeader labelHeader = readHeader(labels, false);
  // Checked before reading 47 MB of pixels, so a mismatched pair fails at once.
  if (imageHeader.dims[0] != labelHeader.dims[0]) {
    throw ScaleoutError(imagesPath + " holds " + std::to_string(imageHeader.dims[0]) + " images but " +
                        labelsPath + " holds " + std::to_string(labelHeader.dims[0]) +
                        " labels; expected the same count");
  }

  images.checkPlainLength(imageHeader.payloadBytes, "image data");
  labels.checkPlainLength(labelHeader.payloadBytes, "label data");
  IdxBytes out;
  out.imageDims = imageHeader.dims;
  try {
    out.pixelCount = static_cast<size_t>(imageHeader.payloadBytes);
    out.labelCount = static_cast<size_t>(labelHeader.payloadBytes);
    out.pixelData = std::make_unique_for_overwrite<uint8_t[]>(out.pixelCount);
    out.labelData = std::make_unique_for_overwrite<uint8_t[]>(out.labelCount);
  } catch (const std::bad_alloc&) {
    throw ScaleoutError(imagesPath + ": cannot allocate memory for the " + std::to_string(imageHeader.payloadBytes) +
                        " bytes of image data the header declares");
  }
  auto copyInto = [](uint8_t* dst) {
    return [dst](const uint8_t* bytes, size_t count, uint64_t at) { std::memcpy(dst + at, bytes, count); };
  };
  images.readPayload(imageHeader.payloadBytes, "image data", copyInto(out.pixelData.get()));
  labels.readPayload(labelHeader.payloadBytes, "label data", copyInto(out.labelData.get()));
  return out;
}

DataSet readIdx(const std::string& imagesPath, const std::string& labelsPath) {
  const IdxBytes bytes = decodeIdxPair(imagesPath, labelsPath);
  return idxDataSet(bytes.imageDims, bytes.pixels(), bytes.labels(), imagesPath);
}

}  // namespace scaleout
