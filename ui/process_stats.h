#pragma once
// This process's resident memory, read from /proc/self/statm (Linux).
#include <QtGlobal>

namespace scaleout::ui {

qint64 residentBytes();  // -1 where /proc/self/statm cannot be read

}  // namespace scaleout::ui
