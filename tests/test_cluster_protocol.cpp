// The cluster wire format: every message type survives a round trip, and the decoder
// refuses each kind of damage with a message naming it (one test per kind, in the
// manner of LevelDB's log_test), never crashing and never passing damaged numbers on.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <QtTest>
#include <zlib.h>

#include "cluster/parameter_broadcast.h"
#include "cluster/protocol.h"
#include "cluster/shard_stream.h"
#include "cluster/vector_codec.h"

using namespace scaleout;
using namespace scaleout::cluster;

namespace {

using Bytes = std::vector<uint8_t>;

// The wire frames of an encoded message, as a receiver would see them.
std::vector<Bytes> framesOf(const Encoded& e) {
  std::vector<Bytes> frames;
  frames.emplace_back(e.header.begin(), e.header.end());
  frames.push_back(e.body);
  for (const Blob& b : e.blobs) {
    const auto* p = static_cast<const uint8_t*>(b.data);
    frames.emplace_back(p, p + b.bytes);
  }
  return frames;
}

DecodeOutcome decodeFrames(const std::vector<Bytes>& frames) {
  std::vector<FrameView> views;
  for (const Bytes& f : frames) views.emplace_back(f.data(), f.size());
  return decodeMessage(views);
}

template <typename T>
void put(Bytes& b, size_t offset, T v) {
  std::memcpy(b.data() + offset, &v, sizeof v);
}

// Rewrites the header's payload length and CRC after a test changed the frames, so the
// damage under test is the only thing wrong (computed from the documented layout).
void reseal(std::vector<Bytes>& frames) {
  if (frames.size() < 2 || frames[0].size() < kHeaderBytes) return;
  uint64_t length = 0;
  for (size_t i = 1; i < frames.size(); ++i) length += frames[i].size();
  put<uint64_t>(frames[0], 32, length);
  put<uint16_t>(frames[0], 20, static_cast<uint16_t>(frames.size() - 2));
  uLong crc = crc32(0, nullptr, 0);
  crc = crc32(crc, frames[0].data(), 40);
  for (size_t i = 1; i < frames.size(); ++i) crc = crc32(crc, frames[i].data(), static_cast<uInt>(frames[i].size()));
  put<uint32_t>(frames[0], 40, static_cast<uint32_t>(crc));
}

Envelope env(long long round = 0) { return Envelope{0x1122334455667788ull, 7, round}; }

RoundTask sampleTask() {
  RoundTask t;
  t.round = 12;
  t.phaseIndex = 1;
  t.phase.kind = PhaseKind::Finetune;
  t.phase.layer = 1;
  t.phase.epochs = 3;
  t.phase.begin = 2;
  t.phase.end = 10;
  t.phase.rates = {{2, 6, 0.1f}, {6, 10, 0.05f}};
  t.indices = {5, 3, 9, 0};
  t.batchSize = 2;
  t.seed = 0xDEADBEEFCAFEull;
  t.pendingShare = 0.375f;
  return t;
}

ByteBlob bytesOf(const std::vector<uint8_t>& v) { return ByteBlob::copyOf(v); }

// All 10 parameters of the sample task, whole.
ParamsUpdate fullParams() {
  const Eigen::VectorXf p = Eigen::VectorXf::LinSpaced(10, -1.0f, 1.0f);
  std::vector<uint8_t> bytes;
  encodeVector(Codec::Float32, p.data(), 10, nullptr, bytes);
  ParamsUpdate u;
  u.kind = ParamsKind::Full;
  u.version = 4;
  u.total = 10;
  u.count = 10;
  u.bytes = bytesOf(bytes);
  return u;
}

// A trained segment of 8 values sent as an int8 change.
ResultMsg sampleResult() {
  ResultMsg m;
  m.lane = 3;
  m.result.samples = 40;
  m.result.losses = {0.9f, 0.7f};
  m.result.computeSeconds = 0.25;
  const Eigen::VectorXf change = Eigen::VectorXf::LinSpaced(8, -0.5f, 0.5f);
  std::vector<uint8_t> bytes;
  encodeVector(Codec::Int8, change.data(), 8, nullptr, bytes);
  m.codec = Codec::Int8;
  m.delta = true;
  m.count = 8;
  m.values = bytesOf(bytes);
  return m;
}

Encoded taskMessage() { return encode(env(12), TaskMsg{1, sampleTask(), fullParams()}); }

DataSet imageRows(int rows, int dims, uint32_t seed) {
  std::mt19937 rng(seed);
  DataSet d;
  d.features.resize(rows, dims);
  // Pixels 0..255 scaled the way the IDX reader does: at most 256 values per column.
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < dims; ++j) d.features(i, j) = static_cast<float>(rng() % 256) / 255.0f;
  d.labels.resize(static_cast<size_t>(rows));
  for (auto& l : d.labels) l = static_cast<int>(rng() % 10);
  d.numClasses = 10;
  d.imageRows = 2;
  d.imageCols = dims / 2;
  d.source = "synthetic images";
  return d;
}

}  // namespace

