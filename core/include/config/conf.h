#pragma once
// Conf: every training knob as a plain value type. Fields and defaults are generated
// from knobs.def, so the struct, the registry and the docs cannot drift apart.
#include <string>
#include <vector>

namespace scaleout {

namespace knob_types {
using INT = int;
using REAL = double;
using BOOL = bool;
using TEXT = std::string;
using PATH = std::string;
using CHOICE = std::string;
using INTLIST = std::vector<int>;
using REALLIST = std::vector<double>;
using CHOICELIST = std::vector<std::string>;
}  // namespace knob_types

struct Conf {
#define SCALEOUT_KNOB(kind, name, label, def, group, phase, constraint, help, steer) knob_types::kind name = def;
#include "config/knobs.def"
#undef SCALEOUT_KNOB

  bool operator==(const Conf&) const = default;
};

}  // namespace scaleout
