// syncbridge-info: what each GPU's driver and this kernel offer the bridge, and the strategy the
// layer would pick. The first thing to run when frames look wrong.
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
#include "kernel/syncobj.hpp"
#include "util/switches.hpp"

namespace {

using sb::bridge::DeviceCapabilities;
using sb::bridge::KernelSupport;
using sb::bridge::StrategyChoice;

struct Row {
    DeviceCapabilities caps;
    StrategyChoice choice;
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

void print_text(const KernelSupport& kernel, const char* mode, const std::vector<Row>& rows) {
    std::printf("kernel: dma-buf sync-file ioctls %s (probed with %s)\n",
                sb::bridge::to_string(kernel.sync_file_ioctls), kernel.probed_with.c_str());
    std::printf("SYNCBRIDGE_MODE: %s\n", mode);
    print_switches_text();
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
    }
}

void print_json(const KernelSupport& kernel, const char* mode, const std::vector<Row>& rows) {
    std::printf("{\n  \"kernel\": {\"sync_file_ioctls\": \"%s\", \"probed_with\": \"%s\"},\n",
                sb::bridge::to_string(kernel.sync_file_ioctls),
                json_escape(kernel.probed_with).c_str());
    const ExplicitSyncSupport explicit_sync = explicit_sync_support();
    std::printf("  \"wayland_explicit_sync\": {\"choice\": \"%s\", \"timeline_device\": \"%s\"},\n",
                json_escape(explicit_sync.choice).c_str(),
                json_escape(explicit_sync.device).c_str());
    print_switches_json();
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
            "\"sync_fd_export\": \"%s\", \"sync_fd_export_us\": %lld}",
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
            static_cast<long long>(rows[i].sync_fd_export.export_time.count()));
    }
    std::printf("\n  ]\n}\n");
}

// Asked for (--help): on stdout, exit 0; a wrong argument: on stderr, exit 2.
void print_usage(std::FILE* to, const char* program) {
    std::fprintf(to,
                 "usage: %s [--json] [--help]\n"
                 "What each GPU's driver and this kernel offer syncbridge, and the strategy the\n"
                 "layer would pick (SYNCBRIDGE_MODE).\n"
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
    std::vector<Row> rows;
    for (VkPhysicalDevice pd : gpus) {
        Row row;
        row.caps = sb::bridge::probe_device_capabilities(table, pd);
        row.choice = sb::bridge::choose_strategy(row.caps, kernel, *mode);
        if (row.choice.strategy == sb::bridge::Strategy::kernel_import) {
            row.sync_fd_export = sb::info::check_sync_fd_export(table, pd);
        }
        rows.push_back(std::move(row));
    }
    const char* mode_name = sb::bridge::to_string(*mode);
    if (json) {
        print_json(kernel, mode_name, rows);
    } else {
        print_text(kernel, mode_name, rows);
    }
    table.DestroyInstance(instance, nullptr);
    return 0;
}
