#pragma once
// EventMarkers: the run's events drawn on one QCustomPlot, readable at any density.
//   - Labelled events (phase switch, steering, cluster message, alarm): a vertical line and
//     a short text label. Labels are placed at every layout pass (live replot and export)
//     in a few rows under the top edge; a label that would overlap another label or the
//     legend is hidden and counted as "+n" on the nearest shown label to its left.
//   - Frequent events (epoch ends, checkpoints): a tick on a thin track along the bottom
//     of the plot, no text, one scatter graph per kind (hundreds cost one plottable).
// Hovering within a few pixels of an event shows its full details in a tooltip.
#include <QColor>
#include <QMap>
#include <QObject>
#include <QString>
#include <QVector>

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QMouseEvent;

namespace scaleout::ui {

class EventMarkers : public QObject {
  Q_OBJECT
 public:
  static constexpr int kLabelRows = 3;
  static constexpr double kHoverPixels = 4;

  explicit EventMarkers(QCustomPlot* plot);

  void addLine(double x, const QString& text, const QColor& color, Qt::PenStyle style, const QString& detail);
  void addTick(double x, const QColor& color, const QString& detail);
  // Forget every marker: the owner already removed the plot's items and graphs.
  void forget();

  int lineCount() const { return lines_; }
  int tickCount() const;
  // Details of the events within kHoverPixels of a pixel column, one per line ("" if none).
  QString detailsNear(double pixelX) const;

 public slots:
  void layoutLabels();

 private:
  struct Label {
    QCPItemText* item = nullptr;
    double x = 0;
    QString text;
  };
  struct Event {
    double x = 0;
    QString detail;
  };
  void onMouseMove(QMouseEvent* event);
  QCPGraph* trackFor(const QColor& color);

  QCustomPlot* plot_;
  QVector<Label> labels_;   // in insertion order; layout sorts a copy of the indices by x
  QVector<Event> events_;
  QMap<QRgb, QCPGraph*> tracks_;
  int lines_ = 0;
};

}  // namespace scaleout::ui
