// VK_KHR_surface for devices the layer bridges, whatever the window system: the answers come
// from the surface's window system (wsi::Surface: its size, present modes, and the formats and
// modifiers its consumer takes) and from what the driver can render into a LINEAR dma-buf.
// Everything else goes to the driver untouched. Each window system's vkCreate*SurfaceKHR lives
// in its own file (wayland_api.cpp, x11_api.cpp) and hands its surface to adopt_surface().
#include <algorithm>
#include <cstring>
#include <new>
#include <span>
#include <vector>

#include "api/entry_points.hpp"
#include "api/wsi_state.hpp"
#include "util/abi_guard.hpp"
#include "util/log.hpp"
#include "wsi/formats.hpp"

namespace sb::api {
namespace {

constexpr uint32_t kMinImageCount = 2;
constexpr uint32_t kMaxImageCount = 8;

bool is_bridging(InstanceData& inst, VkPhysicalDevice pd) {
    return inst.physical_device_info(pd).choice.strategy != bridge::Strategy::passthrough;
}

// Image usages the driver supports for a LINEAR image of `format`: what the swapchain images
// can be created with.
VkImageUsageFlags linear_usages(const InstanceData& inst, VkPhysicalDevice pd, VkFormat format) {
    VkFormatProperties props{};
    inst.next.GetPhysicalDeviceFormatProperties(pd, format, &props);
    const VkFormatFeatureFlags features = props.linearTilingFeatures;
    VkImageUsageFlags usages = 0;
    if ((features & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) != 0) {
        usages |= VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    }
    if ((features & VK_FORMAT_FEATURE_TRANSFER_SRC_BIT) != 0) {
        usages |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    }
    if ((features & VK_FORMAT_FEATURE_TRANSFER_DST_BIT) != 0) {
        usages |= VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    }
    if ((features & VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT) != 0) {
        usages |= VK_IMAGE_USAGE_SAMPLED_BIT;
    }
    if ((features & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) != 0) {
        usages |= VK_IMAGE_USAGE_STORAGE_BIT;
    }
    return usages;
}

// The consumer's formats that the driver can also render to.
std::vector<VkFormat> surface_formats(const InstanceData& inst, VkPhysicalDevice pd,
                                      const std::vector<wsi::FormatModifier>& consumer) {
    std::vector<VkFormat> formats = wsi::presentable_formats(consumer);
    std::erase_if(formats, [&](VkFormat format) {
        return (linear_usages(inst, pd, format) & VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT) == 0;
    });
    return formats;
}

void fill_capabilities(const InstanceData& inst, VkPhysicalDevice pd, wsi::Surface& surface,
                       bool alpha_formats, VkSurfaceCapabilitiesKHR* caps) {
    VkPhysicalDeviceProperties props{};
    inst.next.GetPhysicalDeviceProperties(pd, &props);
    *caps = {};
    caps->minImageCount = kMinImageCount;
    caps->maxImageCount = kMaxImageCount;
    // The window's size where the window system has one (X11), else "the swapchain decides"
    // (Wayland).
    if (!surface.current_extent(&caps->currentExtent)) {
        caps->currentExtent = {UINT32_MAX, UINT32_MAX};
    }
    caps->minImageExtent = {1, 1};
    caps->maxImageExtent = {props.limits.maxImageDimension2D, props.limits.maxImageDimension2D};
    caps->maxImageArrayLayers = 1;
    caps->supportedTransforms = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
    caps->currentTransform = VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR;
    caps->supportedCompositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    if (alpha_formats) {
        caps->supportedCompositeAlpha |= VK_COMPOSITE_ALPHA_PRE_MULTIPLIED_BIT_KHR;
    }
    caps->supportedUsageFlags = linear_usages(inst, pd, VK_FORMAT_B8G8R8A8_UNORM);
}

bool has_alpha_format(const std::vector<wsi::FormatModifier>& consumer) {
    return std::any_of(consumer.begin(), consumer.end(), [](const wsi::FormatModifier& offer) {
        return offer.drm_format == wsi::drm_format_for(VK_FORMAT_B8G8R8A8_UNORM, true) ||
               offer.drm_format == wsi::drm_format_for(VK_FORMAT_R8G8B8A8_UNORM, true);
    });
}

// The two-call idiom: count, then as many as fit with VK_INCOMPLETE for the rest.
template <typename Out, typename In, typename Convert>
VkResult enumerate(std::span<const In> items, uint32_t* count, Out* out, Convert convert) {
    const auto total = static_cast<uint32_t>(items.size());
    if (out == nullptr) {
        *count = total;
        return VK_SUCCESS;
    }
    const uint32_t n = std::min(*count, total);
    for (uint32_t i = 0; i < n; ++i) {
        convert(items[i], &out[i]);
    }
    *count = n;
    return n < total ? VK_INCOMPLETE : VK_SUCCESS;
}

enum class Formats { needed, not_needed };

// One surface query: `layer(window system, consumer formats)` where the layer presents, the
// driver's own answer (`driver()`) where it does not, VK_ERROR_SURFACE_LOST_KHR where the
// consumer is gone. Asking for the formats costs roundtrips; queries that do not need them use
// the cached route.
template <typename Layer, typename Driver>
VkResult routed(InstanceData& inst, VkPhysicalDevice pd, VkSurfaceKHR surface, Formats formats,
                Layer layer, Driver driver) {
    std::vector<wsi::FormatModifier> consumer;
    switch (route_for(inst, pd, surface, formats == Formats::needed ? &consumer : nullptr)) {
        case Route::layer:
            return layer(*surface_data(surface)->window_system, consumer);
        case Route::lost:
            return VK_ERROR_SURFACE_LOST_KHR;
        case Route::driver:
            break;
    }
    return driver();
}

}  // namespace

dispatch::ObjectMap<SurfaceData>& surfaces() {
    static dispatch::ObjectMap<SurfaceData> map;
    return map;
}

Route route_for(InstanceData& inst, VkPhysicalDevice pd, VkSurfaceKHR surface,
                std::vector<wsi::FormatModifier>* formats) {
    SurfaceData* data = surface_data(surface);
    if (data == nullptr || !is_bridging(inst, pd)) {
        return Route::driver;
    }
    const auto known = data->consumer.load();
    if (known == SurfaceData::Consumer::other) {
        return Route::driver;
    }
    if (known == SurfaceData::Consumer::dma_buf && formats == nullptr) {
        return Route::layer;
    }
    std::vector<wsi::FormatModifier> offered;
    if (data->window_system->query_formats(&offered) != VK_SUCCESS) {
        return Route::lost;
    }
    if (offered.empty()) {
        SB_LOG_ONCE(warn,
                    "the compositor takes no dma-bufs: the driver presents on its own, "
                    "without syncbridge's fences");
        data->consumer = SurfaceData::Consumer::other;
        return Route::driver;
    }
    data->consumer = SurfaceData::Consumer::dma_buf;
    if (formats != nullptr) {
        *formats = std::move(offered);
    }
    return Route::layer;
}

VkResult adopt_surface(InstanceData& inst, VkInstance instance,
                       std::unique_ptr<wsi::Surface> window_system,
                       const VkAllocationCallbacks* alloc, VkSurfaceKHR* surface) {
    auto* data = window_system
                     ? util::host_new<SurfaceData>(alloc, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT)
                     : nullptr;
    if (data == nullptr) {
        inst.next.DestroySurfaceKHR(instance, *surface, alloc);
        *surface = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    const VkSurfaceKHR made = *surface;
    // Freed, with the driver's surface, if an exception passes (the guard reports it).
    const util::UndoOnUnwind undo([&inst, instance, made, alloc, data] {
        util::host_delete(alloc, data);
        inst.next.DestroySurfaceKHR(instance, made, alloc);
    });
    data->window_system = std::move(window_system);
    data->handle = made;
    surfaces().insert(reinterpret_cast<const void*>(made), data);
    return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL DestroySurfaceKHR(VkInstance instance, VkSurfaceKHR surface,
                                             const VkAllocationCallbacks* alloc) {
    if (surface == VK_NULL_HANDLE) {
        return;
    }
    util::host_delete(alloc, surfaces().remove(reinterpret_cast<const void*>(surface)));
    instance_data(instance)->next.DestroySurfaceKHR(instance, surface, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceSupportKHR(VkPhysicalDevice pd,
                                                                  uint32_t family,
                                                                  VkSurfaceKHR surface,
                                                                  VkBool32* supported) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, surface, Formats::not_needed,
        [&](wsi::Surface& /*window_system*/, const auto& /*consumer*/) {
            *supported = VK_TRUE;
            return VK_SUCCESS;
        },
        [&] {
            return inst->next.GetPhysicalDeviceSurfaceSupportKHR(pd, family, surface, supported);
        });
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilitiesKHR(
    VkPhysicalDevice pd, VkSurfaceKHR surface, VkSurfaceCapabilitiesKHR* caps) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, surface, Formats::needed,
        [&](wsi::Surface& window_system, const auto& consumer) {
            fill_capabilities(*inst, pd, window_system, has_alpha_format(consumer), caps);
            return VK_SUCCESS;
        },
        [&] { return inst->next.GetPhysicalDeviceSurfaceCapabilitiesKHR(pd, surface, caps); });
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilities2KHR(
    VkPhysicalDevice pd, const VkPhysicalDeviceSurfaceInfo2KHR* info,
    VkSurfaceCapabilities2KHR* caps) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, info->surface, Formats::needed,
        [&](wsi::Surface& window_system, const auto& consumer) {
            fill_capabilities(*inst, pd, window_system, has_alpha_format(consumer),
                              &caps->surfaceCapabilities);
            for (auto* ext = static_cast<VkBaseOutStructure*>(caps->pNext); ext != nullptr;
                 ext = ext->pNext) {
                if (ext->sType == VK_STRUCTURE_TYPE_SURFACE_PROTECTED_CAPABILITIES_KHR) {
                    reinterpret_cast<VkSurfaceProtectedCapabilitiesKHR*>(ext)->supportsProtected =
                        VK_FALSE;
                }
            }
            return VK_SUCCESS;
        },
        [&] { return inst->next.GetPhysicalDeviceSurfaceCapabilities2KHR(pd, info, caps); });
}

// VK_EXT_display_surface_counter: the KHR capabilities, and no counters (the layer's surfaces
// offer no vblank counter). The CTS's query_surface_counters checks that both queries agree.
VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceCapabilities2EXT(
    VkPhysicalDevice pd, VkSurfaceKHR surface, VkSurfaceCapabilities2EXT* caps) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, surface, Formats::needed,
        [&](wsi::Surface& window_system, const auto& consumer) {
            VkSurfaceCapabilitiesKHR khr{};
            fill_capabilities(*inst, pd, window_system, has_alpha_format(consumer), &khr);
            caps->minImageCount = khr.minImageCount;
            caps->maxImageCount = khr.maxImageCount;
            caps->currentExtent = khr.currentExtent;
            caps->minImageExtent = khr.minImageExtent;
            caps->maxImageExtent = khr.maxImageExtent;
            caps->maxImageArrayLayers = khr.maxImageArrayLayers;
            caps->supportedTransforms = khr.supportedTransforms;
            caps->currentTransform = khr.currentTransform;
            caps->supportedCompositeAlpha = khr.supportedCompositeAlpha;
            caps->supportedUsageFlags = khr.supportedUsageFlags;
            caps->supportedSurfaceCounters = 0;
            return VK_SUCCESS;
        },
        [&] { return inst->next.GetPhysicalDeviceSurfaceCapabilities2EXT(pd, surface, caps); });
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceFormatsKHR(VkPhysicalDevice pd,
                                                                  VkSurfaceKHR surface,
                                                                  uint32_t* count,
                                                                  VkSurfaceFormatKHR* formats) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, surface, Formats::needed,
        [&](wsi::Surface& /*window_system*/, const auto& consumer) {
            const std::vector<VkFormat> offered = surface_formats(*inst, pd, consumer);
            return enumerate(std::span<const VkFormat>(offered), count, formats,
                             [](VkFormat format, VkSurfaceFormatKHR* out) {
                                 *out = {format, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
                             });
        },
        [&] { return inst->next.GetPhysicalDeviceSurfaceFormatsKHR(pd, surface, count, formats); });
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfaceFormats2KHR(
    VkPhysicalDevice pd, const VkPhysicalDeviceSurfaceInfo2KHR* info, uint32_t* count,
    VkSurfaceFormat2KHR* formats) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, info->surface, Formats::needed,
        [&](wsi::Surface& /*window_system*/, const auto& consumer) {
            const std::vector<VkFormat> offered = surface_formats(*inst, pd, consumer);
            return enumerate(std::span<const VkFormat>(offered), count, formats,
                             [](VkFormat format, VkSurfaceFormat2KHR* out) {
                                 out->surfaceFormat = {format, VK_COLOR_SPACE_SRGB_NONLINEAR_KHR};
                             });
        },
        [&] { return inst->next.GetPhysicalDeviceSurfaceFormats2KHR(pd, info, count, formats); });
}

VKAPI_ATTR VkResult VKAPI_CALL GetPhysicalDeviceSurfacePresentModesKHR(VkPhysicalDevice pd,
                                                                       VkSurfaceKHR surface,
                                                                       uint32_t* count,
                                                                       VkPresentModeKHR* modes) {
    InstanceData* inst = instance_data(pd);
    return routed(
        *inst, pd, surface, Formats::not_needed,
        [&](wsi::Surface& window_system, const auto& /*consumer*/) {
            const auto offered = window_system.present_modes();
            return enumerate(offered, count, modes,
                             [](VkPresentModeKHR mode, VkPresentModeKHR* out) { *out = mode; });
        },
        [&] {
            return inst->next.GetPhysicalDeviceSurfacePresentModesKHR(pd, surface, count, modes);
        });
}

bool supports_present_mode(const wsi::Surface& surface, VkPresentModeKHR mode) {
    const auto offered = surface.present_modes();
    return std::find(offered.begin(), offered.end(), mode) != offered.end();
}

}  // namespace sb::api
