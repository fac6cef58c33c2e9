#!/usr/bin/env bash
# Runs inside the test VM: syncbridge-swapchain-app through syncbridge over gpusim, presenting to
# syncbridge-test-compositor, which checks every frame (stale, torn, overwritten). One VM boot
# runs one GROUP of scenarios, each with a compositor of its own.
#
# usage: swapchain_in_vm.sh GROUP APP COMPOSITOR LAYER_MANIFEST_DIR GPUSIM_MANIFEST_DIR
#   GROUP: matrix (300 frames x {fifo,mailbox,immediate} x {import,wait}, and the controls),
#          errors (never-release, vanish, release-twice, resize, a configure storm, 12
#          clients on one compositor, two windows drawn from two threads, presents on a
#          thread of their own, two windows recreating from two threads), failures
#          (vkCreateSwapchainKHR under injected allocation and thread-start failures), faults
#          (SYNCBRIDGE_TEST_FAULT at each site: frames still correct, or the app gets the
#          VkResult), fds (1000 frames, 100
#          recreations), explicit (the matrix and its controls over explicit sync:
#          wp_linux_drm_syncobj_v1, timelines on the VM's virtio-gpu; Linux 6.12, --virtio-gpu;
#          with release points polled, syncobj handles counted, the GPU's own timeline node),
#          tsan (the TSan build: 100 frames x {fifo,mailbox} x {import,wait}, two windows
#          from two threads, presents on a thread of their own, two windows recreating),
#          soak (random GPU and compositor timing, growth sampled: SOAK_FRAMES, SOAK_SEED, ...),
#          or one:NAME to run a single scenario by name.
set -u
group=$1 app=$2 compositor=$3
export VK_ADD_LAYER_PATH="$4:$5"
# syncbridge above gpusim: the first layer named is the one nearest the app.
export VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi:VK_LAYER_SYNCBRIDGE_gpusim
export GPUSIM_LATENCY_MS=16 GPUSIM_JITTER_MS=8
# SWAPCHAIN_DRIVER=lavapipe25: the same scenarios over a real explicit-sync-only dma-buf driver,
# lavapipe 25 from the backports prefix (tools/vm/run --backports, Linux 6.12 for udmabuf), with
# syncbridge alone above it.
driver=${SWAPCHAIN_DRIVER:-gpusim}
expected_layers="VK_LAYER_SYNCBRIDGE_wsi VK_LAYER_SYNCBRIDGE_gpusim "
if [ "$driver" = lavapipe25 ]; then
  # shellcheck source=/dev/null
  . "$(dirname "$0")/../../tools/backports/env-or-skip"
  export VK_INSTANCE_LAYERS=VK_LAYER_SYNCBRIDGE_wsi
  expected_layers="VK_LAYER_SYNCBRIDGE_wsi "
fi
export SYNCBRIDGE_LOG=debug
XDG_RUNTIME_DIR=$(mktemp -d /tmp/swapchain-xdg.XXXXXX) || exit 1  # mktemp -d: mode 0700
export XDG_RUNTIME_DIR
# SYNCBRIDGE_WSI_LOG_DIR: keep every scenario's logs there (a shared, writable directory).
logs=${SYNCBRIDGE_WSI_LOG_DIR:-$XDG_RUNTIME_DIR/logs}
mkdir -p "$logs"
failures=0 passed=0
# What every scenario of a group adds: the compositor's flags and the app's environment.
comp_extra=() env_extra=()
# Each scenario's app may not take longer than this (a hang is a failure, not a stuck VM).
app_timeout=150
# Bounds on single waits, generous for a TCG VM sharing 2 cores with another (ctest -j2), and
# well under vgem's own 10 s fence timeout: the compositor's wait for a frame's write fences,
# and the app's acquires (a hang must show up as VK_TIMEOUT, not as a stuck run).
compositor_wait_ms=5000
acquire_timeout_ns=5000000000

say() { printf '%s\n' "$*"; }

