#pragma once
// The network summary shown under the conf editor: shape line, parameter count and a
// memory estimate, recomputed on every knob change (pure arithmetic, no allocation).
#include <cstddef>

#include <QString>

#include "config/conf.h"

namespace scaleout::ui {

struct NetworkSummary {
  QString shape;              // describeShape(), e.g. "mlp 4-16(relu)-3(softmax)"
  size_t parameters = 0;
  int workers = 1;            // resolved local worker threads
  int buffersPerCopy = 1;     // parameters + momentum buffer + AdaGrad buffer
  double memoryBytes = 0;     // parameters * 4 B * buffersPerCopy * (master + workers)
  QString text() const;       // multi-line, for the summary label
};

NetworkSummary summarizeNetwork(const Conf& conf);
QString formatBytes(double bytes);

}  // namespace scaleout::ui
