#pragma once
// ParameterBroadcast: the master's side of "light rounds" (docs/cluster.md). Every worker
// node holds one copy of the parameters, numbered by a version; the master keeps the same
// copy (the base) and, once per round, moves it towards the trainer's parameters by the
// compressed difference. Nodes that hold the previous version get only that difference;
// a node that missed a version (new, or idle for a round) gets the whole base as float32.
// The compression error is not lost: it stays in (parameters - base) and goes out with
// the next round's difference (error feedback on the sending side).
#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Core>

#include "cluster/protocol.h"
#include "train/phase.h"

namespace scaleout::cluster {

class ParameterBroadcast {
 public:
  // The update that brings a node holding `nodeVersion` to this round's base, which it
  // then holds (nodeVersion is updated). Called on one thread, round after round.
  ParamsUpdate updateFor(const Eigen::VectorXf& params, const Phase& phase, long long round, Codec codec, uint64_t& nodeVersion);
  // CRCs of the update's blob, computed once per version for all nodes.
  const BlobCrcs* crcs(const ParamsUpdate& update);
  uint64_t version() const { return version_; }
  const Eigen::VectorXf& base() const { return base_; }

 private:
  void advance(const Eigen::VectorXf& params, const Phase& phase, Codec codec);
  bool sameOutside(const Eigen::VectorXf& params, const Phase& phase) const;

  Eigen::VectorXf base_;
  uint64_t version_ = 0;
  long long round_ = -1;
  bool deltaAvailable_ = false;  // this version has a Delta from the previous one
  Codec deltaCodec_ = Codec::Float32;
  size_t deltaBegin_ = 0, deltaCount_ = 0;
  std::shared_ptr<const std::vector<uint8_t>> delta_, full_;  // full_: made on demand, per version
  uint64_t fullVersion_ = 0;
  Eigen::VectorXf scratch_;
  BlobCrcs deltaCrcs_, fullCrcs_;
};

}  // namespace scaleout::cluster
