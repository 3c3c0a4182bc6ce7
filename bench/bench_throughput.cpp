// bench_throughput: how close training comes to the machine's sgemm peak, measured in one
// run so the ratios compare like with like on a noisy, shared machine.
//
// Reference workload (issue #3): MLP 784-1000-500-250-10, hardtanh hidden, softmax output,
// mcxent, batch 100, momentum 0.9, finetuneLearningRate 0.01, Fashion-MNIST (or synthetic
// data of the same shape with --synthetic). Prints a table and `result <key> <value>` lines
// that scripts (bench/vs_pytorch.sh) read. See bench/README.md for what each number means.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <Eigen/Core>

#include "config/conf.h"
#include "data/batches.h"
#include "data/data_source.h"
#include "nn/network.h"
#include "train/objective.h"
#include "train/observer.h"
#include "train/optimizer.h"
#include "train/phase.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/rng.h"

extern "C" {
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

namespace {

using Clock = std::chrono::steady_clock;
using scaleout::Conf;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread: with other jobs on the machine a thread may get less
// than a whole core, and FLOPs per CPU-second stay meaningful where per wall-second do not.
double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double processCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Kernel-mode CPU time: page faults of freshly allocated buffers show up here.
double processSysSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_stime.tv_usec);
}

long minorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// Wall and CPU seconds of a timed section; keepBest keeps the fastest of each.
struct Span {
  double wall = 1e30, cpu = 1e30;
  void keepBest(double w, double c) {
    wall = std::min(wall, w);
    cpu = std::min(cpu, c);
  }
};

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct Options {
  bool quick = false;
  bool synthetic = false;
  int gemmSize = 2048;
  int gemmReps = 5;
  int samples = 30000;  // training rows (maxTrainSamples)
  int epochs = 2;
  int reps = 3;          // repetitions of every training measurement (best and median shown)
  int averagingSamples = 20000;
  std::vector<int> averagingFrequencies{1, 5, 20};
  bool runGemm = true, runRaw = true, runScaling = true, runAveraging = true;
};

void usage() {
  std::puts(
      "usage: bench_throughput [--quick] [--synthetic] [--samples N] [--epochs N] [--reps N]\n"
      "                        [--gemm-size N] [--gemm-reps N] [--averaging-samples N] [--frequencies 1,5,20]\n"
      "                        [--skip gemm,raw,scaling,averaging]\n"
      "  --quick      small sizes, one repetition (a smoke run, not a measurement)\n"
      "  --synthetic  random data of Fashion-MNIST's shape instead of the installed data set\n"
      "  --skip       leave out sections (scaling = the Trainer with 1 and 2 workers)");
}

int intArg(int& i, int argc, char** argv) {
  if (i + 1 >= argc) throw scaleout::ScaleoutError(std::string(argv[i]) + " needs a value");
  const char* text = argv[++i];
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (!end || *end || v <= 0 || v > 100000000)
    throw scaleout::ScaleoutError(std::string(argv[i - 1]) + " '" + text + "': expected a positive integer");
  return static_cast<int>(v);
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      o.quick = true;
      o.gemmSize = 1024;
      o.gemmReps = 2;
      o.samples = 4000;
      o.epochs = 1;
      o.reps = 1;
      o.averagingSamples = 4000;
    }
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") continue;
    if (a == "--synthetic") o.synthetic = true;
    else if (a == "--samples") o.samples = intArg(i, argc, argv);
    else if (a == "--epochs") o.epochs = intArg(i, argc, argv);
    else if (a == "--reps") o.reps = intArg(i, argc, argv);
    else if (a == "--gemm-size") o.gemmSize = intArg(i, argc, argv);
    else if (a == "--gemm-reps") o.gemmReps = intArg(i, argc, argv);
    else if (a == "--averaging-samples") o.averagingSamples = intArg(i, argc, argv);
    else if (a == "--frequencies") {
      if (i + 1 >= argc) throw scaleout::ScaleoutError("--frequencies needs a list such as 1,5,20");
      o.averagingFrequencies.clear();
      std::string list = argv[++i];
      for (size_t start = 0; start <= list.size();) {
        const size_t comma = std::min(list.find(',', start), list.size());
        const std::string part = list.substr(start, comma - start);
        const int v = std::atoi(part.c_str());
        if (v <= 0) throw scaleout::ScaleoutError("--frequencies '" + part + "': expected positive integers");
        o.averagingFrequencies.push_back(v);
        start = comma + 1;
      }
    } else if (a == "--skip") {
      if (i + 1 >= argc) throw scaleout::ScaleoutError("--skip needs a list such as gemm,raw");
      std::string list = argv[++i];
      size_t start = 0;
      while (start <= list.size()) {
        const size_t comma = std::min(list.find(',', start), list.size());
        const std::string part = list.substr(start, comma - start);
        if (part == "gemm") o.runGemm = false;
        else if (part == "raw") o.runRaw = false;
        else if (part == "scaling") o.runScaling = false;
        else if (part == "averaging") o.runAveraging = false;
        else throw scaleout::ScaleoutError("--skip '" + part + "': expected gemm, raw, scaling or averaging");
        start = comma + 1;
      }
    } else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      usage();
      throw scaleout::ScaleoutError("unknown argument '" + a + "'");
    }
  }
  return o;
}

