#include "cluster/parameter_broadcast.h"

#include <cstring>

namespace scaleout::cluster {

bool ParameterBroadcast::sameOutside(const Eigen::VectorXf& params, const Phase& phase) const {
  if (base_.size() != params.size()) return false;
  const auto n = static_cast<size_t>(params.size());
  return std::memcmp(base_.data(), params.data(), phase.begin * 4) == 0 &&
         std::memcmp(base_.data() + phase.end, params.data() + phase.end, (n - phase.end) * 4) == 0;
}

void ParameterBroadcast::advance(const Eigen::VectorXf& params, const Phase& phase, Codec codec) {
  ++version_;
  deltaAvailable_ = false;
  full_.reset();
  // Exact mode, a first round, or a change outside the phase (a new phase, a resume): the
  // base becomes the parameters themselves and every node gets them whole.
  if (codec == Codec::Float32 || !sameOutside(params, phase)) {
    base_ = params;
    return;
  }
  const auto begin = static_cast<Eigen::Index>(phase.begin), count = static_cast<Eigen::Index>(phase.size());
  scratch_ = params.segment(begin, count) - base_.segment(begin, count);
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  encodeVector(codec, scratch_.data(), static_cast<size_t>(count), nullptr, *bytes);
  std::string error;
  // The node applies the same function to the same bytes, so both bases stay bit-identical.
  if (!addDecoded(codec, *bytes, static_cast<size_t>(count), base_.data() + begin, error)) {
    base_ = params;  // a non-finite change (a diverged average): send the parameters whole
    return;
  }
  delta_ = std::move(bytes);
  deltaAvailable_ = true;
  deltaCodec_ = codec;
  deltaBegin_ = phase.begin;
  deltaCount_ = phase.size();
  deltaCrcs_.known.assign(1, blobCrc(Blob{delta_, delta_->data(), delta_->size()}));
}

ParamsUpdate ParameterBroadcast::updateFor(const Eigen::VectorXf& params, const Phase& phase, long long round, Codec codec,
                                           uint64_t& nodeVersion) {
  if (round != round_ || base_.size() != params.size()) {
    round_ = round;
    advance(params, phase, codec);
  }
  ParamsUpdate u;
  u.version = version_;
  u.total = static_cast<uint64_t>(base_.size());
  if (nodeVersion == version_) {
    u.kind = ParamsKind::Same;
  } else if (deltaAvailable_ && nodeVersion + 1 == version_) {
    u.kind = ParamsKind::Delta;
    u.codec = deltaCodec_;
    u.begin = deltaBegin_;
    u.count = deltaCount_;
    u.bytes = ByteBlob::of(delta_);
  } else {
    if (!full_ || fullVersion_ != version_) {
      auto bytes = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(base_.size()) * 4);
      std::memcpy(bytes->data(), base_.data(), bytes->size());
      full_ = std::move(bytes);
      fullVersion_ = version_;
      fullCrcs_.known.assign(1, blobCrc(Blob{full_, full_->data(), full_->size()}));
    }
    u.kind = ParamsKind::Full;
    u.codec = Codec::Float32;
    u.begin = 0;
    u.count = u.total;
    u.bytes = ByteBlob::of(full_);
  }
  nodeVersion = version_;
  return u;
}

const BlobCrcs* ParameterBroadcast::crcs(const ParamsUpdate& update) {
  if (update.kind == ParamsKind::Delta) return &deltaCrcs_;
  if (update.kind == ParamsKind::Full) return &fullCrcs_;
  return nullptr;
}

}  // namespace scaleout::cluster
