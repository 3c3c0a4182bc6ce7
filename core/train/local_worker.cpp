#include "train/local_worker.h"

namespace scaleout {

void LocalWorker::attach(const WorkerContext& context, int index) {
  index_ = index;
  ResultQueue* results = context.results;
  LaneThread::Hooks hooks;
  hooks.finished = [results](RoundTask&& task, RoundResult&& result, SliceTrainer&) {
    // Let go of the master's shared buffers before reporting, so that by the time the master
    // reads this result it is again their only owner and can refill them in place.
    task = RoundTask{};
    results->push(std::move(result));
  };
  lane_ = std::make_unique<LaneThread>(context, index, std::move(hooks));
}

void LocalWorker::post(RoundTask task) { lane_->post(std::move(task)); }

}  // namespace scaleout
