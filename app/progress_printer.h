#pragma once
// Prints one progress line per interval (and per epoch, evaluation and event) for the CLI.
#include <chrono>
#include <mutex>

#include "train/observer.h"

class ProgressPrinter final : public scaleout::TrainingObserver {
 public:
  explicit ProgressPrinter(double intervalSeconds, bool perWorker) : interval_(intervalSeconds), perWorker_(perWorker) {}
  void onPhaseStarted(const scaleout::PhaseInfo& p) override;
  void onRound(const scaleout::RoundInfo& r) override;
  void onIteration(const scaleout::IterationInfo& it) override;
  void onEpochFinished(const scaleout::EpochInfo& e) override;
  void onEvaluation(const scaleout::EvalReport& r) override;
  void onSteering(const scaleout::SteeringChange& c) override;
  void onCheckpoint(const std::string& path, long long iteration) override;
  void onMessage(const std::string& text) override;
  void onModelStats(const scaleout::ModelStats& stats) override;
  // Seconds spent computing model statistics (reported so their cost stays visible).
  double statsSeconds() const { return statsSeconds_; }

 private:
  double interval_;
  bool perWorker_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
  double smoothedLoss_ = 0;
  long long seen_ = 0;
  double statsSeconds_ = 0;
};
