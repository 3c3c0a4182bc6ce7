#pragma once
// RunStatus: the status-bar read-out of a run (phase, epoch, iteration, speed, ETA and a
// progress bar) with one definition of progress: RoundInfo::runFraction, the samples
// trained over the samples planned for the whole run. The bar and the text show the same
// percentage. While paused the phase reads "paused" and there is no ETA. After a resume
// the speed and the ETA count only what this process trained (the core computes them so).
#include <QObject>
#include <QString>

#include "train/observer.h"

class QLabel;
class QProgressBar;
class QStatusBar;

namespace scaleout::ui {

class RunStatus : public QObject {
  Q_OBJECT
 public:
  RunStatus(QStatusBar* bar, QObject* parent = nullptr);

  void runStarting();  // "loading data…", everything else cleared
  void phaseStarted(const PhaseInfo& info);
  void iterationsDone(long long lastIteration);
  void round(const RoundInfo& info);
  void epochFinished(const EpochInfo& info);
  void setPaused(bool paused);
  void runEnded(bool completed, bool failed);

  QString text() const;      // every part, joined with " | "
  int percent() const;       // what the bar shows, 0..100
  QString etaText() const;
  QProgressBar* progressBar() const { return progress_; }

  static QString formatDuration(double seconds);

 private:
  void showPhase();
  void setProgress(double fraction);

  QLabel *phaseLabel_, *epochLabel_, *iterationLabel_, *speedLabel_, *etaLabel_, *percentLabel_;
  QProgressBar* progress_;
  QString phase_;  // "finetune (1/1)": what the phase label shows when not paused
  int phaseEpochs_ = 0;
  bool paused_ = false;
};

}  // namespace scaleout::ui
