#include "monitor_panel.h"

#include <cmath>

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QSlider>
#include <QSplitter>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "config/choices.h"
#include "config/knob.h"
#include "config/knob_registry.h"
#include "histogram_view.h"
#include "observer_adapter.h"
#include "process_stats.h"
#include "qcustomplot.h"
#include "series_plot.h"
#include "theme.h"

namespace scaleout::ui {

namespace {

QColor paletteColor(int i) {
  static const QColor colors[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44), QColor(214, 39, 40),
                                  QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194), QColor(127, 127, 127),
                                  QColor(188, 189, 34), QColor(23, 190, 207)};
  return colors[((i % 10) + 10) % 10];
}

const QColor kPhaseColor(106, 27, 154);
const QColor kEpochColor(140, 140, 140);
const QColor kSteerColor(21, 101, 192);
const QColor kMessageColor(230, 120, 0);
const QColor kCheckpointColor(46, 125, 50);
constexpr int kMaxMessageMarkers = 100;

QString shortText(const QString& text, int max = 40) {
  return text.size() <= max ? text : text.left(max - 1) + QStringLiteral("…");
}

}  // namespace

MonitorPanel::MonitorPanel(QWidget* parent)
    : QWidget(parent),
      tabs_(new QTabWidget(this)),
      loss_(new SeriesPlot(tr("Minibatch loss"), tr("iteration"), tr("loss"))),
      accuracy_(new SeriesPlot(tr("Test accuracy"), tr("epoch (all phases)"), tr("accuracy"))),
      reconstruction_(new SeriesPlot(tr("Reconstruction error per pretrained layer"), tr("epoch of the layer"), tr("error"))),
      workers_(new SeriesPlot(tr("Loss per worker"), tr("iteration"), tr("mean loss of the round"))),
      ratio_(new SeriesPlot(tr("Update:parameter ratio (log10)"), tr("iteration"), tr("log10 ratio"))),
      activation_(new SeriesPlot(tr("Activations (mean ± 2 std)"), tr("iteration"), tr("activation"))),
      learningRate_(new SeriesPlot(tr("Learning rate"), tr("iteration"), tr("rate"))),
      throughput_(new SeriesPlot(tr("Throughput"), tr("iteration"), tr("samples/s (all workers)"))),
      memory_(new SeriesPlot(tr("Process memory (resident)"), tr("iteration"), tr("MiB"))),
      histograms_(new HistogramView),
      bannerText_(new QLabel),
      bannerBox_(new QWidget(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);

  // Health banner: where the user looks, above the charts.
  bannerBox_->setObjectName("healthBanner");
  auto* bl = new QHBoxLayout(bannerBox_);
  bl->setContentsMargins(8, 2, 2, 2);
  bannerText_->setObjectName("healthBannerText");
  // The whole message, wrapped: an alarm says what to do, and a cut sentence does not.
  bannerText_->setWordWrap(true);
  bannerText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  bannerText_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Minimum);
  auto* dismiss = new QToolButton;
  dismiss->setText(QStringLiteral("✕"));
  dismiss->setToolTip(tr("Dismiss"));
  dismiss->setAutoRaise(true);
  connect(dismiss, &QToolButton::clicked, this, &MonitorPanel::hideBanner);
  bl->addWidget(bannerText_, 1);
  bl->addWidget(dismiss);
  bannerBox_->hide();
  bannerBox_->setAttribute(Qt::WA_StyledBackground, true);
  // The banner lies over the top of the charts, full width, where the user looks. It is
  // not a layout row: showing one would resize every chart and replot them all at once,
  // a 45-75 ms stall of the GUI thread in the middle of a run (eventLoopNeverStalls).
  QWidget* toolbar = makeToolbar();
  toolbar->setFixedHeight(toolbar->sizeHint().height());
  layout->addWidget(toolbar);
  layout->addWidget(tabs_, 1);

  tabs_->setObjectName("monitorTabs");
  auto addTab = [this](const QString& name, QList<SeriesPlot*> plots) {
    if (plots.size() == 1) {
      tabs_->addTab(plots[0], name);
    } else {
      auto* split = new QSplitter(Qt::Vertical);
      for (auto* p : plots) split->addWidget(p);
      tabs_->addTab(split, name);
    }
    tabPlots_ << plots;
  };
  addTab(tr("Loss"), {loss_});
  addTab(tr("Accuracy"), {accuracy_});
  addTab(tr("Reconstruction"), {reconstruction_});
  addTab(tr("Workers"), {workers_});
  addTab(tr("Model health"), {ratio_, activation_, learningRate_});
  tabs_->addTab(histograms_, tr("Histograms"));
  tabPlots_ << QList<SeriesPlot*>{};
  addTab(tr("System"), {throughput_, memory_});
  connect(tabs_, &QTabWidget::currentChanged, this, [this] {
    for (auto* p : currentPlots()) p->markDirty();
    replotDirty();
  });

  accuracy_->setFixedYRange(0, 1.02);
  clear();

  // Replot at most ~30 times a second, and only plots whose data changed.
  replotTimer_.setInterval(33);
  connect(&replotTimer_, &QTimer::timeout, this, &MonitorPanel::replotDirty);
  replotTimer_.start();
}

