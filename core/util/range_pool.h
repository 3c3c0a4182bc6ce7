#pragma once
// A few helper threads that split one pass over a long vector with the calling thread.
//
// Between rounds the master averages the workers' parameters and velocities and copies
// the result for the next round, while every worker waits: on the reference MLP (5.6 MB
// vectors, averaging every 5 minibatches, two workers) that serial part was about a fifth
// of each round, on one core with the other idle. These passes are memory-bound, and two
// cores move more bytes than one.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scaleout {

class RangePool {
 public:
  using RangeFn = std::function<void(std::ptrdiff_t begin, std::ptrdiff_t end)>;

  // `threads` counts the caller: 1 (or less) starts no helper and runs everything inline.
  explicit RangePool(int threads);
  ~RangePool();
  RangePool(const RangePool&) = delete;
  RangePool& operator=(const RangePool&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // Calls fn on contiguous ranges that cover [0, size) exactly once, one range per
  // thread (the caller's included), each starting at a multiple of 64 elements; returns
  // when all are done and rethrows the first exception. Below `minParallel` elements it
  // runs fn(0, size) inline: a thread's wake-up would cost more than it saves.
  void run(std::ptrdiff_t size, const RangeFn& fn, std::ptrdiff_t minParallel = kMinParallel);

  // Enough for the split to pay: about 1 MB of floats.
  static constexpr std::ptrdiff_t kMinParallel = 1 << 18;

 private:
  void helperLoop(size_t index);
  std::pair<std::ptrdiff_t, std::ptrdiff_t> rangeOf(size_t part) const;

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const RangeFn* job_ = nullptr;
  std::ptrdiff_t size_ = 0;
  unsigned long long generation_ = 0;
  size_t pending_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

// The cores this process may run on (its CPU affinity, which taskset and container
// limits set), at least 1.
int coresAvailable();

}  // namespace scaleout
