// The data panel: loads the conf's data off the GUI thread and shows counts, classes and
// (for image data) a grid of samples per class.
#include <QFile>
#include <QLabel>
#include <QTemporaryDir>
#include <QTextStream>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

#include "conf_editor.h"
#include "data_panel.h"
#include "fixtures/iris_conf.h"
#include "main_window.h"

using namespace scaleout;
using namespace scaleout::ui;

class DataPanelTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void loadsCsvAndShowsCountsAndRows() {
    Conf conf;
    conf.dataset = "csv";
    conf.trainData = fixtures::resourcePath("data/iris.csv").toStdString();
    conf.testFraction = 0.2;
    DataPanel panel;
    panel.setConf(conf);
    QSignalSpy loaded(&panel, &DataPanel::loaded);
    panel.loadData();
    QVERIFY(panel.isLoading());
    QVERIFY(loaded.wait(20000));
    QVERIFY2(loaded.at(0).at(0).toBool(), qPrintable(loaded.at(0).at(1).toString()));
    QVERIFY(!panel.isLoading());
    const QString text = panel.summaryText();
    QVERIFY2(text.contains("120 training samples, 30 test samples, 4 features, 3 classes"), qPrintable(text));
    QVERIFY(panel.sampleGrid().isNull());  // tabular data: rows, not images
    auto* table = panel.findChild<QTableWidget*>("sampleTable");
    QVERIFY(table && !table->isHidden());
    QCOMPARE(table->columnCount(), 5);  // 4 features + label
    QCOMPARE(table->rowCount(), 50);
  }

  // The issue: Fashion-MNIST stayed on the panel after the Iris preset was loaded. Here a
  // small CSV is shown first (loading Fashion-MNIST would take seconds), then the preset.
  void followsALoadedPreset() {
    QTemporaryDir dir;
    const QString csv = dir.filePath("two.csv");
    {
      QFile f(csv);
      QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Text));
      QTextStream out(&f);
      out << "a,b,label\n";
      for (int i = 0; i < 40; ++i) out << i % 7 << "," << i % 5 << "," << i % 2 << "\n";
    }
    MainWindow window;
    window.setRunsRoot(QString());
    Conf c;
    c.dataset = "csv";
    c.trainData = csv.toStdString();
    c.nIn = 2;
    c.nOut = 2;
    c.testFraction = 0.25;
    window.confEditor()->setConf(c);
    DataPanel* panel = window.dataPanel();
    QVERIFY2(panel->summaryText().contains("two.csv"), qPrintable(panel->summaryText()));  // the hint names the source
    QSignalSpy loaded(panel, &DataPanel::loaded);
    panel->loadData();
    QVERIFY(loaded.wait(20000));
    QVERIFY2(panel->summaryText().contains("2 features, 2 classes"), qPrintable(panel->summaryText()));

    QString error;
    QVERIFY2(window.openFile(fixtures::resourcePath("confs/iris-mlp.json"), &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 20000);
    QVERIFY2(loaded.at(1).at(0).toBool(), qPrintable(loaded.at(1).at(1).toString()));
    QVERIFY2(panel->summaryText().contains("120 training samples, 30 test samples, 4 features, 3 classes"),
             qPrintable(panel->summaryText()));
    QCOMPARE(panel->findChild<QTableWidget*>("sampleTable")->columnCount(), 5);
  }

  void aMissingFileIsReportedWithItsName() {
    Conf conf;
    conf.dataset = "csv";
    conf.trainData = "/nonexistent/data.csv";
    DataPanel panel;
    panel.setConf(conf);
    QSignalSpy loaded(&panel, &DataPanel::loaded);
    panel.loadData();
    QVERIFY(loaded.wait(20000));
    QCOMPARE(loaded.at(0).at(0).toBool(), false);
    QVERIFY2(loaded.at(0).at(1).toString().contains("/nonexistent/data.csv"), qPrintable(loaded.at(0).at(1).toString()));
    QVERIFY(panel.summaryText().contains("/nonexistent/data.csv"));
  }

  void imageDataBecomesAGridPerClass() {
    DataSet data;
    data.imageRows = 4;
    data.imageCols = 3;
    data.numClasses = 2;
    data.features = RowMatrix::Zero(10, 12);
    for (int i = 0; i < 10; ++i) {
      data.labels.push_back(i % 2);
      data.features(i, i % 12) = 1.0f;  // one bright pixel per sample
    }
    const QImage grid = DataPanel::renderSampleGrid(data, 3, 2);
    // 3 tiles of 3x4 pixels scaled 2x per row, 2 rows (classes), 2 px gaps.
    QCOMPARE(grid.width(), (3 * 2 + 2) * 3 + 2);
    QCOMPARE(grid.height(), (4 * 2 + 2) * 2 + 2);
    // Sample 0 (class 0) has its bright pixel at (0, 0) of the first tile.
    QCOMPARE(qGray(grid.pixel(2, 2)), 255);
    QCOMPARE(qGray(grid.pixel(4, 2)), 0);
  }
};

QTEST_MAIN(DataPanelTest)
#include "test_ui_data_panel.moc"