QWidget* MonitorPanel::makeToolbar() {
  auto* bar = new QWidget;
  auto* h = new QHBoxLayout(bar);
  h->setContentsMargins(4, 2, 4, 2);
  h->addWidget(new QLabel(tr("Smoothing")));
  smoothingSlider_ = new QSlider(Qt::Horizontal);
  smoothingSlider_->setObjectName("smoothingSlider");
  smoothingSlider_->setRange(0, 999);
  smoothingSlider_->setMaximumWidth(180);
  smoothingSlider_->setToolTip(tr("Weight of the debiased exponential moving average (as in TensorBoard). "
                                  "The raw curve stays visible; exports are always raw."));
  smoothingLabel_ = new QLabel;
  smoothingLabel_->setMinimumWidth(40);
  h->addWidget(smoothingSlider_);
  h->addWidget(smoothingLabel_);
  connect(smoothingSlider_, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 1000.0); });

  logBox_ = new QCheckBox(tr("Log scale"));
  logBox_->setObjectName("logScale");
  logBox_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
  logBox_->setToolTip(tr("Logarithmic y axis (Ctrl+L). Points <= 0 cannot be drawn and are counted under the plot."));
  connect(logBox_, &QCheckBox::toggled, this, &MonitorPanel::setLogScale);
  h->addWidget(logBox_);

  auto* reset = new QToolButton;
  reset->setText(tr("Reset view"));
  reset->setObjectName("resetView");
  reset->setToolTip(tr("Fit all data and follow new points again (or double-click the plot). "
                       "Drag to pan, wheel to zoom."));
  connect(reset, &QToolButton::clicked, this, &MonitorPanel::resetViews);
  h->addWidget(reset);

  auto* exportButton = new QToolButton;
  exportButton->setText(tr("Export"));
  exportButton->setPopupMode(QToolButton::InstantPopup);
  auto* menu = new QMenu(exportButton);
  auto ask = [this](const QString& filter, const QString& suffix) {
    const QString name = currentPlots().value(0) ? currentPlots()[0]->title() : "plot";
    QString path = QFileDialog::getSaveFileName(this, tr("Export"), name + suffix, filter);
    return path;
  };
  menu->addAction(tr("PNG image…"), this, [this, ask] {
    const QString p = ask(tr("PNG image (*.png)"), ".png");
    if (!p.isEmpty() && !exportCurrentPng(p)) QMessageBox::warning(this, tr("Export"), tr("Could not write %1").arg(p));
  });
  menu->addAction(tr("PDF (vector)…"), this, [this, ask] {
    const QString p = ask(tr("PDF (*.pdf)"), ".pdf");
    if (!p.isEmpty() && !exportCurrentPdf(p)) QMessageBox::warning(this, tr("Export"), tr("Could not write %1").arg(p));
  });
  menu->addAction(tr("CSV (raw data)…"), this, [this, ask] {
    const QString p = ask(tr("CSV (*.csv)"), ".csv");
    QString error;
    if (!p.isEmpty() && !exportCurrentCsv(p, &error)) QMessageBox::warning(this, tr("Export"), error);
  });
  exportButton->setMenu(menu);
  h->addWidget(exportButton);
  h->addStretch(0);

  QSettings settings;
  const double w = settings.value("plots/smoothing", 0.8).toDouble();
  smoothing_ = std::clamp(w, 0.0, 0.999);
  {
    QSignalBlocker block(smoothingSlider_);
    smoothingSlider_->setValue(static_cast<int>(std::lround(smoothing_ * 1000)));
  }
  smoothingLabel_->setText(QString::number(smoothing_, 'f', 3));
  return bar;
}

