#include "data_panel.h"

#include <algorithm>

#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include "config/choices.h"

namespace scaleout::ui {

DataPanel::DataPanel(QWidget* parent)
    : QWidget(parent),
      load_(new QPushButton(tr("Load data"))),
      summary_(new QLabel(tr("Press “Load data” to read the data set the conf names."))),
      images_(new QLabel),
      table_(new QTableWidget) {
  auto* layout = new QVBoxLayout(this);
  load_->setObjectName("loadData");
  summary_->setObjectName("dataSummary");
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  images_->setObjectName("sampleGrid");
  images_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  auto* scroll = new QScrollArea;
  scroll->setWidget(images_);
  scroll->setWidgetResizable(true);
  table_->setObjectName("sampleTable");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->hide();
  layout->addWidget(load_);
  layout->addWidget(summary_);
  layout->addWidget(scroll, 1);
  layout->addWidget(table_, 1);
  connect(load_, &QPushButton::clicked, this, &DataPanel::loadData);
}

DataPanel::~DataPanel() {
  if (thread_) {
    thread_->wait();
    delete thread_;
  }
}

QString DataPanel::dataKey(const Conf& c) {
  return QStringList{QString::fromStdString(c.dataset), QString::fromStdString(c.trainData),
                     QString::fromStdString(c.trainLabels), QString::fromStdString(c.testData),
                     QString::fromStdString(c.testLabels), QString::number(c.labelColumn),
                     QString::number(c.testFraction, 'g', 17), QString::fromStdString(c.normalize),
                     QString::number(c.maxTrainSamples), QString::number(c.csvSkipLines),
                     QString::number(c.dropIncompleteRows), QString::number(c.seed)}
      .join('\x1f');
}

void DataPanel::setConf(const Conf& conf) {
  conf_ = conf;
  const QString key = dataKey(conf);
  if (key == loadedKey_) return;
  if (thread_) {
    reloadPending_ = true;  // the load in flight reads the old source: load again after it
  } else if (data_) {
    loadData();
  } else {
    showHint();
  }
}

void DataPanel::showHint() {
  const QString source = choiceFromName<DataSourceKind>(conf_.dataset) == DataSourceKind::FashionMnist
                             ? QStringLiteral("Fashion-MNIST")
                                                          : QString::fromStdString(conf_.trainData);
  summary_->setText(tr("Press “Load data” to read the data set the conf names (%1).").arg(source.toHtmlEscaped()));
}

void DataPanel::loadData() {
  if (thread_) return;
  loadedKey_ = dataKey(conf_);
  reloadPending_ = false;
  load_->setEnabled(false);
  summary_->setText(tr("Loading…"));
  auto result = std::make_shared<std::shared_ptr<TrainTestData>>();
  auto error = std::make_shared<QString>();
  const Conf conf = conf_;
  thread_ = QThread::create([conf, result, error] {
    try {
      *result = std::make_shared<TrainTestData>(loadTrainTest(conf));
    } catch (const std::exception& e) {
      *error = QString::fromStdString(e.what());
    }
  });
  connect(thread_, &QThread::finished, this, [this, result, error] {
    thread_->deleteLater();
    thread_ = nullptr;
    load_->setEnabled(true);
    if (reloadPending_) {  // the conf moved on while loading: show its data, not this
      loadData();
      return;
    }
    if (!*result) {
      // Nothing of the previous data set stays on screen under the new conf.
      data_.reset();
      grid_ = QImage();
      images_->clear();
      table_->hide();
      summary_->setText(tr("<span style='color:#c62828'>Could not load the data: %1</span>").arg(error->toHtmlEscaped()));
      emit loaded(false, *error);
      return;
    }
    data_ = *result;
    showData();
    emit loaded(true, QString());
  });
  thread_->start();
}

QString DataPanel::summaryText() const { return summary_->text(); }

QImage DataPanel::renderSampleGrid(const DataSet& data, int perClass, int scale) {
  const int rows = data.imageRows, cols = data.imageCols;
  if (rows <= 0 || cols <= 0 || rows * cols != data.dims() || data.size() == 0) return {};
  const int classes = std::max(1, data.numClasses);
  const int gap = 2;
  const int tileW = cols * scale, tileH = rows * scale;
  QImage grid((tileW + gap) * perClass + gap, (tileH + gap) * classes + gap, QImage::Format_Grayscale8);
  grid.fill(200);
  std::vector<int> placed(static_cast<size_t>(classes), 0);
  QPainter painter(&grid);
  for (size_t i = 0; i < data.size(); ++i) {
    const int label = data.labels.empty() ? 0 : std::clamp(data.labels[i], 0, classes - 1);
    if (placed[static_cast<size_t>(label)] >= perClass) continue;
    // Features are normalised; stretch each sample to 0..255 for display.
    const auto row = data.features.row(static_cast<Eigen::Index>(i));
    const float lo = row.minCoeff(), hi = row.maxCoeff();
    const float span = hi > lo ? hi - lo : 1.0f;
    QImage tile(cols, rows, QImage::Format_Grayscale8);
    for (int r = 0; r < rows; ++r) {
      uchar* line = tile.scanLine(r);
      for (int c = 0; c < cols; ++c) line[c] = static_cast<uchar>(255.0f * (row(r * cols + c) - lo) / span);
    }
    const int col = placed[static_cast<size_t>(label)]++;
    painter.drawImage(QRect(gap + col * (tileW + gap), gap + label * (tileH + gap), tileW, tileH), tile);
    bool full = true;
    for (int n : placed) full = full && n >= perClass;
    if (full) break;
  }
  return grid;
}

void DataPanel::showData() {
  const DataSet& train = data_->train;
  std::vector<size_t> counts(static_cast<size_t>(std::max(0, train.numClasses)), 0);
  for (int l : train.labels)
    if (l >= 0 && static_cast<size_t>(l) < counts.size()) ++counts[static_cast<size_t>(l)];
  QStringList perClass;
  for (size_t c = 0; c < counts.size(); ++c) {
    const QString name = c < train.classNames.size() ? QStringLiteral(" %1").arg(QString::fromStdString(train.classNames[c])) : QString();
    perClass << QStringLiteral("%1%2: %3").arg(c).arg(name.toHtmlEscaped()).arg(counts[c]);
  }
  QString text = tr("<b>%1</b><br>%2 training samples, %3 test samples, %4 features, %5 classes")
                     .arg(QString::fromStdString(train.source).toHtmlEscaped())
                     .arg(train.size())
                     .arg(data_->test.size())
                     .arg(train.dims())
                     .arg(train.numClasses);
  if (train.imageRows > 0) text += tr("<br>images %1 x %2").arg(train.imageRows).arg(train.imageCols);
  text += tr("<br>training samples per class: %1").arg(perClass.join(", "));
  // What the readers decided for the user (header, delimiter, dropped rows), to check.
  for (const std::string& note : data_->notes) text += QStringLiteral("<br><i>%1</i>").arg(QString::fromStdString(note).toHtmlEscaped());
  summary_->setText(text);

  grid_ = renderSampleGrid(train, 12, 2);
  if (!grid_.isNull()) {
    images_->setPixmap(QPixmap::fromImage(grid_));
    images_->show();
    table_->hide();
    return;
  }
  images_->clear();
  // Tabular data: the first rows as they will be trained (normalised), label last.
  const int rows = static_cast<int>(std::min<size_t>(train.size(), 50));
  const int cols = std::min(train.dims(), 50);
  table_->clear();
  table_->setRowCount(rows);
  table_->setColumnCount(cols + 1);
  QStringList headers;
  for (int c = 0; c < cols; ++c) headers << QString::number(c);
  headers << tr("label");
  table_->setHorizontalHeaderLabels(headers);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c)
      table_->setItem(r, c, new QTableWidgetItem(QString::number(train.features(r, c), 'g', 4)));
    table_->setItem(r, cols, new QTableWidgetItem(QString::number(train.labels[static_cast<size_t>(r)])));
  }
  table_->resizeColumnsToContents();
  table_->show();
}

}  // namespace scaleout::ui