# Parsing and waiting use bash builtins only: in the TCG VM every program started costs ~0.2 s
# (exec over 9p), a `x | tr | sed` pipeline nearly a second.
declare -A counters results
# counters: the compositor's summary ("syncbridge-test-compositor: a=1 b=2 ..."); results: the
# app's "result:" line.
# KEY=VALUE words of LINE into the associative array NAME.
parse_fields() { # NAME LINE
  local -n into=$1
  local word
  # shellcheck disable=SC2034  # written through the nameref
  into=()
  for word in $2; do
    # shellcheck disable=SC2034
    [[ $word == *=* ]] && into[${word%%=*}]=${word#*=}
  done
}
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
# Lines of FILE that contain TEXT, indented, at most MAX of them.
show_lines() { # FILE TEXT MAX
  local line n=0
  while IFS= read -r line && [ "$n" -lt "$3" ]; do
    if [[ $line == *"$2"* ]]; then
      say "     $line"
      n=$((n + 1))
    fi
  done <"$1"
}
# A FIFO nobody writes to: `read -t` on it is a sleep without a process (the guest has no
# /dev/fd for process substitution).
mkfifo "$XDG_RUNTIME_DIR/nap" && exec {sleep_fd}<>"$XDG_RUNTIME_DIR/nap" || exit 1
nap() { read -r -t "$1" -u "$sleep_fd" || true; }

# Starts the compositor with ARGS; sets comp_pid and socket. False if it never listens.
start_compositor() { # LOG ARGS...
  local log=$1
  shift
  : >"$log.comp.out"  # before the compositor's own redirection, for the reader below
  "$compositor" --wait-timeout-ms "$compositor_wait_ms" "$@" >>"$log.comp.out" \
    2>"$log.comp.err" &
  comp_pid=$!
  socket=
  for ((i = 0; i < 400; i++)); do
    socket=$(line_after "$log.comp.out" "listening on ")
    [ -n "$socket" ] && return 0
    kill -0 "$comp_pid" 2>/dev/null || break
    nap 0.025
  done
  say "compositor did not start:"
  cat "$log.comp.err"
  return 1
}

# Stops the compositor (SIGTERM); sets comp_status and summary.
stop_compositor() { # LOG
  kill -TERM "$comp_pid" 2>/dev/null
  wait "$comp_pid"
  comp_status=$?
  summary=$(line_after "$1.comp.out" "syncbridge-test-compositor: ")
  parse_fields counters "$summary"
}

# Runs one scenario: NAME, the compositor's flags, then -- the environment (VAR=VALUE ...), then
# -- the app's flags. Sets app_status, comp_status, summary, result, pacing, strategy, seconds.
run_case() {
  local name=$1 log="$logs/$1"
  shift
  local comp_args=("${comp_extra[@]}") env_args=("${env_extra[@]}") app_args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do comp_args+=("$1"); shift; done
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do env_args+=("$1"); shift; done
  shift
  app_args=("$@")
  current_log=$log
  app_status=-1 comp_status=-1 summary='' result='' pacing='' strategy=''
  start_compositor "$log" "${comp_args[@]}" || return 1
  local started=$SECONDS
  (
    export WAYLAND_DISPLAY="$socket" "${env_args[@]}"
    exec timeout -k 5 "$app_timeout" "$app" "${app_args[@]}" >"$log.app.out" 2>"$log.app.err"
  )
  app_status=$?
  seconds=$((SECONDS - started))
  stop_compositor "$log"
  result=$(line_after "$log.app.out" "result: ")
  parse_fields results "$result"
  pacing=$(line_after "$log.app.out" "pacing: ")
  # "[syncbridge] debug: swapchain 0x...: 256x256, 3 images, present mode 2, driver memory, strategy import"
  local line
  line=$(line_after "$log.app.err" "[syncbridge] debug: swapchain ")
  strategy=${line##* strategy }
  return 0
}

# Prints the evidence of the current scenario after a failure.
dump_logs() {
  say "  app exit $app_status, compositor exit $comp_status"
  say "  result: $result"
  say "  compositor: $summary"
  say "  --- app stderr (last 25 lines) ---"
  tail -n 25 "$current_log.app.err" | sed 's/^/  /'
  say "  --- compositor stderr (last 15 lines) ---"
  tail -n 15 "$current_log.comp.err" | sed 's/^/  /'
}

# Records one scenario's verdict: NAME, then the failed checks (none: passed).
verdict() { # NAME PROBLEMS
  if [ -z "$2" ]; then
    passed=$((passed + 1))
    say "ok   $1 (${seconds}s)"
  else
    failures=$((failures + 1))
    say "FAIL $1 (${seconds}s):$2"
    dump_logs
  fi
}

# Checks shared by the runs that must show every frame correctly: the app's exit status, the
# strategy the layer used, and the compositor's counters.
frames_problems() { # EXPECTED_STRATEGY FRAMES
  local p=
  [ "$app_status" = 0 ] || p="$p app exit $app_status;"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  [ "$strategy" = "$1" ] || p="$p strategy '$strategy', expected $1;"
  for c in stale torn overwrites read_errors wait_timeouts; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[frames_checked]-}" = "$2" ] || p="$p frames_checked=${counters[frames_checked]-}, expected $2;"
  [ "${results[presented]-}" = "$2" ] || p="$p presented=${results[presented]-}, expected $2;"
  if [ "$group" = explicit ]; then
    [ "${counters[explicit_frames]-}" = "$2" ] || p="$p explicit_frames=${counters[explicit_frames]-}, expected $2;"
    [ "${counters[protocol_errors]-}" = 0 ] || p="$p protocol_errors=${counters[protocol_errors]-};"
    grep -q 'wayland: explicit sync (' "$current_log.app.err" || p="$p the layer did not choose explicit sync;"
  fi
  printf '%s' "$p"
}

counters_line() {
  printf 'checked=%s stale=%s torn=%s overwrites=%s skipped=%s' "${counters[frames_checked]-}" \
    "${counters[stale]-}" "${counters[torn]-}" "${counters[overwrites]-}" "${counters[skipped]-}"
}

# --- scenarios --------------------------------------------------------------------------------

strategy_env() { # import|wait
  if [ "$1" = import ]; then
    printf '%s\n' SYNCBRIDGE_MODE=import
  else
    printf '%s\n' SYNCBRIDGE_MODE=wait
  fi
}

# Frames per case_frames run; the tsan group runs fewer (ThreadSanitizer slows every thread).
matrix_frames=300
# matrix_frames frames in MODE with STRATEGY: every frame checked, none stale, torn or
# overwritten. EXTRA: more VAR=VALUE for the app's environment.
case_frames() { # MODE STRATEGY [EXTRA...]
  # Not named `strategy`: run_case sets that one to what the swapchain really used.
  local name="frames-$1-$2" mode=$1 expected=$2
  shift 2
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$expected")" "$@" -- \
    --frames "$matrix_frames" --present-mode "$mode" --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  verdict "$name" "$(frames_problems "$expected" "$matrix_frames")"
  say "     $(counters_line); $pacing"
}

# The control: the same run with the fence transfers switched off must show the corruption.
# The compositor holds each buffer longer than the GPU takes (16 + 0..8 ms), so that a write
# the acquire transfer would have held back lands while it is still reading.
control_hold_ms=40
case_control() { # MODE STRATEGY
  local name="control-$1-$2"
  run_case "$name" --hold-ms "$control_hold_ms" -- "$(strategy_env "$2")" \
    SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1 -- \
    --frames 300 --present-mode "$1" --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local stale overwrites p=
  stale=${counters[stale]:-0} overwrites=${counters[overwrites]:-0}
  [ -n "$summary" ] || p=" no summary from the compositor;"
  [ $((stale + overwrites + ${counters[torn]:-0})) -gt 0 ] || p="$p the control saw no stale, torn or overwritten frame;"
  [ "$strategy" = "$2" ] || p="$p strategy '$strategy', expected $2;"
  verdict "$name" "$p"
  control_stale=$stale control_overwrites=$overwrites control_checked=${counters[frames_checked]-}
  say "     $(counters_line)"
}

# The bridged twin of the control: same compositor hold, same frames, fences bridged.
case_bridged_twin() { # MODE STRATEGY
  local name="bridged-hold${control_hold_ms}-$1-$2"
  run_case "$name" --hold-ms "$control_hold_ms" -- "$(strategy_env "$2")" -- \
    --frames 300 --present-mode "$1" --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  verdict "$name" "$(frames_problems "$2" 300)"
  say "     $(counters_line)"
  say "     control: $control_stale stale, $control_overwrites overwritten of $control_checked; bridged: ${counters[stale]-} stale, ${counters[overwrites]-} overwritten of ${counters[frames_checked]-}"
}

# The syncbridge layers of the loader's "vkCreateDevice layer callstack", app first.
device_call_stack() { # LOG
  local line inside=0 order=''
  while IFS= read -r line; do
    if [[ $line == *"vkCreateDevice layer callstack setup to:"* ]]; then
      inside=1
    elif [ "$inside" = 1 ]; then
      [[ $line == *"<Device>"* ]] && break
      [[ $line =~ (VK_LAYER_SYNCBRIDGE_[a-z]+)$ ]] && order+="${BASH_REMATCH[1]} "
    fi
  done <"$1"
  printf '%s' "$order"
}

# The loader must put syncbridge above gpusim: the call stack of the last scenario's device,
# which ran with VK_LOADER_DEBUG=layer.
check_layer_order() {
  local order
  order=$(device_call_stack "$current_log.app.err")
  seconds=0
  if [ "$order" = "$expected_layers" ]; then
    verdict layer-order ""
    say "     device call stack: app > ${order}> driver"
  else
    verdict layer-order " device call stack '$order'"
  fi
}

# Compositor never releases: a finite acquire timeout gives VK_TIMEOUT, timeout 0 VK_NOT_READY.
case_never_release() { # STRATEGY
  local name="never-release-$1"
  run_case "$name" --hold-ms 8 --never-release -- "$(strategy_env "$1")" -- \
    --frames 50 --acquire-timeout-ns 300000000 --expect timeout || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status (expected VK_TIMEOUT then VK_NOT_READY);"
  verdict "$name" "$p"
  show_lines "$current_log.app.err" 'vkAcquireNextImageKHR(timeout' 2
}

# The compositor drops the client after 20 commits: VK_ERROR_SURFACE_LOST_KHR, no crash, no hang.
case_vanish() { # STRATEGY
  local name="vanish-$1"
  run_case "$name" --hold-ms 8 --vanish-after 20 --vanish client -- "$(strategy_env "$1")" -- \
    --frames 300 --acquire-timeout-ns "$acquire_timeout_ns" --expect surface-lost || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status (expected VK_ERROR_SURFACE_LOST_KHR and a clean exit);"
  verdict "$name" "$p"
  show_lines "$current_log.app.err" SURFACE_LOST 2
}

# Every wl_buffer.release twice: no crash, frames still correct.
case_release_twice() { # STRATEGY
  local name="release-twice-$1"
  run_case "$name" --hold-ms 8 --release-twice -- "$(strategy_env "$1")" -- \
    --frames 100 --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  verdict "$name" "$(frames_problems "$1" 100)"
  say "     $(counters_line)"
}

# A configure with a new size after 30 commits: the app recreates (configure, SUBOPTIMAL or
# OUT_OF_DATE) and goes on; every frame still correct.
case_resize() { # STRATEGY
  local name="resize-$1"
  run_case "$name" --hold-ms 8 --size 256x256 --resize-after 30:320x200 -- "$(strategy_env "$1")" -- \
    --frames 90 --acquire-timeout-ns "$acquire_timeout_ns" --expect recreate || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status;"
  for c in stale torn overwrites read_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  verdict "$name" "$p"
  local recreated=${result#*recreated: }
  say "     recreated: ${recreated%% timeout=*}; presented after the resize: ${results[presented_after_resize]-}; $(counters_line)"
}

# A configure storm (the compositor's --configure-storm): from commit 30, 20 configures of
# other sizes at once at each of 10 commits, 320x200 last. The app recreates as it sees fit and
# must go on presenting at the final size: no hang (the acquire timeout), no crash, every frame
# correct. The compositor's configure count is the evidence that the storm was sent.
case_configure_storm() { # STRATEGY
  local name="configure-storm-$1"
  run_case "$name" --hold-ms 8 --size 256x256 --resize-after 30:320x200 --configure-storm 20 \
    -- "$(strategy_env "$1")" -- \
    --frames 90 --acquire-timeout-ns "$acquire_timeout_ns" --expect recreate || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status;"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  for c in stale torn overwrites read_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[configures]-0}" -ge 200 ] || p="$p configures=${counters[configures]-}, expected >= 200;"
  verdict "$name" "$p"
  local recreated=${result#*recreated: }
  say "     configures: ${counters[configures]-}; recreated: ${recreated%% timeout=*}; presented after the resize: ${results[presented_after_resize]-}; $(counters_line)"
}

# A driver with no SYNC_FD at all (gpusim GPUSIM_SYNC_FD=0): the wait strategy's last resort,
# userspace waits for the render (present) and for the consumer's reads (acquire).
case_no_sync_fd() { # MODE
  local name="no-sync-fd-$1"
  run_case "$name" --hold-ms 8 -- GPUSIM_SYNC_FD=0 -- \
    --frames 300 --present-mode "$1" --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  verdict "$name" "$(frames_problems wait 300)"
  say "     $(counters_line); $pacing"
}

# A driver that imports dma-bufs but cannot export them (gpusim GPUSIM_DMA_BUF_EXPORT=0; lavapipe
# 25 on Linux 6.1, which has no udmabuf): the layer allocates the swapchain's memory itself, and
# the frames are as correct as ever.
case_import_only() { # MODE EXPECTED_STRATEGY [ENV...]
  local name="import-only-$1" mode=$1 expected=$2
  shift 2
  run_case "$name" --hold-ms 8 -- "$@" -- \
    --frames 300 --present-mode "$mode" --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p
  p=$(frames_problems "$expected" 300)
  grep -q "swapchain memory comes from" "$current_log.app.err" ||
    p="$p the layer did not allocate the memory;"
  verdict "$name" "$p"
  say "     $(grep -o 'swapchain memory comes from [^(]*' "$current_log.app.err" | head -n 1); $(counters_line)"
}

# 1000 frames (64x64: the fds are the point, and the compositor reads every pixel): no fd growth between frame 10 and the end.
case_fd_growth() { # STRATEGY
  local name="fds-1000-frames-$1"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$1")" -- \
    --frames 1000 --width 64 --height 64 --present-mode mailbox --fd-check \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p
  p=$(frames_problems "$1" 1000)
  [ "$group" != explicit ] || [ "${results[syncobjs]%%->*}" -gt 0 ] 2>/dev/null ||
    p="$p no syncobj handles counted (syncobjs=${results[syncobjs]-});"
  verdict "$name" "$p"
  say "     open fds after 10 frames -> at the end: ${results[fds]-}; syncobj handles: ${results[syncobjs]-}; $(counters_line)"
}

# --- the soak (issue #14): many frames with random timing on both sides --------------------
# SOAK_FRAMES frames per present mode x strategy over gpusim with a random GPU latency (2..32 ms)
# in front of a compositor that holds each buffer 2..42 ms and sends each release at random
# right after its read or at its hold's end (so releases overtake each other); both seeded
# (SOAK_SEED). The app samples its fds, threads, resident memory and syncobj handles every
# SOAK_SAMPLE_EVERY frames, the GPU idle. Pass: every frame correct, fd, thread and syncobj
# counts the same at every sample, resident memory at most SOAK_RSS_GROWTH_KB above the first
# sample's (the first comes after the warm-up: caches, the driver's pools).
soak_frames=${SOAK_FRAMES:-400}
soak_sample_every=${SOAK_SAMPLE_EVERY:-100}
soak_rss_growth_kb=${SOAK_RSS_GROWTH_KB:-1024}
soak_seed=${SOAK_SEED:-1}
soak_compositor=(--hold-ms 2 --hold-jitter-ms 40 --release random --seed "$soak_seed")
soak_gpu=(GPUSIM_LATENCY_MS=2 GPUSIM_JITTER_MS=30 "GPUSIM_SEED=$soak_seed")

# The app's "sample:" lines: sets soak_first and soak_last (KEY=VALUE words), soak_samples, and
# soak_drift (what changed between samples that must not).
read_samples() { # FILE
  local line
  declare -gA soak_first=() soak_last=()
  soak_samples=0 soak_drift=
  while IFS= read -r line; do
    [[ $line == "sample: "* ]] || continue
    parse_fields soak_last "${line#sample: }"
    soak_samples=$((soak_samples + 1))
    if [ "$soak_samples" = 1 ]; then
      parse_fields soak_first "${line#sample: }"
      continue
    fi
    for key in fds threads syncobjs; do
      [ "${soak_last[$key]}" = "${soak_first[$key]}" ] ||
        soak_drift="$soak_drift $key ${soak_first[$key]} -> ${soak_last[$key]} at frame ${soak_last[frame]};"
    done
  done <"$1"
}

case_soak() { # MODE STRATEGY
  local name="soak-$1-$2"
  # 60 s for the boot of a loaded VM, then 30 ms a frame at worst (FIFO's 16 ms is the pace).
  local app_timeout=$((60 + soak_frames * 30 / 1000))
  run_case "$name" "${soak_compositor[@]}" -- "$(strategy_env "$2")" "${soak_gpu[@]}" -- \
    --frames "$soak_frames" --present-mode "$1" --width 128 --height 128 \
    --sample-every "$soak_sample_every" --acquire-timeout-ns "$acquire_timeout_ns" ||
    { verdict "$name" " no compositor"; return; }
  local p
  p=$(frames_problems "$2" "$soak_frames")
  read_samples "$current_log.app.out"
  local expected=$((soak_frames / soak_sample_every)) growth=$((${soak_last[rss_kb]:-0} - ${soak_first[rss_kb]:-0}))
  [ "$soak_samples" = "$expected" ] || p="$p $soak_samples samples, expected $expected;"
  [ -z "$soak_drift" ] || p="$p$soak_drift"
  [ "${soak_first[rss_kb]:--1}" -gt 0 ] && [ "$growth" -le "$soak_rss_growth_kb" ] ||
    p="$p resident memory ${soak_first[rss_kb]-} -> ${soak_last[rss_kb]-} kB (bound +$soak_rss_growth_kb);"
  [ "${counters[releases_reordered]:-0}" -gt 0 ] || p="$p no release overtook another (the compositor's randomness is off);"
  verdict "$name" "$p"
  # The README's soak table is made of these lines.
  say "     soak-row | $1 | $2 | ${counters[frames_checked]-} | ${counters[stale]-} / ${counters[torn]-} / ${counters[overwrites]-} | ${soak_first[fds]-} -> ${soak_last[fds]-} | ${soak_first[threads]-} -> ${soak_last[threads]-} | ${soak_first[rss_kb]-} -> ${soak_last[rss_kb]-} (${growth:+$growth}) | ${counters[releases_reordered]-} | ${seconds} s |"
}

# The soak's control: the same random timing with the fence transfers off must show corruption
# (within its first 1000 frames: a longer control proves nothing more).
case_soak_control() { # MODE STRATEGY
  local name="soak-control-$1-$2" frames=$((soak_frames < 1000 ? soak_frames : 1000))
  local app_timeout=$((60 + frames * 30 / 1000))
  run_case "$name" "${soak_compositor[@]}" -- "$(strategy_env "$2")" "${soak_gpu[@]}" \
    SYNCBRIDGE_TEST_DISABLE_FENCE_TRANSFER=1 -- --frames "$frames" --present-mode "$1" \
    --width 128 --height 128 --acquire-timeout-ns "$acquire_timeout_ns" ||
    { verdict "$name" " no compositor"; return; }
  local p=
  [ -n "$summary" ] || p=" no summary from the compositor;"
  [ $((${counters[stale]:-0} + ${counters[overwrites]:-0} + ${counters[torn]:-0})) -gt 0 ] ||
    p="$p the control saw no stale, torn or overwritten frame;"
  verdict "$name" "$p"
  say "     $(counters_line)"
}

# The growth check's control: an app that leaks an fd before every sample must be caught.
case_soak_leak_control() {
  local name="soak-control-fd-leak"
  run_case "$name" "${soak_compositor[@]}" -- SYNCBRIDGE_MODE=import "${soak_gpu[@]}" -- \
    --frames $((3 * soak_sample_every)) --present-mode mailbox --width 128 --height 128 \
    --sample-every "$soak_sample_every" --leak-fd-control \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  read_samples "$current_log.app.out"
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status;"
  [[ $soak_drift == *"fds "* ]] || p="$p the leaked fds went unnoticed (samples: $soak_samples);"
  verdict "$name" "$p"
  say "     caught:$soak_drift"
}

# 100 recreations (oldSwapchain), 3 frames each: no fd growth, no sync error.
case_recreate() { # STRATEGY
  local name="recreate-100-$1"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$1")" -- \
    --recreate 100 --recreate-every 3 --width 64 --height 64 --present-mode mailbox --fd-check \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status;"
  [ "$strategy" = "$1" ] || p="$p strategy '$strategy', expected $1;"
  for c in stale torn overwrites read_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "$group" != explicit ] || [ "${results[syncobjs]%%->*}" -gt 0 ] 2>/dev/null ||
    p="$p no syncobj handles counted (syncobjs=${results[syncobjs]-});"
  verdict "$name" "$p"
  say "     open fds: ${results[fds]-}; syncobj handles: ${results[syncobjs]-}; recreated: ${results[requested]-}; $(counters_line)"
}

# Clients come and go, the compositor stays: on one compositor, 10 apps one after another
# (fifo and mailbox in turn), then 2 at once (one of each). Every app must run all its frames
# (an unreleased buffer would stop it at an acquire timeout), every frame must be read and
# correct, and the compositor must still be serving at the end and exit cleanly.
# Two windows from two threads (--windows 2), each recreating its swapchain (oldSwapchain) every
# 3 frames, 20 times: one thread's vkCreateSwapchainKHR and vkDestroySwapchainKHR while the other
# waits in vkAcquireNextImageKHR. On different swapchains, as Vulkan requires: oldSwapchain is
# externally synchronised, so no thread may wait in an acquire on the swapchain being retired.
case_windows_recreate() { # STRATEGY
  local name="windows-2-recreate-$1" frames=$((21 * 3))
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$1")" -- \
    --windows 2 --frames "$frames" --recreate 20 --recreate-every 3 --width 64 --height 64 --present-mode mailbox \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p= c
  [ "$app_status" = 0 ] || p="$p app exit $app_status;"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  for c in stale torn overwrites read_errors wait_timeouts; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[frames_checked]-}" = $((2 * frames)) ] || p="$p frames_checked=${counters[frames_checked]-}, expected $((2 * frames));"
  verdict "$name" "$p"
  say "     $(counters_line)"
}