QList<SeriesPlot*> MonitorPanel::allPlots() const {
  return {loss_, accuracy_, reconstruction_, workers_, ratio_, activation_, learningRate_, throughput_, memory_};
}

QList<SeriesPlot*> MonitorPanel::currentPlots() const { return tabPlots_.value(tabs_->currentIndex()); }

void MonitorPanel::connectAdapter(ObserverAdapter* adapter) {
  // The adapter already crossed from the training thread with a queued call and emits on
  // this thread; connecting directly keeps its order relative to TrainingSession::ended()
  // (a second queued hop would deliver the last minibatches after the run "ended").
  connect(adapter, &ObserverAdapter::phaseStarted, this, &MonitorPanel::onPhaseStarted);
  connect(adapter, &ObserverAdapter::iterations, this, &MonitorPanel::onIterations);
  connect(adapter, &ObserverAdapter::round, this, &MonitorPanel::onRound);
  connect(adapter, &ObserverAdapter::epochFinished, this, &MonitorPanel::onEpochFinished);
  connect(adapter, &ObserverAdapter::evaluation, this, &MonitorPanel::onEvaluation);
  connect(adapter, &ObserverAdapter::modelStats, this, &MonitorPanel::onModelStats);
  connect(adapter, &ObserverAdapter::modelStats, histograms_, &HistogramView::onModelStats);
  connect(adapter, &ObserverAdapter::steering, this, &MonitorPanel::onSteering);
  connect(adapter, &ObserverAdapter::checkpoint, this, &MonitorPanel::onCheckpoint);
  connect(adapter, &ObserverAdapter::message, this, &MonitorPanel::onMessage);
  connect(adapter, &ObserverAdapter::finished, this, &MonitorPanel::onFinished);
}

void MonitorPanel::clear() {
  for (auto* p : allPlots()) p->clear();
  ratio_->addGuide(-2, QColor(200, 60, 60));
  ratio_->addGuide(-4, QColor(200, 60, 60));
  SeriesStyle raw;
  // Faint: the smoothed curve carries the trend (a little stronger on a dark background).
  raw.color = QColor(31, 119, 180, darkThemeActive() ? 120 : 70);
  rawSeries_ = loss_->addSeries(tr("raw"), raw);
  SeriesStyle smooth;
  smooth.color = QColor(31, 119, 180);
  smooth.width = 1.5;
  smooth.derived = true;
  smoothSeries_ = loss_->addSeries(tr("smoothed (EMA)"), smooth);
  workerSeries_.clear();
  namedSeries_.clear();
  histograms_->clear();
  memoryClock_.invalidate();
  phaseStarts_.clear();
  ema_ = DebiasedEma(smoothing_);
  lastIteration_ = 0;
  runEpoch_ = 0;
  messageMarkers_ = 0;
  phase_.clear();
  health_.reset();
  hideBanner();
}

