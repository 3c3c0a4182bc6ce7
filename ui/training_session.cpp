#include "training_session.h"

#include <filesystem>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <QDir>
#include <QMetaObject>

#include "cluster/master_service.h"
#include "config/conf_io.h"
#include "data/data_source.h"
#include "data/shape_from_data.h"
#include "train/metrics_writer.h"
#include "train/trainer.h"
#include "util/error.h"

namespace scaleout::ui {


TrainingSession::TrainingSession(QObject* parent) : QObject(parent), adapter_(new ObserverAdapter(this)) {}

TrainingSession::~TrainingSession() {
  stop();
  if (thread_.joinable()) thread_.join();
}

bool TrainingSession::start(const Conf& conf, const SessionOptions& options) {
  if (running_) return false;
  if (thread_.joinable()) thread_.join();  // a finished run whose done-notice is still queued
  {
    std::lock_guard lock(trainerMutex_);
    pendingPause_ = pendingCancel_ = false;
    pendingRate_.reset();
    pendingFrequency_.reset();
    pendingThreads_.reset();
  }
  running_ = true;
  paused_ = false;
  runDirectory_ = options.runDirectory;
  testSet_.reset();
  lastModel_.reset();  // a run that fails must not leave the previous run's model as "its" model
  bestModel_.reset();
  thread_ = std::thread(&TrainingSession::threadMain, this, conf, options);
  emit started();
  return true;
}

template <typename F>
void TrainingSession::withTrainer(F&& f) {
  std::lock_guard lock(trainerMutex_);
  f(trainer_);
}

void TrainingSession::pause() {
  if (!running_) return;
  paused_ = true;
  withTrainer([this](Trainer* t) {
    if (t) t->control().pause();
    else pendingPause_ = true;
  });
}

void TrainingSession::resume() {
  if (!running_) return;
  paused_ = false;
  withTrainer([this](Trainer* t) {
    if (t) t->control().resume();
    else pendingPause_ = false;
  });
}

void TrainingSession::stop() {
  if (!running_) return;
  withTrainer([this](Trainer* t) {
    if (t) t->control().cancel();
    else pendingCancel_ = true;
  });
}

void TrainingSession::steerLearningRate(float rate) {
  withTrainer([&](Trainer* t) {
    if (t) t->steering().setLearningRate(rate);
    else pendingRate_ = rate;
  });
}

void TrainingSession::steerAveragingFrequency(int minibatches) {
  withTrainer([&](Trainer* t) {
    if (t) t->steering().setAveragingFrequency(minibatches);
    else pendingFrequency_ = minibatches;
  });
}

void TrainingSession::steerThreads(int workers) {
  withTrainer([&](Trainer* t) {
    if (t) t->steering().setThreads(workers);
    else pendingThreads_ = workers;
  });
}

// The form always holds some nIn and nOut (784 and 10, Fashion-MNIST's, by default), so it
// cannot tell "left out" from "set" the way a conf file can. A knob still at its default
// counts as left out and is taken from the data, as the CLI does for a knob the file omits
// (#14: a 4-feature CSV was refused until the user typed both). A value the user changed
// stays, and a mismatch is still the error that names the knob. Training thread.
void TrainingSession::takeShapeFromDataIfDefault(Conf& conf, const TrainTestData& data) {
  const Conf defaults;
  const int nIn = conf.nIn, nOut = conf.nOut;
  if (takeShapeFromData(conf, data, GivenShape{conf.nIn != defaults.nIn, conf.nOut != defaults.nOut}).empty()) return;
  QStringList parts;
  if (conf.nIn != nIn) parts << tr("nIn=%1 from the data's features").arg(conf.nIn);
  if (conf.nOut != nOut) parts << tr("nOut=%1 from the data's classes").arg(conf.nOut);
  const QString note = tr("%1 (the form had the defaults %2/%3)")
                           .arg(parts.join(tr(" and ")))
                           .arg(nIn)
                           .arg(nOut);
  QMetaObject::invokeMethod(
      this, [this, in = conf.nIn, out = conf.nOut, note] { emit shapeTakenFromData(in, out, note); }, Qt::QueuedConnection);
}

// Runs on the training thread. Everything it tells the GUI goes through queued calls.
void TrainingSession::threadMain(Conf conf, SessionOptions options) {
  auto done = [this](bool completed, const QString& error, std::shared_ptr<ModelFile> model,
                     std::shared_ptr<ModelFile> best = nullptr) {
    QMetaObject::invokeMethod(
        this, [this, completed, error, model, best] { onThreadDone(completed, error, model, best); }, Qt::QueuedConnection);
  };
#if defined(__linux__)
  // Nice is per thread on Linux and inherited by threads created later, so the Trainer's
  // worker threads (started from this one) run at this priority too.
  if (options.lowerPriority) setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
#endif
  try {
    // The data first: a missing or unreadable file ends the run before a run folder exists.
    const TrainTestData data = loadTrainTest(conf);
    takeShapeFromDataIfDefault(conf, data);
    TrainerOptions trainerOptions;
    std::unique_ptr<MetricsWriter> metrics;
    if (!options.runDirectory.isEmpty()) {
      const std::filesystem::path dir = options.runDirectory.toStdString();
      std::filesystem::create_directories(dir);
      saveConfFile(conf, (dir / "conf.json").string());
      metrics = std::make_unique<MetricsWriter>((dir / "metrics.csv").string());
      trainerOptions.checkpointPath = (dir / "checkpoint.bin").string();
    }
    auto test = std::make_shared<const DataSet>(data.test);
    QMetaObject::invokeMethod(
        this,
        [this, test, tr = qulonglong(data.train.size()), te = qulonglong(data.test.size()), f = data.train.dims(),
         c = data.train.numClasses] {
          testSet_ = test;
          emit dataLoaded(tr, te, f, c);
        },
        Qt::QueuedConnection);
    Trainer trainer(conf, data, trainerOptions);
    if (!options.resumeCheckpoint.isEmpty()) trainer.resumeFrom(readModelFile(options.resumeCheckpoint.toStdString()));
    trainer.addObserver(adapter_);
    if (metrics) trainer.addObserver(metrics.get());
    std::unique_ptr<cluster::MasterService> master;  // destroyed before the trainer
    if (!options.clusterZk.isEmpty()) {
      cluster::MasterServiceOptions co;
      co.bind = options.clusterBind.toStdString();
      co.zkHosts = options.clusterZk.toStdString();
      co.cluster = options.clusterName.toStdString();
      co.security.insecure = !options.clusterSecurity;
      co.zkSessionTimeoutMs = static_cast<int>(conf.zooKeeperSessionTimeoutSeconds * 1000);
      // Workers joining and leaving reach the run log and the charts' annotations.
      co.log = [adapter = adapter_](const std::string& line) { adapter->onMessage("cluster: " + line); };
      master = std::make_unique<cluster::MasterService>(conf, data.train, trainer, co);
      adapter_->onMessage("cluster: master of " + co.cluster + " at " + master->endpoint());
    }
    {
      std::lock_guard lock(trainerMutex_);
      if (pendingCancel_) {
        done(false, QString(), nullptr);
        return;
      }
      if (pendingPause_) trainer.control().pause();
      if (pendingRate_) trainer.steering().setLearningRate(*pendingRate_);
      if (pendingFrequency_) trainer.steering().setAveragingFrequency(*pendingFrequency_);
      if (pendingThreads_) trainer.steering().setThreads(*pendingThreads_);
      trainer_ = &trainer;
    }
    RunSummary summary = trainer.run();
    master.reset();  // remote workers go back to waiting
    {
      std::lock_guard lock(trainerMutex_);
      trainer_ = nullptr;
    }
    auto model = std::make_shared<ModelFile>(trainer.model());
    if (!options.runDirectory.isEmpty()) {
      try {
        writeModelFile((std::filesystem::path(options.runDirectory.toStdString()) / "model.bin").string(), *model);
        // Stop keeps both: the last model above and the best one seen at an evaluation.
        if (auto kept = trainer.bestModel())
          writeModelFile((std::filesystem::path(options.runDirectory.toStdString()) / "best-model.bin").string(), *kept);
      } catch (const ScaleoutError&) {
        // The model is still offered through lastModel(); saving it elsewhere can work.
      }
    }
    std::shared_ptr<ModelFile> best;
    if (auto kept = trainer.bestModel()) best = std::make_shared<ModelFile>(std::move(*kept));
    done(summary.completed, QString::fromStdString(summary.error), model, best);
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(trainerMutex_);
      trainer_ = nullptr;
    }
    done(false, QString::fromStdString(e.what()), nullptr);
  }
}

void TrainingSession::onThreadDone(bool completed, const QString& error, std::shared_ptr<ModelFile> model,
                                   std::shared_ptr<ModelFile> best) {
  if (thread_.joinable()) thread_.join();  // the thread has returned or is unwinding its locals
  running_ = false;
  paused_ = false;
  if (model) lastModel_ = *model;
  if (best) bestModel_ = *best;
  emit ended(completed, error);
}

}  // namespace scaleout::ui
