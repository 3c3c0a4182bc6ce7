# shellcheck shell=bash
# Simulated hosts for cluster tests and benchmarks: one network namespace per host, joined
# by shaped veth links, each host optionally held to one core (taskset) or half a core
# (a cgroup v1 CPU quota plus taskset). Sourced by tests/network/test_two_hosts.sh and
# bench/cluster_network.sh; needs root and bash >= 5 (EPOCHREALTIME).
#
#   source tests/network/hosts.sh
#   reason=$(nethosts_unavailable) && { echo "SKIP: $reason"; exit 77; }
#   trap nethosts_teardown EXIT
#   nethosts_setup 2 1gbit core          # hosts 1..N; cpu: none | core | half
#   nethosts_spawn 1 "$dir/zk.log" /usr/share/zookeeper/bin/zkServer.sh start-foreground ...
#   pid=$NETHOSTS_PID                    # the command's own pid (the exec chain keeps it)
#   nethosts_wait "$pid" 600; rc=$?      # bounded; 124 on timeout
#   nethosts_stop "$pid"                 # TERM, then KILL after 10 s; by pid only
#
# Topology: 2 hosts share one direct veth pair; 3 or more hosts each have a veth pair to a
# bridge that lives in its own "switch" namespace, so nothing is added to the root
# namespace and no packet can leave for a real address. Every link is shaped both ways
# with `tbf rate RATE burst 256kb latency 20ms` (netem is not available everywhere; tbf
# is). Host i has the address ${NETHOSTS_PREFIX}.i/24 (default 10.213.0.i).
#
# Every line a spawned command prints goes to its log prefixed with the wall-clock time
# the line arrived ("1767312000.123456 text"), so scripts can measure intervals between
# lines of different processes. The last line of a finished log is "<time> [eof]".

NETHOSTS_PREFIX=${NETHOSTS_PREFIX:-10.213.0}
NETHOSTS_TAG="so$$"              # unique per run: namespace, link and cgroup names
NETHOSTS_CGROUP_ROOT=${NETHOSTS_CGROUP_ROOT:-/sys/fs/cgroup/cpu}
NETHOSTS_COUNT=0
NETHOSTS_SWITCH=""
NETHOSTS_NS=()                   # [i] namespace of host i (1-based)
NETHOSTS_IP=()                   # [i] address of host i
NETHOSTS_CPUS=()                 # [i] taskset CPU list of host i ("" = any)
NETHOSTS_CGROUP=()               # [i] cgroup directory of host i ("" = none)
NETHOSTS_PIDS=()                 # every command spawned, for teardown
declare -A NETHOSTS_STAMPER=()   # command pid -> pid of its log stamper
NETHOSTS_PID=""

# Prints why simulated hosts cannot be made here and returns 0, or prints nothing and
# returns 1 when they can. Creates and deletes one probe namespace.
nethosts_unavailable() {
  if ((BASH_VERSINFO[0] < 5)); then echo "bash >= 5 needed (EPOCHREALTIME)"; return 0; fi
  if [[ $(id -u) -ne 0 ]]; then echo "not root: network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN"; return 0; fi
  local tool
  for tool in ip tc taskset; do
    command -v "$tool" >/dev/null || { echo "$tool not found (iproute2 / util-linux)"; return 0; }
  done
  local probe="${NETHOSTS_TAG}probe"
  if ! ip netns add "$probe" 2>/dev/null; then echo "ip netns add fails here (no network namespace support)"; return 0; fi
  local ok=1
  if ! ip link add "${probe}a" type veth peer name "${probe}b" 2>/dev/null; then
    echo "cannot create veth pairs (veth module missing?)"; ok=0
  elif ! tc qdisc add dev "${probe}a" root tbf rate 1gbit burst 256kb latency 20ms 2>/dev/null; then
    echo "tc qdisc tbf is not available (sch_tbf module missing?)"; ok=0
  fi
  ip link del "${probe}a" 2>/dev/null
  ip netns del "$probe" 2>/dev/null
  ((ok)) || return 0
  return 1
}

# Like nethosts_unavailable, for the half-core mode: the cgroup v1 CPU controller.
nethosts_half_core_unavailable() {
  if [[ ! -w "$NETHOSTS_CGROUP_ROOT/cgroup.procs" || ! -e "$NETHOSTS_CGROUP_ROOT/cpu.cfs_quota_us" ]]; then
    echo "no writable cgroup v1 CPU controller at $NETHOSTS_CGROUP_ROOT (set NETHOSTS_CGROUP_ROOT)"
    return 0
  fi
  return 1
}

