#include "run_status.h"

#include <algorithm>
#include <cmath>

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>

namespace scaleout::ui {

namespace {
constexpr int kSteps = 1000;  // the bar's resolution; the percentage shown is steps / 10
}

RunStatus::RunStatus(QStatusBar* bar, QObject* parent)
    : QObject(parent),
      phaseLabel_(new QLabel(tr("idle"))),
      epochLabel_(new QLabel),
      iterationLabel_(new QLabel),
      speedLabel_(new QLabel),
      etaLabel_(new QLabel),
      percentLabel_(new QLabel),
      progress_(new QProgressBar) {
  phaseLabel_->setObjectName("statusPhase");
  etaLabel_->setObjectName("statusEta");
  percentLabel_->setObjectName("statusPercent");
  progress_->setObjectName("runProgress");
  progress_->setRange(0, kSteps);
  progress_->setMaximumWidth(200);
  progress_->setTextVisible(true);
  progress_->setFormat("%p%");
  progress_->setToolTip(tr("Progress of the whole run: samples trained over samples planned, all phases"));
  percentLabel_->setToolTip(progress_->toolTip());
  // Fixed widths from the font: numbers changing many times a second must not make the
  // status bar re-layout (and jitter) on every update.
  const QFontMetrics fm(bar->font());
  phaseLabel_->setMinimumWidth(fm.horizontalAdvance("paused: pretrain layer 10 (10/10)") + 8);
  epochLabel_->setMinimumWidth(fm.horizontalAdvance("epoch 10000/10000") + 8);
  iterationLabel_->setMinimumWidth(fm.horizontalAdvance("iteration 100000000") + 8);
  speedLabel_->setMinimumWidth(fm.horizontalAdvance("10000000 samples/s") + 8);
  etaLabel_->setMinimumWidth(fm.horizontalAdvance("ETA 100:00:00") + 8);
  percentLabel_->setMinimumWidth(fm.horizontalAdvance("100% of run") + 8);
  for (QLabel* l : {phaseLabel_, epochLabel_, iterationLabel_, speedLabel_, etaLabel_, percentLabel_}) bar->addWidget(l);
  bar->addPermanentWidget(progress_);
}

QString RunStatus::formatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return QStringLiteral("–");
  const qint64 s = static_cast<qint64>(seconds + 0.5);
  if (s >= 3600) return QStringLiteral("%1:%2:%3").arg(s / 3600).arg((s / 60) % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

void RunStatus::runStarting() {
  paused_ = false;
  phase_.clear();
  phaseLabel_->setText(tr("loading data…"));
  for (QLabel* l : {epochLabel_, iterationLabel_, speedLabel_, etaLabel_}) l->clear();
  setProgress(0);
}

void RunStatus::showPhase() {
  phaseLabel_->setText(paused_ ? tr("paused: %1").arg(phase_) : phase_);
  if (paused_) etaLabel_->clear();
}

void RunStatus::setProgress(double fraction) {
  const int steps = static_cast<int>(std::floor(std::clamp(fraction, 0.0, 1.0) * kSteps));
  progress_->setValue(steps);
  percentLabel_->setText(tr("%1% of run").arg(percent()));
}

int RunStatus::percent() const { return progress_->value() * 100 / kSteps; }

void RunStatus::phaseStarted(const PhaseInfo& info) {
  phaseEpochs_ = info.epochs;
  phase_ = tr("%1 (%2/%3)").arg(QString::fromStdString(info.label)).arg(info.index + 1).arg(info.count);
  showPhase();
  epochLabel_->setText(tr("epoch 0/%1").arg(info.epochs));
}

void RunStatus::iterationsDone(long long lastIteration) { iterationLabel_->setText(tr("iteration %1").arg(lastIteration)); }

void RunStatus::round(const RoundInfo& info) {
  speedLabel_->setText(tr("%1 samples/s").arg(info.samplesPerSecond, 0, 'f', 0));
  // A round that finishes just after Pause must not bring the ETA back.
  if (!paused_) etaLabel_->setText(tr("ETA %1").arg(formatDuration(info.etaSeconds)));
  epochLabel_->setText(tr("epoch %1/%2").arg(info.epoch).arg(phaseEpochs_));
  setProgress(info.runFraction);
}

void RunStatus::epochFinished(const EpochInfo& info) { epochLabel_->setText(tr("epoch %1/%2").arg(info.epoch).arg(phaseEpochs_)); }

void RunStatus::setPaused(bool paused) {
  paused_ = paused;
  showPhase();
}

void RunStatus::runEnded(bool completed, bool failed) {
  paused_ = false;
  phaseLabel_->setText(completed ? tr("finished") : (failed ? tr("failed") : tr("stopped")));
  if (completed) setProgress(1.0);
  etaLabel_->clear();
}

QString RunStatus::text() const {
  QStringList parts;
  for (QLabel* l : {phaseLabel_, epochLabel_, iterationLabel_, speedLabel_, etaLabel_, percentLabel_})
    if (!l->text().isEmpty()) parts << l->text();
  return parts.join(" | ");
}

QString RunStatus::etaText() const { return etaLabel_->text(); }

}  // namespace scaleout::ui
