#include "event_markers.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <QMouseEvent>
#include <QToolTip>

#include "qcustomplot.h"
#include "theme.h"

namespace scaleout::ui {

namespace {
constexpr double kGap = 2;           // pixels between label rows and around the legend
constexpr int kMaxTooltipLines = 12;

QRectF rectOf(const QCPItemText* item) {
  // The item's own anchors: the same box QCPItemText draws (text plus padding).
  return QRectF(item->topLeft->pixelPosition(), item->bottomRight->pixelPosition()).normalized();
}
}  // namespace

EventMarkers::EventMarkers(QCustomPlot* plot) : QObject(plot), plot_(plot) {
  // The tick track lives on the hidden right axis, fixed at 0..1, so zooming or a log
  // scale on the data axis never moves it off the bottom edge.
  plot_->yAxis2->setRange(0, 1);
  plot_->yAxis2->setVisible(false);
  connect(plot_, &QCustomPlot::afterLayout, this, &EventMarkers::layoutLabels);
  plot_->setMouseTracking(true);
  connect(plot_, &QCustomPlot::mouseMove, this, &EventMarkers::onMouseMove);
}

void EventMarkers::addLine(double x, const QString& text, const QColor& color, Qt::PenStyle style, const QString& detail) {
  auto* line = new QCPItemStraightLine(plot_);
  line->point1->setTypeX(QCPItemPosition::ptPlotCoords);
  line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
  line->point2->setTypeX(QCPItemPosition::ptPlotCoords);
  line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
  line->point1->setCoords(x, 0);
  line->point2->setCoords(x, 1);
  QPen pen(color);
  pen.setStyle(style);
  pen.setCosmetic(true);
  line->setPen(pen);
  ++lines_;
  events_.push_back({x, detail.isEmpty() ? text : detail});
  if (text.isEmpty()) return;
  auto* label = new QCPItemText(plot_);
  label->position->setTypeX(QCPItemPosition::ptPlotCoords);
  label->position->setTypeY(QCPItemPosition::ptAbsolute);  // the row, in pixels, set by layoutLabels()
  label->position->setCoords(x, 0);
  label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
  label->setText(text);
  const bool dark = plot_->property("scaleoutDark").toBool();
  label->setColor(dark ? color.lighter(140) : color.darker(120));
  QFont f = plot_->font();
  f.setPointSizeF(std::max(6.0, f.pointSizeF() - 1.5));
  label->setFont(f);
  label->setPadding(QMargins(3, 1, 3, 1));
  label->setBrush(chartColors(dark).labelBackground);
  labels_.push_back({label, x, text});
}

QCPGraph* EventMarkers::trackFor(const QColor& color) {
  auto it = tracks_.find(color.rgba());
  if (it != tracks_.end()) return it.value();
  QCPGraph* g = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
  g->removeFromLegend();
  g->setName(QString());
  // Impulses from the bottom edge: a short vertical tick per event, 1 px.
  g->setLineStyle(QCPGraph::lsImpulse);
  QPen pen(color);
  pen.setCosmetic(true);
  g->setPen(pen);
  g->setAdaptiveSampling(false);  // every tick drawn: a checkpoint must not vanish when zoomed out
  g->setProperty("tickHeight", 0.02 + 0.015 * static_cast<double>(tracks_.size() % 3));
  return tracks_.insert(color.rgba(), g).value();
}

void EventMarkers::addTick(double x, const QColor& color, const QString& detail) {
  QCPGraph* g = trackFor(color);
  // Each kind gets its own height (in order of first use), so a checkpoint written at an
  // epoch end stays visible above the epoch's tick.
  g->addData(x, g->property("tickHeight").toDouble());
  events_.push_back({x, detail});
}

void EventMarkers::forget() {
  labels_.clear();
  events_.clear();
  tracks_.clear();
  lines_ = 0;
}

int EventMarkers::tickCount() const {
  int n = 0;
  for (QCPGraph* g : tracks_) n += g->dataCount();
  return n;
}

void EventMarkers::layoutLabels() {
  if (labels_.isEmpty()) return;
  const QRectF area = plot_->axisRect()->rect();
  const QCPRange range = plot_->xAxis->range();
  QVector<QRectF> taken;
  if (plot_->legend->visible() && plot_->legend->itemCount() > 0)
    taken << QRectF(plot_->legend->outerRect()).adjusted(-kGap, -kGap, kGap, kGap);

  QVector<int> order(labels_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [this](int a, int b) { return labels_[a].x < labels_[b].x; });

  QVector<int> hidden(labels_.size(), 0);  // labels folded into this one's "+n"
  QVector<int> placedRect(labels_.size(), -1);
  int lastPlaced = -1;
  for (int i : order) {
    Label& l = labels_[i];
    l.item->setText(l.text);
    bool placed = false;
    if (range.contains(l.x)) {
      const double rowHeight = rectOf(l.item).height() + kGap;
      for (int row = 0; row < kLabelRows && !placed; ++row) {
        l.item->position->setCoords(l.x, area.top() + kGap + row * rowHeight);
        l.item->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        QRectF r = rectOf(l.item);
        if (r.right() > area.right()) {  // near the right edge: the label goes left of its line
          l.item->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
          r = rectOf(l.item);
        }
        if (r.left() < area.left() || r.bottom() > area.bottom()) continue;
        if (std::any_of(taken.begin(), taken.end(), [&](const QRectF& t) { return t.intersects(r); })) continue;
        placedRect[i] = static_cast<int>(taken.size());
        taken << r;
        placed = true;
      }
    }
    l.item->setVisible(placed);
    if (placed) {
      lastPlaced = i;
    } else if (lastPlaced >= 0 && range.contains(l.x)) {
      ++hidden[lastPlaced];
    }
  }
  // Say how many labels were folded away, where the longer text still fits; hovering the
  // lines lists them all.
  for (int i = 0; i < labels_.size(); ++i) {
    if (hidden[i] == 0 || placedRect[i] < 0) continue;
    Label& l = labels_[i];
    l.item->setText(QStringLiteral("%1 +%2").arg(l.text).arg(hidden[i]));
    const QRectF r = rectOf(l.item);
    bool fits = r.left() >= area.left() && r.right() <= area.right();
    for (int t = 0; t < taken.size() && fits; ++t)
      if (t != placedRect[i] && taken[t].intersects(r)) fits = false;
    if (fits)
      taken[placedRect[i]] = r;
    else
      l.item->setText(l.text);
  }
}

QString EventMarkers::detailsNear(double pixelX) const {
  QStringList lines;
  int more = 0;
  for (const Event& e : events_) {
    if (std::abs(plot_->xAxis->coordToPixel(e.x) - pixelX) > kHoverPixels) continue;
    if (lines.size() < kMaxTooltipLines)
      lines << e.detail;
    else
      ++more;
  }
  if (more > 0) lines << tr("… and %n more", nullptr, more);
  return lines.join('\n');
}

void EventMarkers::onMouseMove(QMouseEvent* event) {
  const QPointF pos = event->position();
  const QString text = plot_->axisRect()->rect().contains(pos.toPoint()) ? detailsNear(pos.x()) : QString();
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

}  // namespace scaleout::ui
