#include "series_plot.h"

#include <cmath>
#include <limits>

#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QTextStream>
#include <QVBoxLayout>
#include <QWindow>

#include "event_markers.h"
#include "qcustomplot.h"
#include "theme.h"

namespace scaleout::ui {

namespace {
QString csvField(const QString& s) {
  if (!s.contains(',') && !s.contains('"')) return s;
  QString q = s;
  q.replace("\"", "\"\"");
  return "\"" + q + "\"";
}
}  // namespace

SeriesPlot::SeriesPlot(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent)
    : QWidget(parent),
      title_(title),
      plot_(new QCustomPlot(this)),
      note_(new QLabel(this)),
      events_(new EventMarkers(plot_)) {
  setObjectName("plot_" + title);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(plot_, 1);
  layout->addWidget(note_);
  note_->setObjectName("logNote");
  note_->setStyleSheet("QLabel { color: #b26a00; font-weight: bold; }");
  note_->hide();

  plot_->setMinimumSize(200, 150);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  // Thin dense curves draw faster as fast polylines; adaptive sampling (per graph, on by
  // default) keeps a 1M-point replot in milliseconds.
  plot_->setPlottingHint(QCP::phFastPolylines, true);
  plot_->setNoAntialiasingOnDrag(true);
  plot_->xAxis->setLabel(xLabel);
  plot_->yAxis->setLabel(yLabel);
  plot_->plotLayout()->insertRow(0);
  auto* titleElement = new QCPTextElement(plot_, title, QFont(font().family(), font().pointSize() + 1, QFont::Bold));
  plot_->plotLayout()->addElement(0, 0, titleElement);
  plot_->legend->setVisible(true);
  plot_->legend->setFont(QFont(font().family(), qMax(7, font().pointSize() - 1)));
  plot_->legend->setBrush(QColor(255, 255, 255, 200));
  plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
  plot_->xAxis->setRange(0, 1);
  plot_->yAxis->setRange(0, 1);
  applyChartTheme(plot_, darkThemeActive());

  // Any drag or wheel means the user chose a view: stop following new data.
  connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent*) { userTookView(); });
  connect(plot_, &QCustomPlot::mouseWheel, this, [this](QWheelEvent*) { userTookView(); });
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { resetView(); });
}

void SeriesPlot::userTookView() { follow_ = false; }

int SeriesPlot::addSeries(const QString& name, const SeriesStyle& style) {
  QCPGraph* g = plot_->addGraph();
  g->setName(name);
  QPen pen(style.color);
  pen.setWidthF(style.width);
  pen.setStyle(style.style);
  pen.setCosmetic(true);
  g->setPen(pen);
  g->setAdaptiveSampling(true);
  if (style.scatter) g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, style.color, 5));
  Series s;
  s.graph = g;
  s.derived = style.derived;
  series_.push_back(s);
  dirty_ = true;
  return static_cast<int>(series_.size()) - 1;
}

void SeriesPlot::setEmptyNote(const QString& text) {
  emptyNote_ = text;
  updateEmptyNote();
  dirty_ = true;
}

bool SeriesPlot::emptyNoteShown() const { return !emptyNote_.isEmpty() && totalPoints(false) == 0; }

// Called at every replot (not per point): the note goes with the first point.
void SeriesPlot::updateEmptyNote() {
  const bool show = emptyNoteShown();
  if (show && !emptyItem_) {
    emptyItem_ = new QCPItemText(plot_);
    emptyItem_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyItem_->position->setCoords(0.5, 0.45);
    emptyItem_->setPositionAlignment(Qt::AlignCenter);
    emptyItem_->setTextAlignment(Qt::AlignCenter);
    emptyItem_->setClipToAxisRect(false);
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() + 1);
    emptyItem_->setFont(f);
  }
  if (emptyItem_) {
    emptyItem_->setText(emptyNote_);
    // Drawn with the theme's text colour (no background box, so the theme leaves it alone).
    emptyItem_->setColor(palette().color(QPalette::WindowText));
    emptyItem_->setVisible(show);
  }
  // An empty legend box says nothing: shown once there is a curve to name.
  plot_->legend->setVisible(!show || !overlays_.isEmpty());
}

int SeriesPlot::findSeries(const QString& name) const {
  for (int i = 0; i < series_.size(); ++i)
    if (series_[i].graph->name() == name) return i;
  return -1;
}

QString SeriesPlot::seriesName(int series) const { return series_[series].graph->name(); }
QCPGraph* SeriesPlot::graph(int series) const { return series_[series].graph; }

void SeriesPlot::track(Series& s, double x, double y, bool count) {
  if (!s.hasData) {
    s.xmin = s.xmax = x;
    s.ymin = s.ymax = std::isfinite(y) ? y : 0.0;
    s.hasData = true;
  }
  s.xmin = std::min(s.xmin, x);
  s.xmax = std::max(s.xmax, x);
  if (std::isfinite(y)) {
    s.ymin = std::min(s.ymin, y);
    s.ymax = std::max(s.ymax, y);
  }
  if (y > 0 && std::isfinite(y)) {
    s.yminPositive = s.hasPositive ? std::min(s.yminPositive, y) : y;
    s.hasPositive = true;
  } else if (count && !(y > 0)) {
    ++s.nonPositive;  // includes NaN: it cannot be placed on a log axis either
  }
}

