#include "evaluation_view.h"

#include <algorithm>
#include <cmath>

#include <QFontMetrics>
#include <QHeaderView>
#include <QMouseEvent>
#include <QLabel>
#include <QListWidget>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include "config/choices.h"
#include "nn/network.h"
#include "qcustomplot.h"
#include "sample_image.h"
#include "train/evaluation.h"

namespace scaleout::ui {

namespace {
constexpr int kMaxCellLabels = 30;  // beyond this many classes the counts would not fit
constexpr int kMaxFeatureColumns = 30;
constexpr size_t kRecentReports = 64;

// The confusion matrix of `predictions` against the labels, and its metrics: what the
// matrix shows when no received report was computed with the list's parameters.
EvalReport reportFromPredictions(const std::vector<int>& predictions, const DataSet& test, int classes) {
  EvalReport r;
  const size_t rows = std::min(predictions.size(), test.size());
  for (size_t i = 0; i < rows; ++i) classes = std::max({classes, test.labels[i] + 1, predictions[i] + 1});
  const auto n = static_cast<size_t>(classes);
  r.hasClassification = true;
  r.classes = classes;
  r.samples = rows;
  r.confusion.assign(n, std::vector<long long>(n, 0));
  for (size_t i = 0; i < rows; ++i)
    ++r.confusion[static_cast<size_t>(test.labels[i])][static_cast<size_t>(predictions[i])];
  long long correct = 0;
  for (size_t c = 0; c < n; ++c) {
    long long actual = 0, predicted = 0;
    for (size_t o = 0; o < n; ++o) {
      actual += r.confusion[c][o];
      predicted += r.confusion[o][c];
    }
    const auto hit = static_cast<double>(r.confusion[c][c]);
    correct += r.confusion[c][c];
    const double p = predicted > 0 ? hit / static_cast<double>(predicted) : 0.0;
    const double q = actual > 0 ? hit / static_cast<double>(actual) : 0.0;
    r.precision.push_back(p);
    r.recall.push_back(q);
    r.f1.push_back(p + q > 0 ? 2 * p * q / (p + q) : 0.0);
    r.macroF1 += r.f1.back() / static_cast<double>(n);
  }
  r.accuracy = rows > 0 ? static_cast<double>(correct) / static_cast<double>(rows) : 0.0;
  r.logLoss = std::nan("");
  return r;
}

QCPColorGradient blues() {
  QCPColorGradient g;
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setColorStopAt(0.0, QColor(247, 251, 255));
  g.setColorStopAt(0.35, QColor(158, 202, 225));
  g.setColorStopAt(0.7, QColor(49, 130, 189));
  g.setColorStopAt(1.0, QColor(8, 48, 107));
  return g;
}

QTableWidgetItem* numberItem(double v, int decimals = 4) {
  auto* item = new QTableWidgetItem(QString::number(v, 'f', decimals));
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}
}  // namespace

std::vector<int> predictClasses(const ModelFile& model, const DataSet& data) {
  const NetworkLayout layout(model.conf);
  const Eigen::MatrixXf probs = predictProbabilities(model.conf, layout, model.params, data.features);
  std::vector<int> out(static_cast<size_t>(probs.rows()));
  for (Eigen::Index r = 0; r < probs.rows(); ++r) {
    Eigen::Index c = 0;
    probs.row(r).maxCoeff(&c);
    out[static_cast<size_t>(r)] = static_cast<int>(c);
  }
  return out;
}

QStringList classNamesFor(const std::string& dataset, const std::vector<std::string>& dataNames) {
  QStringList names;
  for (const std::string& name : dataNames) names << QString::fromStdString(name);
  if (names.isEmpty() && choiceFromName<DataSourceKind>(dataset) == DataSourceKind::FashionMnist) names = fashionMnistClassNames();
  return names;
}

QStringList fashionMnistClassNames() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

EvaluationView::EvaluationView(QWidget* parent)
    : QWidget(parent),
      header_(new QLabel),
      plot_(new QCustomPlot),
      table_(new QTableWidget),
      drillHeader_(new QLabel),
      drillStack_(new QStackedWidget),
      images_(new QListWidget),
      rows_(new QTableWidget) {
  setObjectName("evaluationView");
  header_->setObjectName("evaluationHeader");
  header_->setWordWrap(true);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  plot_->setObjectName("confusionMatrix");
  plot_->setMinimumSize(280, 240);
  plot_->setToolTip(tr("Rows: actual class, columns: predicted class. Colour: share of the actual class; "
                       "the number is the count. Click a cell to list its test samples."));
  plot_->xAxis->setLabel(tr("predicted"));
  plot_->yAxis->setLabel(tr("actual"));
  plot_->yAxis->setRangeReversed(true);  // row 0 at the top, as a matrix is read
  plot_->xAxis->grid()->setVisible(false);
  plot_->yAxis->grid()->setVisible(false);
  connect(plot_, &QCustomPlot::mousePress, this, &EvaluationView::onPlotClicked);

  table_->setObjectName("classMetrics");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setColumnCount(5);
  table_->setHorizontalHeaderLabels({tr("Class"), tr("Precision"), tr("Recall"), tr("F1"), tr("Support")});
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

  drillHeader_->setObjectName("drillDownHeader");
  drillHeader_->setWordWrap(true);
  drillHeader_->setText(tr("Click a cell of the confusion matrix to see its test samples."));
  images_->setObjectName("drillDownImages");
  images_->setViewMode(QListView::IconMode);
  images_->setIconSize(QSize(56, 56));
  images_->setGridSize(QSize(72, 80));
  images_->setResizeMode(QListView::Adjust);
  images_->setMovement(QListView::Static);
  rows_->setObjectName("drillDownRows");
  rows_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  drillStack_->addWidget(images_);
  drillStack_->addWidget(rows_);

  auto* drill = new QWidget;
  auto* dl = new QVBoxLayout(drill);
  dl->setContentsMargins(0, 0, 0, 0);
  dl->addWidget(drillHeader_);
  dl->addWidget(drillStack_, 1);

  auto* top = new QSplitter(Qt::Horizontal);
  top->addWidget(plot_);
  top->addWidget(table_);
  top->setStretchFactor(0, 3);
  top->setStretchFactor(1, 2);
  top->setSizes({600, 400});  // the heat map gets the larger share
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(top);
  split->addWidget(drill);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(header_);
  layout->addWidget(split, 1);
  clear();
}

EvaluationView::~EvaluationView() {
  if (job_) {
    job_->wait();
    delete job_;
  }
}

void EvaluationView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  plot_->setBufferDevicePixelRatio(devicePixelRatioF());  // sharp on high-DPI screens
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void EvaluationView::clear() {
  report_ = EvalReport{};
  latest_ = EvalReport{};
  recent_.clear();
  pinned_ = false;
  // The names belong to the data: a run that fails before loading any must not keep the
  // last run's (Fashion-MNIST names on an Iris conf, #16).
  classNames_.clear();
  test_.reset();
  model_.reset();
  modelLabel_.clear();
  checkpointPath_.clear();
  checkpointIteration_ = -1;
  predictions_.reset();
  predictionsKey_.clear();
  wantedKey_.clear();
  cellActual_ = cellPredicted_ = -1;
  shownRows_.clear();
  header_->setText(tr("No evaluation yet: the test set is evaluated every evalEvery epochs and at the end of a run."));
  drillHeader_->setText(tr("Click a cell of the confusion matrix to see its test samples."));
  images_->clear();
  rows_->clear();
  rows_->setRowCount(0);
  rows_->setColumnCount(0);
  rebuildHeatMap();
  rebuildTable();
}

void EvaluationView::setClassNames(const QStringList& names) {
  classNames_ = names;
  rebuildHeatMap();
  rebuildTable();
}

QString EvaluationView::className(int c) const {
  const QString name = classNames_.value(c);
  return name.isEmpty() ? QString::number(c) : QStringLiteral("%1 %2").arg(c).arg(name);
}

void EvaluationView::setReport(const EvalReport& report) {
  if (!report.hasClassification || report.classes <= 0) return;
  latest_ = report;
  recent_.push_back(report);
  if (recent_.size() > kRecentReports) recent_.erase(recent_.begin());
  // A list on screen keeps the matrix of its snapshot (#16: 128 listed against a refreshed
  // count of 99); it says a newer evaluation exists.
  if (pinned_ && report.confusion != report_.confusion) {
    updateDrillNote();
    return;
  }
  showReport(report);
  if (pinned_) updateDrillNote();
}

void EvaluationView::showReport(const EvalReport& report) {
  report_ = report;
  const QString phase = QString::fromStdString(report.phase).toHtmlEscaped();
  const QString when = report.epoch > 0 ? tr("%1, epoch %2").arg(phase).arg(report.epoch) : phase;
  // A model file does not record its iteration (report.iteration 0): say nothing rather than "iteration 0".
  const QString at = report.iteration > 0 ? tr(" (iteration %1)").arg(report.iteration) : QString();
  // A matrix counted from the drill-down's own predictions has no log loss.
  const QString logLoss = std::isnan(report.logLoss) ? QString() : tr(", log loss %1").arg(report.logLoss, 0, 'f', 4);
  header_->setText(tr("<b>%1</b>%2, %3 test samples: accuracy <b>%4</b>, macro F1 %5%6")
                       .arg(when)
                       .arg(at)
                       .arg(report.samples)
                       .arg(report.accuracy, 0, 'f', 4)
                       .arg(report.macroF1, 0, 'f', 4)
                       .arg(logLoss));
  rebuildHeatMap();
  rebuildTable();
}

void EvaluationView::updateDrillNote() {
  QString text = listText_;
  if (latest_.hasClassification && latest_.confusion != report_.confusion)
    text += tr(". The matrix shows the snapshot these samples were predicted with; a newer evaluation (%1, epoch %2) "
               "is shown when the list is predicted again (next checkpoint, end of run) or the selection is cleared")
                .arg(QString::fromStdString(latest_.phase))
                .arg(latest_.epoch);
  drillHeader_->setText(text);
}

void EvaluationView::clearSelection() {
  cellActual_ = cellPredicted_ = -1;
  pinned_ = false;
  shownRows_.clear();
  images_->clear();
  rows_->clearContents();
  rows_->setRowCount(0);
  drillHeader_->setText(tr("Click a cell of the confusion matrix to see its test samples."));
  if (latest_.hasClassification) showReport(latest_);
  else rebuildHeatMap();
}

QString EvaluationView::headerText() const { return header_->text(); }
QString EvaluationView::drillDownText() const { return drillHeader_->text(); }

long long EvaluationView::cellCount(int actual, int predicted) const {
  if (actual < 0 || predicted < 0 || actual >= static_cast<int>(report_.confusion.size())) return 0;
  const auto& row = report_.confusion[static_cast<size_t>(actual)];
  return predicted < static_cast<int>(row.size()) ? row[static_cast<size_t>(predicted)] : 0;
}

void EvaluationView::rebuildHeatMap() {
  plot_->clearPlottables();
  plot_->clearItems();
  map_ = nullptr;
  selection_ = nullptr;
  const int n = report_.hasClassification ? report_.classes : 0;
  if (n <= 0) {
    plot_->xAxis->setRange(-0.5, 1.5);
    plot_->yAxis->setRange(-0.5, 1.5);
    if (plot_->isVisible()) plot_->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
  map_->setInterpolate(false);
  map_->setTightBoundary(false);
  map_->data()->setSize(n, n);
  map_->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
  map_->setGradient(blues());
  map_->setDataRange(QCPRange(0, 1));
  for (int a = 0; a < n; ++a) {
    long long rowTotal = 0;
    for (int p = 0; p < n; ++p) rowTotal += cellCount(a, p);
    for (int p = 0; p < n; ++p) {
      const double share = rowTotal > 0 ? static_cast<double>(cellCount(a, p)) / static_cast<double>(rowTotal) : 0.0;
      map_->data()->setCell(p, a, share);
      if (n > kMaxCellLabels) continue;
      auto* text = new QCPItemText(plot_);
      text->position->setType(QCPItemPosition::ptPlotCoords);
      text->position->setCoords(p, a);
      text->setPositionAlignment(Qt::AlignCenter);
      text->setText(QString::number(cellCount(a, p)));
      text->setColor(share > 0.45 ? Qt::white : Qt::black);
      QFont f = font();
      f.setPointSizeF(std::max(6.0, f.pointSizeF() - (n > 12 ? 2.0 : 0.0)));
      if (a == p) f.setBold(true);
      text->setFont(f);
      text->setClipToAxisRect(true);
    }
  }
  QSharedPointer<QCPAxisTickerText> xt(new QCPAxisTickerText), yt(new QCPAxisTickerText);
  const int step = n > 20 ? (n + 19) / 20 : 1;
  for (int c = 0; c < n; c += step) {
    const QString name = classNames_.value(c);
    xt->addTick(c, name.isEmpty() ? QString::number(c) : name);
    yt->addTick(c, name.isEmpty() ? QString::number(c) : name);
  }
  plot_->xAxis->setTicker(xt);
  plot_->yAxis->setTicker(yt);
  const double rotation = classNames_.isEmpty() ? 0 : 35;
  plot_->xAxis->setTickLabelRotation(rotation);
  // A label rotated clockwise runs right of its tick: the last column's ("Ankle boot") went
  // past the widget's edge and was not drawn. The right margin makes room for it.
  int right = 0;
  if (rotation > 0 && n > 0) {
    const QFontMetrics fm(plot_->xAxis->tickLabelFont());
    const QString last = classNames_.value(n - 1).isEmpty() ? QString::number(n - 1) : classNames_.value(n - 1);
    right = static_cast<int>(std::ceil(fm.horizontalAdvance(last) * std::cos(rotation * M_PI / 180.0))) + 6;
  }
  plot_->axisRect()->setAutoMargins(right > 0 ? QCP::msLeft | QCP::msTop | QCP::msBottom : QCP::msAll);
  plot_->axisRect()->setMargins(QMargins(0, 0, right, 0));
  plot_->xAxis->setRange(-0.5, n - 0.5);
  plot_->yAxis->setRange(-0.5, n - 0.5);
  if (cellActual_ >= 0 && cellActual_ < n && cellPredicted_ < n) {
    selection_ = new QCPItemRect(plot_);
    selection_->topLeft->setCoords(cellPredicted_ - 0.5, cellActual_ - 0.5);
    selection_->bottomRight->setCoords(cellPredicted_ + 0.5, cellActual_ + 0.5);
    selection_->setPen(QPen(QColor(230, 81, 0), 2.5));
  }
  // A hidden heat map (another tab in front during a run) is drawn when it is shown.
  if (plot_->isVisible()) plot_->replot(QCustomPlot::rpQueuedReplot);
}

void EvaluationView::rebuildTable() {
  const int n = report_.hasClassification ? report_.classes : 0;
  table_->setRowCount(n > 0 ? n + 2 : 0);
  if (n <= 0) return;
  long long total = 0;
  double mp = 0, mr = 0;
  for (int c = 0; c < n; ++c) {
    long long support = 0;
    for (int p = 0; p < n; ++p) support += cellCount(c, p);
    total += support;
    const size_t i = static_cast<size_t>(c);
    const double p = i < report_.precision.size() ? report_.precision[i] : 0.0;
    const double r = i < report_.recall.size() ? report_.recall[i] : 0.0;
    const double f = i < report_.f1.size() ? report_.f1[i] : 0.0;
    mp += p;
    mr += r;
    table_->setItem(c, 0, new QTableWidgetItem(className(c)));
    table_->setItem(c, 1, numberItem(p));
    table_->setItem(c, 2, numberItem(r));
    table_->setItem(c, 3, numberItem(f));
    table_->setItem(c, 4, numberItem(static_cast<double>(support), 0));
  }
  QFont bold = table_->font();
  bold.setBold(true);
  auto* macro = new QTableWidgetItem(tr("macro average"));
  macro->setFont(bold);
  table_->setItem(n, 0, macro);
  table_->setItem(n, 1, numberItem(mp / n));
  table_->setItem(n, 2, numberItem(mr / n));
  table_->setItem(n, 3, numberItem(report_.macroF1));
  table_->setItem(n, 4, numberItem(static_cast<double>(total), 0));
  auto* acc = new QTableWidgetItem(tr("accuracy"));
  acc->setFont(bold);
  table_->setItem(n + 1, 0, acc);
  table_->setItem(n + 1, 1, new QTableWidgetItem);
  table_->setItem(n + 1, 2, new QTableWidgetItem);
  table_->setItem(n + 1, 3, numberItem(report_.accuracy));
  table_->setItem(n + 1, 4, numberItem(static_cast<double>(total), 0));
}

QPoint EvaluationView::cellCenter(int actual, int predicted) const {
  return QPoint(static_cast<int>(plot_->xAxis->coordToPixel(predicted)),
                static_cast<int>(plot_->yAxis->coordToPixel(actual)));
}

void EvaluationView::onPlotClicked(QMouseEvent* event) {
  if (!map_ || event->button() != Qt::LeftButton) return;
  const double key = plot_->xAxis->pixelToCoord(event->position().x());
  const double value = plot_->yAxis->pixelToCoord(event->position().y());
  int p = -1, a = -1;
  map_->data()->coordToCell(key, value, &p, &a);
  const int n = report_.classes;
  if (key < -0.5 || value < -0.5 || key > n - 0.5 || value > n - 0.5 || p < 0 || a < 0 || p >= n || a >= n) {
    if (cellActual_ >= 0) clearSelection();  // outside the cells: back to the latest evaluation
    return;
  }
  showCell(a, p);
}

void EvaluationView::setTestData(std::shared_ptr<const DataSet> test) {
  test_ = std::move(test);
  drillStack_->setCurrentWidget(test_ && isImageData(*test_) ? static_cast<QWidget*>(images_) : rows_);
}

void EvaluationView::setModel(std::shared_ptr<const ModelFile> model, const QString& label) {
  model_ = std::move(model);
  modelLabel_ = label;
  if (cellActual_ >= 0) showCell(cellActual_, cellPredicted_);
}

void EvaluationView::setCheckpoint(const QString& path, long long iteration) {
  checkpointPath_ = path;
  checkpointIteration_ = iteration;
  // A list predicted with an earlier checkpoint follows the run: listed again with this one,
  // and the matrix moves to its snapshot with it.
  if (pinned_ && !model_ && cellActual_ >= 0) showCell(cellActual_, cellPredicted_);
}

void EvaluationView::showCell(int actual, int predicted) {
  cellActual_ = actual;
  cellPredicted_ = predicted;
  rebuildHeatMap();
  const QString what = tr("Actual %1, predicted %2").arg(className(actual), className(predicted));
  if (!test_) {
    drillHeader_->setText(tr("%1: the test samples are not loaded (start a run).").arg(what));
    return;
  }
  if (!model_ && checkpointPath_.isEmpty()) {
    drillHeader_->setText(tr("%1: %2 in the matrix. The samples can be listed once the run has a model "
                             "(at its end, or after its first checkpoint).")
                              .arg(what)
                              .arg(cellCount(actual, predicted)));
    return;
  }
  // The final model wins over checkpoints; each is predicted once.
  wantedKey_ = model_ ? QStringLiteral("model:%1").arg(reinterpret_cast<quintptr>(model_.get()))
                      : QStringLiteral("checkpoint:%1@%2").arg(checkpointPath_).arg(checkpointIteration_);
  if (predictions_ && predictionsKey_ == wantedKey_) {
    listCell();
    return;
  }
  drillHeader_->setText(tr("%1: predicting the %2 test samples…").arg(what).arg(test_->size()));
  startPrediction();
}

void EvaluationView::startPrediction() {
  if (job_) return;  // its completion starts the next one if the wanted model changed
  const QString key = wantedKey_;
  auto model = model_;
  const std::string checkpoint = checkpointPath_.toStdString();
  auto test = test_;
  auto result = std::make_shared<std::vector<int>>();
  auto error = std::make_shared<QString>();
  job_ = QThread::create([model, checkpoint, test, result, error] {
    try {
      if (model) {
        *result = predictClasses(*model, *test);
      } else {
        const ModelFile m = readModelFile(checkpoint);
        *result = predictClasses(m, *test);
      }
    } catch (const std::exception& e) {
      *error = QString::fromStdString(e.what());
    }
  });
  connect(job_, &QThread::finished, this, [this, key, result, error] {
    job_->deleteLater();
    job_ = nullptr;
    if (!error->isEmpty()) {
      drillHeader_->setText(tr("Could not predict the test samples: %1").arg(*error));
      emit predictionFailed(*error);
      return;
    }
    predictions_ = result;
    predictionsKey_ = key;
    if (key != wantedKey_) {
      startPrediction();
      return;
    }
    listCell();
  });
  job_->start();
}

void EvaluationView::listCell() {
  const int actual = cellActual_, predicted = cellPredicted_;
  const QString source = model_ ? modelLabel_ : tr("the checkpoint at iteration %1").arg(checkpointIteration_);
  // The matrix shows the snapshot the list comes from: the received report with the same
  // counts (newest first), else the counts of these predictions.
  EvalReport snapshot = reportFromPredictions(*predictions_, *test_, std::max(latest_.classes, report_.classes));
  if (report_.hasClassification && report_.confusion == snapshot.confusion) {
    snapshot = report_;
  } else {
    auto same = std::find_if(recent_.rbegin(), recent_.rend(), [&](const EvalReport& r) { return r.confusion == snapshot.confusion; });
    if (same != recent_.rend()) {
      snapshot = *same;
    } else {
      snapshot.phase = tr("predicted by %1 (no evaluation of it received)").arg(source).toStdString();
      snapshot.iteration = 0;  // the phase names it
    }
  }
  pinned_ = true;
  if (!report_.hasClassification || snapshot.confusion != report_.confusion || snapshot.phase != report_.phase) showReport(snapshot);
  else rebuildHeatMap();
  shownRows_.clear();
  size_t total = 0;
  const auto& preds = *predictions_;
  const size_t rows = std::min(preds.size(), test_->size());
  for (size_t r = 0; r < rows; ++r) {
    if (test_->labels[r] != actual || preds[r] != predicted) continue;
    ++total;
    if (shownRows_.size() < static_cast<size_t>(kMaxListed)) shownRows_.push_back(r);
  }
  QString text = tr("Actual %1, predicted %2: %3 test sample(s) %4 (predicted by %5)")
                     .arg(className(actual), className(predicted))
                     .arg(total)
                     .arg(actual == predicted ? tr("classified correctly") : tr("misclassified"))
                     .arg(source);
  if (total > shownRows_.size()) text += tr("; showing the first %1").arg(shownRows_.size());
  listText_ = text;
  updateDrillNote();

  images_->clear();
  rows_->clear();
  if (isImageData(*test_)) {
    drillStack_->setCurrentWidget(images_);
    for (size_t r : shownRows_) {
      const QImage image = sampleImage(*test_, r).scaled(56, 56, Qt::KeepAspectRatio, Qt::FastTransformation);
      auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(image)), QStringLiteral("#%1").arg(r));
      item->setToolTip(tr("test row %1").arg(r));
      images_->addItem(item);
    }
  } else {
    drillStack_->setCurrentWidget(rows_);
    // As the file has them (#16): the header's column names, the values as read and the
    // line of the file; the normalised values the net saw only when the raw ones are unknown.
    const int cols = std::min(test_->dims(), kMaxFeatureColumns);
    const bool lines = test_->sourceLines.size() == test_->size();
    const bool raw = test_->rawFeatures.rows() == static_cast<Eigen::Index>(test_->size()) && test_->rawFeatures.cols() == test_->dims();
    rows_->setColumnCount(cols + 1);
    rows_->setRowCount(static_cast<int>(shownRows_.size()));
    QStringList headers{lines ? tr("line") : tr("test row")};
    for (int c = 0; c < cols; ++c) {
      const auto i = static_cast<size_t>(c);
      headers << (i < test_->featureNames.size() ? QString::fromStdString(test_->featureNames[i]) : tr("f%1").arg(c));
    }
    rows_->setHorizontalHeaderLabels(headers);
    rows_->horizontalHeaderItem(0)->setToolTip(lines ? tr("Line in %1").arg(QString::fromStdString(test_->source))
                                                     : tr("Row of the test set"));
    for (int c = 1; c <= cols; ++c)
      rows_->horizontalHeaderItem(c)->setToolTip(raw ? tr("Values as read from the file") : tr("Features as trained (normalised)"));
    for (int i = 0; i < static_cast<int>(shownRows_.size()); ++i) {
      const size_t r = shownRows_[static_cast<size_t>(i)];
      rows_->setItem(i, 0, numberItem(static_cast<double>(lines ? test_->sourceLines[r] : r), 0));
      rows_->item(i, 0)->setToolTip(tr("test row %1").arg(r));
      for (int c = 0; c < cols; ++c) {
        const auto row = static_cast<Eigen::Index>(r);
        if (raw) {
          auto* item = new QTableWidgetItem(QString::number(test_->rawFeatures(row, c), 'g', 7));
          item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
          item->setToolTip(tr("normalised: %1").arg(test_->features(row, c), 0, 'f', 4));
          rows_->setItem(i, c + 1, item);
        } else {
          rows_->setItem(i, c + 1, numberItem(test_->features(row, c), 3));
        }
      }
    }
    rows_->resizeColumnsToContents();
  }
  emit cellShown(actual, predicted, static_cast<int>(total));
}

}  // namespace scaleout::ui
