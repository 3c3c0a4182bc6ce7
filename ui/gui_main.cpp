#include "gui_main.h"

#include <cstdlib>
#include <iostream>

#include <QApplication>
#include <QFileInfo>
#include <QIcon>
#include <QMessageBox>

#include "main_window.h"
#include "metatypes.h"

namespace scaleout::ui {

namespace {
bool haveDisplay() {
#if defined(Q_OS_LINUX) || defined(Q_OS_FREEBSD)
  // Without a display QApplication aborts; say what to do instead.
  const bool platformChosen = !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
  return platformChosen || !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
#else
  return true;
#endif
}
}  // namespace

int runGui(int argc, char** argv) {
  if (!haveDisplay()) {
    std::cerr << "scaleout: no display for the desktop app (DISPLAY and WAYLAND_DISPLAY are unset).\n"
                 "Run a headless command instead, e.g. `scaleout train CONF.json`, or see `scaleout --help`.\n";
    return 2;
  }
  QApplication app(argc, argv);
  QApplication::setOrganizationName("Scaleout");
  QApplication::setApplicationName("Scaleout Studio");
  QApplication::setApplicationVersion(SCALEOUT_VERSION);
  QApplication::setDesktopFileName("scaleout");
  registerMetaTypes();
  QIcon icon = QIcon::fromTheme("scaleout");
  for (int size : {48, 64, 128}) icon.addFile(QStringLiteral(":/icons/scaleout-%1.png").arg(size), QSize(size, size));
  QApplication::setWindowIcon(icon);

  MainWindow window;
  // `scaleout gui CONF.json`: open that conf.
  const QStringList args = app.arguments();
  for (int i = 1; i < args.size(); ++i) {
    if (args[i] == "gui" || args[i].startsWith('-')) continue;
    QString error;
    if (!window.openFile(args[i], &error) || !error.isEmpty())
      QMessageBox::warning(&window, QObject::tr("Open conf"), error);
    break;
  }
  window.show();
  return app.exec();
}

}  // namespace scaleout::ui
