# shellcheck shell=bash
# A Scaleout cluster on simulated hosts (tests/network/hosts.sh): a private ZooKeeper
# server, a `scaleout train` master and `scaleout worker` processes, each in the host it is
# given, and the figures their logs show. Sourced by the tests in tests/network/ (which
# start with netcluster_test_begin) and bench/cluster_network.sh. Everything is driven
# through the CLI, not the library.
#
# Figures come from the lines the CLI prints (see app/cmd_train.cpp, app/cmd_worker.cpp,
# core/cluster/*.cpp); if one of those lines changes, change the pattern here once.
# The lines relied on:
#   master: "cluster: registered this master at ..."        (start the workers)
#           "cluster: worker NAME (...) connected; session N"   (connects, as seen by the master)
#           "final evaluation on ..." then "accuracy A ..."     (the run completed; accuracy)
#           NETCLUSTER_MASTER_TROUBLE below                     (a worker lost or refused)
#           a line with "bytes per round" (optional)            (bytes per round per worker)
#   worker: "worker: connected to the master at ..."            (one per session)
#           "worker: ready: ..."                                (conf and rows in: joined)
#           "worker: received N training rows (X MB) in T s"    (transfer time)
#           "worker: trained N task(s) for M master session(s)" (at SIGTERM)
#           NETCLUSTER_WORKER_TROUBLE below                     (a session broke)

# shellcheck source=tests/network/hosts.sh
source "$(dirname "${BASH_SOURCE[0]}")/hosts.sh"

NETCLUSTER_ZK_SCRIPT=${NETCLUSTER_ZK_SCRIPT:-/usr/share/zookeeper/bin/zkServer.sh}
NETCLUSTER_DATA_DIR=${NETCLUSTER_DATA_DIR:-/usr/share/datasets/fashion-mnist}
NETCLUSTER_ZK_PORT=2181      # free by construction: the host's namespace is new
NETCLUSTER_ZK=""             # HOST:PORT once started
NETCLUSTER_ZK_PID=""

# shellcheck disable=SC2034  # used by the scripts that source this file
# Worker-side lines that mean a session broke (before the master ended the run).
NETCLUSTER_WORKER_TROUBLE='has been silent|leaving the master|the master reports|dropped a|cannot connect|refused this worker|handshake with the master|no ZeroMQ handshake|closed the connection'
# shellcheck disable=SC2034
# Master-side lines that mean a worker was lost or refused.
NETCLUSTER_MASTER_TROUBLE='silent for|disconnected|said hello again|cannot take a task|cannot be answered|damaged message|could not be sent|failed the handshake|refused a connection|refused: this master'

# Prints why the cluster cannot run here (ZooKeeper, java, data) and returns 0; else 1.
netcluster_unavailable() {
  [[ -x $NETCLUSTER_ZK_SCRIPT ]] || { echo "ZooKeeper server not installed ($NETCLUSTER_ZK_SCRIPT; apt-get install zookeeper)"; return 0; }
  command -v java >/dev/null || { echo "java not found (the ZooKeeper server needs it)"; return 0; }
  local f
  for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    [[ -r $NETCLUSTER_DATA_DIR/$f ]] || { echo "Fashion-MNIST missing ($NETCLUSTER_DATA_DIR/$f; apt-get install dataset-fashion-mnist)"; return 0; }
  done
  return 1
}

# netcluster_zk_start HOST DIR: a ZooKeeper server in host HOST listening on the host's
# address, data and logs in DIR; waits (at most 90 s) until it answers from that host.
netcluster_zk_start() {
  local host=$1 dir=$2
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<EOF
tickTime=500
dataDir=$dir/data
clientPort=$NETCLUSTER_ZK_PORT
clientPortAddress=${NETHOSTS_IP[host]}
admin.enableServer=false
maxClientCnxns=0
minSessionTimeout=1000
maxSessionTimeout=10000
EOF
  # start-foreground execs java, so the spawned pid is the server's.
  JMXDISABLE=true ZOO_LOG_DIR="$dir" nethosts_spawn "$host" "$dir/server.log" \
    "$NETCLUSTER_ZK_SCRIPT" start-foreground "$dir/zoo.cfg"
  NETCLUSTER_ZK_PID=$NETHOSTS_PID
  NETCLUSTER_ZK="${NETHOSTS_IP[host]}:$NETCLUSTER_ZK_PORT"
  local deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    nethosts_running "$NETCLUSTER_ZK_PID" || { echo "the ZooKeeper server exited at start; see $dir/server.log" >&2; return 1; }
    nethosts_port_answers "$host" "${NETHOSTS_IP[host]}" "$NETCLUSTER_ZK_PORT" && return 0
    sleep 0.3
  done
  echo "the ZooKeeper server did not answer on $NETCLUSTER_ZK within 90 s" >&2
  return 1
}

