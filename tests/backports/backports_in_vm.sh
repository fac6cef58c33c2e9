#!/bin/bash
# Inside the test VM (6.12 kernel, virtio-gpu, tools/vm/run --backports): the backports prefix
# gives the tests a real explicit-sync dma-buf driver and a linux-dmabuf v5 compositor.
#  - lavapipe 25 is the Vulkan driver, with VK_EXT_external_memory_dma_buf,
#    VK_EXT_image_drm_format_modifier and VK_KHR_external_semaphore_fd;
#  - weston 14 (headless, GL renderer on Mesa 25's EGL/GBM) starts and advertises
#    zwp_linux_dmabuf_v1 version 5;
#  - vkcube-wayland presents 30 frames on it over lavapipe 25, without syncbridge;
#  - syncbridge-info (argument 1) picks the import strategy for lavapipe 25 and measures that
#    its SYNC_FD export blocks (the other half of kernel.strategy's gpusim "deferred"); beside
#    weston 14 it reports linux-dmabuf v5 with its feedback main device, no syncobj manager, and
#    the Wayland path an app would take (issue #13);
#  - with the layer (argument 2: its manifest directory), vkcube-wayland's swapchain logs the
#    same path in one info line.
# Exits 77 (ctest: skipped) when the prefix was never fetched (tools/backports/fetch).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
info=${1:-}
layer_manifest_dir=${2:-}
if [ -z "${SYNCBRIDGE_BACKPORTS:-}" ]; then
  echo "SKIP: no backports prefix (run tools/backports/fetch, then boot with tools/vm/run --backports)"
  exit 77
fi
# shellcheck source=tools/backports/env
. "$repo/tools/backports/env" "$SYNCBRIDGE_BACKPORTS"
# No syncbridge anywhere: this is the baseline the layer will be measured against.
unset VK_INSTANCE_LAYERS VK_LOADER_LAYERS_ENABLE VK_ADD_LAYER_PATH
export SYNCBRIDGE_DISABLE=1

failed=0
t0=$(date +%s%N)
check() { # DESCRIPTION COMMAND...: run a check, say how it went (and when, for the timings)
  local t=$(( ($(date +%s%N) - t0) / 100000000 ))
  if "${@:2}"; then echo "ok [$((t / 10)).$((t % 10)) s]: $1"; else echo "FAILED: $1"; failed=1; fi
}
work=$(mktemp -d)

# --- lavapipe 25 -------------------------------------------------------------------------------
vulkaninfo --summary >"$work/summary" 2>&1 || true
grep -E '^\s*(deviceName|driverName|driverInfo|apiVersion)\s*=' "$work/summary" || cat "$work/summary"
check "lavapipe from Mesa 25 is the only Vulkan device" \
  test "$(grep -cE 'driverInfo\s*= Mesa 25\.' "$work/summary")" = 1 -a \
       "$(grep -cE '^\s*deviceName\s*=' "$work/summary")" = 1
vulkaninfo >"$work/full" 2>&1 || true
for ext in VK_EXT_external_memory_dma_buf VK_EXT_image_drm_format_modifier VK_KHR_external_semaphore_fd; do
  check "device extension $ext" grep -q "^\s*$ext\s*:" "$work/full"
done

if [ -n "$info" ]; then
  SYNCBRIDGE_DISABLE= "$info" --json >"$work/info.json" 2>&1 || true
  check "syncbridge-info: lavapipe 25 gets the import strategy" \
    grep -q '"strategy": "import"' "$work/info.json"
  check "syncbridge-info: lavapipe 25's SYNC_FD export blocks (measured)" \
    grep -q '"sync_fd_export": "blocking"' "$work/info.json"
  sed -n 's/.*"sync_fd_export": "\([a-z]*\)", "sync_fd_export_us": \([0-9]*\).*/  SYNC_FD export \1, \2 us/p' "$work/info.json"
  # The virtio-gpu (booted with --virtio-gpu) has timeline syncobjs; vgem has none.
  check "syncbridge-info: Wayland explicit sync possible (timeline syncobjs on a render node)" \
    grep -q '"timeline_device": "/dev/dri/renderD' "$work/info.json"
fi

# --- weston 14, headless, GL renderer ------------------------------------------------------------
export XDG_RUNTIME_DIR=$work/xdg
mkdir -m 0700 "$XDG_RUNTIME_DIR"
weston --version
weston --backend=headless --renderer=gl --shell=kiosk --no-config --idle-time=0 \
  --width=256 --height=256 --socket=wayland-bp >"$work/weston.log" 2>&1 &
weston=$!
# Under TCG the GL renderer's start (llvmpipe compiling its shaders) takes ~10 s.
for _ in $(seq 600); do
  [ -S "$XDG_RUNTIME_DIR/wayland-bp" ] || ! kill -0 $weston 2>/dev/null && break
  sleep 0.1
done
export WAYLAND_DISPLAY=wayland-bp
# (wayland-info's roundtrip also waits until weston's event loop runs.)  Bounded waits below,
# so that a hang fails with the logs rather than with the VM's timeout.
timeout 120 wayland-info >"$work/globals" 2>&1 || true
check "weston 14 started with the GL renderer" grep -q 'Using GL renderer' "$work/weston.log"
grep -E "^interface: " "$work/globals" | sed 's/, *name: *[0-9]*$//' || true
check "weston advertises zwp_linux_dmabuf_v1 version 5" \
  grep -qE "^interface: 'zwp_linux_dmabuf_v1', *version: *5," "$work/globals"