int MonitorPanel::seriesFor(SeriesPlot* plot, const QString& name, int colorIndex, bool scatter, Qt::PenStyle style) {
  const QString key = plot->objectName() + "/" + name;
  auto it = namedSeries_.find(key);
  if (it != namedSeries_.end()) return it.value();
  SeriesStyle s;
  s.color = paletteColor(colorIndex);
  s.scatter = scatter;
  s.style = style;
  const int index = plot->addSeries(name, s);
  namedSeries_.insert(key, index);
  return index;
}

void MonitorPanel::markAll(double iteration, const QString& text, const QColor& color, Qt::PenStyle style,
                           const QString& detail) {
  for (auto* p : {loss_, workers_, ratio_, activation_, learningRate_, throughput_})
    p->addMarker(iteration, text, color, style, detail);
}

void MonitorPanel::onPhaseStarted(const PhaseInfo& info) {
  phase_ = info.label;
  pretraining_ = info.pretraining;
  layer_ = info.layer;
  health_.startPhase(info.label);
  phaseStarts_ << lastIteration_;
  ema_.reset();
  const QString label = QString::fromStdString(info.label);
  markAll(lastIteration_, label, kPhaseColor, Qt::SolidLine,
          tr("phase %1 started at iteration %2").arg(label).arg(static_cast<long long>(lastIteration_)));
  if (runEpoch_ > 0) accuracy_->addMarker(runEpoch_ + 0.5, label, kPhaseColor, Qt::SolidLine);
}

void MonitorPanel::onIterations(const QVector<IterationInfo>& batch) {
  for (const IterationInfo& it : batch) {
    const double x = static_cast<double>(it.iteration);
    loss_->append(rawSeries_, x, it.loss);
    loss_->append(smoothSeries_, x, ema_.add(it.loss));
    lastIteration_ = x;
    if (auto alarm = health_.addLoss(it.iteration, it.loss)) showAlarm(*alarm);
  }
}

void MonitorPanel::onRound(const RoundInfo& info) {
  const double x = static_cast<double>(info.iteration);
  if (info.samplesPerSecond > 0) throughput_->append(seriesFor(throughput_, tr("samples/s"), 0), x, info.samplesPerSecond);
  if (!memoryClock_.isValid() || memoryClock_.elapsed() >= 500) {
    memoryClock_.start();
    const qint64 rss = residentBytes();
    if (rss > 0) memory_->append(seriesFor(memory_, tr("resident (RSS)"), 2, true), x, rss / (1024.0 * 1024.0));
  }
  for (const WorkerRoundInfo& w : info.workers) {
    if (!w.arrived || w.samples == 0) continue;
    auto it = workerSeries_.find(w.worker);
    if (it == workerSeries_.end()) {
      SeriesStyle s;
      s.color = paletteColor(w.worker);
      const QString name = w.id.empty() ? tr("worker %1").arg(w.worker) : QString::fromStdString(w.id);
      it = workerSeries_.insert(w.worker, workers_->addSeries(name, s));
    }
    workers_->append(it.value(), static_cast<double>(info.iteration), w.meanLoss);
  }
}

void MonitorPanel::onEpochFinished(const EpochInfo& info) {
  ++runEpoch_;
  // Epoch ends are frequent: a tick on the bottom track, the details on hover.
  loss_->addTick(static_cast<double>(info.iteration), kEpochColor,
                 tr("%1 epoch %2 ended at iteration %3 (mean loss %4)")
                     .arg(QString::fromStdString(info.phase))
                     .arg(info.epoch)
                     .arg(info.iteration)
                     .arg(info.meanLoss, 0, 'g', 4));
  if (pretraining_) {
    const int s = seriesFor(reconstruction_, tr("layer %1 (train)").arg(info.layer), static_cast<int>(info.layer), true);
    reconstruction_->append(s, info.epoch, info.meanLoss);
  }
  if (auto alarm = health_.addEpoch(info)) showAlarm(*alarm);
}

