#include "io/model_file.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "config/conf_io.h"
#include "util/error.h"

namespace scaleout {

static_assert(std::endian::native == std::endian::little, "model files are little-endian; add byte swapping");

namespace {

using nlohmann::json;

// Streams straight to the file, with the CRC taken on the way: a checkpoint of the
// reference MLP is 11 MB, and building it in memory first cost a growing buffer's copies
// and page faults (about 30 ms a file, several files per run) before a byte was written.
class Writer {
 public:
  explicit Writer(std::ofstream& out) : out_(out) {}
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const Bytef*>(p);
    for (size_t done = 0; done < n;) {  // zlib takes uInt lengths
      const auto step = static_cast<uInt>(std::min<size_t>(n - done, size_t{1} << 30));
      crc_ = crc32(crc_, b + done, step);
      done += step;
    }
    out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
  }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void text(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  template <typename T>
  void array(const T* data, size_t count) {
    u64(count);
    bytes(data, count * sizeof(T));
  }
  uint32_t crc() const { return static_cast<uint32_t>(crc_); }

 private:
  std::ofstream& out_;
  uLong crc_ = crc32(0L, nullptr, 0);
};

class Reader {
 public:
  Reader(const std::string& data, const std::string& path) : data_(data), path_(path), end_(data.size()) {}
  // Fields end where the trailing checksum begins: a file cut inside its checksum is
  // reported as truncated, not as corrupt.
  void limit(size_t end) { end_ = end; }
  void bytes(void* out, size_t n, const char* what) {
    if (pos_ > end_ || n > end_ - pos_)
      fail(std::string("is truncated: ") + what + " needs " + std::to_string(n) + " bytes at offset " +
           std::to_string(pos_) + " but only " + std::to_string(pos_ > end_ ? 0 : end_ - pos_) + " remain");
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
  }
  uint32_t u32(const char* what) {
    uint32_t v;
    bytes(&v, 4, what);
    return v;
  }
  uint64_t u64(const char* what) {
    uint64_t v;
    bytes(&v, 8, what);
    return v;
  }
  std::string text(const char* what) {
    uint64_t n = u64(what);
    if (n > data_.size()) fail(std::string("is truncated or corrupt: ") + what + " claims " + std::to_string(n) + " bytes");
    std::string s(n, '\0');
    bytes(s.data(), n, what);
    return s;
  }
  template <typename T>
  void array(std::vector<T>& out, const char* what) {
    uint64_t n = u64(what);
    if (n > data_.size() / sizeof(T)) fail(std::string("is truncated or corrupt: ") + what + " claims " + std::to_string(n) + " values");
    out.resize(n);
    bytes(out.data(), n * sizeof(T), what);
  }
  void floats(Eigen::VectorXf& out, const char* what) {
    uint64_t n = u64(what);
    if (n > data_.size() / 4) fail(std::string("is truncated or corrupt: ") + what + " claims " + std::to_string(n) + " values");
    out.resize(static_cast<Eigen::Index>(n));
    bytes(out.data(), n * 4, what);
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw ScaleoutError("model file '" + path_ + "' " + message);
  }

