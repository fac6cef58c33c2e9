#!/usr/bin/env bash
# The Debian package, as a user gets it: builds it with dpkg-buildpackage from a copy of the
# working tree (never in the tree itself: the .deb goes to the parent directory), checks what it
# ships, runs lintian (no error or warning left, no stale override), unpacks it, and proves that
# the real Vulkan loader loads the layer from the unpacked package, with SYNCBRIDGE_ENABLE=1
# only. Nothing from any build tree is used.
# usage: package_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "${1:?usage: package_test.sh SOURCE_DIR}" && pwd -P)

fail() {
  echo "FAIL: $*"
  exit 1
}

# A missing tool is a failure, not a skip: tools/install-deps installs them all.
for tool in git dpkg-buildpackage dh dpkg-deb dpkg-architecture lintian vulkaninfo; do
  command -v "$tool" >/dev/null || fail "$tool not found (tools/install-deps installs it)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS

# The working tree as git sees it (tracked and new files, not ignored ones such as build/), so
# that uncommitted changes are what gets packaged.
mkdir "$work/syncbridge"
git -C "$src" ls-files --cached --others --exclude-standard -z |
  (cd "$src" && tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$work/syncbridge"

echo "== dpkg-buildpackage -b -us -uc (log: build.log on failure)"
# A make above ctest must not hand its jobserver to the package's own make.
if ! (cd "$work/syncbridge" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
  DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log"
  fail "dpkg-buildpackage"
fi
echo "built in $((SECONDS - started)) s"
shopt -s nullglob
debs=("$work"/syncbridge_*.deb)
changes=("$work"/syncbridge_*.changes)
if [ ${#debs[@]} -ne 1 ] || [ ${#changes[@]} -ne 1 ]; then
  fail "expected one syncbridge_*.deb and one .changes, found: $(ls "$work")"
fi
deb=${debs[0]}

echo "== contents"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
expected=$(
  cat <<EOF
./usr/bin/syncbridge-info
./usr/lib/$multiarch/libVkLayer_syncbridge_wsi.so
./usr/share/doc/syncbridge/changelog.gz
./usr/share/doc/syncbridge/copyright
./usr/share/lintian/overrides/syncbridge
./usr/share/man/man1/syncbridge-info.1.gz
./usr/share/vulkan/implicit_layer.d/VkLayer_syncbridge_wsi.json
EOF
)
# Every file, not only these: nothing from the tests (gpusim, the test compositor) may ship.
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort)
if [ "$files" != "$expected" ]; then
  diff <(echo "$expected") <(echo "$files") || true
  fail "the package's files (- expected, + shipped)"
fi
echo "$files"
# The loader finds the library through ld.so.cache, so installing must run ldconfig.
dpkg-deb -I "$deb" triggers | grep -qx 'activate-noawait ldconfig' || fail "no ldconfig trigger"

echo "== lintian"
# Errors and warnings fail (a mismatched override is a warning); so does an override that no
# longer matches anything (info). Not --show-overrides: with it, overridden tags fail too.
set +e
lint=$(lintian --fail-on error,warning --display-info "${changes[0]}" 2>&1)
lint_status=$?
set -e
echo "$lint"
[ "$lint_status" -eq 0 ] || fail "lintian reports errors or warnings"
if grep -qE 'unused-override|mismatched-override' <<<"$lint"; then
  fail "stale lintian override"
fi

echo "== the unpacked package through the loader"
root=$work/root
dpkg-deb -x "$deb" "$root"
libdir=$root/usr/lib/$multiarch
manifest=$root/usr/share/vulkan/implicit_layer.d/VkLayer_syncbridge_wsi.json
grep -q '"library_path": "libVkLayer_syncbridge_wsi.so"' "$manifest" ||
  fail "the manifest must name the library by file name (multiarch: one manifest, every arch)"
# The package's share/ instead of the system's, so that a copy of the package installed on this
# machine is not what gets tested; the system's drivers named one by one instead (lavapipe).
# LD_LIBRARY_PATH stands in for ld.so.cache's entry for the installed library.
drivers=(/usr/share/vulkan/icd.d/*.json)
[ ${#drivers[@]} -gt 0 ] || fail "no Vulkan driver in /usr/share/vulkan/icd.d (mesa-vulkan-drivers)"
unset VK_INSTANCE_LAYERS VK_ADD_LAYER_PATH VK_LAYER_PATH VK_LOADER_LAYERS_ENABLE \
  VK_LOADER_LAYERS_DISABLE VK_ICD_FILENAMES VK_ADD_DRIVER_FILES SYNCBRIDGE_ENABLE SYNCBRIDGE_DISABLE
VK_DRIVER_FILES=$(
  IFS=:
  echo "${drivers[*]}"
)
export VK_DRIVER_FILES XDG_DATA_DIRS=$root/usr/share XDG_DATA_HOME=$work/empty
export LD_LIBRARY_PATH=$libdir SYNCBRIDGE_LOG=debug
failures=0
check() { # NAME EXPECT(loaded|not-loaded) ENV...
  local name=$1 expect=$2 out got=loaded
  shift 2
  # vulkaninfo must work either way: "not loaded" must not mean "no Vulkan at all".
  # LD_DEBUG=files: the dynamic linker names each library it initialises, by its path.
  if ! out=$(env VK_LOADER_DEBUG=layer LD_DEBUG=files "$@" vulkaninfo --summary 2>&1); then
    tail -n 30 <<<"$out"
    echo "FAIL $name: vulkaninfo failed"
    failures=$((failures + 1))
    return
  fi
  # The loader must see the package's manifest, and no other copy of it, in both cases.
  local manifests
  manifests=$(grep -o '/[^ ]*/VkLayer_syncbridge_wsi\.json' <<<"$out" | sort -u || true)
  if [ "$manifests" != "$manifest" ]; then
    echo "FAIL $name: the loader found manifests [$manifests], expected only $manifest"
    failures=$((failures + 1))
    return
  fi
  # Loaded means: the loader inserted the layer, the dynamic linker initialised the unpacked
  # package's library (and no other copy), and the layer logged its instance.
  local inits
  inits=$(grep -o 'calling init: [^ ]*libVkLayer_syncbridge_wsi\.so' <<<"$out" | sort -u || true)
  grep -q 'Insert instance layer "VK_LAYER_SYNCBRIDGE_wsi"' <<<"$out" || got=not-loaded
  [ "$inits" = "calling init: $libdir/libVkLayer_syncbridge_wsi.so" ] || got=not-loaded
  grep -q '^\[syncbridge\] debug: instance' <<<"$out" || got=not-loaded
  if [ "$got" = not-loaded ] && { [ -n "$inits" ] || grep -q '\[syncbridge\]' <<<"$out"; }; then
    got="partly loaded (library init: [$inits])"
  fi
  if [ "$got" = "$expect" ]; then
    echo "ok   $name: $got"
  else
    echo "FAIL $name: $got, expected $expect"
    failures=$((failures + 1))
  fi
}
check "SYNCBRIDGE_ENABLE=1" loaded SYNCBRIDGE_ENABLE=1
# The control: installed but off, as the manifest's enable_environment says.
check "no SYNCBRIDGE_ENABLE" not-loaded

echo "== the unpacked syncbridge-info"
info=$root/usr/bin/syncbridge-info
help=$("$info" --help) || fail "syncbridge-info --help exits $?"
grep -q -- '--json' <<<"$help" || fail "syncbridge-info --help does not name --json"
report=$("$info") || fail "syncbridge-info exits $?"
grep -q '^  strategy: ' <<<"$report" || fail "syncbridge-info names no strategy: $report"
echo "ok   syncbridge-info: --help, and a strategy for each GPU"

echo "package: $((SECONDS - started)) s, $failures loader check(s) failed"
[ "$failures" -eq 0 ]
