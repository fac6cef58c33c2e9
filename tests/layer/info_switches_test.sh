#!/usr/bin/env bash
# syncbridge-info lists the layer's switches that are set, test switches flagged, in text and
# JSON; with none set it lists none (the control: the lines come from the environment).
# usage: info_switches_test.sh SYNCBRIDGE_INFO
set -u
info=$1
# shellcheck source=../support/checks.sh
. "$(dirname "$0")/../support/checks.sh"
# Only what this test sets: none of the caller's own SYNCBRIDGE_* variables.
unset_syncbridge_env
# shellcheck disable=SC2317 # called through check
lacks() { ! grep -q "$1" <<<"$2"; } # PATTERN TEXT
set_env=(env SYNCBRIDGE_TEST_LEAK=1 SYNCBRIDGE_MEMORY=layer SYNCBRIDGE_WAYLAND_SYNC=)
text=$("${set_env[@]}" "$info") || { echo "FAIL: syncbridge-info exit $?"; exit 1; }
json=$("${set_env[@]}" "$info" --json) || { echo "FAIL: syncbridge-info --json exit $?"; exit 1; }
bare=$("$info") || { echo "FAIL: exit $?"; exit 1; }
check "the test switch is listed and flagged" grep -q '^SYNCBRIDGE_TEST_LEAK=1: .*(A TEST SWITCH: unset it)$' <<<"$text"
check "the user switch is listed, not flagged" grep -qE '^SYNCBRIDGE_MEMORY=layer: [^(]*[^)]$' <<<"$text"
check "an empty switch is not set" lacks '^SYNCBRIDGE_WAYLAND_SYNC=' "$text"
check "JSON lists both" python3 -c '
import json, sys
s = json.loads(sys.argv[1])["switches"]
assert s == {"SYNCBRIDGE_MEMORY": {"value": "layer", "test_only": False},
             "SYNCBRIDGE_TEST_LEAK": {"value": "1", "test_only": True}}, s' "$json"
check "control: none listed when none is set" lacks '^SYNCBRIDGE_[A-Z_]*=' "$bare"
[ "$fail" = 0 ] && echo "syncbridge-info switches: ok"
exit "$fail"
