#pragma once
// The knob registry: one KnobSpec per line of knobs.def, in declaration order.
#include <string_view>
#include <vector>

#include "config/knob.h"

namespace scaleout {

const std::vector<KnobSpec>& knobRegistry();
const KnobSpec* findKnob(std::string_view name);
// The registered knob names closest to `name` (for "did you mean" hints).
std::string closestKnobName(std::string_view name);

}  // namespace scaleout
