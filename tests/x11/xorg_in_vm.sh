#!/usr/bin/env bash
# Inside the test VM (booted with --virtio-gpu): Xorg with the modesetting driver and glamor on
# the virtio-gpu device, which offers DRI3 1.2 and Present 1.2 (../shared/notes/vm-facts.md),
# then the command given with DISPLAY and SYNCBRIDGE_TEST_X_DISPLAY set to it. With --observer,
# syncbridge-x11-observer sits in front of Xorg as display :8 (SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY)
# and appends one verdict line per client connection to SYNCBRIDGE_TEST_X_OBSERVER_REPORT.
# Exits with the command's status; Xorg's log is printed when the command fails.
# usage: xorg_in_vm.sh [--observer BIN [--hold-ms MS] [--content-agnostic]
#          [--png FILE --png-frame K]] COMMAND [ARGS...]
set -u
observer='' hold_ms=40 observer_flags=()
while [ $# -gt 0 ]; do
  case $1 in
    --observer) observer=$2; shift 2 ;;
    --hold-ms) hold_ms=$2; shift 2 ;;
    --content-agnostic) observer_flags+=(--content-agnostic); shift ;;
    --png) observer_flags+=(--png "$2"); shift 2 ;;
    --png-frame) observer_flags+=(--png-frame "$2"); shift 2 ;;
    *) break ;;
  esac
done
# The card on a virtio PCI device (vgem's is a platform device).
card=""
for dev in /sys/class/drm/card[0-9]; do
  if grep -qx 'DRIVER=virtio-pci' "$dev/device/uevent" 2>/dev/null; then
    card=/dev/dri/${dev##*/}
  fi
done
[ -n "$card" ] || { echo "xorg_in_vm: no virtio-gpu card (boot with --virtio-gpu)" >&2; exit 1; }
conf=$(mktemp /tmp/xorg.XXXXXX.conf)
cat >"$conf" <<CONF
Section "ServerFlags"
  Option "AutoAddDevices" "false"
  Option "AutoEnableDevices" "false"
EndSection
Section "Device"
  Identifier "gpu"
  Driver "modesetting"
  Option "kmsdev" "$card"
  Option "AccelMethod" "glamor"
EndSection
CONF
# The host's root is read-only in the guest: xkbcomp writes its keymaps here.
mount -t tmpfs tmpfs /var/lib/xkb
mkdir -p -m 1777 /tmp/.X11-unix
# Xorg's glamor refuses a renderer named llvmpipe; Mesa's driconf override renames it.
force_gl_renderer=virtgpu-swrast Xorg :7 -config "$conf" -noreset -nolisten tcp \
  -logfile /tmp/Xorg.7.log -novtswitch -sharevts >/tmp/Xorg.7.out 2>&1 &
xorg=$!
for _ in $(seq 1 100); do
  [ -S /tmp/.X11-unix/X7 ] && break
  sleep 0.1
done
if [ ! -S /tmp/.X11-unix/X7 ]; then
  echo "xorg_in_vm: Xorg did not start" >&2
  cat /tmp/Xorg.7.log >&2
  exit 1
fi
observer_pid=''
if [ -n "$observer" ]; then
  export SYNCBRIDGE_TEST_X_OBSERVER_REPORT=/tmp/x11-observer.report
  export SYNCBRIDGE_TEST_X_OBSERVER_BIN=$observer
  : >"$SYNCBRIDGE_TEST_X_OBSERVER_REPORT"
  "$observer" --listen 8 --server 7 --hold-ms "$hold_ms" "${observer_flags[@]}" \
    --report "$SYNCBRIDGE_TEST_X_OBSERVER_REPORT" 2>/tmp/x11-observer.err &
  observer_pid=$!
  for _ in $(seq 1 50); do
    [ -S /tmp/.X11-unix/X8 ] && break
    sleep 0.1
  done
  export SYNCBRIDGE_TEST_X_OBSERVED_DISPLAY=:8
fi
# The server's card: gpusim can put its memory there (GPUSIM_MEMORY_DEVICE).
DISPLAY=:7 SYNCBRIDGE_TEST_X_DISPLAY=:7 SYNCBRIDGE_TEST_X_SERVER_CARD=$card "$@"
status=$?
if [ -n "$observer_pid" ]; then
  kill "$observer_pid" 2>/dev/null
  wait "$observer_pid" 2>/dev/null
  [ $status -eq 0 ] || cat /tmp/x11-observer.err >&2
fi
kill "$xorg" 2>/dev/null
wait "$xorg" 2>/dev/null
if [ $status -ne 0 ]; then
  echo "---- Xorg log ----" >&2
  grep -E '\(EE\)|\(WW\)|glamor|DRI3|Present' /tmp/Xorg.7.log >&2
fi
exit $status
