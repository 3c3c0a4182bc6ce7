// The cluster wire format: every message type survives a round trip, and the decoder
// refuses each kind of damage with a message naming it (one test per kind, in the
// manner of LevelDB's log_test), never crashing and never passing damaged numbers on.
#include <cmath>
#include <cstring>
#include <random>

#include <QtTest>
#include <zlib.h>

#include "cluster/protocol.h"

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
  auto params = std::make_shared<Eigen::VectorXf>(Eigen::VectorXf::LinSpaced(10, -1.0f, 1.0f));
  t.params = params;
  auto state = std::make_shared<OptimizerState>();
  state->velocity = Eigen::VectorXf::Constant(8, 0.25f);
  state->adagrad = Eigen::VectorXf::Constant(8, 2.0f);
  state->lastStep = 0.5f;
  t.state = state;
  t.indices = {5, 3, 9, 0};
  t.batchSize = 2;
  t.seed = 0xDEADBEEFCAFEull;
  return t;
}

// Results are encoded from a Payload that outlives the Encoded (their blobs are borrowed).
ResultMsg sampleResult() {
  ResultMsg m;
  m.lane = 3;
  m.result.segment = Eigen::VectorXf::LinSpaced(8, 0.0f, 7.0f);
  m.result.state.velocity = Eigen::VectorXf::Constant(8, -0.5f);
  m.result.state.lastStep = 0.125f;
  m.result.samples = 40;
  m.result.losses = {0.9f, 0.7f};
  m.result.computeSeconds = 0.25;
  return m;
}

