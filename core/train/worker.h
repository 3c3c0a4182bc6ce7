#pragma once
// The Worker interface of iterative reduce. The master posts one RoundTask per worker
// per round and collects RoundResults from a queue with a deadline; a worker may be
// local (a thread here) or remote (cluster/), and the master loop does not know which.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "data/batches.h"
#include "data/dataset.h"
#include "nn/network.h"
#include "train/optimizer.h"
#include "train/phase.h"
#include "train/run_control.h"

namespace scaleout {

struct RoundTask {
  long long round = 0;
  size_t phaseIndex = 0;
  Phase phase;                                   // with the current (possibly steered) rates
  std::shared_ptr<const Eigen::VectorXf> params; // the master's full parameter vector
  std::shared_ptr<const OptimizerState> state;   // for the phase's range
  std::vector<uint32_t> indices;                 // training rows of this slice, in order
  int batchSize = 0;
  uint64_t seed = 0;                             // the worker's rng for this round
  // Delay compensation (staleCompensation): this worker's previous result is not in
  // `params` yet (it is still crossing the link, to be averaged a round late), and the
  // master expects to average it in with this share. A remote worker starts from params +
  // pendingShare x its own last change, so it does not learn that step again. 0: none.
  float pendingShare = 0;
  // This worker's previous result buffers, handed back by the master so a local worker
  // refills them instead of allocating parameter-sized vectors every round (each fresh
  // multi-megabyte vector is a new mmap: thousands of page faults). Remote workers ignore them.
  Eigen::VectorXf spareSegment;
  OptimizerState spareState;
};

struct RoundResult {
  int worker = -1;
  long long round = 0;
  Eigen::VectorXf segment;  // trained parameters of the phase's range
  OptimizerState state;
  size_t samples = 0;
  std::vector<float> losses;  // per minibatch
  double computeSeconds = 0;
  std::chrono::steady_clock::time_point finished;
  bool cancelled = false;
  bool diverged = false;  // a minibatch loss was NaN or infinite
  size_t divergedBatch = 0;
  std::exception_ptr error;  // the worker's exception, carried to the master
  // The full parameters the segment was trained from, when the worker may have started
  // from an older round's (an overlapping remote worker): the master then applies the
  // segment's change to the current parameters instead of averaging stale ones in.
  std::shared_ptr<const Eigen::VectorXf> startedFrom;
};

// Thread-safe queue the workers push results into and the master pops with a deadline.
class ResultQueue {
 public:
  void push(RoundResult result);
  std::optional<RoundResult> popUntil(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<RoundResult> results_;
};

// Everything a worker needs that does not change during a run.
struct WorkerContext {
  const Conf* conf = nullptr;
  const NetworkLayout* layout = nullptr;
  const DataSet* train = nullptr;
  RunControl* control = nullptr;
  ResultQueue* results = nullptr;
};

class Worker {
 public:
  virtual ~Worker() = default;
  virtual std::string id() const = 0;
  virtual void attach(const WorkerContext& context, int index) = 0;
  // Asynchronous: the result (or error) arrives on context.results.
  virtual void post(RoundTask task) = 0;
  // A worker that will never answer again (dead connection); the master drops it.
  virtual bool lost() const { return false; }
  // True for a worker worth handing its next task before its last result is in (a remote
  // worker: its link time then hides behind its compute). With conf.overlapRemoteRounds the
  // master keeps two tasks with it, and averages each result one round later.
  virtual bool canOverlap() const { return false; }
};

// True when no value is an infinity or a NaN (the check on every trained result).
bool allFiniteValues(const Eigen::VectorXf& v);

// Trains `task` on `params` in place: one worker's loop, the unit iterative reduce runs N
// times in parallel. `params` must hold the full vector; the result has the phase range.
class SliceTrainer {
 public:
  explicit SliceTrainer(const WorkerContext& context);
  ~SliceTrainer();
  RoundResult run(const RoundTask& task, int workerIndex);
  // Buffers the next result may reuse (see RoundTask::spareSegment).
  void recycle(Eigen::VectorXf&& segment, OptimizerState&& state);

 private:
  WorkerContext context_;
  size_t phaseIndex_ = static_cast<size_t>(-1);
  std::unique_ptr<class Objective> objective_;
  std::unique_ptr<class Optimizer> optimizer_;
  Eigen::VectorXf params_;  // the working copy of a phase that trains part of the parameters
  Eigen::VectorXf spareSegment_;
  OptimizerState spareState_;
  Batch batch_;  // refilled every minibatch: same size, no allocation
};

}  // namespace scaleout
