#pragma once
// HistogramView: histograms of one layer's parameters and of its last update, from the
// latest ModelStats (every statsEvery iterations), with a layer chooser. As DL4J's model
// page had them: a healthy layer's parameters spread out smoothly; updates far narrower.
#include <QWidget>

#include "metatypes.h"

class QComboBox;
class QCustomPlot;
class QCPBars;
class QLabel;

namespace scaleout::ui {

class HistogramView : public QWidget {
  Q_OBJECT
 public:
  explicit HistogramView(QWidget* parent = nullptr);

  void clear();
  void setLayer(int index);  // index into the latest stats' layers
  int layer() const;
  int layerCount() const;
  QCustomPlot* parameterPlot() const { return params_; }
  QCustomPlot* updatePlot() const { return updates_; }
  QString captionText() const;
  long long drawnCount(bool updates) const;  // sum of the bars drawn

 public slots:
  void onModelStats(const scaleout::ModelStats& stats);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void redraw();

  QComboBox* layers_;
  QLabel* caption_;
  QCustomPlot *params_, *updates_;
  QCPBars *paramBars_, *updateBars_;
  ModelStats last_;
  bool stale_ = false;
};

}  // namespace scaleout::ui
