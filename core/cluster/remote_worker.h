#pragma once
// RemoteWorker: the master's Worker for one lane of a remote worker node. The trainer
// posts RoundTasks to it like to a local thread; the master's I/O thread ships them to
// the node and pushes the node's RoundResults (or, when the node falls silent past the
// heartbeat timeout, an error result) into the trainer's ResultQueue.
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "train/worker.h"

namespace scaleout::cluster {

struct ResultMsg;

struct OutgoingTask {
  std::string peer;  // ZeroMQ routing id of the node
  uint32_t generation = 0;
  uint32_t lane = 0;
  RoundTask task;
};

// Trainer thread -> master I/O thread.
class TaskOutbox {
 public:
  explicit TaskOutbox(std::function<void()> wake) : wake_(std::move(wake)) {}
  bool push(OutgoingTask task);  // false once closed
  std::deque<OutgoingTask> take();
  void close();

 private:
  std::mutex mutex_;
  std::deque<OutgoingTask> tasks_;
  bool closed_ = false;
  std::function<void()> wake_;
};

// State of one lane shared by its RemoteWorker (trainer thread) and the I/O thread.
class RemoteLane {
 public:
  RemoteLane(std::string id, std::string peer, uint32_t generation, uint32_t lane, std::weak_ptr<TaskOutbox> outbox);

  const std::string& id() const { return id_; }
  const std::string& peer() const { return peer_; }
  uint32_t generation() const { return generation_; }
  uint32_t lane() const { return lane_; }

  // Trainer side.
  void attach(ResultQueue* results, int index);
  void detach();  // the trainer's queue is going away
  void post(RoundTask task);
  bool lost() const;

  // I/O side. Declares the lane dead; each outstanding task gets an error result at once,
  // so the master re-queues its slice without waiting for the round deadline.
  void fail(const std::string& reason);
  // Checks a result against the outstanding task (round, size, finite values), rebuilds
  // the trained segment (the task's parameters plus the decoded change, or the values
  // themselves) and hands it to the trainer. Returns "" or why it was dropped; a result
  // whose values do not fit the task says "does not fit".
  std::string deliver(ResultMsg& message);
  bool busy() const;

 private:
  struct Outstanding {
    long long round = 0;
    size_t begin = 0, count = 0;                   // the phase range
    std::shared_ptr<const Eigen::VectorXf> params;  // what the task started from, exactly
    Eigen::VectorXf spare;  // the lane's last result buffer (RoundTask::spareSegment): the result is decoded into it
  };
  void pushError(long long round, const std::string& what);  // mutex_ held

  const std::string id_, peer_;
  const uint32_t generation_, lane_;
  std::weak_ptr<TaskOutbox> outbox_;
  mutable std::mutex mutex_;
  ResultQueue* results_ = nullptr;
  int index_ = -1;
  bool lost_ = false;
  std::deque<Outstanding> outstanding_;  // in the order posted: the node trains them in order
};

class RemoteWorker final : public Worker {
 public:
  explicit RemoteWorker(std::shared_ptr<RemoteLane> lane) : lane_(std::move(lane)) {}
  ~RemoteWorker() override { lane_->detach(); }
  std::string id() const override { return lane_->id(); }
  void attach(const WorkerContext& context, int index) override { lane_->attach(context.results, index); }
  void post(RoundTask task) override { lane_->post(std::move(task)); }
  bool lost() const override { return lane_->lost(); }
  bool canOverlap() const override { return true; }

 private:
  std::shared_ptr<RemoteLane> lane_;
};

}  // namespace scaleout::cluster
