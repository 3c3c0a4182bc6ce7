#!/usr/bin/env bash
# The reference MLP on simulated hosts joined by shaped links: one host alone against a
# master with remote workers, through the `scaleout` CLI (issue #12). See bench/README.md.
#
#   bench/cluster_network.sh [--epochs N] [--seeds N] [--rates "1gbit 100mbit"] [--four-hosts]
#                            [--insecure] [--set KNOB=VALUE]... [--scaleout PATH] [--keep]
#                            [--cluster-only]
#
# For each link rate and seed, in fresh namespaces (tests/network/hosts.sh), one core per host:
#   (a) one host alone: ZooKeeper and `scaleout train --threads 1` on host A, no worker;
#   (b) two hosts: the same master, plus `scaleout worker --threads 1` on host B, started
#       once the master has registered in ZooKeeper.
# With --four-hosts, instead: four hosts of half a core each (cgroup CPU quota 50%, two hosts
# per core), 1 Gbit/s links on a bridge: the master alone on one of them, against the master
# plus 3 workers on the other three.
# Wall time is the master process's, start to exit, so it includes loading the data and the
# workers' join. Needs root (network namespaces); exits 77 with the reason otherwise.
# --cluster-only skips (a), for accuracy studies: one host with one thread is deterministic,
# so its accuracy per seed comes from `scaleout train ... --threads 1 --set seed=S` alone.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
epochs=5
seeds=1
rates="1gbit 100mbit"
four=0
insecure=0
keep=0
alone=1       # 0 with --cluster-only
extra=()      # --set KNOB=VALUE, passed to the master (a smoke run: --set maxTrainSamples=3000)
scaleout="${BUILD_DIR:-$here/build}/app/scaleout"
while (($#)); do
  case $1 in
    --epochs) epochs=$2; shift ;;
    --seeds) seeds=$2; shift ;;
    --rates) rates=$2; shift ;;
    --four-hosts) four=1 ;;
    --insecure) insecure=1 ;;
    --set) extra+=(--set "$2"); shift ;;
    --scaleout) scaleout=$2; shift ;;
    --keep) keep=1 ;;
    --cluster-only) alone=0 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $epochs =~ ^[1-9][0-9]*$ && $seeds =~ ^[1-9][0-9]*$ ]] || { echo "--epochs and --seeds take positive integers" >&2; exit 2; }

# shellcheck source=tests/network/cluster.sh
source "$here/tests/network/cluster.sh"
if reason=$(nethosts_unavailable); then echo "SKIPPED: $reason"; exit 77; fi
if reason=$(netcluster_unavailable); then echo "SKIPPED: $reason"; exit 77; fi
if ((four)) && reason=$(nethosts_half_core_unavailable); then echo "SKIPPED (--four-hosts): $reason"; exit 77; fi
[[ -x $scaleout ]] || { echo "no scaleout binary at $scaleout (build it, or pass --scaleout PATH)" >&2; exit 2; }

# Same switch as tests/network/test_two_hosts.sh: 1 once the master binds the interface that
# reaches ZooKeeper by default (issue #12).
MASTER_BINDS_ZK_INTERFACE=${SCALEOUT_NET_MASTER_BINDS_ZK_INTERFACE:-1}

