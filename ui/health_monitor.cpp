#include "health_monitor.h"

#include <algorithm>
#include <cmath>

namespace scaleout::ui {

void HealthMonitor::reset() {
  startPhase("");
  ratioReported_.clear();
}

void HealthMonitor::startPhase(const std::string& phase) {
  phase_ = phase;
  ema_ = 0;
  emaPower_ = 1;
  emaMin_ = 0;
  startLevel_ = 0;
  seen_ = 0;
  nanReported_ = explodeReported_ = plateauReported_ = false;
  epochLosses_.clear();
  ratioReported_.clear();
  ratioStreak_.clear();
}

std::optional<HealthAlarm> HealthMonitor::addLoss(long long iteration, double loss) {
  if (!std::isfinite(loss)) {
    if (nanReported_) return std::nullopt;
    nanReported_ = true;
    return HealthAlarm{HealthAlarm::Level::Alarm,
                       QStringLiteral("Loss is %1 at iteration %2 (%3): lower the learning rate.")
                           .arg(std::isnan(loss) ? "NaN" : "infinite")
                           .arg(iteration)
                           .arg(QString::fromStdString(phase_)),
                       iteration};
  }
  constexpr double w = 0.9;
  ema_ = w * ema_ + (1 - w) * loss;
  emaPower_ *= w;
  const double smoothed = ema_ / (1 - emaPower_);
  ++seen_;
  if (seen_ <= kWarmup) {
    emaMin_ = seen_ == 1 ? smoothed : std::min(emaMin_, smoothed);
    startLevel_ = smoothed;
    return std::nullopt;
  }
  emaMin_ = std::min(emaMin_, smoothed);
  // Divergence, not noise on a small loss: above kExplodeFactor x the minimum AND above
  // where the phase started. A converged loss of 0.008 bouncing to 0.08 is 10x its minimum
  // but far below the start (that was reported as "Exploding loss" on the Iris preset).
  if (!explodeReported_ && emaMin_ > 0 && smoothed > kExplodeFactor * emaMin_ && smoothed > startLevel_) {
    explodeReported_ = true;
    return HealthAlarm{HealthAlarm::Level::Alarm,
                       QStringLiteral("Exploding loss at iteration %1 (%2): smoothed loss %3 is %4x its minimum %5.")
                           .arg(iteration)
                           .arg(QString::fromStdString(phase_))
                           .arg(smoothed, 0, 'g', 4)
                           .arg(smoothed / emaMin_, 0, 'f', 1)
                           .arg(emaMin_, 0, 'g', 4),
                       iteration};
  }
  return std::nullopt;
}

std::optional<HealthAlarm> HealthMonitor::addEpoch(const EpochInfo& epoch) {
  if (!std::isfinite(epoch.meanLoss)) return std::nullopt;
  epochLosses_.push_back(epoch.meanLoss);
  const size_t n = epochLosses_.size();
  if (plateauReported_ || n <= static_cast<size_t>(kPlateauEpochs)) return std::nullopt;
  const double before = *std::min_element(epochLosses_.begin(), epochLosses_.end() - kPlateauEpochs);
  const double recent = *std::min_element(epochLosses_.end() - kPlateauEpochs, epochLosses_.end());
  // A loss that has already fallen well below its first epoch and levels off has
  // converged (every shipped preset does, Iris from epoch ~25 of 200): only a phase stuck
  // near where it started is a plateau worth a warning.
  const bool stillHigh = std::min(before, recent) > kPlateauStuck * epochLosses_.front();
  if (stillHigh && recent > before - kPlateauGain * std::fabs(before)) {
    plateauReported_ = true;
    return HealthAlarm{HealthAlarm::Level::Warning,
                       QStringLiteral("Plateau in %1: no improvement of the epoch loss over the last %2 epochs (best %3).")
                           .arg(QString::fromStdString(epoch.phase))
                           .arg(kPlateauEpochs)
                           .arg(std::min(before, recent), 0, 'g', 4),
                       epoch.iteration};
  }
  return std::nullopt;
}

std::optional<HealthAlarm> HealthMonitor::addModelStats(const ModelStats& stats) {
  std::optional<HealthAlarm> alarm;
  for (const LayerStats& layer : stats.layers) {
    if (!(layer.updateRatio > 0)) continue;  // layer not trained in this phase
    const double l = std::log10(layer.updateRatio);
    const int side = l < kRatioLow ? -1 : (l > kRatioHigh ? 1 : 0);
    // Only a ratio that stays out of the band counts: right after initialisation the
    // weights are small and every preset's first updates are large relative to them.
    int& streak = ratioStreak_[{layer.layer, side}];
    ratioStreak_[{layer.layer, -side}] = 0;
    if (side == 0) continue;
    ++streak;
    if (alarm || streak < kRatioStreak || ratioReported_.count({layer.layer, side})) continue;
    ratioReported_.insert({layer.layer, side});
    alarm = HealthAlarm{HealthAlarm::Level::Warning,
                        QStringLiteral("Layer %1: log10 update:parameter ratio %2 at iteration %3 has been %4 the "
                                       "healthy range %5..%6 for %7 statistics in a row (learning rate too %8).")
                            .arg(layer.layer)
                            .arg(l, 0, 'f', 2)
                            .arg(stats.iteration)
                            .arg(side < 0 ? "below" : "above")
                            .arg(kRatioLow)
                            .arg(kRatioHigh)
                            .arg(kRatioStreak)
                            .arg(side < 0 ? "low" : "high"),
                        stats.iteration};
  }
  return alarm;
}

}  // namespace scaleout::ui
