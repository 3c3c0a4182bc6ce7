#pragma once
// Ctrl-C and SIGTERM stop a run cleanly. The handler only writes a byte to a pipe (which
// is async-signal-safe; locking the run's mutex there is not); a thread reads it and
// cancels the run, which then writes a checkpoint at the stop point. A second Ctrl-C
// quits at once (the handler restores the default action after the first).
#include <thread>

namespace scaleout {
class RunControl;

class SignalStop {
 public:
  explicit SignalStop(RunControl& control);
  ~SignalStop();  // restores the default actions
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;

 private:
  int pipe_[2] = {-1, -1};
  std::thread watcher_;
};

}  // namespace scaleout
