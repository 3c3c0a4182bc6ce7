#pragma once
// nIn and nOut default to Fashion-MNIST's 784 and 10. A parsed Conf cannot tell "left out"
// from "set to 784", so callers say which of the two the user gave (a key in the conf
// file, a --set); the ones not given are taken from the loaded data here.
#include <string>
#include <vector>

#include "config/conf.h"
#include "data/data_source.h"

namespace scaleout {

struct GivenShape {
  bool nIn = false;
  bool nOut = false;
};

// nIn = the data's features; nOut = its classes, for classifier stacks only (a single
// layer's nOut is its hidden width, the user's choice). Knobs given explicitly are kept,
// so a mismatch stays the error that names the knob. Returns one note per knob taken.
std::vector<std::string> takeShapeFromData(Conf& conf, const TrainTestData& data, GivenShape given);

}  // namespace scaleout