class TestClusterProtocol : public QObject {
  Q_OBJECT

 private slots:
  void headerLayout() {
    const Encoded e = encode(env(5), HeartbeatMsg{2});
    QCOMPARE(e.header.size(), size_t{48});
    QCOMPARE(std::memcmp(e.header.data(), "SOCW", 4), 0);
    uint16_t version, type;
    std::memcpy(&version, e.header.data() + 4, 2);
    std::memcpy(&type, e.header.data() + 6, 2);
    QCOMPARE(version, kProtocolVersion);
    QCOMPARE(type, uint16_t{9});  // Heartbeat is 9 forever
    const auto h = peekHeader(FrameView(e.header.data(), e.header.size()));
    QVERIFY(h);
    QCOMPARE(h->envelope.runId, 0x1122334455667788ull);
    QCOMPARE(h->envelope.generation, 7u);
    QCOMPARE(h->envelope.round, 5ll);
    QCOMPARE(h->payloadLength, uint64_t{4});
  }

  void typeNumbersNeverChange() {
    QCOMPARE(static_cast<int>(MessageType::Hello), 1);
    QCOMPARE(static_cast<int>(MessageType::Welcome), 2);
    QCOMPARE(static_cast<int>(MessageType::Conf), 3);
    QCOMPARE(static_cast<int>(MessageType::ShardRequest), 4);
    QCOMPARE(static_cast<int>(MessageType::Shard), 5);
    QCOMPARE(static_cast<int>(MessageType::Ready), 6);
    QCOMPARE(static_cast<int>(MessageType::Task), 7);
    QCOMPARE(static_cast<int>(MessageType::Result), 8);
    QCOMPARE(static_cast<int>(MessageType::Heartbeat), 9);
    QCOMPARE(static_cast<int>(MessageType::Error), 10);
    QCOMPARE(static_cast<int>(MessageType::Bye), 11);
  }

  void helloRoundTrip() {
    auto out = decodeFrames(framesOf(encode(env(), HelloMsg{4, "box:42", "box", 42})));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<HelloMsg>(out.message->payload);
    QCOMPARE(m.threads, 4u);
    QCOMPARE(m.name, std::string("box:42"));
    QCOMPARE(m.host, std::string("box"));
    QCOMPARE(m.pid, 42u);
    QCOMPARE(out.message->header.envelope.generation, 7u);
  }

  void welcomeRoundTrip() {
    auto out = decodeFrames(framesOf(encode(env(), WelcomeMsg{1000, 3000, 2})));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<WelcomeMsg>(out.message->payload);
    QCOMPARE(m.heartbeatIntervalMs, 1000u);
    QCOMPARE(m.heartbeatTimeoutMs, 3000u);
    QCOMPARE(m.lanes, 2u);
  }

  void confRoundTrip() {
    ConfMsg c{"{\"nIn\":4}", 99, 150, 4};
    auto out = decodeFrames(framesOf(encode(env(), c)));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<ConfMsg>(out.message->payload);
    QCOMPARE(m.confJson, c.confJson);
    QCOMPARE(m.shardHash, uint64_t{99});
    QCOMPARE(m.shardRows, uint64_t{150});
    QCOMPARE(m.shardDims, 4u);
  }

  // Image data travels as one byte per value and comes back bit for bit (same hash).
  void imageShardTravelsAsBytesAndComesBackExact() {
    const DataSet d = imageRows(600, 20, 7);
    const EncodedShard e = encodeShard(d);
    QCOMPARE(e.layout.encoding, ShardEncoding::Table8);
    QCOMPARE(e.layout.streamBytes, uint64_t{20 * 256 * 4 + 600 * 20 + 600 * 4});
    QCOMPARE(static_cast<uint64_t>(e.bytes->size()), e.layout.streamBytes);
    std::string error;
    auto back = decodeShard(e.layout, *e.bytes, error);
    QVERIFY2(back, error.c_str());
    QVERIFY(back->features == d.features);
    QCOMPARE(back->labels, d.labels);
    QCOMPARE(back->source, d.source);
    QCOMPARE(shardHash(*back), shardHash(d));
  }

