#!/usr/bin/env bash
# Inside the test VM, under xorg_in_vm.sh (Xorg, modesetting + glamor on the virtio-gpu, DISPLAY
# set): syncbridge-info's X11 section reports DRI3 1.2, Present 1.2 and DRI3's device (the
# virtio-gpu's card or render node), in text and JSON; the control: the same tool without DISPLAY
# reports none. With the layer's manifest directory, vkcube on the same display logs the path its
# swapchain took in one info line: on the VM's lavapipe 22.3 (no dma-buf export: pass-through),
# the driver's own WSI.
# usage: info_on_xorg.sh SYNCBRIDGE_INFO [LAYER_MANIFEST_DIR]
set -u
info=$1 layer_manifest_dir=${2:-}
# shellcheck source=../support/checks.sh
. "$(dirname "$0")/../support/checks.sh"
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
if [ -n "$layer_manifest_dir" ]; then
  status=0
  log=$(VK_ADD_LAYER_PATH=$layer_manifest_dir VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi \
    SYNCBRIDGE_LOG=info timeout -k 5 120 vkcube --c 3 2>&1 >/dev/null) || status=$?
  grep '^\[syncbridge\] info: ' <<<"$log" || true
  check "vkcube runs (exit $status)" test "$status" = 0
  check "its swapchain's info line: the driver's own WSI on a pass-through GPU" \
    has '^\[syncbridge\] info: swapchain 0x[0-9a-f]+: the driver.s own WSI, without syncbridge.s fences \(the layer does not bridge this GPU\)$' "$log"
fi
[ "$fail" = 0 ] && echo "syncbridge-info X11 section: ok"
exit "$fail"
