#!/usr/bin/env bash
# syncbridge-info's Wayland section, in text and JSON, against the fake compositor
# (tests/wayland/with_fake_compositor: WAYLAND_SOCKET): linux-dmabuf v4 with its feedback (main
# device, one tranche with the two LINEAR formats) and a syncobj manager; v3 without one; v2 (not
# usable: the path is the driver's own WSI); and the control without a compositor.
# usage: info_wayland_test.sh WITH_FAKE_COMPOSITOR SYNCBRIDGE_INFO
set -u
fake=$1 info=$2
# shellcheck source=../support/checks.sh
. "$(dirname "$0")/../support/checks.sh"
unset_syncbridge_env
runtime=$(mktemp -d)
trap 'rm -rf "$runtime"' EXIT
export XDG_RUNTIME_DIR=$runtime WAYLAND_DISPLAY=wayland-none
unset DISPLAY
has() { grep -qE -- "$1" <<<"$2"; } # PATTERN TEXT

v4=$("$fake" --linux-dmabuf-version 4 --syncobj-manager -- "$info" 2>&1) || { echo "FAIL: v4 run: $v4"; exit 1; }
check "v4: version and binding" has '^  Wayland \(an unnamed socket\): zwp_linux_dmabuf_v1 v4 \(the layer binds v4\), 2 format\+modifier pairs, ARGB8888 LINEAR yes, XRGB8888 LINEAR yes$' "$v4"
check "v4: feedback main device" has '^    feedback main device: dev 226:128$' "$v4"
check "v4: the tranche" has '^    tranche 0: target device dev 226:128, flags none, 2 pairs, ARGB8888 LINEAR yes, XRGB8888 LINEAR yes$' "$v4"
check "v4: syncobj manager" has '^    wp_linux_drm_syncobj_manager_v1: yes$' "$v4"
check "v4: no X11" has '^  X11: none \(' "$v4"
check "v4: a path line per GPU" has '^  Wayland path: ' "$v4"
v4_json=$("$fake" --linux-dmabuf-version 4 --syncobj-manager -- "$info" --json 2>/dev/null) || { echo "FAIL: v4 --json"; exit 1; }
check "v4 JSON" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
w = d["window_system"]["wayland"]
assert w["connected"] and w["linux_dmabuf_version"] == 4 and w["linux_dmabuf_bound"] == 4, w
assert w["feedback_main_device"] == "dev 226:128", w
assert w["tranches"] == [{"target_device": "dev 226:128", "flags": "none", "format_count": 2,
                          "argb8888_linear": True, "xrgb8888_linear": True}], w
assert w["syncobj_manager"] is True and w["syncobj_manager_version"] == 1, w
assert not d["window_system"]["x11"]["connected"]
assert all(g["paths"]["wayland"] is not None for g in d["gpus"]), d["gpus"]' "$v4_json"

v3=$("$fake" --linux-dmabuf-version 3 -- "$info" --json 2>/dev/null) || { echo "FAIL: v3 --json"; exit 1; }
check "v3 JSON: no feedback, no syncobj manager" python3 -c '
import json, sys
w = json.loads(sys.argv[1])["window_system"]["wayland"]
assert w["linux_dmabuf_version"] == 3 and w["linux_dmabuf_bound"] == 3, w
assert w["feedback_main_device"] == "" and w["tranches"] == [] and w["format_count"] == 2, w
assert w["syncobj_manager"] is False, w' "$v3"
v3_text=$("$fake" --linux-dmabuf-version 3 -- "$info" 2>&1)
check "v3 text: no syncobj manager" has '^    wp_linux_drm_syncobj_manager_v1: no$' "$v3_text"

v2=$("$fake" --linux-dmabuf-version 2 -- "$info" 2>&1)
check "v2: advertised, not bound" has '^  Wayland \(an unnamed socket\): zwp_linux_dmabuf_v1 v2, ' "$v2"
check "v2: the driver's own WSI" has "^  Wayland path: the driver's own WSI" "$v2"

none=$("$info" 2>&1)
check "control: no compositor, no Wayland section" has '^  Wayland: none \(cannot connect' "$none"
check "control: no Wayland path" has '^  Wayland path: none \(not connected\)$' "$none"
[ "$fail" = 0 ] && echo "syncbridge-info Wayland section: ok"
exit "$fail"
