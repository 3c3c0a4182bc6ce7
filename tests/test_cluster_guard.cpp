// The master's defences against peers that hold no key (issue #17): a frame declaring
// 8000 MiB inside the CURVE handshake must not make the master allocate it
// (ZMQ_MAXMSGSIZE), and hundreds of idle TCP connections must neither exhaust its file
// descriptors nor lock a real worker out (connection caps, handshake timeout, descriptor
// reserve). Both were checked against the code before the fix, where the first grew the
// master by 300 MB in under a second (the stream stops there) and the second kept the
// worker out past the deadline with no line in the master's log.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <zmq.hpp>

#include "cluster/cluster_master.h"
#include "cluster/security.h"
#include "cluster/zmq_io.h"
#include "data/data_source.h"
#include "fixtures/iris_conf.h"

using namespace scaleout;
using namespace scaleout::cluster;
using Clock = std::chrono::steady_clock;

namespace {

Conf irisConf() {
  Conf c = fixtures::irisCsvConf();
  c.layerSizes = {16};
  return c;
}

long rssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

uint16_t portOf(const std::string& endpoint) { return static_cast<uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1))); }

sockaddr_in loopback(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// A ZMTP 3.0 greeting announcing CURVE, as a client: what a peer sends before any key.
std::vector<uint8_t> curveGreeting() {
  std::vector<uint8_t> g(64, 0);
  g[0] = 0xFF;
  g[9] = 0x7F;
  g[10] = 3;
  g[11] = 0;
  std::memcpy(&g[12], "CURVE", 5);
  return g;
}

// A long command frame header (flags 0x06) declaring `bytes`, big-endian.
std::vector<uint8_t> longCommandHeader(uint64_t bytes) {
  std::vector<uint8_t> h(9);
  h[0] = 0x06;
  for (int i = 0; i < 8; ++i) h[1 + i] = static_cast<uint8_t>(bytes >> (56 - 8 * i));
  return h;
}

bool sendAll(int fd, const uint8_t* data, size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, data, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    data += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

uint16_t handshakeWith(zmq::context_t& ctx, const std::string& endpoint, const std::string& serverKey) {
  const CurveKeyPair keys = loadOrCreateKeyPair(curveDir({}), "worker", {});  // accepted by default
  zmq::socket_t s(ctx, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::curve_serverkey, serverKey);
  s.set(zmq::sockopt::curve_publickey, keys.publicKey);
  s.set(zmq::sockopt::curve_secretkey, keys.secretKey);
  SocketMonitor monitor(ctx, s, "test-guard",
                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
  s.connect(endpoint);
  uint16_t event = 0;
  const auto t0 = Clock::now();
  while (event == 0 && Clock::now() - t0 < std::chrono::seconds(5))
    if (auto e = monitor.next(std::chrono::milliseconds(20))) event = e->event;
  monitor.stop(s);
  return event;
}

struct LogSink {
  std::mutex mutex;
  QStringList lines;
  LogFn fn() {
    return [this](const std::string& l) {
      std::lock_guard lock(mutex);
      lines << QString::fromStdString(l);
    };
  }
  int count(const QString& part) {
    std::lock_guard lock(mutex);
    int n = 0;
    for (const auto& l : lines) n += l.contains(part) ? 1 : 0;
    return n;
  }
  QString all() {
    std::lock_guard lock(mutex);
    return lines.join("\n");
  }
};

// Idle TCP connections in a child process, so they use its descriptors, not ours: it
// waits for the port on `go`, opens `count` connections from 127.0.0.1..127.0.0.12,
// reports how many it opened on `done`, and holds them until `go` closes (or 60 s).
pid_t forkIdleConnector(int count, int go, int done, int goWriter) {
  std::vector<sockaddr_in> sources;
  for (int i = 1; i <= 12; ++i) sources.push_back(loopback(("127.0.0." + std::to_string(i)).c_str(), 0));
  const pid_t pid = fork();
  if (pid != 0) return pid;
  ::close(goWriter);  // or the pipe never reads as closed
  alarm(60);
  uint16_t port = 0;
  if (read(go, &port, sizeof port) != sizeof port) _exit(1);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(port);
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int opened = 0;
  for (int i = 0; i < count; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    const sockaddr_in& src = sources[static_cast<size_t>(i) % sources.size()];
    if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) continue;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0 || errno == EINPROGRESS) ++opened;
  }
  (void)!write(done, &opened, sizeof opened);
  char c;
  while (read(go, &c, 1) > 0) {
  }
  _exit(0);
}

}  // namespace

class TestClusterGuard : public QObject {
  Q_OBJECT

  QTemporaryDir config_;
  TrainTestData data_;

 private slots:
  void initTestCase() {
    QVERIFY(config_.isValid());
    qputenv("XDG_CONFIG_HOME", config_.path().toUtf8());  // keys of this test only
    data_ = loadTrainTest(irisConf());
  }

