#!/usr/bin/env bash
# Debian's own vkcube and vkcubepp (XCB) through syncbridge over gpusim on Xorg (DRI3 + Present),
# each frame judged by syncbridge-x11-observer in content-agnostic mode; runs inside
# xorg_in_vm.sh --observer BIN --content-agnostic. Bridged, no frame may be stale or overwritten;
# the control (SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1) must show stale or overwritten frames.
# usage: vkcube_on_xorg.sh LAYER_MANIFEST_DIR GPUSIM_MANIFEST_DIR [FRAMES]
set -u
export VK_ADD_LAYER_PATH="$1:$2"
frames=${3:-300}
report=${SYNCBRIDGE_TEST_X_OBSERVER_REPORT:?run inside xorg_in_vm.sh --observer}
display=${SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY:?run inside xorg_in_vm.sh --observer}
export VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim
export SYNCBRIDGE_MODE=import SYNCBRIDGE_LOG=debug
export GPUSIM_LATENCY_MS=${GPUSIM_LATENCY_MS:-16} GPUSIM_JITTER_MS=${GPUSIM_JITTER_MS:-16}
logs=$(mktemp -d /tmp/vkcube-x11.XXXXXX)
failed=0

# run NAME CUBE [ENV...]: vkcube's exit status, the layer's memory line and the observer's
# verdicts for its connections, added up (vkcube opens more than one: only one presents).
run() {
  local name=$1 cube=$2
  shift 2
  local before
  before=$(wc -l <"$report")
  env "$@" DISPLAY="$display" timeout -k 5 240 "$cube" --c "$frames" >"$logs/$name.out" 2>"$logs/$name.err"
  status=$?
  # Every connection has closed with vkcube; the observer writes each line as it sees the end.
  sleep 1
  verdict=$(tail -n +"$((before + 1))" "$report" | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2] } }
    END { printf "presents=%d stale=%d overwritten=%d unknown=%d connections=%d",
          sum["presents"], sum["stale"], sum["overwritten"], sum["unknown"], NR }')
  memory=$(grep -o '[a-z]* memory,' "$logs/$name.err" | head -n 1)
  echo "[x11] $name: vkcube exit $status, $frames frames asked; observer: $verdict; ${memory%,}"
}

field() { # field NAME VERDICT
  sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"
}

for cube in vkcube vkcubepp; do
  command -v "$cube" >/dev/null || { echo "[x11] no $cube (vulkan-tools)"; failed=1; continue; }
  run "$cube-bridged" "$cube"
  if [ "$status" -ne 0 ] || [ "$(field presents "$verdict")" != "$frames" ] ||
     [ "$(field stale "$verdict")" != 0 ] || [ "$(field overwritten "$verdict")" != 0 ] ||
     ! grep -q 'pixmaps from the swapchain' "$logs/$cube-bridged.err"; then
    echo "FAIL $cube bridged"; tail -n 20 "$logs/$cube-bridged.err"; failed=1
  fi
  run "$cube-control" "$cube" SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1
  bad=$(( $(field stale "$verdict") + $(field overwritten "$verdict") ))
  if [ "$status" -ne 0 ] || [ "$bad" -eq 0 ]; then
    echo "FAIL $cube control: the control did not bite (or vkcube failed)"; failed=1
  fi
done
exit $failed