_nethosts_shape() {  # NAMESPACE IFACE RATE
  ip netns exec "$1" tc qdisc add dev "$2" root tbf rate "$3" burst 256kb latency 20ms
}

# nethosts_setup N RATE [CPU]: N hosts, links at RATE (tc syntax: 1gbit, 100mbit), CPU one
# of none, core (host i on core (i-1) mod cores), half (50% of one core each, two hosts per
# core). Returns non-zero (after printing why) if any step fails; teardown still cleans up.
nethosts_setup() {
  local n=$1 rate=$2 cpu=${3:-none} i
  local cores
  cores=$(nproc)
  if ((n < 2 || n > 250)); then echo "nethosts_setup: 2..250 hosts, not $n" >&2; return 1; fi
  NETHOSTS_COUNT=$n
  for ((i = 1; i <= n; i++)); do
    NETHOSTS_NS[i]="${NETHOSTS_TAG}-h$i"
    NETHOSTS_IP[i]="${NETHOSTS_PREFIX}.$i"
    ip netns add "${NETHOSTS_NS[i]}" || return 1
    ip netns exec "${NETHOSTS_NS[i]}" ip link set lo up || return 1
  done
  if ((n == 2)); then
    ip link add "${NETHOSTS_TAG}h1" type veth peer name "${NETHOSTS_TAG}h2" || return 1
    for i in 1 2; do
      ip link set "${NETHOSTS_TAG}h$i" netns "${NETHOSTS_NS[i]}" || return 1
    done
  else
    NETHOSTS_SWITCH="${NETHOSTS_TAG}-sw"
    ip netns add "$NETHOSTS_SWITCH" || return 1
    ip netns exec "$NETHOSTS_SWITCH" ip link add br0 type bridge || return 1
    ip netns exec "$NETHOSTS_SWITCH" ip link set br0 up || return 1
    for ((i = 1; i <= n; i++)); do
      ip link add "${NETHOSTS_TAG}h$i" type veth peer name "${NETHOSTS_TAG}p$i" || return 1
      ip link set "${NETHOSTS_TAG}h$i" netns "${NETHOSTS_NS[i]}" || return 1
      ip link set "${NETHOSTS_TAG}p$i" netns "$NETHOSTS_SWITCH" || return 1
      ip netns exec "$NETHOSTS_SWITCH" ip link set "${NETHOSTS_TAG}p$i" master br0 || return 1
      ip netns exec "$NETHOSTS_SWITCH" ip link set "${NETHOSTS_TAG}p$i" up || return 1
      # The switch port's egress is the link's direction towards host i.
      _nethosts_shape "$NETHOSTS_SWITCH" "${NETHOSTS_TAG}p$i" "$rate" || return 1
    done
  fi
  for ((i = 1; i <= n; i++)); do
    ip netns exec "${NETHOSTS_NS[i]}" ip addr add "${NETHOSTS_IP[i]}/24" dev "${NETHOSTS_TAG}h$i" || return 1
    ip netns exec "${NETHOSTS_NS[i]}" ip link set "${NETHOSTS_TAG}h$i" up || return 1
    _nethosts_shape "${NETHOSTS_NS[i]}" "${NETHOSTS_TAG}h$i" "$rate" || return 1
    NETHOSTS_CPUS[i]=""
    NETHOSTS_CGROUP[i]=""
    case $cpu in
      none) ;;
      core) NETHOSTS_CPUS[i]=$(((i - 1) % cores)) ;;
      half)
        NETHOSTS_CPUS[i]=$((((i - 1) / 2) % cores))
        NETHOSTS_CGROUP[i]="$NETHOSTS_CGROUP_ROOT/scaleout-net-${NETHOSTS_TAG}-h$i"
        mkdir "${NETHOSTS_CGROUP[i]}" || return 1
        echo 100000 >"${NETHOSTS_CGROUP[i]}/cpu.cfs_period_us" || return 1
        echo 50000 >"${NETHOSTS_CGROUP[i]}/cpu.cfs_quota_us" || return 1
        ;;
      *) echo "nethosts_setup: cpu is none, core or half, not '$cpu'" >&2; return 1 ;;
    esac
  done
  # The link carries traffic before anyone relies on it (bounded: 20 tries). "Connection
  # refused" from port 9 of host 2 proves the route; nobody listens there.
  local tries
  for ((tries = 0; tries < 20; tries++)); do
    local answer
    answer=$(ip netns exec "${NETHOSTS_NS[1]}" timeout 2 bash -c "exec 3<>/dev/tcp/${NETHOSTS_IP[2]}/9" 2>&1)
    [[ $answer == *refused* ]] && return 0
    sleep 0.1
  done
  echo "nethosts_setup: host 1 cannot reach host 2 at ${NETHOSTS_IP[2]}" >&2
  return 1
}

