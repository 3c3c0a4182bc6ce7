#include "histogram_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

#include "qcustomplot.h"
#include "theme.h"

namespace scaleout::ui {

namespace {
QCPBars* makeBars(QCustomPlot* plot, const QString& title, const QColor& color) {
  plot->plotLayout()->insertRow(0);
  plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, title, QFont(plot->font().family(), plot->font().pointSize() + 1, QFont::Bold)));
  plot->xAxis->setLabel(QObject::tr("value"));
  plot->yAxis->setLabel(QObject::tr("count"));
  plot->setMinimumSize(200, 140);
  auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
  QColor fill = color;
  fill.setAlpha(170);
  bars->setBrush(fill);
  bars->setPen(QPen(color.darker(130)));
  applyChartTheme(plot, darkThemeActive());
  return bars;
}

void fill(QCustomPlot* plot, QCPBars* bars, const Histogram& h) {
  const double width = h.max > h.min ? (static_cast<double>(h.max) - h.min) / kHistogramBins : 1.0;
  QVector<double> keys, values;
  double top = 0;
  for (int i = 0; i < kHistogramBins; ++i) {
    keys << h.min + (i + 0.5) * width;
    values << h.counts[static_cast<size_t>(i)];
    top = std::max(top, static_cast<double>(h.counts[static_cast<size_t>(i)]));
  }
  bars->setWidth(width);
  bars->setData(keys, values, true);
  plot->xAxis->setRange(h.min - width, h.min + (kHistogramBins + 1) * width);
  plot->yAxis->setRange(0, std::max(1.0, top * 1.08));
}
}  // namespace

HistogramView::HistogramView(QWidget* parent)
    : QWidget(parent), layers_(new QComboBox), caption_(new QLabel), params_(new QCustomPlot), updates_(new QCustomPlot) {
  setObjectName("histogramView");
  layers_->setObjectName("histogramLayer");
  caption_->setObjectName("histogramCaption");
  caption_->setWordWrap(true);
  paramBars_ = makeBars(params_, tr("Parameters"), QColor(31, 119, 180));
  updateBars_ = makeBars(updates_, tr("Last update"), QColor(255, 127, 14));
  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Layer")));
  top->addWidget(layers_);
  top->addWidget(caption_, 1);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(params_);
  split->addWidget(updates_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(top);
  layout->addWidget(split, 1);
  connect(layers_, &QComboBox::currentIndexChanged, this, [this] { redraw(); });
  clear();
}

void HistogramView::clear() {
  last_ = ModelStats{};
  {
    QSignalBlocker block(layers_);
    layers_->clear();
  }
  paramBars_->data()->clear();
  updateBars_->data()->clear();
  caption_->setText(tr("Histograms arrive with the model statistics (every statsEvery iterations)."));
  params_->replot(QCustomPlot::rpQueuedReplot);
  updates_->replot(QCustomPlot::rpQueuedReplot);
}

int HistogramView::layer() const { return layers_->currentIndex(); }
int HistogramView::layerCount() const { return layers_->count(); }
QString HistogramView::captionText() const { return caption_->text(); }

void HistogramView::setLayer(int index) { layers_->setCurrentIndex(index); }

long long HistogramView::drawnCount(bool updates) const {
  long long n = 0;
  const auto data = (updates ? updateBars_ : paramBars_)->data();
  for (auto it = data->constBegin(); it != data->constEnd(); ++it) n += static_cast<long long>(it->value);
  return n;
}

void HistogramView::onModelStats(const ModelStats& stats) {
  last_ = stats;
  if (layers_->count() != static_cast<int>(stats.layers.size())) {
    QSignalBlocker block(layers_);
    const int keep = std::max(0, layers_->currentIndex());
    layers_->clear();
    for (const LayerStats& l : stats.layers) layers_->addItem(tr("layer %1").arg(l.layer));
    layers_->setCurrentIndex(std::min(keep, layers_->count() - 1));
  }
  // Statistics can come often: redraw only what is seen, the rest when it is shown.
  if (isVisible()) redraw();
  else stale_ = true;
}

void HistogramView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  // QCustomPlot's buffers must match the screen's scale (blurry on high-DPI otherwise).
  params_->setBufferDevicePixelRatio(devicePixelRatioF());
  updates_->setBufferDevicePixelRatio(devicePixelRatioF());
  if (stale_) redraw();
}

void HistogramView::redraw() {
  stale_ = false;
  const int i = layers_->currentIndex();
  if (i < 0 || i >= static_cast<int>(last_.layers.size())) return;
  const LayerStats& l = last_.layers[static_cast<size_t>(i)];
  fill(params_, paramBars_, l.paramHistogram);
  fill(updates_, updateBars_, l.updateHistogram);
  caption_->setText(tr("iteration %1 (%2): parameters mean |w| %3, std %4; update mean |u| %5, std %6, ratio %7")
                        .arg(last_.iteration)
                        .arg(QString::fromStdString(last_.phase))
                        .arg(l.paramMeanAbs, 0, 'g', 3)
                        .arg(l.paramStd, 0, 'g', 3)
                        .arg(l.updateMeanAbs, 0, 'g', 3)
                        .arg(l.updateStd, 0, 'g', 3)
                        .arg(l.updateRatio, 0, 'g', 3));
  params_->replot(QCustomPlot::rpQueuedReplot);
  updates_->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace scaleout::ui