void MonitorPanel::onEvaluation(const EvalReport& report) {
  if (report.hasClassification && !pretraining_) {
    accuracy_->append(seriesFor(accuracy_, tr("test accuracy"), 0, true), runEpoch_, report.accuracy);
    accuracy_->append(seriesFor(accuracy_, tr("macro F1"), 1, true, Qt::DashLine), runEpoch_, report.macroF1);
  }
  if (pretraining_ && layer_ < report.reconstructionErrors.size()) {
    const int s = seriesFor(reconstruction_, tr("layer %1 (test)").arg(layer_), static_cast<int>(layer_), true, Qt::DashLine);
    reconstruction_->append(s, report.epoch, report.reconstructionErrors[layer_]);
  }
}

void MonitorPanel::onModelStats(const ModelStats& stats) {
  const double x = static_cast<double>(stats.iteration);
  for (const LayerStats& layer : stats.layers) {
    const int color = static_cast<int>(layer.layer);
    if (layer.updateRatio > 0)
      ratio_->append(seriesFor(ratio_, tr("layer %1").arg(layer.layer), color), x, std::log10(layer.updateRatio));
    const int a = seriesFor(activation_, tr("layer %1").arg(layer.layer), color);
    activation_->enableErrorBars(a);
    activation_->appendWithError(a, x, layer.activationMean, 2.0 * layer.activationStd);
  }
  learningRate_->append(seriesFor(learningRate_, tr("learning rate"), 0), x, stats.learningRate);
  if (auto alarm = health_.addModelStats(stats)) showAlarm(*alarm);
}

void MonitorPanel::onSteering(const SteeringChange& change) {
  // The marker says what changed in the form's words (the knob's label); the tooltip names the knob.
  const QString knob = QString::fromStdString(change.knob);
  const KnobSpec* spec = findKnob(change.knob);
  const QString text = QStringLiteral("%1 %2→%3")
                           .arg(spec ? QString::fromStdString(spec->label) : knob, QString::fromStdString(change.from),
                                QString::fromStdString(change.to));
  markAll(static_cast<double>(change.iteration), text, kSteerColor, Qt::DashDotLine,
          tr("iteration %1: %2 %3 → %4")
              .arg(change.iteration)
              .arg(knob, QString::fromStdString(change.from), QString::fromStdString(change.to)));
}

void MonitorPanel::onCheckpoint(const QString& path, long long iteration) {
  // A checkpoint every epoch must not print a row of labels: a tick, the path on hover.
  loss_->addTick(static_cast<double>(iteration), kCheckpointColor, tr("checkpoint at iteration %1: %2").arg(iteration).arg(path));
}

void MonitorPanel::onMessage(const QString& text) {
  if (messageMarkers_ >= kMaxMessageMarkers) return;
  ++messageMarkers_;
  loss_->addMarker(lastIteration_, shortText(text), kMessageColor, Qt::DashLine, text);
  workers_->addMarker(lastIteration_, shortText(text), kMessageColor, Qt::DashLine, text);
}

void MonitorPanel::onFinished(const RunSummary& summary) {
  // A last memory sample, so even a short run shows where it ended.
  if (const qint64 rss = residentBytes(); rss > 0 && lastIteration_ > 0)
    memory_->append(seriesFor(memory_, tr("resident (RSS)"), 2, true), lastIteration_, rss / (1024.0 * 1024.0));
  if (!summary.error.empty()) showRunError(QString::fromStdString(summary.error), summary.iterations);
  for (auto* p : allPlots()) p->markDirty();
}

void MonitorPanel::showAlarm(const HealthAlarm& alarm) {
  const bool isAlarm = alarm.level == HealthAlarm::Level::Alarm;
  if (showBanner(alarm, isAlarm ? tr("Alarm: ") : tr("Warning: "))) emit alarmRaised(alarm.text);
}

