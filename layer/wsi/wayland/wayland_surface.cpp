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
    return VK_SUCCESS;
}

VkResult WaylandSurface::create_presenter(const std::vector<BufferDescription>& buffers,
                                          ConsumerEvents* events,
                                          std::unique_ptr<Presenter>* presenter) {
    return WaylandPresenter::create(display_, surface_, buffers, events, presenter);
}

}  // namespace sb::wsi::wayland
