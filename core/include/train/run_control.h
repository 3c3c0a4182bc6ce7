#pragma once
// Cancel and pause a run from another thread (the GUI, a signal handler). Workers check
// it before every minibatch, so both take effect at the next minibatch boundary and
// never in the middle of a parameter update.
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace scaleout {

class RunControl {
 public:
  void cancel() {
    cancelled_ = true;
    std::lock_guard lock(mutex_);
    cv_.notify_all();
  }
  void pause() { paused_ = true; }
  void resume() {
    paused_ = false;
    std::lock_guard lock(mutex_);
    cv_.notify_all();
  }
  bool cancelled() const { return cancelled_; }
  bool paused() const { return paused_; }

  // Blocks while paused; returns false when the run is cancelled.
  bool checkpoint() {
    if (paused_) {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return !paused_ || cancelled_; });
    }
    return !cancelled_;
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> paused_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace scaleout
