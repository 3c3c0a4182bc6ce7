#include "train/local_worker.h"

#include "util/thread_priority.h"

namespace scaleout {

LocalWorker::~LocalWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LocalWorker::attach(const WorkerContext& context, int index) {
  context_ = context;
  index_ = index;
  thread_ = std::thread([this] { loop(); });
}

void LocalWorker::post(RoundTask task) {
  {
    std::lock_guard lock(mutex_);
    task_ = std::move(task);
  }
  cv_.notify_all();
}

void LocalWorker::loop() {
  lowerThisThreadPriority(kLaneNiceSteps);
  SliceTrainer trainer(context_);
  for (;;) {
    RoundTask task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || task_.has_value(); });
      if (stopping_) return;
      task = std::move(*task_);
      task_.reset();
    }
    RoundResult result;
    trainer.recycle(std::move(task.spareSegment), std::move(task.spareState));
    try {
      result = trainer.run(task, index_);
    } catch (...) {
      // Never let a worker's exception end the process: it travels to the master.
      result = RoundResult{};
      result.worker = index_;
      result.round = task.round;
      result.error = std::current_exception();
      result.finished = std::chrono::steady_clock::now();
    }
    // Let go of the master's shared buffers before reporting, so that by the time the master
    // reads this result it is again their only owner and can refill them in place.
    task = RoundTask{};
    context_.results->push(std::move(result));
  }
}

}  // namespace scaleout
