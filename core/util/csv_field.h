#pragma once
// One CSV field as RFC 4180 writes it: a comma or quote puts the field in quotes and a
// quote doubles. A line break (LF, or a bare CR, which some readers also take as one)
// would split the row, so it becomes a space. For the files a run writes (metrics.csv,
// rounds.csv), whose text fields may hold a user's phase names or a remote worker's id.
#include <string>

namespace scaleout {

std::string csvField(const std::string& text);
// A number as a printf format writes it ("%.6g" for losses, "%.4f" for seconds).
std::string csvNumber(const char* format, double value);

}  // namespace scaleout