void SeriesPlot::retrack(Series& s) {
  s.hasData = s.hasPositive = false;
  s.nonPositive = 0;
  for (auto it = s.graph->data()->constBegin(); it != s.graph->data()->constEnd(); ++it) track(s, it->key, it->value);
}

void SeriesPlot::append(int series, double x, double y) {
  Series& s = series_[series];
  s.graph->addData(x, y);
  track(s, x, y);
  dirty_ = true;
}

void SeriesPlot::setSeriesData(int series, const QVector<double>& x, const QVector<double>& y) {
  Series& s = series_[series];
  s.graph->setData(x, y, true);
  retrack(s);
  dirty_ = true;
}

void SeriesPlot::enableErrorBars(int series) {
  Series& s = series_[series];
  if (s.errors) return;
  s.errors = new QCPErrorBars(plot_->xAxis, plot_->yAxis);
  s.errors->setDataPlottable(s.graph);
  s.errors->setPen(QPen(s.graph->pen().color().lighter(130)));
  s.errors->removeFromLegend();
}

void SeriesPlot::appendWithError(int series, double x, double y, double error) {
  append(series, x, y);
  Series& s = series_[series];
  if (!s.errors) return;
  s.errors->addData(error);
  track(s, x, y - error, false);
  track(s, x, y + error, false);
}

void SeriesPlot::setOverlays(const QVector<OverlayCurve>& overlays) {
  for (const Series& t : overlayTracks_)
    if (t.graph) plot_->removeGraph(t.graph);
  overlayTracks_.clear();
  overlays_ = overlays;
  addOverlayGraphs();
  dirty_ = true;
}

void SeriesPlot::addOverlayGraphs() {
  overlayTracks_.clear();
  for (const OverlayCurve& o : overlays_) {
    QCPGraph* g = plot_->addGraph();
    g->setName(o.name);
    QPen pen(o.color);
    pen.setStyle(Qt::DashLine);
    pen.setCosmetic(true);
    g->setPen(pen);
    g->setLayer("grid");  // under the live curves
    g->setData(o.x, o.y, true);
    Series t;
    t.graph = g;
    t.derived = true;
    for (qsizetype i = 0; i < o.x.size() && i < o.y.size(); ++i) track(t, o.x[i], o.y[i], false);
    overlayTracks_.push_back(t);
  }
}

qsizetype SeriesPlot::overlayPoints() const {
  qsizetype n = 0;
  for (const OverlayCurve& o : overlays_) n += o.x.size();
  return n;
}

qsizetype SeriesPlot::pointCount(int series) const { return series_[series].graph->dataCount(); }

qsizetype SeriesPlot::totalPoints(bool includeDerived) const {
  qsizetype n = 0;
  for (const Series& s : series_)
    if (includeDerived || !s.derived) n += s.graph->dataCount();
  return n;
}

void SeriesPlot::clear() {
  plot_->clearGraphs();
  plot_->clearPlottables();
  plot_->clearItems();
  emptyItem_ = nullptr;
  series_.clear();
  updateEmptyNote();
  addOverlayGraphs();  // other runs stay for comparison
  events_->forget();
  follow_ = true;
  dirty_ = true;
  updateLogNote();
}

void SeriesPlot::addMarker(double x, const QString& text, const QColor& color, Qt::PenStyle style,
                           const QString& detail) {
  events_->addLine(x, text, color, style, detail);
  dirty_ = true;
}

void SeriesPlot::addTick(double x, const QColor& color, const QString& detail) {
  events_->addTick(x, color, detail);
  dirty_ = true;
}

int SeriesPlot::markerCount() const { return events_->lineCount() + events_->tickCount(); }

void SeriesPlot::addGuide(double y, const QColor& color) {
  auto* line = new QCPItemStraightLine(plot_);
  line->point1->setTypeX(QCPItemPosition::ptAxisRectRatio);
  line->point2->setTypeX(QCPItemPosition::ptAxisRectRatio);
  line->point1->setCoords(0, y);
  line->point2->setCoords(1, y);
  QPen pen(color);
  pen.setStyle(Qt::DotLine);
  pen.setCosmetic(true);
  line->setPen(pen);
  dirty_ = true;
}

qsizetype SeriesPlot::nonPositiveCount() const {
  qsizetype n = 0;
  for (const Series& s : series_)
    if (!s.derived) n += s.nonPositive;
  return n;
}

QString SeriesPlot::logNote() const {
  if (!logY_) return {};
  const qsizetype n = nonPositiveCount();
  if (n == 0) return {};
  return tr("%n point(s) <= 0 (or NaN) not shown on log scale", nullptr, static_cast<int>(n));
}

void SeriesPlot::updateLogNote() {
  const QString text = logNote();
  note_->setText(text);
  note_->setVisible(!text.isEmpty());
}

