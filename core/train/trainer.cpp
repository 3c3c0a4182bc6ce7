#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <deque>
#include <future>
#include <optional>
#include <thread>

#include "data/batches.h"
#include "config/conf_io.h"
#include "config/conf_warnings.h"
#include "config/knob.h"
#include "config/knob_registry.h"
#include "train/averaging.h"
#include "train/checkpoint_writer.h"
#include "train/evaluation.h"
#include "train/local_worker.h"
#include "train/lr_schedule.h"
#include "train/model_stats.h"
#include "train/pace_estimate.h"
#include "train/resume_check.h"
#include "train/worker.h"
#include "util/blas_threads.h"
#include "util/error.h"

namespace scaleout {

using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread (POSIX; 0 where the clock is missing).
double threadCpuSeconds() {
  timespec t{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return 0.0;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::vector<std::vector<uint32_t>> cutSlices(const std::vector<uint32_t>& rows, size_t sliceSize) {
  std::vector<std::vector<uint32_t>> slices;
  for (size_t start = 0; start < rows.size(); start += sliceSize) {
    const size_t end = std::min(rows.size(), start + sliceSize);
    slices.emplace_back(rows.begin() + static_cast<std::ptrdiff_t>(start), rows.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return slices;
}

std::string formatFloat(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

// The master's state for one run; lives only inside run().
struct Trainer::Impl {
  Trainer& t;
  ResultQueue results;
  // A task a worker holds: posted, its result not yet averaged.
  struct InFlight {
    long long round = 0;
    std::vector<uint32_t> slice;
    Clock::time_point posted;
    bool alone = true;      // posted while the worker held no other task: its wall time measures the link
    bool requeued = false;  // missed its deadline: the slice went back to the queue, its result is dropped
    std::optional<RoundResult> early;  // came back before the round that averages it
  };
  struct Slot {
    std::unique_ptr<Worker> worker;
    std::deque<InFlight> inflight;  // oldest first
    int depth = 1;                  // tasks it may hold: 2 for a remote worker that overlaps rounds
    bool dead = false;
    bool retiring = false;  // removed by steering: stops receiving work
    bool local = false;     // one of the `threads` workers (from makeLocal), which steering adds and retires
    OptimizerState ownState;  // perWorker policy
    Eigen::VectorXf spareSegment;  // this worker's last result buffers, handed back with its next task
    OptimizerState spareState;
    PaceEstimate pace;         // samples per second of compute, from the results the worker reported
    double speed() const { return pace.samplesPerSecond(); }
    int overheadMeasured = 0;  // tasks that measured the overhead
    double overhead = 0;       // seconds per round outside compute: the link, for a remote worker (smoothed)
    int share = 1;             // slices per round: more for a faster worker, or one whose link needs longer rounds
    double staleShare = 0;     // the share its last one-round-late result had in the average (staleCompensation)
    Clock::time_point shareLogged{};  // share changes are logged at most every 10 s per worker
  };
  std::vector<Slot> slots;
  WorkerContext context;
  Rng rng;
  long long iteration = 0;
  long long round = 0;
  int averagingFrequency;
  int localThreads;
  Clock::time_point runStart = Clock::now();
  Clock::time_point lastCheckpoint = Clock::now();
  double plannedSamples = 0, doneSamples = 0;
  // The last test-set evaluation and the iteration it was taken at: the parameters only
  // change by averaging, which moves the iteration, so the final evaluation reuses it.
  std::optional<EvalReport> lastEval;
  CheckpointWriter checkpoints;
  long long lastEvalIteration = -1;
  double processSamples = 0;  // trained by this process: doneSamples less what a resume skipped
  Clock::duration pausedTime{};  // excluded from the ETA: a pause is not training time
  // Buffers reused round after round: the parameters and optimizer state every worker
  // reads (refilled in place once no worker holds them any more) and the average.
  // Buffers a worker may still hold (an overlapping remote worker keeps last round's) are
  // left alone; a pool of a few avoids a fresh multi-megabyte allocation every round.
  std::vector<std::shared_ptr<Eigen::VectorXf>> paramsPool;
  std::vector<std::shared_ptr<OptimizerState>> statePool;
  // Shares the master's passes over those buffers between rounds (the workers wait
  // meanwhile): up to 4 threads, since the passes are memory-bound.
  RangePool reducePool{std::min(4, coresAvailable())};
  // The parameters before a round that computes model statistics (their update is shown):
  // kept from one such round to the next instead of allocated each time.
  Eigen::VectorXf statsBefore;
  // The outer optimizer's velocity over the phase's range (applyOuterStep), empty until
  // its first step and whenever outerMomentum is 0.
  Eigen::VectorXf outerVelocity;
  bool overlapDropNoted = false;  // the run said once that outerMomentum turns overlap off

  explicit Impl(Trainer& trainer)
      : t(trainer),
        rng(static_cast<uint64_t>(trainer.conf_.seed) * 0x9E3779B97F4A7C15ull + 1),
        averagingFrequency(trainer.conf_.averagingFrequency),
        localThreads(resolveThreads(trainer.conf_.threads)) {
    context.conf = &t.conf_;
    context.layout = &t.layout_;
    context.train = &t.data_.train;
    context.control = &t.control_;
    context.results = &results;
  }

  template <typename F>
  void notify(F&& f) {
    for (auto* o : t.observers_) f(*o);
  }
  void message(const std::string& text) {
    notify([&](TrainingObserver& o) { o.onMessage(text); });
  }

  void addSlot(std::unique_ptr<Worker> worker, bool local = false) {
    Slot s;
    s.local = local;
    s.worker = std::move(worker);
    // Results one round late compound with an outer momentum (measured on four hosts:
    // outerMomentum 0.6-0.7 diverged with overlap, 0.9 trained well without it), so a
    // run with one waits for every remote result.
    const bool overlap = t.conf_.overlapRemoteRounds && s.worker->canOverlap();
    s.depth = overlap && t.conf_.outerMomentum == 0 ? 2 : 1;
    if (overlap && t.conf_.outerMomentum > 0 && !overlapDropNoted) {
      overlapDropNoted = true;
      message("outerMomentum " + formatFloat(t.conf_.outerMomentum) +
              ": remote workers wait for every round (overlapRemoteRounds is ignored: results one round late "
              "compound with the outer momentum)");
    }
    s.worker->attach(context, static_cast<int>(slots.size()));
    slots.push_back(std::move(s));
  }

  std::unique_ptr<Worker> makeLocal(int index) {
    if (t.options_.workerFactory) return t.options_.workerFactory(index);
    return std::make_unique<LocalWorker>();
  }

  void copyState(const OptimizerState& from, OptimizerState& to) {
    static_assert(sizeof(OptimizerState) == 2 * sizeof(Eigen::VectorXf) + alignof(Eigen::VectorXf),
                  "OptimizerState has a new member: copy it here too");
    copyVector(from.velocity, to.velocity, &reducePool);
    to.adagrad = from.adagrad;
    to.lastStep = from.lastStep;
  }
  static std::vector<const Eigen::VectorXf*> constView(const std::vector<Eigen::VectorXf*>& v) {
    return {v.begin(), v.end()};
  }
  template <typename T>
  static std::shared_ptr<T>& unheld(std::vector<std::shared_ptr<T>>& pool) {
    for (auto& p : pool)
      if (p.use_count() == 1) return p;
    pool.push_back(std::make_shared<T>());
    return pool.back();
  }

  static bool holdsLate(const Slot& s) {
    for (const InFlight& f : s.inflight)
      if (f.requeued) return true;
    return false;
  }
  // Tasks `s` may hold now. One that overlaps holds one at a time until its link has been
  // measured on two tasks of its own: the first runs cold (about 0.35 s of overhead against
  // 0.1 s later at 1 Gbit/s), and a task that waits behind another measures no link at all,
  // so shares sized from the cold figure alone stayed 3x too large for a whole epoch.
  static int depthNow(const Slot& s) { return s.depth > 1 && !linkMeasured(s) ? 1 : s.depth; }
  // A local lane has no link; a remote worker's is measured once two tasks of its own did
  // (its first runs cold, and the second replaces that figure: see collect).
  static bool linkMeasured(const Slot& s) { return s.local || s.overheadMeasured >= 2; }
  // A worker is given a task when it has room for one and owes no late result (a late one
  // would make the next wait behind it).
  static bool canTake(const Slot& s) {
    return !s.dead && !s.retiring && !s.worker->lost() && static_cast<int>(s.inflight.size()) < depthNow(s) && !holdsLate(s);
  }
  bool anyWorkerFree() const {
    for (const auto& s : slots)
      if (canTake(s)) return true;
    return false;
  }
  // The task of `s` whose result this round averages: its oldest one still wanted. A
  // worker that overlaps gives last round's result while it trains this round's task; one
  // posted its first task this round is not waited for until the next.
  const InFlight* owed(const Slot& s) const {
    if (s.dead) return nullptr;
    for (const InFlight& f : s.inflight)
      if (!f.requeued)
        return static_cast<int>(s.inflight.size()) >= depthNow(s) || f.round != round ? &f : nullptr;
    return nullptr;
  }
  // A result still to be averaged; with `overlappingToo` false, only from workers that do not
  // overlap rounds (an epoch need not wait for those: see trainPhase).
  bool anyPending(bool overlappingToo = true) const {
    for (const auto& s : slots)
      if (!s.dead && (overlappingToo || depthNow(s) == 1))
        for (const InFlight& f : s.inflight)
          if (!f.requeued) return true;
    return false;
  }
  static double rowsLeft(const std::deque<std::vector<uint32_t>>& queue) {
    size_t left = 0;
    for (const auto& s : queue) left += s.size();
    return static_cast<double>(left);
  }
  // Slices posted but not yet averaged: not trained yet, as far as a checkpoint knows.
  std::deque<std::vector<uint32_t>> untrained(std::deque<std::vector<uint32_t>> queue) const {
    for (const Slot& s : slots)
      if (!s.dead)
        for (const InFlight& f : s.inflight)
          if (!f.requeued) queue.push_front(f.slice);
    return queue;
  }
  // A late result, or one of a dead worker's: forget its task.
  void forget(const RoundResult& r) {
    if (r.worker < 0 || static_cast<size_t>(r.worker) >= slots.size()) return;
    auto& fl = slots[static_cast<size_t>(r.worker)].inflight;
    for (auto it = fl.begin(); it != fl.end(); ++it)
      if (it->round == r.round) {
        fl.erase(it);
        return;
      }
  }

  int usableWorkers() const {
    int n = 0;
    for (const auto& s : slots) n += (!s.dead && !s.retiring) ? 1 : 0;
    return n;
  }

  // Local worker slots are the first `localThreads`; extras (remote) follow them.
  // Steering (steerable knobs, knobs.def), applied at a round boundary. A rate knob scales
  // the rates of its phases by new/old, so per-layer rates keep their ratios and frozen
  // layers stay frozen; the averaging frequency re-cuts the epoch's slices; threads adds or
  // retires local lanes. Any other steerable knob is read from the conf as the run goes.
  // The steered fields are numbers no worker thread reads during a task: the lanes take
  // rates from their task, and the background evaluation reads none of them.
  void applySteering(size_t phaseIndex, Phase& phase) {
    for (auto& [name, value] : t.steering_.take()) {
      const KnobSpec* spec = findKnob(name);
      if (!spec) continue;  // Steering::request only queues registered knobs
      const nlohmann::json old = spec->get(t.conf_);
      if (old == value) continue;
      spec->set(t.conf_, value);
      notify([&](TrainingObserver& o) { o.onSteering({iteration, name, knobValueText(old), knobValueText(value)}); });
      if (name == "finetuneLearningRate" || name == "pretrainLearningRate") {
        const PhaseKind kind = name == "finetuneLearningRate" ? PhaseKind::Finetune : PhaseKind::Pretrain;
        const double from = old.get<double>(), to = value.get<double>();
        auto steer = [&](Phase& p) {
          if (p.kind != kind) return;
          if (from > 0)
            scaleRates(p, static_cast<float>(to / from));
          else
            rescaleRates(p, static_cast<float>(to));  // every layer was at 0: all take the new rate
        };
        steer(phase);
        for (size_t i = phaseIndex + 1; i < t.phases_.size(); ++i) steer(t.phases_[i]);  // the phases still to come
      } else if (name == "averagingFrequency") {
        averagingFrequency = t.conf_.averagingFrequency;
      } else if (name == "threads") {
        setLocalThreads(resolveThreads(t.conf_.threads));
      }
    }
  }

  // Adds or retires local lanes until `want` are active (steering `threads`).
  void setLocalThreads(int want) {
    int active = 0;
    for (auto& s : slots)
      if (!s.retiring && !s.dead && s.local) ++active;
    if (want > active) {
      // Reactivate retired local slots first, then add new ones.
      for (auto& s : slots)
        if (active < want && s.retiring && !s.dead && s.local) {
          s.retiring = false;
          ++active;
        }
      while (active < want) {
        addSlot(makeLocal(static_cast<int>(slots.size())), true);
        ++active;
      }
    } else {
      for (auto it = slots.rbegin(); it != slots.rend() && active > want; ++it)
        if (!it->retiring && !it->dead && it->local) {
          it->retiring = true;
          --active;
        }
    }
  }

  // The test set on the local lanes' threads: they are idle while the master evaluates.
  EvalReport evaluateOn(const Eigen::VectorXf& params) const {
    return evaluate(t.conf_, t.layout_, params, t.data_.test, 2000, localThreads);
  }
  EvalReport evaluateTest() {
    lastEval = evaluateOn(t.params_);
    lastEvalIteration = iteration;
    return *lastEval;
  }

  // An epoch's evaluation. In the background (while a remote worker takes part) it runs
  // on a copy of the parameters on a helper thread, and the next epoch starts at once: a
  // remote worker is then not left idle through the master's evaluation (it waited about
  // 0.37 s at every epoch boundary on the reference MLP at 1 Gbit/s). The report is
  // published at a later round; training never reads it, so the model does not change.
  struct PendingEval {
    std::future<std::pair<EvalReport, double>> report;  // and the seconds it took
    std::shared_ptr<const Eigen::VectorXf> params;
    std::string phase;
    bool pretrain = false;
    int epoch = 0;
    long long iteration = 0;
  };
  std::optional<PendingEval> pendingEval;
  double evalSeconds = 0;       // how long the last evaluation took
  bool coverEvaluation = false;  // this round: remote workers train through a background evaluation
  // A local lane's compute seconds per row in the last round beside an evaluation. On a
  // one-core master the two share the core and thrash each other's caches: the lane ran
  // 0.26 s for a share that takes 0.09 s alone, where the evaluation's CPU time (0.12 s)
  // accounts for less, and an estimate short by that much left the remote worker idle.
  double evalLanePerRow = 0;

  void evaluateEpoch(const Phase& phase, int epoch, bool background) {
    finishEvaluation(true);  // one at a time, published in order
    const bool pretrain = phase.kind == PhaseKind::Pretrain;
    if (!background) {
      const auto start = Clock::now();
      EvalReport report = evaluateTest();
      evalSeconds = secondsSince(start);
      publishEvaluation(std::move(report), phase.label(), pretrain, epoch, iteration, t.params_);
      return;
    }
    auto params = std::make_shared<const Eigen::VectorXf>(t.params_);
    // Its CPU time, not its wall time: on a busy core the wall time counts the lanes' work
    // too (about twice the CPU time on a one-core master), and what the next round must
    // cover is how long the evaluation holds the local lanes back.
    auto job = [this, params] {
      const double cpuStart = threadCpuSeconds();
      EvalReport report = evaluateOn(*params);
      return std::make_pair(std::move(report), threadCpuSeconds() - cpuStart);
    };
    pendingEval = PendingEval{std::async(std::launch::async, job), params, phase.label(), pretrain, epoch, iteration};
    coverEvaluation = true;
  }

  // Publishes a background evaluation once it is done (or, with wait, when it is).
  void finishEvaluation(bool wait) {
    if (!pendingEval) return;
    if (!wait && pendingEval->report.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    PendingEval p = std::move(*pendingEval);
    pendingEval.reset();
    auto [report, seconds] = p.report.get();
    evalSeconds = seconds;
    lastEval = report;
    lastEvalIteration = p.iteration;
    publishEvaluation(std::move(report), p.phase, p.pretrain, p.epoch, p.iteration, *p.params);
  }

  void publishEvaluation(EvalReport report, const std::string& phase, bool pretrain, int epoch, long long at,
                         const Eigen::VectorXf& params) {
    report.phase = phase;
    // The output layer is untrained while layers pretrain: its accuracy means nothing yet.
    if (pretrain) report.hasClassification = false;
    report.epoch = epoch;
    report.iteration = at;
    if (report.hasClassification && !pretrain && report.accuracy > t.bestAccuracy_) {
      t.bestAccuracy_ = report.accuracy;
      t.bestEpoch_ = epoch;
      t.bestParams_ = params;
    }
    notify([&](TrainingObserver& o) { o.onEvaluation(report); });
  }

  bool remoteTakesPart() const {
    for (const auto& s : slots)
      if (!s.dead && !s.retiring && !s.local) return true;
    return false;
  }

  // After an epoch whose rows are all averaged, except those an overlapping worker still trains.
  bool writeEpochEndCheckpoint(size_t phaseIndex, int epoch, const Phase& phase, const OptimizerState& masterState,
                               bool synchronous = false) {
    if (const auto carried = untrained({}); !carried.empty())
      // Rows an overlapping worker still trains: resuming from here trains them first.
      return writeCheckpoint(phaseIndex, epoch, true, phase, masterState, carried, synchronous);
    if (epoch + 1 < phase.epochs) return writeCheckpoint(phaseIndex, epoch + 1, false, phase, masterState, {}, synchronous);
    // After the last epoch of a phase, the checkpoint points at the next phase. After the
    // last phase the optimizer state is kept, so a resume with more epochs continues it.
    OptimizerState next = masterState;
    const size_t np = phaseIndex + 1;
    if (np < t.phases_.size()) next.reset(t.phases_[np].size(), t.conf_.useAdaGrad);
    return writeCheckpoint(np, 0, false, np < t.phases_.size() ? t.phases_[np] : phase, next, {}, synchronous);
  }

  // Cancelled (Ctrl-C, Stop): a checkpoint at the stop point, so resuming loses nothing
  // that was averaged; slices not averaged yet are its rest of the epoch.
  void checkpointAtStop(size_t phaseIndex, int epoch, const Phase& phase, const OptimizerState& masterState,
                        const std::deque<std::vector<uint32_t>>& queue, RunSummary& summary) {
    if (t.options_.checkpointPath.empty()) return;
    const auto left = untrained(queue);
    const bool written = left.empty() ? writeEpochEndCheckpoint(phaseIndex, epoch, phase, masterState, true)
                                      : writeCheckpoint(phaseIndex, epoch, true, phase, masterState, left, true);
    if (written) summary.stopCheckpoint = t.options_.checkpointPath;
  }

  // Written on the checkpoint writer's thread; `synchronous` waits for it (a stop: the
  // caller names the file only once it exists). Returns whether it was written (or, not
  // synchronous, handed to the writer).
  bool writeCheckpoint(size_t phaseIndex, int epoch, bool midEpoch, const Phase& phase, const OptimizerState& state,
                       const std::deque<std::vector<uint32_t>>& queue, bool synchronous = false) {
    if (t.options_.checkpointPath.empty()) return false;
    // Into the last checkpoint's buffers (CheckpointWriter::spare): assigning into
    // same-sized vectors does not allocate.
    ModelFile file = checkpoints.spare();
    t.fillModel(file);
    TrainingState& s = file.state ? *file.state : file.state.emplace();
    s.phaseIndex = phaseIndex;
    s.epoch = epoch;
    s.iteration = iteration;
    s.round = round;
    s.rngState = rng.state();
    s.learningRate = baseRate(phase);
    s.averagingFrequency = averagingFrequency;
    s.midEpoch = midEpoch;
    s.optimizer = state;
    s.outerVelocity = outerVelocity;
    s.remaining.clear();
    for (const auto& slice : queue) s.remaining.insert(s.remaining.end(), slice.begin(), slice.end());
    lastCheckpoint = Clock::now();
    reportCheckpoint(checkpoints.start(t.options_.checkpointPath, std::move(file), iteration));
    return synchronous ? reportCheckpoint(checkpoints.wait()) : true;
  }

  // Tells the observers about a finished write (or why it failed); false if it failed.
  bool reportCheckpoint(const std::optional<CheckpointWriter::Done>& done) {
    if (!done) return false;
    if (!done->error.empty()) {
      message("checkpoint not written: " + done->error);
      return false;
    }
    notify([&](TrainingObserver& o) { o.onCheckpoint(done->path, done->iteration); });
    return true;
  }

  // A worker whose connection is gone (a remote worker declared dead between rounds,
  // with no slice outstanding) is dropped here, so it neither counts as usable nor is
  // waited for; one with a slice outstanding is dropped when its error result arrives.
  //
  // Rounds sized by time (balanceShares, only while a remote worker takes part): each
  // remote worker gets enough slices that its compute is remoteComputeRatio times its
  // measured overhead (the link: transfer, encryption, latency), the round lasts as long as
  // the slowest of those, and every worker gets the slices it computes in that time. So
  // local lanes never hold the round for a remote worker's network time, and the link
  // costs a small fraction of each round. Local threads alone always get one slice each:
  // their speeds are equal, and runs stay bit-exact.
  // Delay compensation: each one-round-late result's share of the average it went into,
  // the estimate its worker gets (RoundTask::pendingShare) of how much of its next
  // in-flight change the master will apply.
  void recordStaleShares(const std::vector<long long>& staleSlots, const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    for (size_t i = 0; i < staleSlots.size() && total > 0; ++i)
      if (staleSlots[i] >= 0) slots[static_cast<size_t>(staleSlots[i])].staleShare = weights[i] / total;
  }

  void updateShares() {
    const bool balance = t.conf_.balanceShares && remoteTakesPart();
    const double sliceSamples = static_cast<double>(averagingFrequency) * t.conf_.batchSize;
    double roundSeconds = 0;
    // Until a remote worker's link is measured it trains one slice per round, and the
    // others' shares are not sized from its cold figure (that made a 0.7 s round with the
    // remote idle half of it).
    if (balance)
      for (const auto& s : slots) {
        if (s.dead || s.retiring || s.speed() <= 0 || !linkMeasured(s)) continue;
        const double sliceSeconds = sliceSamples / s.speed();
        const double need = s.local ? 1.0 : std::max(1.0, std::ceil(t.conf_.remoteComputeRatio * s.overhead / sliceSeconds));
        roundSeconds = std::max(roundSeconds, std::min(need, static_cast<double>(kMaxShare)) * sliceSeconds + serialOverhead(s));
      }
    for (auto& s : slots) {
      int share = 1;
      if (balance && roundSeconds > 0 && s.speed() > 0 && linkMeasured(s)) {
        const double sliceSeconds = sliceSamples / s.speed();
        const double ideal = std::max(1.0, (roundSeconds - serialOverhead(s)) / sliceSeconds);
        // Hysteresis: speeds measured over a few rounds jitter; move only on a clear change.
        // Most of a slice, not a fraction of the share: at the 5-6 slices a one-core lane
        // gets on the reference MLP, a 30% band left it at 5 where 6.3 was ideal, idle a
        // fifth of every round while the remote worker trained its 6.
        share = s.share;
        if (std::abs(ideal - s.share) > std::max(0.75, 0.1 * s.share))
          share = std::clamp(static_cast<int>(std::lround(ideal)), 1, kMaxShare);
      }
      if (share != s.share && !s.dead && Clock::now() - s.shareLogged >= std::chrono::seconds(10)) {
        s.shareLogged = Clock::now();
        char detail[96];
        std::snprintf(detail, sizeof detail, " (%.0f samples/s, %.0f ms per round outside compute)", s.speed(), s.overhead * 1000);
        message("worker " + s.worker->id() + " now takes " + std::to_string(share) + " slice(s) per round" + detail);
      }
      s.share = share;
    }
  }
  static constexpr int kMaxShare = 64;

  // How long a round beside a background evaluation lasts: the local lanes' share plus
  // the evaluation's CPU time, which they share their cores with (counted whole: the
  // master of a cluster often has one core), or the lanes' share at the pace measured
  // beside the last evaluation, whichever is longer. Before the first evaluation, a
  // forward pass over the test set is taken to cost half a training step per row.
  double evaluationRoundSeconds() const {
    const double sliceSamples = static_cast<double>(averagingFrequency) * t.conf_.batchSize;
    double lanes = 0, contended = 0, localSpeed = 0;
    for (const Slot& s : slots)
      if (s.local && !s.dead && !s.retiring && s.speed() > 0) {
        lanes = std::max(lanes, s.share * sliceSamples / s.speed());
        contended = std::max(contended, s.share * sliceSamples * evalLanePerRow);
        localSpeed = std::max(localSpeed, s.speed());
      }
    double eval = evalSeconds;
    if (eval <= 0 && localSpeed > 0) eval = static_cast<double>(t.data_.test.size()) / (2.0 * localSpeed);
    return std::max(contended, lanes + eval);
  }
  // The part of a worker's overhead the round waits for: none for one that overlaps (its
  // link time passes while it computes, as long as it computes longer than that).
  static double serialOverhead(const Slot& s) { return depthNow(s) > 1 ? 0.0 : s.overhead; }

  // Outer optimizer (outerLearningRate, outerMomentum; DiLoCo, arXiv 2311.08105): the
  // round's averaged change d = average - before is a pseudo-gradient, and the
  // parameters become before + lr * (d + mu * v) with v = mu * v + d (Nesterov). Each
  // worker keeps its own inner momentum; this one acts across rounds. A round that
  // averaged a single result takes no outer step: one worker's change amplified is only
  // a larger learning rate (the master alone at the start of a cluster run, or the last
  // slice of an epoch). Measured on the reference MLP: docs/cluster.md "Outer optimizer".
  void applyOuterStep(const Phase& phase, const Eigen::VectorXf& before, size_t results) {
    const auto lr = static_cast<float>(t.conf_.outerLearningRate);
    const auto mu = static_cast<float>(t.conf_.outerMomentum);
    if ((lr == 1.0f && mu == 0.0f) || results < 2) return;
    const auto n = static_cast<Eigen::Index>(phase.size());
    if (outerVelocity.size() != n) outerVelocity.setZero(n);
    float* p = t.params_.data() + phase.begin;
    const float* b = before.data() + phase.begin;
    float* v = outerVelocity.data();
    reducePool.run(n, [&](std::ptrdiff_t begin, std::ptrdiff_t end) {
      for (std::ptrdiff_t i = begin; i < end; ++i) {
        const float d = p[i] - b[i];
        v[i] = mu * v[i] + d;
        p[i] = b[i] + lr * (d + mu * v[i]);
      }
    });
  }

  // learningRateScaling: averaging N workers' updates makes about one step of progress
  // where a single worker would have made N, so each worker trains at the rate times
  // sqrt(N) (default) or N. Measured on the reference MLP: see README "Measured results".
  double rateFactor() const {
    const int n = std::max(1, usableWorkers());
    switch (t.layout_.plan().rateScaling) {
      case RateScaling::Linear: return n;
      case RateScaling::Sqrt: return std::sqrt(static_cast<double>(n));
      case RateScaling::None: return 1.0;
    }
    return 1.0;
  }
  int rateScaledFor = 0;  // worker count the last scaling message was about

  void reportRateScaling(const Phase& phase) {
    const int n = usableWorkers();
    if (n == rateScaledFor) return;
    const bool first = rateScaledFor == 0;
    rateScaledFor = n;
    const RateScaling scaling = t.layout_.plan().rateScaling;
    if (scaling == RateScaling::None || (first && rateFactor() == 1.0)) return;
    message("learning rate " + formatFloat(baseRate(phase)) + " x " + formatFloat(rateFactor()) + " (" +
            choiceName(scaling) + " of " + std::to_string(n) + " workers) = " +
            formatFloat(baseRate(phase) * rateFactor()) + " per worker");
  }

  void dropLostWorkers() {
    for (auto& s : slots)
      if (!s.dead && s.inflight.empty() && s.worker->lost()) {
        s.dead = true;
        message("worker " + s.worker->id() + " was lost and is no longer used");
      }
  }

  // Workers added by addWorker (possibly from another thread) join here, at a round
  // boundary, starting from the master's optimizer state.
  void adoptPendingWorkers(const OptimizerState* masterState) {
    std::vector<std::unique_ptr<Worker>> joining;
    {
      std::lock_guard lock(t.pendingMutex_);
      joining.swap(t.extraWorkers_);
    }
    for (auto& w : joining) {
      const std::string id = w->id();
      addSlot(std::move(w));
      if (masterState) slots.back().ownState = *masterState;
      message("worker " + id + " joined at round " + std::to_string(round + 1));
    }
  }

  RunSummary run();
  // Returns "" or the reason training stopped.
  std::string trainPhase(size_t phaseIndex, RunSummary& summary);
  // One round of trainPhase, step by step: dispatch, collect, average, report.
  // What one epoch's rounds share: trainPhase's locals, by reference.
  struct EpochLoop {
    Phase& phase;
    size_t phaseIndex;
    int epoch;
    OptimizerState& masterState;
    std::deque<std::vector<uint32_t>>& queue;
    double& lossSum;
    long long& lossCount;
    int& idleRounds;
    double deadlineSeconds;
  };
  struct Assigned {  // a task whose result this round averages
    size_t slot;
    long long round;
    std::vector<uint32_t> slice;
  };
  struct RoundPlan {
    Clock::time_point start;
    std::shared_ptr<const Eigen::VectorXf> shared;  // the parameters this round's tasks start from
    double factor = 1.0;                            // learningRateScaling times the schedule
    std::vector<Assigned> assigned;
    bool coveredEvaluation = false;  // remote workers trained through a background evaluation
    Clock::time_point collected;     // when collecting ended: the averaging starts
  };
  RoundPlan dispatchRound(EpochLoop& e);
  std::vector<std::optional<RoundResult>> collectRound(RoundPlan& plan, double deadlineSeconds);
  std::string averageRound(EpochLoop& e, RoundPlan& plan, std::vector<std::optional<RoundResult>>& got, RoundInfo& ri,
                           size_t& roundSamples);
  void reportRound(EpochLoop& e, const RoundPlan& plan, const std::vector<std::optional<RoundResult>>& got, RoundInfo& ri,
                   size_t roundSamples);
};

Trainer::Trainer(const Conf& conf, const TrainTestData& data, TrainerOptions options)
    : conf_(conf), data_(data), options_(std::move(options)), layout_(conf_), phases_(planPhases(conf_, layout_)) {
  validateConfOrThrow(conf_);
  if (data_.train.size() == 0) throw ScaleoutError("the training set is empty");
  if (data_.train.dims() != conf_.nIn)
    throw ScaleoutError("knob 'nIn' is " + std::to_string(conf_.nIn) + " but the data has " +
                        std::to_string(data_.train.dims()) + " features; set nIn=" + std::to_string(data_.train.dims()));
  if (layout_.isStack() && data_.train.numClasses > conf_.nOut)
    throw ScaleoutError("knob 'nOut' is " + std::to_string(conf_.nOut) + " but the data has " +
                        std::to_string(data_.train.numClasses) + " classes; set nOut=" +
                        std::to_string(data_.train.numClasses));
  Rng init(static_cast<uint64_t>(conf_.seed));
  params_ = layout_.initialParameters(conf_, init);
}

Trainer::~Trainer() = default;

void Trainer::addWorker(std::unique_ptr<Worker> worker) {
  std::lock_guard lock(pendingMutex_);
  extraWorkers_.push_back(std::move(worker));
}

void Trainer::resumeFrom(const ModelFile& checkpoint) {
  if (!checkpoint.state) throw ScaleoutError("the file is a model, not a checkpoint: it holds no training state");
  const ResumeComparison diff = compareForResume(checkpoint.conf, conf_);
  if (!diff.refused.empty()) throw ScaleoutError(describeRefusedResume(diff));
  if (static_cast<size_t>(checkpoint.params.size()) != layout_.size())
    throw ScaleoutError("the checkpoint's network has " + std::to_string(checkpoint.params.size()) +
                        " parameters but this conf builds " + std::to_string(layout_.size()));
  // More or fewer pretraining epochs may add or remove whole phases (0 means none).
  const std::vector<Phase> savedPhases = planPhases(checkpoint.conf, layout_);
  bool samePhases = savedPhases.size() == phases_.size();
  for (size_t i = 0; samePhases && i < phases_.size(); ++i)
    samePhases = savedPhases[i].kind == phases_[i].kind && savedPhases[i].layer == phases_[i].layer;
  if (!samePhases)
    throw ScaleoutError("cannot resume: pretrainEpochs " + std::to_string(checkpoint.conf.pretrainEpochs) + " -> " +
                        std::to_string(conf_.pretrainEpochs) + " adds or removes pretraining phases; start a new run");
  TrainingState state = *checkpoint.state;
  if (state.phaseIndex > phases_.size()) throw ScaleoutError("the checkpoint's phase does not exist in this conf");
  std::vector<std::string> notes;
  for (const std::string& line : diff.applied) notes.push_back("resuming with " + line);

  // A finished run (its last checkpoint points past the last phase) continues only when
  // the last phase now has more epochs.
  if (state.phaseIndex == phases_.size()) {
    const size_t last = phases_.size() - 1;
    const int trained = savedPhases[last].epochs;
    const char* knob = phases_[last].kind == PhaseKind::Pretrain ? "pretrainEpochs" : "finetuneEpochs";
    if (phases_[last].epochs <= trained)
      throw ScaleoutError("the checkpoint is of a finished run: all " + std::to_string(trained) + " " + phases_[last].label() +
                          " epochs are trained. To train more, raise " + knob + " (e.g. --set " + knob + "=" +
                          std::to_string(2 * std::max(trained, 1)) + ")");
    state.phaseIndex = last;
    state.epoch = trained;
    state.midEpoch = false;
    state.remaining.clear();
    notes.push_back("continuing the finished run: " + phases_[last].label() + " epochs " + std::to_string(trained + 1) + "-" +
                    std::to_string(phases_[last].epochs));
  }
  Phase& phase = phases_[state.phaseIndex];
  // Steered values in the checkpoint hold unless the conf changes the knob itself.
  const char* rateKnob = phase.kind == PhaseKind::Pretrain ? "pretrainLearningRate" : "finetuneLearningRate";
  if ((diff.changed(rateKnob) || diff.changed("learningRateByLayer")) && !phase.rates.empty())
    state.learningRate = phase.rates.front().rate;
  if (diff.changed("averagingFrequency")) state.averagingFrequency = conf_.averagingFrequency;
  // Optimizer state that does not fit this conf (AdaGrad switched on, an older final
  // checkpoint without it) starts from zero, and the run says so.
  const auto size = static_cast<Eigen::Index>(phase.size());
  const bool fits = state.optimizer.velocity.size() == size &&
                    (!conf_.useAdaGrad || state.optimizer.adagrad.size() == size);
  if (!fits) {
    state.optimizer.reset(phase.size(), conf_.useAdaGrad);
    notes.push_back("the checkpoint holds no optimizer state that fits this conf (momentum" +
                    std::string(conf_.useAdaGrad ? ", AdaGrad" : "") + "): it starts from zero");
  } else if (!conf_.useAdaGrad && state.optimizer.adagrad.size() > 0) {
    state.optimizer.adagrad.resize(0);
  }
  if (conf_.outerMomentum == 0) {
    state.outerVelocity.resize(0);
  } else if (state.outerVelocity.size() != size) {
    if (fits) notes.push_back("the checkpoint holds no outer velocity that fits this conf (outerMomentum): it starts from zero");
    state.outerVelocity.resize(0);
  }
  if (layout_.plan().statePolicy == StatePolicy::PerWorker && layout_.plan().threads > 1)
    notes.push_back("optimizerStatePolicy=perWorker: checkpoints hold one optimizer state, not one per worker, so "
                    "every worker resumes from it and the run will differ from an uninterrupted one");
  params_ = checkpoint.params;
  resume_ = std::move(state);
  resumeNotes_ = std::move(notes);
}

std::optional<ModelFile> Trainer::bestModel() const {
  if (bestParams_.size() == 0) return std::nullopt;
  ModelFile m = model();
  m.params = bestParams_;
  return m;
}

void Trainer::fillModel(ModelFile& m) const {
  m.conf = conf_;
  m.normalizer = data_.normalizer;
  m.classNames = data_.train.classNames;
  m.params = params_;
}

ModelFile Trainer::model() const {
  ModelFile m;
  fillModel(m);
  return m;
}

RunSummary Trainer::run() {
  limitBlasThreadsToOne();  // parallelism comes from workers, not from BLAS threads
  Impl impl(*this);
  return impl.run();
}

RunSummary Trainer::Impl::run() {
  RunSummary summary;
  for (int i = 0; i < localThreads; ++i) addSlot(makeLocal(i), true);
  adoptPendingWorkers(nullptr);
  for (const Phase& p : t.phases_) plannedSamples += static_cast<double>(p.epochs) * static_cast<double>(t.data_.train.size());

  size_t firstPhase = 0;
  for (const std::string& w : confWarnings(t.conf_)) message("warning: " + w);
  for (const std::string& note : t.resumeNotes_) message(note);
  if (t.resume_) {
    firstPhase = t.resume_->phaseIndex;
    iteration = t.resume_->iteration;
    round = t.resume_->round;
    rng.setState(t.resume_->rngState);
    averagingFrequency = t.resume_->averagingFrequency;
    for (size_t i = 0; i < firstPhase; ++i) doneSamples += t.phases_[i].epochs * static_cast<double>(t.data_.train.size());
  }
  try {
    for (size_t pi = firstPhase; pi < t.phases_.size(); ++pi) {
      std::string stop = trainPhase(pi, summary);
      if (!stop.empty()) {
        summary.error = stop;
        break;
      }
      if (t.control_.cancelled()) break;
    }
  } catch (const std::exception& e) {
    summary.error = e.what();
  }
  summary.cancelled = t.control_.cancelled();
  summary.completed = summary.error.empty() && !summary.cancelled;
  summary.iterations = iteration;
  summary.seconds = secondsSince(runStart);
  // Drain: wait (bounded) for busy workers so none writes into freed state afterwards.
  const auto drainUntil = Clock::now() + std::chrono::seconds(5);
  for (auto& s : slots) {
    std::erase_if(s.inflight, [](const InFlight& f) { return f.early.has_value(); });
    while (!s.inflight.empty() && !s.dead && Clock::now() < drainUntil) {
      auto r = results.popUntil(drainUntil);
      if (!r) break;
      forget(*r);
    }
  }
  reportCheckpoint(checkpoints.wait());  // the last checkpoint is on disk when run() returns
  finishEvaluation(true);
  summary.finalEvaluation = lastEval && lastEvalIteration == iteration ? *lastEval : evaluateTest();
  summary.finalEvaluation.phase = "final";
  summary.finalEvaluation.iteration = iteration;
  summary.reconstructionErrors = summary.finalEvaluation.reconstructionErrors;
  summary.bestAccuracy = t.bestAccuracy_;
  summary.bestEpoch = t.bestEpoch_;
  notify([&](TrainingObserver& o) { o.onFinished(summary); });
  return summary;
}

std::string Trainer::Impl::trainPhase(size_t phaseIndex, RunSummary& summary) {
  Phase phase = t.phases_[phaseIndex];
  const bool resuming = t.resume_ && t.resume_->phaseIndex == phaseIndex;
  OptimizerState masterState;
  masterState.reset(phase.size(), t.conf_.useAdaGrad);
  int firstEpoch = 0;
  std::vector<uint32_t> resumeRows;
  bool resumeMidEpoch = false;
  if (resuming) {
    rescaleRates(phase, t.resume_->learningRate);
    masterState = t.resume_->optimizer;
    firstEpoch = t.resume_->epoch;
    resumeMidEpoch = t.resume_->midEpoch;
    resumeRows = t.resume_->remaining;
    doneSamples += firstEpoch * static_cast<double>(t.data_.train.size());
    if (resumeMidEpoch) doneSamples += static_cast<double>(t.data_.train.size() - resumeRows.size());
  }
  for (auto& s : slots) s.ownState = masterState;
  outerVelocity.resize(0);  // the outer momentum of a phase starts from zero
  if (resuming) outerVelocity = t.resume_->outerVelocity;

  PhaseInfo info{phaseIndex, t.phases_.size(), phase.label(), phase.kind == PhaseKind::Pretrain, phase.layer, phase.epochs,
                 baseRate(phase)};
  notify([&](TrainingObserver& o) { o.onPhaseStarted(info); });

  const size_t n = t.data_.train.size();
  const int batchSize = t.conf_.batchSize;
  const double deadlineSeconds = t.options_.roundDeadlineSeconds > 0 ? t.options_.roundDeadlineSeconds : t.conf_.roundDeadlineSeconds;

  for (int epoch = firstEpoch; epoch < phase.epochs; ++epoch) {
    const auto epochStart = Clock::now();
    std::vector<uint32_t> order = (resumeMidEpoch && epoch == firstEpoch) ? resumeRows : shuffledIndices(n, rng);
    int cutFrequency = averagingFrequency;
    std::deque<std::vector<uint32_t>> queue;
    for (auto& s : cutSlices(order, static_cast<size_t>(averagingFrequency) * batchSize)) queue.push_back(std::move(s));
    double lossSum = 0;
    long long lossCount = 0;
    int idleRounds = 0;
    EpochLoop loop{phase, phaseIndex, epoch, masterState, queue, lossSum, lossCount, idleRounds, deadlineSeconds};

    // An epoch ends when its rows are trained and averaged, except that a worker which
    // overlaps rounds keeps training its last task while the master evaluates and starts
    // the next epoch: that result is averaged (rebased) in the next epoch's first round, so
    // the link and the evaluation hide behind its compute. The last epoch of a phase waits
    // for everything (the next phase trains other parameters).
    const bool lastEpoch = epoch + 1 == phase.epochs;
    while (!queue.empty() || anyPending(lastEpoch)) {
      if (t.control_.cancelled()) {
        checkpointAtStop(phaseIndex, epoch, phase, masterState, queue, summary);
        return "";
      }
      dropLostWorkers();
      adoptPendingWorkers(&masterState);
      updateShares();
      reportRateScaling(phase);
      applySteering(phaseIndex, phase);
      if (averagingFrequency != cutFrequency) {
        // Re-cut what is left of the epoch at the new frequency.
        std::vector<uint32_t> rest;
        for (auto& s : queue) rest.insert(rest.end(), s.begin(), s.end());
        queue.clear();
        for (auto& s : cutSlices(rest, static_cast<size_t>(averagingFrequency) * batchSize)) queue.push_back(std::move(s));
        cutFrequency = averagingFrequency;
      }
      if (usableWorkers() == 0) return "no workers left: every worker failed or was lost (see the messages above)";
      if (!anyPending() && (!anyWorkerFree() || queue.empty())) {
        // Every usable worker is still on a slice that missed its deadline (and was
        // re-queued): wait for one to come back rather than spin through empty rounds.
        auto late = results.popUntil(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                        std::chrono::duration<double>(deadlineSeconds)));
        if (late)
          forget(*late);
        else if (!late && !t.control_.paused() && ++idleRounds > 3 && !t.control_.cancelled())
          return "no worker returned a result in 3 consecutive rounds (deadline " + formatFloat(deadlineSeconds) + " s each)";
        continue;
      }

      RoundPlan plan = dispatchRound(loop);
      std::vector<std::optional<RoundResult>> got = collectRound(plan, deadlineSeconds);
      RoundInfo ri;
      size_t roundSamples = 0;
      if (std::string stop = averageRound(loop, plan, got, ri, roundSamples); !stop.empty()) return stop;
      reportRound(loop, plan, got, ri, roundSamples);
    }
    if (t.control_.cancelled()) {
      checkpointAtStop(phaseIndex, epoch, phase, masterState, queue, summary);
      return "";
    }

    EpochInfo ei{phase.label(), phase.layer, epoch + 1, iteration,
                 lossCount ? static_cast<float>(lossSum / lossCount) : 0.0f, secondsSince(epochStart)};
    notify([&](TrainingObserver& o) { o.onEpochFinished(ei); });
    if (t.conf_.renderWeightEpochs > 0 && (epoch + 1) % t.conf_.renderWeightEpochs == 0) {
      FilterSnapshot f;
      f.epoch = epoch + 1;
      auto w = t.layout_.weights(t.params_, 0);
      f.rows = static_cast<int>(w.rows());
      f.cols = static_cast<int>(w.cols());
      f.weights.assign(w.data(), w.data() + w.size());
      notify([&](TrainingObserver& o) { o.onFilters(f); });
    }
    if (t.conf_.evalEvery > 0 && ((epoch + 1) % t.conf_.evalEvery == 0 || lastEpoch) && t.data_.test.size() > 0)
      evaluateEpoch(phase, epoch + 1, !lastEpoch && remoteTakesPart());
    if (t.conf_.checkpointEveryEpochs > 0 && ((epoch + 1) % t.conf_.checkpointEveryEpochs == 0 || lastEpoch))
      writeEpochEndCheckpoint(phaseIndex, epoch, phase, masterState);
  }
  return "";
}

// Plans and posts one round: the parameters' snapshot, each worker's slices (its share,
// scaled down near an epoch's end, more to cover a background evaluation), the task.
Trainer::Impl::RoundPlan Trainer::Impl::dispatchRound(EpochLoop& e) {
  Phase& phase = e.phase;
  const size_t phaseIndex = e.phaseIndex;
  const int epoch = e.epoch;
  const OptimizerState& masterState = e.masterState;
  std::deque<std::vector<uint32_t>>& queue = e.queue;
  const size_t n = t.data_.train.size();
  const int batchSize = t.conf_.batchSize;
  RoundPlan plan;
  plan.start = Clock::now();
  ++round;
  // A worker still holding last round's buffers (late, or remote) keeps them.
  std::shared_ptr<Eigen::VectorXf>& sharedParams = unheld(paramsPool);
  copyVector(t.params_, *sharedParams, &reducePool);
  std::shared_ptr<OptimizerState>& sharedState = unheld(statePool);
  copyState(masterState, *sharedState);
  plan.shared = sharedParams;
  const std::shared_ptr<const Eigen::VectorXf>& shared = plan.shared;
  // learningRateScaling, times the schedule at this point of the phase.
  const double factor = plan.factor = rateFactor() * scheduleFactor(t.conf_, t.layout_.plan().schedule, epoch + 1.0 - rowsLeft(queue) / static_cast<double>(n), phase.epochs);
  std::vector<Assigned>& assigned = plan.assigned;
  // Near the end of an epoch the queue may hold fewer slices than the shares ask for:
  // scale every share down alike, so one worker does not take the rest alone.
  double shareScale = 1.0;
  {
    size_t wanted = 0;
    for (const Slot& s : slots)
      if (canTake(s)) wanted += static_cast<size_t>(s.share);
    if (wanted > queue.size() && wanted > 0) shareScale = static_cast<double>(queue.size()) / static_cast<double>(wanted);
  }
  for (size_t si = 0; si < slots.size() && !queue.empty(); ++si) {
    Slot& s = slots[si];
    if (!canTake(s)) continue;
    int take = std::max(1, static_cast<int>(s.share * shareScale));
    // The master's evaluation now shares the local lanes' cores and lengthens this
    // round: a remote worker gets the slices it trains in that time too, so it does
    // not sit idle until the round ends.
    // One that overlaps already holds its next task, which keeps it busy through that
    // much of the evaluation: it gets extra slices only for the rest. (Before this,
    // it got slices for all of it, and the round after waited ~0.3 s for them.)
    if (coverEvaluation && !s.local && s.speed() > 0) {
      const double sliceSeconds = static_cast<double>(averagingFrequency) * batchSize / s.speed();
      // The work it really holds: at an epoch's end the queue often ran dry, and it
      // holds nothing. (Counting a full share held left it idle ~0.15 s at every
      // epoch boundary on the reference MLP at 1 Gbit/s.)
      double held = 0;
      for (const InFlight& f : s.inflight)
        if (!f.requeued) held += static_cast<double>(f.slice.size()) / s.speed();
      const double uncovered = std::max(0.0, evaluationRoundSeconds() - held);
      take = std::max(take, static_cast<int>(std::ceil(uncovered / sliceSeconds)));
    }
    RoundTask task;
    task.round = round;
    task.phaseIndex = phaseIndex;
    task.phase = phase;
    if (factor != 1.0) rescaleRates(task.phase, static_cast<float>(baseRate(phase) * factor));
    task.params = shared;
    // A worker added by steering mid-phase has no state of its own yet: it starts from the master's.
    const bool perWorker = t.layout_.plan().statePolicy == StatePolicy::PerWorker;
    if (perWorker && s.ownState.velocity.size() != static_cast<Eigen::Index>(phase.size()))
      s.ownState = masterState;
    task.state = perWorker ? std::make_shared<const OptimizerState>(s.ownState) : sharedState;
    task.indices = std::move(queue.front());
    queue.pop_front();
    for (int extra = 1; extra < take && !queue.empty(); ++extra) {
      task.indices.insert(task.indices.end(), queue.front().begin(), queue.front().end());
      queue.pop_front();
    }
    task.batchSize = batchSize;
    task.seed = rng.nextU64();
    task.spareSegment = std::move(s.spareSegment);
    task.spareState = std::move(s.spareState);
    // Its last result still crosses the link: it is not in these parameters yet.
    if (!s.local && t.conf_.staleCompensation && !s.inflight.empty()) task.pendingShare = static_cast<float>(s.staleShare);
    InFlight f;
    f.round = round;
    f.slice = task.indices;
    f.posted = Clock::now();
    f.alone = s.inflight.empty();
    s.inflight.push_back(std::move(f));
    s.worker->post(std::move(task));
  }
  plan.coveredEvaluation = coverEvaluation;
  coverEvaluation = false;
  for (size_t si = 0; si < slots.size(); ++si)
    if (const InFlight* f = owed(slots[si])) assigned.push_back({si, f->round, f->slice});

  return plan;
}

// Collects this round's results until all arrived or the deadline passed (time spent
// paused does not count). A result for a later round is kept for that round.
std::vector<std::optional<RoundResult>> Trainer::Impl::collectRound(RoundPlan& plan, double deadlineSeconds) {
  const std::vector<Assigned>& assigned = plan.assigned;
  std::vector<std::optional<RoundResult>> got(slots.size());
  std::vector<long long> wanted(slots.size(), -1);  // the round of the result owed by each worker
  size_t arrived = 0;
  for (const Assigned& a : assigned) {
    wanted[a.slot] = a.round;
    auto& fl = slots[a.slot].inflight;
    for (auto it = fl.begin(); it != fl.end(); ++it)
      if (it->round == a.round && it->early) {
        got[a.slot] = std::move(*it->early);
        fl.erase(it);
        ++arrived;
        break;
      }
  }
  auto deadline = plan.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(deadlineSeconds));
  while (arrived < assigned.size()) {
    // Wait in short steps so time spent paused does not count against the deadline.
    const auto stepStart = Clock::now();
    auto r = results.popUntil(std::min(deadline, stepStart + std::chrono::milliseconds(100)));
    if (t.control_.paused()) {
      const auto waited = Clock::now() - stepStart;
      deadline += waited;
      pausedTime += waited;
    }
    if (!r) {
      if (Clock::now() >= deadline) break;
      continue;
    }
    if (r->worker < 0 || static_cast<size_t>(r->worker) >= slots.size()) continue;
    Slot& s = slots[static_cast<size_t>(r->worker)];
    auto f = std::find_if(s.inflight.begin(), s.inflight.end(), [&](const InFlight& x) { return x.round == r->round; });
    if (f == s.inflight.end()) continue;
    if (f->requeued) {  // a late result: its slice was re-queued
      s.inflight.erase(f);
      continue;
    }
    // A local lane's task that ran beside a background evaluation shared its core with
    // it (about 0.3 s against 0.11 s for the same slices on a one-core master): that is
    // not the lane's speed, and smoothing it in shrank the lane's share for rounds after.
    const bool beside = s.local && pendingEval.has_value();
    if (r->samples > 0 && !r->error && r->computeSeconds > 0 && !beside) {
      s.pace.add(r->samples, r->computeSeconds);  // see train/pace_estimate.h
      // Only a task that did not wait behind another on the worker measures the link.
      // The first one also carries the full parameters and a cold connection (about
      // 0.4-0.7 s against 60-80 ms later at 1 Gbit/s): the second replaces it.
      if (f->alone) {
        const double wall = std::chrono::duration<double>(r->finished - f->posted).count();
        const double overhead = std::max(0.0, wall - r->computeSeconds);
        s.overhead = s.overheadMeasured++ < 2 ? overhead : 0.8 * s.overhead + 0.2 * overhead;
      }
    }
    if (wanted[static_cast<size_t>(r->worker)] != r->round) {
      f->early = std::move(*r);  // averaged next round
      continue;
    }
    s.inflight.erase(f);
    got[static_cast<size_t>(r->worker)] = std::move(*r);
    ++arrived;
  }
  plan.collected = Clock::now();
  return got;
}

// Averages what arrived, in slot order (fixed order: bit-identical runs): a failed or late
// worker's slices go back to the queue, stale results are rebased, the optimizer state is
// averaged or kept per worker, the minibatches' losses are reported and, every statsEvery
// iterations, the model statistics. Returns why training must stop, or "".
std::string Trainer::Impl::averageRound(EpochLoop& e, RoundPlan& plan, std::vector<std::optional<RoundResult>>& got,
                                        RoundInfo& ri, size_t& roundSamples) {
  Phase& phase = e.phase;
  const int epoch = e.epoch;
  OptimizerState& masterState = e.masterState;
  std::deque<std::vector<uint32_t>>& queue = e.queue;
  const double deadlineSeconds = e.deadlineSeconds;
  const int batchSize = t.conf_.batchSize;
  const std::vector<Assigned>& assigned = plan.assigned;
  const std::shared_ptr<const Eigen::VectorXf>& shared = plan.shared;
  const double factor = plan.factor;
  // Average what arrived, in slot order (fixed order: bit-identical runs).
  std::vector<Eigen::VectorXf*> segs, vels, adas;  // into the results: averageInto may swap them
  std::vector<float> lastSteps;  // per entry of vels: conjugate gradient's last accepted step
  std::vector<long long> staleSlots;  // per entry of segs: the slot of a one-round-late result, or -1
  std::vector<double> weights, stateWeights;
  ri.phase = phase.label();
  ri.epoch = epoch + 1;
  ri.round = round;
  std::string divergence;
  std::vector<std::vector<uint32_t>> requeue;
  roundSamples = 0;
  for (const Assigned& a : assigned) {
    Slot& s = slots[a.slot];
    WorkerRoundInfo wi;
    wi.worker = static_cast<int>(a.slot);
    wi.id = s.worker->id();
    wi.taskRound = a.round;
    std::optional<RoundResult>& r = got[a.slot];
    if (!r || r->cancelled || r->error) {
      wi.arrived = false;
      requeue.push_back(a.slice);
      for (InFlight& f : s.inflight)
        if (f.round == a.round) f.requeued = true;  // missed the deadline: its result will be dropped
      if (r && r->error) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(r->error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        s.dead = true;
        // Its other tasks will not come back either.
        for (InFlight& f : s.inflight)
          if (!f.requeued) requeue.push_back(std::move(f.slice));
        s.inflight.clear();
        message("worker " + wi.id + " failed and was dropped: " + what);
      } else if (!r && !t.control_.cancelled()) {
        message("worker " + wi.id + " missed the round deadline (" + formatFloat(deadlineSeconds) +
                " s); its slice was re-queued");
      }
      ri.workers.push_back(wi);
      continue;
    }
    if (r->diverged && divergence.empty()) {
      const long long at = iteration + static_cast<long long>(r->divergedBatch) + 1;
      const bool pre = phase.kind == PhaseKind::Pretrain;
      divergence = "training diverged: the loss became " + std::string(std::isnan(r->losses.back()) ? "NaN" : "infinite") +
                   " in " + phase.label() + ", epoch " + std::to_string(epoch + 1) + ", iteration " +
                   std::to_string(at) + "; the most likely cause is the learning rate: lower " +
                   (pre ? "pretrainLearningRate" : "finetuneLearningRate") + " (now " +
                   formatFloat(baseRate(phase)) + "). The last good parameters were kept.";
    }
    wi.samples = r->samples;
    wi.computeSeconds = r->computeSeconds;
    wi.waitSeconds = std::chrono::duration<double>(plan.collected - r->finished).count();
    wi.samplesPerSecond = r->computeSeconds > 0 ? r->samples / r->computeSeconds : 0;
    double sum = 0;
    for (float l : r->losses) sum += l;
    wi.meanLoss = r->losses.empty() ? 0.0f : static_cast<float>(sum / r->losses.size());
    ri.workers.push_back(wi);
    if (r->samples == 0) continue;
    // Trained from an earlier round's parameters (an overlapping worker): its change
    // goes onto this round's, so the average does not pull back to the old ones.
    // It counts for less (staleResultWeight): its change was computed where the
    // parameters no longer are.
    double weight = static_cast<double>(r->samples);
    const bool wasStale = r->startedFrom && r->startedFrom != shared && r->startedFrom->size() == t.params_.size();
    if (wasStale) {
      r->segment += t.params_.segment(static_cast<Eigen::Index>(phase.begin), static_cast<Eigen::Index>(phase.size())) -
                    r->startedFrom->segment(static_cast<Eigen::Index>(phase.begin), static_cast<Eigen::Index>(phase.size()));
      weight *= t.conf_.staleResultWeight;
    }
    r->startedFrom.reset();
    staleSlots.push_back(wasStale ? static_cast<long long>(a.slot) : -1);
    segs.push_back(&r->segment);
    weights.push_back(weight);
    // Remote workers keep their optimizer state (it never crosses the link): only
    // results that carry one take part in the state's average.
    if (static_cast<size_t>(r->state.velocity.size()) == phase.size()) {
      vels.push_back(&r->state.velocity);
      lastSteps.push_back(r->state.lastStep);
      stateWeights.push_back(static_cast<double>(r->samples));
      if (r->state.adagrad.size()) adas.push_back(&r->state.adagrad);
    }
    roundSamples += r->samples;
  }
  if (!divergence.empty()) return divergence;  // params_ still hold the last good average
  for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) queue.push_front(std::move(*it));

  if (!segs.empty()) {
    const bool stats = t.conf_.statsEvery > 0 &&
                       (iteration / t.conf_.statsEvery) !=
                           ((iteration + static_cast<long long>(roundSamples / batchSize + 1)) / t.conf_.statsEvery);
    Eigen::VectorXf& before = statsBefore;
    if (stats) before = t.params_.segment(static_cast<Eigen::Index>(phase.begin), static_cast<Eigen::Index>(phase.size()));
    if (phase.begin == 0 && phase.size() == static_cast<size_t>(t.params_.size()))
      averageInto(segs, weights, t.params_, &reducePool);  // one result: taken, not copied
    else
      weightedAverage(constView(segs), weights,
                      t.params_.segment(static_cast<Eigen::Index>(phase.begin), static_cast<Eigen::Index>(phase.size())),
                      &reducePool);
    applyOuterStep(phase, *shared, segs.size());
    recordStaleShares(staleSlots, weights);
    if (t.layout_.plan().statePolicy == StatePolicy::PerWorker) {
      // The master keeps an average only for checkpoints and new workers. Average before
      // the states move into their slots: `vels` points into the results. (Copied, not
      // taken: each worker keeps its own.)
      if (!vels.empty()) weightedAverage(constView(vels), stateWeights, masterState.velocity, &reducePool);
      for (const Assigned& a : assigned)
        if (got[a.slot] && !got[a.slot]->error && !got[a.slot]->cancelled &&
            static_cast<size_t>(got[a.slot]->state.velocity.size()) == phase.size())
          slots[a.slot].ownState = std::move(got[a.slot]->state);
    } else {
      if (!vels.empty()) averageInto(vels, stateWeights, masterState.velocity, &reducePool);
      if (adas.size() == vels.size() && !adas.empty()) averageInto(adas, stateWeights, masterState.adagrad, &reducePool);
      // Conjugate gradient's line search starts from twice its last accepted step; the
      // workers' steps are averaged like the velocity, so that memory outlives the round.
      masterState.lastStep = weightedMean(lastSteps, stateWeights, masterState.lastStep);
      for (const Assigned& a : assigned)
        if (got[a.slot]) slots[a.slot].spareState = std::move(got[a.slot]->state);
    }
    for (const Assigned& a : assigned)
      if (got[a.slot]) slots[a.slot].spareSegment = std::move(got[a.slot]->segment);
    // Per-minibatch losses, numbered in worker order.
    for (const Assigned& a : assigned) {
      const auto& r = got[a.slot];
      if (!r || r->error || r->cancelled) continue;
      for (float l : r->losses) {
        ++iteration;
        e.lossSum += l;
        ++e.lossCount;
        IterationInfo it{phase.label(), phase.layer, epoch + 1, iteration, l, static_cast<int>(a.slot)};
        notify([&](TrainingObserver& o) { o.onIteration(it); });
      }
    }
    if (stats) {
      ModelStats ms = computeModelStats(t.conf_, t.layout_, t.params_, before, phase, t.data_.train);
      ms.learningRate = static_cast<float>(baseRate(phase) * factor);  // the rate each worker trained at
      ms.iteration = iteration;
      notify([&](TrainingObserver& o) { o.onModelStats(ms); });
    }
    e.idleRounds = 0;
  } else if (++e.idleRounds > 3 && !t.control_.cancelled()) {
    return "no worker returned a result in 3 consecutive rounds (deadline " + formatFloat(deadlineSeconds) + " s each)";
  }
  return "";
}

// Counts the round's samples, reports it (RoundInfo: timing, progress, ETA), publishes a
// finished checkpoint or background evaluation, and writes a timed checkpoint when due.
void Trainer::Impl::reportRound(EpochLoop& e, const RoundPlan& plan, const std::vector<std::optional<RoundResult>>& got,
                                RoundInfo& ri, size_t roundSamples) {
  Phase& phase = e.phase;
  const size_t phaseIndex = e.phaseIndex;
  const int epoch = e.epoch;
  const OptimizerState& masterState = e.masterState;
  const std::deque<std::vector<uint32_t>>& queue = e.queue;
  const size_t n = t.data_.train.size();
  doneSamples += static_cast<double>(roundSamples);
  processSamples += static_cast<double>(roundSamples);
  ri.iteration = iteration;
  ri.seconds = secondsSince(plan.start);
  if (plan.coveredEvaluation) {
    double perRow = 0;
    for (const Assigned& a : plan.assigned)
      if (slots[a.slot].local && got[a.slot] && got[a.slot]->samples > 0)
        perRow = std::max(perRow, got[a.slot]->computeSeconds / static_cast<double>(got[a.slot]->samples));
    if (perRow > 0) evalLanePerRow = perRow;
  }
  ri.averagingSeconds = std::chrono::duration<double>(Clock::now() - plan.collected).count();
  ri.samplesPerSecond = ri.seconds > 0 ? roundSamples / ri.seconds : 0;
  ri.epochFraction = 1.0 - static_cast<double>([&] {
    size_t left = 0;
    for (auto& s : queue) left += s.size();
    return left;
  }()) / static_cast<double>(n);
  const double elapsed = secondsSince(runStart) - std::chrono::duration<double>(pausedTime).count();
  ri.runFraction = plannedSamples > 0 ? std::min(1.0, doneSamples / plannedSamples) : 0;
  ri.etaSeconds = processSamples > 0 ? elapsed * std::max(0.0, plannedSamples - doneSamples) / processSamples : 0;
  notify([&](TrainingObserver& o) { o.onRound(ri); });
  reportCheckpoint(checkpoints.poll());
  finishEvaluation(false);

  if (t.conf_.checkpointEveryMinutes > 0 && !queue.empty() &&
      secondsSince(lastCheckpoint) > t.conf_.checkpointEveryMinutes * 60.0) {
    writeCheckpoint(phaseIndex, epoch, true, phase, masterState, untrained(queue));
  }
}

}  // namespace scaleout
