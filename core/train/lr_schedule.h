#pragma once
// Learning-rate schedules (knob learningRateSchedule and its companions): the factor the
// phase's rate is multiplied by at a point of the phase, counted in epochs. Steering and
// learningRateScaling multiply on top; checkpoints keep the unscheduled base rate, since
// the factor follows from the position alone.
#include "config/choices.h"
#include "config/conf.h"

namespace scaleout {

// `epochsDone`: position in the phase, in epochs (fractional: 2.5 = halfway through the
// third epoch); `phaseEpochs`: the phase's length. Returns a factor in [0, 1] for every
// schedule except inverse/exponential/step with a decay above 1, which grow the rate.
// `schedule` is the plan's (learningRateSchedule); its companions come from `conf`.
double scheduleFactor(const Conf& conf, RateSchedule schedule, double epochsDone, int phaseEpochs);
// The same, resolving conf.learningRateSchedule.
double scheduleFactor(const Conf& conf, double epochsDone, int phaseEpochs);

}  // namespace scaleout
