// The compositor's state, owned and touched by its event-loop thread only (Stats excepted).
// Each protocol object lives in its own file with a create/destroy pair; this is what they share.
#pragma once

#include <wayland-server-core.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "compositor/options.hpp"
#include "compositor/stats.hpp"
#include "kernel/dma_buf.hpp"
#include "kernel/result.hpp"
#include "support/vgem.hpp"

namespace sb::compositor {

class CompositeJobs;
class Surface;
class Vblank;
class WlDrm;
class XdgToplevel;

// The compositor's own GEM handles for client dma-bufs, on its vgem fd, for attaching read
// fences. Importing the same dma-buf twice on one DRM file gives the same handle, so handles
// are counted and closed with their last user.
class GemImports {
  public:
    explicit GemImports(test::Vgem& vgem) : vgem_(vgem) {}
    kernel::Result<uint32_t> acquire(const kernel::DmaBuf& buffer);
    void release(uint32_t handle);

  private:
    test::Vgem& vgem_;
    std::unordered_map<uint32_t, uint32_t> users_;
};

struct Server {
    Server(const Options& options, Stats& stats, wl_display* display);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Creates the globals and helpers; opens vgem when read fences are wanted (hold_ms > 0).
    kernel::Status init();
    // Destroys every client, finishes every composite (signalling its fence), removes every
    // event source this server added. The display itself is the caller's to destroy.
    void shutdown();

    // Called by each wl_surface.commit, after the commit was queued: resize_after_commits and
    // vanish_after_commits.
    void on_commit(wl_client* client);
    // Configures every toplevel to width x height.
    void resize_toplevels(int32_t width, int32_t height);
    [[nodiscard]] bool shutting_down() const { return shut_down_; }
    // Ends the event loop; the loop thread then shuts down and destroys the display.
    void request_stop() { stop_requested = true; }

    const Options options;
    const std::vector<DmabufFormat> formats;
    Stats& stats;
    wl_display* const display;
    wl_event_loop* const loop;

    std::optional<test::Vgem> vgem;  // present when options.hold_ms > 0
    std::optional<GemImports> gem;
    std::unique_ptr<CompositeJobs> composites;
    std::unique_ptr<Vblank> vblank;
    std::unique_ptr<WlDrm> wl_drm;    // present when options.wl_drm_device is set
    kernel::UniqueFd syncobj_device;  // open when options.syncobj_device is set
    // wp_linux_drm_syncobj_manager_v1's global (in globals_ too); null without --syncobj.
    wl_global* syncobj_manager = nullptr;

    std::vector<Surface*> surfaces;       // registered by Surface's constructor/destructor
    std::vector<XdgToplevel*> toplevels;  // likewise
    uint32_t next_surface_id = 1;
    uint32_t next_buffer_id = 1;
    uint64_t commit_count = 0;          // every wl_surface.commit, all clients
    uint64_t frames_read = 0;           // every new buffer whose content was read, all surfaces
    uint64_t newest_read_released = 0;  // the greatest Buffer::last_read_number released yet
    int32_t toplevel_width;             // the size the next configure announces
    int32_t toplevel_height;
    bool stop_requested = false;
    bool stalled = false;  // --stall-after reached: the loop dispatches nothing any more

  private:
    void vanish(wl_client* client);

    // A standard-layout holder, so that the callback finds the Server without offsetof.
    struct ClientCreatedListener {
        wl_listener listener{};
        Server* server = nullptr;
    };
    static void on_client_created(wl_listener* listener, void* data);

    std::vector<wl_global*> globals_;
    ClientCreatedListener client_created_;
    bool shut_down_ = false;
};

}  // namespace sb::compositor
