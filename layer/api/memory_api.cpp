// Which memory is a dma-buf, and which buffers and images are bound to it
// (submit/external_memory.hpp): the resources whose foreign transfers the layer bridges. Only
// devices with DeviceData::transfers get these intercepts; they forward for every other device.

#include "api/entry_points.hpp"
#include "api/state.hpp"
#include "api/wsi_state.hpp"
#include "dispatch/chain.hpp"
#include "submit/device_transfers.hpp"
#include "util/log.hpp"

namespace sb::api {
namespace {

constexpr auto kDmaBuf = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;

// An import's fd belongs to the driver once the import succeeds (it may even close it): the
// layer keeps a duplicate of its own, taken before.
kernel::UniqueFd duplicate_imported_fd(const VkMemoryAllocateInfo& info) {
    const auto* importing = dispatch::find_struct<VkImportMemoryFdInfoKHR>(
        info.pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
    if (importing == nullptr || importing->handleType != kDmaBuf || importing->fd < 0) {
        return {};
    }
    auto copy = kernel::UniqueFd::duplicate(importing->fd);
    if (!copy) {
        SB_LOG_ONCE(error, "vkAllocateMemory: %s; foreign transfers of this memory are not bridged",
                    copy.error().describe().c_str());
        return {};
    }
    return std::move(copy).value();
}

// An exportable allocation's dma-buf, exported once for the layer.
kernel::UniqueFd export_dma_buf(const DeviceData& dev, const VkMemoryAllocateInfo& info,
                                VkDeviceMemory memory) {
    const auto* exporting = dispatch::find_struct<VkExportMemoryAllocateInfo>(
        info.pNext, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO);
    if (exporting == nullptr || (exporting->handleTypes & kDmaBuf) == 0 ||
        dev.next.GetMemoryFdKHR == nullptr) {
        return {};
    }
    VkMemoryGetFdInfoKHR get{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
    get.memory = memory;
    get.handleType = kDmaBuf;
    int fd = -1;
    if (VkResult r = dev.next.GetMemoryFdKHR(dev.handle, &get, &fd); r != VK_SUCCESS) {
        SB_LOG_ONCE(error,
                    "vkGetMemoryFdKHR(DMA_BUF) failed (%d); foreign transfers of this memory are "
                    "not bridged",
                    r);
        return {};
    }
    // The driver's fd may lack O_CLOEXEC: the layer's copy has it, and the original goes.
    kernel::UniqueFd exported(fd);
    auto copy = kernel::UniqueFd::duplicate(exported.get());
    return copy ? std::move(copy).value() : kernel::UniqueFd{};
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL AllocateMemory(VkDevice device, const VkMemoryAllocateInfo* info,
                                              const VkAllocationCallbacks* alloc,
                                              VkDeviceMemory* memory) {
    DeviceData* dev = device_data(device);
    if (!dev->transfers) {
        return dev->next.AllocateMemory(device, info, alloc, memory);
    }
    kernel::UniqueFd fd = duplicate_imported_fd(*info);
    const VkResult r = dev->next.AllocateMemory(device, info, alloc, memory);
    if (r != VK_SUCCESS) {
        return r;
    }
    if (!fd.valid()) {
        fd = export_dma_buf(*dev, *info, *memory);
    }
    if (fd.valid()) {
        dev->transfers->memory.add_memory(*memory, kernel::DmaBuf(std::move(fd)));
    }
    return r;
}

VKAPI_ATTR void VKAPI_CALL FreeMemory(VkDevice device, VkDeviceMemory memory,
                                      const VkAllocationCallbacks* alloc) {
    DeviceData* dev = device_data(device);
    if (dev->transfers && memory != VK_NULL_HANDLE) {
        dev->transfers->memory.remove_memory(memory);
    }
    dev->next.FreeMemory(device, memory, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL BindBufferMemory(VkDevice device, VkBuffer buffer,
                                                VkDeviceMemory memory, VkDeviceSize offset) {
    DeviceData* dev = device_data(device);
    const VkResult r = dev->next.BindBufferMemory(device, buffer, memory, offset);
    if (r == VK_SUCCESS && dev->transfers) {
        dev->transfers->memory.bind_buffer(buffer, memory);
    }
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL BindBufferMemory2(VkDevice device, uint32_t count,
                                                 const VkBindBufferMemoryInfo* infos) {
    DeviceData* dev = device_data(device);
    // The core and KHR names share a signature; the driver's table has whichever it exposes.
    auto next = dev->next.BindBufferMemory2 != nullptr ? dev->next.BindBufferMemory2
                                                       : dev->next.BindBufferMemory2KHR;
    const VkResult r = next(device, count, infos);
    if (r == VK_SUCCESS && dev->transfers) {
        for (uint32_t i = 0; i < count; ++i) {
            dev->transfers->memory.bind_buffer(infos[i].buffer, infos[i].memory);
        }
    }
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL BindImageMemory(VkDevice device, VkImage image,
                                               VkDeviceMemory memory, VkDeviceSize offset) {
    DeviceData* dev = device_data(device);
    const VkResult r = dev->next.BindImageMemory(device, image, memory, offset);
    if (r == VK_SUCCESS && dev->transfers) {
        dev->transfers->memory.bind_image(image, memory);
    }
    return r;
}

// Every device: a bind may name a layer swapchain's image (VkBindImageMemorySwapchainInfoKHR),
// whose memory the driver gets instead (wsi_state.hpp).
VKAPI_ATTR VkResult VKAPI_CALL BindImageMemory2(VkDevice device, uint32_t count,
                                                const VkBindImageMemoryInfo* infos) {
    DeviceData* dev = device_data(device);
    auto next = dev->next.BindImageMemory2 != nullptr ? dev->next.BindImageMemory2
                                                      : dev->next.BindImageMemory2KHR;
    SwapchainBinds binds;
    if (VkResult r = binds.rewrite(count, infos); r != VK_SUCCESS) {
        return r;
    }
    const VkResult r = next(device, count, binds.binds());
    if (r == VK_SUCCESS && dev->transfers) {
        for (uint32_t i = 0; i < count; ++i) {
            // A driver swapchain's image bound through VkBindImageMemorySwapchainInfoKHR has no
            // memory here: it is forgotten, and its transfers are the swapchain's business.
            dev->transfers->memory.bind_image(binds.binds()[i].image, binds.binds()[i].memory);
        }
    }
    return r;
}

VKAPI_ATTR void VKAPI_CALL DestroyBuffer(VkDevice device, VkBuffer buffer,
                                         const VkAllocationCallbacks* alloc) {
    DeviceData* dev = device_data(device);
    if (dev->transfers && buffer != VK_NULL_HANDLE) {
        dev->transfers->memory.forget_buffer(buffer);
    }
    dev->next.DestroyBuffer(device, buffer, alloc);
}

VKAPI_ATTR void VKAPI_CALL DestroyImage(VkDevice device, VkImage image,
                                        const VkAllocationCallbacks* alloc) {
    DeviceData* dev = device_data(device);
    if (dev->transfers && image != VK_NULL_HANDLE) {
        dev->transfers->memory.forget_image(image);
    }
    dev->next.DestroyImage(device, image, alloc);
}

}  // namespace sb::api
