#include "cluster/security.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <zmq.h>

#include "util/error.h"

namespace scaleout::cluster {
namespace fs = std::filesystem;

namespace {

constexpr size_t kZ85KeyChars = 40;
constexpr size_t kMinSecretBytes = 16;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string readSmallFile(const fs::path& path, size_t limit = 1 << 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScaleoutError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::string text;
  text.resize(limit + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > limit) throw ScaleoutError(path.string() + " is larger than " + std::to_string(limit) + " bytes");
  return text;
}

// Secrets must not be readable by others (ssh refuses such keys for the same reason).
void checkPrivate(const fs::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) throw ScaleoutError("cannot stat " + path.string() + ": " + std::strerror(errno));
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    throw ScaleoutError(path.string() + " holds a secret but has mode " + mode +
                        " (group or others may read it); run: chmod 600 " + path.string());
  }
}

// Writes `text` to `path` through a temporary file. exclusive: link() so that the first
// of several processes creating it at once wins (returns false if `path` exists).
bool writeFileAtomically(const fs::path& path, const std::string& text, mode_t mode, bool exclusive) {
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw ScaleoutError("cannot create " + tmp.string() + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    throw ScaleoutError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  if (exclusive) {
    const int rc = ::link(tmp.c_str(), path.c_str());
    const int err = errno;
    ::unlink(tmp.c_str());
    if (rc == 0) return true;
    if (err == EEXIST) return false;
    throw ScaleoutError("cannot create " + path.string() + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw ScaleoutError("cannot write " + path.string() + ": " + std::strerror(err));
  }
  return true;
}

// The first line that is neither blank nor a '#' comment.
std::string firstKeyLine(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    return t.substr(0, t.find_first_of(" \t"));
  }
  return "";
}

void ensureDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ScaleoutError("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);  // best effort: keys inside are 0600 anyway
}

}  // namespace

fs::path defaultConfigDir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg && fs::path(xdg).is_absolute()) return fs::path(xdg) / "scaleout";
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw ScaleoutError("neither XDG_CONFIG_HOME nor HOME is set: cannot find the CURVE key directory");
  return fs::path(home) / ".config" / "scaleout";
}

fs::path curveDir(const SecurityOptions& options) {
  return (options.configDir.empty() ? defaultConfigDir() : fs::path(options.configDir)) / "curve";
}

std::string keyFingerprint(const std::string& z85Key) {
  constexpr size_t kShown = 8;
  return z85Key.size() <= kShown ? z85Key : z85Key.substr(0, kShown) + "…";
}

bool isZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyChars) return false;
  uint8_t raw[32];
  return zmq_z85_decode(raw, text.c_str()) != nullptr;
}

CurveKeyPair newKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw ScaleoutError(std::string("cannot create a CURVE key pair: ") + zmq_strerror(zmq_errno()) +
                        " (is libzmq built with CURVE?)");
  return {pub, sec};
}

std::string publicKeyOf(const std::string& secretZ85) {
  if (!isZ85Key(secretZ85)) throw ScaleoutError("not a Z85 CURVE key (40 characters of the Z85 alphabet)");
  char pub[41];
  if (zmq_curve_public(pub, secretZ85.c_str()) != 0) throw ScaleoutError("cannot derive the CURVE public key");
  return pub;
}

CurveKeyPair loadOrCreateKeyPair(const fs::path& dir, const std::string& name, const LogFn& log) {
  const fs::path secretPath = dir / (name + ".key");
  const fs::path publicPath = dir / (name + ".pub");
  if (!fs::exists(secretPath)) {
    ensureDir(dir);
    const CurveKeyPair fresh = newKeyPair();
    const std::string text = "# Scaleout CURVE secret key (Z85); keep it private. Public key: " + name + ".pub\n" +
                             fresh.secretKey + "\n";
    if (writeFileAtomically(secretPath, text, 0600, true) && log)
      log("created the CURVE key pair " + secretPath.string() + " (public key " + fresh.publicKey + ")");
  }
  checkPrivate(secretPath);
  CurveKeyPair keys;
  keys.secretKey = firstKeyLine(readSmallFile(secretPath, 4096));
  if (!isZ85Key(keys.secretKey))
    throw ScaleoutError(secretPath.string() + " does not hold a Z85 CURVE secret key (40 characters); "
                        "move it away to have a new key pair created");
  keys.publicKey = publicKeyOf(keys.secretKey);
  std::string published;
  if (fs::exists(publicPath)) published = firstKeyLine(readSmallFile(publicPath, 4096));
  if (published != keys.publicKey) {
    if (!published.empty() && log) log(publicPath.string() + " did not match " + secretPath.string() + "; rewritten");
    writeFileAtomically(publicPath, keys.publicKey + "\n", 0644, false);
  }
  return keys;
}

