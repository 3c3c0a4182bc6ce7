#include "cluster/zk_registry.h"

#include "cluster/security.h"

// The synchronous zoo_* calls are only declared for the multi-threaded client.
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace scaleout::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// ---- the client library's own log lines (one per connection attempt while a server is
// down: "ZOO_ERROR@handle_socket_error_msg..."). They are debug detail: they go to the
// registry's clientLog, never to its user-facing log. The library's log callback has no
// context, so the sink is process-wide: the registry created last owns it.

std::mutex gLogMutex;
LogFn gClientSink;
const void* gLogOwner = nullptr;

bool clientLogOnStderr() {
  const char* v = std::getenv("SCALEOUT_ZK_CLIENT_LOG");
  return v && *v && std::strcmp(v, "0") != 0;
}

void zooLog(const char* message) {
  std::string line = message ? message : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  std::lock_guard lock(gLogMutex);
  if (gClientSink) gClientSink("zookeeper client: " + line);
  else if (clientLogOnStderr()) std::fprintf(stderr, "zookeeper client: %s\n", line.c_str());
}

std::string rcText(int rc) { return std::string(zerror(rc)) + " (" + std::to_string(rc) + ")"; }

bool transient(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE ||
         rc == ZSESSIONMOVED || rc == ZCLOSING;
}

// ---- is a ZooKeeper host answering at all? A client stuck connecting to a host that
// accepts TCP is being refused a session, not cut off from the network.

struct HostPort {
  std::string host, port;
};

// "h1:2181,[::1]:2182/chroot" -> {h1,2181}, {::1,2182}; entries without a port are skipped.
std::vector<HostPort> parseHosts(const std::string& hosts) {
  std::vector<HostPort> out;
  const std::string list = hosts.substr(0, hosts.find('/'));
  size_t begin = 0;
  while (begin <= list.size()) {
    const size_t end = std::min(list.find(',', begin), list.size());
    const std::string entry = list.substr(begin, end - begin);
    const size_t colon = entry.rfind(':');
    if (colon != std::string::npos && colon > 0 && colon + 1 < entry.size()) {
      std::string host = entry.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      out.push_back({host, entry.substr(colon + 1)});
    }
    begin = end + 1;
  }
  return out;
}

// One non-blocking connect per address, bounded by `timeout` each.
bool tcpAnswers(const HostPort& hp, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found) != 0) return false;
  bool ok = false;
  for (addrinfo* a = found; a && !ok; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      ok = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
    ::close(fd);
  }
  freeaddrinfo(found);
  return ok;
}

// Why zookeeper_init could not create a client for `hosts`. The library only leaves errno
// behind (ENOENT for a host that does not resolve, which reads "No such file or
// directory"), so resolve each host again here, on the registry's thread.
std::string whyNoClient(const std::vector<HostPort>& list, int savedErrno) {
  if (list.empty()) return "not a connect string (expected HOST:PORT[,HOST:PORT...])";
  for (const HostPort& hp : list) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found);
    if (found) freeaddrinfo(found);
    if (rc == EAI_NONAME) return "host '" + hp.host + "' not found";
    if (rc == EAI_SERVICE) return "port '" + hp.port + "' of host '" + hp.host + "' is not a port number";
    if (rc != 0) return "cannot look up host '" + hp.host + "': " + gai_strerror(rc);
  }
  return std::strerror(savedErrno);
}

// The other master's node in one short phrase: no 40-character keys, no proof.
std::string describeMasterNode(const std::string& data) {
  const auto j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return data.size() > 80 ? data.substr(0, 80) + "…" : data;
  auto text = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string(); };
  std::string out = text("endpoint").empty() ? "no endpoint" : text("endpoint");
  if (!text("host").empty()) out += " on " + text("host");
  if (j.contains("pid") && j["pid"].is_number_integer()) out += " pid " + std::to_string(j["pid"].get<long long>());
  out += text("publicKey").empty() ? std::string(", insecure") : ", key " + keyFingerprint(text("publicKey"));
  return out;
}

}  // namespace

std::string clusterRoot(const std::string& clusterName) { return "/scaleout/" + clusterName; }

struct ZkRegistry::Impl {
  struct Event {
    int type = 0, state = 0;
    std::string path;
  };

