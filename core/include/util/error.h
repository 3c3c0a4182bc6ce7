#pragma once
// The one exception type core throws for problems a user can act on (bad file, bad
// value). Messages name the file or knob, the offending value and what is allowed.
#include <stdexcept>
#include <string>

namespace scaleout {

class ScaleoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace scaleout
