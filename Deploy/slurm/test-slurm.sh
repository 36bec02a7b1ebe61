#!/bin/bash
# `make test-slurm`: a real one-node Slurm cluster on this machine (loopback
# only) runs Deploy/slurm/tune-network.sbatch on Networks/tiny.network as
# an array of 2 shares plus the merge-and-build job, then checks the merged
# records (every task, no bad line) and that the library's kernels, linked
# from C, compute what the interpreter computes. Installs slurm-wlm and
# munge with apt-get when missing (as root); stops every daemon it started.
# Usage: Deploy/slurm/test-slurm.sh HONE_BINARY
set -euo pipefail

hone=$(realpath "${1:?usage: test-slurm.sh HONE_BINARY}")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/hone-slurm-XXXXXX)
started=()
start_time=$(date +%s)

cleanup() {
  status=$?
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ $status -ne 0 ]; then
    echo "test-slurm: FAILED; logs in $work"
    tail -n 20 "$work"/*.log "$work"/out/*.out 2>/dev/null || true
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "Slurm is missing. Run: sudo apt-get install -y slurm-wlm munge"; exit 1; fi
  echo "installing slurm-wlm and munge with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: our own key, socket and daemon.
mkdir -p "$work/munge" && chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$work/munge/socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge.log" --seed-file="$work/munge/seed" > "$work/munged.out" 2>&1 &
started+=($!)

# Slurm: one node, this machine, on loopback, ports away from the defaults.
node=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
mkdir -p "$work/state" "$work/spool" "$work/out"
cat > "$work/slurm.conf" <<CONF
ClusterName=honetest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/socket
SlurmUser=$(id -un)
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -f "$SLURM_CONF" > "$work/slurmctld.out" 2>&1 &
started+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/slurmd.out" 2>&1 &
started+=($!)
for _ in $(seq 60); do
  if sinfo -h -o %t 2>/dev/null | grep -q idle; then break; fi
  sleep 1
done
sinfo -h -o %t | grep -q idle || { echo "test-slurm: the node did not come up"; exit 1; }
echo "test-slurm: one-node cluster up ($cpus CPUs) after $(( $(date +%s) - start_time )) s"

# Submit the shipped script from a copy of the repository's network and kernels.
cd "$work"
cp -r "$root/Networks" "$root/Kernels" .
submitted=$(SHARDS=2 TRIALS=6 OUT=$work/out HONE=$hone SBATCH_ARGS="--output=$work/out/%x-%A_%a.out" \
  "$root/Deploy/slurm/tune-network.sbatch" Networks/tiny.network)
echo "test-slurm: $submitted"
for _ in $(seq 900); do
  [ -z "$(squeue -h -o %i)" ] && break
  sleep 1
done
[ -z "$(squeue -h -o %i)" ] || { echo "test-slurm: jobs still queued after 15 minutes"; squeue; exit 1; }

# The merged records hold both tasks, the shares' files one each; the library is complete.
for f in out/tiny.jsonl out/tiny.shard-0-of-2.jsonl out/tiny.shard-1-of-2.jsonl out/libtiny.a out/tiny.h; do
  [ -s "$f" ] || { echo "test-slurm: $f is missing or empty"; exit 1; }
done
"$hone" records out/tiny.jsonl > records.txt 2> records.err
grep -q "for 2 kernels" records.txt || { echo "test-slurm: the merged records do not hold both tasks"; cat records.txt; exit 1; }
[ ! -s records.err ] || { echo "test-slurm: the merged records have bad lines"; cat records.err; exit 1; }
nm out/libtiny.a > symbols.txt
grep -q " T tiny_mm$" symbols.txt && grep -q " T tiny_conv$" symbols.txt || { echo "test-slurm: libtiny.a lacks a kernel"; exit 1; }

# The library's kernels against the interpreter (a C driver per task, as the CLI tests link objects).
cd "$root"
# shellcheck disable=SC2086
if ! HONE_SLURM_OUTPUT=$work/out HONE_SLURM_NETWORK=$work/Networks/tiny.network \
  swift test ${SWIFT_TEST_FLAGS:-} --filter SlurmLibraryTests > "$work/swift-test.log" 2>&1 \
  || ! grep -q "Test run with 1 test.* passed" "$work/swift-test.log"; then
  echo "test-slurm: the library's kernels do not match the interpreter"; tail -n 30 "$work/swift-test.log"; exit 1
fi
echo "test-slurm: passed in $(( $(date +%s) - start_time )) s"
