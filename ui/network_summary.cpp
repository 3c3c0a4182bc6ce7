#include "network_summary.h"

#include <vector>

#include <QLocale>

#include "config/plan.h"
#include "util/error.h"

namespace scaleout::ui {

QString formatBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return QString::number(bytes, 'f', u == 0 ? 0 : 1) + " " + units[u];
}

NetworkSummary summarizeNetwork(const Conf& conf) {
  NetworkSummary s;
  std::vector<LayerShape> shape;
  try {
    shape = networkShape(conf);
  } catch (const ScaleoutError& e) {
    // A conf opened with a choice no knob lists (validation says so above the form): the
    // summary names it instead of a shape; it never takes the window down.
    s.shape = QString::fromStdString(std::string("no network: ") + e.what());
    s.workers = resolveThreads(conf.threads);
    return s;
  }
  s.shape = QString::fromStdString(describeShape(conf, shape));
  s.parameters = parameterCount(shape);
  s.workers = resolveThreads(conf.threads);
  // Every copy of the parameters (the master's and one per worker) carries its
  // optimizer buffers: velocity when momentum is on, squared-gradient sums for AdaGrad.
  s.buffersPerCopy = 1 + (conf.momentum > 0 ? 1 : 0) + (conf.useAdaGrad ? 1 : 0);
  s.memoryBytes = static_cast<double>(s.parameters) * 4.0 * s.buffersPerCopy * (1 + s.workers);
  return s;
}

QString NetworkSummary::text() const {
  QString layers = shape;
  return QStringLiteral("%1\n%2 parameters (%3 as float32)\n~%4 for parameters and optimizer buffers of master + %5 worker%6")
      .arg(layers)
      .arg(QLocale::system().toString(static_cast<qulonglong>(parameters)))
      .arg(formatBytes(static_cast<double>(parameters) * 4.0))
      .arg(formatBytes(memoryBytes))
      .arg(workers)
      .arg(workers == 1 ? "" : "s");
}

}  // namespace scaleout::ui
