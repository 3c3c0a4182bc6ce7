#pragma once
// SteeringPanel: change the learning rate, averaging frequency and local worker count of
// a running job. Apply sends only the fields the user changed; the master applies them
// at the next round and reports each change back (marked on the charts).
#include <QGroupBox>

class QPushButton;
class QSpinBox;

namespace scaleout::ui {

class ScientificSpinBox;

class SteeringPanel : public QGroupBox {
  Q_OBJECT
 public:
  explicit SteeringPanel(QWidget* parent = nullptr);
  // The values in force (set when a run or phase starts and when a change is applied).
  void setCurrent(double learningRate, int averagingFrequency, int threads);
  void setCurrentLearningRate(double rate);
  void setCurrentAveragingFrequency(int minibatches);
  void setCurrentThreads(int threads);
  void setRunning(bool running);

  ScientificSpinBox* learningRateBox() const { return rate_; }
  QSpinBox* averagingBox() const { return frequency_; }
  QSpinBox* threadsBox() const { return threads_; }
  QPushButton* applyButton() const { return apply_; }

 signals:
  void learningRateRequested(float rate);
  void averagingFrequencyRequested(int minibatches);
  void threadsRequested(int threads);

 private:
  void apply();
  ScientificSpinBox* rate_;
  QSpinBox* frequency_;
  QSpinBox* threads_;
  QPushButton* apply_;
  double currentRate_ = 0;
  int currentFrequency_ = 0, currentThreads_ = 0;
};

}  // namespace scaleout::ui
