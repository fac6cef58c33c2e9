#!/bin/sh
# Runs inside the test VM: the strategy syncbridge-info reports for gpusim (with and without its
# SYNC_FD export) and for plain lavapipe, and vulkaninfo with the layer loaded over gpusim.
# usage: strategy_in_vm.sh SYNCBRIDGE_INFO LAYER_MANIFEST_DIR GPUSIM_MANIFEST_DIR
set -u
info=$1
export VK_ADD_LAYER_PATH="$2:$3"
failures=0

expect_strategy() { # NAME EXPECTED ENV...
  name=$1 expected=$2
  shift 2
  json=$(env "$@" "$info" --json) || { echo "FAIL $name: syncbridge-info failed"; failures=$((failures + 1)); return; }
  got=$(printf '%s\n' "$json" | sed -n 's/.*"strategy": "\([a-z]*\)".*/\1/p' | head -n 1)
  reason=$(printf '%s\n' "$json" | sed -n 's/.*"reason": "\([^"]*\)".*/\1/p' | head -n 1)
  if [ "$got" = "$expected" ]; then
    echo "ok   $name: strategy $got ($reason)"
  else
    echo "FAIL $name: strategy '$got', expected '$expected' ($reason)"
    printf '%s\n' "$json"
    failures=$((failures + 1))
  fi
}

expect_strategy "lavapipe alone" passthrough VK_INSTANCE_LAYERS=
expect_strategy "gpusim" import VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim
expect_strategy "gpusim without SYNC_FD" wait VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim GPUSIM_SYNC_FD=0
expect_strategy "gpusim without dma-buf" passthrough VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim GPUSIM_DMA_BUF=0
expect_strategy "gpusim import-only (the layer allocates)" import VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim GPUSIM_DMA_BUF_EXPORT=0
expect_strategy "gpusim, SYNCBRIDGE_MODE=wait" wait VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim SYNCBRIDGE_MODE=wait
expect_strategy "gpusim without SYNC_FD, SYNCBRIDGE_MODE=import refused" wait VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim GPUSIM_SYNC_FD=0 SYNCBRIDGE_MODE=import

# The export probe, both ways: gpusim's export returns at once; with GPUSIM_BLOCKING_EXPORT=1 it
# waits for the work, as lavapipe 25's does, and the probe must see that.
expect_export() { # NAME EXPECTED ENV...
  name=$1 expected=$2
  shift 2
  json=$(env "$@" "$info" --json) || { echo "FAIL $name: syncbridge-info failed"; failures=$((failures + 1)); return; }
  got=$(printf '%s\n' "$json" | sed -n 's/.*"sync_fd_export": "\([a-z]*\)".*/\1/p' | head -n 1)
  took=$(printf '%s\n' "$json" | sed -n 's/.*"sync_fd_export_us": \([0-9]*\).*/\1/p' | head -n 1)
  if [ "$got" = "$expected" ]; then
    echo "ok   $name: SYNC_FD export $got (${took} us)"
  else
    echo "FAIL $name: SYNC_FD export '$got', expected '$expected'"
    printf '%s\n' "$json"
    failures=$((failures + 1))
  fi
}

expect_export "gpusim export probe" deferred VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim
expect_export "gpusim blocking-export probe" blocking VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_gpusim GPUSIM_BLOCKING_EXPORT=1

summary=$(VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim vulkaninfo --summary 2>/dev/null)
if printf '%s\n' "$summary" | grep -q "VK_LAYER_SYNCBRIDGE_wsi" &&
   printf '%s\n' "$summary" | grep -q "deviceName *= llvmpipe"; then
  echo "ok   vulkaninfo --summary with syncbridge over gpusim lists the layer and the GPU"
else
  echo "FAIL vulkaninfo --summary with syncbridge over gpusim"
  failures=$((failures + 1))
fi

echo "strategy: $((10 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
