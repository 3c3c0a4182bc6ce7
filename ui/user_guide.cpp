#include "user_guide.h"

#include <QFile>
#include <QObject>

namespace scaleout::ui {

QString userGuideMarkdown() {
  QFile file(QStringLiteral(":/docs/README.md"));
  const QString more = QObject::tr("\n\n---\n\nThe knobs, the data formats, the cluster and the command line are described in "
                                   "the README and in `man scaleout`; `scaleout knobs` lists every knob with its help.");
  if (!file.open(QIODevice::ReadOnly)) return QObject::tr("# Scaleout Studio") + more;
  const QString text = QString::fromUtf8(file.readAll());
  const QString heading = QStringLiteral("## The desktop application");
  const qsizetype begin = text.indexOf(heading);
  if (begin < 0) return text + more;
  qsizetype end = text.indexOf(QStringLiteral("\n## "), begin + heading.size());
  if (end < 0) end = text.size();
  return text.mid(begin, end - begin).trimmed() + more;
}

}  // namespace scaleout::ui