# MODE with STRATEGY, each frame submitted on the frame loop's thread and presented on another
# (--present-thread, handed over and waited for): every frame checked.
case_present_thread() { # MODE STRATEGY
  local name="present-thread-$1-$2"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$2")" -- \
    --present-thread --frames "$matrix_frames" --width 64 --height 64 --present-mode "$1" \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  verdict "$name" "$(frames_problems "$2" "$matrix_frames")"
  say "     $(counters_line)"
}

# Two windows of one app, each with its own swapchain (and instance and device), drawn from two
# threads at once (--windows 2): the layer's global state and the threads of two swapchains
# against two app threads. Every frame of both checked.
case_windows() { # MODE STRATEGY
  local name="windows-2-$1-$2" frames=$matrix_frames
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$2")" -- \
    --windows 2 --frames "$frames" --width 64 --height 64 --present-mode "$1" \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p= c
  [ "$app_status" = 0 ] || p="$p app exit $app_status;"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  [ "$strategy" = "$2" ] || p="$p strategy '$strategy', expected $2;"
  for c in stale torn overwrites read_errors wait_timeouts; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[frames_checked]-}" = $((2 * frames)) ] || p="$p frames_checked=${counters[frames_checked]-}, expected $((2 * frames));"
  verdict "$name" "$p"
  say "     $(counters_line)"
}