  ZkRegistryOptions options;
  std::string masterPath, workersPath;
  // creator-ALL + world-READ (used when options.auth is set)
  struct ACL protectedEntries[2] = {{ZOO_PERM_ALL, ZOO_AUTH_IDS}, {ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE}};
  struct ACL_vector protectedAcl = {2, protectedEntries};
  bool rootAclChecked = false;
  Clock::time_point lastRequestLog;
  std::string lastRequestError;
  zhandle_t* zh = nullptr;  // registry thread only (and the destructor after joining it)

  mutable std::mutex mutex;
  std::condition_variable cv;
  std::deque<Event> events;
  bool stop = false;
  bool isConnected = false;
  int negotiatedMs = 0;
  std::optional<nlohmann::json> wantMaster;
  std::optional<std::pair<std::string, nlohmann::json>> wantWorker;
  std::function<void(std::optional<nlohmann::json>)> onMaster;
  std::function<void(const std::vector<nlohmann::json>&)> onWorkers;
  bool needSync = true;

  // registry thread only
  std::string workerNode;  // our sequential node's path
  bool masterRegistered = false;
  bool reportedOtherMaster = false;
  bool everRegistered = false;  // this registry held ROOT/master at some point
  bool everConnected = false;
  Clock::time_point disconnectedSince = Clock::now();
  Clock::time_point nextUnreachableLog;
  double openBackoff = 1;          // seconds until the next zookeeper_init after one failed
  Clock::time_point nextOpen{};
  // A server that answers but gives us no session. After losing its data ZooKeeper refuses
  // every client that has seen a newer zxid than its own, and the C client then retries for
  // ever in CONNECTING without reporting expiry; only a new handle gets a session.
  std::vector<HostPort> hostList;
  Clock::time_point nextProbe{};
  Clock::time_point answeringSince{};  // {}: no host answered at the last probe
  std::string answeringHost;
  Clock::time_point nextRenewal{};
  int renewalBackoffS = 5;
  bool renewalLogged = false;  // the reason is said once per outage
  bool unreachableLogged = false;  // "unreachable ... retrying" is said once per outage
  std::string lastOpenFailure;     // a client that cannot be created: said once per reason
  std::thread thread;

  static void watcher(zhandle_t*, int type, int state, const char* path, void* context) {
    // Runs on the client's completion thread: queue the event and return at once.
    auto* self = static_cast<Impl*>(context);
    {
      std::lock_guard lock(self->mutex);
      self->events.push_back({type, state, path ? path : ""});
    }
    self->cv.notify_all();
  }

  void log(const std::string& line) {
    if (options.log) options.log(line);
  }

  static void authDone(int rc, const void* context) {
    // Completion thread: only a log line.
    auto* self = static_cast<Impl*>(const_cast<void*>(context));
    if (rc != ZOK) self->log("ZooKeeper refused the digest authentication (--zk-auth): " + rcText(rc));
  }

  void openHandle() {
    errno = 0;
    zh = zookeeper_init2(options.hosts.c_str(), &Impl::watcher, options.sessionTimeoutMs, nullptr, this, 0, &zooLog);
    if (!zh) {
      // A host that does not resolve fails here, before any connection; DNS or the
      // network may come back, so try again with backoff instead of giving up. The
      // reason is said once; the same failure again adds nothing.
      const std::string why = whyNoClient(hostList, errno);
      if (why != lastOpenFailure)
        log(kCannotStartClient + options.hosts + "': " + why + "; retrying in the background with backoff");
      lastOpenFailure = why;
      nextOpen = Clock::now() + std::chrono::seconds(static_cast<int>(openBackoff));
      openBackoff = std::min(60.0, openBackoff * 2);
      return;
    }
    lastOpenFailure.clear();
    openBackoff = 1;
    rootAclChecked = false;
    // Added before the session is up, the credentials go out first thing on connecting, and
    // the client sends them again after every reconnect of this session; a new session
    // (after expiry) gets a new handle and comes through here again.
    if (!options.auth.empty()) {
      const int rc = zoo_add_auth(zh, "digest", options.auth.data(), static_cast<int>(options.auth.size()), &Impl::authDone, this);
      if (rc != ZOK) log("cannot add the ZooKeeper digest authentication: " + rcText(rc));
    }
  }

  const struct ACL_vector* acl() { return options.auth.empty() ? &ZOO_OPEN_ACL_UNSAFE : &protectedAcl; }

