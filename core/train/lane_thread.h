#pragma once
// One training lane: a thread that trains the tasks posted to it, in order, with one
// SliceTrainer whose buffers it keeps from task to task. The master's local workers
// (LocalWorker) and a remote worker's lanes (cluster/worker_node.cpp) both run on it; they
// differ only in what happens before a task and with its result, given as hooks.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "train/worker.h"

namespace scaleout {

class LaneThread {
 public:
  struct Hooks {
    // On the lane's thread before its first task (a remote lane's warm-up). Optional.
    std::function<void(SliceTrainer&)> started;
    // Before each task is trained (a remote lane's optimizer state and delay compensation).
    // Optional; an exception here is reported like one from training.
    std::function<void(RoundTask&)> prepare;
    // Each task's result, or its error in RoundResult::error. The task is handed back with
    // it: a remote lane encodes the change from the task's parameters. Required.
    std::function<void(RoundTask&&, RoundResult&&, SliceTrainer&)> finished;
  };

  LaneThread(const WorkerContext& context, int index, Hooks hooks);
  ~LaneThread();  // after the task in progress; queued ones are dropped
  LaneThread(const LaneThread&) = delete;
  LaneThread& operator=(const LaneThread&) = delete;

  // Queued: a lane may hold a task it has not started yet (overlapping rounds).
  void post(RoundTask task);
  bool busy() const { return busy_.load(); }

 private:
  void loop();

  const WorkerContext context_;
  const int index_;
  const Hooks hooks_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<RoundTask> queue_;
  bool stopping_ = false;
  std::atomic<bool> busy_{false};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace scaleout
