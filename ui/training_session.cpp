#include "training_session.h"


#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <QDir>
#include <QMetaObject>

#include "run/training_run.h"
#include "train/steering.h"
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
    pendingSteering_.clear();
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

QString TrainingSession::steer(const QString& knob, const QString& text) {
  const std::string name = knob.toStdString(), value = text.toStdString();
  if (std::string problem = steeringProblem(name, value); !problem.empty()) return QString::fromStdString(problem);
  withTrainer([&](Trainer* t) {
    if (t) t->steering().request(name, value);
    else pendingSteering_.emplace_back(name, value);
  });
  return QString();
}

// The form always holds some nIn and nOut (784 and 10, Fashion-MNIST's, by default), so it
// cannot tell "left out" from "set" the way a conf file can. A knob still at its default
// counts as left out and is taken from the data, as the CLI does for a knob the file omits
// (#14: a 4-feature CSV was refused until the user typed both). A value the user changed
// stays, and a mismatch is still the error that names the knob. This tells the form what
// the run took. Training thread.
void TrainingSession::reportShapeTakenFromData(const Conf& form, const Conf& run) {
  if (form.nIn == run.nIn && form.nOut == run.nOut) return;
  QStringList parts;
  if (run.nIn != form.nIn) parts << tr("nIn=%1 from the data's features").arg(run.nIn);
  if (run.nOut != form.nOut) parts << tr("nOut=%1 from the data's classes").arg(run.nOut);
  const QString note = tr("%1 (the form had the defaults %2/%3)")
                           .arg(parts.join(tr(" and ")))
                           .arg(form.nIn)
                           .arg(form.nOut);
  QMetaObject::invokeMethod(
      this, [this, in = run.nIn, out = run.nOut, note] { emit shapeTakenFromData(in, out, note); }, Qt::QueuedConnection);
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
    RunOptions runOptions;
    runOptions.directory = options.runDirectory.toStdString();
    // The form always holds an nIn and nOut: one still at its default counts as left out
    // (see reportShapeTakenFromData).
    const Conf defaults;
    runOptions.given = GivenShape{conf.nIn != defaults.nIn, conf.nOut != defaults.nOut};
    if (!options.resumeCheckpoint.isEmpty()) runOptions.resume = readModelFile(options.resumeCheckpoint.toStdString());
    if (!options.clusterZk.isEmpty()) {
      cluster::MasterServiceOptions co;
      co.bind = options.clusterBind.toStdString();
      co.zkHosts = options.clusterZk.toStdString();
      co.cluster = options.clusterName.toStdString();
      co.security.insecure = !options.clusterSecurity;
      // Workers joining and leaving reach the run log and the charts' annotations.
      co.log = [adapter = adapter_](const std::string& line) { adapter->onMessage("cluster: " + line); };
      runOptions.cluster = std::move(co);
    }
    // The data first (a missing or unreadable file ends the run before a run folder exists).
    TrainingRun run(conf, std::move(runOptions));
    run.prepare();
    reportShapeTakenFromData(conf, run.conf());
    const TrainTestData& data = run.data();
    auto test = std::make_shared<const DataSet>(data.test);
    QMetaObject::invokeMethod(
        this,
        [this, test, tr = qulonglong(data.train.size()), te = qulonglong(data.test.size()), f = data.train.dims(),
         c = data.train.numClasses] {
          testSet_ = test;
          emit dataLoaded(tr, te, f, c);
        },
        Qt::QueuedConnection);
    Trainer& trainer = run.trainer();
    trainer.addObserver(adapter_);
    if (run.cluster())
      adapter_->onMessage("cluster: master of " + options.clusterName.toStdString() + " at " + run.cluster()->endpoint());
    {
      std::lock_guard lock(trainerMutex_);
      if (pendingCancel_) {
        done(false, QString(), nullptr);
        return;
      }
      if (pendingPause_) trainer.control().pause();
      for (const auto& [knob, text] : pendingSteering_) trainer.steering().request(knob, text);
      trainer_ = &trainer;
    }
    RunSummary summary = run.run();
    {
      std::lock_guard lock(trainerMutex_);
      trainer_ = nullptr;
    }
    try {
      run.saveModels();
    } catch (const ScaleoutError&) {
      // The models are still offered through lastModel() and bestModel(); saving them
      // elsewhere can work.
    }
    auto model = std::make_shared<ModelFile>(trainer.model());
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
