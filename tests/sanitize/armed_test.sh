#!/usr/bin/env bash
# armed_test.sh PLANTED MPIEXEC SANITIZERS: the sanitizer build and tests/sanitize/env.sh catch
# what they are meant to: each planted bug (planted.cpp) the build's sanitizers cover ends the
# process with exit code 86 and its report, also when started by mpirun (the ranks inherit the
# options); a clean run exits 0. CTest runs it in sanitizer builds (label unit); launch/test.sh
# exports the options. Reports go to a directory of this test, not to BUILD/sanitizer-reports.
set -u
planted=$1 mpiexec=$2 sanitizers=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ] || { echo "FAIL: no sanitizer options (source tests/sanitize/env.sh BUILD)"; exit 1; }
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$tmp/asan" TSAN_OPTIONS="${TSAN_OPTIONS:-}:log_path=$tmp/tsan"
failed=0
# expect NAME PATTERN [LAUNCHER...]: planted NAME exits 86 with PATTERN in its report or output.
expect() {
  local name=$1 pattern=$2
  shift 2
  rm -f "$tmp"/asan.* "$tmp"/tsan.*
  "$@" "$planted" "$name" > "$tmp/out" 2>&1
  local rc=$?
  if [ "$rc" -eq 86 ] && cat "$tmp/out" "$tmp"/asan.* "$tmp"/tsan.* 2> /dev/null | grep -q -- "$pattern"; then
    echo "ok: $name ${*:+under $* }-> exit 86, '$pattern'"
  else
    echo "FAIL: $name ${*:+under $* }-> exit $rc, expected 86 and '$pattern'"
    failed=1
  fi
}
"$planted" none > "$tmp/out" 2>&1 && echo "ok: none -> exit 0" || { echo "FAIL: clean run failed"; failed=1; }
case $sanitizers in
  *address*)
    expect use-after-free "heap-use-after-free"
    expect leak "detected memory leaks"
    expect use-after-free "heap-use-after-free" "$mpiexec" -np 2 --oversubscribe ;;
esac
case $sanitizers in
  *undefined*)
    expect signed-overflow "signed integer overflow"
    expect signed-overflow "signed integer overflow" "$mpiexec" -np 2 --oversubscribe ;;
esac
case $sanitizers in
  *thread*) expect race "data race" ;;
esac
exit $failed