Encoded taskMessage() { return encode(env(12), TaskMsg{1, sampleTask()}); }

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
    std::vector<Phase> phases(2);
    phases[0].kind = PhaseKind::Pretrain;
    phases[0].begin = 0;
    phases[0].end = 30;
    phases[0].epochs = 2;
    phases[0].rates = {{0, 30, 0.01f}};
    phases[1].begin = 0;
    phases[1].end = 50;
    phases[1].layer = 1;
    phases[1].rates = {{0, 30, 0.1f}, {30, 50, 0.2f}};
    ConfMsg c{"{\"nIn\":4}", phasesToJson(phases), 99, 150, 4};
    auto out = decodeFrames(framesOf(encode(env(), c)));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<ConfMsg>(out.message->payload);
    QCOMPARE(m.confJson, c.confJson);
    QCOMPARE(m.shardHash, uint64_t{99});
    QCOMPARE(m.shardRows, uint64_t{150});
    QCOMPARE(m.shardDims, 4u);
    std::string error;
    auto back = phasesFromJson(m.phasesJson, 50, error);
    QVERIFY2(back, error.c_str());
    QCOMPARE(back->size(), size_t{2});
    QCOMPARE((*back)[0].kind, PhaseKind::Pretrain);
    QCOMPARE((*back)[1].rates[1].rate, 0.2f);
    QVERIFY(!phasesFromJson(m.phasesJson, 40, error));  // the range must fit the network
    QVERIFY(QString::fromStdString(error).contains("does not fit"));
  }

  void shardRoundTrip() {
    auto d = std::make_shared<DataSet>();
    d->features = RowMatrix::Random(5, 3);
    d->labels = {0, 1, 2, 1, 0};
    d->numClasses = 3;
    d->source = "test rows";
    const uint64_t hash = shardHash(*d);
    auto out = decodeFrames(framesOf(encode(env(), ShardMsg{hash, d})));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<ShardMsg>(out.message->payload);
    QCOMPARE(m.data->size(), size_t{5});
    QCOMPARE(m.data->dims(), 3);
    QVERIFY(m.data->features == d->features);
    QCOMPARE(m.data->labels, d->labels);
    QCOMPARE(m.data->source, d->source);
    QCOMPARE(shardHash(*m.data), hash);
    auto changed = std::make_shared<DataSet>(*d);
    changed->labels[4] = 2;
    QVERIFY(shardHash(*changed) != hash);  // the cache key follows the content
  }

  void smallMessagesRoundTrip() {
    auto a = decodeFrames(framesOf(encode(env(), ShardRequestMsg{77})));
    QVERIFY2(a, a.error.c_str());
    QCOMPARE(std::get<ShardRequestMsg>(a.message->payload).shardHash, uint64_t{77});
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
    QVERIFY(*m.task.params == *t.params);
    QVERIFY(m.task.state->velocity == t.state->velocity);
    QVERIFY(m.task.state->adagrad == t.state->adagrad);
    QCOMPARE(m.task.state->lastStep, 0.5f);
    QCOMPARE(m.task.indices, t.indices);
    QCOMPARE(m.task.batchSize, 2);
    QCOMPARE(m.task.seed, t.seed);
  }

  void resultRoundTrip() {
    const ResultMsg r = sampleResult();
    const Payload payload = r;
    auto out = decodeFrames(framesOf(encode(env(12), payload)));
    QVERIFY2(out, out.error.c_str());
    const auto& m = std::get<ResultMsg>(out.message->payload);
    QCOMPARE(m.lane, 3u);
    QVERIFY(m.result.segment == r.result.segment);
    QVERIFY(m.result.state.velocity == r.result.state.velocity);
    QCOMPARE(m.result.state.adagrad.size(), Eigen::Index{0});
    QCOMPARE(m.result.samples, size_t{40});
    QCOMPARE(m.result.losses, r.result.losses);
    QCOMPARE(m.result.computeSeconds, 0.25);
    QVERIFY(m.errorText.empty());
  }

  void crcMemoGivesTheSameMessage() {
    const RoundTask t = sampleTask();
    BlobCrcs crcs;
    crcs.known = {blobCrc({t.params, t.params->data(), static_cast<size_t>(t.params->size()) * 4}), std::nullopt, std::nullopt};
    const Encoded a = encode(env(12), TaskMsg{1, t});
    const Encoded b = encode(env(12), TaskMsg{1, t}, &crcs);
    QCOMPARE(std::memcmp(a.header.data(), b.header.data(), kHeaderBytes), 0);
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
    QVERIFY2(QString::fromStdString(out.error).contains("params"), out.error.c_str());
  }

  void refusesTaskPhaseOutsideItsParameters() {
    RoundTask t = sampleTask();
    t.phase.end = 11;  // 10 parameters
    t.phase.rates = {{2, 11, 0.1f}};
    auto state = std::make_shared<OptimizerState>();
    state->velocity = Eigen::VectorXf::Zero(9);
    t.state = state;
    auto out = decodeFrames(framesOf(encode(env(1), TaskMsg{0, t})));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY(QString::fromStdString(out.error).contains("outside its 10 parameters"));
  }

  void refusesTaskWithBadBatchSize() {
    RoundTask t = sampleTask();
    t.batchSize = 0;
    QCOMPARE(decodeFrames(framesOf(encode(env(1), TaskMsg{0, t}))).failure, DecodeFailure::BadField);
  }

  void refusesResultWithNaNThatIsNotMarkedDiverged() {
    Payload payload = sampleResult();
    auto& r = std::get<ResultMsg>(payload);
    r.result.segment[3] = std::nanf("");
    auto out = decodeFrames(framesOf(encode(env(1), payload)));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY(QString::fromStdString(out.error).contains("NaN"));
    r.result.diverged = true;  // a diverged result may carry NaN: the master stops on it
    QVERIFY(decodeFrames(framesOf(encode(env(1), payload))));
  }

  void refusesShardLabelOutsideItsClasses() {
    auto d = std::make_shared<DataSet>();
    d->features = RowMatrix::Zero(2, 2);
    d->labels = {0, 5};
    d->numClasses = 3;
    auto out = decodeFrames(framesOf(encode(env(), ShardMsg{1, d})));
    QCOMPARE(out.failure, DecodeFailure::BadField);
    QVERIFY(QString::fromStdString(out.error).contains("label 5"));
  }

  void refusesShardWhoseShapeDisagreesWithItsBlob() {
    auto d = std::make_shared<DataSet>();
    d->features = RowMatrix::Zero(4, 3);
    d->labels = {0, 1, 0, 1};
    d->numClasses = 2;
    auto frames = framesOf(encode(env(), ShardMsg{1, d}));
    put<uint64_t>(frames[1], 8, uint64_t{1} << 40);  // rows: absurd, would overflow rows*dims
    reseal(frames);
    auto out = decodeFrames(frames);
    QCOMPARE(out.failure, DecodeFailure::BadField);
  }

  // Bounded mutation fuzzing: random damage to valid messages is refused or decoded, never
  // crashes, and anything accepted after damage passed the CRC only if the bytes it covers
  // were unchanged. (A libFuzzer target needs clang; this loop runs everywhere.)
  void randomDamageNeverCrashes() {
    std::mt19937 rng(1234);
    const Payload result = sampleResult();
    const std::vector<Encoded> seeds = {taskMessage(), encode(env(3), result), encode(env(), HelloMsg{2, "a", "b", 3}),
                                        encode(env(), ByeMsg{"x"})};
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