grep -m1 'main device' "$work/globals" || true

if [ -n "$info" ]; then
  # The report a bug report would carry, as README.md shows it.
  echo "--- syncbridge-info beside weston 14"
  SYNCBRIDGE_DISABLE= timeout 60 "$info" >"$work/info-ws.txt" 2>&1 || true
  cat "$work/info-ws.txt"
  echo "---"
  SYNCBRIDGE_DISABLE= timeout 60 "$info" --json >"$work/info-ws.json" 2>"$work/info-ws.err" || true
  check "syncbridge-info: Wayland section in text (zwp_linux_dmabuf_v1 v5, no syncobj manager)" \
    bash -c 'grep -qE "^  Wayland \(.*/wayland-bp\): zwp_linux_dmabuf_v1 v5 \(the layer binds v4\)" "$1" &&
      grep -qE "^    feedback main device: /dev/dri/" "$1" &&
      grep -q "^    wp_linux_drm_syncobj_manager_v1: no" "$1"' _ "$work/info-ws.txt"
  check "syncbridge-info: the Wayland path of lavapipe 25 (import, linux-dmabuf v4 with its main device)" \
    grep -qE "^  Wayland path: import strategy, Wayland linux-dmabuf v4 \(feedback main device /dev/dri/[a-zD0-9]+\), images allocated by the driver .*, implicit sync" "$work/info-ws.txt"
  check "syncbridge-info --json: linux-dmabuf 5, a main device, tranches with XRGB8888 LINEAR, no syncobj manager" \
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
w = d["window_system"]["wayland"]
assert w["connected"] and w["linux_dmabuf_version"] == 5 and w["linux_dmabuf_bound"] == 4, w
assert w["feedback_main_device"].startswith("/dev/dri/"), w
assert w["tranches"] and any(t["xrgb8888_linear"] for t in w["tranches"]), w
assert w["syncobj_manager"] is False, w
assert d["window_system"]["x11"]["connected"] is False, d["window_system"]
paths = [g["paths"]["wayland"] for g in d["gpus"] if g["strategy"] == "import"]
assert paths and paths[0]["layer_presents"], paths' "$work/info-ws.json"
fi

# --- vkcube-wayland on it, over lavapipe 25 ------------------------------------------------------
start=$(date +%s%N)
status=0
WAYLAND_DEBUG=client timeout 300 vkcube-wayland --c 30 --width 256 --height 256 2>"$work/vkcube.log" || status=$?
echo "vkcube-wayland: exit status $status, $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "vkcube-wayland --c 30 runs" test "$status" = 0
# Each presented frame is one wl_surface.commit on its window.
commits=$(grep -cE -- '-> wl_surface#[0-9]+\.commit\(\)' "$work/vkcube.log" || true)
check "vkcube-wayland committed 30 frames (saw $commits)" test "$commits" -ge 30
echo "vkcube-wayland's buffers: $(grep -oE -- '-> (wl_shm|zwp_linux_dmabuf_v1|zwp_linux_buffer_params_v1)#[0-9]+\.[a-z_]+' "$work/vkcube.log" |
  sed 's/#[0-9]*//' | sort | uniq -c | tr -s ' ' | paste -sd, -)"

# --- the same with syncbridge: its swapchain's info line -----------------------------------------
if [ -n "$layer_manifest_dir" ]; then
  # The layer's own memory: weston 14's llvmpipe faults on lavapipe 25's (README.md).
  status=0
  env -u SYNCBRIDGE_DISABLE SYNCBRIDGE_LOG=info SYNCBRIDGE_MEMORY=layer \
    VK_ADD_LAYER_PATH="$layer_manifest_dir" VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi \
    timeout 300 vkcube-wayland --c 10 --width 256 --height 256 2>"$work/vkcube-sb.log" ||
    status=$?
  echo "vkcube-wayland with syncbridge: exit status $status"
  grep '^\[syncbridge\] info: ' "$work/vkcube-sb.log" | sort -u || true
  check "vkcube-wayland with syncbridge runs" test "$status" = 0
  check "its swapchain's info line says the path (Wayland linux-dmabuf v4, import, layer memory)" \
    grep -qE '^\[syncbridge\] info: swapchain 0x[0-9a-f]+: Wayland linux-dmabuf v4 \(feedback main device /dev/dri/[a-zD0-9]+\), strategy import, images allocated by the layer, implicit sync; 256x256, [0-9]+ images$' "$work/vkcube-sb.log"
fi

kill $weston 2>/dev/null || true
wait $weston 2>/dev/null || true
if [ $failed != 0 ]; then
  echo "--- weston's log"; tail -n 40 "$work/weston.log"
  echo "--- vkcube-wayland's last messages"; tail -n 20 "$work/vkcube.log"
  [ -f "$work/vkcube-sb.log" ] && { echo "--- with syncbridge"; tail -n 20 "$work/vkcube-sb.log"; }
fi
rm -rf "$work"
exit $failed