  // The encoder remembers each column's last value: runs of one value (image background),
  // 0.0 next to -0.0, and a NaN after a run must still come out right.
  void repeatedValuesKeepTheirBitsAndANaNIsNeverTabled() {
    DataSet d = imageRows(600, 6, 11);
    for (int i = 0; i < 600; ++i) d.features(i, 0) = (i / 50) % 2 ? -0.0f : 0.0f;  // runs of 0.0 and -0.0
    for (int i = 100; i < 400; ++i) d.features(i, 1) = 0.5f;                    // one long run
    EncodedShard e = encodeShard(d);
    QCOMPARE(e.layout.encoding, ShardEncoding::Table8);
    std::string error;
    auto back = decodeShard(e.layout, *e.bytes, error);
    QVERIFY2(back, error.c_str());
    QCOMPARE(std::memcmp(back->features.data(), d.features.data(), static_cast<size_t>(d.features.size()) * 4), 0);
    d.features(401, 1) = std::numeric_limits<float>::quiet_NaN();  // after the run of 0.5
    e = encodeShard(d);
    QCOMPARE(e.layout.encoding, ShardEncoding::Float32);
  }

  void continuousShardTravelsAsFloats() {
    DataSet d;
    d.features = RowMatrix::Random(300, 3);  // hundreds of distinct values per column
    d.labels.assign(300, 1);
    d.numClasses = 2;
    const EncodedShard e = encodeShard(d);
    QCOMPARE(e.layout.encoding, ShardEncoding::Float32);
    std::string error;
    auto back = decodeShard(e.layout, *e.bytes, error);
    QVERIFY2(back, error.c_str());
    QVERIFY(back->features == d.features);
  }

  void shardChunkRoundTrip() {
    const DataSet d = imageRows(600, 20, 8);
    const EncodedShard e = encodeShard(d);
    ShardMsg chunk;
    chunk.shardHash = 42;
    chunk.layout = e.layout;
    chunk.offset = 1000;
    chunk.chunk = ByteBlob::copyOf(std::span<const uint8_t>(e.bytes->data() + 1000, 5000));
    auto out = decodeFrames(framesOf(encode(env(), chunk)));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<ShardMsg>(out.message->payload);
    QCOMPARE(m.offset, uint64_t{1000});
    QCOMPARE(m.layout.streamBytes, e.layout.streamBytes);
    QCOMPARE(m.layout.encoding, ShardEncoding::Table8);
    QCOMPARE(m.chunk.size, size_t{5000});
    QCOMPARE(std::memcmp(m.chunk.data, e.bytes->data() + 1000, 5000), 0);
  }

  void shardCacheKeepsRowsUnderTheirHash() {
    QTemporaryDir dir;
    const DataSet d = imageRows(600, 20, 9);
    const EncodedShard e = encodeShard(d);
    const uint64_t hash = shardHash(d);
    std::string error;
    QVERIFY(!readCachedShard(dir.path().toStdString(), hash, error));  // nothing cached yet
    QVERIFY(error.empty());
    QVERIFY2(writeCachedShard(dir.path().toStdString(), hash, e.layout, *e.bytes, error), error.c_str());
    auto back = readCachedShard(dir.path().toStdString(), hash, error);
    QVERIFY2(back, error.c_str());
    QVERIFY(back->features == d.features);
    // A damaged file is refused and named, never used.
    char name[40];
    std::snprintf(name, sizeof name, "%016llx.shard", static_cast<unsigned long long>(hash));
    QFile f(dir.filePath(name));
    QVERIFY(f.open(QIODevice::ReadWrite));
    f.seek(f.size() - 5000);
    f.write("xxxx");
    f.close();
    QVERIFY(!readCachedShard(dir.path().toStdString(), hash, error));
    QVERIFY2(QString::fromStdString(error).contains(name), error.c_str());
  }

