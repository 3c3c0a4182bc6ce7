#pragma once
// Trainer: the iterative-reduce master. Every run trains this way, with one local
// worker thread or many (and, through the Worker interface, remote workers):
//   each round the master hands each idle worker the current parameters and a slice of
//   averagingFrequency minibatches from the epoch's seeded shuffle; workers train their
//   own copy; the master waits at most roundDeadlineSeconds, averages what arrived
//   weighted by samples (momentum/AdaGrad buffers too), and re-queues missing slices.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "data/data_source.h"
#include "io/model_file.h"
#include "nn/network.h"
#include "train/observer.h"
#include "train/phase.h"
#include "train/run_control.h"
#include "train/steering.h"

namespace scaleout {

class Worker;  // train/worker.h: the interface local threads and remote workers implement

struct TrainerOptions {
  std::string checkpointPath;      // empty: no checkpoints
  double roundDeadlineSeconds = 0; // 0: derive from the knob roundDeadlineSeconds
  // Makes worker i (for tests and the cluster); default: LocalWorker.
  std::function<std::unique_ptr<Worker>(int index)> workerFactory;
};


class Trainer {
 public:
  // `data` must outlive the trainer; it is never copied per worker.
  Trainer(const Conf& conf, const TrainTestData& data, TrainerOptions options = {});
  ~Trainer();

  void addObserver(TrainingObserver* observer) { observers_.push_back(observer); }
  // Extra workers beyond the local threads (remote workers of a cluster). Thread-safe:
  // called during run(), the worker joins at the next round boundary.
  void addWorker(std::unique_ptr<Worker> worker);
  // Continues the checkpoint's run. The conf may differ from the checkpoint's only in what
  // can change mid-run (train/resume_check.h): more epochs, rates, momentum, AdaGrad, the
  // Run group. Throws ScaleoutError naming every other knob that differs, or when a
  // finished run is given no more epochs. What it adapted is reported at the run's start.
  void resumeFrom(const ModelFile& checkpoint);

  RunControl& control() { return control_; }
  Steering& steering() { return steering_; }

  // Blocking. Returns the summary also given to onFinished; never throws for training
  // problems (divergence, dead workers): they are reported in RunSummary::error.
  RunSummary run();

  const Eigen::VectorXf& parameters() const { return params_; }
  const NetworkLayout& layout() const { return layout_; }
  const Conf& conf() const { return conf_; }
  ModelFile model() const;  // conf, normalizer and parameters of the run
  // The parameters at the finetuning evaluation with the best test accuracy so far
  // (empty before one): what "keep the best model" saves next to the last one.
  std::optional<ModelFile> bestModel() const;

 private:
  // model()'s contents assigned into `m` (same-sized vectors are refilled, not allocated).
  void fillModel(ModelFile& m) const;
  struct Impl;
  Conf conf_;
  const TrainTestData& data_;
  TrainerOptions options_;
  NetworkLayout layout_;
  std::vector<Phase> phases_;
  Eigen::VectorXf params_;
  RunControl control_;
  Steering steering_;
  std::vector<TrainingObserver*> observers_;
  std::mutex pendingMutex_;  // guards extraWorkers_: addWorker may run on another thread
  std::vector<std::unique_ptr<Worker>> extraWorkers_;
  std::optional<TrainingState> resume_;
  std::vector<std::string> resumeNotes_;  // what resumeFrom changed, told to observers by run()
  Eigen::VectorXf bestParams_;
  double bestAccuracy_ = -1;
  int bestEpoch_ = 0;
};

}  // namespace scaleout
