#pragma once
// Writes one CSV row per worker per averaging round (rounds.csv in the run folder), so a
// slow run can be read after the fact: which worker computed how long, how long its
// result waited for the others, and what the master's averaging cost.
//   round,phase,epoch,iteration,round_seconds,averaging_seconds,worker,id,task_round,
//   arrived,samples,compute_seconds,wait_seconds
// round_seconds - compute_seconds - wait_seconds is the time a worker of this round was
// neither computing nor waiting: its link (transfer, encryption, latency) or, for a
// result of an earlier round (task_round < round, a remote worker that overlaps rounds),
// compute carried over from that round. Flushed at each epoch's end, like metrics.csv.
#include <fstream>
#include <mutex>
#include <string>

#include "train/observer.h"

namespace scaleout {

class RoundsWriter final : public TrainingObserver {
 public:
  explicit RoundsWriter(const std::string& path);  // throws ScaleoutError
  void onRound(const RoundInfo& round) override;
  void onEpochFinished(const EpochInfo& epoch) override;

 private:
  std::mutex mutex_;
  std::ofstream out_;
};

}  // namespace scaleout
