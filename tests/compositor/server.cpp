#include "compositor/server.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "compositor/composite.hpp"
#include "compositor/linux_dmabuf.hpp"
#include "compositor/output.hpp"
#include "compositor/presentation.hpp"
#include "compositor/surface.hpp"
#include "compositor/syncobj.hpp"
#include "compositor/vblank.hpp"
#include "compositor/wl_drm.hpp"
#include "compositor/wl_shell.hpp"
#include "compositor/xdg_shell.hpp"

namespace sb::compositor {

kernel::Result<uint32_t> GemImports::acquire(const kernel::DmaBuf& buffer) {
    auto handle = vgem_.import_dma_buf(buffer);
    if (!handle) {
        return handle.error();
    }
    users_[*handle]++;
    return *handle;
}

void GemImports::release(uint32_t handle) {
    auto it = users_.find(handle);
    if (it == users_.end() || --it->second != 0) {
        return;
    }
    users_.erase(it);
    if (auto st = vgem_.close_handle(handle); !st) {
        std::fprintf(stderr, "[compositor] %s\n", st.error().describe().c_str());
    }
}

Server::Server(const Options& opts, Stats& stats_, wl_display* display_)
    : options(opts),
      formats(effective_formats(opts)),
      stats(stats_),
      display(display_),
      loop(wl_display_get_event_loop(display_)),
      toplevel_width(opts.width),
      toplevel_height(opts.height) {
    client_created_.server = this;
}

Server::~Server() {
    shutdown();
}

kernel::Status Server::init() {
    if (options.hold_ms > 0) {
        auto device = test::Vgem::open();
        if (!device) {
            return device.error();
        }
        vgem.emplace(std::move(device).value());
        gem.emplace(*vgem);
    }
    composites = std::make_unique<CompositeJobs>(*this);
    vblank.reset(Vblank::create(*this));
    if (!vblank) {
        return kernel::Error{ENOMEM, "wl_event_loop_add_timer(vblank)"};
    }
    // wl_shm: drivers' own WSI (lavapipe's) presents through it; the benchmark's baseline.
    if (wl_display_init_shm(display) != 0) {
        return kernel::Error{ENOMEM, "wl_display_init_shm"};
    }
    for (wl_global* global : {compositor_create(*this), xdg_shell_create(*this),
                              linux_dmabuf_create(*this), presentation_create(*this)}) {
        if (global == nullptr) {
            return kernel::Error{ENOMEM, "wl_global_create"};
        }
        globals_.push_back(global);
    }
    if (options.wl_shell) {
        wl_global* shell = wl_shell_create(*this);
        if (shell == nullptr) {
            return kernel::Error{ENOMEM, "wl_global_create(wl_shell)"};
        }
        globals_.push_back(shell);
    }
    if (!options.wl_drm_device.empty()) {
        auto created = WlDrm::create(*this);
        if (!created) {
            return created.error();
        }
        wl_drm.reset(*created);
        wl_global* output = output_create(*this);
        if (output == nullptr) {
            return kernel::Error{ENOMEM, "wl_global_create(wl_output)"};
        }
        globals_.push_back(output);
    }
    if (!options.syncobj_device.empty()) {
        syncobj_device =
            kernel::UniqueFd(::open(options.syncobj_device.c_str(), O_RDWR | O_CLOEXEC));
        if (!syncobj_device) {
            return kernel::last_error("open(syncobj device)");
        }
        if (!kernel::query_syncobj_caps(syncobj_device.get()).timeline) {
            return kernel::Error{ENOTSUP, "the syncobj device has no timeline syncobjs"};
        }
        wl_global* manager = syncobj_manager_create(*this);
        if (manager == nullptr) {
            return kernel::Error{ENOMEM, "wl_global_create(wp_linux_drm_syncobj_manager_v1)"};
        }
        globals_.push_back(manager);
        syncobj_manager = manager;
    }
    client_created_.listener.notify = &Server::on_client_created;
    wl_display_add_client_created_listener(display, &client_created_.listener);
    return {};
}

void Server::on_client_created(wl_listener* listener, void* /*data*/) {
    // `listener` is the first member of the standard-layout ClientCreatedListener.
    Server* self = reinterpret_cast<ClientCreatedListener*>(listener)->server;
    self->stats.update([](Counters& c) { c.clients_connected++; });
}

void Server::shutdown() {
    if (shut_down_) {
        return;
    }
    shut_down_ = true;
    // Clients first: their surfaces, buffers and callbacks go with them.
    wl_display_destroy_clients(display);
    // Then the composites still holding read fences and buffer references: every fence is
    // signalled before the vgem fd closes.
    if (composites) {
        composites->finish_all();
    }
    composites.reset();
    vblank.reset();
    for (wl_global* global : globals_) {
        wl_global_destroy(global);
    }
    globals_.clear();
    wl_drm.reset();
    if (client_created_.listener.notify != nullptr) {
        wl_list_remove(&client_created_.listener.link);
        client_created_.listener.notify = nullptr;
    }
    gem.reset();
    vgem.reset();
}

void Server::on_commit(wl_client* client) {
    if (options.resize_after_commits != 0 && options.configure_storm != 0 &&
        commit_count >= options.resize_after_commits &&
        commit_count < options.resize_after_commits + kConfigureStormCommits) {
        // Every size of the storm differs from the one before; the client has to keep up with
        // the last (the requested size), having acked or skipped the rest.
        for (uint32_t left = options.configure_storm; left-- > 0;) {
            const auto step = static_cast<int32_t>(left);
            resize_toplevels(options.resize_width + 8 * step, options.resize_height + 4 * step);
        }
    } else if (options.resize_after_commits != 0 && commit_count == options.resize_after_commits) {
        resize_toplevels(options.resize_width, options.resize_height);
    }
    if (options.vanish_after_commits != 0 && commit_count == options.vanish_after_commits) {
        vanish(client);
    }
    if (options.remove_syncobj_after_commits != 0 &&
        commit_count == options.remove_syncobj_after_commits && syncobj_manager != nullptr) {
        // Removed, not destroyed: a bind already in flight must still find the name; the
        // global goes with the others at shutdown.
        wl_global_remove(syncobj_manager);
        std::fprintf(stderr, "[compositor] syncobj manager global removed after %llu commits\n",
                     static_cast<unsigned long long>(commit_count));
    }
    if (options.stall_after_commits != 0 && commit_count == options.stall_after_commits) {
        std::fprintf(stderr, "[compositor] stalling after %llu commits\n",
                     static_cast<unsigned long long>(commit_count));
        stalled = true;
    }
}

void Server::resize_toplevels(int32_t width, int32_t height) {
    toplevel_width = width;
    toplevel_height = height;
    // Configuring cannot create or destroy toplevels, but copy anyway: the list is not ours.
    const std::vector<XdgToplevel*> all = toplevels;
    for (XdgToplevel* toplevel : all) {
        toplevel->configure(width, height);
    }
}

void Server::vanish(wl_client* client) {
    std::fprintf(stderr, "[compositor] vanishing (%s) after %llu commits\n",
                 options.vanish_mode == VanishMode::client ? "client" : "display",
                 static_cast<unsigned long long>(commit_count));
    if (options.vanish_mode == VanishMode::display) {
        request_stop();
        return;
    }
    // Shut the socket down under libwayland's feet: the loop sees the hang-up and destroys the
    // client itself, outside this request's dispatch, and the client reads end-of-file.
    // Counted first: the client may see its connection die before this thread goes on.
    stats.update([](Counters& c) { c.clients_vanished++; });
    (void)::shutdown(wl_client_get_fd(client), SHUT_RDWR);
}

}  // namespace sb::compositor
