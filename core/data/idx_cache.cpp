#include "data/idx_cache.h"

#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>

#include "data/file_identity.h"
#include "data/idx_bytes.h"
#include "data/idx_cache_file.h"
#include "data/readers.h"
#include "util/cache_dir.h"

namespace scaleout {
namespace {

bool isGzip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in && magic[0] == 0x1f && magic[1] == 0x8b;
}

// One file per pair, named by the pair's absolute paths (FNV-1a): a changed source replaces
// its own entry instead of leaving stale copies behind. The header holds the paths, so two
// pairs that collide on the name only evict each other.
std::filesystem::path cacheFileFor(const std::filesystem::path& dir, const std::string& images,
                                   const std::string& labels) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string& s : {images, std::string(1, '\0'), labels})
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  char name[40];
  std::snprintf(name, sizeof name, "%016llx%s", static_cast<unsigned long long>(h), kIdxCacheExtension);
  return dir / name;
}

struct Source {
  std::string path;  // absolute
  FileIdentity identity;
};

// True when `mapped` is an entry for exactly these unchanged sources and its payload is
// intact; `problem` is set only when the file itself is damaged (a stale entry is normal).
bool entryValid(const MappedIdxCache& mapped, const Source (&sources)[2], std::string& problem,
                const std::filesystem::path& file) {
  const IdxCacheHeader& h = mapped.header();
  for (int i = 0; i < 2; ++i) {
    if (h.sources[i].path != sources[i].path || h.sources[i].identity != sources[i].identity) return false;  // stale
  }
  // Sources that changed just before they were decoded may have changed again within the
  // same timestamp tick: only their content can vouch for them.
  if (h.shaPresent) {
    try {
      for (int i = 0; i < 2; ++i)
        if (fileSha256(sources[i].path) != h.sources[i].sha) return false;
    } catch (const std::exception&) {
      return false;  // unreadable now: decoding it again reports why
    }
  }
  if (!mapped.payloadIntact()) {
    problem = file.string() + ": payload checksum mismatch; ignored and rewritten";
    return false;
  }
  return true;
}

void writeEntry(const std::filesystem::path& file, const Source (&sources)[2], int64_t lookedAtNs,
                std::span<const uint32_t> dims, std::span<const uint8_t> pixels, std::span<const uint8_t> labels,
                IdxCacheReport& report) {
  IdxCacheHeader h;
  h.decodedAtNs = lookedAtNs;
  h.imageDims.assign(dims.begin(), dims.end());
  for (int i = 0; i < 2; ++i) {
    h.sources[i].path = sources[i].path;
    h.sources[i].identity = sources[i].identity;
    if (!settledBefore(sources[i].identity, lookedAtNs)) h.shaPresent = true;
  }
  try {
    if (h.shaPresent)
      for (int i = 0; i < 2; ++i) h.sources[i].sha = fileSha256(sources[i].path);
  } catch (const std::exception& e) {
    report.problem = std::string("decoded data not cached: ") + e.what();
    return;
  }
  // A source written to while it was read (or hashed) may not match what was decoded.
  for (const Source& s : sources) {
    if (fileIdentity(s.path) != s.identity) {
      report.problem = s.path + " changed while it was read; not cached";
      return;
    }
  }
  std::string error;
  if (!writeIdxCache(file, std::move(h), pixels, labels, error)) {
    report.problem = "decoded data not cached: " + error;
    return;
  }
  report.written = true;
  pruneIdxCache(file.parent_path(), kDecodedCacheEntries);
}

}  // namespace

std::filesystem::path decodedCacheDir() { return userCacheDir("decoded"); }

DataSet readIdxCached(const std::string& imagesPath, const std::string& labelsPath,
                      const std::filesystem::path& cacheDir, IdxCacheReport* report) {
  IdxCacheReport local;
  IdxCacheReport& r = report ? *report : local;
  r = {};
  // Taken before the sources are looked at: a change after it shows in their ctime.
  const int64_t lookedAtNs = fileClockNowNs();
  const auto imagesId = fileIdentity(imagesPath);
  const auto labelsId = fileIdentity(labelsPath);
  if (!imagesId || !labelsId || !(isGzip(imagesPath) || isGzip(labelsPath))) {
    return readIdx(imagesPath, labelsPath);  // missing files get readIdx's messages
  }
  std::error_code ec;
  const Source sources[2] = {{std::filesystem::absolute(imagesPath, ec).string(), *imagesId},
                             {std::filesystem::absolute(labelsPath, ec).string(), *labelsId}};
  const auto file = cacheFileFor(cacheDir, sources[0].path, sources[1].path);

  std::string problem;
  if (auto mapped = MappedIdxCache::open(file, problem)) {
    if (entryValid(*mapped, sources, problem, file)) {
      const auto& h = mapped->header();
      DataSet data = idxDataSet(h.imageDims, mapped->pixels(), mapped->labels(), imagesPath);
      r.hit = true;
      // Verified by content and quiet since: a new entry trusted by identity alone spares
      // the next load the hashing.
      if (h.shaPresent && settledBefore(sources[0].identity, lookedAtNs) &&
          settledBefore(sources[1].identity, lookedAtNs)) {
        IdxCacheReport rewrite;
        writeEntry(file, sources, lookedAtNs, h.imageDims, mapped->pixels(), mapped->labels(), rewrite);
      } else {
        touchIdxCache(file);
      }
      return data;
    }
  } else if (!problem.empty()) {
    problem += "; ignored and rewritten";
  }

  const IdxBytes bytes = decodeIdxPair(imagesPath, labelsPath);
  DataSet data = idxDataSet(bytes.imageDims, bytes.pixels(), bytes.labels(), imagesPath);
  writeEntry(file, sources, lookedAtNs, bytes.imageDims, bytes.pixels(), bytes.labels(), r);
  if (!problem.empty()) r.problem = problem + (r.problem.empty() ? "" : "; " + r.problem);
  return data;
}

}  // namespace scaleout
