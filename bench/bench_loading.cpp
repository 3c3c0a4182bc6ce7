// How long Fashion-MNIST takes to be ready for training, three ways in one run:
//   before   the previous loader: both pairs decoded one after the other, no cache
//   cold     loadTrainTest with the decoded-data cache cleared: both pairs decoded in
//            parallel and the cache written
//   warm     loadTrainTest reading the cache
// Each includes the normalisation (normalize=scale, fitted on train, applied to both).
// Wall and CPU (user + system, all threads) milliseconds per run, then medians and ratios;
// CPU time holds up better than wall time on a shared machine.
//
//   bench_loading [--runs N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/conf.h"
#include "data/data_source.h"
#include "data/idx_cache.h"
#include "data/normalizer.h"
#include "data/readers.h"
#include "util/error.h"

using namespace scaleout;

namespace {

double cpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

struct Medians {
  double wall = 0, cpu = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Medians timeRuns(const char* name, int runs, const std::function<void()>& before, const std::function<size_t()>& load) {
  std::vector<double> wall, cpu;
  for (int r = 0; r < runs; ++r) {
    before();
    const double c0 = cpuMs();
    const auto t0 = std::chrono::steady_clock::now();
    const size_t rows = load();
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(cpuMs() - c0);
    if (rows != 70000) throw ScaleoutError(std::string(name) + ": loaded " + std::to_string(rows) + " rows, expected 70000");
  }
  std::printf("%-6s wall ms:", name);
  for (double m : wall) std::printf(" %.0f", m);
  std::printf("   cpu ms:");
  for (double m : cpu) std::printf(" %.0f", m);
  const Medians m{median(wall), median(cpu)};
  std::printf("   median wall %.0f, cpu %.0f\n", m.wall, m.cpu);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--runs N]\n", argv[0]);
      return 2;
    }
  }
  Conf conf;
  conf.dataset = "fashion-mnist";
  const std::filesystem::path dir(kFashionMnistDir);
  const std::filesystem::path cache = decodedCacheDir();
  auto clearCache = [&] { std::filesystem::remove_all(cache); };
  auto nothing = [] {};
  try {
    std::printf("Fashion-MNIST 60000 + 10000 rows, normalize=%s, cache %s, %d runs each\n", conf.normalize.c_str(),
                cache.string().c_str(), runs);
    const Medians before = timeRuns("before", runs, nothing, [&] {
      DataSet train = readIdx((dir / "train-images-idx3-ubyte.gz").string(), (dir / "train-labels-idx1-ubyte.gz").string());
      DataSet test = readIdx((dir / "t10k-images-idx3-ubyte.gz").string(), (dir / "t10k-labels-idx1-ubyte.gz").string());
      const Normalizer n = Normalizer::fit(train, parseChoice<Normalization>("normalize", conf.normalize));
      n.apply(train.features);
      n.apply(test.features);
      return train.size() + test.size();
    });
    auto load = [&] {
      const TrainTestData d = loadTrainTest(conf);
      for (const std::string& note : d.notes) std::printf("note: %s\n", note.c_str());
      return d.train.size() + d.test.size();
    };
    const Medians cold = timeRuns("cold", runs, clearCache, load);
    const Medians warm = timeRuns("warm", runs, nothing, load);
    std::printf("cold / before: wall %.2f, cpu %.2f;  warm / before: wall %.2f, cpu %.2f\n", cold.wall / before.wall,
                cold.cpu / before.cpu, warm.wall / before.wall, warm.cpu / before.cpu);
  } catch (const ScaleoutError& e) {
    std::fprintf(stderr, "bench_loading: %s\n", e.what());
    return 1;
  }
  return 0;
}
