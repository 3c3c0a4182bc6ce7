// The evaluation view and the filter view: the confusion matrix is drawn with its counts,
// the per-class table holds the report's numbers, a click on a cell lists exactly that
// cell's test samples (predicted off the GUI thread), as images for image data and as
// rows for CSV data; first-layer filters are drawn as normalised tiles.
#include <cmath>
#include <cstdio>

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QListWidget>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include "conf_editor.h"
#include "data/data_source.h"
#include "fixtures/iris_conf.h"
#include "evaluation_view.h"
#include "filter_view.h"
#include "main_window.h"
#include "qcustomplot.h"
#include "training_session.h"

using namespace scaleout;
using namespace scaleout::ui;

namespace {


QString artifactsDir() {
  QString dir = qEnvironmentVariable("SCALEOUT_ARTIFACTS_DIR");
  if (dir.isEmpty()) dir = QDir(QCoreApplication::applicationDirPath()).filePath("../artifacts");
  QDir().mkpath(dir);
  return QDir(dir).absolutePath();
}

EvalReport threeClassReport() {
  EvalReport r;
  r.phase = "finetune";
  r.epoch = 3;
  r.iteration = 120;
  r.hasClassification = true;
  r.classes = 3;
  r.confusion = {{8, 2, 0}, {1, 6, 3}, {0, 0, 10}};
  r.samples = 30;
  r.accuracy = 24.0 / 30.0;
  // precision: col sums 9, 8, 13; recall: row sums 10, 10, 10
  r.precision = {8.0 / 9, 6.0 / 8, 10.0 / 13};
  r.recall = {0.8, 0.6, 1.0};
  for (int c = 0; c < 3; ++c) {
    const double p = r.precision[static_cast<size_t>(c)], q = r.recall[static_cast<size_t>(c)];
    r.f1.push_back(2 * p * q / (p + q));
  }
  r.macroF1 = (r.f1[0] + r.f1[1] + r.f1[2]) / 3;
  return r;
}

Conf irisConf() {
  Conf c = fixtures::smallIrisConf(30);
  c.evalEvery = 5;
  return c;
}

Conf fashionConf() {
  Conf c;
  c.networkClass = "mlp";
  c.dataset = "fashion-mnist";
  c.nIn = 784;
  c.nOut = 10;
  c.layerSizes = {64};
  c.activation = "relu";
  c.finetuneEpochs = 3;
  c.finetuneLearningRate = 0.05;
  c.batchSize = 50;
  c.maxTrainSamples = 3000;
  c.threads = 2;
  c.averagingFrequency = 5;
  c.evalEvery = 1;
  c.statsEvery = 0;
  c.renderWeightEpochs = 1;  // filters after every epoch
  c.checkpointEveryEpochs = 0;
  c.checkpointEveryMinutes = 0;
  return c;
}

// Counts the heat map's cell labels (text items without a background box).
QStringList cellTexts(QCustomPlot* plot) {
  QStringList out;
  for (int i = 0; i < plot->itemCount(); ++i)
    if (auto* t = qobject_cast<QCPItemText*>(plot->item(i))) out << t->text();
  return out;
}

}  // namespace

class EvaluationTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("ScaleoutTest");
    QCoreApplication::setApplicationName("test_ui_evaluation");
    registerMetaTypes();
  }

  void heatMapAndTableShowTheReport() {
    EvaluationView view;
    view.resize(900, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setReport(threeClassReport());
    QVERIFY(view.hasReport());
    QCOMPARE(view.cellCount(1, 2), 3LL);
    QCOMPARE(view.cellCount(2, 2), 10LL);

    // One colour cell per pair, coloured by the share of the actual class.
    auto* map = qobject_cast<QCPColorMap*>(view.heatMap()->plottable(0));
    QVERIFY(map);
    QCOMPARE(map->data()->keySize(), 3);
    QCOMPARE(map->data()->valueSize(), 3);
    QCOMPARE(map->data()->cell(2, 1), 0.3);  // key = predicted 2, value = actual 1: 3 of 10
    QCOMPARE(map->data()->cell(0, 0), 0.8);
    // Every count written in its cell.
    const QStringList texts = cellTexts(view.heatMap());
    QCOMPARE(texts.size(), 9);
    QCOMPARE(texts, (QStringList{"8", "2", "0", "1", "6", "3", "0", "0", "10"}));

    QTableWidget* t = view.metricsTable();
    QCOMPARE(t->rowCount(), 3 + 2);  // classes, macro average, accuracy
    QCOMPARE(t->item(0, 1)->text(), QString("0.8889"));  // precision of class 0: 8/9
    QCOMPARE(t->item(1, 2)->text(), QString("0.6000"));  // recall of class 1
    QCOMPARE(t->item(2, 4)->text(), QString("10"));      // support of class 2
    QCOMPARE(t->item(3, 0)->text(), QString("macro average"));
    QCOMPARE(t->item(3, 2)->text(), QString("0.8000"));  // mean recall
    QCOMPARE(t->item(4, 0)->text(), QString("accuracy"));
    QCOMPARE(t->item(4, 3)->text(), QString("0.8000"));
    QVERIFY2(view.headerText().contains("accuracy <b>0.8000</b>"), qPrintable(view.headerText()));

    // A report without classification (pretraining) leaves the matrix as it was.
    EvalReport pretrain;
    pretrain.reconstructionErrors = {0.1f};
    view.setReport(pretrain);
    QCOMPARE(view.cellCount(1, 2), 3LL);

    // Without data or model, a click explains what is missing instead of listing.
    view.heatMap()->replot();
    QTest::mouseClick(view.heatMap(), Qt::LeftButton, Qt::NoModifier, view.cellCenter(1, 2));
    QVERIFY2(view.drillDownText().contains("Actual 1, predicted 2"), qPrintable(view.drillDownText()));
    QVERIFY2(view.drillDownText().contains("not loaded"), qPrintable(view.drillDownText()));
  }

  void clickingACellListsItsCsvRows() {
    QTemporaryDir dir;
    MainWindow window;
    window.setRunsRoot(dir.filePath("runs"));
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.confEditor()->setConf(irisConf());
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    QSignalSpy evaluations(window.session()->adapter(), &ObserverAdapter::evaluation);
    window.startAction()->trigger();
    QVERIFY(ended.wait(60000));
    QVERIFY(ended.at(0).at(0).toBool());
    QCOMPARE(evaluations.count(), 30 / 5);

    EvaluationView* view = window.evaluationView();
    window.viewTabs()->setCurrentWidget(view);
    QVERIFY(view->hasReport());
    QCOMPARE(view->report().samples, size_t(30));
    view->heatMap()->replot();

    // Every cell: the listed rows are exactly the matrix count (same final model), all
    // of the cell's actual class.
    const auto test = window.session()->testSet();
    QVERIFY(test);
    long long listed = 0;
    for (int a = 0; a < 3; ++a)
      for (int p = 0; p < 3; ++p) {
        QSignalSpy shown(view, &EvaluationView::cellShown);
        QTest::mouseClick(view->heatMap(), Qt::LeftButton, Qt::NoModifier, view->cellCenter(a, p));
        if (shown.isEmpty()) QVERIFY(shown.wait(20000));
        QCOMPARE(shown.at(0).at(0).toInt(), a);
        QCOMPARE(shown.at(0).at(1).toInt(), p);
        QCOMPARE(static_cast<long long>(shown.at(0).at(2).toInt()), view->cellCount(a, p));
        QCOMPARE(static_cast<long long>(view->shownRows().size()), view->cellCount(a, p));
        for (size_t r : view->shownRows()) QCOMPARE(test->labels[r], a);
        listed += static_cast<long long>(view->shownRows().size());
      }
    QCOMPARE(listed, 30LL);
    // Tabular data: feature rows, the test row index first.
    auto* rows = view->findChild<QTableWidget*>("drillDownRows");
    QVERIFY(rows && rows->isVisible());
    QCOMPARE(rows->columnCount(), 4 + 1);
    // As the file has them (#16): the header's names, the line number, the values as read.
    QCOMPARE(rows->horizontalHeaderItem(0)->text(), QString("line"));
    QCOMPARE(rows->horizontalHeaderItem(1)->text(), QString("sepal_length"));
    QCOMPARE(rows->horizontalHeaderItem(4)->text(), QString("petal_width"));
    QVERIFY(rows->rowCount() > 0);  // the last cell clicked, (2, 2)
    QFile csv(fixtures::resourcePath("data/iris.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList fileLines = QString::fromUtf8(csv.readAll()).split('\n');
    for (int i = 0; i < rows->rowCount(); ++i) {
      const int line = rows->item(i, 0)->text().toInt();
      QVERIFY2(line >= 2 && line <= fileLines.size(), qPrintable(rows->item(i, 0)->text()));
      const QStringList cells = fileLines[line - 1].trimmed().split(',');
      QCOMPARE(cells.size(), 5);
      QCOMPARE(cells[4].toInt(), 2);  // the cell's actual class
      for (int c = 0; c < 4; ++c) QCOMPARE(rows->item(i, c + 1)->text(), QString::number(cells[c].toDouble()));
    }
    std::printf("EVALUATION: iris accuracy %.4f, drill-down listed %lld rows over 9 cells\n", view->report().accuracy, listed);

    // The run's saved model, opened for evaluation: the same numbers, and a drill-down.
    const double accuracy = view->report().accuracy;
    const auto confusion = view->report().confusion;
    const QString model = QDir(window.session()->runDirectory()).filePath("model.bin");
    QVERIFY(QFile::exists(model));
    QSignalSpy evaluated(&window, &MainWindow::modelEvaluated);
    window.viewTabs()->setCurrentIndex(0);
    QVERIFY(window.evaluateModelFile(model));
    QVERIFY(!window.evaluateModelFile(model));  // one at a time
    QVERIFY(evaluated.wait(30000));
    QVERIFY2(evaluated.at(0).at(0).toBool(), qPrintable(evaluated.at(0).at(1).toString()));
    QVERIFY2(evaluated.at(0).at(1).toString().contains(QString("test accuracy %1").arg(accuracy, 0, 'f', 4)),
             qPrintable(evaluated.at(0).at(1).toString()));
    QCOMPARE(window.viewTabs()->currentWidget(), view);
    QCOMPARE(view->report().confusion, confusion);
    QVERIFY2(view->headerText().contains("model.bin"), qPrintable(view->headerText()));
    // A model file does not know its iteration: no "(iteration 0)".
    QVERIFY2(!view->headerText().contains("iteration 0"), qPrintable(view->headerText()));
    QSignalSpy shown(view, &EvaluationView::cellShown);
    view->showCell(1, 1);
    QVERIFY(shown.wait(20000));
    QVERIFY2(view->drillDownText().contains("the model file model.bin"), qPrintable(view->drillDownText()));
    QCOMPARE(static_cast<long long>(view->shownRows().size()), view->cellCount(1, 1));

    evaluated.clear();
    QVERIFY(window.evaluateModelFile("/nonexistent/model.bin"));
    QVERIFY(evaluated.wait(10000));
    QCOMPARE(evaluated.at(0).at(0).toBool(), false);
    QVERIFY2(evaluated.at(0).at(1).toString().contains("/nonexistent/model.bin"), qPrintable(evaluated.at(0).at(1).toString()));
  }

  void duringARunTheDrillDownUsesTheLatestCheckpoint() {
    QTemporaryDir dir;
    MainWindow window;
    window.setRunsRoot(dir.filePath("runs"));
    Conf conf = irisConf();
    conf.finetuneEpochs = 400;  // long enough to pause in the middle
    conf.evalEvery = 1;
    conf.checkpointEveryEpochs = 1;
    window.confEditor()->setConf(conf);
    QSignalSpy checkpoints(window.session()->adapter(), &ObserverAdapter::checkpoint);
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    window.startAction()->trigger();
    QVERIFY(checkpoints.wait(30000));
    window.session()->pause();
    QTRY_VERIFY_WITH_TIMEOUT(window.evaluationView()->hasReport(), 10000);
    QVERIFY(window.session()->isRunning());

    EvaluationView* view = window.evaluationView();
    QSignalSpy shown(view, &EvaluationView::cellShown);
    view->showCell(0, 0);
    QVERIFY(shown.wait(20000));
    // A newer checkpoint may start its own prediction of the listed cell ("predicting ..."):
    // wait for the listing, not for the first signal.
    QTRY_VERIFY2_WITH_TIMEOUT(view->drillDownText().contains("predicted by the checkpoint at iteration"),
                              qPrintable(view->drillDownText()), 20000);
    QVERIFY(!view->shownRows().empty());
    for (size_t r : view->shownRows()) QCOMPARE(window.session()->testSet()->labels[r], 0);

    // The run ends: the same cell is listed again with the final model.
    shown.clear();
    window.stopAction()->trigger();
    QVERIFY(ended.wait(30000));
    // A checkpoint's listing may come first (the drill-down follows each checkpoint); the
    // last one is the final model's.
    QTRY_VERIFY2_WITH_TIMEOUT(view->drillDownText().contains("the model when the run stopped"), qPrintable(view->drillDownText()),
                              20000);
    QVERIFY(shown.count() >= 1);
  }

  // Issue #16: during a run the matrix refreshed under a listed cell and the two disagreed
  // (128 listed against a count of 99). The cell and its list now come from one snapshot.
  void theListedCellAndItsCountComeFromOneSnapshot() {
    TrainingSession session;
    QSignalSpy ended(&session, &TrainingSession::ended);
    QVERIFY(session.start(irisConf(), SessionOptions{}));
    QVERIFY(ended.wait(60000));
    QVERIFY(ended.at(0).at(0).toBool());
    auto model = std::make_shared<const ModelFile>(*session.lastModel());
    const auto test = session.testSet();
    QVERIFY(test);
    const std::vector<int> predictions = predictClasses(*model, *test);
    // The report of the model's parameters, and a later one with another count in cell (0,0).
    EvalReport matching = threeClassReport();
    matching.epoch = 30;
    matching.samples = test->size();
    matching.confusion.assign(3, std::vector<long long>(3, 0));
    for (size_t r = 0; r < test->size(); ++r) ++matching.confusion[static_cast<size_t>(test->labels[r])][static_cast<size_t>(predictions[r])];
    const long long count = matching.confusion[0][0];
    QVERIFY(count >= 2);
    EvalReport newer = matching;
    newer.epoch = 31;
    newer.confusion[0][0] -= 1;
    newer.confusion[0][1] += 1;

    EvaluationView view;
    view.resize(900, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setTestData(test);
    view.setReport(matching);
    view.setModel(model, "the final model");
    QSignalSpy shown(&view, &EvaluationView::cellShown);
    view.showCell(0, 0);
    QVERIFY(shown.wait(20000));
    QCOMPARE(static_cast<long long>(view.shownRows().size()), count);
    QCOMPARE(view.cellCount(0, 0), count);

    // The matrix refreshes while the list is shown: the cell keeps the list's snapshot,
    // and the drill-down says a newer evaluation is waiting.
    view.setReport(newer);
    QCOMPARE(view.cellCount(0, 0), static_cast<long long>(view.shownRows().size()));
    QCOMPARE(view.report().epoch, 30);
    QCOMPARE(view.latestReport().epoch, 31);
    QVERIFY2(view.drillDownText().contains("a newer evaluation (finetune, epoch 31)"), qPrintable(view.drillDownText()));
    QVERIFY(cellTexts(view.heatMap()).contains(QString::number(count)));
    // Clearing the selection shows the newest evaluation.
    view.clearSelection();
    QCOMPARE(view.report().epoch, 31);
    QCOMPARE(view.cellCount(0, 0), count - 1);

    // A list predicted with parameters no received report describes: the matrix shows the
    // counts of those very predictions.
    view.clear();
    view.setTestData(test);
    view.setReport(newer);
    view.setModel(model, "the final model");
    shown.clear();
    view.showCell(0, 0);
    QVERIFY(shown.wait(20000));
    QCOMPARE(static_cast<long long>(view.shownRows().size()), count);
    QCOMPARE(view.cellCount(0, 0), count);
    QCOMPARE(view.report().confusion, matching.confusion);
    QVERIFY2(view.headerText().contains("predicted by the final model"), qPrintable(view.headerText()));
    QVERIFY2(!view.headerText().contains("log loss"), qPrintable(view.headerText()));

    // During a run (checkpoints): a list on screen is predicted again with each new
    // checkpoint, and the matrix moves to that checkpoint's snapshot with it.
    QTemporaryDir dir;
    const QString first = dir.filePath("checkpoint-10.bin"), second = dir.filePath("checkpoint-20.bin");
    writeModelFile(first.toStdString(), *model);
    writeModelFile(second.toStdString(), *model);
    view.clear();
    view.setTestData(test);
    view.setReport(matching);
    view.setCheckpoint(first, 10);
    shown.clear();
    view.showCell(0, 0);
    QVERIFY(shown.wait(20000));
    QVERIFY2(view.drillDownText().contains("checkpoint at iteration 10"), qPrintable(view.drillDownText()));
    view.setReport(newer);  // the matrix stays on the listed snapshot
    QCOMPARE(view.cellCount(0, 0), count);
    shown.clear();
    view.setCheckpoint(second, 20);
    QVERIFY(shown.wait(20000));
    QVERIFY2(view.drillDownText().contains("checkpoint at iteration 20"), qPrintable(view.drillDownText()));
    QCOMPARE(view.cellCount(0, 0), static_cast<long long>(view.shownRows().size()));
  }

  void imageDataShowsMisclassifiedImagesAndFilters() {
    if (!QFile::exists(QString(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz")) QSKIP("Fashion-MNIST not installed");
    QTemporaryDir dir;
    MainWindow window;
    window.setRunsRoot(dir.filePath("runs"));
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.confEditor()->setConf(fashionConf());
    QSignalSpy ended(window.session(), &TrainingSession::ended);
    QSignalSpy filters(window.session()->adapter(), &ObserverAdapter::filters);
    window.startAction()->trigger();
    QVERIFY(ended.wait(120000));
    QVERIFY2(ended.at(0).at(0).toBool(), qPrintable(ended.at(0).at(1).toString()));

    // Filters: one snapshot per epoch arrived and was drawn, then the final model's.
    QCOMPARE(filters.count(), 3);
    FilterView* fv = window.filterView();
    QCOMPARE(fv->updates(), 3 + 1);
    // 64 units in an 8 x 8 grid of 28 x 28 tiles at 2 px per weight, 2 px gaps.
    QCOMPARE(fv->image().size(), QSize(2 + 8 * (56 + 2), 2 + 8 * (56 + 2)));
    QVERIFY2(fv->captionText().contains("64 of 64 hidden units, 28 x 28"), qPrintable(fv->captionText()));

    EvaluationView* view = window.evaluationView();
    QVERIFY(view->hasReport());
    QCOMPARE(view->report().samples, size_t(10000));
    QCOMPARE(view->metricsTable()->item(0, 0)->text(), QString("0 T-shirt/top"));
    window.viewTabs()->setCurrentWidget(view);
    view->heatMap()->replot();

    // The most confused off-diagonal pair (shirts vs T-shirts, typically).
    int ba = 0, bp = 1;
    for (int a = 0; a < 10; ++a)
      for (int p = 0; p < 10; ++p)
        if (a != p && view->cellCount(a, p) > view->cellCount(ba, bp)) ba = a, bp = p;
    QVERIFY(view->cellCount(ba, bp) > 0);
    QSignalSpy shown(view, &EvaluationView::cellShown);
    view->showCell(ba, bp);
    QVERIFY(view->isPredicting());  // the 10000 predictions run off the GUI thread
    QVERIFY(shown.wait(30000));
    const long long count = view->cellCount(ba, bp);
    QCOMPARE(static_cast<long long>(shown.at(0).at(2).toInt()), count);
    auto* images = view->findChild<QListWidget*>("drillDownImages");
    QVERIFY(images && images->isVisible());
    QCOMPARE(static_cast<long long>(images->count()), std::min<long long>(count, EvaluationView::kMaxListed));
    QVERIFY(!images->item(0)->icon().isNull());
    QVERIFY2(view->drillDownText().contains("misclassified"), qPrintable(view->drillDownText()));
    std::printf("EVALUATION: fashion accuracy %.4f; cell (%d, %d) holds %lld misclassified samples\n",
                view->report().accuracy, ba, bp, count);

    QApplication::processEvents();
    // The last column's rotated label ("Ankle boot") fits inside the heat map (issue #16).
    QCustomPlot* heat = view->heatMap();
    heat->replot();
    const QFontMetrics fm(heat->xAxis->tickLabelFont());
    const double lastTick = heat->xAxis->coordToPixel(9);
    const double reach = lastTick + fm.horizontalAdvance("Ankle boot") * std::cos(heat->xAxis->tickLabelRotation() * M_PI / 180.0);
    QVERIFY2(reach <= heat->width(), qPrintable(QString("label reaches %1 px of %2").arg(reach).arg(heat->width())));
    QVERIFY(window.viewTabs()->grab().save(QDir(artifactsDir()).filePath("evaluation_view.png")));
    window.viewTabs()->setCurrentWidget(fv);
    QApplication::processEvents();
    QVERIFY(window.viewTabs()->grab().save(QDir(artifactsDir()).filePath("filter_view.png")));
  }

  void filterTilesAreNormalisedAndNonImagesAreNoted() {
    FilterSnapshot f;
    f.rows = 16;  // a 4 x 4 input
    f.cols = 3;
    f.epoch = 2;
    for (int unit = 0; unit < 3; ++unit)
      for (int i = 0; i < 16; ++i) f.weights.push_back(static_cast<float>((unit + 1) * (i - 5)));
    const QImage image = FilterView::render(f, 4, 4, 400, 1);
    // 3 tiles in a 2 x 2 grid of 4 x 4 tiles, 2 px gaps.
    QCOMPARE(image.size(), QSize(2 + 2 * 6, 2 + 2 * 6));
    // Each tile spans black..white whatever its scale: unit 0's lowest weight, unit 1's highest.
    QCOMPARE(image.pixel(2, 2), qRgb(0, 0, 0));
    QCOMPARE(image.pixel(2 + 6 + 3, 2 + 3), qRgb(255, 255, 255));
    QCOMPARE(image.pixel(0, 0), QColor(70, 110, 160).rgb());  // the gap colour

    FilterView view;
    f.rows = 5;  // not a square, no image shape known
    f.weights.assign(15, 0.5f);
    view.setFilters(f);
    QVERIFY(view.image().isNull());
    QVERIFY2(view.captionText().contains("5 inputs, which are not an image"), qPrintable(view.captionText()));
    // A known image shape wins over the square guess.
    f.rows = 6;
    f.weights.assign(18, 0.5f);
    view.setImageShape(2, 3);
    view.setFilters(f);
    // Tiles of small images are drawn larger: 48 px on the longer side (x16 here).
    QCOMPARE(view.image().size(), QSize(2 + 2 * (48 + 2), 2 + 2 * (32 + 2)));
  }

  // Issue #16: Iris's filters were 16 tiles of 2 x 2 pixels drawn at actual size. A square
  // guessed from a few tabular inputs is not an image; small images are scaled up.
  void smallTilesAreScaledUpAndTablesAreNotImages() {
    FilterView view;
    view.resize(640, 480);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    FilterSnapshot iris;
    iris.rows = 4;  // four features, 16 hidden units
    iris.cols = 16;
    iris.epoch = 200;
    for (int i = 0; i < 4 * 16; ++i) iris.weights.push_back(static_cast<float>(i % 7) - 3.0f);
    view.setFilters(iris);
    QVERIFY(view.image().isNull());
    QVERIFY2(view.captionText().contains("4 inputs, which are not an image"), qPrintable(view.captionText()));
    QVERIFY2(view.captionText().contains("Filters need image-shaped input"), qPrintable(view.captionText()));
    QVERIFY(view.grab().save(QDir(artifactsDir()).filePath("filters_iris.png")));

    // 8 x 8 digits (64 inputs, no shape from the data): a square, drawn 6 times larger.
    FilterSnapshot digits;
    digits.rows = 64;
    digits.cols = 4;
    for (int u = 0; u < 4; ++u)
      for (int i = 0; i < 64; ++i) digits.weights.push_back(static_cast<float>((i % 8) * (u + 1) - i / 8));
    view.setFilters(digits);
    QVERIFY(!view.image().isNull());
    QCOMPARE(view.image().size(), QSize(2 + 2 * (48 + 2), 2 + 2 * (48 + 2)));
    QVERIFY2(view.captionText().contains("8 x 8 each"), qPrintable(view.captionText()));
    QVERIFY2(view.captionText().contains("drawn 6 times larger"), qPrintable(view.captionText()));
    // 28 x 28 images keep 2 pixels per weight.
    FilterSnapshot fashion;
    fashion.rows = 784;
    fashion.cols = 1;
    fashion.weights.assign(784, 0.1f);
    fashion.weights[0] = -1.0f;
    view.setFilters(fashion);
    QCOMPARE(view.image().size(), QSize(2 + 56 + 2, 2 + 56 + 2));
    view.setFilters(digits);
    QVERIFY(view.grab().save(QDir(artifactsDir()).filePath("filters_8x8.png")));
  }
};

QTEST_MAIN(EvaluationTest)
#include "test_ui_evaluation.moc"
