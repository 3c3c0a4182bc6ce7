#pragma once
// HealthMonitor: turns the loss stream and model statistics into alarms a user should
// see. Pure logic (no widgets), so the rules are unit-testable:
//   - NaN or infinite minibatch loss                     -> alarm
//   - exploding loss: the phase's smoothed loss (EMA, w = 0.9) rises above both
//     kExplodeFactor x its lowest value so far and its value after kWarmup minibatches
//     (where the phase started) -> alarm
//   - plateau: the best epoch-mean loss of the last kPlateauEpochs epochs is not
//     kPlateauGain (relative) below the best before them, and the loss is still above
//     kPlateauStuck x its first epoch (a converged loss levels off too) -> warning
//   - update:parameter ratio of a trained layer outside 10^-5 .. 10^-1 for kRatioStreak
//     statistics in a row -> warning
// Calibrated on the shipped confs (tests/test_ui_health_monitor.cpp): their healthy runs
// reach ratios of 10^-3.8 .. 10^-0.7 in the first statistics and a 10x fall of the loss
// before it levels off; none of them raises anything.
// Each rule reports once per phase (per layer for the ratio), not on every minibatch.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <QString>

#include "train/observer.h"

namespace scaleout::ui {

struct HealthAlarm {
  enum class Level { Warning, Alarm };
  Level level = Level::Warning;
  QString text;
  long long iteration = 0;
};

class HealthMonitor {
 public:
  static constexpr double kExplodeFactor = 10.0;
  static constexpr int kWarmup = 20;
  static constexpr int kPlateauEpochs = 5;
  static constexpr double kPlateauGain = 1e-3;
  static constexpr double kPlateauStuck = 0.5;
  static constexpr int kRatioLow = -5, kRatioHigh = -1;  // log10
  static constexpr int kRatioStreak = 5;

  void reset();
  void startPhase(const std::string& phase);
  std::optional<HealthAlarm> addLoss(long long iteration, double loss);
  std::optional<HealthAlarm> addEpoch(const EpochInfo& epoch);
  std::optional<HealthAlarm> addModelStats(const ModelStats& stats);

 private:
  std::string phase_;
  double ema_ = 0, emaPower_ = 1, emaMin_ = 0;
  double startLevel_ = 0;  // the smoothed loss at the end of the warm-up
  long long seen_ = 0;
  bool nanReported_ = false, explodeReported_ = false, plateauReported_ = false;
  std::vector<double> epochLosses_;
  std::set<std::pair<size_t, int>> ratioReported_;  // (layer, -1 low / +1 high)
  std::map<std::pair<size_t, int>, int> ratioStreak_;  // statistics in a row on that side
};

}  // namespace scaleout::ui
