// VK_KHR_swapchain for devices the layer bridges: the layer's own swapchain (wsi::Swapchain)
// with dma-buf images, acquire and present through the fence bridge. Swapchains of pass-through
// devices, and of surfaces whose compositor takes no dma-bufs, are the driver's.
#include <algorithm>
#include <mutex>
#include <new>
#include <vector>

#include "api/entry_points.hpp"
#include "api/wsi_state.hpp"
#include "dispatch/chain.hpp"
#include "util/abi_guard.hpp"
#include "util/log.hpp"
#include "util/scratch_array.hpp"
#include "wsi/formats.hpp"

namespace sb::api {
namespace {

wsi::DeviceContext device_context(DeviceData& dev) {
    wsi::DeviceContext ctx;
    ctx.next = &dev.next;
    ctx.device = dev.handle;
    ctx.memory_properties = dev.memory_properties;
    ctx.strategy = dev.strategy;
    ctx.drm_format_modifier = dev.drm_format_modifier;
    ctx.layer_allocates = dev.layer_allocates;
    ctx.internal_queue = dev.internal_queue;
    ctx.internal_queue_mutex = &dev.internal_queue_mutex;
    ctx.export_blocks = dev.export_blocks;
    ctx.acquire_imports_reads = dev.acquire_imports_reads;
    ctx.disable_fence_transfer_for_tests = dev.disable_fence_transfer_for_tests;
    ctx.render_node = dev.render_node;
    return ctx;
}

// The swapchain's shape from the app's create info and what the compositor takes.
VkResult swapchain_config(const VkSwapchainCreateInfoKHR& info, const wsi::Surface& surface,
                          const std::vector<wsi::FormatModifier>& consumer,
                          wsi::SwapchainConfig* config) {
    const bool alpha = info.compositeAlpha != VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    const auto consumer_format = wsi::consumer_format_for(consumer, info.imageFormat, alpha);
    if (!consumer_format) {
        SB_LOG(error,
               "vkCreateSwapchainKHR: the compositor takes format %d (alpha %d) in no "
               "linear layout",
               info.imageFormat, alpha);
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    if (!supports_present_mode(surface, info.presentMode)) {
        SB_LOG(error, "vkCreateSwapchainKHR: present mode %d is not offered", info.presentMode);
        return VK_ERROR_INITIALIZATION_FAILED;
    }
    config->extent = info.imageExtent;
    config->format = info.imageFormat;
    config->drm_format = consumer_format->drm_format;
    config->consumer_modifier = consumer_format->modifier;
    config->image_count = std::clamp(info.minImageCount, 2U, 8U);
    config->usage = info.imageUsage;
    config->present_mode = info.presentMode;
    config->depth = alpha ? 32 : 24;
    return VK_SUCCESS;
}

// A plain binary semaphore, never signalled or waited on: only its private data is used.
VkResult create_private_data_anchor(DeviceData& dev, const VkAllocationCallbacks* alloc,
                                    VkSemaphore* anchor) {
    const VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    return dev.next.CreateSemaphore(dev.handle, &info, alloc, anchor);
}

void destroy_layer_swapchain(const VkAllocationCallbacks* alloc, SwapchainData* data) {
    data->chain.reset();
    if (data->private_data_anchor != VK_NULL_HANDLE) {
        data->device->next.DestroySemaphore(data->device->handle, data->private_data_anchor, alloc);
    }
    util::host_delete(alloc, data);
}

VkResult create_layer_swapchain(DeviceData& dev, const VkSwapchainCreateInfoKHR& info,
                                const std::vector<wsi::FormatModifier>& consumer,
                                const VkAllocationCallbacks* alloc, VkSwapchainKHR* swapchain) {
    SurfaceData* surface = surface_data(info.surface);
    wsi::SwapchainConfig config;
    if (VkResult r = swapchain_config(info, *surface->window_system, consumer, &config);
        r != VK_SUCCESS) {
        return r;
    }
    auto* data = util::host_new<SwapchainData>(alloc, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    if (data == nullptr) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    data->device = &dev;
    // `data` is the one thing here that no destructor owns: freed if an exception passes, which
    // the entry point's guard (util/abi_guard.hpp) then turns into the call's result.
    const util::UndoOnUnwind undo([alloc, data] { destroy_layer_swapchain(alloc, data); });
    VkResult r = create_private_data_anchor(dev, alloc, &data->private_data_anchor);
    if (r == VK_SUCCESS) {
        r = wsi::Swapchain::create(device_context(dev), *surface->window_system, config, alloc,
                                   &data->chain);
    }
    if (r != VK_SUCCESS) {
        destroy_layer_swapchain(alloc, data);
        return r;
    }
    swapchains().insert(data, data);
    *swapchain = reinterpret_cast<VkSwapchainKHR>(data);
    // What a bug report needs in one line, as syncbridge-info's path line says it.
    SB_LOG(info,
           "swapchain %p: %s, strategy %s, images allocated by the %s, %s sync; %ux%u, %u images",
           static_cast<void*>(data), surface->window_system->consumer_path().c_str(),
           bridge::to_string(dev.strategy), data->chain->layer_memory() ? "layer" : "driver",
           data->chain->explicit_sync() ? "explicit" : "implicit", config.extent.width,
           config.extent.height, config.image_count);
    // The strategy stays last: tests/wsi/swapchain_in_vm.sh reads it from the end of the line.
    SB_LOG(debug, "swapchain %p: %ux%u, %u images, present mode %d, %s memory, strategy %s",
           static_cast<void*>(data), config.extent.width, config.extent.height, config.image_count,
           config.present_mode, data->chain->layer_memory() ? "layer" : "driver",
           bridge::to_string(dev.strategy));
    return VK_SUCCESS;
}

// The combined result of a vkQueuePresentKHR: the first error, else SUBOPTIMAL if any was.
VkResult combine(VkResult so_far, VkResult one) {
    if (so_far < 0) {
        return so_far;
    }
    if (one < 0 || one == VK_SUBOPTIMAL_KHR) {
        return one;
    }
    return so_far;
}

}  // namespace

dispatch::ObjectMap<SwapchainData>& swapchains() {
    static dispatch::ObjectMap<SwapchainData> map;
    return map;
}

VKAPI_ATTR VkResult VKAPI_CALL CreateSwapchainKHR(VkDevice device,
                                                  const VkSwapchainCreateInfoKHR* info,
                                                  const VkAllocationCallbacks* alloc,
                                                  VkSwapchainKHR* swapchain) {
    DeviceData* dev = device_data(device);
    // "oldSwapchain is retired, even if creation of the new swapchain fails."
    if (SwapchainData* old = swapchain_data(info->oldSwapchain)) {
        old->chain->retire();
    }
    std::vector<wsi::FormatModifier> consumer;
    switch (route_for(*dev->instance, dev->physical_device, info->surface, &consumer)) {
        case Route::layer:
            return create_layer_swapchain(*dev, *info, consumer, alloc, swapchain);
        case Route::lost:
            return VK_ERROR_SURFACE_LOST_KHR;
        case Route::driver:
            break;
    }
    const VkResult r = dev->next.CreateSwapchainKHR(device, info, alloc, swapchain);
    if (r == VK_SUCCESS) {
        // The other half of syncbridge-info's path line: no syncbridge in this swapchain's way.
        SB_LOG(info, "swapchain %p: the driver's own WSI, without syncbridge's fences (%s)",
               static_cast<void*>(*swapchain),
               dev->strategy == bridge::Strategy::passthrough ? "the layer does not bridge this GPU"
                                                              : "the consumer takes no dma-bufs");
    }
    return r;
}

VKAPI_ATTR void VKAPI_CALL DestroySwapchainKHR(VkDevice device, VkSwapchainKHR swapchain,
                                               const VkAllocationCallbacks* alloc) {
    if (swapchain == VK_NULL_HANDLE) {
        return;
    }
    if (SwapchainData* data = swapchains().remove(reinterpret_cast<const void*>(swapchain))) {
        destroy_layer_swapchain(alloc, data);
        return;
    }
    device_data(device)->next.DestroySwapchainKHR(device, swapchain, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL GetSwapchainImagesKHR(VkDevice device, VkSwapchainKHR swapchain,
                                                     uint32_t* count, VkImage* images) {
    if (SwapchainData* data = swapchain_data(swapchain)) {
        return data->chain->get_images(count, images);
    }
    return device_data(device)->next.GetSwapchainImagesKHR(device, swapchain, count, images);
}

VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImageKHR(VkDevice device, VkSwapchainKHR swapchain,
                                                   uint64_t timeout, VkSemaphore semaphore,
                                                   VkFence fence, uint32_t* index) {
    if (SwapchainData* data = swapchain_data(swapchain)) {
        return data->chain->acquire(timeout, semaphore, fence, index);
    }
    return device_data(device)->next.AcquireNextImageKHR(device, swapchain, timeout, semaphore,
                                                         fence, index);
}

VKAPI_ATTR VkResult VKAPI_CALL AcquireNextImage2KHR(VkDevice device,
                                                    const VkAcquireNextImageInfoKHR* info,
                                                    uint32_t* index) {
    if (SwapchainData* data = swapchain_data(info->swapchain)) {
        return data->chain->acquire(info->timeout, info->semaphore, info->fence, index);
    }
    return device_data(device)->next.AcquireNextImage2KHR(device, info, index);
}

VKAPI_ATTR VkResult VKAPI_CALL GetSwapchainStatusKHR(VkDevice device, VkSwapchainKHR swapchain) {
    if (SwapchainData* data = swapchain_data(swapchain)) {
        return data->chain->status();
    }
    return device_data(device)->next.GetSwapchainStatusKHR(device, swapchain);
}

// VkImageSwapchainCreateInfoKHR: an image that aliases the swapchain's images. For a layer
// swapchain the layer makes it as it made the images (their tiling and layout, not the app's
// VK_IMAGE_TILING_OPTIMAL), and the driver never sees the layer's handle.
VKAPI_ATTR VkResult VKAPI_CALL CreateImage(VkDevice device, const VkImageCreateInfo* info,
                                           const VkAllocationCallbacks* alloc, VkImage* image) {
    const auto* of_swapchain = dispatch::find_struct<VkImageSwapchainCreateInfoKHR>(
        info->pNext, VK_STRUCTURE_TYPE_IMAGE_SWAPCHAIN_CREATE_INFO_KHR);
    if (of_swapchain != nullptr) {
        if (const SwapchainData* data = swapchain_data(of_swapchain->swapchain)) {
            return data->chain->create_alias_image(alloc, image);
        }
    }
    return device_data(device)->next.CreateImage(device, info, alloc, image);
}

bool SwapchainBinds::rewrite_one(const VkBindImageMemoryInfo& in, Rewritten* out) {
    out->info = in;
    out->info.pNext = nullptr;
    const void** link = &out->info.pNext;
    for (const auto* s = static_cast<const VkBaseInStructure*>(in.pNext); s != nullptr;
         s = s->pNext) {
        switch (s->sType) {
            case VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_SWAPCHAIN_INFO_KHR: {
                const auto* bind = reinterpret_cast<const VkBindImageMemorySwapchainInfoKHR*>(s);
                out->info.memory =
                    swapchain_data(bind->swapchain)->chain->image_memory(bind->imageIndex);
                out->info.memoryOffset = 0;
                continue;
            }
            case VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_DEVICE_GROUP_INFO:
                out->device_group = *reinterpret_cast<const VkBindImageMemoryDeviceGroupInfo*>(s);
                out->device_group.pNext = nullptr;
                *link = &out->device_group;
                link = &out->device_group.pNext;
                continue;
            case VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO:
                out->plane = *reinterpret_cast<const VkBindImagePlaneMemoryInfo*>(s);
                out->plane.pNext = nullptr;
                *link = &out->plane;
                link = &out->plane.pNext;
                continue;
            default:
                SB_LOG_ONCE(error,
                            "vkBindImageMemory2: structure type %d beside a syncbridge swapchain's "
                            "VkBindImageMemorySwapchainInfoKHR is not known to the layer",
                            s->sType);
                return false;
        }
    }
    return true;
}

VkResult SwapchainBinds::rewrite(uint32_t count, const VkBindImageMemoryInfo* infos) {
    binds_ = infos;
    auto names_layer_swapchain = [](const VkBindImageMemoryInfo& info) {
        const auto* bind = dispatch::find_struct<VkBindImageMemorySwapchainInfoKHR>(
            info.pNext, VK_STRUCTURE_TYPE_BIND_IMAGE_MEMORY_SWAPCHAIN_INFO_KHR);
        return bind != nullptr && swapchain_data(bind->swapchain) != nullptr;
    };
    if (std::none_of(infos, infos + count, names_layer_swapchain)) {
        return VK_SUCCESS;  // the usual case: nothing copied
    }
    try {
        rewritten_.resize(count);
        copies_.resize(count);
    } catch (const std::bad_alloc&) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (uint32_t i = 0; i < count; ++i) {
        if (!names_layer_swapchain(infos[i])) {
            copies_[i] = infos[i];
            continue;
        }
        if (!rewrite_one(infos[i], &rewritten_[i])) {
            return VK_ERROR_UNKNOWN;
        }
        copies_[i] = rewritten_[i].info;
    }
    binds_ = copies_.data();
    return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL QueuePresentKHR(VkQueue queue, const VkPresentInfoKHR* info) {
    DeviceData* dev = device_data(queue);
    // Nearly every present names one swapchain: no heap allocation for it.
    util::ScratchArray<SwapchainData*, 4> ours(info->swapchainCount);
    uint32_t layer_count = 0;
    for (uint32_t i = 0; i < info->swapchainCount; ++i) {
        ours[i] = swapchain_data(info->pSwapchains[i]);
        layer_count += ours[i] != nullptr ? 1 : 0;
    }
    if (layer_count == 0) {
        std::unique_lock<std::mutex> queue_lock;
        if (queue == dev->internal_queue) {
            queue_lock = std::unique_lock(dev->internal_queue_mutex);
        }
        return dev->next.QueuePresentKHR(queue, info);
    }
    if (layer_count != info->swapchainCount) {
        // The app's wait semaphores can be waited on once: they cannot feed both the layer's
        // transfer and the driver's present. No app has been seen to mix them.
        SB_LOG_ONCE(error,
                    "vkQueuePresentKHR: one call presents to both syncbridge's and the "
                    "driver's swapchains; syncbridge cannot split it");
        return VK_ERROR_OUT_OF_DATE_KHR;
    }
    // One render-done fence for all of them, made by the first swapchain (its carrier, and
    // presents to it are externally synchronised with this call).
    wsi::RenderDone done;
    VkResult overall = VK_SUCCESS;
    {
        // The layer's own submit to the app's queue: serialised with the layer's other use of
        // it (queue_api.cpp).
        std::unique_lock<std::mutex> queue_lock;
        if (queue == dev->internal_queue) {
            queue_lock = std::unique_lock(dev->internal_queue_mutex);
        }
        overall = ours[0]->chain->prepare_render_done(queue, info->pWaitSemaphores,
                                                      info->waitSemaphoreCount, &done);
    }
    if (overall != VK_SUCCESS) {
        return overall;
    }
    for (uint32_t i = 0; i < info->swapchainCount; ++i) {
        const VkResult r = ours[i]->chain->present(info->pImageIndices[i], done);
        if (info->pResults != nullptr) {
            info->pResults[i] = r;
        }
        overall = combine(overall, r);
    }
    return overall;
}

}  // namespace sb::api
