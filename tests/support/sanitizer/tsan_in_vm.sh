#!/usr/bin/env bash
# Runs CMD (in the test VM) with ThreadSanitizer's settings for the TSan build and fails on any
# report: every instrumented process (app, layer, gpusim, compositor) writes its reports to a
# file of its own under one directory, so that a report in a process whose output a test script
# keeps to itself (swapchain_in_vm.sh's logs) still fails the run. exitcode=66 makes a process
# with a report exit non-zero too, halt_on_error=0 lets it show every race, not only the first.
#
# usage: tsan_in_vm.sh CMD [ARGS...]
set -u
reports=$(mktemp -d /tmp/tsan-reports.XXXXXX) || exit 1
suppressions=$(dirname "$0")/tsan.supp
export TSAN_OPTIONS="suppressions=$suppressions halt_on_error=0 exitcode=66 log_path=$reports/report second_deadlock_stack=1"
"$@"
status=$?
found=0
for report in "$reports"/report.*; do
  [ -e "$report" ] || continue
  echo "=== ThreadSanitizer output: ${report##*/}"
  cat "$report"
  grep -q -e 'WARNING: ThreadSanitizer' -e 'FATAL: ThreadSanitizer' -e 'ERROR: ThreadSanitizer' \
    "$report" && found=$((found + 1))
done
echo "ThreadSanitizer: $found process(es) with reports; the command exited $status"
[ "$found" -eq 0 ] && [ "$status" -eq 0 ]
