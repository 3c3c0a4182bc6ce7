#pragma once
// ObserverAdapter: a TrainingObserver whose hooks run on the trainer's thread and whose
// signals are emitted on the GUI thread (the adapter's thread). Hooks only copy the event
// into a queue under a mutex; the first event into an empty queue posts one flush with
// Qt::QueuedConnection, which emits the queued events in order. So a burst of thousands
// of minibatches costs the event loop one posted event, not thousands; no slot ever runs
// on the training thread; and receivers on the GUI thread connect directly (a second
// queued hop would only reorder them against TrainingSession::ended()).
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include <QObject>
#include <QString>
#include <QVector>

#include "metatypes.h"
#include "train/observer.h"

namespace scaleout::ui {

class ObserverAdapter : public QObject, public TrainingObserver {
  Q_OBJECT
 public:
  explicit ObserverAdapter(QObject* parent = nullptr);

  // TrainingObserver (called on the training thread).
  void onPhaseStarted(const PhaseInfo& info) override;
  void onIteration(const IterationInfo& info) override;
  void onRound(const RoundInfo& info) override;
  void onEpochFinished(const EpochInfo& info) override;
  void onEvaluation(const EvalReport& report) override;
  void onModelStats(const ModelStats& stats) override;
  void onFilters(const FilterSnapshot& filters) override;
  void onSteering(const SteeringChange& change) override;
  void onCheckpoint(const std::string& path, long long iteration) override;
  void onMessage(const std::string& text) override;
  void onFinished(const RunSummary& summary) override;

 signals:
  void phaseStarted(const scaleout::PhaseInfo& info);
  // Consecutive minibatches arrive as one batch (one queued delivery per flush) ...
  void iterations(const QVector<scaleout::IterationInfo>& batch);
  // ... and each one also as its own signal, in order.
  void iteration(const scaleout::IterationInfo& info);
  void round(const scaleout::RoundInfo& info);
  void epochFinished(const scaleout::EpochInfo& info);
  void evaluation(const scaleout::EvalReport& report);
  void modelStats(const scaleout::ModelStats& stats);
  void filters(const scaleout::FilterSnapshot& filters);
  void steering(const scaleout::SteeringChange& change);
  void checkpoint(const QString& path, long long iteration);
  void message(const QString& text);
  void finished(const scaleout::RunSummary& summary);

 private slots:
  void flush();

 private:
  struct Checkpoint {
    std::string path;
    long long iteration;
  };
  struct Message {
    std::string text;
  };
  using Event = std::variant<QVector<IterationInfo>, PhaseInfo, RoundInfo, EpochInfo, EvalReport, ModelStats,
                             FilterSnapshot, SteeringChange, Checkpoint, Message, RunSummary>;
  void push(Event event);

  std::mutex mutex_;
  std::vector<Event> queue_;
};

}  // namespace scaleout::ui
