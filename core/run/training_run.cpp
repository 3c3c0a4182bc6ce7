#include "run/training_run.h"

#include <filesystem>

#include "config/conf_io.h"
#include "train/metrics_writer.h"
#include "train/rounds_writer.h"
#include "util/error.h"

namespace scaleout {

TrainingRun::TrainingRun(Conf conf, RunOptions options) : conf_(std::move(conf)), options_(std::move(options)) {
  if (options_.cluster)
    options_.cluster->zkSessionTimeoutMs = static_cast<int>(conf_.zooKeeperSessionTimeoutSeconds * 1000);
}

TrainingRun::~TrainingRun() { service_.reset(); }

std::string TrainingRun::pathOf(const std::string& file) const {
  if (options_.directory.empty()) return "";
  return (std::filesystem::path(options_.directory) / file).string();
}

Trainer& TrainingRun::trainer() {
  if (!trainer_) throw ScaleoutError("TrainingRun: prepare() has not built the trainer yet");
  return *trainer_;
}

std::vector<std::string> TrainingRun::prepare() {
  if (trainer_) throw ScaleoutError("TrainingRun: prepare() runs once");
  // A network whose shape the conf fixes is known before the data: the master listens and
  // registers first, so workers join and load their own copy while it loads (on the
  // reference MLP on one-core hosts, ~0.8 s of the master training alone). A shape taken
  // from the data has to wait for it.
  const bool shapeKnown = options_.given.nIn && options_.given.nOut;
  if (options_.cluster && shapeKnown) service_ = std::make_unique<cluster::MasterService>(conf_, *options_.cluster);
  data_ = loadTrainTest(conf_);
  std::vector<std::string> notes = data_.notes;
  for (std::string& note : takeShapeFromData(conf_, data_, options_.given)) notes.push_back(std::move(note));
  TrainerOptions trainerOptions;
  if (!options_.directory.empty()) {
    // After the data: a missing or unreadable file leaves no run folder behind. Saved after
    // the shape is known, so the run's conf.json trains the same network again.
    std::filesystem::create_directories(options_.directory);
    saveConfFile(conf_, pathOf("conf.json"));
    trainerOptions.checkpointPath = pathOf("checkpoint.bin");
  }
  trainer_ = std::make_unique<Trainer>(conf_, data_, trainerOptions);
  if (options_.resume) trainer_->resumeFrom(*options_.resume);
  if (!options_.directory.empty()) {
    metrics_ = std::make_unique<MetricsWriter>(pathOf("metrics.csv"));
    trainer_->addObserver(metrics_.get());
    rounds_ = std::make_unique<RoundsWriter>(pathOf("rounds.csv"));
    trainer_->addObserver(rounds_.get());
  }
  if (service_)
    service_->attach(data_.train, *trainer_);
  else if (options_.cluster)
    service_ = std::make_unique<cluster::MasterService>(conf_, data_.train, *trainer_, *options_.cluster);
  return notes;
}

RunSummary TrainingRun::run() {
  RunSummary summary = trainer().run();
  service_.reset();  // remote workers go back to waiting
  return summary;
}

void TrainingRun::saveModels() {
  if (options_.directory.empty()) return;
  writeModelFile(pathOf("model.bin"), trainer().model());
  // A stopped run keeps both: the last model above and the best one seen at an evaluation.
  if (auto best = trainer().bestModel()) writeModelFile(pathOf("best-model.bin"), *best);
}

}  // namespace scaleout
