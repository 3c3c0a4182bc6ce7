#include "signal_stop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include "train/run_control.h"
#include "util/error.h"

namespace scaleout {
namespace {

int signalPipe = -1;  // write end, read by the handler

void onSignal(int signal) {
  const int saved = errno;
  std::signal(signal, SIG_DFL);  // the next one of the same kind ends the process at once
  const char byte = static_cast<char>(signal);
  if (signalPipe >= 0) [[maybe_unused]] auto n = ::write(signalPipe, &byte, 1);
  errno = saved;
}

constexpr char kQuit = 0;  // written by the destructor: the run is over

}  // namespace

SignalStop::SignalStop(RunControl& control) {
  if (::pipe2(pipe_, O_CLOEXEC) != 0) throw ScaleoutError("cannot create the pipe for Ctrl-C handling");
  signalPipe = pipe_[1];
  watcher_ = std::thread([this, &control] {
    char byte = kQuit;
    while (true) {
      const ssize_t n = ::read(pipe_[0], &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || byte == kQuit) return;
      std::fprintf(stderr, "\n%s: stopping after the current minibatch and writing a checkpoint (again to quit at once)\n",
                   byte == SIGINT ? "Ctrl-C" : "SIGTERM");
      control.cancel();
    }
  });
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
}

SignalStop::~SignalStop() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  signalPipe = -1;
  const char quit = kQuit;
  [[maybe_unused]] auto n = ::write(pipe_[1], &quit, 1);
  if (watcher_.joinable()) watcher_.join();
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

}  // namespace scaleout
