#include "steering_panel.h"

#include <QFormLayout>
#include <QPushButton>
#include <QSpinBox>

#include "sci_spin_box.h"

namespace scaleout::ui {

SteeringPanel::SteeringPanel(QWidget* parent)
    : QGroupBox(tr("Steering (applied at the next round)"), parent),
      rate_(new ScientificSpinBox),
      frequency_(new QSpinBox),
      threads_(new QSpinBox),
      apply_(new QPushButton(tr("Apply"))) {
  setObjectName("steeringPanel");
  rate_->setObjectName("steerLearningRate");
  rate_->setRange(1e-12, 10);
  rate_->setToolTip(tr("Base learning rate of the current phase (per-layer rates keep their ratios)"));
  frequency_->setObjectName("steerAveraging");
  frequency_->setRange(1, 100000);
  frequency_->setToolTip(tr("Minibatches each worker trains between parameter averages"));
  threads_->setObjectName("steerThreads");
  threads_->setRange(1, 1024);
  threads_->setToolTip(tr("Local worker threads"));
  apply_->setObjectName("steerApply");
  auto* form = new QFormLayout(this);
  form->addRow(tr("Learning rate"), rate_);
  form->addRow(tr("Averaging frequency"), frequency_);
  form->addRow(tr("Worker threads"), threads_);
  form->addRow(apply_);
  connect(apply_, &QPushButton::clicked, this, &SteeringPanel::apply);
  setRunning(false);
}

void SteeringPanel::setCurrent(double learningRate, int averagingFrequency, int threads) {
  setCurrentLearningRate(learningRate);
  setCurrentAveragingFrequency(averagingFrequency);
  setCurrentThreads(threads);
}

void SteeringPanel::setCurrentLearningRate(double rate) {
  currentRate_ = rate;
  rate_->setValue(rate);
}

void SteeringPanel::setCurrentAveragingFrequency(int minibatches) {
  currentFrequency_ = minibatches;
  frequency_->setValue(minibatches);
}

void SteeringPanel::setCurrentThreads(int threads) {
  currentThreads_ = threads;
  threads_->setValue(threads);
}

void SteeringPanel::setRunning(bool running) {
  rate_->setEnabled(running);
  frequency_->setEnabled(running);
  threads_->setEnabled(running);
  apply_->setEnabled(running);
}

void SteeringPanel::apply() {
  // Only what the user changed: an untouched field must not overwrite a value the
  // master holds (e.g. the rate of another phase).
  if (rate_->value() != currentRate_) {
    currentRate_ = rate_->value();
    emit learningRateRequested(static_cast<float>(currentRate_));
  }
  if (frequency_->value() != currentFrequency_) {
    currentFrequency_ = frequency_->value();
    emit averagingFrequencyRequested(currentFrequency_);
  }
  if (threads_->value() != currentThreads_) {
    currentThreads_ = threads_->value();
    emit threadsRequested(currentThreads_);
  }
}

}  // namespace scaleout::ui
