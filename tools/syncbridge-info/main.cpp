// syncbridge-info: what each GPU's driver, this kernel and the desktop's window systems offer
// the bridge, and the path an app started here would take. The first thing to run when frames
// look wrong.
//
// It asks the same questions, through the same code, as the layer does at vkCreateDevice.
#include <vulkan/vulkan.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bridge/capabilities.hpp"
#include "bridge/kernel_support.hpp"
#include "bridge/strategy.hpp"
#include "dispatch/dispatch_table.hpp"
#include "export_check.hpp"
#include "kernel/drm_node.hpp"
#include "kernel/syncobj.hpp"
#include "util/switches.hpp"
#include "window_system.hpp"

namespace {

using sb::bridge::DeviceCapabilities;
using sb::bridge::KernelSupport;
using sb::bridge::StrategyChoice;
using sb::info::PathReport;
using sb::info::WaylandReport;
using sb::info::X11Report;

struct Row {
    DeviceCapabilities caps;
    StrategyChoice choice;
    sb::bridge::AllocatorChoice allocator;
    PathReport wayland;  // meaningful where that window system is connected
    PathReport x11;
    sb::bridge::ExportProbe sync_fd_export;  // measured for the import strategy only
};

std::string json_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

const char* yes_no(bool value) {
    return value ? "yes" : "no";
}
const char* json_bool(bool value) {
    return value ? "true" : "false";
}

// Wayland's explicit sync needs a DRM device with timeline syncobjs; whether a surface gets it
// is decided at its first swapchain, by the compositor's wp_linux_drm_syncobj_manager_v1.
struct ExplicitSyncSupport {
    std::string choice;  // SYNCBRIDGE_WAYLAND_SYNC, or "auto"
    std::string device;  // the render node with timeline syncobjs, empty: none
    std::string reason;  // why there is none
};

ExplicitSyncSupport explicit_sync_support() {
    ExplicitSyncSupport support;
    const char* choice = sb::util::switch_value(sb::util::Switch::wayland_sync);
    support.choice = choice != nullptr ? choice : "auto";
    if (auto device = sb::kernel::open_timeline_device({})) {
        support.device = device->path;
    } else {
        support.reason = device.error().describe();
    }
    return support;
}

// The layer's environment switches that are set here: a test switch left set explains many a
// wrong frame.
void print_switches_text() {
    for (const sb::util::SwitchInfo& info : sb::util::all_switches()) {
        if (const char* value = sb::util::switch_value(info.which)) {
            std::printf("%s=%s: %s%s\n", info.name, value, info.effect,
                        info.test_only ? " (A TEST SWITCH: unset it)" : "");
        }
    }
}

void print_switches_json() {
    std::printf("  \"switches\": {");
    const char* separator = "";
    for (const sb::util::SwitchInfo& info : sb::util::all_switches()) {
        if (const char* value = sb::util::switch_value(info.which)) {
            std::printf("%s\"%s\": {\"value\": \"%s\", \"test_only\": %s}", separator, info.name,
                        json_escape(value).c_str(), json_bool(info.test_only));
            separator = ", ";
        }
    }
    std::printf("},\n");
}

struct WindowSystems {
    WaylandReport wayland;
    X11Report x11;
};

std::string node(dev_t device) {
    return sb::kernel::drm_node_name(device);
}

const char* tranche_flags(bool scanout) {
    return scanout ? "scanout" : "none";
}

void print_window_systems_text(const WindowSystems& ws) {
    std::printf("window system:\n");
    const WaylandReport& w = ws.wayland;
    if (!w.connected) {
        std::printf("  Wayland: none (%s)\n", w.error.c_str());
    } else {
        std::printf("  Wayland (%s): zwp_linux_dmabuf_v1 v%u", w.socket.c_str(),
                    w.dmabuf_advertised);
        if (w.dmabuf_bound != 0) {
            std::printf(" (the layer binds v%u)", w.dmabuf_bound);
        }
        std::printf(", %zu format+modifier pairs, ARGB8888 LINEAR %s, XRGB8888 LINEAR %s\n",
                    w.format_count, yes_no(w.argb8888_linear), yes_no(w.xrgb8888_linear));
        if (w.main_device != 0) {
            std::printf("    feedback main device: %s\n", node(w.main_device).c_str());
        }
        for (size_t i = 0; i < w.tranches.size(); ++i) {
            const auto& t = w.tranches[i];
            std::printf(
                "    tranche %zu: target device %s, flags %s, %zu pairs, ARGB8888 LINEAR %s, "
                "XRGB8888 LINEAR %s\n",
                i, node(t.target_device).c_str(), tranche_flags(t.scanout), t.format_count,
                yes_no(t.argb8888_linear), yes_no(t.xrgb8888_linear));
        }
        std::printf("    wp_linux_drm_syncobj_manager_v1: %s\n", yes_no(w.syncobj_manager != 0));
        if (!w.error.empty()) {
            std::printf("    error: %s\n", w.error.c_str());
        }
    }
    const X11Report& x = ws.x11;
    if (!x.connected) {
        std::printf("  X11: none (%s)\n", x.error.c_str());
    } else {
        std::printf("  X11 (%s): DRI3 %u.%u, Present %u.%u, DRI3 device %s\n", x.socket.c_str(),
                    x.dri3_major, x.dri3_minor, x.present_major, x.present_minor,
                    node(x.dri3_device).c_str());
        if (!x.error.empty()) {
            std::printf("    error: %s\n", x.error.c_str());
        }
    }
}

void print_path_text(const char* window_system, bool connected, const PathReport& path) {
    if (!connected) {
        std::printf("  %s path: none (not connected)\n", window_system);
        return;
    }
    std::printf("  %s path: %s; because %s\n", window_system, path.summary.c_str(),
                path.because.c_str());
}

void print_window_systems_json(const WindowSystems& ws) {
    const WaylandReport& w = ws.wayland;
    std::printf("  \"window_system\": {\n    \"wayland\": ");
    if (!w.connected) {
        std::printf("{\"connected\": false, \"error\": \"%s\"}", json_escape(w.error).c_str());
    } else {
        std::printf(
            "{\"connected\": true, \"socket\": \"%s\", \"error\": \"%s\", "
            "\"linux_dmabuf_version\": %u, \"linux_dmabuf_bound\": %u, "
            "\"feedback_main_device\": \"%s\", \"format_count\": %zu, "
            "\"argb8888_linear\": %s, \"xrgb8888_linear\": %s, \"tranches\": [",
            json_escape(w.socket).c_str(), json_escape(w.error).c_str(), w.dmabuf_advertised,
            w.dmabuf_bound, w.main_device != 0 ? json_escape(node(w.main_device)).c_str() : "",
            w.format_count, json_bool(w.argb8888_linear), json_bool(w.xrgb8888_linear));
        for (size_t i = 0; i < w.tranches.size(); ++i) {
            const auto& t = w.tranches[i];
            std::printf(
                "%s{\"target_device\": \"%s\", \"flags\": \"%s\", \"format_count\": %zu, "
                "\"argb8888_linear\": %s, \"xrgb8888_linear\": %s}",
                i == 0 ? "" : ", ", json_escape(node(t.target_device)).c_str(),
                tranche_flags(t.scanout), t.format_count, json_bool(t.argb8888_linear),
                json_bool(t.xrgb8888_linear));
        }
        std::printf("], \"syncobj_manager\": %s, \"syncobj_manager_version\": %u}",
                    json_bool(w.syncobj_manager != 0), w.syncobj_manager);
    }
    const X11Report& x = ws.x11;
    std::printf(",\n    \"x11\": ");
    if (!x.connected) {
        std::printf("{\"connected\": false, \"error\": \"%s\"}", json_escape(x.error).c_str());
    } else {
        std::printf(
            "{\"connected\": true, \"socket\": \"%s\", \"error\": \"%s\", "
            "\"dri3_version\": \"%u.%u\", \"present_version\": \"%u.%u\", "
            "\"dri3_device\": \"%s\"}",
            json_escape(x.socket).c_str(), json_escape(x.error).c_str(), x.dri3_major, x.dri3_minor,
            x.present_major, x.present_minor,
            x.dri3_device != 0 ? json_escape(node(x.dri3_device)).c_str() : "");
    }
    std::printf("\n  },\n");
}

std::string path_json(bool connected, const PathReport& path) {
    if (!connected) {
        return "null";
    }
    return std::string("{\"layer_presents\": ") + json_bool(path.layer_presents) +
           ", \"summary\": \"" + json_escape(path.summary) + "\", \"because\": \"" +
           json_escape(path.because) + "\"}";
}

void print_text(const WindowSystems& ws, const KernelSupport& kernel, const char* mode,
                const std::vector<Row>& rows) {
    std::printf("kernel: dma-buf sync-file ioctls %s (probed with %s)\n",
                sb::bridge::to_string(kernel.sync_file_ioctls), kernel.probed_with.c_str());
    std::printf("SYNCBRIDGE_MODE: %s\n", mode);
    print_switches_text();
    print_window_systems_text(ws);
    const ExplicitSyncSupport explicit_sync = explicit_sync_support();
    if (!explicit_sync.device.empty()) {
        std::printf(
            "Wayland explicit sync (SYNCBRIDGE_WAYLAND_SYNC=%s): timeline syncobjs on %s; "
            "used where the compositor offers wp_linux_drm_syncobj_manager_v1\n",
            explicit_sync.choice.c_str(), explicit_sync.device.c_str());
    } else {
        std::printf("Wayland explicit sync (SYNCBRIDGE_WAYLAND_SYNC=%s): not possible here: %s\n",
                    explicit_sync.choice.c_str(), explicit_sync.reason.c_str());
    }
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& c = rows[i].caps;
        std::printf("\nGPU %zu: %s (driver %s, Vulkan %u.%u.%u)\n", i, c.device_name.c_str(),
                    c.driver_name.c_str(), VK_API_VERSION_MAJOR(c.api_version),
                    VK_API_VERSION_MINOR(c.api_version), VK_API_VERSION_PATCH(c.api_version));
        std::printf("  semaphore SYNC_FD export/import: %s/%s\n",
                    yes_no(c.semaphore_sync_fd_export), yes_no(c.semaphore_sync_fd_import));
        std::printf("  fence SYNC_FD export/import:     %s/%s\n", yes_no(c.fence_sync_fd_export),
                    yes_no(c.fence_sync_fd_import));
        std::printf("  VK_EXT_external_memory_dma_buf:  %s\n", yes_no(c.dma_buf_extension));
        std::printf("  VK_EXT_image_drm_format_modifier: %s\n",
                    yes_no(c.drm_format_modifier_extension));
        std::printf("  dma-buf swapchain image export/import: %s/%s\n",
                    yes_no(c.dma_buf_image_export), yes_no(c.dma_buf_image_import));
        std::printf("  strategy: %s (%s)\n", sb::bridge::to_string(rows[i].choice.strategy),
                    rows[i].choice.reason.c_str());
        const auto& probe = rows[i].sync_fd_export;
        if (rows[i].choice.strategy == sb::bridge::Strategy::kernel_import) {
            std::printf("  SYNC_FD export: %s, %lld us (%s)%s\n",
                        sb::bridge::to_string(probe.behaviour),
                        static_cast<long long>(probe.export_time.count()), probe.detail.c_str(),
                        probe.behaviour == sb::bridge::SyncFdExport::blocking
                            ? ": presents export on the layer's thread"
                            : "");
        }
        if (rows[i].choice.strategy == sb::bridge::Strategy::passthrough) {
            std::printf("  images: the driver's own swapchain's (passthrough)\n");
        } else {
            std::printf("  images allocated by the %s (%s)\n",
                        rows[i].allocator.layer_allocates ? "layer" : "driver",
                        rows[i].allocator.reason.c_str());
        }
        print_path_text("Wayland", ws.wayland.connected, rows[i].wayland);
        print_path_text("X11", ws.x11.connected, rows[i].x11);
    }
}