void MonitorPanel::setConf(const Conf& conf) {
  QString note;
  if (choiceFromName<NetworkClass>(conf.networkClass) == NetworkClass::Mlp)
    note = tr("No pretraining in this conf (networkClass=mlp): no reconstruction error to chart.\n"
              "dbn, cdbn, sda and the single layers rbm, crbm, da pretrain layer by layer.");
  else if (conf.pretrainEpochs == 0)
    note = tr("No pretraining in this conf (pretrainEpochs=0): no reconstruction error to chart.");
  else
    note = tr("Each pretrained layer's reconstruction error appears here while it pretrains.");
  reconstruction_->setEmptyNote(note);
  reconstruction_->markDirty();
}

void MonitorPanel::showRunError(const QString& text, long long iteration) {
  showBanner(HealthAlarm{HealthAlarm::Level::Alarm, text, iteration}, tr("Run failed: "));
}

bool MonitorPanel::showBanner(const HealthAlarm& alarm, const QString& prefix) {
  // An alarm is not replaced by a later warning until the user dismisses it.
  if (alarmShown_ && alarm.level == HealthAlarm::Level::Warning && bannerBox_->isVisibleTo(this)) return false;
  alarmShown_ = alarm.level == HealthAlarm::Level::Alarm;
  bannerBox_->setStyleSheet(alarmShown_ ? "#healthBanner { background: #c62828; } QLabel { color: white; font-weight: bold; }"
                                        : "#healthBanner { background: #ffb300; } QLabel { color: black; font-weight: bold; }");
  bannerText_->setText(prefix + alarm.text);
  bannerText_->setToolTip(bannerText_->text());
  placeBanner();
  bannerBox_->show();
  bannerBox_->raise();
  loss_->addMarker(static_cast<double>(alarm.iteration), shortText(alarm.text, 28),
                   alarmShown_ ? QColor(198, 40, 40) : QColor(255, 160, 0), Qt::SolidLine, alarm.text);
  return true;
}

// Full width, as tall as the wrapped message needs.
void MonitorPanel::placeBanner() {
  const int w = width();
  int h = bannerBox_->layout()->hasHeightForWidth() ? bannerBox_->layout()->totalHeightForWidth(w) : -1;
  if (h <= 0) h = bannerBox_->sizeHint().height();
  // Below the chart tabs, so they stay reachable; over the top of the chart.
  const int top = tabs_->geometry().top() + (tabs_->tabBar()->isVisible() ? tabs_->tabBar()->height() : 0);
  bannerBox_->setGeometry(0, top, w, h);
}

void MonitorPanel::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (bannerBox_->isVisibleTo(this)) placeBanner();
}

void MonitorPanel::hideBanner() {
  bannerBox_->hide();
  alarmShown_ = false;
}

QString MonitorPanel::bannerText() const { return bannerText_->text(); }
bool MonitorPanel::bannerVisible() const { return bannerBox_->isVisibleTo(const_cast<MonitorPanel*>(this)); }

void MonitorPanel::replotDirty() {
  for (auto* p : currentPlots())
    if (p->replotIfDirty()) ++replots_;
}

void MonitorPanel::setSmoothing(double weight) {
  weight = std::clamp(weight, 0.0, 0.999);
  if (weight == smoothing_ && smoothingLabel_->text() == QString::number(weight, 'f', 3)) return;
  smoothing_ = weight;
  smoothingLabel_->setText(QString::number(weight, 'f', 3));
  const int pos = static_cast<int>(std::lround(weight * 1000));
  if (smoothingSlider_->value() != pos) {
    QSignalBlocker block(smoothingSlider_);
    smoothingSlider_->setValue(pos);
  }
  QSettings().setValue("plots/smoothing", weight);
  recomputeSmoothed();
  if (!overlayRuns_.isEmpty()) applyOverlays();
}