  // Once per session: a ROOT created earlier without --zk-auth stays writable by anyone.
  void checkRootAcl() {
    if (options.auth.empty() || rootAclChecked) return;
    struct ACL_vector current{};
    struct Stat stat{};
    if (zoo_get_acl(zh, options.root.c_str(), &current, &stat) != ZOK) return;
    rootAclChecked = true;
    bool open = false;
    for (int i = 0; i < current.count; ++i)
      if (std::strcmp(current.data[i].id.scheme, "world") == 0 && (current.data[i].perms & ~ZOO_PERM_READ)) open = true;
    deallocate_ACL_vector(&current);
    if (open)
      log("ZooKeeper node " + options.root + " was created without --zk-auth: anyone may change or delete it. "
          "While no run uses the cluster, remove it (zkCli.sh deleteall " + options.root + ") to have it re-created protected");
  }

  void closeHandle() {
    if (zh) zookeeper_close(zh);  // from our thread, never from a callback
    zh = nullptr;
  }

  // A new session: its registrations are made again and its watches armed on connecting.
  void startNewSession() {
    closeHandle();
    {
      std::lock_guard lock(mutex);
      events.clear();  // the old handle's (its threads are gone after zookeeper_close)
      needSync = true;
    }
    workerNode.clear();
    masterRegistered = false;
    openHandle();
  }

  int sessionTimeoutMs() const {
    std::lock_guard lock(mutex);
    return negotiatedMs > 0 ? negotiatedMs : options.sessionTimeoutMs;
  }

  // At most once a second while we have no session: does any host accept TCP?
  void probeHosts() {
    const auto now = Clock::now();
    if (now < nextProbe) return;
    nextProbe = now + std::chrono::seconds(1);
    for (const HostPort& hp : hostList) {
      if (!tcpAnswers(hp, std::chrono::milliseconds(500))) continue;
      if (answeringSince == Clock::time_point{}) answeringSince = now;
      answeringHost = hp.host + ":" + hp.port;
      return;
    }
    answeringSince = {};
  }

  // A server that restarts with its data restores our session and takes the client's next
  // attempt, well within one timeout of answering again; one that has answered for longer
  // without giving the session back will not (and the session is dead there anyway).
  // nextRenewal gives each new handle at least a timeout of its own, and backs off.
  bool sessionRefused() const {
    if (!zh || answeringSince == Clock::time_point{}) return false;
    if (zoo_state(zh) == ZOO_AUTH_FAILED_STATE) return false;  // a new session would fail alike
    const auto now = Clock::now();
    return now - answeringSince > std::chrono::milliseconds(sessionTimeoutMs()) && now >= nextRenewal;
  }

  void renewRefusedSession() {
    // A handle that never had a session has seen no zxid, so lost data cannot be the reason.
    if (!renewalLogged && sessionId() != 0)
      log("ZooKeeper at " + answeringHost + " answers but refuses this session (it has lost its data?); starting a new session");
    else if (!renewalLogged)
      log("ZooKeeper at " + answeringHost + " accepts connections but gives no session within " +
          std::to_string(sessionTimeoutMs()) + " ms (is it a ZooKeeper server, and serving?); starting a new session");
    else
      log("ZooKeeper at " + answeringHost + " still gives no session; starting another (next try in " +
          std::to_string(std::max(renewalBackoffS, sessionTimeoutMs() / 1000)) + " s at the earliest)");
    renewalLogged = true;
    startNewSession();
    const auto wait = std::max(std::chrono::milliseconds(sessionTimeoutMs()), std::chrono::milliseconds(renewalBackoffS * 1000));
    nextRenewal = Clock::now() + wait;
    renewalBackoffS = std::min(60, renewalBackoffS * 2);
  }

  void setConnected(bool c) {
    {
      std::lock_guard lock(mutex);
      isConnected = c;
      negotiatedMs = c && zh ? zoo_recv_timeout(zh) : negotiatedMs;
    }
    cv.notify_all();
  }

  int64_t sessionId() const {
    const clientid_t* id = zh ? zoo_client_id(zh) : nullptr;
    return id ? id->client_id : 0;
  }

  // Persistent parents; ZNODEEXISTS means another client (or our retried request) won.
  // The top node (/scaleout) is shared by every cluster and stays open; ROOT and below get acl().
  int ensurePath(const std::string& path) {
    for (size_t pos = 1; pos <= path.size(); ++pos) {
      if (pos != path.size() && path[pos] != '/') continue;
      const std::string prefix = path.substr(0, pos);
      const bool shared = prefix.size() < options.root.size();
      // Look first: under a protected root a client without the credentials may read but
      // not create, and a create of an existing node would then fail with ZNOAUTH.
      struct Stat stat{};
      int rc = zoo_exists(zh, prefix.c_str(), 0, &stat);
      if (rc == ZOK) continue;
      if (rc != ZNONODE) return rc;
      rc = zoo_create(zh, prefix.c_str(), nullptr, -1, shared ? &ZOO_OPEN_ACL_UNSAFE : acl(), ZOO_PERSISTENT, nullptr, 0);
      if (rc != ZOK && rc != ZNODEEXISTS) return rc;
    }
    return ZOK;
  }

