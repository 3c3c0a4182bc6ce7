#include "cluster/remote_worker.h"

#include <utility>

#include "util/error.h"

namespace scaleout::cluster {

bool TaskOutbox::push(OutgoingTask task) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_();
  return true;
}

std::deque<OutgoingTask> TaskOutbox::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(tasks_, {});
}

void TaskOutbox::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  tasks_.clear();
}

RemoteLane::RemoteLane(std::string id, std::string peer, uint32_t generation, uint32_t lane, std::weak_ptr<TaskOutbox> outbox)
    : id_(std::move(id)), peer_(std::move(peer)), generation_(generation), lane_(lane), outbox_(std::move(outbox)) {}

void RemoteLane::attach(ResultQueue* results, int index) {
  std::lock_guard lock(mutex_);
  results_ = results;
  index_ = index;
}

void RemoteLane::detach() {
  std::lock_guard lock(mutex_);
  results_ = nullptr;
  outstanding_.reset();
}

bool RemoteLane::lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

bool RemoteLane::busy() const {
  std::lock_guard lock(mutex_);
  return outstanding_.has_value();
}

void RemoteLane::pushError(long long round, const std::string& what) {
  if (!results_) return;
  RoundResult r;
  r.worker = index_;
  r.round = round;
  r.finished = std::chrono::steady_clock::now();
  r.error = std::make_exception_ptr(ScaleoutError(what));
  results_->push(std::move(r));
}

void RemoteLane::post(RoundTask task) {
  std::lock_guard lock(mutex_);
  Outstanding o;
  o.round = task.round;
  o.segment = task.phase.size();
  o.velocity = task.state ? static_cast<size_t>(task.state->velocity.size()) : 0;
  o.adagrad = task.state ? static_cast<size_t>(task.state->adagrad.size()) : 0;
  auto outbox = outbox_.lock();
  if (lost_ || !outbox) {
    pushError(task.round, "remote worker " + id_ + " is gone");
    return;
  }
  outstanding_ = o;
  if (!outbox->push({peer_, generation_, lane_, std::move(task)})) {
    outstanding_.reset();
    pushError(o.round, "the cluster master of remote worker " + id_ + " has stopped");
  }
}

void RemoteLane::fail(const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (lost_) return;
  lost_ = true;
  if (outstanding_) {
    pushError(outstanding_->round, "remote worker " + id_ + " " + reason);
    outstanding_.reset();
  }
}

std::string RemoteLane::deliver(RoundResult result, const std::string& errorText) {
  std::lock_guard lock(mutex_);
  if (lost_) return "the lane was already declared dead";
  if (!outstanding_) return "no task is outstanding on this lane";
  if (outstanding_->round != result.round)
    return "result of round " + std::to_string(result.round) + " but round " + std::to_string(outstanding_->round) +
           " is outstanding";
  if (errorText.empty() && !result.cancelled &&
      (static_cast<size_t>(result.segment.size()) != outstanding_->segment ||
       static_cast<size_t>(result.state.velocity.size()) != outstanding_->velocity ||
       static_cast<size_t>(result.state.adagrad.size()) != outstanding_->adagrad))
    return "result sizes (" + std::to_string(result.segment.size()) + ", " + std::to_string(result.state.velocity.size()) +
           ", " + std::to_string(result.state.adagrad.size()) + ") do not match the task (" +
           std::to_string(outstanding_->segment) + ", " + std::to_string(outstanding_->velocity) + ", " +
           std::to_string(outstanding_->adagrad) + ")";
  outstanding_.reset();
  if (!results_) return "";
  result.worker = index_;
  result.finished = std::chrono::steady_clock::now();
  if (!errorText.empty()) result.error = std::make_exception_ptr(ScaleoutError("remote worker " + id_ + ": " + errorText));
  results_->push(std::move(result));
  return "";
}

}  // namespace scaleout::cluster
