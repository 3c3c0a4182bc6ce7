#include "observer_adapter.h"

#include <QMetaObject>

namespace scaleout::ui {

void registerMetaTypes() {
  qRegisterMetaType<scaleout::PhaseInfo>();
  qRegisterMetaType<scaleout::IterationInfo>();
  qRegisterMetaType<QVector<scaleout::IterationInfo>>();
  qRegisterMetaType<scaleout::RoundInfo>();
  qRegisterMetaType<scaleout::EpochInfo>();
  qRegisterMetaType<scaleout::EvalReport>();
  qRegisterMetaType<scaleout::ModelStats>();
  qRegisterMetaType<scaleout::FilterSnapshot>();
  qRegisterMetaType<scaleout::SteeringChange>();
  qRegisterMetaType<scaleout::RunSummary>();
}

ObserverAdapter::ObserverAdapter(QObject* parent) : QObject(parent) { registerMetaTypes(); }

void ObserverAdapter::push(Event event) {
  bool post = false;
  {
    std::lock_guard lock(mutex_);
    post = queue_.empty();
    queue_.push_back(std::move(event));
  }
  if (post) QMetaObject::invokeMethod(this, &ObserverAdapter::flush, Qt::QueuedConnection);
}

void ObserverAdapter::onIteration(const IterationInfo& info) {
  bool post = false;
  {
    std::lock_guard lock(mutex_);
    post = queue_.empty();
    // Consecutive minibatches join the batch at the back of the queue.
    if (!queue_.empty())
      if (auto* batch = std::get_if<QVector<IterationInfo>>(&queue_.back())) {
        batch->push_back(info);
        return;  // a flush is already posted for this non-empty queue
      }
    queue_.emplace_back(QVector<IterationInfo>{info});
  }
  if (post) QMetaObject::invokeMethod(this, &ObserverAdapter::flush, Qt::QueuedConnection);
}

void ObserverAdapter::onPhaseStarted(const PhaseInfo& info) { push(info); }
void ObserverAdapter::onRound(const RoundInfo& info) { push(info); }
void ObserverAdapter::onEpochFinished(const EpochInfo& info) { push(info); }
void ObserverAdapter::onEvaluation(const EvalReport& report) { push(report); }
void ObserverAdapter::onModelStats(const ModelStats& stats) { push(stats); }
void ObserverAdapter::onFilters(const FilterSnapshot& filters) { push(filters); }
void ObserverAdapter::onSteering(const SteeringChange& change) { push(change); }
void ObserverAdapter::onCheckpoint(const std::string& path, long long iteration) { push(Checkpoint{path, iteration}); }
void ObserverAdapter::onMessage(const std::string& text) { push(Message{text}); }
void ObserverAdapter::onFinished(const RunSummary& summary) { push(summary); }

void ObserverAdapter::flush() {
  std::vector<Event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(queue_);
  }
  for (const Event& e : events) {
    std::visit(
        [this](const auto& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, QVector<IterationInfo>>) {
            emit iterations(ev);
            for (const IterationInfo& it : ev) emit iteration(it);
          } else if constexpr (std::is_same_v<T, PhaseInfo>) {
            emit phaseStarted(ev);
          } else if constexpr (std::is_same_v<T, RoundInfo>) {
            emit round(ev);
          } else if constexpr (std::is_same_v<T, EpochInfo>) {
            emit epochFinished(ev);
          } else if constexpr (std::is_same_v<T, EvalReport>) {
            emit evaluation(ev);
          } else if constexpr (std::is_same_v<T, ModelStats>) {
            emit modelStats(ev);
          } else if constexpr (std::is_same_v<T, FilterSnapshot>) {
            emit filters(ev);
          } else if constexpr (std::is_same_v<T, SteeringChange>) {
            emit steering(ev);
          } else if constexpr (std::is_same_v<T, Checkpoint>) {
            emit checkpoint(QString::fromStdString(ev.path), ev.iteration);
          } else if constexpr (std::is_same_v<T, Message>) {
            emit message(QString::fromStdString(ev.text));
          } else if constexpr (std::is_same_v<T, RunSummary>) {
            emit finished(ev);
          }
        },
        e);
  }
}

}  // namespace scaleout::ui
