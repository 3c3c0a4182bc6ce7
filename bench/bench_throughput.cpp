// bench_throughput: how close training comes to the machine's sgemm peak, measured in one
// run so the ratios compare like with like on a noisy, shared machine.
//
// Reference workload (issue #3): MLP 784-1000-500-250-10, hardtanh hidden, softmax output,
// mcxent, batch 100, momentum 0.9, finetuneLearningRate 0.01, Fashion-MNIST (or synthetic
// data of the same shape with --synthetic). Prints a table and `result <key> <value>` lines
// that scripts (bench/vs_pytorch.sh) read. See bench/README.md for what each number means.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
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

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}
double best(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

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
      "                        [--gemm-size N] [--gemm-reps N] [--averaging-samples N]\n"
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
    else if (a == "--skip") {
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
  // Forward 2 FLOPs per multiply-accumulate, backward 4 (dW and the delta below).
  double macs = 0;
  for (const auto& l : layout.layers()) macs += static_cast<double>(l.shape.nIn) * l.shape.nOut;
  return 6.0 * macs;
}

// ---- a. sgemm peak through the engine's kernel (Eigen product -> OpenBLAS sgemm)

double sgemmSeconds(int n, int reps) {
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  c.noalias() = a * b;  // warm-up: page faults, OpenBLAS buffers
  double bestTime = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t = Clock::now();
    c.noalias() = a * b;
    bestTime = std::min(bestTime, secondsSince(t));
  }
  if (!std::isfinite(c(0, 0))) std::puts("(non-finite sgemm result)");
  return bestTime;
}

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
  double secondsPerBatch = 0;
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
  double bt = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t = Clock::now();
    for (int k = 0; k < 20; ++k) once();
    bt = std::min(bt, secondsSince(t) / 20);
  }
  return {bt, flop};
}

// ---- b. the raw minibatch loop: FeedForward + Optimizer, no Trainer, one thread

struct RawFigures {
  double samplesPerSecond = 0;  // gather + forward/backward + update
  double gatherSeconds = 0, stepSeconds = 0, updateSeconds = 0;  // per minibatch
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
  auto pass = [&](int what) {
    const auto t = Clock::now();
    for (size_t b = 0; b < batches; ++b) {
      scaleout::gatherBatch(data.train, order.data() + b * bs, bs, batch);
      if (what == 1) objective->step(params, batch, grad, &rng);
      if (what == 2) optimizer.minibatch(*objective, params, state, batch, rng);
    }
    return secondsSince(t) / static_cast<double>(batches);
  };
  pass(2);  // warm-up: buffers reach their size
  RawFigures f;
  std::vector<double> g, s, full;
  for (int r = 0; r < o.reps; ++r) {
    g.push_back(pass(0));
    s.push_back(pass(1));
    full.push_back(pass(2));
  }
  const double tg = *std::min_element(g.begin(), g.end());
  const double ts = *std::min_element(s.begin(), s.end());
  const double tf = *std::min_element(full.begin(), full.end());
  f.samplesPerSecond = static_cast<double>(bs) / tf;
  f.gatherSeconds = tg;
  f.stepSeconds = ts - tg;
  f.updateSeconds = tf - ts;
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
  double averagingShare = 0;  // sum averagingSeconds / sum round seconds
  double serialShare = 0;     // sum (round seconds - slowest worker's compute) / sum round seconds
  double waitShare = 0;       // mean over workers of waitSeconds / round seconds
  size_t rounds = 0;
  std::string error;
};

TrainerFigures runTrainer(const Conf& conf, const scaleout::TrainTestData& data) {
  scaleout::Trainer trainer(conf, data);
  RoundRecorder rec;
  trainer.addObserver(&rec);
  const auto start = Clock::now();
  const scaleout::RunSummary summary = trainer.run();
  const double wall = secondsSince(start);
  TrainerFigures f;
  f.error = summary.error;
  f.rounds = rec.rounds.size();
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
};

