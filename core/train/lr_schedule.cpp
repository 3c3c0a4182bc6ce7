#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace scaleout {

double scheduleFactor(const Conf& conf, RateSchedule schedule, double epochsDone, int phaseEpochs) {
  const double e = std::max(0.0, epochsDone);
  const double warmup = conf.learningRateWarmupEpochs;
  if (warmup > 0 && e < warmup) return e / warmup;
  const double decay = conf.learningRateDecay;
  switch (schedule) {
    case RateSchedule::Step: return std::pow(decay, std::floor(e / conf.learningRateStepEpochs));
    case RateSchedule::Exponential: return std::pow(decay, e);
    case RateSchedule::Inverse: return 1.0 / (1.0 + decay * e);
    case RateSchedule::Cosine: {
      // After the warm-up, half a cosine from 1 down to 0 at the end of the phase.
      const double span = static_cast<double>(phaseEpochs) - warmup;
      if (span <= 0) return 1.0;
      const double t = std::clamp((e - warmup) / span, 0.0, 1.0);
      return 0.5 * (1.0 + std::cos(std::numbers::pi * t));
    }
    case RateSchedule::Constant: break;
  }
  return 1.0;
}

double scheduleFactor(const Conf& conf, double epochsDone, int phaseEpochs) {
  return scheduleFactor(conf, parseChoice<RateSchedule>("learningRateSchedule", conf.learningRateSchedule), epochsDone,
                        phaseEpochs);
}

}  // namespace scaleout
