#include "cluster/remote_worker.h"

#include <utility>

#include "cluster/protocol.h"
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
  outstanding_.clear();
}

bool RemoteLane::lost() const {
  std::lock_guard lock(mutex_);
  return lost_;
}

bool RemoteLane::busy() const {
  std::lock_guard lock(mutex_);
  return !outstanding_.empty();
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
  o.begin = task.phase.begin;
  o.count = task.phase.size();
  o.params = task.params;
  o.spare = std::move(task.spareSegment);  // reused by deliver(): no 5 MB allocation (and page faults) per result
  auto outbox = outbox_.lock();
  if (lost_ || !outbox) {
    pushError(task.round, "remote worker " + id_ + " is gone");
    return;
  }
  outstanding_.push_back(o);
  if (!outbox->push({peer_, generation_, lane_, std::move(task)})) {
    outstanding_.pop_back();
    pushError(o.round, "the cluster master of remote worker " + id_ + " has stopped");
  }
}

void RemoteLane::fail(const std::string& reason) {
  std::lock_guard lock(mutex_);
  if (lost_) return;
  lost_ = true;
  for (const Outstanding& o : outstanding_) pushError(o.round, "remote worker " + id_ + " " + reason);
  outstanding_.clear();
}

std::string RemoteLane::deliver(ResultMsg& message) {
  RoundResult& result = message.result;
  std::lock_guard lock(mutex_);
  if (lost_) return "the lane was already declared dead";
  if (outstanding_.empty()) return "no task is outstanding on this lane";
  // The node trains its tasks in order and answers each: the result is for the oldest.
  if (outstanding_.front().round != result.round)
    return "result of round " + std::to_string(result.round) + " but round " + std::to_string(outstanding_.front().round) +
           " is the oldest outstanding";
  Outstanding& o = outstanding_.front();  // popped once delivered; on an error it stays, for fail()
  if (message.errorText.empty() && !result.cancelled && result.samples > 0) {
    if (message.count != o.count || !o.params)
      return "result of " + std::to_string(message.count) + " values does not fit the task's " + std::to_string(o.count) + " parameters";
    std::string error;
    bool ok = false;
    if (message.delta) {
      // The worker sent what it changed; apply it to exactly what the task started from.
      result.segment = std::move(o.spare);
      result.segment = o.params->segment(static_cast<Eigen::Index>(o.begin), static_cast<Eigen::Index>(o.count));
      ok = addDecoded(message.codec, message.values.span(), o.count, result.segment.data(), error);
    } else {
      result.segment = std::move(o.spare);
      result.segment.resize(static_cast<Eigen::Index>(o.count));
      ok = decodeVector(message.codec, message.values.span(), o.count, result.segment.data(), error);
    }
    if (!ok && !result.diverged) return "result values do not fit the task: " + error;
    if (!ok) result.segment.resize(0);  // diverged: the trainer stops on the loss, not these values
    result.startedFrom = std::move(o.params);
  }
  outstanding_.pop_front();
  if (!results_) return "";
  result.worker = index_;
  result.finished = std::chrono::steady_clock::now();
  if (!message.errorText.empty())
    result.error = std::make_exception_ptr(ScaleoutError("remote worker " + id_ + ": " + message.errorText));
  results_->push(std::move(result));
  return "";
}

}  // namespace scaleout::cluster
