#include "progress_printer.h"

#include <cstdio>

using namespace scaleout;

namespace {
std::string duration(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", s);
  return buf;
}
}  // namespace

void ProgressPrinter::onPhaseStarted(const PhaseInfo& p) {
  std::lock_guard lock(mutex_);
  std::printf("== %s (%d epochs) ==\n", p.label.c_str(), p.epochs);
  std::fflush(stdout);
  seen_ = 0;
}

void ProgressPrinter::onIteration(const IterationInfo& it) {
  std::lock_guard lock(mutex_);
  // Debiased EMA so the printed loss is not dominated by one noisy minibatch.
  smoothedLoss_ = seen_ == 0 ? it.loss : 0.95 * smoothedLoss_ + 0.05 * it.loss;
  ++seen_;
}

void ProgressPrinter::onRound(const RoundInfo& r) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  std::printf("%-16s epoch %3d (%3.0f%%)  iter %8lld  loss %.4f  %8.0f samples/s  ETA %s\n", r.phase.c_str(), r.epoch,
              100.0 * r.epochFraction, r.iteration, smoothedLoss_, r.samplesPerSecond, duration(r.etaSeconds).c_str());
  if (perWorker_)
    for (const auto& w : r.workers)
      std::printf("    worker %-12s %s loss %.4f  %7.0f samples/s  waited %.1f ms\n", w.id.c_str(),
                  w.arrived ? "   " : "(missed)", w.meanLoss, w.samplesPerSecond, 1000 * w.waitSeconds);
  std::fflush(stdout);
}

void ProgressPrinter::onEpochFinished(const EpochInfo& e) {
  std::lock_guard lock(mutex_);
  std::printf("%-16s epoch %3d done: mean loss %.4f in %s\n", e.phase.c_str(), e.epoch, e.meanLoss, duration(e.seconds).c_str());
  std::fflush(stdout);
}

void ProgressPrinter::onEvaluation(const EvalReport& r) {
  std::lock_guard lock(mutex_);
  if (r.hasClassification)
    std::printf("%-16s epoch %3d test accuracy %.4f  macro-F1 %.4f  log-loss %.4f\n", r.phase.c_str(), r.epoch,
                r.accuracy, r.macroF1, r.logLoss);
  for (size_t i = 0; i < r.reconstructionErrors.size(); ++i)
    std::printf("%-16s epoch %3d reconstruction error layer %zu: %.4f\n", r.phase.c_str(), r.epoch, i,
                r.reconstructionErrors[i]);
  std::fflush(stdout);
}

void ProgressPrinter::onSteering(const SteeringChange& c) {
  std::lock_guard lock(mutex_);
  std::printf("steering at iteration %lld: %s %s -> %s\n", c.iteration, c.knob.c_str(), c.from.c_str(), c.to.c_str());
}

void ProgressPrinter::onCheckpoint(const std::string& path, long long iteration) {
  std::lock_guard lock(mutex_);
  std::printf("checkpoint written: %s (iteration %lld)\n", path.c_str(), iteration);
  std::fflush(stdout);
}

void ProgressPrinter::onMessage(const std::string& text) {
  std::lock_guard lock(mutex_);
  std::printf("note: %s\n", text.c_str());
  std::fflush(stdout);
}

void ProgressPrinter::onModelStats(const ModelStats& stats) {
  std::lock_guard lock(mutex_);
  statsSeconds_ += stats.computeSeconds;
}
