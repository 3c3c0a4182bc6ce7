#include "about.h"

#include <QObject>
#include <QtGlobal>

#include "cluster/cluster_versions.h"
#include "qcustomplot.h"
#include "util/versions.h"

namespace scaleout::ui {

QString aboutText() {
  QString rows;
  auto row = [&rows](const QString& name, const QString& version) {
    rows += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>").arg(name.toHtmlEscaped(), version.toHtmlEscaped());
  };
  row(QStringLiteral("Qt"), QObject::tr("%1 (built with %2)").arg(QString(qVersion()), QStringLiteral(QT_VERSION_STR)));
  for (const auto& [name, version] : libraryVersions(clusterLibraryVersions()))
    row(QString::fromStdString(name), QString::fromStdString(version));
#ifdef QCUSTOMPLOT_VERSION_STR
  row(QStringLiteral("QCustomPlot"), QStringLiteral(QCUSTOMPLOT_VERSION_STR));
#endif
  return QObject::tr("<h3>Scaleout Studio %1</h3><p>Train neural networks by iterative reduce, on this machine's "
                     "threads or on a cluster of headless workers.</p><table cellspacing='4'>%2</table>"
                     "<p>QCustomPlot is GPLv3; see the package's copyright file for all licences.</p>")
      .arg(QStringLiteral(SCALEOUT_VERSION), rows);
}

}  // namespace scaleout::ui