namespace {

// SHA-256(context || secret file bytes, trailing whitespace trimmed): a fixed prefix per use
// separates the keys derived from one file.
std::string deriveFromClusterSecret(const fs::path& secretFile, const std::string& context) {
  checkPrivate(secretFile);
  std::string secret = readSmallFile(secretFile);
  while (!secret.empty() && std::strchr(" \t\r\n", secret.back())) secret.pop_back();
  if (secret.size() < kMinSecretBytes)
    throw ScaleoutError("the cluster secret in " + secretFile.string() + " has " + std::to_string(secret.size()) +
                        " bytes; use at least " + std::to_string(kMinSecretBytes) +
                        " random ones (e.g. head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE)");
  if (sodium_init() < 0) throw ScaleoutError("libsodium failed to initialise");
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(context.data()), context.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256_final(&st, reinterpret_cast<unsigned char*>(digest.data()));
  sodium_memzero(secret.data(), secret.size());
  return digest;
}

}  // namespace

CurveKeyPair keyPairFromClusterSecret(const fs::path& secretFile) {
  std::string digest = deriveFromClusterSecret(secretFile, "scaleout-cluster-secret-v1");
  char z85[41];
  zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(digest.data()), digest.size());
  sodium_memzero(digest.data(), digest.size());
  CurveKeyPair keys;
  keys.secretKey = z85;
  keys.publicKey = publicKeyOf(keys.secretKey);
  return keys;
}

std::string zkAuthFromClusterSecret(const fs::path& secretFile) {
  std::string digest = deriveFromClusterSecret(secretFile, "scaleout-zookeeper-digest-v1");
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, reinterpret_cast<const unsigned char*>(digest.data()), digest.size());
  sodium_memzero(digest.data(), digest.size());
  return std::string("scaleout:") + hex;
}

std::string masterProofKeyFromClusterSecret(const fs::path& secretFile) {
  return deriveFromClusterSecret(secretFile, "scaleout-master-proof-v1");
}

std::string effectiveZkAuth(const std::string& zkAuth, const SecurityOptions& options) {
  if (!zkAuth.empty()) return zkAuth;
  if (options.insecure || options.clusterSecretFile.empty()) return "";
  return zkAuthFromClusterSecret(options.clusterSecretFile);
}

std::string readPublicKeyArgument(const std::string& keyOrFile, std::string& origin) {
  if (isZ85Key(keyOrFile)) {
    origin = "--master-key";
    return keyOrFile;
  }
  if (!fs::exists(keyOrFile))
    throw ScaleoutError("--master-key '" + keyOrFile + "' is neither a Z85 key (40 characters) nor an existing file");
  const std::string key = firstKeyLine(readSmallFile(keyOrFile, 4096));
  if (!isZ85Key(key)) throw ScaleoutError(keyOrFile + " does not hold a Z85 CURVE public key (40 characters) on its first line");
  origin = keyOrFile;
  return key;
}

AllowList parseAllowList(const std::string& text, const std::string& sourceName) {
  AllowList list;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto split = t.find_first_of(" \t");
    const std::string key = t.substr(0, split);
    const std::string label = split == std::string::npos ? "" : trim(t.substr(split));
    const std::string where = sourceName + " line " + std::to_string(number);
    if (key.size() != kZ85KeyChars) {
      list.problems.push_back(where + ": '" + key + "' has " + std::to_string(key.size()) +
                              " characters; a Z85 CURVE public key has 40");
      continue;
    }
    if (!isZ85Key(key)) {
      list.problems.push_back(where + ": '" + key + "' has characters outside the Z85 alphabet");
      continue;
    }
    list.keys.push_back({key, where + (label.empty() ? "" : " (" + label + ")")});
  }
  return list;
}

