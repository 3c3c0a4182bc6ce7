#include "train/lane_thread.h"

#include <utility>

#include "util/thread_priority.h"

namespace scaleout {

LaneThread::LaneThread(const WorkerContext& context, int index, Hooks hooks)
    : context_(context), index_(index), hooks_(std::move(hooks)), thread_([this] { loop(); }) {}

LaneThread::~LaneThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LaneThread::post(RoundTask task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_all();
}

void LaneThread::loop() {
  lowerThisThreadPriority(kLaneNiceSteps);
  SliceTrainer trainer(context_);
  if (hooks_.started) hooks_.started(trainer);
  for (;;) {
    RoundTask task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    RoundResult result;
    trainer.recycle(std::move(task.spareSegment), std::move(task.spareState));
    try {
      if (hooks_.prepare) hooks_.prepare(task);
      result = trainer.run(task, index_);
    } catch (...) {
      // Never let a lane's exception end the process: it travels with the result.
      result = RoundResult{};
      result.worker = index_;
      result.round = task.round;
      result.error = std::current_exception();
      result.finished = std::chrono::steady_clock::now();
    }
    busy_ = false;
    hooks_.finished(std::move(task), std::move(result), trainer);
  }
}

}  // namespace scaleout