work=$(mktemp -d "${TMPDIR:-/tmp}/scaleout-net-bench.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  nethosts_teardown
  if ((keep)); then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export XDG_CONFIG_HOME="$work/config" XDG_CACHE_HOME="$work/cache"  # keys and the shard cache of this run only
mkdir -p "$XDG_CONFIG_HOME"
if [[ -n ${OPENBLAS_CORETYPE:-}${OPENBLAS_L2_SIZE:-} ]]; then
  echo "unsetting OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-} (OpenBLAS picks its kernels)"
fi
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

# The decoded-data cache (~/.cache/scaleout/decoded) filled before any timed run: a user's
# second run finds it warm, and without this only the first timed run (one host, seed 1)
# would pay the ~1 s decode, which flattered the first speed-up.
"$scaleout" check "$here/resources/confs/reference-mlp.json" >/dev/null ||
  { echo "cluster_network: 'scaleout check' of the reference conf failed (is Fashion-MNIST installed?)" >&2; exit 2; }

echo "scaleout: $scaleout"
echo "workload: reference MLP (resources/confs/reference-mlp.json), $epochs epoch(s), $( ((insecure)) && echo INSECURE || echo CURVE)${extra[*]:+, ${extra[*]}}"
echo "machine: $(nproc) core(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"

rows=()       # one table row per run
declare -A R  # results of the last run

# run_case LABEL RATE CPU HOSTS WORKERS SEED: fresh hosts, ZooKeeper and master on host 1,
# WORKERS workers on hosts 2..; fills R[wall] R[join] R[tasks] R[acc] R[bytes] R[ok].
run_case() {
  local label=$1 rate=$2 cpu=$3 hosts=$4 workers=$5 seed=$6
  local dir="$work/$label-$rate-seed$seed"
  dir=${dir// /_}
  mkdir -p "$dir"
  R=([wall]="" [join]="" [tasks]="" [acc]="" [bytes]="" [ok]=1 [note]="")
  echo
  echo "== $label, $hosts host(s) at $rate, cpu $cpu, seed $seed (load average $(cut -d' ' -f1 /proc/loadavg)) =="
  if ! nethosts_setup "$hosts" "$rate" "$cpu"; then R[ok]=0; R[note]="host set-up failed"; nethosts_teardown; return; fi
  nethosts_describe | sed 's/^/  /'
  if ! netcluster_zk_start 1 "$dir/zk"; then R[ok]=0; R[note]="ZooKeeper did not start"; nethosts_teardown; return; fi
  local security=() bind=()
  ((insecure)) && security=(--insecure)
  ((MASTER_BINDS_ZK_INTERFACE)) || bind=(--bind "tcp://${NETHOSTS_IP[1]}:*")
  local t0 t_end
  t0=$EPOCHREALTIME
  nethosts_spawn 1 "$dir/master.log" "$scaleout" train "$here/resources/confs/reference-mlp.json" \
    --zk "$NETCLUSTER_ZK" --cluster bench --threads 1 "${bind[@]}" "${security[@]}" --out "$dir/run" \
    --interval 10 --set "finetuneEpochs=$epochs" --set "seed=$seed" --set checkpointEveryEpochs=0 "${extra[@]}"
  local master=$NETHOSTS_PID
  local wpids=() wstart=() i
  if ((workers > 0)); then
    if ! nethosts_wait_for_line "$dir/master.log" 'cluster: registered this master' 180 "$master"; then
      R[note]="the master did not register in ZooKeeper"
    fi
    for ((i = 2; i <= workers + 1; i++)); do
      wstart[i]=$EPOCHREALTIME
      nethosts_spawn "$i" "$dir/worker$i.log" "$scaleout" worker --zk "$NETCLUSTER_ZK" --cluster bench --threads 1 "${security[@]}"
      wpids[i]=$NETHOSTS_PID
    done
  fi
  nethosts_wait "$master" 3600
  local rc=$?
  t_end=$EPOCHREALTIME
  ((rc == 124)) && nethosts_stop "$master"
  for ((i = 2; i <= workers + 1; i++)); do nethosts_stop "${wpids[i]}"; done
  R[wall]=$(netcluster_interval "$t0" "$t_end")
  R[acc]=$(netcluster_accuracy "$dir/master.log")
  ((rc == 0)) || { R[ok]=0; R[note]+="master exit $rc; "; }
  local crash
  crash=$(grep -hoE 'Assertion failed.*|terminate called.*|Segmentation fault.*' "$dir"/*.log | head -1)
  [[ -n $crash ]] && R[note]+="$crash; "
  if ((workers > 0)); then
    local cut joins=() tasks=() t j n s c
    cut=$(nethosts_stamp_of "$dir/master.log" '^[[]eof[]]$')
    for ((i = 2; i <= workers + 1; i++)); do
      t=$(nethosts_stamp_of "$dir/worker$i.log" 'worker: ready: ')
      j=$(netcluster_interval "${wstart[i]}" "$t")
      joins+=("${j:-never}")
      read -r n s <<<"$(netcluster_worker_tasks "$dir/worker$i.log")"
      tasks+=("${n:-?}")
      [[ ${s:-0} == 1 ]] || R[note]+="worker $i: ${s:-?} session(s); "
      [[ ${n:-0} -gt 0 ]] || R[ok]=0
      c=$(netcluster_count "$dir/worker$i.log" 'connected to the master' "$cut")
      ((c == 1)) || R[note]+="worker $i connected $c times; "
      [[ -z $t ]] && R[note]+="worker $i never ready; "
      grep -h 'worker: received .* training rows\|worker: ready:\|worker: trained' "$dir/worker$i.log" | sed -E 's/^[0-9.]+ /  worker '"$i"' | /'
    done
    R[join]=$(IFS=/; echo "${joins[*]}")
    R[tasks]=$(IFS=/; echo "${tasks[*]}")
    R[bytes]=$(netcluster_bytes_per_round "$dir/master.log")
    local lost
    lost=$(netcluster_count "$dir/master.log" "$NETCLUSTER_MASTER_TROUBLE" "$cut")
    ((lost == 0)) || R[note]+="master: $lost lost-worker line(s); "
  fi
  grep -E 'cluster: (listening|worker .* connected|worker .* (silent|disconnected))|test accuracy|^[0-9.]+ trained [0-9]+ iterations' "$dir/master.log" |
    head -20 | sed -E 's/^[0-9.]+ /  master | /'
  echo "  wall ${R[wall]} s, accuracy ${R[acc]:-none}${R[join]:+, join (s) ${R[join]}, tasks ${R[tasks]}}${R[note]:+; ${R[note]}}"
  nethosts_teardown
}

# compare RATE CPU HOSTS WORKERS LABEL_ALONE LABEL_CLUSTER: both cases for every seed.
compare() {
  local rate=$1 cpu=$2 hosts=$3 workers=$4 la=$5 lc=$6 seed
  local walls_a=() walls_c=() diffs=() invalid=0
  for ((seed = 1; seed <= seeds; seed++)); do
    local wa="" aa=""
    if ((alone)); then
      run_case "$la" "$rate" "$cpu" "$hosts" 0 "$seed"
      wa=${R[wall]} aa=${R[acc]}
      rows+=("$(printf '%-8s %-22s %4d %8s %9s %10s %9s  %s' "$rate" "$la" "$seed" "$wa" "-" "-" "${aa:-none}" "-")")
    fi
    run_case "$lc" "$rate" "$cpu" "$hosts" "$workers" "$seed"
    local wc=${R[wall]} ac=${R[acc]}
    rows+=("$(printf '%-8s %-22s %4d %8s %9s %10s %9s  %s%s' "$rate" "$lc" "$seed" "$wc" "${R[join]}" "${R[tasks]}" "${ac:-none}" "${R[bytes]}" "${R[note]:+  [${R[note]% }]}")")
    # A cluster run whose master failed or whose workers trained nothing says nothing
    # about speed-up or accuracy: it is listed above but left out of the means.
    if ((R[ok])) && ! ((alone)); then
      walls_c+=("$wc")
      [[ -n $ac ]] && diffs+=("$ac")  # the cluster's accuracy itself (no one-host run to compare with)
    elif ((R[ok])); then
      walls_a+=("$wa")
      walls_c+=("$wc")
      [[ -n $aa && -n $ac ]] && diffs+=("$(awk -v a="$aa" -v c="$ac" 'BEGIN { printf "%.4f", c - a }')")
    else
      invalid=$((invalid + 1))
    fi
  done
  local summary
  if ! ((alone)); then
    summary=$(awk -v c="${walls_c[*]:-}" -v d="${diffs[*]:-}" 'BEGIN {
      nc = split(c, C, " "); nd = split(d, D, " ")
      for (i = 1; i <= nc; i++) sc += C[i]; for (i = 1; i <= nd; i++) sd += D[i]
      if (nc > 0) printf "mean wall %.1f s", sc / nc; else printf "no valid run"
      if (nd > 0) printf ", mean accuracy %.4f over %d seed(s) (--cluster-only: no one-host runs)", sd / nd, nd }')
    ((invalid)) && summary+="; $invalid of $seeds seed(s) left out: the cluster run failed (master error or a worker trained no task)"
    rows+=("  -> $rate, $lc: $summary")
    echo "result $rate $lc: $summary"
    return
  fi
  summary=$(printf '%s\n' "${walls_a[@]}" | paste -sd' ')
  summary=$(awk -v a="$summary" -v c="$(printf '%s\n' "${walls_c[@]}" | paste -sd' ')" -v d="${diffs[*]:-}" 'BEGIN {
    na = split(a, A, " "); nc = split(c, C, " "); nd = split(d, D, " ")
    for (i = 1; i <= na; i++) sa += A[i]; for (i = 1; i <= nc; i++) sc += C[i]; for (i = 1; i <= nd; i++) sd += D[i]
    if (nc > 0 && sc > 0) printf "speed-up wall(alone)/wall(cluster) %.2f (mean walls %.1f s / %.1f s)", sa / na / (sc / nc), sa / na, sc / nc
    else printf "speed-up n/a"
    if (nd > 0) printf ", accuracy cluster - alone: mean %+.4f over %d seed(s)", sd / nd, nd
    else printf ", accuracy difference n/a" }')
  ((invalid)) && summary+="; $invalid of $seeds seed(s) left out: the cluster run failed (master error or a worker trained no task)"
  rows+=("  -> $rate, $lc vs $la: $summary")
  echo "result $rate $lc: $summary"
}

if ((four)); then
  compare 1gbit half 4 3 "1 host (half core)" "master + 3 workers"
else
  for rate in $rates; do
    compare "$rate" core 2 1 "1 host (1 core)" "master + 1 worker"
  done
fi

echo
echo "== summary: reference MLP, $epochs epoch(s), $( ((insecure)) && echo INSECURE || echo CURVE), load average now $(cut -d' ' -f1-3 /proc/loadavg) =="
printf '%-8s %-22s %4s %8s %9s %10s %9s  %s\n' rate case seed wall_s join_s tasks accuracy "bytes/round/worker"
printf '%s\n' "${rows[@]}"
echo "join_s: worker start (after the master registered, which it does before loading its data) to the worker's 'ready' (conf and training rows at hand, the master's data loaded), per worker."
echo "tasks: tasks each worker trained, from its 'trained N task(s)' line."