void MonitorPanel::recomputeSmoothed() {
  if (rawSeries_ < 0 || smoothSeries_ < 0) return;
  const auto data = loss_->graph(rawSeries_)->data();
  QVector<double> keys, values;
  keys.reserve(data->size());
  values.reserve(data->size());
  DebiasedEma ema(smoothing_);
  int next = 0;
  for (auto it = data->constBegin(); it != data->constEnd(); ++it) {
    // Restart the average at each phase: losses of different phases are different quantities.
    while (next < phaseStarts_.size() && it->key > phaseStarts_[next]) {
      ema.reset();
      ++next;
    }
    keys << it->key;
    values << ema.add(it->value);
  }
  loss_->setSeriesData(smoothSeries_, keys, values);
  ema_ = ema;
}

void MonitorPanel::setRunOverlays(const QList<RunCurves>& runs) {
  overlayRuns_ = runs;
  applyOverlays();
}

void MonitorPanel::applyOverlays() {
  // Overlays are for comparison, not measurement: the smoothed loss is thinned to at most
  // kOverlayPoints points (the live run keeps every point).
  constexpr qsizetype kOverlayPoints = 4000;
  QVector<OverlayCurve> loss, accuracy;
  int index = 0;
  for (const RunCurves& run : overlayRuns_) {
    QColor color = paletteColor(index + 3);
    color.setAlpha(150);
    ++index;
    const QString label = tr("run %1").arg(run.id);
    if (!run.lossX.isEmpty()) {
      OverlayCurve c{label, {}, {}, color};
      DebiasedEma ema(smoothing_);
      const qsizetype n = run.lossX.size();
      const qsizetype step = std::max<qsizetype>(1, n / kOverlayPoints);
      for (qsizetype i = 0; i < n; ++i) {
        const double v = ema.add(run.lossY[i]);
        if (i % step == 0 || i == n - 1) {
          c.x << run.lossX[i];
          c.y << v;
        }
      }
      loss << c;
    }
    if (!run.accuracyX.isEmpty()) accuracy << OverlayCurve{label, run.accuracyX, run.accuracyY, color};
  }
  loss_->setOverlays(loss);
  accuracy_->setOverlays(accuracy);
  loss_->markDirty();
  accuracy_->markDirty();
  replotDirty();
}

void MonitorPanel::setLogScale(bool on) {
  if (logBox_->isChecked() != on) {
    QSignalBlocker block(logBox_);
    logBox_->setChecked(on);
  }
  // Ratio plot is already log10 and activations can be negative: they stay linear.
  for (auto* p : {loss_, accuracy_, reconstruction_, workers_, learningRate_, throughput_}) p->setLogY(on);
  replotDirty();
}

bool MonitorPanel::logScale() const { return logBox_->isChecked(); }

void MonitorPanel::resetViews() {
  for (auto* p : allPlots()) p->resetView();
}

bool MonitorPanel::exportCurrentPng(const QString& path) {
  if (tabs_->currentWidget() == histograms_) return histograms_->grab().save(path);
  auto plots = currentPlots();
  return !plots.isEmpty() && plots[0]->exportPng(path);
}

bool MonitorPanel::exportCurrentPdf(const QString& path) {
  auto plots = currentPlots();
  return !plots.isEmpty() && plots[0]->exportPdf(path);
}

bool MonitorPanel::exportCurrentCsv(const QString& path, QString* error) {
  auto plots = currentPlots();
  if (plots.isEmpty()) return false;
  if (plots.size() == 1) return plots[0]->exportCsv(path, error);
  // Several plots in the tab: one file each, named after the plot.
  const QFileInfo info(path);
  for (auto* p : plots) {
    QString name = p->title();
    name.replace(QRegularExpression("[^A-Za-z0-9]+"), "_");
    const QString file = info.dir().filePath(info.completeBaseName() + "_" + name + ".csv");
    if (!p->exportCsv(file, error)) return false;
  }
  return true;
}

}  // namespace scaleout::ui