  int registerMaster(const nlohmann::json& info) {
    const std::string data = info.dump();
    int rc = zoo_create(zh, masterPath.c_str(), data.data(), static_cast<int>(data.size()), acl(), ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZOK) {
      if (!masterRegistered) log("registered this master at " + masterPath);
      masterRegistered = everRegistered = true;
      reportedOtherMaster = false;
      return ZOK;
    }
    if (rc != ZNODEEXISTS) return rc;
    struct Stat stat{};
    rc = zoo_exists(zh, masterPath.c_str(), 0, &stat);
    if (rc == ZNONODE) return ZCONNECTIONLOSS;  // vanished meanwhile: try again on the next pass
    if (rc != ZOK) return rc;
    if (stat.ephemeralOwner == sessionId()) {
      // Ours: registered before, or an earlier create that reported CONNECTIONLOSS had
      // succeeded. Write only what differs: this registry watches the node too, and a
      // write on every pass fired that watch, which started the next pass (thousands of
      // requests a second, half of ZooKeeper's core, once any other event had begun it).
      char buf[64 * 1024];
      int len = sizeof buf;
      rc = zoo_get(zh, masterPath.c_str(), 0, buf, &len, nullptr);
      if (rc != ZOK) return rc;
      if (len != static_cast<int>(data.size()) || std::memcmp(buf, data.data(), data.size()) != 0)
        rc = zoo_set(zh, masterPath.c_str(), data.data(), static_cast<int>(data.size()), -1);
      if (rc == ZOK) masterRegistered = true;
      return rc;
    }
    if (!reportedOtherMaster) {
      char buf[4096];
      int len = sizeof buf;
      std::string other;
      if (zoo_get(zh, masterPath.c_str(), 0, buf, &len, nullptr) == ZOK && len > 0) other.assign(buf, static_cast<size_t>(len));
      // Having held the node, losing it to another writer is a takeover, not a queue.
      other = describeMasterNode(other);
      if (everRegistered)
        log("ALARM: another master took " + masterPath + " from this one (" + other +
            "); workers that trust it may leave this run. This master registers again when it leaves; check who wrote "
            "the node, and protect the cluster with --cluster-secret or --zk-auth");
      else
        log("another master holds " + masterPath + " (" + other + "); this one registers when it leaves");
      reportedOtherMaster = true;
    }
    masterRegistered = false;
    return ZOK;  // the watch on the master node brings us back when it is deleted
  }

  int registerWorker(const std::string& id, const nlohmann::json& info) {
    const std::string prefix = "worker-" + id + "-";
    const int64_t me = sessionId();
    auto ours = [&](const std::string& path) {
      struct Stat stat{};
      return zoo_exists(zh, path.c_str(), 0, &stat) == ZOK && stat.ephemeralOwner == me;
    };
    if (!workerNode.empty() && ours(workerNode)) return ZOK;
    workerNode.clear();
    // A create that reported CONNECTIONLOSS may have succeeded: look for it by name first.
    struct String_vector children{};
    int rc = zoo_get_children(zh, workersPath.c_str(), 0, &children);
    if (rc != ZOK) return rc;
    for (int i = 0; i < children.count; ++i) {
      const std::string child = children.data[i];
      if (child.rfind(prefix, 0) == 0 && ours(workersPath + "/" + child)) workerNode = workersPath + "/" + child;
    }
    deallocate_String_vector(&children);
    if (!workerNode.empty()) return ZOK;
    const std::string data = info.dump();
    char created[512];
    rc = zoo_create(zh, (workersPath + "/" + prefix).c_str(), data.data(), static_cast<int>(data.size()), acl(),
                    ZOO_EPHEMERAL_SEQUENTIAL, created, sizeof created);
    if (rc != ZOK) return rc;
    workerNode = created;
    log("registered this worker at " + workerNode);
    return ZOK;
  }

