#!/usr/bin/env bash
# Runs inside the test VM: Debian's vkcube-wayland, a real client that knows nothing of these
# tests, through syncbridge over gpusim (a slow explicit-sync GPU), in front of
#   compositor: the test compositor in content-agnostic mode, which samples with implicit sync
#               and holds each buffer longer than the GPU takes. Bridged, no frame may be stale
#               or overwritten; the control (SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1, no fence
#               goes into or out of the dma-bufs) must show stale or overwritten frames.
#   weston:     weston 10 (headless, GL renderer: it imports the dma-bufs through EGL). Every
#               frame vkcube presents must be committed, composited (its frame callback done)
#               and its buffer released, and weston must not refuse a buffer.
#   mutter:     the same checks as weston's on mutter 43 (headless, surfaceless llvmpipe).
#   weston-clients: 10 clients in a row then 2 at once on one weston (group_weston_clients).
#   layers, validation: other layers on the same app (group_layers, group_validation).
#
# usage: vkcube_in_vm.sh compositor|weston|mutter|weston-clients|
#          layers|validation COMPOSITOR LAYER_MANIFEST_DIR GPUSIM_MANIFEST_DIR
#          [--frames N] [--size WxH] [--hold-ms N] [--png PATH [--png-frame K]] [--logs DIR]
#   --frames: vkcube's frame count (500); --size: its window (default vkcube's 500x500);
#   --hold-ms: the test compositor's read hold; --png: write the bridged run's K-th frame read
#   (default 100) there; --logs: keep every log in DIR (a writable share, to read them after).
set -u
group=$1 compositor=$2 layer_manifest_dir=$3
export VK_ADD_LAYER_PATH="$3:$4"
gpusim_manifest_dir=$4
shift 4
frames=500 size=256x256 hold_ms=100 png='' png_frame=100 logs=''
while [ $# -gt 0 ]; do
  case $1 in
    --frames) frames=$2 ;;
    --size) size=$2 ;;
    --hold-ms) hold_ms=$2 ;;
    --png) png=$2 ;;
    --png-frame) png_frame=$2 ;;
    --logs) logs=$2 ;;
    *) echo "vkcube_in_vm.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
# syncbridge above gpusim: the first layer named is the one nearest the app.
export VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim
# VKCUBE_DRIVER=lavapipe25: a real explicit-sync-only dma-buf driver instead of gpusim, lavapipe
# 25 from the backports prefix (tools/vm/run --backports on Linux 6.12), with syncbridge alone
# above it; weston is then weston 14 from the same prefix (linux-dmabuf v5 with feedback).
driver=${VKCUBE_DRIVER:-gpusim}
gpu_words="gpusim (GPU \${GPUSIM_LATENCY_MS:-16}+0..\${GPUSIM_JITTER_MS:-16} ms)"
if [ "$driver" = lavapipe25 ]; then
  # shellcheck source=/dev/null
  . "$(dirname "$0")/../../tools/backports/env-or-skip"
  export VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi
  gpu_words="lavapipe 25"
