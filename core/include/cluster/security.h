#pragma once
// CURVE key material for the cluster (docs/cluster.md, "Security"): key pairs kept in the
// user's config directory and created on first use, the master's allow-list of worker
// keys, and a worker key derived from a shared cluster secret. Keys are Z85 text (40
// characters), the form ZeroMQ's socket options and zmq_curve_keypair() use.
//
//   CONFIG/curve/master.key          Z85 secret key of this user's masters (mode 0600)
//   CONFIG/curve/master.pub          its public key (what workers and ZooKeeper see)
//   CONFIG/curve/worker.key, .pub    this user's worker key pair
//   CONFIG/curve/authorized_workers  allow-list: one Z85 public key per line, optional label
// CONFIG = $XDG_CONFIG_HOME/scaleout, else ~/.config/scaleout.
#include <filesystem>
#include <string>
#include <vector>

#include "cluster/cluster_log.h"

namespace scaleout::cluster {

// What both roles take from the command line; every field has a working default.
struct SecurityOptions {
  bool insecure = false;          // no CURVE at all (--insecure)
  std::string configDir;          // empty: $XDG_CONFIG_HOME/scaleout or ~/.config/scaleout
  std::string authorizedWorkers;  // master: allow-list file; empty: CONFIG/curve/authorized_workers
  std::string clusterSecretFile;  // both: derive the shared worker key from this file (--cluster-secret)
  std::string masterKey;          // worker: Z85 key or a file holding one (--master-key); empty: ZooKeeper's,
                                  // else CONFIG/curve/master.pub
};

struct CurveKeyPair {
  std::string publicKey;  // Z85, 40 characters
  std::string secretKey;
};

// A public key the master's ZAP handler accepts, and why (for log lines).
struct AuthorizedKey {
  std::string publicKey;
  std::string origin;  // e.g. "authorized_workers line 3 (alice-laptop)"
};

// Everything a secure master needs: its key pair and the keys it lets in.
struct MasterCurve {
  CurveKeyPair server;
  std::string serverKeyFile;
  std::string allowListFile;  // re-read by the ZAP handler when it changes
  std::vector<AuthorizedKey> accepted;
};

// Everything a secure worker needs; masterKey may stay empty until ZooKeeper names it.
struct WorkerCurve {
  CurveKeyPair client;
  std::string clientOrigin;  // "worker.key in DIR" or "--cluster-secret FILE"
  std::string masterKey;
  std::string masterKeyOrigin;
  bool masterKeyPinned = false;  // given with --master-key: ZooKeeper must agree
};

std::filesystem::path defaultConfigDir();
std::filesystem::path curveDir(const SecurityOptions& options);

bool isZ85Key(const std::string& text);
// A CURVE public key (Z85, 40 characters) in a log line: its first 8 characters and "…",
// enough to tell keys apart and to find one in a .pub file, without 40 characters of noise.
std::string keyFingerprint(const std::string& z85Key);
CurveKeyPair newKeyPair();
std::string publicKeyOf(const std::string& secretZ85);  // throws ScaleoutError on a bad key

// Loads DIR/NAME.key (and rewrites NAME.pub if missing or stale); creates both on first
// use (directory 0700, secret 0600), safely when several processes start at once.
// Refuses a secret key file that others may read. Throws ScaleoutError.
CurveKeyPair loadOrCreateKeyPair(const std::filesystem::path& dir, const std::string& name, const LogFn& log);

// The worker key pair every holder of the same secret file derives:
// secret = SHA-256("scaleout-cluster-secret-v1" || file bytes, trailing whitespace trimmed).
CurveKeyPair keyPairFromClusterSecret(const std::filesystem::path& secretFile);

// More keys from the same secret, each with its own context string (so none reveals another):
// the ZooKeeper digest identity "scaleout:HEX" used when --zk-auth is not given, so one
// secret file protects ZooKeeper too; and the 32-byte key with which a master proves, in
// its ZooKeeper node, that it holds the secret (master_trust.h).
std::string zkAuthFromClusterSecret(const std::filesystem::path& secretFile);
std::string masterProofKeyFromClusterSecret(const std::filesystem::path& secretFile);
// The ZooKeeper digest auth to use: --zk-auth if given, else the one derived from
// --cluster-secret (CURVE on), else none. Throws ScaleoutError for an unusable secret file.
std::string effectiveZkAuth(const std::string& zkAuth, const SecurityOptions& options);

// --master-key: a Z85 key, or a file whose first non-comment line is one.
std::string readPublicKeyArgument(const std::string& keyOrFile, std::string& origin);

struct AllowList {
  std::vector<AuthorizedKey> keys;
  std::vector<std::string> problems;  // "FILE line N: ..." for each bad line
};
// One key per line: the first word is the Z85 key, the rest an optional label; blank lines
// and lines whose first non-blank character is '#' are skipped ('#' is also a Z85 digit,
// so a comment cannot follow a key on the same line).
AllowList parseAllowList(const std::string& text, const std::string& sourceName);
AllowList readAllowList(const std::filesystem::path& file);  // a missing file is an empty list

// --zk-auth: "user:password", or "@FILE" whose first line is that (FILE mode 0600).
std::string readZkAuthArgument(const std::string& argument);

// Throw ScaleoutError naming the file and every problem found.
MasterCurve resolveMasterCurve(const SecurityOptions& options, const LogFn& log);
WorkerCurve resolveWorkerCurve(const SecurityOptions& options, bool masterKeyFromZooKeeper, const LogFn& log);

}  // namespace scaleout::cluster