// ---- the reference workload

Conf referenceConf(const Options& o, int threads, int averagingFrequency, int epochs) {
  Conf c;
  c.networkClass = "mlp";
  c.nIn = 784;
  c.nOut = 10;
  c.layerSizes = {1000, 500, 250};
  c.activation = "hardtanh";
  c.outputActivation = "softmax";
  c.outputLossFunction = "mcxent";
  c.weightInit = "xavier";
  c.batchSize = 100;
  c.momentum = 0.9;
  c.finetuneLearningRate = 0.01;
  c.finetuneEpochs = epochs;
  c.optimizationAlgorithm = "sgd";
  c.dataset = "fashion-mnist";
  c.maxTrainSamples = o.samples;
  c.threads = threads;
  c.averagingFrequency = averagingFrequency;
  c.statsEvery = 0;
  c.evalEvery = 0;
  c.checkpointEveryEpochs = 0;
  c.checkpointEveryMinutes = 0;
  c.seed = 123;
  return c;
}

scaleout::DataSet syntheticSet(size_t rows, uint64_t seed, const std::string& name) {
  scaleout::DataSet d;
  scaleout::Rng rng(seed);
  d.features.resize(static_cast<Eigen::Index>(rows), 784);
  float* f = d.features.data();
  for (Eigen::Index k = 0; k < d.features.size(); ++k) f[k] = rng.uniform();
  d.labels.resize(rows);
  for (auto& l : d.labels) l = static_cast<int>(rng.below(10));
  d.numClasses = 10;
  d.source = name;
  return d;
}

scaleout::TrainTestData loadData(const Options& o) {
  constexpr size_t kTestRows = 1000;  // the Trainer's final evaluation is not what we time
  scaleout::TrainTestData data;
  if (o.synthetic) {
    data.train = syntheticSet(static_cast<size_t>(o.samples), 1, "synthetic train");
    data.test = syntheticSet(kTestRows, 2, "synthetic test");
    return data;
  }
  data = scaleout::loadTrainTest(referenceConf(o, 1, 1, 1));
  std::vector<uint32_t> keep(std::min(kTestRows, data.test.size()));
  std::iota(keep.begin(), keep.end(), 0u);
  data.test = scaleout::subset(data.test, keep);
  return data;
}

double flopsPerSample(const scaleout::NetworkLayout& layout) {
  // Executed FLOPs, 2 per multiply-accumulate: the forward pass (x W), the weight gradient
  // (x^T delta) and the delta passed down (delta W^T), which below the first layer nobody
  // computes (PyTorch does not either). The reference MLP: 6.90 MFLOP per sample.
  double macs = 0;
  bool first = true;
  for (const auto& l : layout.layers()) {
    const double m = static_cast<double>(l.shape.nIn) * l.shape.nOut;
    macs += (first ? 2.0 : 3.0) * m;
    first = false;
  }
  return 2.0 * macs;
}

// ---- a. sgemm peak through the engine's kernel (Eigen product -> OpenBLAS sgemm)