# nethosts_link HOST up|down: plugs or unplugs host HOST's link (its end of the veth pair;
# address and shaping stay). Unplugged, its TCP connections neither close nor carry
# anything: what a pulled cable or a dead switch port does.
nethosts_link() {
  ip netns exec "${NETHOSTS_NS[$1]}" ip link set "${NETHOSTS_TAG}h$1" "$2"
}

# One line per host: name, address, CPU limit, and the qdisc of its link.
nethosts_describe() {
  local i
  for ((i = 1; i <= NETHOSTS_COUNT; i++)); do
    local cpu="any CPU"
    [[ -n ${NETHOSTS_CPUS[i]} ]] && cpu="CPU ${NETHOSTS_CPUS[i]}"
    [[ -n ${NETHOSTS_CGROUP[i]} ]] && cpu+=", quota $(cat "${NETHOSTS_CGROUP[i]}/cpu.cfs_quota_us")/$(cat "${NETHOSTS_CGROUP[i]}/cpu.cfs_period_us") us"
    echo "host $i: ${NETHOSTS_IP[i]} ($cpu); $(ip netns exec "${NETHOSTS_NS[i]}" tc qdisc show dev "${NETHOSTS_TAG}h$i" | head -1)"
  done
}

# Reads lines on stdin, writes them with the arrival time in front; "[eof]" at the end.
_nethosts_stamp() {
  local line
  while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
  printf '%s [eof]\n' "$EPOCHREALTIME"
}

# nethosts_spawn HOST LOG COMMAND...: starts COMMAND in host HOST's namespace, with its CPU
# limit, in the background; stdout and stderr go time-stamped to LOG. Sets NETHOSTS_PID.
nethosts_spawn() {
  local host=$1 log=$2
  shift 2
  local ns=${NETHOSTS_NS[host]} cpus=${NETHOSTS_CPUS[host]} cg=${NETHOSTS_CGROUP[host]}
  local fifo="$log.fifo"
  rm -f "$fifo"
  mkfifo "$fifo" || return 1
  _nethosts_stamp <"$fifo" >"$log" &
  local stamper=$!
  (
    exec >"$fifo" 2>&1
    # The subshell joins the cgroup first, so everything it execs is held to the quota;
    # ip netns exec and taskset exec in turn, so $! ends up as COMMAND's own pid.
    [[ -n $cg ]] && echo "$BASHPID" >"$cg/cgroup.procs"
    if [[ -n $cpus ]]; then
      exec ip netns exec "$ns" taskset -c "$cpus" "$@"
    else
      exec ip netns exec "$ns" "$@"
    fi
  ) &
  NETHOSTS_PID=$!
  NETHOSTS_PIDS+=("$NETHOSTS_PID")
  NETHOSTS_STAMPER[$NETHOSTS_PID]=$stamper
}

# nethosts_exec HOST COMMAND...: runs COMMAND in the foreground inside host HOST (CPU limit
# included) and returns its status.
nethosts_exec() {
  local host=$1
  shift
  local ns=${NETHOSTS_NS[host]} cpus=${NETHOSTS_CPUS[host]} cg=${NETHOSTS_CGROUP[host]}
  (
    [[ -n $cg ]] && echo "$BASHPID" >"$cg/cgroup.procs"
    if [[ -n $cpus ]]; then
      exec ip netns exec "$ns" taskset -c "$cpus" "$@"
    else
      exec ip netns exec "$ns" "$@"
    fi
  )
}