void SeriesPlot::setLogY(bool on) {
  if (on == logY_) return;
  logY_ = on;
  if (on) {
    plot_->yAxis->setScaleType(QCPAxis::stLogarithmic);
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
  } else {
    plot_->yAxis->setScaleType(QCPAxis::stLinear);
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  }
  fitRanges();
  updateLogNote();
  dirty_ = true;
}

void SeriesPlot::fitRanges() {
  bool any = false, anyPositive = false;
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1, yminPos = 0;
  for (const Series& s : series_ + overlayTracks_) {
    if (!s.hasData) continue;
    if (!any) {
      xmin = s.xmin, xmax = s.xmax, ymin = s.ymin, ymax = s.ymax;
      any = true;
    }
    xmin = std::min(xmin, s.xmin);
    xmax = std::max(xmax, s.xmax);
    ymin = std::min(ymin, s.ymin);
    ymax = std::max(ymax, s.ymax);
    if (s.hasPositive) {
      yminPos = anyPositive ? std::min(yminPos, s.yminPositive) : s.yminPositive;
      anyPositive = true;
    }
  }
  if (!any) return;
  if (xmax <= xmin) xmax = xmin + 1;
  plot_->xAxis->setRange(xmin, xmax);
  if (logY_) {
    if (!anyPositive) {
      plot_->yAxis->setRange(0.1, 1);
      return;
    }
    double lo = yminPos, hi = std::max(ymax, yminPos);
    if (hi <= lo) hi = lo * 10;
    plot_->yAxis->setRange(lo / 1.3, hi * 1.3);
  } else {
    if (fixedY_) {
      plot_->yAxis->setRange(fixedLo_, fixedHi_);
      return;
    }
    if (ymax <= ymin) {  // a constant curve: a small band around it, not a +/-0.5 one
      const double pad = ymin != 0 ? std::fabs(ymin) * 0.1 : 0.5;
      ymin -= pad;
      ymax += pad;
    }
    const double pad = (ymax - ymin) * 0.05;
    plot_->yAxis->setRange(ymin - pad, ymax + pad);
  }
}

void SeriesPlot::setFixedYRange(double lo, double hi) {
  fixedY_ = true;
  fixedLo_ = lo;
  fixedHi_ = hi;
  dirty_ = true;
}

void SeriesPlot::resetView() {
  follow_ = true;
  fitRanges();
  dirty_ = true;
  if (isVisible()) plot_->replot(QCustomPlot::rpQueuedReplot);
}

bool SeriesPlot::replotIfDirty() {
  if (!dirty_ || !isVisible()) return false;
  if (follow_) fitRanges();
  updateLogNote();
  updateEmptyNote();
  plot_->replot(QCustomPlot::rpQueuedRefresh);
  dirty_ = false;
  return true;
}

double SeriesPlot::replotNow() {
  if (follow_) fitRanges();
  updateLogNote();
  updateEmptyNote();
  QElapsedTimer timer;
  timer.start();
  plot_->replot(QCustomPlot::rpImmediateRefresh);
  dirty_ = false;
  return static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

void SeriesPlot::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  // QCustomPlot's paint buffers must match the screen's scale (blurry on high-DPI otherwise).
  plot_->setBufferDevicePixelRatio(devicePixelRatioF());
  if (QWindow* w = window()->windowHandle())
    connect(w, &QWindow::screenChanged, this, &SeriesPlot::updatePixelRatio, Qt::UniqueConnection);
  dirty_ = true;
  replotIfDirty();
}

void SeriesPlot::updatePixelRatio() {
  plot_->setBufferDevicePixelRatio(devicePixelRatioF());
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

QSize SeriesPlot::exportSize() const {
  // A plot in a hidden tab has never been laid out: export it at a readable size.
  return plot_->isVisible() ? plot_->size() : QSize(900, 550);
}

bool SeriesPlot::exportPng(const QString& path, double scale) {
  if (follow_) fitRanges();
  updateEmptyNote();
  const QSize size = exportSize();
  const bool ok = plot_->savePng(path, size.width(), size.height(), scale);
  dirty_ = true;  // the export laid the labels out for its own size: lay them out again on screen
  return ok;
}

bool SeriesPlot::exportPdf(const QString& path) {
  if (follow_) fitRanges();
  updateEmptyNote();
  const QSize size = exportSize();
  const bool ok = plot_->savePdf(path, size.width(), size.height());
  dirty_ = true;
  return ok;
}

bool SeriesPlot::exportCsv(const QString& path, QString* error) const {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
    if (error) *error = tr("cannot write '%1': %2").arg(path, file.errorString());
    return false;
  }
  QTextStream out(&file);
  out << "series,x,y\n";
  for (const Series& s : series_) {
    if (s.derived) continue;
    const QString name = csvField(s.graph->name());
    for (auto it = s.graph->data()->constBegin(); it != s.graph->data()->constEnd(); ++it)
      out << name << ',' << QString::number(it->key, 'g', 17) << ',' << QString::number(it->value, 'g', 9) << '\n';
  }
  out.flush();
  if (file.error() != QFileDevice::NoError) {
    if (error) *error = tr("error while writing '%1': %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

}  // namespace scaleout::ui