// The peak is probed between the other sections and the best probe kept, so a ratio
// compares our best with the machine's best of the same run, not with a moment when a
// neighbour happened to be idle or busy. The matrices live for the whole run: freeing
// them would change malloc's thresholds (see run()).
class PeakProbe {
 public:
  explicit PeakProbe(int n) : n_(n) {
    if (n_ <= 0) return;
    a_ = Eigen::MatrixXf::Random(n, n);
    b_ = Eigen::MatrixXf::Random(n, n);
    c_.resize(n, n);
    c_.noalias() = a_ * b_;  // warm-up: page faults, OpenBLAS buffers
  }
  void probe(int reps) {
    if (n_ <= 0) return;
    for (int r = 0; r < reps; ++r) {
      const auto t = Clock::now();
      const double cpu = threadCpuSeconds();
      c_.noalias() = a_ * b_;
      best_.keepBest(secondsSince(t), threadCpuSeconds() - cpu);
      ++probes_;
    }
    if (!std::isfinite(c_(0, 0))) std::puts("(non-finite sgemm result)");
  }
  double gflops() const { return probes_ ? flop() / best_.wall / 1e9 : 0; }
  double cpuGflops() const { return probes_ ? flop() / best_.cpu / 1e9 : 0; }
  int probes() const { return probes_; }

 private:
  double flop() const { return 2.0 * n_ * static_cast<double>(n_) * n_; }
  int n_;
  Eigen::MatrixXf a_, b_, c_;
  Span best_;
  int probes_ = 0;
};

// Two threads each running single-threaded sgemm at once: the machine's 2-core ceiling
// for iterative reduce with two workers (shared caches, memory, turbo budget).
double concurrentSgemmGflops(int n, int reps) {
  std::atomic<int> ready{0};
  std::vector<double> times(2);
  auto body = [&](int k) {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
    c.noalias() = a * b;
    ready.fetch_add(1);
    while (ready.load() < 2) std::this_thread::yield();
    double bt = 1e30;
    for (int r = 0; r < reps; ++r) {
      const auto t = Clock::now();
      c.noalias() = a * b;
      bt = std::min(bt, secondsSince(t));
    }
    times[static_cast<size_t>(k)] = bt;
  };
  std::thread t0(body, 0), t1(body, 1);
  t0.join();
  t1.join();
  const double flop = 2.0 * n * static_cast<double>(n) * n;
  return flop / times[0] / 1e9 + flop / times[1] / 1e9;
}

// The GEMMs of one minibatch of the workload, exactly as FeedForward issues them:
// forward Z = X W, weight gradient dW = X^T D, delta below D' = D W^T (not for layer 0).
struct GemmShapes {
  Span perBatch;
  double flopPerBatch = 0;
};

GemmShapes workloadGemms(const scaleout::NetworkLayout& layout, int batch, int reps) {
  struct L {
    Eigen::MatrixXf x, w, z, d, dw, below;
  };
  std::vector<L> ls;
  double flop = 0;
  for (const auto& l : layout.layers()) {
    L m;
    m.x = Eigen::MatrixXf::Random(batch, l.shape.nIn);
    m.w = Eigen::MatrixXf::Random(l.shape.nIn, l.shape.nOut);
    m.d = Eigen::MatrixXf::Random(batch, l.shape.nOut);
    ls.push_back(std::move(m));
  }
  auto once = [&] {
    for (size_t i = 0; i < ls.size(); ++i) ls[i].z.noalias() = ls[i].x * ls[i].w;
    for (size_t i = ls.size(); i-- > 0;) {
      ls[i].dw.noalias() = ls[i].x.transpose() * ls[i].d;
      if (i > 0) ls[i].below.noalias() = ls[i].d * ls[i].w.transpose();
    }
  };
  for (size_t i = 0; i < ls.size(); ++i) {
    const double mac = static_cast<double>(batch) * layout.layers()[i].shape.nIn * layout.layers()[i].shape.nOut;
    flop += 2 * mac * (i > 0 ? 3 : 2);
  }
  once();
  Span span;
  for (int r = 0; r < reps; ++r) {
    const auto t = Clock::now();
    const double cpu = threadCpuSeconds();
    for (int k = 0; k < 20; ++k) once();
    span.keepBest(secondsSince(t) / 20, (threadCpuSeconds() - cpu) / 20);
  }
  return {span, flop};
}

// ---- b. the raw minibatch loop: FeedForward + Optimizer, no Trainer, one thread

struct RawFigures {
  double samplesPerSecond = 0;     // gather + forward/backward + update, per wall second
  double samplesPerCpuSecond = 0;  // the same per CPU second of the thread
  double gatherSeconds = 0, stepSeconds = 0, updateSeconds = 0;  // per minibatch, CPU time
  double faultsPerBatch = 0;  // minor page faults per forward/backward in the timed passes
};

