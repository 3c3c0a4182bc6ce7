#pragma once
// Live steering: changes requested from another thread (GUI, CLI) while a run goes on.
// The master applies them at the next round boundary and reports each as a
// SteeringChange, so the change is marked in the run's metrics.
#include <mutex>
#include <optional>

namespace scaleout {

class Steering {
 public:
  void setLearningRate(float rate) { std::lock_guard l(m_); learningRate_ = rate; }
  void setAveragingFrequency(int minibatches) { std::lock_guard l(m_); averagingFrequency_ = minibatches; }
  void setThreads(int workers) { std::lock_guard l(m_); threads_ = workers; }

  struct Pending {
    std::optional<float> learningRate;
    std::optional<int> averagingFrequency;
    std::optional<int> threads;
  };
  Pending take() {
    std::lock_guard l(m_);
    Pending p{learningRate_, averagingFrequency_, threads_};
    learningRate_.reset();
    averagingFrequency_.reset();
    threads_.reset();
    return p;
  }

 private:
  std::mutex m_;
  std::optional<float> learningRate_;
  std::optional<int> averagingFrequency_;
  std::optional<int> threads_;
};

}  // namespace scaleout
