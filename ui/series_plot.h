#pragma once
// SeriesPlot: one QCustomPlot with append-only curves that keep every point, ranges
// tracked incrementally (no O(n) rescans per frame), a true log-scale y axis that counts
// and reports points <= 0 instead of hiding them, event markers (labelled lines, ticks), mouse
// zoom/pan with "follow new data" until the user takes over, and PNG/PDF/CSV export.
// It never replots on its own when data arrive: the owner calls replotIfDirty() from a
// ~30 Hz timer, so a burst of appends costs one replot.
#include <QColor>
#include <QString>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QCPErrorBars;
class QCPItemText;
class QLabel;

namespace scaleout::ui {

class EventMarkers;

struct SeriesStyle {
  QColor color = Qt::blue;
  double width = 1.0;       // 1 px for dense curves (see gui.md: thick AA pens are ~100x slower)
  bool derived = false;     // computed from other series (smoothing): drawn, never exported
  bool scatter = false;     // draw a marker at each point (sparse series)
  Qt::PenStyle style = Qt::SolidLine;
};

// A curve of another run, drawn faded and dashed under the live series.
struct OverlayCurve {
  QString name;
  QVector<double> x, y;
  QColor color = Qt::gray;
};

class SeriesPlot : public QWidget {
  Q_OBJECT
 public:
  SeriesPlot(const QString& title, const QString& xLabel, const QString& yLabel, QWidget* parent = nullptr);

  QCustomPlot* plot() const { return plot_; }
  QString title() const { return title_; }

  int addSeries(const QString& name, const SeriesStyle& style);
  int findSeries(const QString& name) const;  // -1 if absent
  int seriesCount() const { return static_cast<int>(series_.size()); }
  QString seriesName(int series) const;
  QCPGraph* graph(int series) const;

  void append(int series, double x, double y);  // x ascending per series
  // Replaces a series' points (smoothing recomputed from raw data).
  void setSeriesData(int series, const QVector<double>& x, const QVector<double>& y);
  // Error bars (e.g. +/- 2 std) drawn around a series, one per point, appended in step.
  void enableErrorBars(int series);
  void appendWithError(int series, double x, double y, double error);

  // Overlays are not series (no index, never exported, not counted), survive clear(),
  // and are included when the view is fitted to the data.
  void setOverlays(const QVector<OverlayCurve>& overlays);
  int overlayCount() const { return static_cast<int>(overlays_.size()); }
  qsizetype overlayPoints() const;

  qsizetype pointCount(int series) const;
  qsizetype totalPoints(bool includeDerived = true) const;
  void clear();  // removes every series and marker

  // A vertical line at x with an optional label near the top of the plot; labels are laid
  // out so they never overlap each other or the legend (see EventMarkers). The detail is
  // the hover tooltip (the text if empty).
  void addMarker(double x, const QString& text, const QColor& color, Qt::PenStyle style = Qt::DashLine,
                 const QString& detail = QString());
  // A frequent event (epoch end, checkpoint): a tick on the track along the bottom, no text.
  void addTick(double x, const QColor& color, const QString& detail);
  EventMarkers* events() const { return events_; }
  // A horizontal reference line (e.g. the healthy band of a ratio plot).
  void addGuide(double y, const QColor& color);
  int markerCount() const;  // lines and ticks

  // A note in the middle of the plot while it has no series (first start: how to begin; a
  // chart the conf leaves empty: why). The legend is hidden meanwhile. Kept across clear().
  void setEmptyNote(const QString& text);
  QString emptyNote() const { return emptyNote_; }
  bool emptyNoteShown() const;

  void setLogY(bool on);
  bool logY() const { return logY_; }
  qsizetype nonPositiveCount() const;  // raw points <= 0 (unplottable on a log axis)
  QString logNote() const;             // the text of the "points <= 0" flag, "" if none

  // Linear y axis always shows [lo, hi] (e.g. 0..1 for accuracy: no exaggerated wiggles).
  void setFixedYRange(double lo, double hi);
  void resetView();  // fit all data and follow new data again
  bool following() const { return follow_; }
  bool isDirty() const { return dirty_; }
  void markDirty() { dirty_ = true; }
  // Replots if data changed since the last replot and the plot is visible.
  bool replotIfDirty();
  double replotNow();  // replots synchronously, returns milliseconds (benchmarks, export)

  bool exportPng(const QString& path, double scale = 2.0);
  bool exportPdf(const QString& path);
  // Long format "series,x,y", raw series only.
  bool exportCsv(const QString& path, QString* error = nullptr) const;

 protected:
  void showEvent(QShowEvent* event) override;

 private slots:
  void updatePixelRatio();

 private:
  struct Series {
    QCPGraph* graph = nullptr;
    QCPErrorBars* errors = nullptr;
    bool derived = false;
    double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
    double yminPositive = 0;  // smallest y > 0, 0 if none
    bool hasData = false, hasPositive = false;
    qsizetype nonPositive = 0;
  };
  void track(Series& s, double x, double y, bool count = true);
  void addOverlayGraphs();
  void retrack(Series& s);
  void fitRanges();
  void updateLogNote();
  void userTookView();
  QSize exportSize() const;

  QString title_;
  QCustomPlot* plot_;
  QLabel* note_;
  QString emptyNote_;
  QCPItemText* emptyItem_ = nullptr;
  void updateEmptyNote();
  QVector<Series> series_;
  QVector<OverlayCurve> overlays_;
  QVector<Series> overlayTracks_;  // ranges of the overlays (graph: the drawn QCPGraph)
  EventMarkers* events_;
  bool logY_ = false;
  bool fixedY_ = false;
  double fixedLo_ = 0, fixedHi_ = 1;
  bool follow_ = true;
  bool dirty_ = true;
};

}  // namespace scaleout::ui
