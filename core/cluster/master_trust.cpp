#include "cluster/master_trust.h"

#include <sodium.h>

namespace scaleout::cluster {
namespace {

std::string field(const nlohmann::json& node, const char* name) {
  return node.contains(name) && node[name].is_string() ? node[name].get<std::string>() : "";
}

// One unambiguous byte string per (endpoint, key, run id): none of them holds a newline.
std::string proofMessage(const std::string& endpoint, const std::string& publicKey, const std::string& runId) {
  return "scaleout-master-node-v1\n" + endpoint + "\n" + publicKey + "\n" + runId;
}

}  // namespace

std::string masterNodeProof(const std::string& proofKey, const std::string& endpoint, const std::string& publicKey,
                            const std::string& runId) {
  if (sodium_init() < 0 || proofKey.size() != crypto_auth_hmacsha256_KEYBYTES) return "";
  const std::string message = proofMessage(endpoint, publicKey, runId);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         reinterpret_cast<const unsigned char*>(proofKey.data()));
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

bool masterNodeProofValid(const std::string& proofKey, const nlohmann::json& node) {
  if (sodium_init() < 0 || proofKey.size() != crypto_auth_hmacsha256_KEYBYTES) return false;
  const std::string proof = field(node, "secretProof");
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  size_t length = 0;
  if (proof.size() != 2 * sizeof mac ||
      sodium_hex2bin(mac, sizeof mac, proof.data(), proof.size(), nullptr, &length, nullptr) != 0 || length != sizeof mac)
    return false;
  const std::string message = proofMessage(field(node, "endpoint"), field(node, "publicKey"), field(node, "runId"));
  // Constant-time comparison inside libsodium.
  return crypto_auth_hmacsha256_verify(mac, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                       reinterpret_cast<const unsigned char*>(proofKey.data())) == 0;
}

MasterVerdict MasterTrust::judge(const nlohmann::json& node) {
  const std::string key = field(node, "publicKey"), endpoint = field(node, "endpoint");
  const std::string where = "the master of cluster " + options_.cluster + " at " + endpoint;
  if (!options_.pinnedKey.empty()) {
    if (key == options_.pinnedKey) return {true, "pinned by --master-key"};
    return {false, where + " publishes the key " + key + ", not the one pinned by --master-key (" + options_.pinnedKey +
                       "): not connecting; check who wrote the ZooKeeper node"};
  }
  if (!options_.proofKey.empty()) {
    if (masterNodeProofValid(options_.proofKey, node)) return {true, "vouched for by the cluster secret (" + options_.secretOrigin + ")"};
    return {false, where + " publishes the key " + key + " with no valid proof of the cluster secret (" + options_.secretOrigin +
                       "): not connecting. A master started with the same --cluster-secret proves it in its ZooKeeper node; "
                       "this one does not hold the secret (check who wrote the node), or runs an older Scaleout"};
  }
  if (options_.zkProtected) return {true, "its ZooKeeper node is protected by --zk-auth"};
  return firstUse(key, endpoint);
}

MasterVerdict MasterTrust::firstUse(const std::string& key, const std::string& endpoint) {
  if (firstKey_.empty()) {
    firstKey_ = key;
    return {true, "trusted on first use: nothing vouches for it; to have master keys checked, give --master-key, "
                  "or --cluster-secret to master and workers, or --zk-auth"};
  }
  if (key == firstKey_) return {true, ""};
  return {false, "refusing the new master key " + key + " that ZooKeeper names for cluster " + options_.cluster + " (at " +
                     endpoint + "): this worker trusts " + firstKey_ +
                     ", taken on first use, and nothing vouches for the new one (anyone who can write to ZooKeeper "
                     "could have written it). To accept a new master key, restart this worker; to have keys checked, pin "
                     "the key with --master-key, or give master and workers the same --cluster-secret, or protect "
                     "ZooKeeper with --zk-auth"};
}

}  // namespace scaleout::cluster