Repeated repeatTrainer(const Conf& conf, const scaleout::TrainTestData& data, int reps) {
  Repeated r;
  std::vector<double> sps;
  for (int i = 0; i < reps; ++i) {
    TrainerFigures f = runTrainer(conf, data);
    if (!f.error.empty()) throw scaleout::ScaleoutError("the Trainer stopped: " + f.error);
    sps.push_back(f.samplesPerSecond);
    if (f.samplesPerSecond > r.best.samplesPerSecond) r.best = f;
  }
  r.medianSamplesPerSecond = median(sps);
  return r;
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
  std::printf("cpu: %s, %u hardware threads\n", cpuModel().c_str(), std::thread::hardware_concurrency());
  std::printf("env: OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s%s\n", coretype ? coretype : "(unset)", l2 ? l2 : "(unset)",
              coretype || l2 ? "  (set: OpenBLAS kernels/blocking are forced, figures may not be the machine's)" : "");
  if (o.quick) std::printf("--quick: small sizes and one repetition; a smoke run, not a measurement\n");

  openblas_set_num_threads(1);  // as the Trainer does: parallelism comes from workers
  const auto loadStart = Clock::now();
  const scaleout::TrainTestData data = loadData(o);
  std::printf("data: %s, %zu training rows (loaded in %.2f s); %d epoch(s), best of %d run(s)\n\n",
              o.synthetic ? "synthetic" : data.train.source.c_str(), data.train.size(), secondsSince(loadStart), o.epochs,
              o.reps);

  const Conf ref = referenceConf(o, 1, 50, o.epochs);
  const scaleout::NetworkLayout layout(ref);
  const double fps = flopsPerSample(layout);
  Results res;
  res.add("flops_per_sample", fps);

  double peak = 0;
  if (o.runGemm) {
    const double n = o.gemmSize;
    const double t = sgemmSeconds(o.gemmSize, o.gemmReps);
    peak = 2 * n * n * n / t / 1e9;
    const double two = concurrentSgemmGflops(o.gemmSize, o.gemmReps);
    const GemmShapes shapes = workloadGemms(layout, ref.batchSize, std::max(3, o.gemmReps));
    const double shapeGflops = shapes.flopPerBatch / shapes.secondsPerBatch / 1e9;
    std::printf("a. sgemm through Eigen -> OpenBLAS, 1 BLAS thread (best of %d)\n", o.gemmReps);
    std::printf("   %-52s %10.1f GFLOP/s\n", ("sgemm " + std::to_string(o.gemmSize) + "^3, 1 thread (peak)").c_str(), peak);
    std::printf("   %-52s %10.1f GFLOP/s  (%.2f x one thread)\n", "sgemm, 2 threads at once (sum)", two, two / peak);
    std::printf("   %-52s %10.1f GFLOP/s  (%.2f of peak)\n", "the workload's 9 GEMMs per minibatch (batch 100)", shapeGflops,
                shapeGflops / peak);
    std::printf("   %-52s %10.0f samples/s\n\n", "GEMM-only bound for the workload", ref.batchSize / shapes.secondsPerBatch);
    res.add("sgemm_peak_gflops", peak);
    res.add("sgemm_2threads_gflops", two);
    res.add("workload_gemm_gflops", shapeGflops);
    res.add("gemm_bound_samples_per_s", ref.batchSize / shapes.secondsPerBatch);
  }

  RawFigures raw;
  if (o.runRaw) {
    raw = rawLoop(o, data);
    const double per = raw.gatherSeconds + raw.stepSeconds + raw.updateSeconds;
    std::printf("b. raw minibatch loop (FeedForward + Optimizer, no Trainer, 1 thread; best of %d)\n", o.reps);
    std::printf("   %-52s %10.0f samples/s  %6.1f GFLOP/s\n", "samples/s", raw.samplesPerSecond,
                raw.samplesPerSecond * fps / 1e9);
    std::printf("   per minibatch: gather %.3f ms (%.1f%%), forward+backward %.3f ms (%.1f%%), momentum update %.3f ms (%.1f%%)\n\n",
                raw.gatherSeconds * 1e3, 100 * raw.gatherSeconds / per, raw.stepSeconds * 1e3, 100 * raw.stepSeconds / per,
                raw.updateSeconds * 1e3, 100 * raw.updateSeconds / per);
    res.add("raw_samples_per_s", raw.samplesPerSecond);
    res.add("raw_gather_ms", raw.gatherSeconds * 1e3);
    res.add("raw_step_ms", raw.stepSeconds * 1e3);
    res.add("raw_update_ms", raw.updateSeconds * 1e3);
  }

  Repeated one, two;
  if (o.runScaling) {
    one = repeatTrainer(referenceConf(o, 1, 50, o.epochs), data, o.reps);
    two = repeatTrainer(referenceConf(o, 2, 50, o.epochs), data, o.reps);
    std::printf("b/d. Trainer, averagingFrequency 50, statsEvery/evalEvery/checkpoints off (best of %d; median)\n", o.reps);
    std::printf("   %-10s %12s %12s %12s %14s %10s %10s %8s\n", "workers", "samples/s", "median", "wall s/s", "per-worker s/s",
                "averaging", "serial", "rounds");
    for (const auto* p : {&one, &two}) {
      const TrainerFigures& f = p->best;
      std::printf("   %-10d %12.0f %12.0f %12.0f %14.0f %9.2f%% %9.2f%% %8zu\n", p == &one ? 1 : 2, f.samplesPerSecond,
                  p->medianSamplesPerSecond, f.wallSamplesPerSecond, f.workerSamplesPerSecond, 100 * f.averagingShare,
                  100 * f.serialShare, f.rounds);
    }
    std::printf("\n");
    res.add("trainer1_samples_per_s", one.best.samplesPerSecond);
    res.add("trainer1_median_samples_per_s", one.medianSamplesPerSecond);
    res.add("trainer2_samples_per_s", two.best.samplesPerSecond);
    res.add("trainer2_median_samples_per_s", two.medianSamplesPerSecond);
  }

  struct AvgRow {
    int frequency;
    Repeated r;
  };
  std::vector<AvgRow> avg;
  if (o.runAveraging) {
    Options ao = o;
    ao.samples = std::min(o.samples, o.averagingSamples);
    for (int freq : o.averagingFrequencies) avg.push_back({freq, repeatTrainer(referenceConf(ao, 2, freq, 1), data, o.reps)});
    std::printf("d. averaging overhead, Trainer with 2 workers, 1 epoch of %d rows\n", ao.samples);
    std::printf("   %-10s %12s %16s %18s %14s\n", "frequency", "samples/s", "averaging/round", "serial/round", "worker wait");
    for (const auto& a : avg)
      std::printf("   %-10d %12.0f %15.2f%% %17.2f%% %13.2f%%\n", a.frequency, a.r.best.samplesPerSecond,
                  100 * a.r.best.averagingShare, 100 * a.r.best.serialShare, 100 * a.r.best.waitShare);
    std::printf("   averaging/round: the master's time from the last result to the round's end (averaging, bookkeeping)\n");
    std::printf("   serial/round: round time minus the slowest worker's compute (copies, hand-over, averaging)\n");
    std::printf("   worker wait: mean time a worker's result waits for the round to close, per round time\n\n");
    for (const auto& a : avg) {
      const std::string k = "averaging" + std::to_string(a.frequency);
      res.add(k + "_samples_per_s", a.r.best.samplesPerSecond);
      res.add(k + "_averaging_share", a.r.best.averagingShare);
      res.add(k + "_serial_share", a.r.best.serialShare);
      res.add(k + "_wait_share", a.r.best.waitShare);
    }
  }

  const long rss = peakRssKiB();
  res.add("peak_rss_mib", rss / 1024.0);

  std::printf("summary (c: FLOPs per sample = 6 x sum(nIn x nOut) = %.3f MFLOP)\n", fps / 1e6);
  if (peak > 0) std::printf("   %-44s %10.1f GFLOP/s\n", "sgemm peak, 1 thread", peak);
  if (o.runRaw) {
    const double g = raw.samplesPerSecond * fps / 1e9;
    std::printf("   %-44s %10.1f GFLOP/s", "raw loop", g);
    if (peak > 0) std::printf("  ratio to peak %.3f", g / peak);
    std::printf("\n");
    if (peak > 0) res.add("raw_ratio_to_peak", g / peak);
  }
  if (o.runScaling) {
    const double g = one.best.samplesPerSecond * fps / 1e9;
    std::printf("   %-44s %10.1f GFLOP/s", "Trainer, 1 worker", g);
    if (peak > 0) {
      std::printf("  ratio to peak %.3f (target >= 0.70: %s)", g / peak, mark(g / peak, 0.70));
      res.add("trainer1_ratio_to_peak", g / peak);
    }
    std::printf("\n");
    if (o.runRaw) std::printf("   %-44s %10.3f\n", "Trainer 1 worker / raw loop", one.best.samplesPerSecond / raw.samplesPerSecond);
    const double s = two.best.samplesPerSecond / one.best.samplesPerSecond;
    const double sm = two.medianSamplesPerSecond / one.medianSamplesPerSecond;
    std::printf("   %-44s %10.3f  (medians %.3f; target >= 1.8: %s)\n", "scaling 2 workers / 1 worker", s, sm, mark(s, 1.8));
    res.add("scaling_2_over_1", s);
    res.add("scaling_2_over_1_median", sm);
  }
  for (const auto& a : avg)
    std::printf("   %-44s %9.2f%%\n", ("averaging overhead, frequency " + std::to_string(a.frequency)).c_str(),
                100 * a.r.best.averagingShare);
  std::printf("   %-44s %10.1f MiB\n\n", "peak memory (ru_maxrss)", rss / 1024.0);

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