RawFigures rawLoop(const Options& o, const scaleout::TrainTestData& data) {
  const Conf conf = referenceConf(o, 1, 1, 1);
  scaleout::NetworkLayout layout(conf);
  const scaleout::Phase phase = scaleout::planPhases(conf, layout).back();
  auto objective = scaleout::makeObjective(conf, layout, phase);
  scaleout::Optimizer optimizer(conf, phase);
  scaleout::OptimizerState state;
  state.reset(phase.size(), false);
  scaleout::Rng init(123);
  Eigen::VectorXf params = layout.initialParameters(conf, init);
  Eigen::VectorXf grad;
  scaleout::Rng rng(7);
  scaleout::Batch batch;
  const std::vector<uint32_t> order = scaleout::shuffledIndices(data.train.size(), rng);
  const size_t bs = static_cast<size_t>(conf.batchSize);
  const size_t batches = order.size() / bs;

  // Three passes over the same batches: gather only; gather + forward/backward; the real
  // step (gather + forward/backward + momentum update). Differences give the breakdown.
  Span spans[3];
  auto pass = [&](int what) {
    const auto t = Clock::now();
    const double cpu = threadCpuSeconds();
    for (size_t b = 0; b < batches; ++b) {
      scaleout::gatherBatch(data.train, order.data() + b * bs, bs, batch);
      if (what == 1) objective->step(params, batch, grad, &rng);
      if (what == 2) optimizer.minibatch(*objective, params, state, batch, rng);
    }
    const double n = static_cast<double>(batches);
    spans[what].keepBest(secondsSince(t) / n, (threadCpuSeconds() - cpu) / n);
  };
  pass(2);  // warm-up: buffers reach their size
  spans[2] = Span{};
  const long faults = minorFaults();
  for (int r = 0; r < o.reps; ++r)
    for (int what : {0, 1, 2}) pass(what);
  RawFigures f;
  // Counted over the two passes that run forward/backward (gathering allocates nothing).
  f.faultsPerBatch = static_cast<double>(minorFaults() - faults) / static_cast<double>(2 * o.reps * batches);
  f.samplesPerSecond = static_cast<double>(bs) / spans[2].wall;
  f.samplesPerCpuSecond = static_cast<double>(bs) / spans[2].cpu;
  f.gatherSeconds = spans[0].cpu;
  f.stepSeconds = spans[1].cpu - spans[0].cpu;
  f.updateSeconds = spans[2].cpu - spans[1].cpu;
  return f;
}

// ---- b/d. the real Trainer

class RoundRecorder final : public scaleout::TrainingObserver {
 public:
  struct Entry {
    Clock::time_point at;
    scaleout::RoundInfo info;
  };
  void onRound(const scaleout::RoundInfo& ri) override { rounds.push_back({Clock::now(), ri}); }
  void onMessage(const std::string& text) override { std::printf("  [trainer] %s\n", text.c_str()); }
  std::vector<Entry> rounds;
};

struct TrainerFigures {
  double samplesPerSecond = 0;      // steady state: rounds 2..N, wall time between their ends
  double wallSamplesPerSecond = 0;  // the whole run() incl. start-up and final evaluation
  double workerSamplesPerSecond = 0;  // per worker, samples / computeSeconds (mean)
  double cpuSamplesPerSecond = 0;     // all samples / process CPU seconds of run() (all threads)
  double averagingShare = 0;  // sum averagingSeconds / sum round seconds
  double serialShare = 0;     // sum (round seconds - slowest worker's compute) / sum round seconds
  double waitShare = 0;       // mean over workers of waitSeconds / round seconds
  size_t rounds = 0;
  double faultsPerRound = 0;  // minor page faults of run() per round: fresh large buffers fault in
  double sysShare = 0;        // kernel share of run()'s CPU time (page faults, futexes)
  std::string error;
};

