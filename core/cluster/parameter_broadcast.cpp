#include "cluster/parameter_broadcast.h"

#include <cstring>

namespace scaleout::cluster {

namespace {
// Outside the phase the node must hold the parameters exactly (they are not trained, and
// a change there means a new phase or a resume).
bool sameOutside(const Eigen::VectorXf& copy, const Eigen::VectorXf& params, const Phase& phase) {
  if (copy.size() != params.size()) return false;
  const auto n = static_cast<size_t>(params.size());
  return std::memcmp(copy.data(), params.data(), phase.begin * 4) == 0 &&
         std::memcmp(copy.data() + phase.end, params.data() + phase.end, (n - phase.end) * 4) == 0;
}
}  // namespace

ParamsUpdate ParameterBroadcast::whole(const Eigen::VectorXf& params, long long round, NodeParams& node) {
  if (!full_ || fullRound_ != round || full_->size() != static_cast<size_t>(params.size()) * 4) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(params.size()) * 4);
    std::memcpy(bytes->data(), params.data(), bytes->size());
    full_ = std::move(bytes);
    fullRound_ = round;
    fullCrcs_.known.assign(1, blobCrc(Blob{full_, full_->data(), full_->size()}));
  }
  node.copy = params;
  ParamsUpdate u;
  u.kind = ParamsKind::Full;
  u.version = ++node.version;
  u.total = static_cast<uint64_t>(params.size());
  u.codec = Codec::Float32;
  u.begin = 0;
  u.count = u.total;
  u.bytes = ByteBlob::of(full_);
  return u;
}

ParamsUpdate ParameterBroadcast::updateFor(const Eigen::VectorXf& params, const Phase& phase, long long round, Codec codec,
                                           NodeParams& node) {
  const bool holds = node.version != 0 && node.copy.size() == params.size();
  if (holds && node.round == round) {  // another lane of the node, same round: same parameters
    ParamsUpdate u;
    u.kind = ParamsKind::Same;
    u.version = node.version;
    u.total = static_cast<uint64_t>(params.size());
    return u;
  }
  node.round = round;
  // Exact mode, a new node, or a change outside the phase (a new phase, a resume).
  if (codec == Codec::Float32 || !holds || !sameOutside(node.copy, params, phase)) return whole(params, round, node);
  const auto begin = static_cast<Eigen::Index>(phase.begin), count = static_cast<Eigen::Index>(phase.size());
  scratch_ = params.segment(begin, count) - node.copy.segment(begin, count);
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  encodeVector(codec, scratch_.data(), static_cast<size_t>(count), nullptr, *bytes);
  std::string error;
  // The node applies the same function to the same bytes, so both copies stay bit-identical.
  if (!addDecoded(codec, *bytes, static_cast<size_t>(count), node.copy.data() + begin, error))
    return whole(params, round, node);  // a non-finite change (a diverged average): send the parameters whole
  ParamsUpdate u;
  u.kind = ParamsKind::Delta;
  u.version = ++node.version;
  u.total = static_cast<uint64_t>(params.size());
  u.codec = codec;
  u.begin = phase.begin;
  u.count = phase.size();
  u.bytes = ByteBlob::of(std::shared_ptr<const std::vector<uint8_t>>(std::move(bytes)));
  return u;
}

const BlobCrcs* ParameterBroadcast::crcs(const ParamsUpdate& update) const {
  if (update.kind == ParamsKind::Full && full_ && update.bytes.data == full_->data()) return &fullCrcs_;
  return nullptr;
}

}  // namespace scaleout::cluster