fi
# GPU time 16..32 ms: the jitter matters. A GPU late by the same amount every frame makes the
# control show each buffer's previous frame, which still differs from what the compositor read
# from that buffer last time, so the stale check alone would not see it (tests/clients/README.md).
export GPUSIM_LATENCY_MS=${GPUSIM_LATENCY_MS:-16} GPUSIM_JITTER_MS=${GPUSIM_JITTER_MS:-16}
export SYNCBRIDGE_LOG=debug
# VKCUBE_SYNC=explicit (compositor group, Linux 6.12, --virtio-gpu): the test compositor offers
# explicit sync (wp_linux_drm_syncobj_v1, timelines on the virtio-gpu render node) and the layer
# must use it; every frame read must be an explicit-sync frame.
sync=${VKCUBE_SYNC:-implicit}
comp_extra=() env_extra=()
if [ "$sync" = explicit ]; then
  for dev in /sys/class/drm/renderD*; do
    if grep -qx 'DRIVER=virtio-pci' "$dev/device/uevent" 2>/dev/null; then
      comp_extra=(--syncobj "/dev/dri/${dev##*/}")
    fi
  done
  [ ${#comp_extra[@]} -gt 0 ] || { echo "no virtio-gpu render node (boot with --virtio-gpu)"; exit 1; }
  env_extra=(SYNCBRIDGE_WAYLAND_SYNC=explicit)
  gpu_words="$gpu_words, explicit sync"
fi
# The first frames wait for lavapipe to compile vkcube's shaders (seconds under TCG); vgem's
# own fence timeout is 10 s.
wait_timeout_ms=8000
app_timeout=400

XDG_RUNTIME_DIR=$(mktemp -d /tmp/vkcube-xdg.XXXXXX) || exit 1 # mode 0700
export XDG_RUNTIME_DIR
[ -n "$logs" ] || logs=$XDG_RUNTIME_DIR/logs
mkdir -p "$logs"
vkcube_args=(--c "$frames") app_cmd=()
if [ -n "$size" ]; then
  vkcube_args+=(--width "${size%x*}" --height "${size#*x}")
fi
failures=0

say() { printf '%s\n' "$*"; }
fail() {
  say "FAIL $*"
  failures=$((failures + 1))
}

# Parsing and waiting use bash builtins where they can: in the TCG VM every program started
# costs ~0.2 s (exec over 9p).
# A FIFO nobody writes to: `read -t` on it is a sleep without a process.
mkfifo "$XDG_RUNTIME_DIR/nap" && exec {sleep_fd}<>"$XDG_RUNTIME_DIR/nap" || exit 1
nap() { read -r -t "$1" -u "$sleep_fd" || true; }

# The rest of the first line of FILE that starts with PREFIX (empty if none).
line_after() { # FILE PREFIX
  local line
  while IFS= read -r line; do
    if [[ $line == "$2"* ]]; then
      printf '%s' "${line#"$2"}"
      return
    fi
  done <"$1"
}

# KEY=VALUE words of LINE into the associative array NAME.
parse_fields() { # NAME LINE
  local -n into=$1
  local word
  into=()
  for word in $2; do
    # shellcheck disable=SC2034 # written through the nameref
    [[ $word == *=* ]] && into[${word%%=*}]=${word#*=}
  done
}

# Runs vkcube-wayland (or app_cmd, with vkcube_args after it) on WAYLAND_DISPLAY with the extra
# environment VAR=VALUE...; sets
# app_status, seconds and strategy (from the layer's debug line). Its stderr goes to LOG.err.
run_vkcube() { # LOG [VAR=VALUE...]
  local log=$1 line started=$SECONDS
  shift
  (
    for assignment in "$@"; do export "${assignment?}"; done
    exec timeout -k 5 "$app_timeout" "${app_cmd[@]:-vkcube-wayland}" "${vkcube_args[@]}" >"$log.out" 2>"$log.err"
  )
  app_status=$?
  seconds=$((SECONDS - started))
  # "[syncbridge] debug: swapchain 0x...: 500x500, 3 images, present mode 2, driver memory, strategy import"
  line=$(line_after "$log.err" "[syncbridge] debug: swapchain ")
  strategy=${line##* strategy }
  swapchain=${line#*: }
}

# --- the test compositor ---------------------------------------------------------------------

# One run in front of a fresh test compositor; sets the counters array, comp_status, and the
# run_vkcube results. Extra compositor flags, then --, then the app's extra environment.
compositor_run() { # NAME [COMPOSITOR_ARGS...] -- [VAR=VALUE...]
  local name=$1 log="$logs/$1" i socket=
  shift
  local comp_args=("${comp_extra[@]}")
  while [ $# -gt 0 ] && [ "$1" != -- ]; do comp_args+=("$1"); shift; done
  shift
  : >"$log.comp.out"
  "$compositor" --content-agnostic --hold-ms "$hold_ms" --wait-timeout-ms "$wait_timeout_ms" \
    "${comp_args[@]}" >>"$log.comp.out" 2>"$log.comp.err" &
  local comp_pid=$!
  for ((i = 0; i < 400; i++)); do
    socket=$(line_after "$log.comp.out" "listening on ")
    [ -n "$socket" ] && break
    kill -0 "$comp_pid" 2>/dev/null || break
    nap 0.025
  done
  if [ -z "$socket" ]; then
    fail "$name: the compositor did not start"
    cat "$log.comp.err"
    return 1
  fi
  WAYLAND_DISPLAY=$socket run_vkcube "$log" "${env_extra[@]}" "$@"
  kill -TERM "$comp_pid" 2>/dev/null
  wait "$comp_pid"
  comp_status=$?
  parse_fields counters "$(line_after "$log.comp.out" "syncbridge-test-compositor: ")"
  png_line=$(line_after "$log.comp.out" "syncbridge-test-compositor: wrote ")
  say "     $name: vkcube exit $app_status in ${seconds}s, swapchain ${swapchain:-none}; compositor exit $comp_status"
  say "       ${counters[frames_checked]-?} frames read, ${counters[read_fences]-?} composited, ${counters[releases]-?} released; stale ${counters[stale]-?}, overwrites ${counters[overwrites]-?}, write-fence waits ${counters[fence_waits]-?}, wait timeouts ${counters[wait_timeouts]-?}"
}

# Prints the logs of run NAME after a failure.
dump_run() { # NAME
  say "  --- vkcube stderr, last 20 lines"
  tail -n 20 "$logs/$1.err" | sed 's/^/  /'
  say "  --- compositor stderr, last 10 lines"
  tail -n 10 "$logs/$1.comp.err" | sed 's/^/  /'
}

# What every bridged run in front of the test compositor must show: vkcube and the compositor
# exit cleanly, the layer imported, every frame read and none stale or overwritten.
frames_ok() {
  local p=
  [ "$app_status" = 0 ] || p="$p vkcube exit $app_status;"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  [ "$strategy" = import ] || p="$p strategy '$strategy', expected import;"
  for c in stale overwrites wait_timeouts read_errors read_fences_refused; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[frames_checked]-}" = "$frames" ] || p="$p ${counters[frames_checked]-?} frames read, expected $frames;"
  printf '%s' "$p"
}

group_compositor() {
  local png_args=() p=
  declare -gA counters
  if [ -n "$png" ]; then
    png_args=(--png "$png" --png-frame "$png_frame")
  fi

  say "vkcube-wayland --c $frames through syncbridge over $(eval "echo \"$gpu_words\""), test compositor (content-agnostic, hold ${hold_ms} ms)"
  compositor_run bridged "${png_args[@]}" -- || return
  local b_read=${counters[frames_checked]-?} b_comp=${counters[read_fences]-?}
  local b_rel=${counters[releases]-?} b_stale=${counters[stale]-?} b_over=${counters[overwrites]-?}
  local b_seconds=$seconds
  p=$(frames_ok)
  [ "$b_comp" = "$frames" ] || p="$p $b_comp frames composited, expected $frames;"
  [ "$b_rel" = "$frames" ] || p="$p $b_rel buffers released, expected $frames;"
  if [ "$sync" = explicit ]; then
    [ "${counters[explicit_frames]-}" = "$frames" ] ||
      p="$p ${counters[explicit_frames]-?} explicit-sync frames, expected $frames;"
    [ "${counters[protocol_errors]-}" = 0 ] || p="$p protocol errors ${counters[protocol_errors]-};"
  fi
  if [ -n "$png" ]; then
    [ -n "$png_line" ] && say "     bridged frame as PNG: $png_line" || p="$p no PNG written;"
  fi
  if [ -z "$p" ]; then say "ok   bridged"; else fail "bridged:$p"; dump_run bridged; fi

  p=
  compositor_run control -- SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1 || return
  local c_read=${counters[frames_checked]-?} c_stale=${counters[stale]-0} c_over=${counters[overwrites]-0}
  [ "$app_status" = 0 ] || p="$p vkcube exit $app_status;"
  grep -q 'SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1' "$logs/control.err" ||
    p="$p the layer did not acknowledge SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1;"
  [ $((c_stale + c_over)) -gt 0 ] || p="$p the control saw no stale or overwritten frame;"
  if [ -z "$p" ]; then say "ok   control (fence transfers off) is caught"; else fail "control:$p"; dump_run control; fi

  say ""
  say "                      bridged   control (no fence transfer)"
  printf '  frames read      %10s %10s\n' "$b_read" "$c_read"
  printf '  stale            %10s %10s\n' "$b_stale" "$c_stale"
  printf '  overwritten      %10s %10s\n' "$b_over" "$c_over"
  printf '  seconds          %10s %10s\n' "$b_seconds" "$seconds"
}

# --- weston ----------------------------------------------------------------------------------

# Counts, in a WAYLAND_DEBUG=client log, the wl_surface commits that carry an attach, the
# frame callbacks done, the wl_buffer.release events, linux-dmabuf buffers created and failed,
# and wl_shm pools (there must be none: they would mean the driver's own WSI presented).
# libwayland 1.21 writes objects as iface@id, 1.22+ as iface#id.
count_protocol() { # LOG
  awk '
    { sub(/^\[[ 0-9.]*\] */, "") }
    # The object a line is about: "wl_surface@5" in "-> wl_surface@5.commit()".
    function object() { match($0, /[a-z_0-9]+[@#][0-9]+/); return substr($0, RSTART, RLENGTH) }
    /^-> wl_surface[@#][0-9]+\.attach\(wl_buffer/ { attached[object()] = 1 }
    /^-> wl_surface[@#][0-9]+\.commit\(\)/ { if (attached[object()]) commits++; attached[object()] = 0 }
    # The layer keeps one frame callback at a time: one still pending when it asks for the next
    # (its 250 ms grace ran out) is destroyed on the client side, superseded; a done that comes
    # later is dropped by libwayland and not logged.
    /^-> wl_surface[@#][0-9]+\.frame\(new id wl_callback[@#][0-9]+\)/ {
      asked++
      for (cb in frame_cb) { superseded++; gone[cb] = 1; delete frame_cb[cb] }
      match($0, /wl_callback[@#][0-9]+/); id = substr($0, RSTART, RLENGTH); frame_cb[id] = 1; delete gone[id]
    }
    # A done logged after the next request was read before it: answered after all.
    /^wl_callback[@#][0-9]+\.done\(/ {
      o = object()  # (`in`: a plain lookup would add sync callbacks to the arrays)
      if (o in frame_cb) { done++; delete frame_cb[o] }
      else if (o in gone) { done++; superseded--; delete gone[o] }
    }
    /^wl_buffer[@#][0-9]+\.release\(\)/ { releases++ }
    /^-> zwp_linux_buffer_params_v1[@#][0-9]+\.create(_immed)?\(/ { dmabuf++ }
    /^zwp_linux_buffer_params_v1[@#][0-9]+\.failed\(/ { failed++ }
    /^-> wl_shm[@#][0-9]+\.create_pool\(/ { shm++ }
    # tail: the callback still pending when the app left.
    END {
      for (cb in frame_cb) tail++
      printf "commits=%d asked=%d done=%d superseded=%d tail=%d releases=%d dmabuf=%d failed=%d shm=%d\n", commits, asked, done, superseded, tail, releases, dmabuf, failed, shm
    }
  ' "$1"
}

# Starts weston on the socket wayland-vkcube, its log in LOG; sets weston_pid. Over lavapipe 25,
# weston 14 from the backports prefix, else Debian's weston 10.
start_weston() { # LOG
  local log=$1 i
  cat >"$XDG_RUNTIME_DIR/weston.ini" <<'EOF2'
[shell]
panel-position=none
background-color=0xff203040
[input-method]
path=
EOF2
  if [ "$driver" = lavapipe25 ]; then
    # weston 14: GL renderer on Mesa 25 (linux-dmabuf v5, feedback); the kiosk shell makes the
    # window the output's size, so the output is vkcube's. Its llvmpipe faults sampling
    # lavapipe 25's own (udmabuf) dma-bufs, with or without syncbridge's fences (a Mesa 25
    # problem): the layer allocates the buffers on weston's main device (the feedback's)
    # instead, SYNCBRIDGE_MEMORY=layer.
    export SYNCBRIDGE_MEMORY=layer
    weston --backend=headless --renderer="${WESTON_RENDERER:-gl}" --shell=kiosk --no-config --idle-time=0 \
      --width="${size%x*}" --height="${size#*x}" --socket=wayland-vkcube >"$log" 2>&1 &
  else
    # --use-gl: only the GL renderer advertises linux-dmabuf (EGL import on vgem).
    weston --config="$XDG_RUNTIME_DIR/weston.ini" --backend=headless-backend.so --use-gl \
      --width=640 --height=560 --idle-time=0 --socket=wayland-vkcube >"$log" 2>&1 &
  fi
  weston_pid=$!
  for ((i = 0; i < 1200; i++)); do
    [ -S "$XDG_RUNTIME_DIR/wayland-vkcube" ] && return 0
    kill -0 "$weston_pid" 2>/dev/null || break
    nap 0.05
  done
  fail "weston did not start"
  tail -n 20 "$log"
  return 1
}

# Judges one vkcube run on a desktop compositor NAME (its log COMPOSITOR_LOG, its exit status
# EXIT): every frame vkcube presented was committed through the layer's linux-dmabuf buffers,
# composited (its frame callback done) and released, and nothing was refused.
judge_desktop_run() { # NAME LOG COMPOSITOR_LOG EXIT
  local name=$1 log=$2 comp_log=$3 comp_status=$4 p=''
  declare -A seen
  parse_fields seen "$(count_protocol "$log.err")"
  say "     vkcube exit $app_status in ${seconds}s, swapchain ${swapchain:-none}; $name exit $comp_status"
  say "       ${seen[commits]} commits with a buffer, ${seen[done]} of ${seen[asked]} frame callbacks done (${seen[superseded]} superseded, ${seen[tail]} pending at exit), ${seen[releases]} buffers released; linux-dmabuf buffers ${seen[dmabuf]} (${seen[failed]} failed), wl_shm pools ${seen[shm]}"
  [ "$app_status" = 0 ] || p="$p vkcube exit $app_status;"
  [ "$comp_status" = 0 ] || p="$p $name exit $comp_status;"
  [ "$strategy" = import ] || p="$p strategy '$strategy', expected import;"
  [ "${seen[commits]}" = "$frames" ] || p="$p ${seen[commits]} commits with a buffer, expected $frames;"
  # Every commit asks for a frame callback (FIFO): the compositor answers it, or the layer's
  # 250 ms grace runs out first and the next commit supersedes it (a loaded machine stalls
  # weston: seen 1.7 s and 2.9 s, then 498 and 495 of 500 answered), or it is the last one,
  # still pending when vkcube exits. A compositor that stopped repainting would supersede nearly
  # all: at most a tenth. The buffer on screen at exit is never released (it goes with the
  # swapchain), and weston 14 repaints on its own clock with up to three of the last buffers
  # still in use.
  [ "${seen[asked]}" -ge "$frames" ] || p="$p ${seen[asked]} frame callbacks asked for, expected one per commit;"
  [ $((seen[done] + seen[superseded] + seen[tail])) = "${seen[asked]}" ] || p="$p frame callbacks: ${seen[done]} done, ${seen[superseded]} superseded, ${seen[tail]} pending of ${seen[asked]};"
  [ "${seen[superseded]}" -le $((frames / 10)) ] || p="$p ${seen[superseded]} frame callbacks superseded: $name stopped repainting;"
  [ "${seen[releases]}" -ge $((frames - 3)) ] || p="$p ${seen[releases]} releases, expected $((frames - 3)) or more;"
  [ "${seen[dmabuf]}" -gt 0 ] || p="$p no linux-dmabuf buffer (was the layer in the path?);"
  [ "${seen[failed]}" = 0 ] || p="$p ${seen[failed]} linux-dmabuf imports failed;"
  [ "${seen[shm]}" = 0 ] || p="$p wl_shm used (the driver's WSI, not the layer's);"
  if grep -iE 'dmabuf|dma-buf|import' "$comp_log" | grep -iE 'fail|error|unsupported|invalid' >"$comp_log.errors"; then
    p="$p $name logged dma-buf import errors;"
    sed 's/^/  /' "$comp_log.errors"
  fi
  if [ -z "$p" ]; then
    say "ok   $name composited and released every frame"
  else
    fail "$name:$p"
    say "  --- vkcube stderr (syncbridge lines), last 15"
    grep '^\[syncbridge\]' "$log.err" | tail -n 15 | sed 's/^/  /'
    say "  --- $name log, last 15 lines"
    tail -n 15 "$comp_log" | sed 's/^/  /'
  fi
}

group_weston() {
  local log=$logs/weston
  start_weston "$log.weston" || return
  say "vkcube-wayland --c $frames through syncbridge over $(eval "echo \"$gpu_words\"") on $(weston --version) (headless, GL)"
  WAYLAND_DISPLAY=wayland-vkcube WAYLAND_DEBUG=client run_vkcube "$log"
  kill -TERM "$weston_pid" 2>/dev/null
  wait "$weston_pid"
  judge_desktop_run weston "$log" "$log.weston" $?
}

# mutter 43 (Debian 12's), headless with one virtual monitor and no Xwayland, on a private
# D-Bus session bus (it will not start without one). With no GPU it makes a surfaceless EGL
# renderer (llvmpipe), which imports linux-dmabuf (v3) buffers. It must still be running when
# vkcube is done; it is then stopped with its bus (its exit status is the bus runner's).
group_mutter() {
  local log=$logs/mutter i p=''
  dbus-run-session -- mutter --headless --wayland --no-x11 --virtual-monitor 640x480 \
    --wayland-display wayland-vkcube >"$log.mutter" 2>&1 &
  local mutter_pid=$!
  for ((i = 0; i < 1200; i++)); do
    [ -S "$XDG_RUNTIME_DIR/wayland-vkcube" ] && break
    kill -0 "$mutter_pid" 2>/dev/null || break
    nap 0.05
  done
  if [ ! -S "$XDG_RUNTIME_DIR/wayland-vkcube" ]; then
    fail "mutter did not start"
    tail -n 20 "$log.mutter"
    return
  fi
  say "vkcube-wayland --c $frames through syncbridge over $(eval "echo \"$gpu_words\"") on $(mutter --version | head -n 1) (headless, virtual monitor)"
  WAYLAND_DISPLAY=wayland-vkcube WAYLAND_DEBUG=client run_vkcube "$log"
  kill -0 "$mutter_pid" 2>/dev/null && pkill -x mutter || p=died
  wait "$mutter_pid"
  judge_desktop_run mutter "$log" "$log.mutter" "${p:-0}"
}

# --- clients come and go on weston ----------------------------------------------------------
# One vkcube-wayland client of group_weston_clients in present mode MODE (vulkan.h's number),
# logged to LOG.err with the client's protocol; its exit status goes to LOG.status.
weston_client() { # LOG MODE
  (
    export WAYLAND_DISPLAY=wayland-vkcube WAYLAND_DEBUG=client
    timeout -k 5 "$app_timeout" vkcube-wayland "${vkcube_args[@]}" --present_mode "$2" >"$1.out" 2>"$1.err"
    echo $? >"$1.status"
  )
}

# What one client's log must show: it exited 0, presented through the layer's linux-dmabuf
# buffers (none refused, no wl_shm), committed its frames and got them back. FIFO commits
# every frame; MAILBOX may replace a queued frame before its commit, but not most of them.
# The buffer on screen at exit and up to two more still in use by weston are not released.
# Sets problems (empty: none) and client_line (what was counted).
weston_client_problems() { # LOG MODE
  local p= status
  declare -A seen
  status=$(<"$1.status")
  parse_fields seen "$(count_protocol "$1.err")"
  [ "$status" = 0 ] || p="$p exit $status;"
  if [ "$2" = 2 ]; then
    [ "${seen[commits]}" = "$frames" ] || p="$p ${seen[commits]} commits, expected $frames;"
  else
    [ "${seen[commits]}" -ge $((frames / 2)) ] || p="$p ${seen[commits]} commits of $frames frames;"
  fi
  # (Without the layer, lavapipe's own WSI keeps a fourth MAILBOX image.)
  local unreleased=3
  [ -z "$bare" ] || unreleased=4
  [ "${seen[releases]}" -ge $((seen[commits] - unreleased)) ] || p="$p ${seen[releases]} of ${seen[commits]} buffers released;"
  if [ -z "$bare" ]; then
    [ "${seen[dmabuf]}" -gt 0 ] || p="$p no linux-dmabuf buffer (was the layer in the path?);"
    [ "${seen[failed]}" = 0 ] || p="$p ${seen[failed]} linux-dmabuf imports failed;"
    [ "${seen[shm]}" = 0 ] || p="$p wl_shm used (the driver's WSI, not the layer's);"
    grep -q '^\[syncbridge\] debug: swapchain .* strategy import' "$1.err" || p="$p no import swapchain logged;"
  fi
  problems=$p
  client_line="commits ${seen[commits]}, released ${seen[releases]}, dma-bufs ${seen[dmabuf]}"
}

# Clients come and go, weston stays (issue #13 part 3): on one weston, 10 vkcube-wayland in a
# row (FIFO and MAILBOX in turn), then 2 at once (one of each). Every client must run all its
# frames through the layer, get its buffers back, and weston must still be running at the end
# and exit cleanly. (Debian's weston 10 does not survive this in the VM even without the layer:
# README.md; this runs on weston 14 over lavapipe 25.) VKCUBE_LAYER=none runs the same without
# syncbridge (the driver's own WSI), to see what the compositor survives on its own.
group_weston_clients() {
  local log=$logs/clients p='' i mode problems started=$SECONDS client_line bare='' through=through
  local modes=() names=()
  if [ "${VKCUBE_LAYER:-}" = none ]; then
    bare=1 through=without
    export VK_INSTANCE_LAYERS=
  fi
  start_weston "$log.weston" || return
  say "vkcube-wayland --c $frames, 10 clients in a row then 2 at once, $through syncbridge over $(eval "echo \"$gpu_words\"") on $(weston --version) (headless)"
  for ((i = 0; i < 10; i++)); do
    mode=2
    ((i % 2 == 0)) || mode=1
    weston_client "$log.$i" "$mode"
    modes+=("$mode")
    names+=("client $i ($([ "$mode" = 2 ] && echo fifo || echo mailbox))")
  done
  weston_client "$log.10" 2 &
  local first=$!
  weston_client "$log.11" 1 &
  wait "$first" $!
  modes+=(2 1)
  names+=("client 10 (fifo, beside 11)" "client 11 (mailbox, beside 10)")
  kill -0 "$weston_pid" 2>/dev/null || p="$p weston died;"
  kill -TERM "$weston_pid" 2>/dev/null
  wait "$weston_pid"
  local weston_status=$?
  for i in "${!modes[@]}"; do
    weston_client_problems "$log.$i" "${modes[$i]}"
    say "     ${names[$i]}: ${client_line}${problems:+; FAILED:$problems}"
    [ -z "$problems" ] || p="$p ${names[$i]}:$problems"
  done
  [ "$weston_status" = 0 ] || p="$p weston exit $weston_status;"
  say "     12 clients in $((SECONDS - started)) s; weston exit $weston_status"
  if [ -z "$p" ]; then
    say "ok   weston served 12 clients, every frame presented and released"
  else
    fail "weston clients:$p"
    say "  --- weston log, last 15 lines"
    tail -n 15 "$log.weston" | sed 's/^/  /'
  fi
}

# --- other layers on the same app ------------------------------------------------------------

# The loader's "vkCreateDevice layer callstack" in LOG (a VK_LOADER_DEBUG=layer run's stderr),
# app first, each layer followed by a space.
device_stack() { # LOG
  awk '/vkCreateDevice layer callstack/ { on = 1; next }
       on && /<Device>/ { exit }
       on && match($0, /VK_LAYER_[A-Za-z_]+$/) { printf "%s ", substr($0, RSTART) }' "$1"
}

# VKCUBE_LAYERS: which of the layer cases to run (default all, in this order).
group_layers() {
  local case
  declare -gA counters
  for case in ${VKCUBE_LAYERS:-vkbasalt mangohud gfxreconstruct}; do
    case $case in
      vkbasalt) layer_vkbasalt ;;
      mangohud) layer_mangohud ;;
      gfxreconstruct) layer_gfxreconstruct ;;
      *) fail "unknown layer case $case" ;;
    esac
  done
}

layer_vkbasalt() {
  local p conf=$XDG_RUNTIME_DIR/vkBasalt.conf
  # vkBasalt: one built-in effect (contrast-adaptive sharpening) on every frame it presents.
  printf 'effects = cas\ncasSharpness = 0.4\n' >"$conf"
  say "vkcube-wayland --c $frames with vkBasalt (cas) above syncbridge over $(eval "echo \"$gpu_words\""), test compositor (content-agnostic, hold ${hold_ms} ms)"
  # A few unjudged frames first: llvmpipe compiles vkcube's and vkBasalt's shaders on their first
  # draw, together well over the compositor's 8 s bound on a busy TCG VM (seen: 8.0 s, a stale
  # first frame); its shader cache (Mesa's disk cache in $HOME) then has them.
  local judged=("${vkcube_args[@]}")
  vkcube_args=(--c 3 "${judged[@]:2}")
  compositor_run vkbasalt-warmup -- ENABLE_VKBASALT=1 "VKBASALT_CONFIG_FILE=$conf" || return
  vkcube_args=("${judged[@]}")
  compositor_run vkbasalt -- ENABLE_VKBASALT=1 "VKBASALT_CONFIG_FILE=$conf" || return
  p=$(frames_ok)
  grep -q 'vkBasalt info:  effects = cas' "$logs/vkbasalt.err" || p="$p vkBasalt did not load its effect;"
  if [ -z "$p" ]; then say "ok   vkBasalt"; else fail "vkBasalt:$p"; dump_run vkbasalt; fi
  compositor_run vkbasalt-control -- ENABLE_VKBASALT=1 "VKBASALT_CONFIG_FILE=$conf" \
    SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1 || return
  p=
  [ $((${counters[stale]:-0} + ${counters[overwrites]:-0})) -gt 0 ] || p=" the control saw no stale or overwritten frame;"
  if [ -z "$p" ]; then say "ok   vkBasalt control (fence transfers off) is caught"; else fail "vkBasalt control:$p"; fi
}

# MangoHud: every frame correct with it too, and its overlay in the frames read exactly when it
# is in the frames of the driver's own WSI (lavapipe's, wl_shm): frame K with and without
# MANGOHUD=1 must differ through syncbridge if and only if they differ there. (MangoHud 0.6.8
# draws nothing in this VM, on any path, so today both are identical; see README.md, "Layers
# on the same app".)
layer_mangohud() {
  local p k=30 judged=("${vkcube_args[@]}") bridged wsi
  say "vkcube-wayland --c $frames with MangoHud above syncbridge over $(eval "echo \"$gpu_words\""), test compositor (content-agnostic, hold ${hold_ms} ms)"
  compositor_run mangohud --png "$logs/mangohud.png" --png-frame "$k" -- MANGOHUD=1 VK_LOADER_DEBUG=layer || return
  p=$(frames_ok)
  grep -q '\[MANGOHUD\]' "$logs/mangohud.err" || p="$p MangoHud did not load;"
  local stack
  stack=$(device_stack "$logs/mangohud.err")
  say "     device call stack: app > $stack> driver"
  [[ $stack == *VK_LAYER_MANGOHUD_overlay\ VK_LAYER_SYNCBRIDGE_wsi* ]] || p="$p MangoHud is not right above syncbridge;"
  if [ -z "$p" ]; then say "ok   MangoHud"; else fail "MangoHud:$p"; dump_run mangohud; fi
  compositor_run mangohud-control -- MANGOHUD=1 SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1 || return
  p=
  [ $((${counters[stale]:-0} + ${counters[overwrites]:-0})) -gt 0 ] || p=" the control saw no stale or overwritten frame;"
  if [ -z "$p" ]; then say "ok   MangoHud control (fence transfers off) is caught"; else fail "MangoHud control:$p"; fi
  vkcube_args=(--c "$k" "${judged[@]:2}")
  compositor_run mangohud-off --png "$logs/mangohud-off.png" --png-frame "$k" -- || { vkcube_args=("${judged[@]}"); return; }
  compositor_run wsi-mangohud --png "$logs/wsi-mangohud.png" --png-frame "$k" -- VK_INSTANCE_LAYERS= MANGOHUD=1
  compositor_run wsi-mangohud-off --png "$logs/wsi-mangohud-off.png" --png-frame "$k" -- VK_INSTANCE_LAYERS=
  vkcube_args=("${judged[@]}")
  p=
  for f in mangohud mangohud-off wsi-mangohud wsi-mangohud-off; do
    [ -s "$logs/$f.png" ] || p="$p no frame $k from run $f;"
  done
  cmp -s "$logs/mangohud.png" "$logs/mangohud-off.png" && bridged=identical || bridged=different
  cmp -s "$logs/wsi-mangohud.png" "$logs/wsi-mangohud-off.png" && wsi=identical || wsi=different
  say "     frame $k with and without MangoHud: through syncbridge $bridged, through lavapipe's own WSI $wsi"
  [ "$bridged" = "$wsi" ] || p="$p the overlay is in the driver's frames but not in syncbridge's (or the reverse);"
  if [ -z "$p" ]; then say "ok   MangoHud's overlay: syncbridge shows what the driver's WSI shows"; else fail "MangoHud overlay:$p"; fi
}

# gfxreconstruct: vkcube captured by its capture layer right above syncbridge (a judged run
# itself), then the capture replayed by gfxrecon-replay in its own Wayland window (wl_shell, the
# only shell it knows) through syncbridge: every replayed frame correct, and the replay's control
# (fence transfers off) caught. The loader orders layers by where it found their manifests:
# VK_LAYER_PATH lists them in the order wanted, app first.
layer_gfxreconstruct() {
  local p capture=$XDG_RUNTIME_DIR/vkcube.gfxr dir=$XDG_RUNTIME_DIR/gfxr-layer
  if ! mkdir -p "$dir" || ! cp /usr/share/vulkan/explicit_layer.d/VkLayer_gfxreconstruct.json "$dir/"; then
    fail "gfxreconstruct: no capture layer manifest"
    return
  fi
  say "vkcube-wayland --c $frames captured by gfxreconstruct above syncbridge, then replayed by gfxrecon-replay through syncbridge, over $(eval "echo \"$gpu_words\""), test compositor (content-agnostic, hold ${hold_ms} ms)"
  # One frame read from each run, to compare: the replay must present what the capture did.
  local k=$(((frames + 1) / 2))
  compositor_run gfxr-capture --png "$logs/gfxr-capture.png" --png-frame "$k" -- VK_ADD_LAYER_PATH= "VK_LAYER_PATH=$dir:$layer_manifest_dir:$gpusim_manifest_dir" \
    VK_INSTANCE_LAYERS=VK_LAYER_LUNARG_gfxreconstruct:VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim \
    VK_LOADER_DEBUG=layer "GFXRECON_CAPTURE_FILE=$capture" GFXRECON_CAPTURE_FILE_TIMESTAMP=false || return
  p=$(frames_ok)
  local stack
  stack=$(device_stack "$logs/gfxr-capture.err")
  say "     capture: device call stack: app > $stack> driver; $(stat -c %s "$capture" 2>/dev/null || echo no) bytes"
  [[ $stack == *VK_LAYER_LUNARG_gfxreconstruct\ VK_LAYER_SYNCBRIDGE_wsi* ]] || p="$p gfxreconstruct is not right above syncbridge;"
  [ -s "$capture" ] || p="$p no capture file;"
  if [ -z "$p" ]; then say "ok   gfxreconstruct capture"; else fail "gfxreconstruct capture:$p"; dump_run gfxr-capture; return; fi

  local saved=("${vkcube_args[@]}")
  app_cmd=(gfxrecon-replay --wsi wayland) vkcube_args=("$capture")
  compositor_run gfxr-replay --wl-shell --png "$logs/gfxr-replay.png" --png-frame "$k" -- || { vkcube_args=("${saved[@]}") app_cmd=(); return; }
  p=$(frames_ok)
  if cmp -s "$logs/gfxr-capture.png" "$logs/gfxr-replay.png"; then
    say "     frame $k read from the replay is byte for byte frame $k read from the capture"
  else
    p="$p frame $k read from the replay differs from the capture's (or is missing);"
  fi
  if [ -z "$p" ]; then say "ok   gfxrecon-replay"; else fail "gfxrecon-replay:$p"; dump_run gfxr-replay; fi
  compositor_run gfxr-replay-control --wl-shell -- SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1
  vkcube_args=("${saved[@]}") app_cmd=()
  p=
  grep -q 'SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1' "$logs/gfxr-replay-control.err" ||
    p="$p the layer did not acknowledge SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1;"
  [ $((${counters[stale]:-0} + ${counters[overwrites]:-0})) -gt 0 ] || p="$p the control saw no stale or overwritten frame;"
  if [ -z "$p" ]; then say "ok   gfxrecon-replay control (fence transfers off) is caught"; else fail "gfxrecon-replay control:$p"; fi
}

# The Khronos validation layer under syncbridge sees every call the layer makes to the driver
# (and the app's, through it): none may be invalid. Its control: gpusim, a test layer known to
# make invalid calls on a Vulkan 1.0 app's behalf, between the two: the same validation must
# report them.
# One validated run: NAME, where validation must sit ("below": right under syncbridge, "above":
# right over it), then the app's extra environment. Every frame correct and no validation error.
validated_run() { # NAME below|above [VAR=VALUE...]
  local name=$1 where=$2 p n stack
  shift 2
  compositor_run "$name" -- VK_LOADER_DEBUG=layer "$@" || return
  p=$(frames_ok)
  n=$(grep -c 'Validation Error' "$logs/$name.out")
  # The loader's "vkCreateDevice layer callstack", app first.
  stack=$(device_stack "$logs/$name.err")
  say "     validation errors: $n; device call stack: app > $stack> driver"
  [ "$n" = 0 ] || { p="$p $n validation errors;"; grep -m3 'Validation Error' "$logs/$name.out" | cut -c1-400; }
  if [ "$where" = below ]; then
    [[ $stack == *VK_LAYER_SYNCBRIDGE_wsi\ VK_LAYER_KHRONOS_validation* ]] || p="$p validation is not right below syncbridge;"
  else
    [[ $stack == *VK_LAYER_KHRONOS_validation\ VK_LAYER_SYNCBRIDGE_wsi* ]] || p="$p validation is not right above syncbridge;"
  fi
  if [ -z "$p" ]; then say "ok   validation $where syncbridge: no error"; else fail "validation $where:$p"; dump_run "$name"; fi
}

group_validation() {
  local n above=$XDG_RUNTIME_DIR/layers-above
  declare -gA counters
  say "vkcube-wayland --c $frames through syncbridge with the Khronos validation layer below it, then above it, over $(eval "echo \"$gpu_words\"")"
  validated_run validation below VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_KHRONOS_validation
  # Above: the loader ignored the order of VK_INSTANCE_LAYERS here and ordered the layers by
  # where their manifests were found; one VK_LAYER_PATH directory holding both (and no other
  # path) puts validation nearest the app.
  if ! mkdir -p "$above" || ! cp "$layer_manifest_dir/VkLayer_syncbridge_wsi.json" \
    /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json "$above/"; then
    fail "validation above: cannot gather the manifests"
    return
  fi
  validated_run validation-above above VK_ADD_LAYER_PATH= "VK_LAYER_PATH=$above" \
    VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation:VK_LAYER_SYNCBRIDGE_wsi
  compositor_run validation-control -- \
    VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim:VK_LAYER_KHRONOS_validation || return
  n=$(grep -c 'Validation Error' "$logs/validation-control.out")
  say "     control (gpusim between them): $n validation errors"
  if [ "$n" -gt 0 ]; then say "ok   validation control (gpusim's invalid calls) is caught"; else fail "validation control: no validation error reported"; fi
}

case "$group" in
  compositor) group_compositor ;;
  weston) group_weston ;;
  weston-clients) group_weston_clients ;;
  mutter) group_mutter ;;
  layers) group_layers ;;
  validation) group_validation ;;
  *)
    say "unknown group $group"
    exit 2
    ;;
esac
say "vkcube $group: $failures failed"
[ "$failures" -eq 0 ]
