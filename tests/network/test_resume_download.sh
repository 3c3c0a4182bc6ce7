#!/usr/bin/env bash
# A download of the training rows cut by a dead link resumes where it stopped (issue #12:
# "a transfer cut by a reconnect resumes where it stopped").
#
#   test_resume_download.sh SCALEOUT_BINARY SOURCE_DIR [--rate RATE] [--keep]
#
# Two simulated hosts (tests/network/hosts.sh), one core each, joined by a veth pair shaped
# to 100 Mbit/s (--rate). Host A runs ZooKeeper and `scaleout train --threads 1` on the
# reference MLP (5 epochs, CURVE on); host B runs `scaleout worker --download-data`, which
# asks the master for the 48 MB of training rows instead of reading this machine's copy.
# Once about a quarter of them has arrived, host B's link is unplugged for 4.5 s: longer
# than the heartbeat timeout (3 s), so both sides end the session, shorter than the
# ZooKeeper session (6 s). Passes when
#   - the worker, its link back, connects again and resumes the download at the byte it
#     had reached (not at 0), finishes it, and trains;
#   - the master completes the run (exit 0, a final evaluation).
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no `ip netns`, no ZooKeeper/java/data).
set -uo pipefail

if (($# < 2)); then
  echo "usage: $0 SCALEOUT_BINARY SOURCE_DIR [--rate RATE] [--keep]" >&2
  exit 2
fi
scaleout=$1
source_dir=$2
shift 2
rate=100mbit
keep=0
while (($#)); do
  case $1 in
    --rate) rate=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=tests/network/cluster.sh
source "$source_dir/tests/network/cluster.sh"

netcluster_test_begin resume 2 "$rate"
A=1 B=2

cluster="resume$$"
fail=()
nethosts_spawn $A "$work/master.log" "$scaleout" train "$source_dir/resources/confs/reference-mlp.json" --zk "$NETCLUSTER_ZK" \
  --cluster "$cluster" --threads 1 --out "$work/run" --interval 10 --set finetuneEpochs=5 --set checkpointEveryEpochs=0
master=$NETHOSTS_PID
netcluster_wait_registered "$work/master.log" "$master"
nethosts_spawn $B "$work/worker.log" "$scaleout" worker --zk "$NETCLUSTER_ZK" --cluster "$cluster" --threads 1 --download-data
worker=$NETHOSTS_PID
nethosts_wait_for_line "$work/worker.log" 'asking the master for the training rows' 60 "$worker" ||
  fail+=("the worker never asked for the training rows")
# 48 MB at 100 Mbit/s takes about 4 s: a quarter of it has arrived after 1 s.
_nethosts_nap 1
grep -q 'downloaded .* MB of training rows' "$work/worker.log" && fail+=("the download ended before the link could be cut (is --rate too fast?)")
unplugged_at=$EPOCHREALTIME
nethosts_link $B down
_nethosts_nap 4.5
nethosts_link $B up
plugged_at=$EPOCHREALTIME

nethosts_wait "$master" 300
master_rc=$?
((master_rc == 124)) && { fail+=("the master did not finish within 300 s"); nethosts_stop "$master"; }
nethosts_stop "$worker" TERM

# --- Figures ------------------------------------------------------------------------------
resumed=$(awk -v t="$unplugged_at" '$1 + 0 > t + 0' "$work/worker.log" | grep -m1 'resuming the download of the training rows at byte')
resumed_at=$(echo "$resumed" | sed -nE 's/.*at byte ([0-9]+).*/\1/p')
restarts=$(awk -v t="$unplugged_at" '$1 + 0 > t + 0' "$work/worker.log" | grep -cE 'has been silent')
finished=$(grep -m1 'downloaded .* MB of training rows' "$work/worker.log" | sed 's/^[0-9.]* //')
read -r tasks sessions <<<"$(netcluster_worker_tasks "$work/worker.log")"
accuracy=$(netcluster_accuracy "$work/master.log")
lost=$(grep -m1 -E 'cluster: worker .* (silent for|disconnected)' "$work/master.log" | sed 's/^[0-9.]* //')

echo
echo "== worker log (host B) =="
sed -E 's/^([0-9]+\.[0-9]{2})[0-9]* /\1 | /' "$work/worker.log" | head -40
echo
echo "figures: link $rate, unplugged for $(netcluster_interval "$unplugged_at" "$plugged_at") s"
echo "  master: ${lost:-never lost the worker}"
echo "  worker: session restarts after the cut: $restarts; resumed at byte ${resumed_at:-never}; ${finished:-download never finished}"
echo "  worker: ${tasks:-?} task(s) in ${sessions:-?} session(s); master exit $master_rc, test accuracy ${accuracy:-none}"

# --- Verdict ------------------------------------------------------------------------------
crash=$(grep -hoE 'Assertion failed.*|terminate called.*|Segmentation fault.*' "$work/master.log" "$work/worker.log" | head -1)
((master_rc == 0)) || fail+=("the master exited with $master_rc${crash:+ ($crash)}")
[[ -n $accuracy ]] || fail+=("the master printed no final evaluation")
((restarts >= 1)) || fail+=("the worker never noticed its link was gone")
[[ -n $resumed_at ]] || fail+=("the worker did not resume its download after the cut")
((${resumed_at:-0} > 0)) || fail+=("the download restarted at byte 0, not where it stopped")
[[ -n $finished ]] || fail+=("the download never finished")
((${tasks:-0} > 0)) || fail+=("the worker trained no task")
if ((${#fail[@]})); then
  printf 'FAIL: %s\n' "${fail[@]}"
  exit 1
fi
echo "PASS"
exit 0
