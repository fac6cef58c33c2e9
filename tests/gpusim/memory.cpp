// dma-buf memory over lavapipe: allocation (export), import, fd export, free; and buffers that
// will live in such memory.
#include "gpusim/memory.hpp"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <cstdint>

#include "dispatch/chain.hpp"
#include "gpusim/alloc.hpp"
#include "gpusim/chain.hpp"
#include "gpusim/entry_points.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/log.hpp"
#include "gpusim/state.hpp"
#include "kernel/dma_buf_allocator.hpp"

namespace sb::gpusim {
namespace {

constexpr auto kDmaBuf = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
constexpr auto kHostAllocation = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;

bool is_dma_buf(int fd) {
    struct statfs fs {};
    return ::fstatfs(fd, &fs) == 0 && fs.f_type == DMA_BUF_MAGIC;
}

VkResult fd_error(const kernel::Error& error) {
    return error.errnum == EMFILE || error.errnum == ENFILE ? VK_ERROR_TOO_MANY_OBJECTS
                                                            : VK_ERROR_OUT_OF_HOST_MEMORY;
}

// A new buffer of `size` bytes (a multiple of the page size), as a dma-buf: vgem's, or the
// GPUSIM_MEMORY_DEVICE's.
kernel::Result<kernel::DmaBuf> new_device_buffer(Device& dev, VkDeviceSize size) {
    if (!dev.config.memory_device.empty()) {
        return kernel::allocate_dumb_buffer(dev.config.memory_device, size);
    }
    test::Vgem& vgem = *dev.vgem;
    // Rows of one page each: vgem's dumb buffers are width x height x bpp.
    constexpr uint32_t kPage = 4096;
    auto bo = vgem.create_dumb(kPage / 4, static_cast<uint32_t>(size / kPage), 32);
    if (!bo) {
        return bo.error();
    }
    auto buf = vgem.export_dma_buf(bo->handle);
    // The dma-buf holds its own reference to the buffer.
    (void)vgem.close_handle(bo->handle);
    return buf;
}

// Maps `buffer` and gives lavapipe the mapping as host memory, with the rest of the app's chain.
VkResult allocate_over(Device& dev, const VkMemoryAllocateInfo& info, VkDeviceSize size,
                       kernel::DmaBuf buffer, const VkAllocationCallbacks* alloc,
                       VkDeviceMemory* memory) {
    auto mapping = buffer.map(size, kernel::Access::read_write);
    if (!mapping) {
        GPUSIM_LOG(error, "vkAllocateMemory: %s", mapping.error().describe().c_str());
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    // lavapipe checks neither (vm-facts): a misaligned import is accepted and crashes later.
    if (reinterpret_cast<uintptr_t>(mapping->data()) % dev.host_pointer_alignment != 0 ||
        size % dev.host_pointer_alignment != 0) {
        GPUSIM_LOG(error, "vkAllocateMemory: mapping not aligned to %llu",
                   static_cast<unsigned long long>(dev.host_pointer_alignment));
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    VkMemoryHostPointerPropertiesEXT host_props{
        VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
    if (dev.next.GetMemoryHostPointerPropertiesEXT(dev.handle, kHostAllocation, mapping->data(),
                                                   &host_props) != VK_SUCCESS ||
        (host_props.memoryTypeBits & (1u << info.memoryTypeIndex)) == 0) {
        GPUSIM_LOG(error, "vkAllocateMemory: lavapipe takes no host memory of type %u",
                   info.memoryTypeIndex);
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }

    ChainCopy chain;
    if (!chain.copy(info.pNext, {VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                 VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR})) {
        GPUSIM_LOG(error, "vkAllocateMemory: unknown structure in pNext");
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    VkImportMemoryHostPointerInfoEXT host{VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
    host.handleType = kHostAllocation;
    host.pHostPointer = mapping->data();
    chain.prepend(&host);
    VkMemoryAllocateInfo modified = info;
    modified.pNext = chain.head();
    modified.allocationSize = size;

    auto record = std::allocate_shared<DmaBufMemory>(HostAllocator<DmaBufMemory>(
        util::SavedAllocator(alloc), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT));
    record->buffer = std::move(buffer);
    record->mapping = std::move(mapping).value();
    const VkResult r = dev.next.AllocateMemory(dev.handle, &modified, alloc, memory);
    if (r != VK_SUCCESS) {
        return r;
    }
    dev.memory.insert(*memory, std::move(record));
    return VK_SUCCESS;
}

VkResult allocate_dma_buf(Device& dev, const VkMemoryAllocateInfo& info,
                          const VkExportMemoryAllocateInfo* exporting,
                          const VkImportMemoryFdInfoKHR* importing,
                          const VkAllocationCallbacks* alloc, VkDeviceMemory* memory) {
    if (!dev.offer.dma_buf || !dev.enabled.dma_buf) {
        GPUSIM_LOG(error, "vkAllocateMemory: dma-buf memory is not enabled on this device");
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    if (exporting != nullptr && !dev.offer.dma_buf_export) {
        GPUSIM_LOG(error,
                   "vkAllocateMemory: dma-buf memory is import-only (GPUSIM_DMA_BUF_EXPORT=0)");
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    if (exporting != nullptr && exporting->handleTypes != kDmaBuf) {
        // Host memory cannot be exported as anything else: DMA_BUF is compatible only with itself.
        GPUSIM_LOG(error, "vkAllocateMemory: export types 0x%x: only DMA_BUF can be exported",
                   exporting->handleTypes);
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    const VkDeviceSize align = dev.host_pointer_alignment;
    const VkDeviceSize size = (info.allocationSize + align - 1) / align * align;
    if (size == 0 || size / 4096 > UINT32_MAX) {
        return VK_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    if (importing == nullptr) {
        auto buffer = new_device_buffer(dev, size);
        if (!buffer) {
            GPUSIM_LOG(error, "vkAllocateMemory: %s", buffer.error().describe().c_str());
            return VK_ERROR_OUT_OF_DEVICE_MEMORY;
        }
        return allocate_over(dev, info, size, std::move(buffer).value(), alloc, memory);
    }

    // Import: the app's fd becomes gpusim's only on success; until then gpusim works on a copy.
    if (importing->fd < 0 || !is_dma_buf(importing->fd)) {
        GPUSIM_LOG(error, "vkAllocateMemory: fd %d is not a dma-buf", importing->fd);
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    auto copy = kernel::UniqueFd::duplicate(importing->fd);
    if (!copy) {
        return fd_error(copy.error());
    }
    kernel::DmaBuf buffer(std::move(copy).value());
    auto actual = buffer.size();
    if (!actual || *actual < size) {
        GPUSIM_LOG(error, "vkAllocateMemory: dma-buf of %zu bytes is smaller than %llu",
                   actual ? *actual : 0, static_cast<unsigned long long>(size));
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    const VkResult r = allocate_over(dev, info, size, std::move(buffer), alloc, memory);
    if (r == VK_SUCCESS) {
        // Vulkan: a successful import owns the fd.
        kernel::UniqueFd consumed(importing->fd);
    }
    return r;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL AllocateMemory(VkDevice device, const VkMemoryAllocateInfo* info,
                                              const VkAllocationCallbacks* alloc,
                                              VkDeviceMemory* memory) noexcept {
    return guarded("vkAllocateMemory", [&]() -> VkResult {
        Device* dev = device_of(device);
        const auto* exporting = dispatch::find_struct<VkExportMemoryAllocateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO);
        const auto* importing = dispatch::find_struct<VkImportMemoryFdInfoKHR>(
            info->pNext, VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR);
        const bool export_dma_buf = exporting != nullptr && (exporting->handleTypes & kDmaBuf);
        const bool import_dma_buf = importing != nullptr && importing->handleType == kDmaBuf;
        if (!export_dma_buf && !import_dma_buf) {
            return dev->next.AllocateMemory(device, info, alloc, memory);
        }
        return allocate_dma_buf(*dev, *info, export_dma_buf ? exporting : nullptr,
                                import_dma_buf ? importing : nullptr, alloc, memory);
    });
}

VKAPI_ATTR void VKAPI_CALL FreeMemory(VkDevice device, VkDeviceMemory memory,
                                      const VkAllocationCallbacks* alloc) noexcept {
    guarded_void("vkFreeMemory", [&] {
        Device* dev = device_of(device);
        // lavapipe lets go of the mapping first; then it is unmapped and the dma-buf closed.
        dev->next.FreeMemory(device, memory, alloc);
        if (memory != VK_NULL_HANDLE) {
            dev->memory.remove(memory);
        }
    });
}

VKAPI_ATTR VkResult VKAPI_CALL GetMemoryFdKHR(VkDevice device, const VkMemoryGetFdInfoKHR* info,
                                              int* fd) noexcept {
    return guarded("vkGetMemoryFdKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        auto record = dev->memory.find(info->memory);
        if (info->handleType != kDmaBuf) {
            // lavapipe holds dma-buf memory as imported host memory: it cannot export that.
            if (record != nullptr || dev->next.GetMemoryFdKHR == nullptr) {
                return VK_ERROR_INVALID_EXTERNAL_HANDLE;
            }
            return dev->next.GetMemoryFdKHR(device, info, fd);
        }
        if (!record) {
            GPUSIM_LOG(error, "vkGetMemoryFdKHR: memory was not allocated exportable as DMA_BUF");
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        auto copy = kernel::UniqueFd::duplicate(record->buffer.fd());
        if (!copy) {
            return fd_error(copy.error());
        }
        *fd = copy->release();
        return VK_SUCCESS;
    });
}

VKAPI_ATTR VkResult VKAPI_CALL GetMemoryFdPropertiesKHR(VkDevice device,
                                                        VkExternalMemoryHandleTypeFlagBits type,
                                                        int fd,
                                                        VkMemoryFdPropertiesKHR* props) noexcept {
    return guarded("vkGetMemoryFdPropertiesKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (type != kDmaBuf) {
            return dev->next.GetMemoryFdPropertiesKHR != nullptr
                       ? dev->next.GetMemoryFdPropertiesKHR(device, type, fd, props)
                       : VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        if (!dev->offer.dma_buf || !is_dma_buf(fd)) {
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        // Any memory type lavapipe takes host memory for; lavapipe takes it for all of them.
        VkPhysicalDeviceMemoryProperties mem{};
        dev->instance->next.GetPhysicalDeviceMemoryProperties(dev->physical_device, &mem);
        props->memoryTypeBits = mem.memoryTypeCount >= 32 ? ~0u : (1u << mem.memoryTypeCount) - 1;
        return VK_SUCCESS;
    });
}

VKAPI_ATTR VkResult VKAPI_CALL CreateBuffer(VkDevice device, const VkBufferCreateInfo* info,
                                            const VkAllocationCallbacks* alloc,
                                            VkBuffer* buffer) noexcept {
    return guarded("vkCreateBuffer", [&]() -> VkResult {
        Device* dev = device_of(device);
        const auto* external = dispatch::find_struct<VkExternalMemoryBufferCreateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
        if (!dev->offer.dma_buf || external == nullptr || !(external->handleTypes & kDmaBuf)) {
            return dev->next.CreateBuffer(device, info, alloc, buffer);
        }
        // lavapipe will see host memory, not a dma-buf: say so.
        ChainCopy chain;
        if (!chain.copy(info->pNext)) {
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        auto* copy = chain.find<VkExternalMemoryBufferCreateInfo>(
            VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
        copy->handleTypes = (copy->handleTypes & ~kDmaBuf) | kHostAllocation;
        VkBufferCreateInfo modified = *info;
        modified.pNext = chain.head();
        return dev->next.CreateBuffer(device, &modified, alloc, buffer);
    });
}

}  // namespace sb::gpusim
