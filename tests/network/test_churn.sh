#!/usr/bin/env bash
# Workers come and go mid-run across shaped links, on the real workload (issue #12: "a
# worker can join or die mid-training and the run goes on").
#
#   test_churn.sh SCALEOUT_BINARY SOURCE_DIR [--epochs N] [--rate RATE] [--keep]
#
# Three simulated hosts (tests/network/hosts.sh) joined by veth pairs shaped to 1 Gbit/s
# (--rate), one core each (hosts A and C share one of the machine's two cores). Host A runs
# ZooKeeper and `scaleout train --threads 1` on the reference MLP (8 epochs, CURVE on).
# Worker B (host B) starts once the master has registered and trains; worker C (host C)
# joins after the first epoch; B is killed with SIGKILL, holding its tasks, after the
# third (its connection closes: the quick death). After the fourth, C is frozen with
# SIGSTOP: its connection stays up and it falls silent, like a hung machine, until the
# master declares it dead; then it is thawed (SIGCONT), finds its session over, and must
# join again and train. After the sixth, the ZooKeeper server is killed (SIGKILL): the
# run must go on without it. The steps follow the master's epochs, not the clock, so a
# slower machine runs the same scenario. Passes when
#   - the master completes the run (exit 0, a final test accuracy of at least 0.80);
#   - the master says B is gone within 5 s of the kill, declares C dead within its
#     heartbeat timeout (3 s) plus 2 s of the freeze, and loses no worker otherwise;
#   - B trained before it died; C, joining mid-run, trained from its first session without
#     losing it before the freeze, and trained again in a second session after the thaw,
#     which it keeps to the end, ZooKeeper's death included (the master notices that
#     death and says so);
#   - rounds.csv counts every training row of every epoch exactly once: the slices B and C
#     held were trained again by the others, none twice, and nothing C sent from its
#     stale session was averaged.
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no `ip netns`, no ZooKeeper/java/data).
set -uo pipefail