# _nethosts_nap SECONDS: sleeps without forking. The polling below runs all through a timed
# run; with a `sleep` process five times a second, the harness's bash, sleep and ps took
# 3.9% of a worker host's core in a profile of a two-host run (fork and exec are slow in
# this VM), which a one-host run, with a core to spare, did not feel. `read -t` on a FIFO opened read-write (so it neither
# delivers data nor reaches end of file) waits in the shell itself.
_nethosts_nap() {
  if [[ -z ${_NETHOSTS_NAP_FD:-} ]]; then
    local fifo
    fifo=$(mktemp -u "${TMPDIR:-/tmp}/nethosts-nap.XXXXXX") && mkfifo "$fifo" && exec {_NETHOSTS_NAP_FD}<>"$fifo" && rm -f "$fifo" ||
      { sleep "$1"; return; }
  fi
  read -r -t "$1" -u "$_NETHOSTS_NAP_FD" _ || true
}

# nethosts_wait PID SECONDS: waits at most SECONDS for a spawned command to exit, then for
# its log to be complete. Returns the command's exit status, or 124 if it still runs.
nethosts_wait() {
  local pid=$1 limit=$2
  local deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS >= deadline)) && return 124
    # A running child is never reaped here, so kill -0 cannot hit a recycled pid.
    _nethosts_nap 0.2
  done
  local rc=0
  wait "$pid" || rc=$?
  local stamper=${NETHOSTS_STAMPER[$pid]:-}
  if [[ -n $stamper ]]; then
    wait "$stamper" 2>/dev/null
    unset "NETHOSTS_STAMPER[$pid]"
  fi
  return "$rc"
}

# nethosts_running PID: true while a spawned command runs.
nethosts_running() { kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]; }

# nethosts_stop PID [SIGNAL]: sends SIGNAL (default TERM), waits up to 10 s, then KILL.
# Returns the command's exit status (as nethosts_wait).
nethosts_stop() {
  local pid=$1 sig=${2:-TERM} rc
  kill -"$sig" "$pid" 2>/dev/null
  nethosts_wait "$pid" 10
  rc=$?
  if ((rc == 124)); then
    kill -KILL "$pid" 2>/dev/null
    nethosts_wait "$pid" 10
    rc=$?
  fi
  return "$rc"
}

# nethosts_wait_for_line LOG REGEX SECONDS [PID]: waits until LOG has a line matching
# REGEX (grep -E); gives up early if PID exits. Returns 0 when found.
nethosts_wait_for_line() {
  local log=$1 re=$2 limit=$3 pid=${4:-}
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    grep -qE -- "$re" "$log" 2>/dev/null && return 0
    if [[ -n $pid ]] && ! nethosts_running "$pid"; then
      grep -qE -- "$re" "$log" 2>/dev/null
      return
    fi
    sleep 0.2
  done
  return 1
}

# nethosts_port_answers HOST IP PORT: a TCP connect from inside HOST succeeds.
nethosts_port_answers() {
  ip netns exec "${NETHOSTS_NS[$1]}" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# nethosts_stamp_of LOG REGEX: the time stamp of the first line matching REGEX (or "").
nethosts_stamp_of() {
  awk -v re="$2" '{ t = $1; sub(/^[^ ]+ /, ""); if ($0 ~ re) { print t; exit } }' "$1" 2>/dev/null
}

# Stops every spawned command (by pid), deletes the namespaces, links and cgroups.
# Safe to call more than once; meant for `trap nethosts_teardown EXIT`.
nethosts_teardown() {
  local pid i
  for pid in "${NETHOSTS_PIDS[@]}"; do
    nethosts_running "$pid" && nethosts_stop "$pid" >/dev/null 2>&1
  done
  for pid in "${NETHOSTS_STAMPER[@]}"; do
    kill "$pid" 2>/dev/null
  done
  NETHOSTS_PIDS=()
  for ((i = 1; i <= NETHOSTS_COUNT; i++)); do
    [[ -n ${NETHOSTS_NS[i]:-} ]] && ip netns del "${NETHOSTS_NS[i]}" 2>/dev/null
    if [[ -n ${NETHOSTS_CGROUP[i]:-} && -d ${NETHOSTS_CGROUP[i]} ]]; then
      local tries
      # rmdir fails while a task remains; the processes above are gone, so this is quick.
      for ((tries = 0; tries < 50; tries++)); do
        rmdir "${NETHOSTS_CGROUP[i]}" 2>/dev/null && break
        sleep 0.1
      done
    fi
  done
  [[ -n $NETHOSTS_SWITCH ]] && ip netns del "$NETHOSTS_SWITCH" 2>/dev/null
  # With 2 hosts the veth pair vanishes with its namespaces; with a switch, likewise.
  NETHOSTS_COUNT=0
  NETHOSTS_SWITCH=""
  return 0
}
