#!/usr/bin/env bash
# Sorts what a fuzz run saved (crash-*, timeout-*, oom-*, leak-* files) into tandem's findings
# and libhdf5's (README "Fuzzing"). Used by run.sh in fork mode, where a target keeps going
# past a crash instead of stopping at the first one:
#
#   tests/fuzz/triage.sh TARGET_BINARY TIMEOUT ARTIFACT...
#
# Each input is replayed under the sanitizers run.sh sets. A report whose first frame of code
# (past the sanitizer runtime, the allocator and libFuzzer) lies in libhdf5 is libhdf5's: a
# damaged file that libhdf5 itself reads out of bounds, or asks absurd memory for. Anything
# else is tandem's: a report in tandem's code, a UBSan error in tandem's sources, or an input
# that still runs past TIMEOUT seconds. Two more are libhdf5's: an input on which a libhdf5 call
# reading a file's structure never returns or allocates without end, which tandem's guard on
# that call ends with an error (io::hdf5::MetadataGuard; replayed with limits below TIMEOUT and
# the 2 GB memory limit), and an out-of-memory whose report has no frame of the target (memory
# libhdf5 took and gave back). An input that no longer fails is counted as such: fixed since it
# was saved, or a timeout caused by load on the machine. Prints one line per input and one per kind
# (libhdf5's grouped by function); exits 1 if any input is tandem's.
set -uo pipefail
bin=${1:?usage: triage.sh TARGET_BINARY TIMEOUT ARTIFACT...}
timeout_s=${2:?usage: triage.sh TARGET_BINARY TIMEOUT ARTIFACT...}
shift 2

# first_code_frame REPORT: the first stack frame that is neither the sanitizer runtime, an
# intercepted libc call, the allocator nor libFuzzer.
first_code_frame() {
  grep -E '^ +#[0-9]+ ' "$1" |
    grep -vE 'in (__interceptor_|__mem(cpy|move|set)|__asan|__sanitizer|__lsan|__ubsan|malloc|calloc|realloc|free|operator new|mem(cpy|move|set)|str(len|cmp|ncmp|dup))|fuzzer::|libc\.so|in raise|in abort' |
    head -1
}

tandem_found=0
declare -A kinds
for artifact in "$@"; do
  report=$(mktemp)
  # The group's stderr discarded: the shell's own "Aborted" line is noise here.
  {
    TANDEM_METADATA_DEADLINE=$(((timeout_s + 1) / 2)) TANDEM_METADATA_MEMORY_MB=512 timeout -s KILL $((timeout_s * 3 + 30)) "$bin" -timeout="$timeout_s" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
      "$artifact" > "$report" 2>&1
    rc=$?
  } 2> /dev/null
  error=$(sed -nE '/ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)/ {
    s/.*ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): /\1: /; s/ (on address|on unknown address|trying|size|after|\().*//; s/: memory ranges.*//; p; q }' "$report")
  frame=$(first_code_frame "$report")
  ubsan=$(grep -m1 'runtime error:' "$report" || true)
  if [ "$rc" -eq 0 ]; then
    kind="passes on replay (fixed since it was saved, or a timeout or out-of-memory caused by load)"
  elif [ -n "$ubsan" ]; then
    kind="tandem: ${ubsan%%: runtime error*}: runtime error${ubsan#*runtime error}"
  elif runaway=$(grep -m1 -oE "tandem: error: .* in '[^']*': libhdf5 (has not returned after [0-9.]+ s|took more than [0-9]+ MiB of memory)" "$report"); then
    what=${runaway#tandem: error: }
    kind="libhdf5: ${what##*: libhdf5 } while ${what%% in \'*} (tandem's guard ends it with an error)"
  elif grep -q 'libFuzzer: timeout' "$report"; then
    kind="tandem: still runs past ${timeout_s} s"
  elif [[ "$error" == *out-of-memory* ]] && ! grep -q 'LLVMFuzzerTestOneInput\|tandem::' "$report"; then
    kind="libhdf5: $error with no frame of the target (memory libhdf5 took and gave back)"
  elif [[ "$frame" == *libhdf5* ]]; then
    function=$(sed -nE 's/.* in ([A-Za-z0-9_]+) .*/\1/p' <<< "$frame")
    kind="libhdf5: $error in ${function:-libhdf5 (no symbol)}"
  else
    kind="tandem: ${error:-exit $rc} at ${frame:-no frame}"
  fi
  [[ "$kind" == tandem:* ]] && tandem_found=1
  echo "$(basename "$artifact"): $kind"
  [[ "$kind" == tandem:* ]] && sed 's/^/    | /' "$report" | head -40
  kinds[$kind]=$((${kinds[$kind]:-0} + 1))
  rm -f "$report"
done
echo "by kind:"
for k in "${!kinds[@]}"; do printf '  %5d  %s\n' "${kinds[$k]}" "$k"; done | sort -rn
exit $tandem_found
