#include "wayland/fake_compositor.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "linux-dmabuf-unstable-v1-server-protocol.h"
#include "linux-drm-syncobj-v1-server-protocol.h"

namespace sb::test::wayland {
namespace {

template <typename T>
void erase_value(std::vector<T>& values, const T& value) {
    values.erase(std::remove(values.begin(), values.end(), value), values.end());
}

}  // namespace

struct FakeCompositor::Impl {
    struct Surface {
        Impl* impl = nullptr;
        wl_resource* resource = nullptr;
        bool pending_attach = false;
        wl_resource* pending_buffer = nullptr;
        wl_resource* current_buffer = nullptr;
        std::vector<wl_resource*> pending_callbacks;
    };
    struct Params {
        Impl* impl = nullptr;
        int fd = -1;
        uint32_t planes = 0;
        uint32_t offset = 0;
        uint32_t stride = 0;
        uint64_t modifier = 0;
    };
    struct Buffer {
        Impl* impl = nullptr;
        int fd = -1;
        bool attached = false;  // committed at least once
        bool spurious_release_sent = false;
    };
    // Standard layout, listener first: the notify callback casts back to it.
    struct ClientListener {
        wl_listener listener{};
        Impl* impl = nullptr;
        wl_client* client = nullptr;
    };

    explicit Impl(const FakeOptions& o) : options(o) {}

    const FakeOptions options;
    wl_display* display = nullptr;
    int task_fd = -1;
    wl_event_source* task_source = nullptr;
    wl_global* dmabuf_global = nullptr;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    Counters counters;                        // guarded by mutex
    std::deque<std::function<void()>> tasks;  // guarded by mutex
    bool stopping = false;                    // guarded by mutex
    bool stalled = false;                     // guarded by mutex (see stall())

    // The server thread's own (and the destructor's, once the thread is joined).
    std::vector<ClientListener*> clients;
    std::vector<Surface*> surfaces;
    std::vector<wl_resource*> held_callbacks;
    std::vector<wl_resource*> buffers;  // every live wl_buffer

    template <typename F>
    void count(F&& update) {
        {
            std::lock_guard lock(mutex);
            update(counters);
        }
        changed.notify_all();
    }

    void post(std::function<void()> task) {
        {
            std::lock_guard lock(mutex);
            tasks.push_back(std::move(task));
        }
        const uint64_t one = 1;
        (void)!::write(task_fd, &one, sizeof(one));
    }

