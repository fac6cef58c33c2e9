#!/bin/bash
# The sanitizer build's control: COMMAND must fail with a LeakSanitizer report whose stacks name
# PATTERN (grep -E), so a leak of the project's own is neither suppressed nor missed.
#   expect_leak.sh PATTERN COMMAND [ARGS...]
set -uo pipefail
pattern=${1:?usage: $0 PATTERN COMMAND [ARGS...]}
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1
status=$?
if [ "$status" -eq 0 ]; then
  echo "expect_leak: '$*' passed; a LeakSanitizer failure was expected"
  exit 1
fi
if ! grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$out"; then
  tail -n 40 "$out"
  echo "expect_leak: '$*' failed (status $status) without a LeakSanitizer report"
  exit 1
fi
if ! grep -Eq "$pattern" "$out"; then
  grep -A 12 'leak of' "$out" | head -n 60
  echo "expect_leak: the LeakSanitizer report does not name '$pattern'"
  exit 1
fi
grep -m1 -A 6 'leak of' "$out"
echo "expect_leak: failed as it should (status $status, the report names '$pattern')"
