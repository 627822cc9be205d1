# Run-time options of the sanitizer builds, sourced by launch/test.sh --sanitize[=thread] (and
# by hand before running a sanitizer build's binaries: `source tests/sanitize/env.sh BUILD`).
# Every finding is fatal (exit code 86, which no tandem path uses, so that a test expecting
# tandem's own exit 1 or 2 cannot mistake one for it). AddressSanitizer's, LeakSanitizer's and
# ThreadSanitizer's reports go to files in BUILD/sanitizer-reports/ (log_path) instead of
# stderr, so that a finding in a process whose output or exit code a test discards is still
# seen; UndefinedBehaviorSanitizer, built together with ASan, writes to stderr whatever
# log_path says (GCC 12), so test.sh also searches the tests' logs for its "runtime error:".
# test.sh prints every report and fails at the end. The variables are exported: ctest passes
# them to every test, and mpirun to the ranks it starts on this machine (its children inherit
# its environment). The suppression files next to this one name third-party libraries only,
# each with the reason. fast_unwind_on_malloc=0: whole allocation stacks through Open MPI
# (built without frame pointers), which lsan.supp matches.
tandem_sanitize_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tandem_sanitize_reports=$(cd "$1" && pwd)/sanitizer-reports
mkdir -p "$tandem_sanitize_reports"
touch "$tandem_sanitize_reports/../sanitizer-run.stamp"
export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1:check_initialization_order=1:log_path=$tandem_sanitize_reports/asan"
export LSAN_OPTIONS="suppressions=$tandem_sanitize_dir/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1:suppressions=$tandem_sanitize_dir/tsan.supp:log_path=$tandem_sanitize_reports/tsan"
# The MPI test harness ends a rank stuck in one test for longer than this (120 s unsanitized).
export TANDEM_MPI_TEST_TIMEOUT=${TANDEM_MPI_TEST_TIMEOUT:-480}
# tests/integration/lib.sh ends an mpirun after this many seconds (120 unsanitized).
export TANDEM_TEST_TIMEOUT=${TANDEM_TEST_TIMEOUT:-480}

# tandem_sanitizer_reports: prints every report written so far (report files, and UBSan's
# "runtime error:" lines in the tests' logs: CTest's and the integration scripts' kept logs)
# and fails when there is one.
tandem_sanitizer_reports() {
  local build reports ub
  build=$(dirname "$tandem_sanitize_reports")
  mapfile -t reports < <(find "$tandem_sanitize_reports" -type f | sort)
  # Only logs written since this file was sourced (older runs' logs stay in the build tree).
  mapfile -t ub < <(find "$build/Testing" "$build/tests" -path '*/CMakeFiles' -prune -o -type f \
    -newer "$build/sanitizer-run.stamp" -print0 2> /dev/null | xargs -0 -r grep -lI -e ': runtime error: ')
  [ ${#reports[@]} -eq 0 ] && [ ${#ub[@]} -eq 0 ] && { echo "== no sanitizer reports"; return 0; }
  for r in "${reports[@]}"; do
    echo "== sanitizer report $r"
    cat "$r"
  done
  for r in "${ub[@]}"; do
    echo "== UndefinedBehaviorSanitizer in $r"
    grep -A 12 -e ': runtime error: ' "$r" | head -n 60
  done
  echo "== ${#reports[@]} sanitizer report file(s) in $tandem_sanitize_reports, ${#ub[@]} log(s) with UBSan findings"
  return 1
}
