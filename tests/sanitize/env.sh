# Run-time options of the sanitizer builds, sourced by launch/test.sh --sanitize[=thread] (and
# by hand before running a sanitizer build's binaries: `source tests/sanitize/env.sh BUILD`).
# Every finding is fatal (exit code 86, which no tandem path uses, so that a test expecting
# tandem's own exit 1 or 2 cannot mistake one for it), and its report goes to a file in
# BUILD/sanitizer-reports/ (log_path) instead of stderr: a finding in a process whose output or
# exit code a test discards is still seen, and test.sh prints them all and fails at the end.
# The variables are exported: ctest passes them to every test, and mpirun to the ranks it
# starts on this machine (its children inherit its environment). The suppression files next to this one
# name third-party libraries only, each with the reason. fast_unwind_on_malloc=0: whole
# allocation stacks through Open MPI (built without frame pointers), which lsan.supp matches.
tandem_sanitize_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tandem_sanitize_reports=$(cd "$1" && pwd)/sanitizer-reports
mkdir -p "$tandem_sanitize_reports"
export ASAN_OPTIONS="halt_on_error=1:exitcode=86:detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1:check_initialization_order=1:log_path=$tandem_sanitize_reports/asan"
export LSAN_OPTIONS="suppressions=$tandem_sanitize_dir/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1:log_path=$tandem_sanitize_reports/ubsan"
export TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1:suppressions=$tandem_sanitize_dir/tsan.supp:log_path=$tandem_sanitize_reports/tsan"
# The MPI test harness ends a rank stuck in one test for longer than this (120 s unsanitized).
export TANDEM_MPI_TEST_TIMEOUT=${TANDEM_MPI_TEST_TIMEOUT:-480}
# tests/integration/lib.sh ends an mpirun after this many seconds (120 unsanitized).
export TANDEM_TEST_TIMEOUT=${TANDEM_TEST_TIMEOUT:-480}

# tandem_sanitizer_reports: prints every report written so far and fails when there is one.
tandem_sanitizer_reports() {
  local reports
  mapfile -t reports < <(find "$tandem_sanitize_reports" -type f | sort)
  [ ${#reports[@]} -eq 0 ] && { echo "== no sanitizer reports"; return 0; }
  for r in "${reports[@]}"; do
    echo "== sanitizer report $r"
    cat "$r"
  done
  echo "== ${#reports[@]} sanitizer report(s) in $tandem_sanitize_reports"
  return 1
}
