# Shared helpers of the integration tests (sourced, not run). A topic script looks like:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   topic_start "$@"                  # TANDEM SOURCE_DIR INTEGRATION_DIR (CTest passes them)
#   mpi 2 "$tandem" train ... > "$work/train.log" 2>&1
#   check --log "$work/train.log" "training exits 0" test $? -eq 0
#   finish                            # prints "N passed, M failed", exits 1 on any failure
#
# Paths: $tandem (the binary), $src (the source tree), $data (Fashion-MNIST as a tandem
# dataset) and $shared (runs trained once for several scripts) come from the CTest fixtures
# integration_data and integration_runs (setup_data.sh, setup_runs.sh); $work is this
# script's own directory in the build tree, emptied at the start and kept afterwards for a
# look at the logs.

set -u -o pipefail

# --- Open MPI on this machine, from the one file that holds it ------------------------------
TANDEM_TEST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
set -a
# shellcheck source=../../launch/openmpi.env
. "$TANDEM_TEST_ROOT/launch/openmpi.env"
set +a

# --- bookkeeping ----------------------------------------------------------------------------
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

# check [--log FILE] DESCRIPTION COMMAND...: one assertion. Passes when COMMAND exits 0;
# otherwise prints the command and the end of FILE (the log that explains the failure).
check() {
  local log=""
  if [ "$1" = --log ]; then log=$2; shift 2; fi
  local what=$1
  shift
  if "$@"; then
    pass "$what"
  else
    fail "$what"
    echo "      command: $*"
    if [ -n "$log" ]; then
      echo "      last lines of $log:"
      tail -n 15 "$log" 2> /dev/null | sed 's/^/      | /'
    fi
  fi
}
# not COMMAND...: succeeds when COMMAND fails (for check).
not() { ! "$@"; }

# finish: the summary line and the exit code. A script that checked nothing fails.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit
}

# --- arguments and directories ----------------------------------------------------------------
# topic_start TANDEM SOURCE_DIR INTEGRATION_DIR: sets $tandem, $src, $data, $bad, $shared and
# an empty $work named after the script.
topic_start() {
  [ $# -eq 3 ] || { echo "usage: $(basename "$0") TANDEM SOURCE_DIR INTEGRATION_DIR"; exit 2; }
  tandem=$1 src=$2 itdir=$3
  data=$itdir/shared/data/fm.h5     # Fashion-MNIST, all 60,000 + 10,000 samples
  bad=$itdir/shared/data/bad        # damaged and mismatched datasets (make_fixtures)
  shared=$itdir/shared/runs         # runs trained once by setup_runs.sh
  work=$itdir/$(basename "$0" .sh)
  rm -rf "$work"
  mkdir -p "$work"
  for tool in jq h5diff h5dump h5ls; do
    command -v "$tool" > /dev/null || { echo "FAIL: $tool not installed (launch/test.sh installs it)"; exit 1; }
  done
}

# The options of the lifecycle runs: setup_runs.sh trains them on 2 ranks once, and
# lifecycle_test.sh repeats them (stopped and resumed) to compare bitwise.
life_options() {
  life=(--data "$data" --model "$src/launch/models/mlp-bn.model" --epochs 3 --batch-size 64 --train-limit 2000
        --test-limit 500 --val-split 0.1 --optimizer nesterov --lr 0.02 --threads 1 --seed 4 --log-every-steps 10)
}

# --- running -------------------------------------------------------------------------------
# mpi RANKS COMMAND...: under mpirun, killed after $TANDEM_TEST_TIMEOUT s (default 120; exit
# code 124 then). --oversubscribe: 3 ranks on 2 cores, and tests running side by side.
mpi() {
  local ranks=$1
  shift
  timeout "${TANDEM_TEST_TIMEOUT:-120}" mpirun -np "$ranks" --oversubscribe "$@"
}

# expect_error NAME EXIT_CODE MESSAGE_FRAGMENT TRAIN_ARGS...: `tandem train` on 2 ranks must
# stop with EXIT_CODE and a message containing MESSAGE_FRAGMENT, and must not hang.
expect_error() {
  local name=$1 code=$2 fragment=$3 log
  log=$(error_case_log "$name")
  shift 3
  run_error_case "$log" "$@"
  judge_error_case "$name" "$code" "$fragment" "$log" "$(cat "$log.rc")"
}

# expect_error_bg (same arguments): the same, run in the background, up to 4 cases at a time
# (most of a case is MPI start-up); expect_error_results waits and checks them in order.
bg_names=() bg_codes=() bg_fragments=() bg_logs=()
expect_error_bg() {
  local log
  log=$(error_case_log "$1")
  bg_names+=("$1") bg_codes+=("$2") bg_fragments+=("$3") bg_logs+=("$log")
  shift 3
  run_error_case "$log" "$@" &
  while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
}
expect_error_results() {
  wait
  local i
  for i in "${!bg_names[@]}"; do
    judge_error_case "${bg_names[$i]}" "${bg_codes[$i]}" "${bg_fragments[$i]}" "${bg_logs[$i]}" \
      "$(cat "${bg_logs[$i]}.rc")"
  done
  bg_names=() bg_codes=() bg_fragments=() bg_logs=()
}

error_case_log() { echo "$work/error-${1//[^a-zA-Z0-9]/_}.log"; }
run_error_case() {  # LOG TRAIN_ARGS...: output in LOG, exit code in LOG.rc
  local log=$1
  shift
  mpi 2 "$tandem" train --epochs 1 --threads 1 "$@" > "$log" 2>&1
  echo $? > "$log.rc"
}
judge_error_case() {  # NAME EXIT_CODE FRAGMENT LOG RC
  local name=$1 code=$2 fragment=$3 log=$4 rc=$5
  if [ "$rc" -eq 124 ]; then
    fail "$name: hung (timeout)"
  elif [ "$rc" -ne "$code" ]; then
    fail "$name: exit $rc, expected $code: $(grep -m2 tandem "$log")"
  elif ! grep -qF -- "$fragment" "$log"; then
    fail "$name: message lacks '$fragment': $(grep -m2 tandem "$log")"
  else
    pass "$name -> exit $code, '$fragment'"
  fi
}

# wait_for_line PATTERN FILE PID SECONDS: until FILE has a line matching the extended regex
# PATTERN; fails when process PID ends first or SECONDS pass.
wait_for_line() {
  local pattern=$1 file=$2 pid=$3 deadline=$((SECONDS + $4))
  while [ $SECONDS -lt $deadline ]; do
    grep -qE -- "$pattern" "$file" 2> /dev/null && return 0
    kill -0 "$pid" 2> /dev/null || { grep -qE -- "$pattern" "$file" 2> /dev/null; return; }
    sleep 0.1
  done
  return 1
}

# wait_deadline PID SECONDS: waits for the background job PID (a child of this shell) and
# returns its exit code; after SECONDS kills it (TERM, then KILL) and returns 124.
wait_deadline() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2> /dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$pid" 2> /dev/null; then
    kill -TERM "$pid" 2> /dev/null
    sleep 2
    kill -KILL "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    return 124
  fi
  wait "$pid"
}

