// Semaphores and fences: creation (which kind, see sync.hpp), SYNC_FD export and import.
#include <linux/sync_file.h>
#include <poll.h>

#include <cerrno>

#include "dispatch/chain.hpp"
#include "gpusim/alloc.hpp"
#include "gpusim/chain.hpp"
#include "gpusim/entry_points.hpp"
#include "gpusim/guard.hpp"
#include "gpusim/log.hpp"
#include "gpusim/state.hpp"
#include "kernel/sys.hpp"

namespace sb::gpusim {
namespace {

constexpr auto kSemaphoreSyncFd = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
constexpr auto kFenceSyncFd = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;

VkResult fd_error(const kernel::Error& error) {
    return error.errnum == EMFILE || error.errnum == ENFILE ? VK_ERROR_TOO_MANY_OBJECTS
                                                            : VK_ERROR_OUT_OF_HOST_MEMORY;
}

// The payload for an imported fd: -1 is an already signalled payload (Vulkan allows it for
// SYNC_FD); anything else must be a sync_file, and becomes gpusim's.
VkResult import_payload(int fd, Payload& out) {
    if (fd == -1) {
        out = std::make_shared<const kernel::SyncFile>();
        return VK_SUCCESS;
    }
    sync_file_info info{};
    if (fd < 0 || !kernel::checked_ioctl(fd, SYNC_IOC_FILE_INFO, &info, "SYNC_IOC_FILE_INFO")) {
        GPUSIM_LOG(error, "import: fd %d is not a sync_file", fd);
        return VK_ERROR_INVALID_EXTERNAL_HANDLE;
    }
    out = std::make_shared<const kernel::SyncFile>(kernel::UniqueFd(fd));
    return VK_SUCCESS;
}

// A new fd for `payload`. A signalled stub becomes a real, signalled vgem sync_file when the
// caller wants one (semaphores); fences may export -1 for it.
VkResult export_payload(Device& dev, const kernel::SyncFile& payload, bool allow_minus_one,
                        int* fd) {
    if (!payload.is_stub()) {
        auto copy = kernel::UniqueFd::duplicate(payload.fd());
        if (!copy) {
            return fd_error(copy.error());
        }
        *fd = copy->release();
        return VK_SUCCESS;
    }
    if (allow_minus_one) {
        *fd = -1;
        return VK_SUCCESS;
    }
    auto fence = dev.vgem->pending_sync_file();
    if (!fence || !dev.vgem->signal(fence->fence_id)) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    *fd = fence->file.take_fd().release();
    return VK_SUCCESS;
}

template <typename State>
std::shared_ptr<State> new_state(const VkAllocationCallbacks* alloc) {
    return std::allocate_shared<State>(
        HostAllocator<State>(util::SavedAllocator(alloc), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT));
}

// The payload an export hands out: a temporary import first, else the emulated permanent one;
// nullptr for an object whose permanent payload lavapipe holds (not exportable as SYNC_FD).
template <typename State>
Payload* exportable_payload(State* state) {
    if (state == nullptr) {
        return nullptr;
    }
    if (state->temporary) {
        return &state->temporary;
    }
    return state->emulated ? &state->payload : nullptr;
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL CreateSemaphore(VkDevice device, const VkSemaphoreCreateInfo* info,
                                               const VkAllocationCallbacks* alloc,
                                               VkSemaphore* semaphore) noexcept {
    return guarded("vkCreateSemaphore", [&]() -> VkResult {
        Device* dev = device_of(device);
        const auto* exporting = dispatch::find_struct<VkExportSemaphoreCreateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO);
        const auto* type = dispatch::find_struct<VkSemaphoreTypeCreateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO);
        auto state = new_state<SemaphoreState>(alloc);
        state->timeline = type != nullptr && type->semaphoreType == VK_SEMAPHORE_TYPE_TIMELINE;
        state->emulated = exporting != nullptr && (exporting->handleTypes & kSemaphoreSyncFd) &&
                          dev->offer.sync_fd && dev->enabled.semaphore_fd;
        if (state->emulated && state->timeline) {
            GPUSIM_LOG(error, "vkCreateSemaphore: SYNC_FD is for binary semaphores only");
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        VkSemaphoreCreateInfo modified = *info;
        ChainCopy chain;
        if (state->emulated) {
            // lavapipe cannot export SYNC_FD; the payload is gpusim's.
            if (!chain.copy(info->pNext)) {
                return VK_ERROR_OUT_OF_HOST_MEMORY;
            }
            chain.find<VkExportSemaphoreCreateInfo>(VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO)
                ->handleTypes &= ~kSemaphoreSyncFd;
            modified.pNext = chain.head();
        }
        const VkResult r = dev->next.CreateSemaphore(device, &modified, alloc, semaphore);
        if (r != VK_SUCCESS) {
            return r;
        }
        std::lock_guard lock(dev->sync.mutex);
        dev->sync.semaphores[*semaphore] = std::move(state);
        return VK_SUCCESS;
    });
}

VKAPI_ATTR void VKAPI_CALL DestroySemaphore(VkDevice device, VkSemaphore semaphore,
                                            const VkAllocationCallbacks* alloc) noexcept {
    Device* dev = device_of(device);
    {
        std::lock_guard lock(dev->sync.mutex);
        dev->sync.semaphores.erase(semaphore);
    }
    dev->next.DestroySemaphore(device, semaphore, alloc);
}

VKAPI_ATTR VkResult VKAPI_CALL CreateFence(VkDevice device, const VkFenceCreateInfo* info,
                                           const VkAllocationCallbacks* alloc,
                                           VkFence* fence) noexcept {
    return guarded("vkCreateFence", [&]() -> VkResult {
        Device* dev = device_of(device);
        const auto* exporting = dispatch::find_struct<VkExportFenceCreateInfo>(
            info->pNext, VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO);
        auto state = new_state<FenceState>(alloc);
        state->emulated = exporting != nullptr && (exporting->handleTypes & kFenceSyncFd) &&
                          dev->offer.sync_fd && dev->enabled.fence_fd;
        VkFenceCreateInfo modified = *info;
        ChainCopy chain;
        if (state->emulated) {
            if (!chain.copy(info->pNext)) {
                return VK_ERROR_OUT_OF_HOST_MEMORY;
            }
            chain.find<VkExportFenceCreateInfo>(VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO)
                ->handleTypes &= ~kFenceSyncFd;
            modified.pNext = chain.head();
            if (info->flags & VK_FENCE_CREATE_SIGNALED_BIT) {
                state->payload = std::make_shared<const kernel::SyncFile>();
            }
        }
        const VkResult r = dev->next.CreateFence(device, &modified, alloc, fence);
        if (r != VK_SUCCESS) {
            return r;
        }
        std::lock_guard lock(dev->sync.mutex);
        dev->sync.fences[*fence] = std::move(state);
        return VK_SUCCESS;
    });
}

VKAPI_ATTR void VKAPI_CALL DestroyFence(VkDevice device, VkFence fence,
                                        const VkAllocationCallbacks* alloc) noexcept {
    Device* dev = device_of(device);
    {
        std::lock_guard lock(dev->sync.mutex);
        dev->sync.fences.erase(fence);
    }
    dev->next.DestroyFence(device, fence, alloc);
}

namespace {

// GPUSIM_BLOCKING_EXPORT: a driver whose export waits for the work (lavapipe 25). Waits without
// the sync lock, which the queue thread needs to finish the work.
void wait_like_a_blocking_exporter(const Device& dev, VkResult result, int fd) {
    if (result != VK_SUCCESS || fd < 0 || !dev.config.blocking_export) {
        return;
    }
    constexpr int kLongestMs = 20'000;  // beyond any test's frame; vgem's own limit is 10 s
    pollfd pfd{fd, POLLIN, 0};
    while (poll(&pfd, 1, kLongestMs) < 0 && errno == EINTR) {
    }
}

}  // namespace

VKAPI_ATTR VkResult VKAPI_CALL GetSemaphoreFdKHR(VkDevice device,
                                                 const VkSemaphoreGetFdInfoKHR* info,
                                                 int* fd) noexcept {
    const VkResult result = guarded("vkGetSemaphoreFdKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (info->handleType != kSemaphoreSyncFd) {
            return dev->next.GetSemaphoreFdKHR != nullptr
                       ? dev->next.GetSemaphoreFdKHR(device, info, fd)
                       : VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        if (!dev->offer.sync_fd) {
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        std::lock_guard lock(dev->sync.mutex);
        auto state = dev->sync.semaphore(info->semaphore);
        Payload* payload = exportable_payload(state.get());
        if (payload == nullptr || *payload == nullptr) {
            GPUSIM_LOG(error, "vkGetSemaphoreFdKHR: the semaphore %s",
                       payload == nullptr ? "is not exportable as SYNC_FD"
                                          : "is neither signalled nor has a signal pending");
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        const VkResult r = export_payload(*dev, **payload, /*allow_minus_one=*/false, fd);
        if (r == VK_SUCCESS) {
            // Copy transference: exporting is a wait; the semaphore is unsignalled again (and a
            // temporary payload gives way to the permanent one).
            payload->reset();
        }
        return r;
    });
    if (result == VK_SUCCESS) {
        wait_like_a_blocking_exporter(*device_of(device), result, *fd);
    }
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL
ImportSemaphoreFdKHR(VkDevice device, const VkImportSemaphoreFdInfoKHR* info) noexcept {
    return guarded("vkImportSemaphoreFdKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (info->handleType != kSemaphoreSyncFd) {
            return dev->next.ImportSemaphoreFdKHR != nullptr
                       ? dev->next.ImportSemaphoreFdKHR(device, info)
                       : VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        if (!dev->offer.sync_fd || (info->flags & VK_SEMAPHORE_IMPORT_TEMPORARY_BIT) == 0) {
            // SYNC_FD has copy transference: only temporary imports exist.
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        std::lock_guard lock(dev->sync.mutex);
        auto state = dev->sync.semaphore(info->semaphore);
        if (state == nullptr || state->timeline) {
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        Payload payload;
        if (const VkResult r = import_payload(info->fd, payload); r != VK_SUCCESS) {
            return r;
        }
        state->temporary = std::move(payload);
        dev->sync.progress.notify_all();
        return VK_SUCCESS;
    });
}

VKAPI_ATTR VkResult VKAPI_CALL GetFenceFdKHR(VkDevice device, const VkFenceGetFdInfoKHR* info,
                                             int* fd) noexcept {
    const VkResult result = guarded("vkGetFenceFdKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (info->handleType != kFenceSyncFd) {
            return dev->next.GetFenceFdKHR != nullptr ? dev->next.GetFenceFdKHR(device, info, fd)
                                                      : VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        if (!dev->offer.sync_fd) {
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        std::lock_guard lock(dev->sync.mutex);
        auto state = dev->sync.fence(info->fence);
        Payload* payload = exportable_payload(state.get());
        if (payload == nullptr || *payload == nullptr) {
            GPUSIM_LOG(error, "vkGetFenceFdKHR: the fence %s",
                       payload == nullptr ? "is not exportable as SYNC_FD"
                                          : "is neither signalled nor has a signal pending");
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        // Vulkan: a signalled fence may export -1.
        const VkResult r = export_payload(*dev, **payload, /*allow_minus_one=*/true, fd);
        if (r == VK_SUCCESS) {
            // Copy transference: exporting resets the fence (a temporary payload gives way to
            // the permanent one, which a reset leaves unsignalled).
            if (payload == &state->temporary) {
                state->temporary.reset();
            }
            if (state->emulated) {
                state->payload.reset();
            }
        }
        return r;
    });
    if (result == VK_SUCCESS) {
        wait_like_a_blocking_exporter(*device_of(device), result, *fd);
    }
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL ImportFenceFdKHR(VkDevice device,
                                                const VkImportFenceFdInfoKHR* info) noexcept {
    return guarded("vkImportFenceFdKHR", [&]() -> VkResult {
        Device* dev = device_of(device);
        if (info->handleType != kFenceSyncFd) {
            return dev->next.ImportFenceFdKHR != nullptr ? dev->next.ImportFenceFdKHR(device, info)
                                                         : VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        if (!dev->offer.sync_fd || (info->flags & VK_FENCE_IMPORT_TEMPORARY_BIT) == 0) {
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        std::lock_guard lock(dev->sync.mutex);
        auto state = dev->sync.fence(info->fence);
        if (state == nullptr) {
            return VK_ERROR_INVALID_EXTERNAL_HANDLE;
        }
        Payload payload;
        if (const VkResult r = import_payload(info->fd, payload); r != VK_SUCCESS) {
            return r;
        }
        state->temporary = std::move(payload);
        dev->sync.progress.notify_all();
        return VK_SUCCESS;
    });
}

}  // namespace sb::gpusim
