#pragma once
// ParameterBroadcast: the master's side of "light rounds" (docs/cluster.md). The master
// keeps, for each worker node, a copy of the parameters that node holds (NodeParams) and
// moves it towards the trainer's parameters by the compressed difference when the node
// gets a task. So a node gets one compressed change however many rounds it spent on its
// last task; only a new node, a new phase or exact mode get the parameters whole, as
// float32. The compression error is not lost: it stays in (parameters - copy) and goes out
// with the node's next change (error feedback on the sending side, per node).
//
// Before this, every node followed one shared base, and a node that missed a round got
// the whole base: with three half-core workers at 1 Gbit/s most tasks missed one, and the
// master's link carried 2.9 MB per task instead of 1.44 MB.
#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Core>

#include "cluster/protocol.h"
#include "train/phase.h"

namespace scaleout::cluster {

// What one worker node holds. Version counts the updates it was sent (0: none yet): the
// node accepts a change only onto the version before it.
struct NodeParams {
  Eigen::VectorXf copy;
  uint64_t version = 0;
  long long round = -1;  // the round of its last update: a second lane in that round reuses it
};

class ParameterBroadcast {
 public:
  // The update that brings `node` to (an int8/bf16 approximation of) `params`, which it
  // then holds. The parameters of one round are the same for every call with that round.
  ParamsUpdate updateFor(const Eigen::VectorXf& params, const Phase& phase, long long round, Codec codec, NodeParams& node);
  // CRCs of a whole-parameters update, computed once per round for all nodes; nullptr for
  // the others (a change is made for one node, and its CRC computed as it is sent).
  const BlobCrcs* crcs(const ParamsUpdate& update) const;

 private:
  ParamsUpdate whole(const Eigen::VectorXf& params, long long round, NodeParams& node);

  std::shared_ptr<const std::vector<uint8_t>> full_;  // the parameters of round fullRound_, as float32
  long long fullRound_ = -1;
  BlobCrcs fullCrcs_;
  Eigen::VectorXf scratch_;
};

}  // namespace scaleout::cluster