# --- HDF5 ----------------------------------------------------------------------------------
# h5_same A B OBJECT...: each OBJECT (e.g. /params, /state) bitwise equal in files A and B.
h5_same() {
  local a=$1 b=$2 object
  shift 2
  for object in "$@"; do h5diff -q "$a" "$b" "$object" > /dev/null 2>&1 || return 1; done
}
# same_metrics A B: the metrics.jsonl files equal but for the timing keys.
same_metrics() {
  jq -e -n --slurpfile a "$1" --slurpfile b "$2" \
    '($a | map(del(.seconds, .samples_per_s, .grad_wait_s))) == ($b | map(del(.seconds, .samples_per_s, .grad_wait_s)))' \
    > /dev/null
}
# h5_within DELTA A B OBJECT: every value of OBJECT within DELTA (absolute) in A and B.
h5_within() {
  h5diff -q --delta="$1" "$2" "$3" "$4" > /dev/null 2>&1
}
# h5_values FILE DATASET OD_TYPE: the values of DATASET, one per line, read as binary (not by
# parsing h5dump's text) and printed by od -t OD_TYPE (d4: int32, f4: float32).
h5_values() {
  local bin
  bin=$(mktemp)
  h5dump -d "$2" -b LE -o "$bin" "$1" > /dev/null 2>&1 && od -An -v -t "$3" -w4 "$bin" | tr -d ' '
  local rc=$?
  rm -f "$bin"
  return $rc
}
h5_ints() { h5_values "$1" "$2" d4; }
h5_floats() { h5_values "$1" "$2" f4; }
# h5_has FILE PATH DIMS: FILE holds dataset PATH with the dimensions DIMS as h5ls prints
# them, e.g. h5_has pred.h5 /probabilities "{1000, 10}".
h5_has() {
  h5ls -r "$1" | awk -v path="$2" -v dims="$3" '
    $1 == path && $2 == "Dataset" { $1 = ""; $2 = ""; sub(/^ +/, ""); if ($0 == dims) found = 1 }
    END { exit !found }'
}

# --- JSON (with jq, a real parser) ----------------------------------------------------------
# json_true FILTER FILE...: the jq FILTER is true on FILE (a JSON-lines file is read as one
# array with -s: `.[-1]` is its last line).
json_true() {
  local filter=$1
  shift
  jq -e -s "$filter" "$@" > /dev/null 2>&1
}
# json FILTER FILE...: the value of FILTER (same reading), for messages and comparisons.
json() {
  local filter=$1
  shift
  jq -r -s "$filter" "$@" 2> /dev/null
}