void print_json(const WindowSystems& ws, const KernelSupport& kernel, const char* mode,
                const std::vector<Row>& rows) {
    std::printf("{\n  \"kernel\": {\"sync_file_ioctls\": \"%s\", \"probed_with\": \"%s\"},\n",
                sb::bridge::to_string(kernel.sync_file_ioctls),
                json_escape(kernel.probed_with).c_str());
    const ExplicitSyncSupport explicit_sync = explicit_sync_support();
    std::printf("  \"wayland_explicit_sync\": {\"choice\": \"%s\", \"timeline_device\": \"%s\"},\n",
                json_escape(explicit_sync.choice).c_str(),
                json_escape(explicit_sync.device).c_str());
    print_switches_json();
    print_window_systems_json(ws);
    std::printf("  \"mode\": \"%s\",\n  \"gpus\": [", mode);
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& c = rows[i].caps;
        std::printf(
            "%s\n    {\"name\": \"%s\", \"driver\": \"%s\", \"api_version\": \"%u.%u.%u\", "
            "\"semaphore_sync_fd_export\": %s, \"semaphore_sync_fd_import\": %s, "
            "\"fence_sync_fd_export\": %s, \"fence_sync_fd_import\": %s, "
            "\"dma_buf_extension\": %s, \"drm_format_modifier_extension\": %s, "
            "\"dma_buf_image_export\": %s, \"dma_buf_image_import\": %s, "
            "\"strategy\": \"%s\", \"reason\": \"%s\", \"override_refused\": %s, "
            "\"sync_fd_export\": \"%s\", \"sync_fd_export_us\": %lld, "
            "\"layer_allocates\": %s, \"allocator_reason\": \"%s\", "
            "\"paths\": {\"wayland\": %s, \"x11\": %s}}",
            i == 0 ? "" : ",", json_escape(c.device_name).c_str(),
            json_escape(c.driver_name).c_str(), VK_API_VERSION_MAJOR(c.api_version),
            VK_API_VERSION_MINOR(c.api_version), VK_API_VERSION_PATCH(c.api_version),
            json_bool(c.semaphore_sync_fd_export), json_bool(c.semaphore_sync_fd_import),
            json_bool(c.fence_sync_fd_export), json_bool(c.fence_sync_fd_import),
            json_bool(c.dma_buf_extension), json_bool(c.drm_format_modifier_extension),
            json_bool(c.dma_buf_image_export), json_bool(c.dma_buf_image_import),
            sb::bridge::to_string(rows[i].choice.strategy),
            json_escape(rows[i].choice.reason).c_str(), json_bool(rows[i].choice.override_refused),
            sb::bridge::to_string(rows[i].sync_fd_export.behaviour),
            static_cast<long long>(rows[i].sync_fd_export.export_time.count()),
            json_bool(rows[i].allocator.layer_allocates),
            json_escape(rows[i].allocator.reason).c_str(),
            path_json(ws.wayland.connected, rows[i].wayland).c_str(),
            path_json(ws.x11.connected, rows[i].x11).c_str());
    }
    std::printf("\n  ]\n}\n");
}

