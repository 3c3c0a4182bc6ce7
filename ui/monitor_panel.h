#pragma once
// MonitorPanel: the live charts of a run, fed by ObserverAdapter signals.
//   Loss: minibatch loss vs iteration, raw (faint, 1 px) under a debiased-EMA smoothed
//         curve; labelled lines for phase switches, steering, messages and alarms; ticks
//         on a bottom track for epochs and checkpoints (details on hover).
//   Accuracy: test accuracy and macro F1 vs epoch (epochs counted over all phases).
//   Reconstruction: mean reconstruction error per pretrained layer vs epoch.
//   Workers: each worker's mean minibatch loss per round vs iteration.
//   Model health: log10 update:parameter ratio per layer, activation mean +/- 2 std,
//         learning rate, all vs iteration.
// A 30 Hz timer replots only plots whose data changed. A banner shows health alarms.
#include <QElapsedTimer>
#include <QTimer>
#include <QVector>
#include <QWidget>

#include <QMap>

#include "health_monitor.h"
#include "run_history.h"
#include "config/conf.h"
#include "metatypes.h"
#include "smoothing.h"

class QCheckBox;
class QLabel;
class QSlider;
class QTabWidget;
class QToolButton;

namespace scaleout::ui {

class HistogramView;
class ObserverAdapter;
class SeriesPlot;

class MonitorPanel : public QWidget {
  Q_OBJECT
 public:
  explicit MonitorPanel(QWidget* parent = nullptr);

  // Connects every adapter signal (emitted on the GUI thread, see ObserverAdapter).
  void connectAdapter(ObserverAdapter* adapter);
  void clear();  // forget the previous run

  SeriesPlot* lossPlot() const { return loss_; }
  SeriesPlot* accuracyPlot() const { return accuracy_; }
  SeriesPlot* reconstructionPlot() const { return reconstruction_; }
  SeriesPlot* workersPlot() const { return workers_; }
  SeriesPlot* ratioPlot() const { return ratio_; }
  SeriesPlot* activationPlot() const { return activation_; }
  SeriesPlot* learningRatePlot() const { return learningRate_; }
  SeriesPlot* throughputPlot() const { return throughput_; }
  SeriesPlot* memoryPlot() const { return memory_; }
  HistogramView* histogramView() const { return histograms_; }
  QList<SeriesPlot*> allPlots() const;
  QTabWidget* tabs() const { return tabs_; }
  // The plots of the visible tab (the toolbar's actions apply to them).
  QList<SeriesPlot*> currentPlots() const;

  double smoothing() const { return smoothing_; }
  void setSmoothing(double weight);  // 0 .. 0.999, recomputes the smoothed curve
  void setLogScale(bool on);         // for every plot
  bool logScale() const;
  void resetViews();

  QString bannerText() const;
  QLabel* bannerLabel() const { return bannerText_; }
  bool bannerVisible() const;
  int replotCount() const { return replots_; }

  bool exportCurrentPng(const QString& path);
  bool exportCurrentPdf(const QString& path);
  bool exportCurrentCsv(const QString& path, QString* error);

 public slots:
  void onPhaseStarted(const scaleout::PhaseInfo& info);
  void onIterations(const QVector<scaleout::IterationInfo>& batch);
  void onRound(const scaleout::RoundInfo& info);
  void onEpochFinished(const scaleout::EpochInfo& info);
  void onEvaluation(const scaleout::EvalReport& report);
  void onModelStats(const scaleout::ModelStats& stats);
  void onSteering(const scaleout::SteeringChange& change);
  void onCheckpoint(const QString& path, long long iteration);
  void onMessage(const QString& text);
  void onFinished(const scaleout::RunSummary& summary);
  void showAlarm(const scaleout::ui::HealthAlarm& alarm);
  // The conf to be trained: charts it leaves empty say why (an MLP has no pretraining to
  // chart reconstruction errors of).
  void setConf(const scaleout::Conf& conf);
  // A run that stopped on an error: the banner says so, but it is not a health alarm
  // (no alarmRaised, so the log says it once, as the run's ERROR line).
  void showRunError(const QString& text, long long iteration);
  // Earlier runs drawn under the live curves: smoothed loss (as the live smoothing) and
  // test accuracy, dashed and faded, labelled with the run. Kept across clear().
  void setRunOverlays(const QList<scaleout::ui::RunCurves>& runs);
  void hideBanner();

 protected:
  void resizeEvent(QResizeEvent* event) override;

 signals:
  void alarmRaised(const QString& text);

 private:
  void placeBanner();
  bool showBanner(const scaleout::ui::HealthAlarm& alarm, const QString& prefix);  // false: an alarm is kept
  void replotDirty();
  void recomputeSmoothed();
  void applyOverlays();
  void markAll(double iteration, const QString& text, const QColor& color, Qt::PenStyle style, const QString& detail);
  int seriesFor(SeriesPlot* plot, const QString& name, int colorIndex, bool scatter = false,
                Qt::PenStyle style = Qt::SolidLine);
  QWidget* makeToolbar();

  QTabWidget* tabs_;
  SeriesPlot *loss_, *accuracy_, *reconstruction_, *workers_, *ratio_, *activation_, *learningRate_;
  SeriesPlot *throughput_, *memory_;
  HistogramView* histograms_;
  QElapsedTimer memoryClock_;  // RSS is sampled at most twice a second
  QList<QList<SeriesPlot*>> tabPlots_;
  QLabel* bannerText_;
  QWidget* bannerBox_;
  QSlider* smoothingSlider_;
  QLabel* smoothingLabel_;
  QCheckBox* logBox_;
  QTimer replotTimer_;
  int replots_ = 0;

  int rawSeries_ = -1, smoothSeries_ = -1;
  double smoothing_ = 0.8;
  DebiasedEma ema_{0.8};
  QVector<double> phaseStarts_;  // iterations where a phase began (the EMA restarts there)
  QMap<int, int> workerSeries_;
  QMap<QString, int> namedSeries_;  // "plot/name" -> series, for per-layer curves
  double lastIteration_ = 0;
  int runEpoch_ = 0;           // epochs finished over all phases
  int messageMarkers_ = 0;
  std::string phase_;
  bool pretraining_ = false;
  size_t layer_ = 0;
  HealthMonitor health_;
  QList<RunCurves> overlayRuns_;
  bool alarmShown_ = false;
};

}  // namespace scaleout::ui
