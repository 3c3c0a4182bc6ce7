#pragma once
// How cluster components report events: one line per call, without a trailing newline.
// The sink may be called from any of the component's threads; it must be thread-safe.
#include <functional>
#include <string>

namespace scaleout::cluster {

using LogFn = std::function<void(const std::string& line)>;

}  // namespace scaleout::cluster
