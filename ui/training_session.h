#pragma once
// TrainingSession: one training run off the GUI thread. start() copies the Conf and
// spawns a std::thread that loads the data, builds the Trainer and runs it; the data and
// the Trainer are locals of that thread, so both live exactly until the run is over.
// Pause/resume/stop and steering reach the Trainer's RunControl/Steering (atomics and a
// mutex) from the GUI thread; requests made before the Trainer exists are replayed.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <QObject>
#include <QString>

#include "config/conf.h"
#include "data/dataset.h"
#include "io/model_file.h"
#include "observer_adapter.h"

namespace scaleout {
class Trainer;
struct TrainTestData;
}

namespace scaleout::ui {

struct SessionOptions {
  QString runDirectory;  // conf.json, metrics.csv and checkpoint.bin go here ("" = none)
  // Run the training threads at a lower CPU priority (nice +10) than the GUI thread, so
  // the event loop gets a core promptly even while every core trains.
  bool lowerPriority = true;
  // With clusterZk set the run is also the master of a cluster (cluster::MasterService):
  // it listens on clusterBind, registers in ZooKeeper, and the workers of clusterName
  // join at the next round; without it nothing about the cluster is touched.
  QString clusterZk;
  QString clusterName = "default";
  QString clusterBind = "tcp://127.0.0.1:*";
  bool clusterSecurity = true;  // off: workers without CURVE (their --insecure)
  // Continue from this checkpoint (optimizer and random state restored); the conf must
  // build the checkpoint's network ("" = a fresh run).
  QString resumeCheckpoint;
};

class TrainingSession : public QObject {
  Q_OBJECT
 public:
  explicit TrainingSession(QObject* parent = nullptr);
  ~TrainingSession() override;  // stops a running run and waits for its thread

  ObserverAdapter* adapter() const { return adapter_; }

  // Returns false (and does nothing) while a run is going.
  bool start(const Conf& conf, const SessionOptions& options = {});
  bool isRunning() const { return running_; }
  bool isPaused() const { return paused_; }

  void pause();
  void resume();
  void stop();
  // Steers a steerable knob (knobs.def) of the running job, `text` as --set reads it:
  // applied by the master at the next round, reported back as adapter()->steering().
  // Returns "" when queued, else why not (the knob is fixed, the value out of range).
  QString steer(const QString& knob, const QString& text);

  // The model of the last finished run (conf, normalizer, parameters).
  const std::optional<ModelFile>& lastModel() const { return lastModel_; }
  // The last run's parameters at its best finetuning evaluation (none without one).
  const std::optional<ModelFile>& bestModel() const { return bestModel_; }
  const QString& runDirectory() const { return runDirectory_; }
  // The test set of the current (or last) run, normalised as trained; null before its
  // data is loaded. Shared and immutable: the evaluation view reads it on its own thread.
  std::shared_ptr<const DataSet> testSet() const { return testSet_; }

 signals:
  void started();
  void dataLoaded(qulonglong trainSamples, qulonglong testSamples, int features, int classes);
  // nIn and/or nOut were still at their defaults and the data has another shape: the run
  // uses the data's (see reportShapeTakenFromData); `note` says which and why.
  void shapeTakenFromData(int nIn, int nOut, const QString& note);
  // The run ended: normally, stopped, or with an error (message non-empty). Emitted
  // after the adapter's finished() for a run that got as far as training.
  void ended(bool completed, const QString& error);

 private:
  void threadMain(Conf conf, SessionOptions options);
  void reportShapeTakenFromData(const Conf& form, const Conf& run);
  void onThreadDone(bool completed, const QString& error, std::shared_ptr<ModelFile> model,
                    std::shared_ptr<ModelFile> best);
  template <typename F>
  void withTrainer(F&& f);

  ObserverAdapter* adapter_;
  std::thread thread_;
  std::mutex trainerMutex_;
  Trainer* trainer_ = nullptr;  // valid only under trainerMutex_
  // Requests made before the trainer exists.
  bool pendingPause_ = false;
  bool pendingCancel_ = false;
  std::vector<std::pair<std::string, std::string>> pendingSteering_;  // asked for before the trainer existed
  bool running_ = false;
  bool paused_ = false;
  std::optional<ModelFile> lastModel_;
  std::optional<ModelFile> bestModel_;
  std::shared_ptr<const DataSet> testSet_;
  QString runDirectory_;
};

}  // namespace scaleout::ui
