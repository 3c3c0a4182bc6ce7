#pragma once
// What a run reports, as copyable structs (they cross threads: the GUI adapts them to
// queued Qt signals), and an observer with empty default hooks.
#include <array>
#include <string>
#include <vector>

#include "train/evaluation.h"

namespace scaleout {

struct PhaseInfo {
  size_t index = 0, count = 0;
  std::string label;  // "pretrain layer 0", "finetune"
  bool pretraining = false;
  size_t layer = 0;
  int epochs = 0;
  // The phase's base learning rate as the run holds it: its first trained layer's rate
  // (learningRateByLayer included; before learningRateScaling and the schedule). The rate
  // steering sets, so a front end offers this, not the knob in its editor.
  float learningRate = 0.0f;
};

struct IterationInfo {
  std::string phase;
  size_t layer = 0;
  int epoch = 0;            // 1-based within the phase
  long long iteration = 0;  // minibatches so far in the whole run (all workers)
  float loss = 0.0f;
  int worker = 0;           // which worker trained this minibatch
};

struct WorkerRoundInfo {
  int worker = 0;
  std::string id;
  bool arrived = true;       // false: missed the deadline or failed; its slice was re-queued
  size_t samples = 0;
  float meanLoss = 0.0f;
  double samplesPerSecond = 0.0;
  double computeSeconds = 0.0;
  double waitSeconds = 0.0;  // time between finishing and the round's averaging
  long long taskRound = 0;   // the round its task was posted in: the one before, for a worker that overlaps rounds
};

struct RoundInfo {
  std::string phase;
  int epoch = 0;
  long long round = 0;
  long long iteration = 0;
  double seconds = 0.0;          // wall time of the round
  double averagingSeconds = 0.0; // master's share: averaging and bookkeeping
  double samplesPerSecond = 0.0; // all workers together
  double epochFraction = 0.0;    // progress through the current epoch
  // The one definition of progress: samples trained / samples planned over the whole run,
  // counting the part done before a resume (status bar, progress bar and CLI all show it).
  double runFraction = 0.0;
  // For the whole run, at the rate of this process (samples trained since it started or
  // resumed, over the time since then): a resumed run's earlier part took no time here.
  double etaSeconds = 0.0;
  std::vector<WorkerRoundInfo> workers;
};

struct EpochInfo {
  std::string phase;
  size_t layer = 0;
  int epoch = 0;
  long long iteration = 0;
  float meanLoss = 0.0f;
  double seconds = 0.0;
};

inline constexpr int kHistogramBins = 20;

struct Histogram {
  float min = 0.0f, max = 0.0f;
  std::array<int, kHistogramBins> counts{};
};

struct LayerStats {
  size_t layer = 0;
  float paramMeanAbs = 0, paramStd = 0;
  float updateMeanAbs = 0, updateStd = 0;
  float activationMean = 0, activationStd = 0;
  float updateRatio = 0;  // mean|update| / mean|param|
  Histogram paramHistogram, updateHistogram;
};

struct ModelStats {
  long long iteration = 0;
  std::string phase;
  float learningRate = 0;
  std::vector<LayerStats> layers;
  double computeSeconds = 0;  // what computing these statistics cost
};

struct FilterSnapshot {  // first layer's weights, for the GUI's filter view
  int epoch = 0;
  int rows = 0, cols = 0;  // W is rows x cols (nIn x nHidden)
  std::vector<float> weights;
};

struct SteeringChange {
  long long iteration = 0;
  std::string knob;  // a steerable knob's name (knobs.def), e.g. "finetuneLearningRate"
  std::string from, to;
};

struct RunSummary {
  bool completed = false;  // false: cancelled or stopped by an error
  bool cancelled = false;
  std::string stopCheckpoint;  // cancelled: the checkpoint written at the stop point ("" if none was)
  std::string error;       // non-empty when training stopped on a problem
  long long iterations = 0;
  double seconds = 0;
  EvalReport finalEvaluation;
  std::vector<float> reconstructionErrors;  // per pretrained layer, on the test set
  // The best test accuracy seen at a finetuning evaluation (-1: none), kept as
  // Trainer::bestModel() so that stopping or overfitting late does not lose it.
  double bestAccuracy = -1;
  int bestEpoch = 0;
};

class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void onPhaseStarted(const PhaseInfo&) {}
  virtual void onIteration(const IterationInfo&) {}
  virtual void onRound(const RoundInfo&) {}
  virtual void onEpochFinished(const EpochInfo&) {}
  virtual void onEvaluation(const EvalReport&) {}
  virtual void onModelStats(const ModelStats&) {}
  virtual void onFilters(const FilterSnapshot&) {}
  virtual void onSteering(const SteeringChange&) {}
  virtual void onCheckpoint(const std::string& /*path*/, long long /*iteration*/) {}
  virtual void onMessage(const std::string& /*text*/) {}  // workers joining/leaving, warnings
  virtual void onFinished(const RunSummary&) {}
};

}  // namespace scaleout