AllowList readAllowList(const fs::path& file) {
  if (!fs::exists(file)) return {};
  return parseAllowList(readSmallFile(file), file.string());
}

std::string readZkAuthArgument(const std::string& argument) {
  std::string auth = argument, origin = "--zk-auth";
  if (!argument.empty() && argument[0] == '@') {
    const fs::path file = argument.substr(1);
    if (!fs::exists(file)) throw ScaleoutError("--zk-auth " + argument + ": " + file.string() + " does not exist");
    checkPrivate(file);
    std::istringstream in(readSmallFile(file, 4096));
    std::getline(in, auth);
    auth = trim(auth);
    origin = file.string();
  }
  const auto colon = auth.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == auth.size())
    throw ScaleoutError(origin + ": ZooKeeper digest auth must look like user:password (both non-empty)");
  return auth;
}

MasterCurve resolveMasterCurve(const SecurityOptions& options, const LogFn& log) {
  const fs::path dir = curveDir(options);
  MasterCurve m;
  m.server = loadOrCreateKeyPair(dir, "master", log);
  m.serverKeyFile = (dir / "master.key").string();
  const fs::path allowPath = options.authorizedWorkers.empty() ? dir / "authorized_workers" : fs::path(options.authorizedWorkers);
  if (!options.authorizedWorkers.empty() && !fs::exists(allowPath))
    throw ScaleoutError("the allow-list " + allowPath.string() + " (--authorized-workers) does not exist");
  m.allowListFile = allowPath.string();
  AllowList list = readAllowList(allowPath);
  if (!list.problems.empty()) {
    std::string text = "the allow-list of worker keys has bad lines (fix or remove them; no key was trusted):";
    for (const auto& p : list.problems) text += "\n  " + p;
    throw ScaleoutError(text);
  }
  m.accepted = std::move(list.keys);
  // The same user's own worker key: on one machine and user, no extra flags. Creating it
  // here means a worker started later by this user finds the key this master accepts.
  const CurveKeyPair own = loadOrCreateKeyPair(dir, "worker", log);
  m.accepted.push_back({own.publicKey, "this user's " + (dir / "worker.pub").string()});
  if (!options.clusterSecretFile.empty()) {
    const CurveKeyPair shared = keyPairFromClusterSecret(options.clusterSecretFile);
    m.accepted.push_back({shared.publicKey, "--cluster-secret " + options.clusterSecretFile});
  }
  return m;
}

WorkerCurve resolveWorkerCurve(const SecurityOptions& options, bool masterKeyFromZooKeeper, const LogFn& log) {
  const fs::path dir = curveDir(options);
  WorkerCurve w;
  if (!options.clusterSecretFile.empty()) {
    w.client = keyPairFromClusterSecret(options.clusterSecretFile);
    w.clientOrigin = "--cluster-secret " + options.clusterSecretFile;
  } else {
    w.client = loadOrCreateKeyPair(dir, "worker", log);
    w.clientOrigin = (dir / "worker.key").string();
  }
  if (!options.masterKey.empty()) {
    w.masterKey = readPublicKeyArgument(options.masterKey, w.masterKeyOrigin);
    w.masterKeyPinned = true;
  } else if (!masterKeyFromZooKeeper) {
    const fs::path pub = dir / "master.pub";
    if (!fs::exists(pub))
      throw ScaleoutError("no master key: give --master-key Z85|FILE (the master's " + std::string("master.pub") +
                          "), or use --zk so ZooKeeper names it; " + pub.string() + " does not exist");
    w.masterKey = readPublicKeyArgument(pub.string(), w.masterKeyOrigin);
  }
  return w;
}

}  // namespace scaleout::cluster
