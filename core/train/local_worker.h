#pragma once
// A worker thread on this machine: waits for a task, trains its slice, posts the result.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "train/worker.h"

namespace scaleout {

class LocalWorker final : public Worker {
 public:
  LocalWorker() = default;
  ~LocalWorker() override;
  std::string id() const override { return "local-" + std::to_string(index_); }
  void attach(const WorkerContext& context, int index) override;
  void post(RoundTask task) override;

 private:
  void loop();

  WorkerContext context_;
  int index_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<RoundTask> task_;
  bool stopping_ = false;
};

}  // namespace scaleout
