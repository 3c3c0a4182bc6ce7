#pragma once
// Which master key a worker trusts when ZooKeeper names one (docs/cluster.md, "Which
// master a worker trusts"). Anyone who can write to ZooKeeper can rewrite the master node,
// so a key read there is taken only if something vouches for it:
//   --master-key      the key is pinned: that one and no other
//   --cluster-secret  the node carries an HMAC-SHA256 over its endpoint, key and run id,
//                     keyed by a key derived from the secret: a holder of the secret wrote it
//   --zk-auth         the node can only be written by the cluster's ZooKeeper identity
// With none of them the first key seen is trusted on first use (and logged), and a later,
// different key is refused until the worker restarts.
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace scaleout::cluster {

// Hex HMAC-SHA256, keyed by `proofKey` (masterProofKeyFromClusterSecret), over the master
// node's endpoint, public key and run id: the node's "secretProof" field.
std::string masterNodeProof(const std::string& proofKey, const std::string& endpoint, const std::string& publicKey,
                            const std::string& runId);
// Whether `node` carries a valid "secretProof" for its own endpoint, key and run id.
bool masterNodeProofValid(const std::string& proofKey, const nlohmann::json& node);

struct MasterTrustOptions {
  std::string cluster;       // for messages
  std::string pinnedKey;     // --master-key; empty: none
  std::string proofKey;      // derived from --cluster-secret; empty: none
  std::string secretOrigin;  // "--cluster-secret FILE", for messages
  bool zkProtected = false;  // --zk-auth: only the cluster's identity may write the node
};

struct MasterVerdict {
  bool trusted = false;
  std::string note;  // why trusted (empty for a key already trusted) or why refused
};

// Judges each master node ZooKeeper reports. Not thread-safe: one caller (the ZooKeeper thread).
class MasterTrust {
 public:
  explicit MasterTrust(MasterTrustOptions options) : options_(std::move(options)) {}
  // `node` is the master node's JSON (endpoint, publicKey, runId, secretProof); its key is valid Z85.
  MasterVerdict judge(const nlohmann::json& node);

 private:
  MasterVerdict firstUse(const std::string& key, const std::string& endpoint);

  MasterTrustOptions options_;
  std::string firstKey_;  // trusted on first use
};

}  // namespace scaleout::cluster