if (($# < 2)); then
  echo "usage: $0 SCALEOUT_BINARY SOURCE_DIR [--epochs N] [--rate RATE] [--keep]" >&2
  exit 2
fi
scaleout=$1
source_dir=$2
shift 2
epochs=8
rate=1gbit
keep=0
while (($#)); do
  case $1 in
    --epochs) epochs=$2; shift ;;
    --rate) rate=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
train_rows=60000  # Fashion-MNIST's training set, every row once per epoch

# shellcheck source=tests/network/cluster.sh
source "$source_dir/tests/network/cluster.sh"

netcluster_test_begin churn 3 "$rate"
A=1 B=2 C=3

cluster="churn$$"
master_cmd=("$scaleout" train "$source_dir/resources/confs/reference-mlp.json" --zk "$NETCLUSTER_ZK" --cluster "$cluster"
  --threads 1 --out "$work/run" --interval 10 --set "finetuneEpochs=$epochs" --set checkpointEveryEpochs=0)
worker_cmd=("$scaleout" worker --zk "$NETCLUSTER_ZK" --cluster "$cluster" --threads 1)

fail=()
nethosts_spawn $A "$work/master.log" "${master_cmd[@]}"
master=$NETHOSTS_PID
netcluster_wait_registered "$work/master.log" "$master"
nethosts_spawn $B "$work/worker_b.log" "${worker_cmd[@]}"
worker_b=$NETHOSTS_PID
nethosts_wait_for_line "$work/worker_b.log" 'worker: ready: ' 60 "$worker_b" || fail+=("worker B was not ready within 60 s")
# B trains alongside the master's own lane through the first epoch.
nethosts_wait_for_line "$work/master.log" 'epoch +1 test accuracy' 120 "$master" || fail+=("the master finished no epoch")
nethosts_spawn $C "$work/worker_c.log" "${worker_cmd[@]}"
worker_c=$NETHOSTS_PID
nethosts_wait_for_line "$work/worker_c.log" 'worker: ready: ' 60 "$worker_c" || fail+=("worker C was not ready within 60 s")
nethosts_wait_for_line "$work/master.log" 'epoch +3 test accuracy' 120 "$master"  # C trains too
nethosts_running "$master" || fail+=("the master ended before worker B could be killed mid-run")
killed_at=$EPOCHREALTIME
kill -KILL "$worker_b"
nethosts_wait "$worker_b" 10
nethosts_wait_for_line "$work/master.log" 'epoch +4 test accuracy' 120 "$master"
id_c="$(hostname):$worker_c"
nethosts_running "$master" || fail+=("the master ended before worker C could be frozen mid-run")
frozen_at=$EPOCHREALTIME
kill -STOP "$worker_c"
nethosts_wait_for_line "$work/master.log" "worker ${id_c} silent for" 15 "$master" || fail+=("the master did not declare the frozen worker C dead within 15 s")
kill -CONT "$worker_c"
thawed_at=$EPOCHREALTIME
nethosts_wait_for_line "$work/master.log" 'epoch +6 test accuracy' 120 "$master"
nethosts_running "$master" || fail+=("the master ended before ZooKeeper could be killed mid-run")
zk_killed_at=$EPOCHREALTIME
kill -KILL "$NETCLUSTER_ZK_PID"

nethosts_wait "$master" 300
master_rc=$?
((master_rc == 124)) && { fail+=("the master did not finish within 300 s"); nethosts_stop "$master"; }
nethosts_stop "$worker_c" TERM

# --- Figures ------------------------------------------------------------------------------
cut=$(nethosts_stamp_of "$work/master.log" '^[[]eof[]]$')
id_b="$(hostname):$worker_b"
lost_b=$(grep -E "worker ${id_b} .*(disconnected|declared dead)" "$work/master.log" | head -1)
detect=$(netcluster_interval "$killed_at" "${lost_b%% *}")
lost_c=$(grep -E "worker ${id_c} silent for .*declared dead" "$work/master.log" | head -1)
detect_c=$(netcluster_interval "$frozen_at" "${lost_c%% *}")
# The master's trouble lines other than these two (a thawed C's old session may also be
# ended by its hello: "said hello again").
others_lost=$(netcluster_lines_until "$work/master.log" "$cut" | grep -E -- "$NETCLUSTER_MASTER_TROUBLE" |
  grep -vE -- "worker (${id_b} |${id_c} )")
c_trouble=$(netcluster_lines_until "$work/worker_c.log" "$frozen_at" | grep -E -- "$NETCLUSTER_WORKER_TROUBLE")
c_connects=$(netcluster_count "$work/worker_c.log" 'connected to the master' "$frozen_at")
c_reconnects=$(awk -v t="$thawed_at" '$1 + 0 > t + 0' "$work/worker_c.log" | grep -c 'connected to the master')
read -r c_tasks c_sessions <<<"$(netcluster_worker_tasks "$work/worker_c.log")"
# The round C joined for the second time, from the master's "joined at round N" notes.
rejoin_line=$(grep -E "worker ${id_c} joined at round" "$work/master.log" | sed -n 2p)
rejoin_round=$(echo "$rejoin_line" | sed -nE 's/.*joined at round ([0-9]+).*/\1/p')
# From C's second session on: nothing lost, on either side, through ZooKeeper's death.
c_lost_again=$(awk -v t="${rejoin_line%% *}" 't != "" && $1 + 0 > t + 0' "$work/master.log" |
  grep -E -- "$NETCLUSTER_MASTER_TROUBLE" | grep -- "worker ${id_c} ")
c_second=$(grep 'connected to the master' "$work/worker_c.log" | sed -n 2p)
c_trouble_again=$(awk -v t="${c_second%% *}" -v e="$cut" 't != "" && $1 + 0 > t + 0 && $1 + 0 <= e + 0' "$work/worker_c.log" |
  grep -E -- "$NETCLUSTER_WORKER_TROUBLE")
zk_noticed=$(awk -v t="$zk_killed_at" '$1 + 0 > t + 0' "$work/master.log" | grep -m1 'lost the connection to ZooKeeper' | sed 's/^[0-9.]* //')
accuracy=$(netcluster_accuracy "$work/master.log")
# rounds.csv: id is column 8, arrived 10, samples 11.
rounds="$work/run/rounds.csv"
read -r trained b_rows c_rows c_after <<<"$(awk -F, -v b="$id_b" -v c="$id_c" -v r="${rejoin_round:-999999999}" '
  NR > 1 && $10 == 1 { s += $11; if ($8 == b) nb++; if ($8 == c) { nc++; if ($1 + 0 >= r + 0) na++ } }
  END { print s + 0, nb + 0, nc + 0, na + 0 }' "$rounds" 2>/dev/null)"
requeued=$(awk -F, 'NR > 1 && $10 == 0' "$rounds" 2>/dev/null | wc -l)

echo
echo "== master log (host A) =="
sed -E 's/^([0-9]+\.[0-9]{2})[0-9]* /\1 | /' "$work/master.log" | grep -vE '^[0-9.]+ \|  +[0-9]+ +[0-9]+' | head -80
for w in b c; do
  echo "== worker $w log =="
  sed -E 's/^([0-9]+\.[0-9]{2})[0-9]* /\1 | /' "$work/worker_$w.log" | head -30
done
echo
echo "figures: link $rate, $epochs epoch(s), CURVE"
echo "  worker B ($id_b): results in ${b_rows:-0} round(s) before SIGKILL; master saw it gone after ${detect:-never} s: ${lost_b#* }"
echo "  worker C ($id_c): joined mid-run, 'connected to the master' x$c_connects before the freeze; declared dead ${detect_c:-never} s after SIGSTOP: ${lost_c#* }"
echo "    after the thaw: connected x$c_reconnects, joined again at round ${rejoin_round:-never}, results in ${c_after:-0} round(s) since; ${c_tasks:-?} task(s) in ${c_sessions:-?} session(s), results in ${c_rows:-0} round(s) in all"
echo "  ZooKeeper killed after epoch 6: the master ${zk_noticed:+said }${zk_noticed:-said nothing}"
echo "  rows trained (rounds.csv, results that arrived): ${trained:-?} of $((epochs * train_rows)); results re-queued: $requeued"
echo "  master: exit $master_rc, test accuracy ${accuracy:-none}"

# --- Verdict ------------------------------------------------------------------------------
crash=$(grep -hoE 'Assertion failed.*|terminate called.*|Segmentation fault.*' "$work"/*.log | head -1)
((master_rc == 0)) || fail+=("the master exited with $master_rc${crash:+ ($crash)}")
[[ -n $accuracy ]] || fail+=("the master printed no final evaluation")
[[ -n $accuracy ]] && awk -v a="$accuracy" 'BEGIN { exit !(a < 0.80) }' && fail+=("test accuracy $accuracy is below 0.80")
[[ -n $lost_b ]] || fail+=("the master never said worker B ($id_b) was gone")
[[ -n $detect ]] && awk -v d="$detect" 'BEGIN { exit !(d > 5) }' && fail+=("the master took $detect s to see worker B gone (at most 5)")
[[ -z $others_lost ]] || fail+=("the master lost another worker: $(echo "$others_lost" | head -3 | sed 's/^[0-9.]* //' | tr '\n' ';')")
((${b_rows:-0} > 0)) || fail+=("worker B trained nothing before it was killed")
((${c_rows:-0} > 0)) || fail+=("worker C, joining mid-run, trained nothing")
((c_connects == 1)) || fail+=("worker C connected to the master $c_connects time(s) before the freeze, expected exactly 1")
[[ -z $c_trouble ]] || fail+=("worker C lost its session before the freeze: $(echo "$c_trouble" | head -3 | sed 's/^[0-9.]* //' | tr '\n' ';')")
[[ -n $detect_c ]] && awk -v d="$detect_c" 'BEGIN { exit !(d > 5) }' && fail+=("the master took $detect_c s to declare the frozen worker C dead (at most 5)")
((${c_after:-0} > 0)) || fail+=("worker C, thawed, did not train again in a new session")
[[ -z $c_lost_again ]] || fail+=("the master lost worker C's second session: $(echo "$c_lost_again" | head -2 | sed 's/^[0-9.]* //' | tr '\n' ';')")
[[ -z $c_trouble_again ]] || fail+=("worker C lost its second session: $(echo "$c_trouble_again" | head -2 | sed 's/^[0-9.]* //' | tr '\n' ';')")
[[ -n $zk_noticed ]] || fail+=("the master never said it lost ZooKeeper (was it killed mid-run?)")
[[ ${trained:-0} == $((epochs * train_rows)) ]] || fail+=("rounds.csv counts ${trained:-no} rows trained, expected $((epochs * train_rows)) (every row once per epoch)")
if ((${#fail[@]})); then
  printf 'FAIL: %s\n' "${fail[@]}"
  exit 1
fi
echo "PASS"
exit 0
