#include "gpusim/extensions.hpp"

#include <cstring>

#include "gpusim/state.hpp"

namespace sb::gpusim {
namespace {

VkExtensionProperties extension(const char* name, uint32_t spec_version) {
    VkExtensionProperties props{};
    std::strncpy(props.extensionName, name, VK_MAX_EXTENSION_NAME_SIZE - 1);
    props.specVersion = spec_version;
    return props;
}

constexpr const char* kImplemented[] = {
    VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,        VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
    VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME,
    VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME,         VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME,
};

}  // namespace

std::vector<VkExtensionProperties> driver_extensions(const Instance& inst, VkPhysicalDevice pd) {
    uint32_t count = 0;
    if (inst.next.EnumerateDeviceExtensionProperties(pd, nullptr, &count, nullptr) != VK_SUCCESS) {
        return {};
    }
    std::vector<VkExtensionProperties> list(count);
    if (inst.next.EnumerateDeviceExtensionProperties(pd, nullptr, &count, list.data()) < 0) {
        return {};
    }
    list.resize(count);
    return list;
}

bool has_extension(const std::vector<VkExtensionProperties>& list, const char* name) {
    for (const auto& ext : list) {
        if (std::strcmp(ext.extensionName, name) == 0) {
            return true;
        }
    }
    return false;
}

Offer device_offer(const Instance& inst, VkPhysicalDevice pd) {
    Offer offer = inst.offer;
    if (offer.dma_buf &&
        !has_extension(driver_extensions(inst, pd), VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
        offer.dma_buf = false;
        offer.drm_device.clear();
    }
    return offer;
}

std::vector<VkExtensionProperties> offered_extensions(const Offer& offer) {
    std::vector<VkExtensionProperties> list;
    if (offer.dma_buf) {
        list.push_back(extension(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
                                 VK_KHR_EXTERNAL_MEMORY_FD_SPEC_VERSION));
        list.push_back(extension(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
                                 VK_EXT_EXTERNAL_MEMORY_DMA_BUF_SPEC_VERSION));
        list.push_back(extension(VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME,
                                 VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_SPEC_VERSION));
    }
    if (offer.sync_fd) {
        list.push_back(extension(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME,
                                 VK_KHR_EXTERNAL_SEMAPHORE_FD_SPEC_VERSION));
        list.push_back(extension(VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME,
                                 VK_KHR_EXTERNAL_FENCE_FD_SPEC_VERSION));
    }
    if (!offer.drm_device.empty()) {
        list.push_back(extension(VK_EXT_PHYSICAL_DEVICE_DRM_EXTENSION_NAME,
                                 VK_EXT_PHYSICAL_DEVICE_DRM_SPEC_VERSION));
    }
    return list;
}

bool implemented_by_gpusim(const char* name) {
    for (const char* ours : kImplemented) {
        if (std::strcmp(ours, name) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace sb::gpusim
