#pragma once
// A worker thread on this machine: trains each task it is given and posts the result to
// the master's queue.
#include <memory>

#include "train/lane_thread.h"
#include "train/worker.h"

namespace scaleout {

class LocalWorker final : public Worker {
 public:
  LocalWorker() = default;
  std::string id() const override { return "local-" + std::to_string(index_); }
  void attach(const WorkerContext& context, int index) override;
  void post(RoundTask task) override;

 private:
  int index_ = 0;
  std::unique_ptr<LaneThread> lane_;
};

}  // namespace scaleout
