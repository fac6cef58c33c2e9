#!/bin/sh
# The installed implicit layer: off by default, on with SYNCBRIDGE_ENABLE=1, off again with
# SYNCBRIDGE_DISABLE=1, and VK_LOADER_LAYERS_ENABLE switches it on too. Installs into a private
# prefix (cmake --install) and points the loader there through XDG_DATA_DIRS.
# usage: implicit_layer_test.sh BUILD_DIR [VAR=VALUE]...
#   VAR=VALUE: environment for vulkaninfo alone (the sanitizer build's preloads), not for cmake
set -u
build=$1
shift
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
manifest=$(find "$prefix" -path '*implicit_layer.d/VkLayer_syncbridge_wsi.json')
library=$(find "$prefix" -name 'libVkLayer_syncbridge_wsi.so')
if [ -z "$manifest" ] || [ -z "$library" ]; then
  echo "FAIL: install lacks the manifest or library"
  exit 1
fi

vulkaninfo_env="$*" # (split on whitespace: no value holds any)
lib_dir=$(dirname "$library")
export XDG_DATA_DIRS="$prefix/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
export LD_LIBRARY_PATH="$lib_dir" SYNCBRIDGE_LOG=debug
unset VK_INSTANCE_LAYERS VK_ADD_LAYER_PATH VK_LAYER_PATH SYNCBRIDGE_ENABLE SYNCBRIDGE_DISABLE
failures=0
check() { # NAME EXPECT(active|inactive) ENV...
  name=$1 expect=$2
  shift 2
  # vulkaninfo must work in every case: "inactive" must not just mean "no Vulkan at all".
  if ! out=$(env "$@" $vulkaninfo_env vulkaninfo --summary 2>&1); then
    printf '%s\n' "$out" | tail -n 30
    echo "FAIL $name: vulkaninfo failed"
    failures=$((failures + 1))
    return
  fi
  if printf '%s\n' "$out" | grep -q '^\[syncbridge\] debug: instance'; then
    got=active
  else
    got=inactive
  fi
  if [ "$got" = "$expect" ]; then echo "ok   $name: $got"; else echo "FAIL $name: $got, expected $expect"; failures=$((failures + 1)); fi
}
check "installed, no variable" inactive
check "SYNCBRIDGE_ENABLE=1" active SYNCBRIDGE_ENABLE=1
check "SYNCBRIDGE_ENABLE=1 SYNCBRIDGE_DISABLE=1" inactive SYNCBRIDGE_ENABLE=1 SYNCBRIDGE_DISABLE=1
check "VK_LOADER_LAYERS_ENABLE" active VK_LOADER_LAYERS_ENABLE=VK_LAYER_SYNCBRIDGE_wsi
echo "implicit layer: $((4 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