  // Reads the master node and re-arms its watch (data watch if it exists, exists watch if not).
  int readMaster(std::optional<nlohmann::json>& out) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::vector<char> buf(64 * 1024);
      int len = static_cast<int>(buf.size());
      struct Stat stat{};
      int rc = zoo_wget(zh, masterPath.c_str(), &Impl::watcher, this, buf.data(), &len, &stat);
      if (rc == ZOK) {
        out = nlohmann::json::parse(std::string(buf.data(), len > 0 ? static_cast<size_t>(len) : 0), nullptr, false);
        if (out->is_discarded()) out = nlohmann::json::object();
        return ZOK;
      }
      if (rc != ZNONODE) return rc;
      rc = zoo_wexists(zh, masterPath.c_str(), &Impl::watcher, this, &stat);
      if (rc == ZNONODE) {
        out.reset();
        return ZOK;
      }
      if (rc != ZOK) return rc;  // ZOK: created meanwhile; read it again
    }
    return ZCONNECTIONLOSS;
  }

  int readWorkers(std::vector<nlohmann::json>& out) {
    struct String_vector children{};
    int rc = zoo_wget_children(zh, workersPath.c_str(), &Impl::watcher, this, &children);
    if (rc != ZOK) return rc;
    for (int i = 0; i < children.count; ++i) {
      std::vector<char> buf(64 * 1024);
      int len = static_cast<int>(buf.size());
      if (zoo_get(zh, (workersPath + "/" + children.data[i]).c_str(), 0, buf.data(), &len, nullptr) != ZOK) continue;
      auto j = nlohmann::json::parse(std::string(buf.data(), len > 0 ? static_cast<size_t>(len) : 0), nullptr, false);
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    deallocate_String_vector(&children);
    return ZOK;
  }

  // Retried every second: say it when it changes, else every 30 s.
  void logRequestError(int rc) {
    std::string text = "ZooKeeper request under " + options.root + " failed: " + rcText(rc);
    if (rc == ZNOAUTH)
      text += options.auth.empty() ? ": the cluster's nodes are protected; give the cluster's --zk-auth"
                                   : ": the cluster's nodes belong to another --zk-auth identity";
    const auto now = Clock::now();
    if (text != lastRequestError || now - lastRequestLog > std::chrono::seconds(30)) {
      log(text + "; will retry");
      lastRequestError = text;
      lastRequestLog = now;
    }
  }

  // Brings ZooKeeper in line with what we want; safe to repeat. Returns false to retry.
  bool sync() {
    std::optional<nlohmann::json> master;
    std::optional<std::pair<std::string, nlohmann::json>> worker;
    std::function<void(std::optional<nlohmann::json>)> masterCb;
    std::function<void(const std::vector<nlohmann::json>&)> workersCb;
    {
      std::lock_guard lock(mutex);
      master = wantMaster;
      worker = wantWorker;
      masterCb = onMaster;
      workersCb = onWorkers;
    }
    int rc = ensurePath(workersPath);
    if (rc == ZOK) checkRootAcl();
    if (rc == ZOK && master) rc = registerMaster(*master);
    if (rc == ZOK && worker) {
      rc = registerWorker(worker->first, worker->second);
      // A protected cluster without our credentials: unlisted, but the master can still be
      // found (CURVE decides who may train); registering is tried again on reconnect.
      if (rc == ZNOAUTH) {
        logRequestError(rc);
        rc = ZOK;
      }
    }
    std::optional<nlohmann::json> current;
    if (rc == ZOK && (masterCb || master)) rc = readMaster(current);  // also re-arms the watch
    std::vector<nlohmann::json> workers;
    if (rc == ZOK && workersCb) rc = readWorkers(workers);
    if (rc != ZOK) {
      if (!transient(rc)) logRequestError(rc);
      return false;
    }
    if (master && !masterRegistered && !current) return false;  // the other master left: register now
    if (masterCb) masterCb(current);
    if (workersCb) workersCb(workers);
    return true;
  }

  void handle(const Event& e) {
    if (e.type == ZOO_SESSION_EVENT) {
      if (e.state == ZOO_CONNECTED_STATE) {
        setConnected(true);
        log(std::string(everConnected ? "reconnected to" : "connected to") + " ZooKeeper at " + options.hosts +
            " (session timeout " + std::to_string(zoo_recv_timeout(zh)) + " ms)");
        everConnected = true;
        answeringSince = {};
        renewalBackoffS = 5;
        renewalLogged = false;
        unreachableLogged = false;
        std::lock_guard lock(mutex);
        needSync = true;  // re-register and re-arm watches after every (re)connect
      } else if (e.state == ZOO_EXPIRED_SESSION_STATE) {
        setConnected(false);
        log("ZooKeeper session expired; starting a new one and registering again");
        disconnectedSince = Clock::now();
        startNewSession();
      } else if (e.state == ZOO_CONNECTING_STATE || e.state == ZOO_ASSOCIATING_STATE) {
        bool was;
        {
          std::lock_guard lock(mutex);
          was = isConnected;
        }
        if (was) {
          setConnected(false);
          disconnectedSince = Clock::now();
          nextUnreachableLog = disconnectedSince + std::chrono::seconds(5);
          // A server being killed may still accept for a moment: a probe then would start the
          // window of a refused session before the server has even come back.
          nextProbe = disconnectedSince + std::chrono::seconds(1);
          log("lost the connection to ZooKeeper at " + options.hosts + "; retrying (connected workers keep training)");
        }
      } else if (e.state == ZOO_AUTH_FAILED_STATE) {
        log("ZooKeeper refused this client's authentication");
      }
      return;
    }
    // A node event: the watch is spent, so read again (which re-arms it).
    std::lock_guard lock(mutex);
    needSync = true;
  }

  void loop() {
    openHandle();
    nextUnreachableLog = Clock::now() + std::chrono::milliseconds(options.sessionTimeoutMs);
    for (;;) {
      std::deque<Event> batch;
      bool doSync = false;
      {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::seconds(1), [this] { return stop || !events.empty(); });
        if (stop) return;
        batch.swap(events);
      }
      for (const Event& e : batch) handle(e);
      if (!zh && Clock::now() >= nextOpen) openHandle();
      bool connectedNow;
      {
        std::lock_guard lock(mutex);
        connectedNow = isConnected;
        doSync = needSync && connectedNow;
        if (doSync) needSync = false;  // cleared before the pass: a request arriving meanwhile sets it again
      }
      if (doSync) {
        const bool ok = zh && zoo_state(zh) == ZOO_CONNECTED_STATE && sync();
        if (!ok) {
          std::lock_guard lock(mutex);
          needSync = true;
        }
      }
      if (!connectedNow && zh) {
        probeHosts();
        if (sessionRefused()) renewRefusedSession();
      }
      // A host that answers is not unreachable: renewRefusedSession says what is wrong.
      const bool answering = answeringSince != Clock::time_point{};
      // Said once per outage: the next line about it is "reconnected" (or why not).
      if (!connectedNow && !answering && !unreachableLogged && Clock::now() >= nextUnreachableLog) {
        const double down = std::chrono::duration<double>(Clock::now() - disconnectedSince).count();
        log("ZooKeeper at " + options.hosts + " unreachable for " + std::to_string(static_cast<int>(down)) +
            " s; retrying in the background (a line follows when it answers)");
        unreachableLogged = true;
      }
    }
  }
};

