#pragma once
// TrainingRun: one training run as a front end starts it, in core so that the CLI and the
// GUI do not each write it again (they did, and drifted: the GUI started the cluster
// service only after loading, and saved models under other rules).
//
// It owns, for the run's lifetime: the data, the Trainer, the run folder's files
// (conf.json, metrics.csv, rounds.csv, checkpoint.bin, model.bin, best-model.bin) and the optional
// cluster master. Front ends add their observers (progress lines, Qt signals) and steer
// through trainer(); everything else is here.
//
// Order of work: prepare() (cluster service first when the conf fixes the network's shape,
// so remote workers join while the data loads; then the data, the shape from the data,
// the folder and conf.json, the Trainer, a resume, the metrics file and the cluster's
// rows), then run(), then saveModels().
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/master_service.h"
#include "config/conf.h"
#include "data/data_source.h"
#include "data/shape_from_data.h"
#include "io/model_file.h"
#include "train/trainer.h"

namespace scaleout {

class MetricsWriter;
class RoundsWriter;

struct RunOptions {
  // conf.json, metrics.csv, rounds.csv, checkpoint.bin, model.bin and best-model.bin go here; empty: the
  // run writes no file (a GUI run without a run folder).
  std::string directory;
  // Which of nIn and nOut the user gave; the others come from the data.
  GivenShape given;
  // Continue from this checkpoint (optimizer and random state restored).
  std::optional<ModelFile> resume;
  // With a value the run is also the master of a cluster (MasterService). Its
  // zkSessionTimeoutMs is taken from the conf's zooKeeperSessionTimeoutSeconds.
  std::optional<cluster::MasterServiceOptions> cluster;
};

class TrainingRun {
 public:
  TrainingRun(Conf conf, RunOptions options);
  // Stops the cluster service before the trainer and the data it reads go away.
  ~TrainingRun();
  TrainingRun(const TrainingRun&) = delete;
  TrainingRun& operator=(const TrainingRun&) = delete;

  // Everything up to the first round (see above). Returns the notes to show the user (the
  // data's, and one per shape knob taken from the data). Throws ScaleoutError (a missing
  // file, a shape mismatch, a checkpoint that does not fit): then no run folder was made
  // when the data could not be loaded.
  std::vector<std::string> prepare();

  // Trains to the end, a stop or an error, then stops the cluster service (remote workers
  // go back to waiting). After prepare().
  RunSummary run();

  // Writes model.bin and, when an evaluation picked one, best-model.bin into the run
  // folder (nothing without one). Throws ScaleoutError when a file cannot be written; the
  // models stay available from trainer().
  void saveModels();

  const Conf& conf() const { return conf_; }  // with the shape taken from the data after prepare()
  const TrainTestData& data() const { return data_; }
  Trainer& trainer();  // after prepare()
  cluster::MasterService* cluster() { return service_.get(); }
  // Paths in the run folder ("" when the run has none).
  std::string pathOf(const std::string& file) const;

 private:
  Conf conf_;
  RunOptions options_;
  TrainTestData data_;
  std::unique_ptr<Trainer> trainer_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<RoundsWriter> rounds_;
  // Declared last: destroyed first, before the trainer and rows it holds.
  std::unique_ptr<cluster::MasterService> service_;
};

}  // namespace scaleout
