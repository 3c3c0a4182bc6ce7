#pragma once
// Valid confs that will not do what they seem to ask: knobs the chosen algorithm ignores,
// runs that train nothing, layers pretrained and finetuned through different unit
// functions. `scaleout check` prints them and every run reports them at its start.
#include <string>
#include <vector>

#include "config/conf.h"

namespace scaleout {

// One sentence each, naming the knob, its value and what happens instead.
std::vector<std::string> confWarnings(const Conf& conf);

}  // namespace scaleout