 private:
  const std::string& data_;
  const std::string& path_;
  size_t end_;
  size_t pos_ = 0;
};

json normalizerToJson(const Normalizer& n, const std::vector<std::string>& classNames) {
  json j = {{"mode", choiceName(n.mode)},
            {"offset", std::vector<float>(n.offset.data(), n.offset.data() + n.offset.size())},
            {"scale", std::vector<float>(n.scale.data(), n.scale.data() + n.scale.size())}};
  if (!classNames.empty()) j["classNames"] = classNames;  // absent keeps older files byte-identical
  return j;
}

std::vector<std::string> classNamesFromJson(const json& j) {
  const auto it = j.find("classNames");
  return it == j.end() ? std::vector<std::string>{} : it->get<std::vector<std::string>>();
}

Normalizer normalizerFromJson(const json& j) {
  Normalizer n;
  n.mode = parseChoice<Normalization>("the normaliser's mode", j.at("mode").get<std::string>());
  auto offset = j.at("offset").get<std::vector<float>>();
  auto scale = j.at("scale").get<std::vector<float>>();
  n.offset = Eigen::Map<Eigen::RowVectorXf>(offset.data(), static_cast<Eigen::Index>(offset.size()));
  n.scale = Eigen::Map<Eigen::RowVectorXf>(scale.data(), static_cast<Eigen::Index>(scale.size()));
  return n;
}

}  // namespace

void writeModelFile(const std::string& path, const ModelFile& model) {
  // The texts first: what can throw before a byte is written does so before the file exists.
  const std::string confText = confToJson(model.conf).dump();
  const std::string normalizerText = normalizerToJson(model.normalizer, model.classNames).dump();
  std::string stateText;
  if (model.state) {
    const TrainingState& s = *model.state;
    const json meta = {{"phaseIndex", s.phaseIndex}, {"epoch", s.epoch},          {"iteration", s.iteration},
                       {"round", s.round},           {"rng", s.rngState},         {"learningRate", s.learningRate},
                       {"averagingFrequency", s.averagingFrequency}, {"midEpoch", s.midEpoch},
                       {"lastStep", s.optimizer.lastStep}};
    stateText = meta.dump();
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw ScaleoutError("cannot write model file '" + tmp + "': check the directory exists and is writable");
    Writer w(out);
    w.bytes(kModelMagic, sizeof kModelMagic);
    const bool outer = model.state && model.state->outerVelocity.size() > 0;
    w.u32(outer ? kModelFormatVersionOuter : 1u);
    w.u32(model.state ? 1u : 0u);
    w.text(confText);
    w.text(normalizerText);
    w.array(model.params.data(), static_cast<size_t>(model.params.size()));
    if (model.state) {
      const TrainingState& s = *model.state;
      w.text(stateText);
      w.array(s.optimizer.velocity.data(), static_cast<size_t>(s.optimizer.velocity.size()));
      w.array(s.optimizer.adagrad.data(), static_cast<size_t>(s.optimizer.adagrad.size()));
      w.array(s.remaining.data(), s.remaining.size());
      if (outer) w.array(s.outerVelocity.data(), static_cast<size_t>(s.outerVelocity.size()));
    }
    const uint32_t crc = w.crc();
    out.write(reinterpret_cast<const char*>(&crc), 4);  // not part of what it checks
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);  // a torn file helps no one
      throw ScaleoutError("error while writing model file '" + tmp + "' (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw ScaleoutError("cannot move '" + tmp + "' to '" + path + "': " + ec.message());
}

ModelFile readModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScaleoutError("model file '" + path + "' cannot be opened (no such file or no permission)");
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Reader r(data, path);
  char magic[8];
  r.bytes(magic, 8, "the magic number");
  if (std::memcmp(magic, kModelMagic, 8) != 0) r.fail("is not a Scaleout Studio model (wrong magic number; expected \"SCALEOUT\")");
  const uint32_t version = r.u32("the format version");
  if (version > kModelFormatVersion)
    r.fail("has format version " + std::to_string(version) + ", newer than this build reads (up to " +
           std::to_string(kModelFormatVersion) + "); upgrade Scaleout Studio");
  if (version == 0) r.fail("has format version 0, which does not exist");
  if (data.size() < 16 + 4) r.fail("is truncated: too short for a header and checksum");
  r.limit(data.size() - 4);
  uint32_t stored;
  std::memcpy(&stored, data.data() + data.size() - 4, 4);
  const uint32_t actual = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size() - 4)));
  const uint32_t flags = r.u32("the flags");
  ModelFile model;
  std::vector<ConfIssue> issues;
  std::string confText = r.text("the conf");
  std::string normText = r.text("the normalizer");
  r.floats(model.params, "the parameters");
  json meta;
  if (flags & 1u) {
    std::string metaText = r.text("the training state");
    TrainingState s;
    r.floats(s.optimizer.velocity, "the momentum buffer");
    r.floats(s.optimizer.adagrad, "the AdaGrad buffer");
    r.array(s.remaining, "the remaining rows");
    if (version >= kModelFormatVersionOuter) r.floats(s.outerVelocity, "the outer velocity");
    try {
      meta = json::parse(metaText);
      s.phaseIndex = meta.at("phaseIndex").get<size_t>();
      s.epoch = meta.at("epoch").get<int>();
      s.iteration = meta.at("iteration").get<long long>();
      s.round = meta.at("round").get<long long>();
      s.rngState = meta.at("rng").get<std::string>();
      s.learningRate = meta.at("learningRate").get<float>();
      s.averagingFrequency = meta.at("averagingFrequency").get<int>();
      s.midEpoch = meta.at("midEpoch").get<bool>();
      s.optimizer.lastStep = meta.at("lastStep").get<float>();
    } catch (const json::exception& e) {
      if (actual == stored) r.fail(std::string("has an unreadable training state: ") + e.what());
    }
    model.state = std::move(s);
  }
  if (actual != stored) r.fail("is corrupt: checksum mismatch (stored " + std::to_string(stored) + ", computed " + std::to_string(actual) + ")");
  try {
    model.conf = confFromJson(json::parse(confText), issues);
    const json normJson = json::parse(normText);
    model.normalizer = normalizerFromJson(normJson);
    model.classNames = classNamesFromJson(normJson);
  } catch (const json::exception& e) {
    r.fail(std::string("has an unreadable conf or normalizer: ") + e.what());
  }
  if (!issues.empty()) r.fail("holds an invalid conf:\n" + formatIssues(issues));
  return model;
}

}  // namespace scaleout
