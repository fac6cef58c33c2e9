// Test-only fault injection (SYNCBRIDGE_TEST_FAULT): chosen calls of the frame path fail at a
// chosen call with a chosen errno or VkResult, so that the VM tests can show what the app sees
// when the kernel or the driver refuses one of them. Unset, each site costs one relaxed load.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sb::util {

// The calls that can be made to fail. Each counts its own calls, from 1, per process.
enum class FaultSite : uint8_t {
    import_sync_file,      // present: the render-done into the dma-buf (IMPORT_SYNC_FILE)
    import_release_fence,  // wl_buffer.release: the consumer's fence into the dma-buf (same ioctl)
    export_sync_file,      // acquire: the consumer's reads out of the dma-buf (EXPORT_SYNC_FILE)
    get_semaphore_fd,      // present: the render-done as a SYNC_FD (vkGetSemaphoreFdKHR)
    import_semaphore_fd,   // acquire: the reads into the app's semaphore (vkImportSemaphoreFdKHR)
    import_fence_fd,       // acquire: the reads into the app's fence (vkImportFenceFdKHR)
    alloc_dma_buf,         // swapchain creation: the layer's own dma-buf allocation
};

const char* fault_site_name(FaultSite site);

// One entry of the switch: SITE:CALL|every[:VALUE]. VALUE is an errno name (EIO) for the kernel
// sites and a VkResult name (VK_ERROR_DEVICE_LOST) for the Vulkan ones; it defaults to EIO or
// VK_ERROR_OUT_OF_HOST_MEMORY.
struct FaultSpec {
    FaultSite site = FaultSite::import_sync_file;
    uint64_t call = 0;  // 0: every call
    int value = 0;      // an errno or a VkResult, by the site
};

// Parses the switch's text (entries separated by ','); nullopt if any entry is malformed.
std::optional<std::vector<FaultSpec>> parse_fault_specs(std::string_view text);

// The errno (kernel sites) or VkResult (Vulkan sites) this call of `site` is to fail with, or
// nullopt: the call goes ahead. Counts the call. The switch is read once, at the first call of
// any site; a malformed value is logged and injects nothing.
std::optional<int> injected_fault(FaultSite site);

// For host tests: forget the parsed switch and the counts, so the next call reads it again.
void reset_faults_for_test();

}  // namespace sb::util