TrainerFigures runTrainer(const Conf& conf, const scaleout::TrainTestData& data) {
  scaleout::Trainer trainer(conf, data);
  RoundRecorder rec;
  trainer.addObserver(&rec);
  const auto start = Clock::now();
  const double cpu = processCpuSeconds();
  const double sys = processSysSeconds();
  const long faults = minorFaults();
  const scaleout::RunSummary summary = trainer.run();
  const long faultCount = minorFaults() - faults;
  const double wall = secondsSince(start);
  const double cpuSeconds = processCpuSeconds() - cpu;
  const double sysSeconds = processSysSeconds() - sys;
  TrainerFigures f;
  f.error = summary.error;
  f.rounds = rec.rounds.size();
  f.faultsPerRound = f.rounds ? static_cast<double>(faultCount) / static_cast<double>(f.rounds) : 0;
  if (rec.rounds.empty()) return f;
  auto samplesOf = [](const scaleout::RoundInfo& ri) {
    size_t s = 0;
    for (const auto& w : ri.workers) s += w.samples;
    return static_cast<double>(s);
  };
  double all = 0, steady = 0, roundSeconds = 0, averaging = 0, serial = 0, wait = 0, waitN = 0, wsps = 0, wspsN = 0;
  for (size_t i = 0; i < rec.rounds.size(); ++i) {
    const auto& ri = rec.rounds[i].info;
    all += samplesOf(ri);
    if (i > 0) steady += samplesOf(ri);
    roundSeconds += ri.seconds;
    averaging += ri.averagingSeconds;
    double slowest = 0;
    for (const auto& w : ri.workers) {
      slowest = std::max(slowest, w.computeSeconds);
      if (ri.seconds > 0) {
        wait += w.waitSeconds / ri.seconds;
        waitN += 1;
      }
      if (w.computeSeconds > 0) {
        wsps += static_cast<double>(w.samples) / w.computeSeconds;
        wspsN += 1;
      }
    }
    serial += std::max(0.0, ri.seconds - slowest);
  }
  if (rec.rounds.size() > 1) {
    const double span = std::chrono::duration<double>(rec.rounds.back().at - rec.rounds.front().at).count();
    f.samplesPerSecond = span > 0 ? steady / span : 0;
  } else {
    f.samplesPerSecond = rec.rounds[0].info.seconds > 0 ? all / rec.rounds[0].info.seconds : 0;
  }
  f.wallSamplesPerSecond = all / wall;
  f.cpuSamplesPerSecond = cpuSeconds > 0 ? all / cpuSeconds : 0;
  f.sysShare = cpuSeconds > 0 ? sysSeconds / cpuSeconds : 0;
  f.workerSamplesPerSecond = wspsN > 0 ? wsps / wspsN : 0;
  f.averagingShare = roundSeconds > 0 ? averaging / roundSeconds : 0;
  f.serialShare = roundSeconds > 0 ? serial / roundSeconds : 0;
  f.waitShare = waitN > 0 ? wait / waitN : 0;
  return f;
}

// Runs `reps` times; returns the run with the best steady samples/s and the median of all.
struct Repeated {
  TrainerFigures best;
  double medianSamplesPerSecond = 0;
  double bestCpuSamplesPerSecond = 0;
};

// Runs every conf `reps` times, interleaved (A B C A B C ...) so that a slow spell of the
// machine hits all of them alike; the peak is probed after each run.
std::vector<Repeated> repeatTrainers(const std::vector<Conf>& confs, const scaleout::TrainTestData& data, int reps,
                                     PeakProbe& peak) {
  std::vector<Repeated> out(confs.size());
  std::vector<std::vector<double>> sps(confs.size());
  for (int i = 0; i < reps; ++i) {
    for (size_t c = 0; c < confs.size(); ++c) {
      TrainerFigures f = runTrainer(confs[c], data);
      if (!f.error.empty()) throw scaleout::ScaleoutError("the Trainer stopped: " + f.error);
      Repeated& r = out[c];
      sps[c].push_back(f.samplesPerSecond);
      if (f.samplesPerSecond > r.best.samplesPerSecond) r.best = f;
      r.bestCpuSamplesPerSecond = std::max(r.bestCpuSamplesPerSecond, f.cpuSamplesPerSecond);
      peak.probe(1);
    }
  }
  for (size_t c = 0; c < confs.size(); ++c) out[c].medianSamplesPerSecond = median(sps[c]);
  return out;
}

long peakRssKiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KiB on Linux
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

const char* mark(double value, double target) { return value >= target ? "meets" : "BELOW"; }

struct Results {
  std::vector<std::pair<std::string, double>> values;
  void add(const std::string& k, double v) { values.emplace_back(k, v); }
};

