#!/usr/bin/env bash
# Inside the test VM, under xorg_in_vm.sh (Xorg, modesetting + glamor on the virtio-gpu, DISPLAY
# set): syncbridge-info's X11 section reports DRI3 1.2, Present 1.2 and DRI3's device (the
# virtio-gpu's card or render node), in text and JSON; the control: the same tool without DISPLAY
# reports none.
# usage: info_on_xorg.sh SYNCBRIDGE_INFO
set -u
info=$1
fail=0
check() { # DESCRIPTION COMMAND...
  local what=$1
  shift
  if ! "$@"; then
    echo "FAIL: $what"
    fail=1
  fi
}
has() { grep -qE -- "$1" <<<"$2"; } # PATTERN TEXT
text=$(timeout 60 "$info" 2>&1) || { echo "FAIL: syncbridge-info exit $?: $text"; exit 1; }
echo "$text"
check "X11 section: DRI3 1.2, Present 1.2, DRI3's device" \
  has '^  X11 \(.*X11-unix/X7\): DRI3 1\.2, Present 1\.2, DRI3 device /dev/dri/(card|renderD)[0-9]+$' "$text"
check "an X11 path line per GPU" has '^  X11 path: (the driver.s own WSI|[a-z]+ strategy, X11 DRI3)' "$text"
json=$(timeout 60 "$info" --json 2>/dev/null) || { echo "FAIL: --json exit $?"; exit 1; }
check "X11 in JSON" python3 -c '
import json, sys
x = json.loads(sys.argv[1])["window_system"]["x11"]
assert x["connected"] and x["dri3_version"] == "1.2" and x["present_version"] == "1.2", x
assert x["dri3_device"].startswith("/dev/dri/"), x' "$json"
none=$(env -u DISPLAY timeout 60 "$info" 2>&1)
check "control: without DISPLAY, no X11 section" has '^  X11: none \(' "$none"
[ "$fail" = 0 ] && echo "syncbridge-info X11 section: ok"
exit "$fail"
