#include "util/csv_field.h"

#include <cstdio>

namespace scaleout {

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += "\"\"";
    else
      out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out + "\"";
}

std::string csvNumber(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

}  // namespace scaleout
