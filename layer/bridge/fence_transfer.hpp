// The two fence transfers at the heart of the bridge, through a driver with SYNC_FD payloads.
//
// Present: the app's render-done semaphores become a sync_file, which the caller then adds to
// the image's dma-buf as a write fence, so that an implicit-sync consumer waits for the render.
// Acquire: the fences a writer must wait for (the consumer's pending reads, and anything else in
// the dma-buf) become the payload of the app's acquire semaphore and/or fence, so that the next
// frame's GPU work, not the app's CPU, waits for the consumer.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>

#include "dispatch/dispatch_table.hpp"
#include "kernel/dma_buf.hpp"
#include "kernel/sync_file.hpp"

namespace sb::bridge {

// A binary semaphore whose payload can be exported as a SYNC_FD: export_render_done's carrier.
VkResult create_exportable_semaphore(const dispatch::DeviceTable& next, VkDevice device,
                                     VkSemaphore* semaphore,
                                     const VkAllocationCallbacks* alloc = nullptr);

// Submits to `queue` a batch that waits for `waits` and signals `carrier` (from
// create_exportable_semaphore), then exports the carrier's payload as a sync_file. Exporting a
// SYNC_FD leaves the carrier unsignalled with nothing pending, so one carrier serves every
// present of a swapchain (presents to one swapchain are externally synchronised). The app's
// thread does not wait for the GPU here (unless the driver's export itself blocks).
// `carrier_signalled` is true when the submit went in but the export failed: the carrier then
// still holds the render-done, and the caller must wait on it in a batch of its own before the
// next present signals it again.
VkResult export_render_done(const dispatch::DeviceTable& next, VkDevice device, VkQueue queue,
                            const VkSemaphore* waits, uint32_t wait_count, VkSemaphore carrier,
                            kernel::SyncFile* render_done, bool* carrier_signalled = nullptr);

// The consumer's pending reads of `buffer` (every fence in it, for a writer's access) as a
// sync_file; the VkResult an acquire returns when the kernel cannot give them.
VkResult export_consumer_reads(const kernel::DmaBuf& buffer, kernel::SyncFile* reads);

// Makes `semaphore` and/or `fence` (either may be VK_NULL_HANDLE) wait for every fence in
// `buffer` (temporary SYNC_FD imports: the next wait consumes them, as for a swapchain acquire).
VkResult import_consumer_reads(const dispatch::DeviceTable& next, VkDevice device,
                               const kernel::DmaBuf& buffer, VkSemaphore semaphore, VkFence fence);

// What a failed import_sync_file left without the payload (VK_NULL_HANDLE: imported or not
// asked for), so that the caller can signal it another way.
struct Unimported {
    VkSemaphore semaphore = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
};

// Makes `semaphore` and/or `fence` carry `payload` (temporary SYNC_FD imports). The payload is
// consumed: the last import takes its fd, so only a double import costs a dup (this runs on
// every acquire).
VkResult import_sync_file(const dispatch::DeviceTable& next, VkDevice device,
                          kernel::SyncFile payload, VkSemaphore semaphore, VkFence fence,
                          Unimported* unimported = nullptr);

}  // namespace sb::bridge