  void smallMessagesRoundTrip() {
    auto a = decodeFrames(framesOf(encode(env(), ShardRequestMsg{77, 2048, 1024})));
    QVERIFY2(a, a.error.c_str());
    QCOMPARE(std::get<ShardRequestMsg>(a.message->payload).shardHash, uint64_t{77});
    QCOMPARE(std::get<ShardRequestMsg>(a.message->payload).offset, uint64_t{2048});
    QCOMPARE(std::get<ShardRequestMsg>(a.message->payload).length, 1024u);
    auto b = decodeFrames(framesOf(encode(env(), ReadyMsg{78})));
    QVERIFY2(b, b.error.c_str());
    QCOMPARE(std::get<ReadyMsg>(b.message->payload).shardHash, uint64_t{78});
    auto c = decodeFrames(framesOf(encode(env(), HeartbeatMsg{3})));
    QVERIFY2(c, c.error.c_str());
    QCOMPARE(std::get<HeartbeatMsg>(c.message->payload).busyLanes, 3u);
    auto d = decodeFrames(framesOf(encode(env(), ErrorMsg{ErrorCode::StaleSession, "say hello"})));
    QVERIFY2(d, d.error.c_str());
    QCOMPARE(std::get<ErrorMsg>(d.message->payload).code, ErrorCode::StaleSession);
    QCOMPARE(std::get<ErrorMsg>(d.message->payload).text, std::string("say hello"));
    auto e = decodeFrames(framesOf(encode(env(), ByeMsg{"done"})));
    QVERIFY2(e, e.error.c_str());
    QCOMPARE(std::get<ByeMsg>(e.message->payload).reason, std::string("done"));
  }

  void taskRoundTrip() {
    const RoundTask t = sampleTask();
    auto out = decodeFrames(framesOf(taskMessage()));
    QVERIFY2(out, out.error.c_str());
    QCOMPARE(out.message->header.envelope.round, 12ll);
    const auto& m = std::get<TaskMsg>(out.message->payload);
    QCOMPARE(m.lane, 1u);
    QCOMPARE(m.task.phaseIndex, size_t{1});
    QCOMPARE(m.task.phase.begin, size_t{2});
    QCOMPARE(m.task.phase.end, size_t{10});
    QCOMPARE(m.task.phase.rates.size(), size_t{2});
    QCOMPARE(m.task.phase.rates[1].rate, 0.05f);
    QCOMPARE(m.params.kind, ParamsKind::Full);
    QCOMPARE(m.params.version, uint64_t{4});
    Eigen::VectorXf p(10);
    std::string error;
    QVERIFY(decodeVector(Codec::Float32, m.params.bytes.span(), 10, p.data(), error));
    QVERIFY(p == Eigen::VectorXf::LinSpaced(10, -1.0f, 1.0f));
    QVERIFY(!m.task.state);  // optimizer state never travels
    QCOMPARE(m.task.indices, t.indices);
    QCOMPARE(m.task.batchSize, 2);
    QCOMPARE(m.task.seed, t.seed);
    QCOMPARE(m.task.pendingShare, 0.375f);
  }

  void resultRoundTrip() {
    const ResultMsg r = sampleResult();
    auto out = decodeFrames(framesOf(encode(env(12), r)));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<ResultMsg>(out.message->payload);
    QCOMPARE(m.lane, 3u);
    QCOMPARE(m.codec, Codec::Int8);
    QVERIFY(m.delta);
    QCOMPARE(m.count, uint64_t{8});
    QCOMPARE(m.values.size, r.values.size);
    QCOMPARE(std::memcmp(m.values.data, r.values.data, r.values.size), 0);
    QCOMPARE(m.result.samples, size_t{40});
    QCOMPARE(m.result.losses, r.result.losses);
    QCOMPARE(m.result.computeSeconds, 0.25);
    QVERIFY(m.errorText.empty());
  }

  void crcMemoGivesTheSameMessage() {
    const TaskMsg m{1, sampleTask(), fullParams()};
    BlobCrcs crcs;
    crcs.known = {blobCrc({m.params.bytes.owner, m.params.bytes.data, m.params.bytes.size})};
    const Encoded a = encode(env(12), m);
    const Encoded b = encode(env(12), m, &crcs);
    QCOMPARE(std::memcmp(a.header.data(), b.header.data(), kHeaderBytes), 0);
  }

  // ---- the codecs of light rounds