case_clients() { # STRATEGY
  local name="clients-$1" log="$logs/clients-$1" i mode p= frames=30 total=0 started=$SECONDS
  local pids=() statuses=()
  current_log=$log app_status=0
  start_compositor "$log" "${comp_extra[@]}" --hold-ms 8 || { verdict "$name" " no compositor"; return; }
  one_client() { # INDEX MODE
    (
      export WAYLAND_DISPLAY="$socket" "${env_extra[@]}" "$(strategy_env "$1")"
      exec timeout -k 5 "$app_timeout" "$app" --frames "$frames" --width 64 --height 64 \
        --present-mode "$3" --acquire-timeout-ns "$acquire_timeout_ns" >"$log.app$2.out" 2>"$log.app$2.err"
    )
  }
  for ((i = 0; i < 10; i++)); do
    mode=fifo
    ((i % 2 == 0)) || mode=mailbox
    one_client "$1" "$i" "$mode"
    statuses+=($?)
    total=$((total + frames))
  done
  one_client "$1" 10 fifo &
  pids+=($!)
  one_client "$1" 11 mailbox &
  pids+=($!)
  for i in "${pids[@]}"; do
    wait "$i"
    statuses+=($?)
    total=$((total + frames))
  done
  kill -0 "$comp_pid" 2>/dev/null || p=" the compositor died;"
  seconds=$((SECONDS - started))
  stop_compositor "$log"
  for i in "${!statuses[@]}"; do
    [ "${statuses[$i]}" = 0 ] || { p="$p client $i exit ${statuses[$i]};"; cat "$log.app$i.err" >"$log.app.err"; }
  done
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  for c in stale torn overwrites read_errors wait_timeouts; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[frames_checked]-}" = "$total" ] || p="$p frames_checked=${counters[frames_checked]-}, expected $total;"
  verdict "$name" "$p"
  say "     12 clients (10 in a row, 2 at once), $total frames: $(counters_line); releases=${counters[releases]-}"
}

