// Themes and the About box: Dark and Light set a palette whose lightness says which it
// is, charts follow (background, axes, text), System restores the platform's palette,
// the choice is stored; the About text names the versions of the libraries in use.
#include <cstdio>

#include <Eigen/Core>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QLabel>
#include <QSignalSpy>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QToolBar>
#include <QtTest>

#include "about.h"
#include "cluster/cluster_versions.h"
#include "conf_editor.h"
#include "fixtures/iris_conf.h"
#include "series_plot.h"
#include "training_session.h"
#include "main_window.h"
#include "metatypes.h"
#include "monitor_panel.h"
#include "qcustomplot.h"
#include "series_plot.h"
#include "theme.h"
#include "util/versions.h"

using namespace scaleout;
using namespace scaleout::ui;

class ThemeTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_theme");
    QSettings().clear();
    registerMetaTypes();
  }

  void darkLightAndSystem() {
    const QPalette system = QApplication::palette();
    MainWindow window;
    SeriesPlot* loss = window.monitor()->lossPlot();
    QCustomPlot* plot = loss->plot();
    QCOMPARE(storedTheme(), QString("system"));

    window.findChild<QAction*>("theme_dark")->trigger();
    QVERIFY(darkThemeActive());
    QVERIFY(paletteIsDark(QApplication::palette()));
    QCOMPARE(QSettings().value("view/theme").toString(), QString("dark"));
    QCOMPARE(storedTheme(), QString("dark"));
    // The charts follow: dark background, light axes and tick labels.
    QVERIFY(plot->axisRect()->backgroundBrush().color().lightness() < 64);
    QVERIFY(plot->xAxis->tickLabelColor().lightness() > 192);
    QVERIFY(plot->xAxis->basePen().color().lightness() > 192);
    // Including a plot made later (a marker label's box is dark too).
    loss->addMarker(1, "m", Qt::red);
    for (int i = 0; i < plot->itemCount(); ++i)
      if (auto* t = qobject_cast<QCPItemText*>(plot->item(i))) QVERIFY(t->brush().color().lightness() < 64);
    // The evaluation heat map is a QCustomPlot too.
    auto* heat = window.findChild<QCustomPlot*>("confusionMatrix");
    QVERIFY(heat);
    QVERIFY(heat->axisRect()->backgroundBrush().color().lightness() < 64);

    window.findChild<QAction*>("theme_light")->trigger();
    QVERIFY(!darkThemeActive());
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() >= 128);
    QCOMPARE(plot->axisRect()->backgroundBrush().color(), QColor(Qt::white));
    QCOMPARE(plot->xAxis->tickLabelColor(), QColor(Qt::black));

    window.findChild<QAction*>("theme_system")->trigger();
    QCOMPARE(QApplication::palette().color(QPalette::Window), system.color(QPalette::Window));
    QCOMPARE(darkThemeActive(), paletteIsDark(system));
    QCOMPARE(storedTheme(), QString("system"));
  }

  void darkScreenshotAfterARun() {
    MainWindow window;
    window.setRunsRoot(QString());
    window.resize(1400, 860);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    applyTheme("dark");
    Conf c = fixtures::irisCsvConf();
    c.layerSizes = {16};
    c.finetuneEpochs = 20;
    c.batchSize = 10;
    c.threads = 1;
    c.normalize = "zscore";
    c.checkpointEveryEpochs = 0;
    window.confEditor()->setConf(c);
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    window.startAction()->trigger();
    QVERIFY(ended.wait(60000));
    // Widgets styled by a style sheet (the conf editor) follow the new palette too.
    QLabel* label = window.confEditor()->fieldLabel("nIn");
    QVERIFY(label);
    const QImage labelImage = label->grab().toImage();
    int lightest = 0;
    for (int y = 0; y < labelImage.height(); ++y)
      for (int x = 0; x < labelImage.width(); ++x) lightest = std::max(lightest, labelImage.pixelColor(x, y).lightness());
    QVERIFY2(lightest > 200, qPrintable(QString("label text lightness %1 on a dark theme").arg(lightest)));
    // ... on a dark background, and the editor's fields are dark too.
    const QImage editorImage = window.confEditor()->grab().toImage();
    const QPoint corner = label->mapTo(window.confEditor(), QPoint(1, 1));
    QVERIFY2(editorImage.pixelColor(corner).lightness() < 100,
             qPrintable(QString("background lightness %1").arg(editorImage.pixelColor(corner).lightness())));
    QWidget* field = window.confEditor()->field("nIn");
    QVERIFY(field);
    QVERIFY2(field->palette().color(QPalette::Base).lightness() < 100,
             qPrintable(QString("field base lightness %1").arg(field->palette().color(QPalette::Base).lightness())));
    SeriesPlot* loss = window.monitor()->lossPlot();
    loss->replotNow();
    QApplication::processEvents();
    // The curves stay visible on the dark background: the live curve's blue is there.
    const QImage plot = loss->plot()->grab().toImage();
    int curve = 0, dark = 0;
    for (int y = 0; y < plot.height(); y += 2)
      for (int x = 0; x < plot.width(); x += 2) {
        const QColor px = plot.pixelColor(x, y);
        if (px.lightness() < 64) ++dark;
        if (px.blue() > 120 && px.red() < 120) ++curve;
      }
    QVERIFY2(dark > plot.width() * plot.height() / 8, qPrintable(QString::number(dark)));  // mostly dark
    QVERIFY2(curve > 100, qPrintable(QString::number(curve)));
    QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
    if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
    QDir().mkpath(dir);
    QVERIFY(window.grab().save(QDir(dir).filePath("main_window_dark.png")));
    std::printf("THEME: dark loss plot, %d dark and %d curve-coloured sampled pixels\n", dark, curve);
    applyTheme("system");
  }

  // Issue #16: on the dark theme the Start, Pause and Stop icons were black on dark grey.
  void runIconsAreVisibleOnTheDarkTheme() {
    MainWindow window;
    window.resize(1000, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    applyTheme("dark");
    QApplication::processEvents();
    const int background = window.palette().color(QPalette::Window).lightness();
    QVERIFY(background < 100);
    for (QAction* action : {window.startAction(), window.pauseAction(), window.stopAction()}) {
      // The opaque pixels of the icon as the toolbar draws it (enabled look).
      const QImage icon = action->icon().pixmap(QSize(24, 24), QIcon::Normal).toImage();
      long long sum = 0, n = 0;
      for (int y = 0; y < icon.height(); ++y)
        for (int x = 0; x < icon.width(); ++x) {
          const QColor px = icon.pixelColor(x, y);
          if (px.alpha() < 128) continue;
          sum += px.lightness();
          ++n;
        }
      QVERIFY2(n > 20, qPrintable(action->objectName()));
      const int lightness = static_cast<int>(sum / n);
      QVERIFY2(lightness - background > 100,
               qPrintable(QString("%1 icon lightness %2 on a background of %3").arg(action->objectName()).arg(lightness).arg(background)));
    }
    auto* toolbar = window.findChild<QToolBar*>("mainToolBar");
    QVERIFY(toolbar);
    QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
    if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
    QDir().mkpath(dir);
    QVERIFY(toolbar->grab().save(QDir(dir).filePath("toolbar_dark.png")));
    // Back on the light theme the icons are the style's own again (dark on light).
    applyTheme("light");
    QApplication::processEvents();
    const QImage light = window.startAction()->icon().pixmap(QSize(24, 24)).toImage();
    long long sum = 0, n = 0;
    for (int y = 0; y < light.height(); ++y)
      for (int x = 0; x < light.width(); ++x)
        if (light.pixelColor(x, y).alpha() >= 128) {
          sum += light.pixelColor(x, y).lightness();
          ++n;
        }
    QVERIFY(n > 20);
    QVERIFY2(window.palette().color(QPalette::Window).lightness() - sum / n > 100, qPrintable(QString::number(sum / n)));
    QVERIFY(toolbar->grab().save(QDir(dir).filePath("toolbar_light.png")));
    applyTheme("system");
  }

  void storedThemeIsAppliedAtStart() {
    QSettings().setValue("view/theme", "dark");
    {
      MainWindow window;
      QVERIFY(darkThemeActive());
      QVERIFY(window.monitor()->lossPlot()->plot()->axisRect()->backgroundBrush().color().lightness() < 64);
    }
    applyTheme("system");
  }

  void paletteLightnessDecides() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(20, 20, 20));
    QVERIFY(paletteIsDark(p));
    p.setColor(QPalette::Window, QColor(239, 239, 239));
    QVERIFY(!paletteIsDark(p));
  }

  void aboutNamesTheLibraryVersions() {
    const QString text = aboutText();
    QVERIFY2(text.contains(QString("Qt</td><td>%1").arg(qVersion())), qPrintable(text));
    QVERIFY2(text.contains(QString("Eigen</td><td>%1.%2.%3").arg(EIGEN_WORLD_VERSION).arg(EIGEN_MAJOR_VERSION).arg(EIGEN_MINOR_VERSION)),
             qPrintable(text));
    QVERIFY(QRegularExpression("ZeroMQ</td><td>\\d+\\.\\d+\\.\\d+").match(text).hasMatch());
    QVERIFY(QRegularExpression("ZooKeeper C client</td><td>\\d+\\.\\d+\\.\\d+").match(text).hasMatch());
    QVERIFY2(text.contains("QCustomPlot</td><td>" QCUSTOMPLOT_VERSION_STR), qPrintable(text));
    QVERIFY(text.contains(SCALEOUT_VERSION));
    std::printf("ABOUT: Qt %s, Eigen %s, ZeroMQ %s, ZooKeeper %s, QCustomPlot %s\n", qVersion(), eigenVersion().c_str(),
                zeroMqVersion().c_str(), zooKeeperVersion().c_str(), QCUSTOMPLOT_VERSION_STR);
  }
};

QTEST_MAIN(ThemeTest)
#include "test_ui_theme.moc"
