#pragma once
// Writes a run's metrics as CSV while it trains: one row per minibatch, evaluation,
// epoch end, steering change, checkpoint and message. Every row but a minibatch's is
// flushed as it is written, so a crash keeps what was measured up to the last event.
//   iteration,epoch,phase,worker,loss,test_accuracy,event
// A TrainingObserver, so it sits beside the observer here, not in io/ (io/ includes
// nothing from train/).
#include <fstream>
#include <mutex>
#include <string>

#include "train/observer.h"

namespace scaleout {

class MetricsWriter final : public TrainingObserver {
 public:
  explicit MetricsWriter(const std::string& path);  // throws ScaleoutError
  void onIteration(const IterationInfo& it) override;
  void onEvaluation(const EvalReport& report) override;
  void onEpochFinished(const EpochInfo& epoch) override;
  void onSteering(const SteeringChange& change) override;
  void onMessage(const std::string& text) override;
  void onCheckpoint(const std::string& path, long long iteration) override;

 private:
  void row(long long iteration, int epoch, const std::string& phase, const std::string& worker,
           const std::string& loss, const std::string& accuracy, const std::string& event);
  std::mutex mutex_;
  std::ofstream out_;
  int epoch_ = 0;
  std::string phase_;
  long long iteration_ = 0;
};

}  // namespace scaleout