int run(const Options& o) {
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  const char* l2 = std::getenv("OPENBLAS_L2_SIZE");
  std::printf("bench_throughput: MLP 784-1000-500-250-10 hardtanh/softmax/mcxent, batch 100, momentum 0.9, lr 0.01\n");
  std::printf("build: %s, -march=native %s, flags '%s'\n", SCALEOUT_BENCH_BUILD_TYPE, SCALEOUT_BENCH_NATIVE ? "ON" : "OFF",
              SCALEOUT_BENCH_CXX_FLAGS);
  std::printf("Eigen %d.%d.%d with EIGEN_USE_BLAS; OpenBLAS core '%s'; config '%s'\n", EIGEN_WORLD_VERSION,
              EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, openblas_get_corename(), openblas_get_config());
  std::printf("cpu: %s, %u hardware threads; load average at start %s\n", cpuModel().c_str(),
              std::thread::hardware_concurrency(), loadAverage().c_str());
  std::printf("env: OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s%s\n", coretype ? coretype : "(unset)", l2 ? l2 : "(unset)",
              coretype || l2 ? "  (set: OpenBLAS kernels/blocking are forced, figures may not be the machine's)" : "");
  if (o.quick) std::printf("--quick: small sizes and one repetition; a smoke run, not a measurement\n");

  openblas_set_num_threads(1);  // as the Trainer does: parallelism comes from workers
  const auto loadStart = Clock::now();
  const scaleout::TrainTestData data = loadData(o);
  std::printf("data: %s, %zu training rows (loaded in %.2f s); %d epoch(s), best of %d run(s)\n",
              o.synthetic ? "synthetic" : data.train.source.c_str(), data.train.size(), secondsSince(loadStart), o.epochs,
              o.reps);
  std::printf("'wall' figures use elapsed time; 'cpu' figures use the CPU time the thread(s) got, which other jobs on\n"
              "the machine do not inflate (cpu/wall below 1 means the machine was shared while we measured)\n\n");

  const Conf ref = referenceConf(o, 1, 50, o.epochs);
  const scaleout::NetworkLayout layout(ref);
  const double fps = flopsPerSample(layout);
  Results res;
  res.add("flops_per_sample", fps);

  // Allocated here and kept: see PeakProbe. Probed now, between sections and at the end.
  PeakProbe peakProbe(o.runGemm ? o.gemmSize : 0);
  peakProbe.probe(o.gemmReps);

  RawFigures raw;
  if (o.runRaw) {
    raw = rawLoop(o, data);
    peakProbe.probe(1);
    const double per = raw.gatherSeconds + raw.stepSeconds + raw.updateSeconds;
    std::printf("b. raw minibatch loop: FeedForward + Optimizer, no Trainer, 1 thread (best of %d)\n", o.reps);
    std::printf("   %-44s %10.0f samples/s wall (%.1f GFLOP/s), %.0f samples/s cpu (%.1f GFLOP/s)\n", "throughput",
                raw.samplesPerSecond, raw.samplesPerSecond * fps / 1e9, raw.samplesPerCpuSecond,
                raw.samplesPerCpuSecond * fps / 1e9);
    std::printf("   per minibatch (cpu): gather %.3f ms (%.1f%%), forward+backward %.3f ms (%.1f%%), momentum update %.3f ms (%.1f%%)\n",
                raw.gatherSeconds * 1e3, 100 * raw.gatherSeconds / per, raw.stepSeconds * 1e3, 100 * raw.stepSeconds / per,
                raw.updateSeconds * 1e3, 100 * raw.updateSeconds / per);
    std::printf("   minor page faults per minibatch: %.1f\n\n", raw.faultsPerBatch);
    res.add("raw_samples_per_s", raw.samplesPerSecond);
    res.add("raw_cpu_samples_per_s", raw.samplesPerCpuSecond);
    res.add("raw_gather_ms", raw.gatherSeconds * 1e3);
    res.add("raw_step_ms", raw.stepSeconds * 1e3);
    res.add("raw_update_ms", raw.updateSeconds * 1e3);
    res.add("raw_faults_per_batch", raw.faultsPerBatch);
  }

  Repeated one, two;
  if (o.runScaling) {
    const auto both = repeatTrainers({referenceConf(o, 1, 50, o.epochs), referenceConf(o, 2, 50, o.epochs)}, data, o.reps, peakProbe);
    one = both[0];
    two = both[1];
    std::printf("b/d. Trainer, averagingFrequency 50, statsEvery/evalEvery/checkpoints off (best of %d)\n", o.reps);
    std::printf("   %-8s %10s %10s %10s %10s %11s %10s %8s %7s %12s %6s\n", "workers", "samples/s", "median", "whole run",
                "cpu s/s", "per-worker", "averaging", "serial", "rounds", "faults/round", "sys");
    for (const auto* p : {&one, &two}) {
      const TrainerFigures& f = p->best;
      std::printf("   %-8d %10.0f %10.0f %10.0f %10.0f %11.0f %9.2f%% %7.2f%% %7zu %12.0f %5.1f%%\n", p == &one ? 1 : 2,
                  f.samplesPerSecond, p->medianSamplesPerSecond, f.wallSamplesPerSecond, p->bestCpuSamplesPerSecond,
                  f.workerSamplesPerSecond, 100 * f.averagingShare, 100 * f.serialShare, f.rounds, f.faultsPerRound,
                  100 * f.sysShare);
    }
    std::printf("   samples/s: steady state, wall time from the end of round 1 to the end of the last round\n");
    std::printf("   whole run: all samples / run() wall time (start-up and final evaluation included)\n");
    std::printf("   cpu s/s: all samples / process CPU seconds of run(); per-worker: samples / the worker's compute seconds\n");
    std::printf("   faults/round: minor page faults per round; sys: kernel share of run()'s CPU time\n\n");
    res.add("trainer1_samples_per_s", one.best.samplesPerSecond);
    res.add("trainer1_median_samples_per_s", one.medianSamplesPerSecond);
    res.add("trainer1_cpu_samples_per_s", one.bestCpuSamplesPerSecond);
    res.add("trainer2_samples_per_s", two.best.samplesPerSecond);
    res.add("trainer2_median_samples_per_s", two.medianSamplesPerSecond);
    res.add("trainer2_cpu_samples_per_s", two.bestCpuSamplesPerSecond);
  }

  struct AvgRow {
    int frequency;
    Repeated r;
  };
  std::vector<AvgRow> avg;
  if (o.runAveraging) {
    Options ao = o;
    ao.samples = std::min(o.samples, o.averagingSamples);
    std::vector<Conf> confs;
    for (int freq : o.averagingFrequencies) confs.push_back(referenceConf(ao, 2, freq, 1));
    const auto runs = repeatTrainers(confs, data, o.reps, peakProbe);
    for (size_t i = 0; i < confs.size(); ++i) avg.push_back({o.averagingFrequencies[i], runs[i]});
    std::printf("d. averaging overhead, Trainer with 2 workers, 1 epoch of %d rows (best of %d)\n", ao.samples, o.reps);
    std::printf("   %-10s %10s %10s %16s %13s %12s %13s %6s\n", "frequency", "samples/s", "cpu s/s", "averaging/round",
                "serial/round", "worker wait", "faults/round", "sys");
    for (const auto& a : avg)
      std::printf("   %-10d %10.0f %10.0f %15.2f%% %12.2f%% %11.2f%% %13.0f %5.1f%%\n", a.frequency, a.r.best.samplesPerSecond,
                  a.r.bestCpuSamplesPerSecond, 100 * a.r.best.averagingShare, 100 * a.r.best.serialShare,
                  100 * a.r.best.waitShare, a.r.best.faultsPerRound, 100 * a.r.best.sysShare);
    std::printf("   averaging/round: the master's time from the last result to the round's end (averaging, bookkeeping)\n");
    std::printf("   serial/round: round time minus the slowest worker's compute (copies, hand-over, averaging)\n");
    std::printf("   worker wait: mean time a worker's result waits for the round to close, per round time\n");
    std::printf("   faults/round, sys: as above (a fresh 5.6 MB parameter buffer costs ~1400 faults)\n\n");
    for (const auto& a : avg) {
      const std::string k = "averaging" + std::to_string(a.frequency);
      res.add(k + "_samples_per_s", a.r.best.samplesPerSecond);
      res.add(k + "_averaging_share", a.r.best.averagingShare);
      res.add(k + "_serial_share", a.r.best.serialShare);
      res.add(k + "_wait_share", a.r.best.waitShare);
    }
  }

  // The rest of the sgemm section runs last: freeing its matrices raises glibc's dynamic
  // mmap threshold, after which buffers reallocated per minibatch stop costing page faults;
  // a fresh `scaleout train` process does not have that history, so neither do we above.
  double peak = 0, peakCpu = 0;
  if (o.runGemm) {
    peakProbe.probe(o.gemmReps);
    peak = peakProbe.gflops();
    peakCpu = peakProbe.cpuGflops();
    const double two = concurrentSgemmGflops(o.gemmSize, o.gemmReps);
    const GemmShapes shapes = workloadGemms(layout, ref.batchSize, std::max(3, o.gemmReps));
    const double shapeWall = shapes.flopPerBatch / shapes.perBatch.wall / 1e9;
    const double shapeCpu = shapes.flopPerBatch / shapes.perBatch.cpu / 1e9;
    std::printf("a. sgemm through Eigen -> OpenBLAS, 1 BLAS thread                   wall GFLOP/s   cpu GFLOP/s\n");
    std::printf("   %-58s %10.1f %13.1f\n",
                ("sgemm " + std::to_string(o.gemmSize) + "^3: the peak, best of " + std::to_string(peakProbe.probes()) +
                 " probes over the run").c_str(),
                peak, peakCpu);
    std::printf("   %-58s %10.1f %13s  (%.2f x one thread)\n",
                ("sgemm, 2 threads at once (sum), best of " + std::to_string(o.gemmReps)).c_str(), two, "", two / peak);
    std::printf("   %-58s %10.1f %13.1f  (%.2f of peak, cpu)\n", "the workload's 9 GEMMs of one minibatch (batch 100)",
                shapeWall, shapeCpu, shapeCpu / peakCpu);
    std::printf("   %-58s %10.0f %13.0f  samples/s\n\n", "GEMM-only bound for the workload", ref.batchSize / shapes.perBatch.wall,
                ref.batchSize / shapes.perBatch.cpu);
    res.add("sgemm_peak_gflops", peak);
    res.add("sgemm_peak_cpu_gflops", peakCpu);
    res.add("sgemm_2threads_gflops", two);
    res.add("workload_gemm_cpu_gflops", shapeCpu);
    res.add("gemm_bound_cpu_samples_per_s", ref.batchSize / shapes.perBatch.cpu);
  }

  const long rss = peakRssKiB();
  res.add("peak_rss_mib", rss / 1024.0);

  std::printf("summary (c: executed FLOPs per sample = 4 x nIn x nOut of the first layer + 6 x nIn x nOut of the others = %.3f MFLOP)    wall GFLOP/s   cpu GFLOP/s\n", fps / 1e6);
  if (peak > 0) std::printf("   %-44s %10.1f %13.1f\n", "sgemm peak, 1 thread", peak, peakCpu);
  auto ratioLine = [&](const char* what, double sps, double cpuSps, const std::string& key, bool target) {
    const double g = sps * fps / 1e9, gc = cpuSps * fps / 1e9;
    std::printf("   %-44s %10.1f %13.1f", what, g, gc);
    if (peak > 0) {
      std::printf("  ratio to peak %.3f wall, %.3f cpu", g / peak, gc / peakCpu);
      if (target) std::printf(" (target >= 0.70: %s)", mark(g / peak, 0.70));
      res.add(key + "_ratio_to_peak", g / peak);
      res.add(key + "_cpu_ratio_to_peak", gc / peakCpu);
    }
    std::printf("\n");
  };
  if (o.runRaw) ratioLine("raw loop", raw.samplesPerSecond, raw.samplesPerCpuSecond, "raw", false);
  if (o.runScaling) {
    ratioLine("Trainer, 1 worker", one.best.samplesPerSecond, one.bestCpuSamplesPerSecond, "trainer1", true);
    if (o.runRaw)
      std::printf("   %-44s %10.3f\n", "Trainer 1 worker / raw loop (wall)", one.best.samplesPerSecond / raw.samplesPerSecond);
    const double s = two.best.samplesPerSecond / one.best.samplesPerSecond;
    const double sm = two.medianSamplesPerSecond / one.medianSamplesPerSecond;
    std::printf("   %-44s %10.3f  (medians %.3f; target >= 1.8: %s)\n", "scaling 2 workers / 1 worker (wall)", s, sm,
                mark(s, 1.8));
    res.add("scaling_2_over_1", s);
    res.add("scaling_2_over_1_median", sm);
  }
  for (const auto& a : avg)
    std::printf("   %-44s %9.2f%%\n", ("averaging overhead, frequency " + std::to_string(a.frequency)).c_str(),
                100 * a.r.best.averagingShare);
  std::printf("   %-44s %10.1f MiB\n", "peak memory (ru_maxrss)", rss / 1024.0);
  std::printf("   load average at end %s\n\n", loadAverage().c_str());

  for (const auto& [k, v] : res.values) std::printf("result %s %.6g\n", k.c_str(), v);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parseOptions(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_throughput: %s\n", e.what());
    return 1;
  }
}