  // One connection, no key: a CURVE greeting, then a command frame declaring 8000 MiB,
  // then zeros. Reconnects when cut off; bounded to 4 s and to +300 MB of our RSS.
  void oversizedHandshakeFrameIsRefused() {
    LogSink log;
    ClusterMasterOptions o;
    o.log = log.fn();
    ClusterMaster master(irisConf(), data_.train, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long baseline = rssKb();
    long peak = baseline;
    int connections = 0;
    const std::vector<uint8_t> greeting = curveGreeting(), header = longCommandHeader(uint64_t{8000} << 20);
    const std::vector<uint8_t> zeros(64 * 1024, 0);
    const sockaddr_in target = loopback("127.0.0.1", portOf(master.endpoint()));
    uint64_t streamed = 0;
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::seconds(4) && peak - baseline < 300 * 1024 && connections < 50) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      QVERIFY(fd >= 0);
      timeval tv{0, 200 * 1000};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0) {
        ++connections;
        bool ok = sendAll(fd, greeting.data(), greeting.size()) && sendAll(fd, header.data(), header.size());
        for (int i = 0; ok && Clock::now() - t0 < std::chrono::seconds(4); ++i) {
          ok = sendAll(fd, zeros.data(), zeros.size());
          if (ok) streamed += zeros.size();
          if (i % 16 == 0) {
            peak = std::max(peak, rssKb());
            if (peak - baseline >= 300 * 1024) break;
          }
        }
      }
      ::close(fd);
      peak = std::max(peak, rssKb());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    peak = std::max(peak, rssKb());
    qInfo("master RSS under the attack: baseline %.1f MB, peak %.1f MB (+%.1f MB); %d connection(s), %.1f MB of zeros streamed",
          baseline / 1024.0, peak / 1024.0, (peak - baseline) / 1024.0, connections, streamed / 1e6);
    QVERIFY2(peak - baseline < 16 * 1024, qPrintable(QString("the master grew by %1 MB").arg((peak - baseline) / 1024.0)));
    // It still works: a worker's key completes the handshake.
    zmq::context_t ctx;
    QCOMPARE(handshakeWith(ctx, master.endpoint(), master.publicKey()), uint16_t(ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
    // Refused each time, logged once (rate-limited).
    QVERIFY2(connections >= 3, "the master did not cut the attacking connection off");
    QVERIFY2(log.count("during its handshake") == 1, qPrintable(log.all()));
  }

  // Last: it lowers this process's descriptor limit for good (to 256, soft and hard, so
  // the master cannot raise it). 600 idle connections from 12 addresses, then a real
  // `scaleout worker` from 127.0.0.200 must join, and the master must say it refused.
  void idleConnectionsDoNotLockWorkersOut() {
    const QString binary = qEnvironmentVariable("SCALEOUT_BINARY");
    if (binary.isEmpty() || !QFile::exists(binary)) QSKIP("SCALEOUT_BINARY is not set to the built scaleout executable");
    const int kIdle = 600;
    int go[2], done[2];
    QVERIFY(pipe2(go, O_CLOEXEC) == 0 && pipe2(done, O_CLOEXEC) == 0);
    const pid_t child = forkIdleConnector(kIdle, go[0], done[1], go[1]);
    QVERIFY(child > 0);
    ::close(go[0]);
    ::close(done[1]);
    rlimit low{256, 256};
    QVERIFY(setrlimit(RLIMIT_NOFILE, &low) == 0);
    LogSink log;
    ClusterMasterOptions o;
    o.log = log.fn();
    auto master = std::make_unique<ClusterMaster>(irisConf(), data_.train, o);
    const uint16_t port = portOf(master->endpoint());
    // The worker starts now, while this process still has descriptors to start it, and
    // connects 4 s later, when the idle connections (and the kernel's SYN retries past
    // the listen backlog) have taken what they can.
    QTemporaryDir dir;
    QProcess worker;
    worker.setProgram("/bin/sh");
    worker.setArguments({"-c", "sleep 4; exec \"$0\" \"$@\"", binary, "worker", "--threads", "1", "--connect",
                         QString::fromStdString(master->endpoint()), "--bind", "127.0.0.200"});
    worker.setProcessChannelMode(QProcess::MergedChannels);
    worker.setStandardOutputFile(dir.filePath("worker.log"));
    worker.start();
    QVERIFY(worker.waitForStarted(10000));
    const auto t0 = Clock::now() + std::chrono::seconds(4);
    QVERIFY(write(go[1], &port, sizeof port) == sizeof port);
    int opened = 0;
    pollfd p{done[0], POLLIN, 0};
    QVERIFY(poll(&p, 1, 20000) == 1 && read(done[0], &opened, sizeof opened) == sizeof opened);
    QCOMPARE(opened, kIdle);
    std::this_thread::sleep_for(std::chrono::milliseconds(3900));
    std::error_code ec;
    const auto fds = std::filesystem::directory_iterator("/proc/self/fd", ec);
    qInfo("descriptors open in the master's process: %s of 256", ec ? "all" : std::to_string(std::distance(fds, {})).c_str());

    bool joined = false;
    while (!joined && Clock::now() - t0 < std::chrono::seconds(20)) {
      joined = master->connectedWorkers() == 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    worker.kill();
    worker.waitForFinished(5000);
    ::close(go[1]);  // the child lets its connections go
    int status = 0;
    waitpid(child, &status, 0);
    QFile wlog(dir.filePath("worker.log"));
    (void)wlog.open(QIODevice::ReadOnly);
    const QString workerLog = QString::fromUtf8(wlog.readAll());
    qInfo("worker joined: %s after %.1f s", joined ? "yes" : "no", seconds);
    QVERIFY2(joined, qPrintable("master:\n" + log.all() + "\nworker:\n" + workerLog));
    QVERIFY2(log.count("refusing connections") >= 1 && log.count("refusing connections") <= 6, qPrintable(log.all()));
    QVERIFY2(!workerLog.contains("refused this worker's key"), qPrintable(workerLog));
  }
};

QTEST_GUILESS_MAIN(TestClusterGuard)
#include "test_cluster_guard.moc"