# Lines of LOG stamped at or before time T (all lines when T is empty).
netcluster_lines_until() {
  awk -v t="${2:-}" 't == "" || $1 + 0 <= t + 0' "$1" 2>/dev/null
}

# netcluster_count LOG REGEX [T]: lines matching REGEX (up to time T).
netcluster_count() {
  netcluster_lines_until "$1" "${3:-}" | grep -cE -- "$2"
}

# The accuracy of the master's final evaluation ("accuracy 0.8123  macro-F1 ..."), or "".
netcluster_accuracy() {
  awk '/final evaluation on/ { f = 1; next } f && / accuracy / { for (i = 2; i <= NF; i++) if ($i == "accuracy") { print $(i + 1); exit } }' "$1"
}

# "N M" from the worker's last line "trained N task(s) for M master session(s)", or "".
netcluster_worker_tasks() {
  sed -nE 's/.*worker: trained ([0-9]+) task\(s\) for ([0-9]+) master session\(s\).*/\1 \2/p' "$1" | tail -1
}

# Seconds between two stamps, one decimal ("" if either is empty).
netcluster_interval() {
  [[ -n $1 && -n $2 ]] || return 0
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'
}

# The parameter bytes per round per worker, if the master reports them; the line is being
# added with the transport rewrite (issue #12). Prints the value with its unit, or
# "not reported" while no such line exists.
netcluster_bytes_per_round() {
  local line
  line=$(grep -iE 'MB up per round|bytes per round' "$1" | tail -1)
  if [[ -z $line ]]; then
    echo "not reported"
  else
    # Keep the master's own wording: the first number with its unit after the phrase.
    echo "$line" | sed -E 's/^[0-9.]+ //; s/^cluster: //'
  fi
}

# netcluster_test_begin NAME HOSTS RATE: the start every test script shares. Skips (exit
# 77, the reason printed) where the hosts or the cluster cannot run; checks $scaleout;
# makes the work folder `work` (removed at exit unless keep=1) with this run's own CURVE
# keys and caches; unsets OPENBLAS_*; sets up HOSTS hosts of one core each joined at RATE
# and starts ZooKeeper on host 1. Exits 1 (FAIL) when a step fails.
netcluster_test_begin() {
  local name=$1 hosts=$2 rate=$3 reason
  if reason=$(nethosts_unavailable); then echo "SKIP: $reason"; exit 77; fi
  if reason=$(netcluster_unavailable); then echo "SKIP: $reason"; exit 77; fi
  [[ -x $scaleout ]] || { echo "FAIL: $scaleout is not an executable"; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/scaleout-net-$name.XXXXXX")
  trap _netcluster_test_end EXIT
  trap 'exit 130' INT TERM
  export XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"
  mkdir -p "$XDG_CONFIG_HOME"
  unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
  nethosts_setup "$hosts" "$rate" core || { echo "FAIL: cannot set up the hosts"; exit 1; }
  nethosts_describe
  netcluster_zk_start 1 "$work/zk" || { echo "FAIL: ZooKeeper did not start"; exit 1; }
}

# shellcheck disable=SC2317  # the EXIT trap of netcluster_test_begin
_netcluster_test_end() {
  nethosts_teardown
  if ((${keep:-0})); then echo "logs kept in $work"; else rm -rf "$work"; fi
}

# netcluster_wait_registered LOG PID: waits (at most 120 s) for the master logging to LOG
# to register in ZooKeeper; otherwise prints its log and exits 1 (FAIL).
netcluster_wait_registered() {
  nethosts_wait_for_line "$1" 'cluster: registered this master' 120 "$2" && return 0
  sed 's/^[0-9.]* /  master| /' "$1"
  echo "FAIL: the master did not register in ZooKeeper within 120 s"
  exit 1
}