# The syncobj count's control: the app leaks a syncobj on the layer's timeline device at each
# recreation (5, two after the first count): the fd check must fail on syncobjs alone.
case_syncobj_leak_control() {
  local name="syncobj-leak-control"
  run_case "$name" --hold-ms 8 -- SYNCBRIDGE_MODE=import -- \
    --recreate 5 --recreate-every 3 --frames 20 --width 64 --height 64 --present-mode mailbox \
    --fd-check --leak-syncobj-control --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p= before=${results[syncobjs]%%->*} after=${results[syncobjs]##*->}
  [ "$app_status" = 2 ] || p=" app exit $app_status, expected 2 (growth);"
  [ "$((after - before))" = 2 ] 2>/dev/null || p="$p syncobjs ${results[syncobjs]-}, expected 2 more at the end;"
  [ "${results[fds]%%->*}" = "${results[fds]##*->}" ] || p="$p fds ${results[fds]-} grew too;"
  verdict "$name" "$p"
  say "     syncobj handles: ${results[syncobjs]-}; open fds: ${results[fds]-}"
}

# Release points polled as on kernels before 6.6 (no DRM_IOCTL_SYNCOBJ_EVENTFD), forced on this
# 6.12 by a test switch: every frame still correct.
case_polled() { # MODE STRATEGY
  local name="polled-$1-$2"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$2")" SYNCBRIDGE_TEST_NO_SYNCOBJ_EVENTFD=1 -- \
    --frames 300 --present-mode "$1" --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p
  p=$(frames_problems "$2" 300)
  grep -q 'release points are polled every millisecond' "$current_log.app.err" ||
    p="$p the layer did not poll;"
  verdict "$name" "$p"
  say "     $(counters_line); $pacing"
}

# A driver with VK_EXT_physical_device_drm (gpusim with its memory on the virtio-gpu): with no
# main device from the compositor, the timelines go on the app's GPU, named by the extension.
# (case_sync_choice auto, without the extension, finds the same node by the scan.)
case_timeline_device() {
  local name="timeline-device-gpu"
  run_case "$name" --hold-ms 8 -- SYNCBRIDGE_MODE=import "GPUSIM_MEMORY_DEVICE=$syncobj_card" -- \
    --frames 100 --present-mode fifo --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p
  p=$(frames_problems import 100)
  grep -q "timelines on $syncobj_node: the app's GPU)" "$current_log.app.err" ||
    p="$p the timelines are not on the app's GPU ($syncobj_node);"
  grep -q 'driver memory' "$current_log.app.err" || p="$p not the driver's (virtio-gpu) memory;"
  verdict "$name" "$p"
  say "     $(grep -o 'timelines on [^)]*' "$current_log.app.err" | head -n 1); $(counters_line)"
}

# The ASan build's control: a leak made in the layer (SYNCBRIDGE_TEST_LEAK=1, one allocation per
# instance) fails the app with a LeakSanitizer report that names it, so the run above would have
# caught a leak of the layer's own (through the loader, which the suppressions do not name).
case_leak_control() {
  local name="leak-control"
  run_case "$name" --hold-ms 8 -- SYNCBRIDGE_MODE=import SYNCBRIDGE_TEST_LEAK=1 -- \
    --recreate 3 --width 64 --height 64 --present-mode mailbox \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p= err
  err=$(<"$current_log.app.err")
  [ "$app_status" != 0 ] || p=" the app passed;"
  [[ $err == *"ERROR: LeakSanitizer: detected memory leaks"* ]] || p="$p no LeakSanitizer report;"
  [[ $err == *leak_for_sanitizer_control* ]] || p="$p the report does not name the layer's leak;"
  verdict "$name" "$p"
}

# vkCreateDevice, then vkCreateSwapchainKHR, under injected failure (the app's
# --inject-failures): their allocation callbacks failing the Nth call, N = 1, 2, ... until creation succeeds, must give
# VK_ERROR_OUT_OF_HOST_MEMORY each time and leave no fd, syncobj or allocation behind; the
# successful one must have allocated through them and given everything back. Then the layer's
# first thread start fails (SYNCBRIDGE_TEST_FAIL_THREAD_START=1: the hand-over thread for wait,
# the Wayland event thread for import): an error, logged once, nothing left. Then 60 ordinary
# frames. The app's own checks are the controls: each failing N must have reached its injected
# failure, and the thread case fails if creation succeeds.
case_injected_failures() { # STRATEGY
  local name="injected-failures-$1"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$1")" -- \
    --inject-failures --frames 60 --width 64 --height 64 --present-mode mailbox --fd-check \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p out failed_attempts thread_logs expected_thread=sb-wayland
  p=$(frames_problems "$1" 60)
  out=$(<"$current_log.app.out")
  failed_attempts=$(grep -c '^inject: alloc N=[0-9]* result=-1 ' "$current_log.app.out")
  [ "$failed_attempts" -gt 1 ] || p="$p only $failed_attempts allocation failures injected;"
  [[ $out == *"inject: device allocation failures: "*" attempts failed cleanly, then success"* ]] || p="$p the device allocation loop did not end in success;"
  [[ $out == *"inject: allocation failures: "*" attempts failed cleanly, then success"* ]] || p="$p the swapchain allocation loop did not end in success;"
  [[ $out == *"inject: thread result=-1 "* ]] || p="$p the failed thread start did not fail vkCreateSwapchainKHR with OUT_OF_HOST_MEMORY;"
  [ "$1" = wait ] && expected_thread=sb-hand-over
  thread_logs=$(grep -c "pthread_create ($expected_thread)" "$current_log.app.err")
  [ "$thread_logs" = 1 ] || p="$p the failed start of $expected_thread logged $thread_logs times, expected once;"
  verdict "$name" "$p"
  say "     $(grep '^inject: device N=.* result=0 ' "$current_log.app.out"); $failed_attempts failed swapchain creations; $(grep '^inject: alloc N=.* result=0 ' "$current_log.app.out"); $(grep '^inject: thread' "$current_log.app.out"); open fds: ${results[fds]-}"
}

# How often the fixed text TEXT occurs in FILE (lines).
count_lines() { # FILE TEXT
  local line n=0
  while IFS= read -r line; do
    [[ $line == *"$2"* ]] && n=$((n + 1))
  done <"$1"
  printf '%s' "$n"
}

# Checks shared by the fault cases: the fault fired (the layer's debug line for each injected
# call: exactly once for a numbered call, at least twice for every call), and the layer's own
# line about it appeared exactly once.
fault_problems() { # SPEC LAYER_LINE
  local site=${1%%:*} call=${1#*:} fired logged p=
  call=${call%%:*}
  fired=$(count_lines "$current_log.app.err" "test fault: $site call ")
  if [ "$call" = every ]; then
    [ "$fired" -ge 2 ] || p=" the fault fired $fired times;"
  else
    [ "$fired" = 1 ] || p=" the fault fired $fired times, expected once;"
  fi
  logged=$(count_lines "$current_log.app.err" "$2")
  [ "$logged" = 1 ] || p="$p '$2' logged $logged times, expected once;"
  printf '%s' "$p"
}

# SYNCBRIDGE_TEST_FAULT=SPEC under STRATEGY: 60 frames, every one correct by the compositor's
# judgement (the layer waits for that frame on the app's thread instead), LAYER_LINE logged
# once, no fd growth. EXTRA: VAR=VALUE for the app's environment, --flags for the app.
case_fault() { # STRATEGY SPEC LAYER_LINE [EXTRA...]
  local strategy=$1 spec=$2 line=$3 name="fault-$1-${2//:/-}" env=() flags=() extra
  shift 3
  for extra in "$@"; do
    if [[ $extra == --* ]]; then flags+=("$extra"); else env+=("$extra"); fi
  done
  [[ " ${flags[*]} " == *" --acquire-fence "* ]] && name+="-with-fence"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$strategy")" "SYNCBRIDGE_TEST_FAULT=$spec" "${env[@]}" -- \
    --frames 60 --width 64 --height 64 --present-mode mailbox --fd-check "${flags[@]}" \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p
  p="$(frames_problems "$strategy" 60)$(fault_problems "$spec" "$line")"
  verdict "$name" "$p"
  say "     fired: $(count_lines "$current_log.app.err" "test fault: ${spec%%:*} call ")x; open fds: ${results[fds]-}; $(counters_line)"
}

# SYNCBRIDGE_TEST_FAULT=SPEC where no frame can be made right: the app must get the VkResult
# (its line APP_LINE, and exit EXIT: 1 for an error, 0 for the surface-lost it expects), the
# layer says so once (LAYER_LINE), no crash, no hang. The frames before it are still correct.
case_fault_error() { # STRATEGY SPEC APP_LINE LAYER_LINE EXIT [ENV...] -- [APP FLAGS...]
  local strategy=$1 spec=$2 app_line=$3 line=$4 exit=$5 name="fault-$1-${2//:/-}"
  shift 5
  local env=() flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do env+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  flags=("$@")
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$strategy")" "SYNCBRIDGE_TEST_FAULT=$spec" "${env[@]}" -- \
    --frames 60 --width 64 --height 64 --present-mode mailbox "${flags[@]}" \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = "$exit" ] || p=" app exit $app_status, expected $exit;"
  grep -qF -- "$app_line" "$current_log.app.err" || p="$p the app did not see '$app_line';"
  for c in stale torn overwrites read_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  p="$p$(fault_problems "$spec" "$line")"
  verdict "$name" "$p"
  say "     app: $(grep -F -m 1 -- "$app_line" "$current_log.app.err"); presented=${results[presented]-}; $(counters_line)"
}

# gpusim loses the device at its 61st submit (GPUSIM_DEVICE_LOST_AFTER=60, the layer's submits
# included: about frame 20 of 300): the app must get VK_ERROR_DEVICE_LOST from a call (submit,
# acquire, present or a fence wait), stop, destroy everything and exit (1, its error exit: not a
# crash) within a bound; the frames before it correct.
device_lost_bound_s=30
case_device_lost() { # STRATEGY
  local name="device-lost-$1"
  run_case "$name" --hold-ms 8 -- "$(strategy_env "$1")" GPUSIM_DEVICE_LOST_AFTER=60 -- \
    --frames 300 --width 64 --height 64 --present-mode mailbox \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p='' line
  [ "$app_status" = 1 ] || p=" app exit $app_status, expected 1 (its error exit);"
  line=$(grep -m 1 'VK_ERROR_DEVICE_LOST' "$current_log.app.err")
  [ -n "$line" ] || p="$p the app never saw VK_ERROR_DEVICE_LOST;"
  grep -q 'the device is lost (GPUSIM_DEVICE_LOST_AFTER=60)' "$current_log.app.err" || p="$p gpusim did not lose the device;"
  [ "$seconds" -le "$device_lost_bound_s" ] || p="$p the app took ${seconds}s (bound ${device_lost_bound_s}s);"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  for c in stale torn overwrites read_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  verdict "$name" "$p"
  say "     app: $line; presented=${results[presented]-}; $(counters_line)"
}

# The compositor is killed (SIGKILL) mid-run, with buffers held and read fences pending: the app
# must get VK_ERROR_SURFACE_LOST_KHR and exit cleanly within a bound after the kill.
compositor_gone_bound_s=15
case_compositor_killed() { # STRATEGY
  local name="compositor-killed-$1" log="$logs/compositor-killed-$1" app_pid killed_at i
  current_log=$log app_status=-1 comp_status=-1 summary='' result=''
  start_compositor "$log" --hold-ms 8 || { verdict "$name" " no compositor"; return; }
  local started=$SECONDS
  (
    export WAYLAND_DISPLAY="$socket" "$(strategy_env "$1")"
    exec timeout -k 5 "$app_timeout" "$app" --frames 100000 --width 64 --height 64 \
      --present-mode mailbox --acquire-timeout-ns "$acquire_timeout_ns" --expect surface-lost \
      >"$log.app.out" 2>"$log.app.err"
  ) &
  app_pid=$!
  # Mid-run: once the app presents (its "images" line), and a second more.
  for ((i = 0; i < 400; i++)); do
    grep -q 'swapchain-app: .* images ' "$log.app.err" 2>/dev/null && break
    nap 0.05
  done
  nap 1
  kill -KILL "$comp_pid"
  wait "$comp_pid" 2>/dev/null
  killed_at=$SECONDS
  wait "$app_pid"
  app_status=$?
  seconds=$((SECONDS - started))
  local after=$((SECONDS - killed_at)) p=''
  result=$(line_after "$log.app.out" "result: ")
  [ "$app_status" = 0 ] || p=" app exit $app_status (expected VK_ERROR_SURFACE_LOST_KHR and a clean exit);"
  [ "$after" -le "$compositor_gone_bound_s" ] || p="$p the app took ${after}s after the kill (bound ${compositor_gone_bound_s}s);"
  verdict "$name" "$p"
  say "     $(grep -m 1 -o 'vk[A-Za-z]*: VK_ERROR_SURFACE_LOST_KHR' "$log.app.err"), ${after}s after the kill; $result"
}

# The compositor stops reading its socket after 20 commits (--stall-after: hung, its held read
# fences never signalled by it): acquire must give VK_TIMEOUT after the app's timeout (1 s),
# then VK_NOT_READY, and the app must get out (destroy included) within a bound: its last
# frame's GPU work waits on a held read fence until vgem times it out (10 s), so the bound is
# that plus slack. The hung compositor's own judgement is not checked: once vgem has timed its
# read fences out, a write into the buffer is no longer a fault of the app's (measured: one
# "overwrite" in some runs, under either strategy).
compositor_stall_bound_s=25
case_compositor_stalled() { # STRATEGY
  local name="compositor-stalled-$1"
  run_case "$name" --hold-ms 8 --stall-after 20 -- "$(strategy_env "$1")" -- \
    --frames 300 --width 64 --height 64 --present-mode mailbox --acquire-timeout-ns 1000000000 \
    --expect timeout || { verdict "$name" " no compositor"; return; }
  local p='' outcome='acquire: VK_TIMEOUT in bounds, then VK_NOT_READY'
  # Or, by the timing of the stall: the app had already acquired an image whose read fence the
  # hung compositor holds (import: the fence went into the acquire semaphore), and its own
  # bounded wait for that frame's GPU work gives VK_TIMEOUT (8 s, before vgem's 10 s).
  if [ "$app_status" = 1 ] && grep -q 'vkWaitForFences: VK_TIMEOUT' "$current_log.app.err"; then
    outcome="the app's vkWaitForFences: VK_TIMEOUT"
  elif [ "$app_status" != 0 ]; then
    p=" app exit $app_status (expected VK_TIMEOUT from acquire or from the app's fence wait);"
  fi
  [ "$seconds" -le "$compositor_stall_bound_s" ] || p="$p the app took ${seconds}s (bound ${compositor_stall_bound_s}s);"
  grep -q 'stalling after 20 commits' "$current_log.comp.err" || p="$p the compositor did not stall;"
  verdict "$name" "$p"
  show_lines "$current_log.app.err" 'vkAcquireNextImageKHR(timeout' 2
  say "     $outcome; the app's whole run: ${seconds}s; compositor: $(counters_line)"
}

# The compositor refuses to create the swapchain's buffers (--reject-format XR24, the format the
# swapchain uses): the layer's create_immed gets the protocol error, which ends the connection,
# so vkCreateSwapchainKHR gives VK_ERROR_SURFACE_LOST_KHR (the app's expected end), one log
# line, no crash, the compositor unharmed.
case_compositor_refuses() { # STRATEGY
  local name="compositor-refuses-buffers-$1"
  run_case "$name" --hold-ms 8 --reject-format XR24 -- "$(strategy_env "$1")" -- \
    --frames 60 --width 64 --height 64 --present-mode mailbox --expect surface-lost \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p='' line logged
  line=$(grep -m 1 'vkCreateSwapchainKHR (requested): VK_ERROR_SURFACE_LOST_KHR' "$current_log.app.err")
  logged=$(count_lines "$current_log.app.err" "[syncbridge] error: wayland: creating the swapchain's wl_buffers")
  [ "$app_status" = 0 ] || p=" app exit $app_status (expected VK_ERROR_SURFACE_LOST_KHR and a clean exit);"
  [ -n "$line" ] || p="$p vkCreateSwapchainKHR did not give VK_ERROR_SURFACE_LOST_KHR;"
  [ "$logged" = 1 ] || p="$p the layer logged the refusal $logged times, expected once;"
  [ "${counters[rejected]:-0}" -ge 1 ] || p="$p the compositor refused nothing (rejected=${counters[rejected]-});"
  [ "$comp_status" = 0 ] || p="$p compositor exit $comp_status;"
  verdict "$name" "$p"
  say "     app: $line; compositor: rejected=${counters[rejected]-}"
}

# A read fence that never signals: the compositor releases each buffer when the next replaces
# it but holds its read fence for 60 s, so only vgem's own 10 s timeout would signal it. Over a
# driver without SYNC_FD (the wait strategy's last resort) acquire itself waits for the reads:
# it must give VK_TIMEOUT after the app's 1 s, then VK_NOT_READY, and the app write nothing
# under the pending fence.
case_unsignalled_read_fence() {
  local name="unsignalled-read-fence-wait"
  run_case "$name" --hold-ms 60000 --release on-replace -- GPUSIM_SYNC_FD=0 -- \
    --frames 60 --width 64 --height 64 --present-mode mailbox --acquire-timeout-ns 1000000000 \
    --expect timeout || { verdict "$name" " no compositor"; return; }
  local p=''
  [ "$app_status" = 0 ] || p=" app exit $app_status (expected VK_TIMEOUT in bounds, then VK_NOT_READY);"
  [ "$strategy" = wait ] || p="$p strategy '$strategy', expected wait;"
  [ "$seconds" -le "$compositor_gone_bound_s" ] || p="$p the app took ${seconds}s (bound ${compositor_gone_bound_s}s);"
  for c in stale torn overwrites read_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  verdict "$name" "$p"
  show_lines "$current_log.app.err" 'vkAcquireNextImageKHR(timeout' 2
  say "     the app's whole run: ${seconds}s; compositor: $(counters_line); releases=${counters[releases]-}"
}

# Explicit sync offered, and SYNCBRIDGE_WAYLAND_SYNC=auto (the default) must take it; =implicit
# must not (the compositor then checks implicit-sync frames: none explicit).
case_sync_choice() { # auto|implicit
  local name="sync-choice-$1"
  run_case "$name" --hold-ms 8 -- SYNCBRIDGE_MODE=import "SYNCBRIDGE_WAYLAND_SYNC=$1" -- \
    --frames 100 --present-mode fifo --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p=
  if [ "$1" = auto ]; then
    p=$(frames_problems import 100)
    grep -q "timelines on $syncobj_node: the first render node with timelines)" "$current_log.app.err" ||
      p="$p the timelines were not found by the scan on $syncobj_node;"
  else
    p=$(group=matrix frames_problems import 100)
    [ "${counters[explicit_frames]-}" = 0 ] || p="$p explicit_frames=${counters[explicit_frames]-}, expected 0;"
    grep -q 'wayland: implicit sync (SYNCBRIDGE_WAYLAND_SYNC=implicit)' "$current_log.app.err" ||
      p="$p the layer did not say it chose implicit sync;"
  fi
  verdict "$name" "$p"
  say "     explicit-sync frames: ${counters[explicit_frames]-}; $(counters_line)"
}

# Every scenario from here on over explicit sync: the compositor offers it with timelines on the
# virtio-gpu render node (vgem has no syncobjs), and the layer must use it.
# Explicit sync: the compositor withdraws wp_linux_drm_syncobj_manager_v1 after 30 commits while
# the swapchain uses it, and the app recreates its swapchain after it (every 40 frames): no crash,
# no protocol error, every frame correct, whatever sync each later swapchain chooses.
case_syncobj_manager_removed() { # STRATEGY
  local name="syncobj-manager-removed-$1"
  run_case "$name" --hold-ms 8 --remove-syncobj-after 30 -- "$(strategy_env "$1")" -- \
    --frames 160 --recreate 3 --recreate-every 40 --present-mode mailbox \
    --acquire-timeout-ns "$acquire_timeout_ns" || { verdict "$name" " no compositor"; return; }
  local p=
  [ "$app_status" = 0 ] || p=" app exit $app_status;"
  for c in stale torn overwrites read_errors wait_timeouts protocol_errors; do
    [ "${counters[$c]-}" = 0 ] || p="$p $c=${counters[$c]-};"
  done
  [ "${counters[frames_checked]-}" = 160 ] || p="$p frames_checked=${counters[frames_checked]-}, expected 160;"
  grep -q 'syncobj manager global removed after 30 commits' "$current_log.comp.err" ||
    p="$p the compositor did not remove the global;"
  [ "${results[requested]-}" = 3 ] || p="$p recreated ${results[requested]-} times, expected 3;"
  verdict "$name" "$p"
  say "     explicit frames ${counters[explicit_frames]-} of ${counters[frames_checked]-}; $(counters_line)"
}

use_explicit_sync() {
  local dev card
  syncobj_node='' syncobj_card=''
  for dev in /sys/class/drm/renderD*; do
    if grep -qx 'DRIVER=virtio-pci' "$dev/device/uevent" 2>/dev/null; then
      syncobj_node=/dev/dri/${dev##*/}
      for card in "$dev"/device/drm/card*; do
        syncobj_card=/dev/dri/${card##*/}
      done
    fi
  done
  [ -n "$syncobj_node" ] && [ -n "$syncobj_card" ] || { say "no virtio-gpu render and card nodes (boot with --virtio-gpu)"; exit 1; }
  comp_extra=(--syncobj "$syncobj_node") env_extra=(SYNCBRIDGE_WAYLAND_SYNC=explicit)
}

case "$group" in
  matrix)
    case_frames fifo import VK_LOADER_DEBUG=layer
    check_layer_order
    for strategy in import wait; do
      for mode in fifo mailbox immediate; do
        [ "$mode/$strategy" = fifo/import ] || case_frames "$mode" "$strategy"
      done
    done
    for strategy in import wait; do
      case_control mailbox "$strategy"
      case_bridged_twin mailbox "$strategy"
    done
    if [ "$driver" = gpusim ]; then
      case_import_only mailbox import SYNCBRIDGE_MODE=import GPUSIM_DMA_BUF_EXPORT=0
      case_no_sync_fd mailbox
    fi
    ;;
  errors)
    # The multi-threaded cases below draw 100 frames per window, not 300: threads, not pacing.
    matrix_frames=100
    for strategy in import wait; do
      case_never_release "$strategy"
      case_vanish "$strategy"
      case_release_twice "$strategy"
      case_resize "$strategy"
      case_configure_storm "$strategy"
      case_clients "$strategy"
      case_windows fifo "$strategy"
      case_present_thread mailbox "$strategy"
      case_windows_recreate "$strategy"
    done
    ;;
  failures)
    for strategy in import wait; do
      case_injected_failures "$strategy"
    done
    ;;
  faults)
    # Each site of SYNCBRIDGE_TEST_FAULT (issue #14), on the 10th call and on every call.
    # The present-side sites are on the app's thread only where the driver's SYNC_FD export does
    # not block: the layer's probe measures that, and under ASan it can call gpusim's export
    # blocking; SYNCBRIDGE_BLOCKING_EXPORT=app keeps those cases on that path whatever it says.
    app_export=SYNCBRIDGE_BLOCKING_EXPORT=app
    case_fault import import_sync_file:10 'present: DMA_BUF_IOCTL_IMPORT_SYNC_FILE: ' "$app_export"
    case_fault import import_sync_file:every 'present: DMA_BUF_IOCTL_IMPORT_SYNC_FILE: ' "$app_export"
    case_fault import export_sync_file:10 'acquire: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: '
    case_fault import export_sync_file:every 'acquire: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: '
    case_fault wait export_sync_file:10 'acquire: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: '
    case_fault import get_semaphore_fd:10 'present: vkGetSemaphoreFdKHR(SYNC_FD) failed' "$app_export"
    case_fault import get_semaphore_fd:every 'present: vkGetSemaphoreFdKHR(SYNC_FD) failed' "$app_export"
    case_fault import import_semaphore_fd:10 "acquire: importing the consumer's reads failed"
    case_fault wait import_semaphore_fd:10 "acquire: importing the consumer's reads failed"
    # Acquires with a semaphore and a fence: either import may fail, and only what was not
    # imported is signalled by the layer's empty submit.
    case_fault import import_semaphore_fd:10 "acquire: importing the consumer's reads failed" --acquire-fence
    case_fault import import_fence_fd:10 "acquire: importing the consumer's reads failed" --acquire-fence
    # No frame can be made right: the app gets the VkResult.
    case_fault_error import export_sync_file:10:ENODEV 'vkAcquireNextImageKHR: VK_ERROR_SURFACE_LOST_KHR' \
      'acquire: DMA_BUF_IOCTL_EXPORT_SYNC_FILE: No such device' 0 -- --expect surface-lost
    case_fault_error import get_semaphore_fd:10:VK_ERROR_DEVICE_LOST 'vkQueuePresentKHR: VK_ERROR_DEVICE_LOST' \
      'test fault: get_semaphore_fd call 10 ' 1 "$app_export"
    case_fault_error import import_semaphore_fd:10:VK_ERROR_DEVICE_LOST 'vkAcquireNextImageKHR: VK_ERROR_DEVICE_LOST' \
      'test fault: import_semaphore_fd call 10 ' 1
    # The layer's own memory (SYNCBRIDGE_MEMORY=layer): the 2nd image's allocation fails.
    case_fault_error import alloc_dma_buf:2 'vkCreateSwapchainKHR (requested): VK_ERROR_OUT_OF_DEVICE_MEMORY' \
      'swapchain memory: allocate a dma-buf: ' 1 SYNCBRIDGE_MEMORY=layer
    for strategy in import wait; do
      case_device_lost "$strategy"
      case_compositor_killed "$strategy"
      case_compositor_stalled "$strategy"
    done
    case_unsignalled_read_fence
    case_compositor_refuses import
    ;;
  fds)
    for strategy in import wait; do
      case_fd_growth "$strategy"
      case_recreate "$strategy"
    done
    ;;
  soak)
    # The short soak in the test command; tools/soak runs the long one (SOAK_FRAMES=10000).
    say "     soak: $soak_frames frames per case, a sample every $soak_sample_every, seed $soak_seed"
    for strategy in import wait; do
      for mode in fifo mailbox immediate; do
        case_soak "$mode" "$strategy"
      done
    done
    case_soak_control mailbox import
    case_soak_leak_control
    ;;
  import-only)
    # lavapipe 25 on Linux 6.1: it imports dma-bufs but cannot export them (no udmabuf) and has
    # no SYNC_FD there, so: the wait strategy in layer-allocated memory.
    case_import_only mailbox wait
    ;;
  recreate)
    # The ASan build's run (kernel.wsi-app-asan): 100 recreations per strategy under
    # AddressSanitizer with leak checking; a report makes the app exit non-zero.
    for strategy in import wait; do
      case_recreate "$strategy"
    done
    case_leak_control
    ;;
  tsan)
    # The TSan build's run (kernel.wsi-app-tsan, under tests/support/sanitizer/tsan_in_vm.sh):
    # a reduced matrix, the app's and compositor's threads against the layer's; a report makes
    # the app or the compositor exit non-zero (TSAN_OPTIONS exitcode=66).
    matrix_frames=100
    for strategy in import wait; do
      case_frames fifo "$strategy"
      case_windows mailbox "$strategy"
      case_present_thread fifo "$strategy"
      case_windows_recreate "$strategy"
    done
    ;;
  explicit)
    use_explicit_sync
    case_sync_choice auto
    case_sync_choice implicit
    for strategy in import wait; do
      for mode in fifo mailbox immediate; do
        case_frames "$mode" "$strategy"
      done
    done
    for strategy in import wait; do
      case_control mailbox "$strategy"
      case_bridged_twin mailbox "$strategy"
      # Over lavapipe 25: the frames and their controls; the rest is the layer's, not the driver's.
      [ "$driver" = gpusim ] || continue
      case_never_release "$strategy"
      case_vanish "$strategy"
      case_resize "$strategy"
      case_fd_growth "$strategy"
      case_recreate "$strategy"
      case_polled mailbox "$strategy"
      case_injected_failures "$strategy"
      case_syncobj_manager_removed "$strategy"
    done
    if [ "$driver" = gpusim ]; then
      case_polled fifo import
      case_syncobj_leak_control
      case_timeline_device
    fi
    ;;
  explicit-one:*)
    # e.g. explicit-one:case_recreate:import
    use_explicit_sync
    group=explicit
    IFS=: read -r _ fn a b <<<"${1#explicit-}"
    "$fn" ${a:+"$a"} ${b:+"$b"}
    ;;
  one:*)
    # e.g. one:case_frames:fifo:import
    IFS=: read -r _ fn a b <<<"$group"
    "$fn" ${a:+"$a"} ${b:+"$b"}
    ;;
  *)
    say "unknown group $group"
    exit 2
    ;;
esac

say "swapchain $group: $passed passed, $failures failed"
[ "$failures" -eq 0 ] && [ "$passed" -gt 0 ]
