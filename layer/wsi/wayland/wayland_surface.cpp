#include "wsi/wayland/wayland_surface.hpp"

#include "util/log.hpp"
#include "wsi/wayland/dmabuf_global.hpp"
#include "wsi/wayland/errors.hpp"
#include "wsi/wayland/event_pump.hpp"
#include "wsi/wayland/private_queue.hpp"
#include "wsi/wayland/wayland_presenter.hpp"

namespace sb::wsi::wayland {

VkResult WaylandSurface::query_formats(std::vector<FormatModifier>* formats) {
    const FlushOnReturn flush(display_);
    formats->clear();
    // Not cached: the answer costs two roundtrips, and asking again is how a caller would see
    // a compositor's new list.
    auto queue = PrivateQueue::create(display_);
    if (!queue) {
        return vk_result_for(display_, queue.error());
    }
    auto global = bind_dmabuf(*queue, kRoundtripTimeout);
    if (!global) {
        if (wl_display_get_error(display_) != 0) {
            log_connection_lost(display_, "querying the compositor's formats");
        } else {
            SB_LOG(error, "wayland: querying the compositor's formats: %s",
                   global.error().describe().c_str());
        }
        return vk_result_for(display_, global.error());
    }
    if (!global->dmabuf) {
        SB_LOG_ONCE(warn,
                    "wayland: the compositor offers no zwp_linux_dmabuf_v1 version >= %u (it has "
                    "%u): syncbridge cannot present dma-bufs to it",
                    kLinuxDmabufVersion, global->advertised_version);
        return VK_SUCCESS;
    }
    *formats = std::move(global->formats);
    main_device_ = global->main_device;
    dmabuf_version_ = global->bound_version;
    return VK_SUCCESS;
}

std::string WaylandSurface::consumer_path() const {
    return describe_wayland_path(dmabuf_version_.load(), main_device_.load());
}

VkResult WaylandSurface::decide_sync(dev_t gpu_node, std::shared_ptr<SyncobjSurface>* syncobj) {
    std::lock_guard lock(sync_mutex_);
    if (!sync_decided_) {
        const SyncChoice choice = wayland_sync_choice();
        if (choice == SyncChoice::implicit_only) {
            SB_LOG(info, "wayland: implicit sync (SYNCBRIDGE_WAYLAND_SYNC=implicit)");
        } else {
            const FlushOnReturn flush(display_);
            std::string why;
            auto made =
                SyncobjSurface::create(display_, surface_, {main_device_.load(), gpu_node}, &why);
            if (!made) {
                if (wl_display_get_error(display_) != 0) {
                    log_connection_lost(display_, "looking for explicit sync");
                }
                return vk_result_for(display_, made.error());
            }
            syncobj_ = std::move(made).value();
            if (syncobj_) {
                SB_LOG(info,
                       "wayland: explicit sync (wp_linux_drm_syncobj_v1, timelines on %s: %s)",
                       syncobj_->device_path().c_str(), syncobj_->device_source());
            } else if (choice == SyncChoice::explicit_required) {
                SB_LOG(error, "wayland: SYNCBRIDGE_WAYLAND_SYNC=explicit, but %s", why.c_str());
                return VK_ERROR_INITIALIZATION_FAILED;
            } else {
                SB_LOG(info, "wayland: implicit sync: %s", why.c_str());
            }
        }
        sync_decided_ = true;
    }
    *syncobj = syncobj_;
    return VK_SUCCESS;
}

VkResult WaylandSurface::create_presenter(const std::vector<BufferDescription>& buffers,
                                          const AppDevice& device, ConsumerEvents* events,
                                          std::unique_ptr<Presenter>* presenter) {
    std::shared_ptr<SyncobjSurface> syncobj;
    if (VkResult r = decide_sync(device.render_node, &syncobj); r != VK_SUCCESS) {
        return r;
    }
    return WaylandPresenter::create(display_, surface_, buffers, events, std::move(syncobj),
                                    presenter);
}

}  // namespace sb::wsi::wayland
