// What the test compositor does, and which misbehaviour it acts out. Constructor options for
// the library, command-line flags for the executable (parse_options).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sb::compositor {

struct DmabufFormat {
    uint32_t fourcc = 0;    // DRM_FORMAT_*
    uint64_t modifier = 0;  // DRM_FORMAT_MOD_*
};

// When the compositor sends wl_buffer.release for a buffer it has read.
enum class ReleasePolicy : uint8_t {
    // Right after the content was read and the composite (read fence) started: the GPU-copy
    // model. The release always goes out while the read fence is still pending.
    after_read,
    // When a later commit replaces the buffer (the usual direct-scanout/texture model).
    on_replace,
    // Per frame at random (Options::seed): right after the read, or when the composite's hold
    // ends, after its read fence signalled. With Options::hold_jitter_ms the releases then go
    // out in an order unlike the commits' (the soak's release order).
    random,
};

// How a misbehaving compositor releases buffers.
// The commits a configure storm (Options::configure_storm) goes on for.
inline constexpr uint64_t kConfigureStormCommits = 10;

enum class ReleaseMisbehaviour : uint8_t { none, never, twice };

// How the compositor vanishes after `vanish_after_commits` commits.
enum class VanishMode : uint8_t {
    client,   // shuts the committing client's connection down
    display,  // destroys the whole display (every client sees its connection die)
};

struct Options {
    // The socket under $XDG_RUNTIME_DIR; empty: wl_display_add_socket_auto ("wayland-N").
    std::string socket_name;

    // --- the composite: a read fence the compositor holds on each buffer it read ------------
    // How long the vgem read fence stays pending after the content was read (0: no fence, no
    // vgem needed). wl_buffer.release is sent before it signals.
    uint32_t hold_ms = 30;
    // Each hold is hold_ms plus 0..hold_jitter_ms, drawn at random (Options::seed).
    uint32_t hold_jitter_ms = 0;
    ReleasePolicy release_policy = ReleasePolicy::after_read;
    // The seed of the random holds and release times: a failing soak can be run again alike.
    uint64_t seed = 1;

    // --- implicit sync on the read side --------------------------------------------------
    // true: a new buffer is read only once its write fences have signalled (as a GPU sampler
    // would wait), with the read bracketed by DMA_BUF_IOCTL_SYNC. false (the control): read at
    // once, without waiting and without the bracket (which would wait by itself).
    bool honour_implicit_sync = true;
    // The longest the compositor waits for a buffer's write fences before reading it anyway
    // (counted in wait_timeouts). Kept below vgem's own 10 s fence timeout.
    uint32_t wait_timeout_ms = 2000;

    // --- content checks --------------------------------------------------------------------
    // Clients draw frame N as the colour f(N) (frame_colour.hpp). The k-th new buffer committed
    // on a surface must show first_frame + (k - 1) * frame_step: an older frame is stale (so a
    // compositor that is consistently one frame late is caught), a newer one is counted as
    // skipped. Without first_frame (nullopt) the expectation starts from the first frame seen,
    // and frame_step 0 accepts any increase. In every case a frame not newer than the last one,
    // black (never written), or a buffer whose content hashes as when it was last read is stale.
    std::optional<uint32_t> first_frame = 0;
    uint32_t frame_step = 1;
    // For real clients (vkcube), which draw what they like: no frame colours, so no torn,
    // skipped or order check. What stays: stale (a buffer that was never written, all zero, or
    // whose content hashes as when the compositor last read it although a new frame was
    // presented into it) and the overwrite check. A client that presents a buffer again
    // without changing a pixel reads as stale here too.
    bool content_agnostic = false;

    // --- a copy of one frame, for a person to look at ----------------------------------------
    // Keep the pixels of the capture_frame-th checked frame (counted over all surfaces,
    // 1-based; 0: the last one). The executable writes it as a PNG (--png PATH).
    bool capture = false;
    uint64_t capture_frame = 0;

    // --- output ----------------------------------------------------------------------------
    // The "vblank": frame callbacks and presentation feedback are sent on this period.
    uint32_t refresh_ms = 16;
    // The toplevel size in configure events (0x0: the client chooses).
    int32_t width = 0;
    int32_t height = 0;
    // After this many commits (0: never), configure every toplevel to resize_width x
    // resize_height (tests can also call Compositor::resize at any time).
    uint64_t resize_after_commits = 0;
    int32_t resize_width = 0;
    int32_t resize_height = 0;
    // Misbehaviour, with resize_after_commits: a configure storm. At that commit and each of
    // the kConfigureStormCommits - 1 after it, `configure_storm` configures at once, each of
    // another size, the requested size last (0: one plain configure).
    uint32_t configure_storm = 0;

    // --- linux-dmabuf v3 -------------------------------------------------------------------
    // Advertised format/modifier pairs; empty: the defaults (ARGB8888, XRGB8888, ABGR8888,
    // XBGR8888, each DRM_FORMAT_MOD_LINEAR).
    std::vector<DmabufFormat> formats;
    // Advertised (added to the list if missing) and then refused at buffer creation: `failed`
    // for create, the protocol error invalid_wl_buffer for create_immed. 0: none.
    uint32_t reject_format = 0;

    // --- wl_drm v2 (Xwayland's way to its DRI3) ----------------------------------------------
    // The DRM node wl_drm's `device` event names (e.g. /dev/dri/renderD128); empty: no wl_drm
    // global. Its buffers (create_prime_buffer) are checked like linux-dmabuf's.
    std::string wl_drm_device;

    // --- wl_shell v1 (wl_shell.hpp): for clients that know no xdg_wm_base -------------------
    bool wl_shell = false;

    // --- explicit sync (wp_linux_drm_syncobj_manager_v1)
    // ------------------------------------------ A DRM node with timeline syncobjs, on which
    // clients' timelines are imported; empty: no explicit sync offered. Explicit-sync surfaces
    // ignore the dma-buf's fences (syncobj.hpp).
    std::string syncobj_device;

    // --- misbehaviour ----------------------------------------------------------------------
    ReleaseMisbehaviour release_misbehaviour = ReleaseMisbehaviour::none;
    uint64_t vanish_after_commits = 0;  // 0: never
    VanishMode vanish_mode = VanishMode::client;
    // After this many commits the compositor stops dispatching: it reads no socket, runs no
    // timer (held read fences stay unsignalled), answers nothing, until it is stopped. 0: never.
    uint64_t stall_after_commits = 0;
    // After this many commits the wp_linux_drm_syncobj_manager_v1 global is withdrawn
    // (wl_registry.global_remove), as by a compositor whose DRM device went away; what clients
    // bound stays usable. 0: never.
    uint64_t remove_syncobj_after_commits = 0;

    // --- executable only ---------------------------------------------------------------------
    uint32_t run_for_ms = 0;  // exit after this long (0: on SIGINT/SIGTERM only)
    std::string png_path;     // write the captured frame here at exit (sets capture)
};

// The advertised format list after defaults and reject_format are applied.
std::vector<DmabufFormat> effective_formats(const Options& options);

struct ParsedOptions {
    std::optional<Options> options;  // nullopt: `error` says why, or --help was asked for
    std::string error;
    bool help = false;
};

// Parses the executable's flags (see usage()).
ParsedOptions parse_options(int argc, const char* const* argv);
const char* usage();

}  // namespace sb::compositor