ZkRegistry::ZkRegistry(ZkRegistryOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->masterPath = impl_->options.root + "/master";
  impl_->workersPath = impl_->options.root + "/workers";
  impl_->hostList = parseHosts(impl_->options.hosts);
  {
    std::lock_guard lock(gLogMutex);
    gClientSink = impl_->options.clientLog;
    gLogOwner = impl_.get();
  }
  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);  // process-wide; the default INFO is noisy
  impl_->thread = std::thread([this] { impl_->loop(); });
}

ZkRegistry::~ZkRegistry() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->closeHandle();
  std::lock_guard lock(gLogMutex);
  if (gLogOwner == impl_.get()) {
    gClientSink = nullptr;
    gLogOwner = nullptr;
  }
}

bool ZkRegistry::waitConnected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->isConnected; });
}

bool ZkRegistry::connected() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->isConnected;
}

int ZkRegistry::negotiatedTimeoutMs() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->negotiatedMs;
}

void ZkRegistry::publishMaster(const nlohmann::json& info) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->wantMaster = info;
    impl_->needSync = true;
  }
  impl_->cv.notify_all();
}

void ZkRegistry::publishWorker(const std::string& id, const nlohmann::json& info) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->wantWorker = std::make_pair(id, info);
    impl_->needSync = true;
  }
  impl_->cv.notify_all();
}

void ZkRegistry::watchMaster(std::function<void(std::optional<nlohmann::json>)> onChange) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->onMaster = std::move(onChange);
    impl_->needSync = true;
  }
  impl_->cv.notify_all();
}

void ZkRegistry::watchWorkers(std::function<void(const std::vector<nlohmann::json>&)> onChange) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->onWorkers = std::move(onChange);
    impl_->needSync = true;
  }
  impl_->cv.notify_all();
}

}  // namespace scaleout::cluster