    // Runs `task` on the server thread and waits for it.
    void run_on_server(const std::function<void()>& task) {
        bool done = false;
        post([&] {
            task();
            std::lock_guard lock(mutex);
            done = true;
            changed.notify_all();
        });
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return done; });
    }

    static int on_tasks(int fd, uint32_t /*mask*/, void* data) {
        auto* impl = static_cast<Impl*>(data);
        uint64_t n = 0;
        (void)!::read(fd, &n, sizeof(n));
        std::deque<std::function<void()>> ready;
        {
            std::lock_guard lock(impl->mutex);
            ready.swap(impl->tasks);
        }
        for (auto& task : ready) {
            task();
        }
        return 0;
    }

    void run() {
        wl_event_loop* loop = wl_display_get_event_loop(display);
        for (;;) {
            {
                std::lock_guard lock(mutex);
                if (stopping) {
                    break;
                }
            }
            wl_event_loop_dispatch(loop, 100);
            wl_display_flush_clients(display);
        }
    }

    // --- clients ------------------------------------------------------------------------

    static void on_client_destroyed(wl_listener* listener, void* /*data*/) {
        auto* holder = reinterpret_cast<ClientListener*>(listener);
        Impl* impl = holder->impl;
        erase_value(impl->clients, holder);
        impl->count([](Counters& c) { --c.clients; });
        delete holder;
    }

    // --- wl_buffer ------------------------------------------------------------------------

    static void buffer_destroy(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static constexpr struct wl_buffer_interface kBufferImpl = {.destroy = buffer_destroy};

    static void buffer_resource_destroyed(wl_resource* resource) {
        auto* buffer = static_cast<Buffer*>(wl_resource_get_user_data(resource));
        Impl* impl = buffer->impl;
        erase_value(impl->buffers, resource);
        for (Surface* surface : impl->surfaces) {
            if (surface->pending_buffer == resource) {
                surface->pending_buffer = nullptr;
            }
            if (surface->current_buffer == resource) {
                surface->current_buffer = nullptr;
            }
        }
        if (buffer->fd >= 0) {
            ::close(buffer->fd);
            impl->count([](Counters& c) { --c.open_fds; });
        }
        impl->count([](Counters& c) { --c.live_buffers; });
        delete buffer;
    }

    // Hostile (spurious_releases): a release for each buffer that was never attached, once.
    // Sent at a commit, not at creation: a buffer's listener is only there once the client has
    // its wl_buffer, and libwayland drops events for a proxy without one.
    void release_buffers_never_attached() {
        for (wl_resource* resource : buffers) {
            auto* buffer = static_cast<Buffer*>(wl_resource_get_user_data(resource));
            if (!buffer->attached && !buffer->spurious_release_sent) {
                buffer->spurious_release_sent = true;
                wl_buffer_send_release(resource);
                count([](Counters& c) { ++c.spurious_releases_sent; });
            }
        }
    }

    // --- wl_callback --------------------------------------------------------------------

    static void callback_resource_destroyed(wl_resource* resource) {
        auto* impl = static_cast<Impl*>(wl_resource_get_user_data(resource));
        for (Surface* surface : impl->surfaces) {
            erase_value(surface->pending_callbacks, resource);
        }
        erase_value(impl->held_callbacks, resource);
    }

    void send_frame_done(wl_resource* callback) {
        wl_callback_send_done(callback, 0);
        wl_resource_destroy(callback);
        count([](Counters& c) { ++c.frame_done_sent; });
    }

    // --- wl_surface ---------------------------------------------------------------------

    static Surface* surface_of(wl_resource* resource) {
        return static_cast<Surface*>(wl_resource_get_user_data(resource));
    }
    static void surface_destroy(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static void surface_attach(wl_client* /*client*/, wl_resource* resource, wl_resource* buffer,
                               int32_t /*x*/, int32_t /*y*/) {
        Surface* surface = surface_of(resource);
        surface->pending_attach = true;
        surface->pending_buffer = buffer;
    }
    static void surface_damage(wl_client* /*client*/, wl_resource* resource, int32_t /*x*/,
                               int32_t /*y*/, int32_t /*w*/, int32_t /*h*/) {
        surface_of(resource)->impl->count([](Counters& c) { ++c.damage_requests; });
    }
    static void surface_damage_buffer(wl_client* /*client*/, wl_resource* resource, int32_t /*x*/,
                                      int32_t /*y*/, int32_t /*w*/, int32_t /*h*/) {
        surface_of(resource)->impl->count([](Counters& c) { ++c.damage_buffer_requests; });
    }
    static void surface_frame(wl_client* client, wl_resource* resource, uint32_t id) {
        Surface* surface = surface_of(resource);
        wl_resource* callback = wl_resource_create(client, &wl_callback_interface, 1, id);
        if (callback == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(callback, nullptr, surface->impl,
                                       callback_resource_destroyed);
        surface->pending_callbacks.push_back(callback);
        surface->impl->count([](Counters& c) { ++c.frame_requests; });
    }
    static void surface_set_region(wl_client* /*client*/, wl_resource* /*resource*/,
                                   wl_resource* /*region*/) {}
    static void surface_set_int(wl_client* /*client*/, wl_resource* /*resource*/,
                                int32_t /*value*/) {}
    static void surface_commit(wl_client* /*client*/, wl_resource* resource) {
        Surface* surface = surface_of(resource);
        Impl* impl = surface->impl;
        uint32_t committed_id = 0;
        if (surface->pending_attach) {
            wl_resource* previous = surface->current_buffer;
            surface->current_buffer = surface->pending_buffer;
            if (previous != nullptr && previous != surface->current_buffer &&
                impl->options.release_on_replace) {
                wl_buffer_send_release(previous);
                impl->count([](Counters& c) { ++c.releases_sent; });
                if (impl->options.spurious_releases) {
                    wl_buffer_send_release(previous);  // already released
                    impl->count([](Counters& c) { ++c.spurious_releases_sent; });
                }
            }
            if (surface->current_buffer != nullptr) {
                committed_id = wl_resource_get_id(surface->current_buffer);
                static_cast<Buffer*>(wl_resource_get_user_data(surface->current_buffer))->attached =
                    true;
            }
            if (impl->options.spurious_releases) {
                impl->release_buffers_never_attached();
            }
            surface->pending_attach = false;
            surface->pending_buffer = nullptr;
        }
        impl->count([&](Counters& c) {
            ++c.commits;
            if (committed_id != 0) {
                c.committed.push_back(committed_id);
            }
        });
        std::vector<wl_resource*> callbacks;
        callbacks.swap(surface->pending_callbacks);
        for (wl_resource* callback : callbacks) {
            if (impl->options.answer_frame_callbacks) {
                impl->send_frame_done(callback);
            } else {
                impl->held_callbacks.push_back(callback);
            }
        }
    }
    static constexpr struct wl_surface_interface kSurfaceImpl = {
        .destroy = surface_destroy,
        .attach = surface_attach,
        .damage = surface_damage,
        .frame = surface_frame,
        .set_opaque_region = surface_set_region,
        .set_input_region = surface_set_region,
        .commit = surface_commit,
        .set_buffer_transform = surface_set_int,
        .set_buffer_scale = surface_set_int,
        .damage_buffer = surface_damage_buffer,
        .offset = nullptr,
    };
    static void surface_resource_destroyed(wl_resource* resource) {
        Surface* surface = surface_of(resource);
        erase_value(surface->impl->surfaces, surface);
        delete surface;
    }

    // --- wl_region, wl_compositor ---------------------------------------------------------

    static void region_destroy(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static void region_rect(wl_client* /*client*/, wl_resource* /*resource*/, int32_t /*x*/,
                            int32_t /*y*/, int32_t /*w*/, int32_t /*h*/) {}
    static constexpr struct wl_region_interface kRegionImpl = {
        .destroy = region_destroy, .add = region_rect, .subtract = region_rect};

    static void create_surface(wl_client* client, wl_resource* resource, uint32_t id) {
        auto* impl = static_cast<Impl*>(wl_resource_get_user_data(resource));
        wl_resource* surface_resource = wl_resource_create(client, &wl_surface_interface,
                                                           wl_resource_get_version(resource), id);
        if (surface_resource == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        auto* surface = new Surface{impl, surface_resource};
        wl_resource_set_implementation(surface_resource, &kSurfaceImpl, surface,
                                       surface_resource_destroyed);
        impl->surfaces.push_back(surface);
    }
    static void create_region(wl_client* client, wl_resource* /*resource*/, uint32_t id) {
        wl_resource* region = wl_resource_create(client, &wl_region_interface, 1, id);
        if (region == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(region, &kRegionImpl, nullptr, nullptr);
    }
    static constexpr struct wl_compositor_interface kCompositorImpl = {
        .create_surface = create_surface, .create_region = create_region};

    static void bind_compositor(wl_client* client, void* data, uint32_t version, uint32_t id) {
        wl_resource* resource =
            wl_resource_create(client, &wl_compositor_interface, static_cast<int>(version), id);
        if (resource == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(resource, &kCompositorImpl, data, nullptr);
    }

    // --- zwp_linux_buffer_params_v1 -------------------------------------------------------

    static Params* params_of(wl_resource* resource) {
        return static_cast<Params*>(wl_resource_get_user_data(resource));
    }
    static void params_destroy(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static void params_resource_destroyed(wl_resource* resource) {
        Params* params = params_of(resource);
        if (params->fd >= 0) {
            ::close(params->fd);
            params->impl->count([](Counters& c) { --c.open_fds; });
        }
        delete params;
    }
    static void params_add(wl_client* /*client*/, wl_resource* resource, int32_t fd,
                           uint32_t /*plane*/, uint32_t offset, uint32_t stride,
                           uint32_t modifier_hi, uint32_t modifier_lo) {
        Params* params = params_of(resource);
        params->impl->count([](Counters& c) { ++c.open_fds; });
        if (params->fd >= 0) {
            ::close(params->fd);  // only single-plane buffers are kept; the count still says
            params->impl->count([](Counters& c) { --c.open_fds; });
        }
        params->fd = fd;
        ++params->planes;
        params->offset = offset;
        params->stride = stride;
        params->modifier = (uint64_t{modifier_hi} << 32) | modifier_lo;
    }
    static void params_create(wl_client* /*client*/, wl_resource* resource, int32_t /*width*/,
                              int32_t /*height*/, uint32_t /*format*/, uint32_t /*flags*/) {
        zwp_linux_buffer_params_v1_send_failed(resource);  // only create_immed is supported
    }
    static void params_create_immed(wl_client* client, wl_resource* resource, uint32_t buffer_id,
                                    int32_t width, int32_t height, uint32_t format,
                                    uint32_t flags) {
        Params* params = params_of(resource);
        Impl* impl = params->impl;
        if (impl->options.refuse == Refusal::protocol_error) {
            wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER,
                                   "refused by the test");
            return;
        }
        wl_resource* buffer_resource =
            wl_resource_create(client, &wl_buffer_interface, 1, buffer_id);
        if (buffer_resource == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        auto* buffer = new Buffer{impl, -1};
        wl_resource_set_implementation(buffer_resource, &kBufferImpl, buffer,
                                       buffer_resource_destroyed);
        impl->buffers.push_back(buffer_resource);
        impl->count([](Counters& c) { ++c.live_buffers; });
        if (impl->options.refuse == Refusal::failed_event) {
            // An invalid buffer: the client must destroy it.
            zwp_linux_buffer_params_v1_send_failed(resource);
            return;
        }
        buffer->fd = std::exchange(params->fd, -1);
        BufferRecord record;
        record.buffer_id = wl_resource_get_id(buffer_resource);
        record.width = width;
        record.height = height;
        record.format = format;
        record.modifier = params->modifier;
        record.offset = params->offset;
        record.stride = params->stride;
        record.planes = params->planes;
        record.flags = flags;
        impl->count([&](Counters& c) { c.buffers.push_back(record); });
    }
    static constexpr struct zwp_linux_buffer_params_v1_interface kParamsImpl = {
        .destroy = params_destroy,
        .add = params_add,
        .create = params_create,
        .create_immed = params_create_immed,
    };

    // --- zwp_linux_dmabuf_v1 --------------------------------------------------------------

    static void dmabuf_destroy(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static void dmabuf_create_params(wl_client* client, wl_resource* resource, uint32_t id) {
        auto* impl = static_cast<Impl*>(wl_resource_get_user_data(resource));
        wl_resource* params_resource = wl_resource_create(
            client, &zwp_linux_buffer_params_v1_interface, wl_resource_get_version(resource), id);
        if (params_resource == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(params_resource, &kParamsImpl, new Params{impl},
                                       params_resource_destroyed);
    }
    // --- zwp_linux_dmabuf_feedback_v1 (version 4) ----------------------------------------

    static void feedback_destroy(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static constexpr struct zwp_linux_dmabuf_feedback_v1_interface kFeedbackImpl = {
        .destroy = feedback_destroy,
    };

    static void send_device(wl_resource* feedback, uint64_t device,
                            void (*send)(wl_resource*, wl_array*)) {
        const auto dev = static_cast<dev_t>(device);
        wl_array array;
        wl_array_init(&array);
        std::memcpy(wl_array_add(&array, sizeof dev), &dev, sizeof dev);
        send(feedback, &array);
        wl_array_release(&array);
    }

    // The whole default feedback at once: table, main device, one tranche, done; with
    // options.feedback_defect, as a hostile compositor would send it.
    static void send_feedback(const FakeOptions& options, wl_resource* feedback) {
        const FeedbackDefect defect = options.feedback_defect;
        std::vector<std::pair<uint32_t, uint64_t>> table;
        wl_array indices;
        wl_array_init(&indices);
        for (const auto& pair : options.modifiers) {
            auto it = std::find(table.begin(), table.end(), pair);
            if (it == table.end()) {
                it = table.insert(table.end(), pair);
            }
            *static_cast<uint16_t*>(wl_array_add(&indices, sizeof(uint16_t))) =
                static_cast<uint16_t>(it - table.begin());
        }
        if (defect == FeedbackDefect::index_past_table) {
            *static_cast<uint16_t*>(wl_array_add(&indices, sizeof(uint16_t))) =
                static_cast<uint16_t>(table.size());
        }
        if (defect == FeedbackDefect::odd_index_bytes) {
            *static_cast<uint8_t*>(wl_array_add(&indices, 1)) = 0;
        }
        int fd = memfd_create("fake-format-table", MFD_CLOEXEC);
        for (const auto& [format, modifier] : table) {
            const uint32_t entry[4] = {format, 0, static_cast<uint32_t>(modifier),
                                       static_cast<uint32_t>(modifier >> 32)};
            (void)!write(fd, entry, sizeof entry);
        }
        auto size = static_cast<uint32_t>(table.size() * 16);
        if (defect == FeedbackDefect::table_size_not_whole_entries) {
            size -= 1;
        } else if (defect == FeedbackDefect::table_shorter_than_size) {
            size += 4096 * 16;  // past the file's end, and past the page it ends in
        } else if (defect == FeedbackDefect::table_too_large) {
            size = (65536 + 1) * 16;
            (void)!ftruncate(fd, size);  // a real file of that size: only the count is wrong
        } else if (defect == FeedbackDefect::table_fd_not_a_file) {
            int pipe_fds[2];
            if (pipe2(pipe_fds, O_CLOEXEC) == 0) {
                close(fd);
                close(pipe_fds[0]);
                fd = pipe_fds[1];
            }
        }
        // libwayland sends a duplicate of the fd: this one is closed right after.
        zwp_linux_dmabuf_feedback_v1_send_format_table(feedback, fd, size);
        close(fd);
        if (defect == FeedbackDefect::bad_main_device) {
            wl_array device;
            wl_array_init(&device);
            wl_array_add(&device, 3);
            zwp_linux_dmabuf_feedback_v1_send_main_device(feedback, &device);
            wl_array_release(&device);
        } else {
            send_device(feedback, options.main_device,
                        zwp_linux_dmabuf_feedback_v1_send_main_device);
        }
        send_device(feedback, options.main_device,
                    zwp_linux_dmabuf_feedback_v1_send_tranche_target_device);
        zwp_linux_dmabuf_feedback_v1_send_tranche_formats(feedback, &indices);
        zwp_linux_dmabuf_feedback_v1_send_tranche_flags(feedback, 0);
        zwp_linux_dmabuf_feedback_v1_send_tranche_done(feedback);
        zwp_linux_dmabuf_feedback_v1_send_done(feedback);
        wl_array_release(&indices);
    }

    static void dmabuf_get_default_feedback(wl_client* client, wl_resource* resource, uint32_t id) {
        auto* impl = static_cast<Impl*>(wl_resource_get_user_data(resource));
        wl_resource* feedback = wl_resource_create(client, &zwp_linux_dmabuf_feedback_v1_interface,
                                                   wl_resource_get_version(resource), id);
        if (feedback == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(feedback, &kFeedbackImpl, nullptr, nullptr);
        send_feedback(impl->options, feedback);
    }

    // --- wp_linux_drm_syncobj_manager_v1: counted, nothing more ---------------------------
    static void destroy_resource(wl_client* /*client*/, wl_resource* resource) {
        wl_resource_destroy(resource);
    }
    static void syncobj_point(wl_client* /*client*/, wl_resource* /*resource*/,
                              wl_resource* /*timeline*/, uint32_t /*hi*/, uint32_t /*lo*/) {}
    static constexpr struct wp_linux_drm_syncobj_surface_v1_interface kSyncobjSurfaceImpl = {
        .destroy = destroy_resource,
        .set_acquire_point = syncobj_point,
        .set_release_point = syncobj_point,
    };
    static constexpr struct wp_linux_drm_syncobj_timeline_v1_interface kTimelineImpl = {
        .destroy = destroy_resource,
    };
    static void syncobj_get_surface(wl_client* client, wl_resource* resource, uint32_t id,
                                    wl_resource* /*surface*/) {
        auto* impl = static_cast<Impl*>(wl_resource_get_user_data(resource));
        impl->count([](Counters& c) { c.syncobj_surfaces++; });
        wl_resource* created =
            wl_resource_create(client, &wp_linux_drm_syncobj_surface_v1_interface, 1, id);
        if (created != nullptr) {
            wl_resource_set_implementation(created, &kSyncobjSurfaceImpl, nullptr, nullptr);
        }
    }
    static void syncobj_import_timeline(wl_client* client, wl_resource* /*resource*/, uint32_t id,
                                        int32_t fd) {
        ::close(fd);
        wl_resource* created =
            wl_resource_create(client, &wp_linux_drm_syncobj_timeline_v1_interface, 1, id);
        if (created != nullptr) {
            wl_resource_set_implementation(created, &kTimelineImpl, nullptr, nullptr);
        }
    }
    static constexpr struct wp_linux_drm_syncobj_manager_v1_interface kSyncobjManagerImpl = {
        .destroy = destroy_resource,
        .get_surface = syncobj_get_surface,
        .import_timeline = syncobj_import_timeline,
    };
    static void bind_syncobj_manager(wl_client* client, void* data, uint32_t version, uint32_t id) {
        auto* impl = static_cast<Impl*>(data);
        wl_resource* resource = wl_resource_create(
            client, &wp_linux_drm_syncobj_manager_v1_interface, static_cast<int>(version), id);
        if (resource == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(resource, &kSyncobjManagerImpl, impl, nullptr);
        impl->count([](Counters& c) { c.syncobj_binds++; });
    }

    static constexpr struct zwp_linux_dmabuf_v1_interface kDmabufImpl = {
        .destroy = dmabuf_destroy,
        .create_params = dmabuf_create_params,
        .get_default_feedback = dmabuf_get_default_feedback,
        .get_surface_feedback = nullptr,  // the layer asks only for the default feedback
    };

    static void bind_dmabuf(wl_client* client, void* data, uint32_t version, uint32_t id) {
        auto* impl = static_cast<Impl*>(data);
        wl_resource* resource = wl_resource_create(client, &zwp_linux_dmabuf_v1_interface,
                                                   static_cast<int>(version), id);
        if (resource == nullptr) {
            wl_client_post_no_memory(client);
            return;
        }
        wl_resource_set_implementation(resource, &kDmabufImpl, impl, nullptr);
        if (version >= ZWP_LINUX_DMABUF_V1_GET_DEFAULT_FEEDBACK_SINCE_VERSION) {
            return;  // version 4 sends no `format` or `modifier` events: feedback only
        }
        for (const auto& [format, modifier] : impl->options.modifiers) {
            zwp_linux_dmabuf_v1_send_format(resource, format);
        }
        if (version >= ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION) {
            for (const auto& [format, modifier] : impl->options.modifiers) {
                zwp_linux_dmabuf_v1_send_modifier(resource, format,
                                                  static_cast<uint32_t>(modifier >> 32),
                                                  static_cast<uint32_t>(modifier & 0xffffffffu));
            }
        }
    }
};

FakeCompositor::FakeCompositor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<FakeCompositor> FakeCompositor::start(const FakeOptions& options) {
    auto impl = std::make_unique<Impl>(options);
    impl->display = wl_display_create();
    if (impl->display == nullptr) {
        return nullptr;
    }
    impl->task_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    std::unique_ptr<FakeCompositor> compositor(new FakeCompositor(std::move(impl)));
    Impl* self = compositor->impl_.get();
    if (self->task_fd >= 0) {
        self->task_source =
            wl_event_loop_add_fd(wl_display_get_event_loop(self->display), self->task_fd,
                                 WL_EVENT_READABLE, Impl::on_tasks, self);
    }
    if (self->task_source == nullptr ||
        wl_global_create(self->display, &wl_compositor_interface,
                         static_cast<int>(options.compositor_version), self,
                         Impl::bind_compositor) == nullptr) {
        return nullptr;
    }
    if (options.linux_dmabuf) {
        self->dmabuf_global = wl_global_create(self->display, &zwp_linux_dmabuf_v1_interface,
                                               static_cast<int>(options.linux_dmabuf_version), self,
                                               Impl::bind_dmabuf);
        if (self->dmabuf_global == nullptr) {
            return nullptr;
        }
    }
    if (options.syncobj_manager &&
        wl_global_create(self->display, &wp_linux_drm_syncobj_manager_v1_interface, 1, self,
                         Impl::bind_syncobj_manager) == nullptr) {
        return nullptr;
    }
    self->thread = std::thread([self] { self->run(); });
    return compositor;
}

FakeCompositor::~FakeCompositor() {
    if (impl_->thread.joinable()) {
        {
            std::lock_guard lock(impl_->mutex);
            impl_->stopping = true;
        }
        impl_->changed.notify_all();
        impl_->post([] {});
        impl_->thread.join();
    }
    if (impl_->task_source != nullptr) {
        wl_event_source_remove(impl_->task_source);  // the loop does not free its sources
    }
    if (impl_->display != nullptr) {
        wl_display_destroy_clients(impl_->display);
        wl_display_destroy(impl_->display);
    }
    if (impl_->task_fd >= 0) {
        ::close(impl_->task_fd);
    }
}

int FakeCompositor::connect() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return -1;
    }
    bool created = false;
    impl_->run_on_server([&] {
        wl_client* client = wl_client_create(impl_->display, fds[0]);
        if (client == nullptr) {
            return;
        }
        auto* holder = new Impl::ClientListener{};
        holder->listener.notify = Impl::on_client_destroyed;
        holder->impl = impl_.get();
        holder->client = client;
        wl_client_add_destroy_listener(client, &holder->listener);
        impl_->clients.push_back(holder);
        impl_->count([](Counters& c) { ++c.clients; });
        created = true;
    });
    if (!created) {
        ::close(fds[0]);
        ::close(fds[1]);
        return -1;
    }
    return fds[1];
}

Counters FakeCompositor::counters() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->counters;
}

bool FakeCompositor::wait_until(const std::function<bool(const Counters&)>& done,
                                std::chrono::nanoseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return done(impl_->counters); });
}

void FakeCompositor::sync() {
    impl_->run_on_server([] {});
}

void FakeCompositor::disconnect_clients() {
    impl_->run_on_server([this] {
        const auto clients = impl_->clients;
        for (Impl::ClientListener* holder : clients) {
            wl_client_destroy(holder->client);
        }
    });
}

void FakeCompositor::raise_protocol_error() {
    impl_->run_on_server([this] {
        const auto surfaces = impl_->surfaces;
        for (Impl::Surface* surface : surfaces) {
            wl_resource_post_error(surface->resource, 0, "raised by the test");
        }
        wl_display_flush_clients(impl_->display);
    });
}

void FakeCompositor::answer_frame_callbacks() {
    impl_->run_on_server([this] {
        const auto held = impl_->held_callbacks;
        for (wl_resource* callback : held) {
            impl_->send_frame_done(callback);
        }
    });
}

void FakeCompositor::remove_linux_dmabuf_global() {
    impl_->run_on_server([this] {
        if (impl_->dmabuf_global != nullptr) {
            wl_global_remove(impl_->dmabuf_global);
            wl_display_flush_clients(impl_->display);
            impl_->count([](Counters& c) { ++c.globals_removed; });
        }
    });
}

void FakeCompositor::stall(bool stalled) {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stalled = stalled;
    }
    impl_->changed.notify_all();
    if (!stalled) {
        return;
    }
    // The thread blocks inside a task, so it reads no client until stall(false); this returns
    // once it does.
    bool entered = false;
    impl_->post([this, &entered] {
        std::unique_lock lock(impl_->mutex);
        entered = true;
        impl_->changed.notify_all();
        impl_->changed.wait(lock, [this] { return !impl_->stalled || impl_->stopping; });
    });
    std::unique_lock lock(impl_->mutex);
    impl_->changed.wait(lock, [&] { return entered; });
}

}  // namespace sb::test::wayland