// Asked for (--help): on stdout, exit 0; a wrong argument: on stderr, exit 2.
void print_usage(std::FILE* to, const char* program) {
    std::fprintf(to,
                 "usage: %s [--json] [--help]\n"
                 "What each GPU's driver, this kernel and the window systems (WAYLAND_DISPLAY,\n"
                 "DISPLAY) offer syncbridge, and the path an app started here would take.\n"
                 "  --json     the same as JSON\n"
                 "  -h, --help this text\n"
                 "See syncbridge-info(1).\n",
                 program);
}

}  // namespace

int main(int argc, char** argv) {
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            print_usage(stdout, argv[0]);
            return 0;
        } else {
            print_usage(stderr, argv[0]);
            return 2;
        }
    }
    const char* mode_text = sb::util::switch_value(sb::util::Switch::mode);
    const auto mode = sb::bridge::parse_mode(mode_text);
    if (!mode) {
        std::fprintf(stderr, "SYNCBRIDGE_MODE=%s is not one of auto|import|wait|passthrough\n",
                     mode_text);
        return 2;
    }

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "syncbridge-info";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    VkInstance instance = VK_NULL_HANDLE;
    if (VkResult r = vkCreateInstance(&info, nullptr, &instance); r != VK_SUCCESS) {
        std::fprintf(stderr, "vkCreateInstance failed: %d (is a Vulkan driver installed?)\n", r);
        return 1;
    }
    sb::dispatch::InstanceTable table;
    sb::dispatch::load_instance_table(table, instance, vkGetInstanceProcAddr);

    uint32_t count = 0;
    (void)table.EnumeratePhysicalDevices(instance, &count, nullptr);
    std::vector<VkPhysicalDevice> gpus(count);
    (void)table.EnumeratePhysicalDevices(instance, &count, gpus.data());

    const KernelSupport& kernel = sb::bridge::kernel_support();
    WindowSystems ws{sb::info::probe_wayland(), sb::info::probe_x11()};
    const bool layer_memory_requested = sb::util::switch_is(sb::util::Switch::memory, "layer");
    std::vector<Row> rows;
    for (VkPhysicalDevice pd : gpus) {
        Row row;
        row.caps = sb::bridge::probe_device_capabilities(table, pd);
        row.choice = sb::bridge::choose_strategy(row.caps, kernel, *mode);
        row.allocator = sb::bridge::choose_allocator(row.caps, kernel, layer_memory_requested);
        row.wayland = sb::info::wayland_path(ws.wayland, row.choice, row.allocator);
        row.x11 = sb::info::x11_path(ws.x11, row.choice, row.allocator);
        if (row.choice.strategy == sb::bridge::Strategy::kernel_import) {
            row.sync_fd_export = sb::info::check_sync_fd_export(table, pd);
        }
        rows.push_back(std::move(row));
    }
    const char* mode_name = sb::bridge::to_string(*mode);
    if (json) {
        print_json(ws, kernel, mode_name, rows);
    } else {
        print_text(ws, kernel, mode_name, rows);
    }
    table.DestroyInstance(instance, nullptr);
    return 0;
}
