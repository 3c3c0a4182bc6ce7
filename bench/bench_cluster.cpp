// Cluster benchmark on loopback, every figure measured in this one run:
//  1. a parameter exchange (task out, result back) of a ~1.4M-float network between the
//     master and K `scaleout worker` processes, against a raw ZeroMQ round trip of the
//     same bytes (ROUTER <-> K DEALER echo threads, zero-copy);
//     The exchange runs with CURVE (the default) and with --insecure, so its cost shows;
//  2. samples/s of 1 master + worker processes (CURVE) against local threads only.
// Keys go to a temporary XDG_CONFIG_HOME, never the user's ~/.config.
// Usage: bench_cluster [path/to/scaleout]   (default: the build's scaleout)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "cluster/cluster_master.h"
#include "cluster/protocol.h"
#include "data/data_source.h"
#include "nn/network.h"
#include "train/phase.h"
#include "train/trainer.h"

using namespace scaleout;
using namespace scaleout::cluster;
using Clock = std::chrono::steady_clock;

namespace {

std::string scaleoutBinary = SCALEOUT_BENCH_BINARY;
bool insecure = false;  // master and workers without CURVE

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

pid_t spawnWorker(const std::string& endpoint) {
  std::fflush(stdout);  // or the child would print our buffered lines again
  const pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    if (insecure)
      execl(scaleoutBinary.c_str(), scaleoutBinary.c_str(), "worker", "--insecure", "--threads", "1", "--connect", endpoint.c_str(),
            static_cast<char*>(nullptr));
    else
      execl(scaleoutBinary.c_str(), scaleoutBinary.c_str(), "worker", "--threads", "1", "--connect", endpoint.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

void stopWorkers(std::vector<pid_t>& pids) {
  for (pid_t p : pids) kill(p, SIGTERM);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  pids.clear();
}

DataSet randomData(size_t rows, int dims, int classes) {
  DataSet d;
  d.features = RowMatrix::Random(static_cast<Eigen::Index>(rows), dims).cwiseAbs();
  d.labels.resize(rows);
  for (size_t i = 0; i < rows; ++i) d.labels[i] = static_cast<int>(i % static_cast<size_t>(classes));
  d.numClasses = classes;
  d.source = "random";
  return d;
}

template <typename Pred>
bool waitFor(Pred pred, double seconds) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// Raw ZeroMQ: master ROUTER sends `frames` blobs of `bytes` to each of K DEALER echo
// threads, which send the same bytes back; the time of one such round trip, median of n.
// With `curve`, both ends encrypt (CURVE keys, no ZAP handler: the cost of the cipher
// alone), which is the fair reference for a CURVE exchange.
double rawRoundTrip(int k, size_t bytes, int frames, int n, bool curve = false) {
  zmq::context_t ctx(1);
  zmq::socket_t router(ctx, zmq::socket_type::router);
  router.set(zmq::sockopt::router_mandatory, 1);
  char serverPublic[41] = {0}, serverSecret[41] = {0}, clientPublic[41] = {0}, clientSecret[41] = {0};
  if (curve) {
    zmq_curve_keypair(serverPublic, serverSecret);
    zmq_curve_keypair(clientPublic, clientSecret);
    router.set(zmq::sockopt::curve_server, 1);
    router.set(zmq::sockopt::curve_secretkey, std::string(serverSecret));
  }
  router.bind("tcp://127.0.0.1:*");
  const std::string ep = router.get(zmq::sockopt::last_endpoint);
  auto buffer = std::make_shared<std::vector<float>>(bytes / 4, 0.5f);
  std::vector<std::thread> echo;
  for (int i = 0; i < k; ++i)
    echo.emplace_back([&, i] {
      zmq::socket_t d(ctx, zmq::socket_type::dealer);
      d.set(zmq::sockopt::routing_id, "echo" + std::to_string(i));
      if (curve) {
        d.set(zmq::sockopt::curve_serverkey, std::string(serverPublic));
        d.set(zmq::sockopt::curve_publickey, std::string(clientPublic));
        d.set(zmq::sockopt::curve_secretkey, std::string(clientSecret));
      }
      d.connect(ep);
      d.send(zmq::str_buffer("hi"), zmq::send_flags::none);
      auto reply = std::make_shared<std::vector<float>>(bytes / 4, 0.25f);
      for (int r = 0; r < n; ++r) {
        for (int f = 0; f < frames; ++f) {
          zmq::message_t m;
          (void)d.recv(m);
        }
        for (int f = 0; f < frames; ++f) {
          auto* hint = new std::shared_ptr<std::vector<float>>(reply);
          zmq::message_t m(reply->data(), bytes, [](void*, void* h) { delete static_cast<std::shared_ptr<std::vector<float>>*>(h); }, hint);
          d.send(m, f + 1 < frames ? zmq::send_flags::sndmore : zmq::send_flags::none);
        }
      }
    });
  std::vector<std::string> ids;
  for (int i = 0; i < k; ++i) {
    zmq::message_t id, hi;
    (void)router.recv(id);
    (void)router.recv(hi);
    ids.push_back(id.to_string());
  }
  std::vector<double> times;
  for (int r = 0; r < n; ++r) {
    const auto t0 = Clock::now();
    for (const auto& id : ids) {
      router.send(zmq::buffer(id), zmq::send_flags::sndmore);
      for (int f = 0; f < frames; ++f) {
        auto* hint = new std::shared_ptr<std::vector<float>>(buffer);
        zmq::message_t m(buffer->data(), bytes, [](void*, void* h) { delete static_cast<std::shared_ptr<std::vector<float>>*>(h); }, hint);
        router.send(m, f + 1 < frames ? zmq::send_flags::sndmore : zmq::send_flags::none);
      }
    }
    for (int i = 0; i < k; ++i)
      for (int f = 0; f <= frames; ++f) {
        zmq::message_t m;
        (void)router.recv(m);
      }
    times.push_back(secondsSince(t0));
  }
  for (auto& t : echo) t.join();
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void exchangeBench(int k) {
  Conf conf;
  conf.nIn = 784;
  conf.nOut = 10;
  conf.layerSizes = {1750};
  conf.momentum = 0.9;
  conf.threads = 1;
  const DataSet data = randomData(64, 784, 10);
  NetworkLayout layout(conf);
  const std::vector<Phase> phases = planPhases(conf, layout);
  ClusterMasterOptions o;
  o.security.insecure = insecure;
  std::mutex m;
  std::vector<std::unique_ptr<Worker>> workers;
  ClusterMaster master(conf, data, o);
  master.setJoinHandler([&](std::unique_ptr<Worker> w) {
    std::lock_guard lock(m);
    workers.push_back(std::move(w));
  });
  std::vector<pid_t> pids;
  for (int i = 0; i < k; ++i) pids.push_back(spawnWorker(master.endpoint()));
  if (!waitFor([&] { std::lock_guard lock(m); return workers.size() == static_cast<size_t>(k); }, 30)) {
    std::printf("exchange: workers did not join\n");
    stopWorkers(pids);
    return;
  }
  ResultQueue results;
  RunControl control;
  WorkerContext ctx;
  ctx.conf = &conf;
  ctx.layout = &layout;
  ctx.train = &data;
  ctx.control = &control;
  ctx.results = &results;
  for (int i = 0; i < k; ++i) workers[static_cast<size_t>(i)]->attach(ctx, i);
  Rng rng(1);
  auto params = std::make_shared<const Eigen::VectorXf>(layout.initialParameters(conf, rng));
  auto state = std::make_shared<OptimizerState>();
  state->reset(phases[0].size(), false);
  const size_t p = layout.size();
  const int rounds = 15;
  std::vector<double> exchange, wall;
  const auto before = master.stats();
  for (int r = 1; r <= rounds; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < k; ++i) {
      RoundTask t;
      t.round = r;
      t.phase = phases[0];
      t.params = params;
      t.state = state;
      t.indices = {static_cast<uint32_t>(i)};
      t.batchSize = 1;
      t.seed = static_cast<uint64_t>(r);
      workers[static_cast<size_t>(i)]->post(std::move(t));
    }
    double compute = 0;
    for (int i = 0; i < k; ++i) {
      auto res = results.popUntil(Clock::now() + std::chrono::seconds(30));
      if (!res || res->error) {
        std::printf("exchange: a result did not arrive\n");
        stopWorkers(pids);
        return;
      }
      compute = std::max(compute, res->computeSeconds);
    }
    const double w = secondsSince(t0);
    if (r > 2) {  // the first rounds warm up allocations and caches
      wall.push_back(w);
      exchange.push_back(w - compute);
    }
  }
  const auto after = master.stats();
  const double bytesPerRound = double(after.bytesSent - before.bytesSent + after.bytesReceived - before.bytesReceived) / rounds;
  std::sort(exchange.begin(), exchange.end());
  std::sort(wall.begin(), wall.end());
  const double ex = exchange[exchange.size() / 2];
  // The same bytes through raw ZeroMQ: params + velocity out, segment + velocity back.
  const double raw = rawRoundTrip(k, p * 4, 2, 15);
  std::printf("exchange  %-6s K=%d  P=%zu floats  %.1f MB/round  round %.2f ms  exchange (round - compute) %.2f ms  "
              "raw ZeroMQ round trip of the same bytes %.2f ms  ratio %.2fx\n",
              insecure ? "plain" : "CURVE", k, p, bytesPerRound / 1e6, wall[wall.size() / 2] * 1e3, ex * 1e3, raw * 1e3, ex / raw);
  if (!insecure) {
    const double rawCurve = rawRoundTrip(k, p * 4, 2, 15, true);
    std::printf("exchange  CURVE  K=%d  raw ZeroMQ round trip of the same bytes with CURVE %.2f ms  ratio %.2fx\n", k,
                rawCurve * 1e3, ex / rawCurve);
  }
  workers.clear();
  stopWorkers(pids);
}

double trainSamplesPerSecond(int localThreads, int remote, const TrainTestData& data) {
  Conf conf;
  conf.nIn = 784;
  conf.nOut = 10;
  conf.layerSizes = {256, 128};
  conf.batchSize = 100;
  conf.averagingFrequency = 5;
  conf.finetuneEpochs = 2;
  conf.threads = localThreads;
  conf.evalEvery = 0;
  conf.statsEvery = 0;
  conf.checkpointEveryEpochs = 0;
  conf.checkpointEveryMinutes = 0;
  Trainer trainer(conf, data);
  std::unique_ptr<ClusterMaster> master;
  std::vector<pid_t> pids;
  if (remote > 0) {
    master = std::make_unique<ClusterMaster>(conf, data.train, ClusterMasterOptions{});
    master->setJoinHandler([&](std::unique_ptr<Worker> w) { trainer.addWorker(std::move(w)); });
    for (int i = 0; i < remote; ++i) pids.push_back(spawnWorker(master->endpoint()));
    if (!waitFor([&] { return master->connectedWorkers() == remote; }, 30)) std::printf("samples/s: workers did not all join\n");
  }
  const auto t0 = Clock::now();
  const RunSummary s = trainer.run();
  const double seconds = secondsSince(t0);
  master.reset();
  stopWorkers(pids);
  if (!s.completed) std::printf("run failed: %s\n", s.error.c_str());
  return conf.finetuneEpochs * static_cast<double>(data.train.size()) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) scaleoutBinary = argv[1];
  if (access(scaleoutBinary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "bench_cluster: %s is not executable; pass the scaleout binary\n", scaleoutBinary.c_str());
    return 2;
  }
  std::printf("bench_cluster: loopback, protocol version %d, %u hardware threads\n", kProtocolVersion,
              std::thread::hardware_concurrency());
  char configDir[] = "/tmp/bench_cluster_config.XXXXXX";
  if (!mkdtemp(configDir)) {
    std::perror("mkdtemp");
    return 1;
  }
  setenv("XDG_CONFIG_HOME", configDir, 1);  // inherited by the worker processes
  for (int k : {1, 2})
    for (bool plain : {false, true}) {
      insecure = plain;
      exchangeBench(k);
    }
  insecure = false;
  TrainTestData data;
  data.train = randomData(6000, 784, 10);
  data.test = randomData(500, 784, 10);
  const double local2 = trainSamplesPerSecond(2, 0, data);
  const double c11 = trainSamplesPerSecond(1, 1, data);
  const double c12 = trainSamplesPerSecond(1, 2, data);
  std::printf("samples/s (784-256-128-10, batch 100, averaging every 5):\n"
              "  2 local threads                      %8.0f\n"
              "  1 local thread + 1 worker process    %8.0f  (%.2fx of local)\n"
              "  1 local thread + 2 worker processes  %8.0f  (%.2fx of local)\n",
              local2, c11, c11 / local2, c12, c12 / local2);
  std::filesystem::remove_all(configDir);
  return 0;
}
