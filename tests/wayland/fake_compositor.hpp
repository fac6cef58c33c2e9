// A small Wayland compositor in the test process (libwayland-server on a thread of its own), for
// the Wayland window system's host tests: wl_compositor (wl_surface, wl_region) and
// zwp_linux_dmabuf_v1, with switches for the behaviour under test. It checks nothing about
// content and needs no real dma-buf (any fd will do), so it runs where DRM does not. Clients
// connect over a socketpair: no socket, no XDG_RUNTIME_DIR.
//
// Not included by code that includes wayland-client.h's protocol: this header names no
// libwayland type, so one test can be both the compositor and the app.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace sb::test::wayland {

enum class Refusal : uint8_t {
    none,
    failed_event,    // create_immed answered with zwp_linux_buffer_params_v1.failed
    protocol_error,  // create_immed answered with the invalid_wl_buffer protocol error
};

// A hostile compositor's linux-dmabuf v4 feedback (FakeOptions::feedback_defect).
enum class FeedbackDefect : uint8_t {
    none,
    table_size_not_whole_entries,  // the size sent is not a multiple of 16
    table_shorter_than_size,       // the size sent is past the file's end (mmap: SIGBUS)
    table_fd_not_a_file,           // a pipe instead of a mappable file
    table_too_large,               // a size no 16-bit index can reach the end of
    index_past_table,              // the tranche names an entry past the table's end
    odd_index_bytes,               // the tranche's array ends in half an index
    bad_main_device,               // main_device is not a dev_t's size
};

struct FakeOptions {
    uint32_t compositor_version = 4;  // wl_compositor; below 4 its surfaces lack damage_buffer
    bool linux_dmabuf = true;         // advertise zwp_linux_dmabuf_v1 at all
    uint32_t linux_dmabuf_version = 3;
    // Sent on bind, in this order, duplicates included: a `format` for each, then (version 3)
    // a `modifier` for each. Version 4 and later: the default feedback's one tranche instead,
    // in this order, from a format table with each pair once.
    std::vector<std::pair<uint32_t, uint64_t>> modifiers;
    // Version 4: the feedback's main device and tranche target device (a dev_t).
    uint64_t main_device = (226u << 8) | 128u;  // makedev(226, 128): a render node
    Refusal refuse = Refusal::none;
    // A commit that replaces a surface's buffer releases the one it replaces.
    bool release_on_replace = true;
    // Frame callbacks are answered at the commit that carries them; false: held until
    // answer_frame_callbacks().
    bool answer_frame_callbacks = true;
    // Advertise wp_linux_drm_syncobj_manager_v1 (explicit sync); its requests are only counted.
    bool syncobj_manager = false;
    // Hostile: the default feedback (version 4) carries this defect.
    FeedbackDefect feedback_defect = FeedbackDefect::none;
    // Hostile: at a commit, a release for each wl_buffer never attached so far; and each
    // release on replace sent twice.
    bool spurious_releases = false;
};

struct BufferRecord {
    uint32_t buffer_id = 0;  // wl_buffer protocol id, as in Counters::committed
    int32_t width = 0;
    int32_t height = 0;
    uint32_t format = 0;
    uint64_t modifier = 0;
    uint32_t offset = 0;
    uint32_t stride = 0;
    uint32_t planes = 0;
    uint32_t flags = 0;
};

struct Counters {
    uint64_t commits = 0;
    std::vector<uint32_t> committed;  // the wl_buffer id of each commit that attached one
    uint64_t damage_requests = 0;
    uint64_t damage_buffer_requests = 0;
    uint64_t frame_requests = 0;
    uint64_t frame_done_sent = 0;
    uint64_t releases_sent = 0;
    std::vector<BufferRecord> buffers;  // every wl_buffer made, in order
    uint32_t live_buffers = 0;
    uint32_t open_fds = 0;  // received dma-buf fds not yet closed
    uint32_t clients = 0;
    uint32_t syncobj_binds = 0;           // wp_linux_drm_syncobj_manager_v1 bound
    uint32_t syncobj_surfaces = 0;        // get_surface requests
    uint64_t spurious_releases_sent = 0;  // releases of buffers not attached or already released
    uint32_t globals_removed = 0;
};

class FakeCompositor {
  public:
    // Null when the display or its thread cannot be made.
    static std::unique_ptr<FakeCompositor> start(const FakeOptions& options);
    // Destroys every client and the display, then joins the thread.
    ~FakeCompositor();
    FakeCompositor(const FakeCompositor&) = delete;
    FakeCompositor& operator=(const FakeCompositor&) = delete;

    // A new client: the client end of a socketpair, for wl_display_connect_to_fd (which owns it
    // then). -1 on failure.
    int connect();

    [[nodiscard]] Counters counters() const;
    // Blocks until `done(counters)` holds or `timeout` passes; returns whether it held.
    bool wait_until(const std::function<bool(const Counters&)>& done,
                    std::chrono::nanoseconds timeout) const;

    // Returns once the compositor's thread has finished what it was doing (a client's
    // destruction, which counters() reports before it is complete, included).
    void sync();
    // Ends every client's connection (as a compositor that crashed would, from the client's side).
    void disconnect_clients();
    // Raises a protocol error on the first surface of each client (which ends its connection).
    void raise_protocol_error();
    // Sends done for every held frame callback.
    void answer_frame_callbacks();
    // stall(true): the compositor stops reading its clients until stall(false).
    void stall(bool stalled);
    // Withdraws the zwp_linux_dmabuf_v1 global, as a compositor whose GPU went away would:
    // clients are told (wl_registry.global_remove) and new registries no longer see it; what
    // was bound stays usable. The global itself is destroyed with the display, so that no
    // client's bind in flight meets an unknown name.
    void remove_linux_dmabuf_global();

  private:
    struct Impl;
    explicit FakeCompositor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace sb::test::wayland