  void codecsRoundTripWithinTheirPrecision() {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 0.01f);
    Eigen::VectorXf v(1000);
    for (auto& x : v) x = normal(rng);
    for (Codec c : {Codec::Float32, Codec::BFloat16, Codec::Int8}) {
      std::vector<uint8_t> bytes;
      encodeVector(c, v.data(), 1000, nullptr, bytes);
      QCOMPARE(bytes.size(), encodedBytes(c, 1000));
      Eigen::VectorXf back(1000);
      std::string error;
      QVERIFY2(decodeVector(c, bytes, 1000, back.data(), error), error.c_str());
      const float worst = (back - v).cwiseAbs().maxCoeff();
      const float bound = c == Codec::Float32 ? 0.0f : c == Codec::BFloat16 ? 0.01f * 0.008f * 5 : v.cwiseAbs().maxCoeff() / 127.0f;
      QVERIFY2(worst <= bound, qPrintable(QString("%1: error %2 > %3").arg(codecName(c)).arg(worst).arg(bound)));
    }
    QCOMPARE(encodedBytes(Codec::Int8, 1413260), size_t{1413260 + 4 * 5521});  // a quarter of float32, plus scales
  }

  // Error feedback: what rounding drops is carried, so the sum of what was sent tracks the
  // sum of the true changes to within one message's rounding, however many rounds pass.
  void errorFeedbackKeepsTheSumExact() {
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 0.001f);
    const size_t n = 512;
    Eigen::VectorXf truth = Eigen::VectorXf::Zero(n), sent = Eigen::VectorXf::Zero(n), residual = Eigen::VectorXf::Zero(n),
                    noFeedback = Eigen::VectorXf::Zero(n);
    for (int round = 0; round < 200; ++round) {
      Eigen::VectorXf change(n);
      for (auto& x : change) x = normal(rng) + 0.0002f;  // a small steady drift rounding would lose
      truth += change;
      std::vector<uint8_t> bytes;
      encodeVector(Codec::Int8, change.data(), n, residual.data(), bytes);
      std::string error;
      QVERIFY(addDecoded(Codec::Int8, bytes, n, sent.data(), error));
      encodeVector(Codec::Int8, change.data(), n, nullptr, bytes);
      QVERIFY(addDecoded(Codec::Int8, bytes, n, noFeedback.data(), error));
    }
    const float withFeedback = (sent + residual - truth).cwiseAbs().maxCoeff();
    QVERIFY2(withFeedback < 1e-5f, qPrintable(QString::number(withFeedback)));
    QVERIFY((sent - truth).cwiseAbs().maxCoeff() < (noFeedback - truth).cwiseAbs().maxCoeff());
  }

  void codecRefusesNonFiniteAndWrongSizes() {
    std::vector<uint8_t> bytes;
    const float v[2] = {1.0f, std::nanf("")};
    encodeVector(Codec::Float32, v, 2, nullptr, bytes);
    float out[2];
    std::string error;
    QVERIFY(!decodeVector(Codec::Float32, bytes, 2, out, error));
    QVERIFY2(QString::fromStdString(error).contains("not finite"), error.c_str());
    QVERIFY(!decodeVector(Codec::Float32, bytes, 3, out, error));
    QVERIFY2(QString::fromStdString(error).contains("must be"), error.c_str());
    std::vector<uint8_t> int8(encodedBytes(Codec::Int8, 2), 0);
    const float inf = std::numeric_limits<float>::infinity();
    std::memcpy(int8.data(), &inf, 4);  // the block's scale
    QVERIFY(!decodeVector(Codec::Int8, int8, 2, out, error));
    QVERIFY2(QString::fromStdString(error).contains("scale"), error.c_str());
  }

  // A node holds bit for bit the master's copy for it; a node that spent rounds on its
  // last task still gets one change, not the whole parameters; outside the phase nothing
  // is ever approximated; a second lane in the same round reuses the update.
  void broadcastKeepsNodesInStep() {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 0.01f);
    Eigen::VectorXf params = Eigen::VectorXf::Random(3000);
    Phase phase;
    phase.begin = 1000;
    phase.end = 3000;
    ParameterBroadcast b;
    NodeParams follower, skipper;
    Eigen::VectorXf node(3000), skipped(3000);
    std::string error;
    // Applies an update as a worker node does (worker_node.cpp applyParams), checking its version rule.
    auto apply = [&](const ParamsUpdate& u, Eigen::VectorXf& held, uint64_t& heldVersion) {
      if (u.kind == ParamsKind::Same) {
        QCOMPARE(u.version, heldVersion);
      } else if (u.kind == ParamsKind::Full) {
        QVERIFY(decodeVector(Codec::Float32, u.bytes.span(), 3000, held.data(), error));
      } else {
        QCOMPARE(u.version, heldVersion + 1);
        QCOMPARE(u.bytes.size, encodedBytes(Codec::Int8, 2000));
        QVERIFY(addDecoded(u.codec, u.bytes.span(), 2000, held.data() + 1000, error));
      }
      heldVersion = u.version;
    };
    uint64_t nodeVersion = 0, skippedVersion = 0;
    for (long long round = 1; round <= 30; ++round) {
      for (Eigen::Index i = 1000; i < 3000; ++i) params[i] += normal(rng);
      ParamsUpdate u = b.updateFor(params, phase, round, Codec::Int8, follower);
      QCOMPARE(u.kind, round == 1 ? ParamsKind::Full : ParamsKind::Delta);
      QCOMPARE(b.crcs(u) != nullptr, round == 1);  // whole parameters: CRC once per round, for all nodes
      apply(u, node, nodeVersion);
      QVERIFY(node == follower.copy);
      QVERIFY(node.head(1000) == params.head(1000));
      // Error feedback on the master's side: the copy stays within one rounding of the parameters.
      QVERIFY((node - params).cwiseAbs().maxCoeff() < 0.01f);
      if (round % 10 == 0) {
        QCOMPARE(b.updateFor(params, phase, round, Codec::Int8, follower).kind, ParamsKind::Same);  // a second lane
        // A node that trained through 9 rounds: one change, onto the version it holds.
        ParamsUpdate s = b.updateFor(params, phase, round, Codec::Int8, skipper);
        QCOMPARE(s.kind, round == 10 ? ParamsKind::Full : ParamsKind::Delta);
        apply(s, skipped, skippedVersion);
        QVERIFY(skipped == skipper.copy);
        QVERIFY((skipped - params).cwiseAbs().maxCoeff() < 0.01f);
        QVERIFY(skipped.head(1000) == params.head(1000));
      }
    }
    // A change outside the phase (a new phase, a resume) sends the parameters whole.
    params[0] += 1.0f;
    ParamsUpdate moved = b.updateFor(params, phase, 31, Codec::Int8, follower);
    QCOMPARE(moved.kind, ParamsKind::Full);
    apply(moved, node, nodeVersion);
    QVERIFY(node == params);
    // Exact mode sends the parameters themselves.
    for (Eigen::Index i = 1000; i < 3000; ++i) params[i] += normal(rng);
    ParamsUpdate u = b.updateFor(params, phase, 32, Codec::Float32, follower);
    QCOMPARE(u.kind, ParamsKind::Full);
    QVERIFY(follower.copy == params);
  }

  // ---- damage, one kind per test

  void refusesTooFewFrames() {
    auto frames = framesOf(taskMessage());
    frames.resize(1);
    auto out = decodeFrames(frames);
    QVERIFY(!out);
    QCOMPARE(out.failure, DecodeFailure::Truncated);
    QVERIFY(QString::fromStdString(out.error).contains("frame"));
  }

  void refusesTruncatedHeader() {
    auto frames = framesOf(taskMessage());
    frames[0].resize(30);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::Truncated);
    QVERIFY(QString::fromStdString(out.error).contains("header is 30 bytes"));
  }

  void refusesOversizedHeader() {
    auto frames = framesOf(taskMessage());
    frames[0].push_back(0);
    QCOMPARE(decodeFrames(frames).failure, DecodeFailure::Oversized);
  }

  void refusesBadMagic() {
    auto frames = framesOf(taskMessage());
    frames[0][0] = 'X';
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadMagic);
  }

  void refusesOtherVersionNamingBoth() {
    auto frames = framesOf(encodeWithVersion(kProtocolVersion + 1, env(), HelloMsg{1, "w", "h", 1}));
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::WrongVersion);
    QCOMPARE(out.peerVersion, uint16_t(kProtocolVersion + 1));
    const QString text = QString::fromStdString(out.error);
    QVERIFY2(text.contains(QString("version %1").arg(kProtocolVersion + 1)) && text.contains(QString("version %1").arg(kProtocolVersion)),
             qPrintable(text));
  }

  void errorIsReadableAcrossVersions() {
    auto out = decodeFrames(framesOf(encodeWithVersion(kProtocolVersion + 5, env(), ErrorMsg{ErrorCode::VersionMismatch, "no"})));
    QVERIFY2(out, out.error.c_str());
    QCOMPARE(std::get<ErrorMsg>(out.message->payload).code, ErrorCode::VersionMismatch);
    QCOMPARE(out.peerVersion, uint16_t(kProtocolVersion + 5));
  }

  void refusesUnknownType() {
    auto frames = framesOf(encode(env(), HeartbeatMsg{0}));
    put<uint16_t>(frames[0], 6, 99);
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::UnknownType);
    QVERIFY(QString::fromStdString(out.error).contains("99"));
  }

  void refusesWrongTypeForTheBody() {
    // A heartbeat body (4 bytes) relabelled as a welcome (12 bytes): the reader runs out.
    auto frames = framesOf(encode(env(), HeartbeatMsg{0}));
    put<uint16_t>(frames[0], 6, static_cast<uint16_t>(MessageType::Welcome));
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadField);
  }

  void refusesMissingBlob() {
    auto frames = framesOf(taskMessage());
    frames.pop_back();
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::WrongLength);
    QVERIFY(QString::fromStdString(out.error).contains("blob"));
  }

  void refusesBlobCountThatDisagreesWithFrames() {
    auto frames = framesOf(taskMessage());
    put<uint16_t>(frames[0], 20, 2);  // header claims 2 blobs, 3 follow (CRC left intact)
    QCOMPARE(decodeFrames(frames).failure, DecodeFailure::WrongLength);
  }

  void refusesPayloadShorterThanDeclared() {
    auto frames = framesOf(taskMessage());
    frames[2].resize(frames[2].size() - 4);  // parameters cut short in transit
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::Truncated);
    QVERIFY(QString::fromStdString(out.error).contains("declares a payload"));
  }

  void refusesPayloadLongerThanDeclared() {
    auto frames = framesOf(taskMessage());
    frames[1].push_back(0);
    QCOMPARE(decodeFrames(frames).failure, DecodeFailure::WrongLength);
  }

  void refusesOversizedPayload() {
    auto frames = framesOf(taskMessage());
    put<uint64_t>(frames[0], 32, uint64_t{kMaxPayloadBytes} + 1);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::Oversized);
    QVERIFY(QString::fromStdString(out.error).contains("exceeds the limit"));
  }

  void refusesOversizedBody() {
    std::vector<Bytes> frames = framesOf(encode(env(), ByeMsg{"x"}));
    frames[1].assign(kMaxBodyBytes + 1, 0);
    reseal(frames);
    QCOMPARE(decodeFrames(frames).failure, DecodeFailure::Oversized);
  }

  void refusesChecksumMismatch() {
    auto frames = framesOf(taskMessage());
    frames[2][5] ^= 0x40;  // one flipped bit in the parameters
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::Checksum);
    QVERIFY(QString::fromStdString(out.error).contains("checksum mismatch"));
  }

  void refusesChecksumMismatchInHeader() {
    auto frames = framesOf(taskMessage());
    put<int64_t>(frames[0], 24, 13);  // round 12 -> 13: a replayed or altered result must not pass
    QCOMPARE(decodeFrames(frames).failure, DecodeFailure::Checksum);
  }

  void refusesTruncatedBody() {
    auto frames = framesOf(encode(env(), HelloMsg{1, "worker", "host", 5}));
    frames[1].resize(frames[1].size() - 2);
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY2(QString::fromStdString(out.error).contains("truncated"), out.error.c_str());
  }

  void refusesTrailingBytesInBody() {
    auto frames = framesOf(encode(env(), ReadyMsg{1}));
    frames[1].push_back(0);
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY(QString::fromStdString(out.error).contains("unexpected bytes"));
  }

  void refusesStringRunningPastBody() {
    auto frames = framesOf(encode(env(), ByeMsg{"bye"}));
    put<uint32_t>(frames[1], 0, 1000000);
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY(QString::fromStdString(out.error).contains("runs past"));
  }

  void refusesBlobOfTheWrongLength() {
    auto frames = framesOf(taskMessage());
    frames[2].resize(frames[2].size() - 4);  // 9 floats where the body says 10
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY2(QString::fromStdString(out.error).contains("do not fit 10 parameters"), out.error.c_str());
  }

  void refusesTaskPhaseOutsideItsParameters() {
    RoundTask t = sampleTask();
    t.phase.end = 11;  // 10 parameters
    t.phase.rates = {{2, 11, 0.1f}};
    auto out = decodeFrames(framesOf(encode(env(1), TaskMsg{0, t, fullParams()})));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY2(QString::fromStdString(out.error).contains("does not fit its 10 parameters"), out.error.c_str());
  }

  void refusesTaskDeltaOutsideItsParameters() {
    ParamsUpdate u;
    u.kind = ParamsKind::Delta;
    u.version = 5;
    u.total = 10;
    u.codec = Codec::Int8;
    u.begin = 6;
    u.count = 8;  // [6, 14) of 10
    u.bytes = ByteBlob::copyOf(std::vector<uint8_t>(encodedBytes(Codec::Int8, 8), 0));
    auto out = decodeFrames(framesOf(encode(env(1), TaskMsg{0, sampleTask(), u})));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY2(QString::fromStdString(out.error).contains("do not fit"), out.error.c_str());
  }

  // Delay compensation's share scales the worker's own change: outside [0, 1] (or NaN) it
  // would push the worker's parameters anywhere.
  void refusesTaskWithAPendingShareOutsideZeroToOne() {
    for (float bad : {-0.1f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
      RoundTask t = sampleTask();
      t.pendingShare = bad;
      const auto out = decodeFrames(framesOf(encode(env(1), TaskMsg{0, t, fullParams()})));
      QCOMPARE(out.failure, DecodeFailure::BadField);
      QVERIFY2(QString::fromStdString(out.error).contains("pending share"), out.error.c_str());
    }
  }

  void refusesTaskWithBadBatchSize() {
    RoundTask t = sampleTask();
    t.batchSize = 0;
    QCOMPARE(decodeFrames(framesOf(encode(env(1), TaskMsg{0, t, fullParams()}))).failure, DecodeFailure::BadField);
  }

  void refusesResultValuesOfTheWrongSize() {
    ResultMsg r = sampleResult();
    r.count = 9;  // 8 values encoded
    auto out = decodeFrames(framesOf(encode(env(1), r)));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY2(QString::fromStdString(out.error).contains("expected"), out.error.c_str());
  }

  void refusesShardLabelOutsideItsClasses() {
    DataSet d = imageRows(300, 4, 1);
    d.labels[5] = 12;
    const EncodedShard e = encodeShard(d);
    std::string error;
    QVERIFY(!decodeShard(e.layout, *e.bytes, error));
    QVERIFY2(QString::fromStdString(error).contains("label 12"), error.c_str());
  }

  void refusesShardChunkThatDoesNotFitItsStream() {
    const DataSet d = imageRows(300, 4, 2);
    const EncodedShard e = encodeShard(d);
    ShardMsg chunk;
    chunk.shardHash = 1;
    chunk.layout = e.layout;
    chunk.offset = e.layout.streamBytes - 10;
    chunk.chunk = ByteBlob::copyOf(std::span<const uint8_t>(e.bytes->data(), 20));  // runs 10 bytes past the end
    auto out = decodeFrames(framesOf(encode(env(), chunk)));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY2(QString::fromStdString(out.error).contains("does not fit"), out.error.c_str());
    auto frames = framesOf(encode(env(), ShardMsg{1, e.layout, 0, ByteBlob::copyOf(std::span<const uint8_t>(e.bytes->data(), 20))}));
    put<uint64_t>(frames[1], 8, uint64_t{1} << 40);  // rows: absurd, would overflow rows*dims
    reseal(frames);
    QCOMPARE(decodeFrames(frames).failure, DecodeFailure::BadField);
  }

  // Bounded mutation fuzzing: random damage to valid messages is refused or decoded, never
  // crashes, and anything accepted after damage passed the CRC only if the bytes it covers
  // were unchanged. (A libFuzzer target needs clang; this loop runs everywhere.)
  void randomDamageNeverCrashes() {
    std::mt19937 rng(1234);
    const Payload result = sampleResult();
    const EncodedShard shard = encodeShard(imageRows(300, 4, 3));
    const ShardMsg chunk{5, shard.layout, 0, ByteBlob::copyOf(std::span<const uint8_t>(shard.bytes->data(), 64))};
    const std::vector<Encoded> seeds = {taskMessage(), encode(env(3), result), encode(env(), HelloMsg{2, "a", "b", 3}),
                                        encode(env(), ByeMsg{"x"}), encode(env(), chunk), encode(env(), ShardRequestMsg{5, 0, 64})};
    int accepted = 0, refused = 0;
    for (int iteration = 0; iteration < 20000; ++iteration) {
      auto frames = framesOf(seeds[static_cast<size_t>(iteration) % seeds.size()]);
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        auto& f = frames[rng() % frames.size()];
        switch (rng() % 4) {
          case 0:
            if (!f.empty()) f[rng() % f.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
          case 1:
            f.resize(f.empty() ? 0 : rng() % f.size());
            break;
          case 2:
            f.push_back(static_cast<uint8_t>(rng()));
            break;
          case 3:
            if (frames.size() > 1 && rng() % 2) frames.pop_back();
            break;
        }
      }
      if (rng() % 2) reseal(frames);  // half the time the damage gets a valid checksum
      auto out = decodeFrames(frames);
      (out ? accepted : refused)++;
      if (!out) QVERIFY(!out.error.empty());
    }
    QVERIFY(refused > 10000);
    qInfo("random damage: %d refused, %d accepted (resealed edits to fields that stay valid)", refused, accepted);
  }
};

QTEST_GUILESS_MAIN(TestClusterProtocol)
#include "test_cluster_protocol.moc"
