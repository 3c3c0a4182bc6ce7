#include "util/range_pool.h"

#include <algorithm>

#ifdef __linux__
#include <sched.h>
#endif

namespace scaleout {

int coresAvailable() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}

RangePool::RangePool(int threads) {
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this, i] { helperLoop(static_cast<size_t>(i - 1)); });
}

RangePool::~RangePool() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : helpers_) t.join();
}

std::pair<std::ptrdiff_t, std::ptrdiff_t> RangePool::rangeOf(size_t part) const {
  const std::ptrdiff_t parts = threads();
  // Whole cache lines (and SIMD widths) per range: 64 floats is 256 bytes.
  constexpr std::ptrdiff_t kAlign = 64;
  const std::ptrdiff_t step = (size_ / parts + kAlign - 1) / kAlign * kAlign;
  const std::ptrdiff_t begin = std::min(size_, static_cast<std::ptrdiff_t>(part) * step);
  const std::ptrdiff_t end = part + 1 == static_cast<size_t>(parts) ? size_ : std::min(size_, begin + step);
  return {begin, end};
}

void RangePool::run(std::ptrdiff_t size, const RangeFn& fn, std::ptrdiff_t minParallel) {
  if (size <= 0) return;
  if (helpers_.empty() || size < minParallel) {
    fn(0, size);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = &fn;
    size_ = size;
    pending_ = helpers_.size();
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  // The caller takes the last range.
  std::exception_ptr mine;
  try {
    const auto [begin, end] = rangeOf(helpers_.size());
    if (begin < end) fn(begin, end);
  } catch (...) {
    mine = std::current_exception();
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
  if (mine) std::rethrow_exception(mine);
  if (error_) std::rethrow_exception(error_);
}

void RangePool::helperLoop(size_t index) {
  unsigned long long seen = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const RangeFn* fn = job_;
    const auto [begin, end] = rangeOf(index);
    lock.unlock();
    std::exception_ptr error;
    try {
      if (begin < end) (*fn)(begin, end);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error && !error_) error_ = error;
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace scaleout
