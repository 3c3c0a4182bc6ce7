#pragma once
// Telling that a source file is unchanged without reading it, and proving it by content
// when the cheap test cannot (the decoded-data cache, data/idx_cache.h).
//
// Any write, rename-over or chmod of a file sets its ctime to the kernel's clock, and no
// system call sets ctime back; so equal (device, inode, size, mtime, ctime) means the
// same content, unless the file changed within one timestamp tick of when it was first
// looked at (file timestamps come from a coarse clock, and on some filesystems are whole
// seconds). Such a "racy" file is checked by its SHA-256, as git does for its index.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace scaleout {

struct FileIdentity {
  uint64_t device = 0, inode = 0, size = 0;
  int64_t mtimeNs = 0, ctimeNs = 0;
  bool operator==(const FileIdentity&) const = default;
};

using Sha256 = std::array<uint8_t, 32>;

// nullopt when the file cannot be stat'ed (the reader then reports why).
std::optional<FileIdentity> fileIdentity(const std::string& path);

// Now, on the clock file timestamps come from (CLOCK_REALTIME), in ns.
int64_t fileClockNowNs();

// True when the file's timestamps are safely older than `sinceNs` (a time taken before the
// file was read), so a later change would show as a different identity.
bool settledBefore(const FileIdentity& id, int64_t sinceNs);

// SHA-256 of the file's bytes; throws ScaleoutError naming the file when it cannot be read.
Sha256 fileSha256(const std::string& path);

}  // namespace scaleout
