#include "util/thread_priority.h"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#endif

namespace scaleout {

void lowerThisThreadPriority(int steps) {
#if defined(__linux__)
  if (steps <= 0) return;
  // PRIO_PROCESS with a thread id addresses that thread alone on Linux (setpriority(2)).
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return;
  (void)::setpriority(PRIO_PROCESS, tid, std::min(19, now + steps));
#else
  (void)steps;
#endif
}

}  // namespace scaleout
