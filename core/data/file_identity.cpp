#include "data/file_identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include <sodium.h>

#include "util/error.h"

namespace scaleout {
namespace {

// Larger than any filesystem's timestamp granularity we know (FAT: 2 s) plus the kernel's
// coarse clock tick, so a change right after a look cannot keep the same timestamps.
constexpr int64_t kSettleNs = int64_t{3} * 1000 * 1000 * 1000;

int64_t ns(const timespec& t) { return int64_t{t.tv_sec} * 1000 * 1000 * 1000 + t.tv_nsec; }

}  // namespace

std::optional<FileIdentity> fileIdentity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileIdentity id;
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtimeNs = ns(st.st_mtim);
  id.ctimeNs = ns(st.st_ctim);
  return id;
}

int64_t fileClockNowNs() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return ns(t);
}

bool settledBefore(const FileIdentity& id, int64_t sinceNs) {
  return id.mtimeNs < sinceNs - kSettleNs && id.ctimeNs < sinceNs - kSettleNs;
}

Sha256 fileSha256(const std::string& path) {
  if (sodium_init() < 0) throw ScaleoutError("libsodium failed to initialise (hashing " + path + ")");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ScaleoutError(path + ": cannot open: " + std::strerror(errno));
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<unsigned char> chunk(size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw ScaleoutError(path + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    crypto_hash_sha256_update(&state, chunk.data(), static_cast<unsigned long long>(n));
  }
  ::close(fd);
  Sha256 digest{};
  crypto_hash_sha256_final(&state, digest.data());
  return digest;
}

}  // namespace scaleout
