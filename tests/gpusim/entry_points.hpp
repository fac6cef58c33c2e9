// gpusim's intercepted entry points, grouped by the file that implements them. Everything else
// goes straight to lavapipe. Every one is noexcept: nothing is thrown across the Vulkan ABI.
#pragma once

#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

namespace sb::gpusim {

inline constexpr const char* kLayerName = "VK_LAYER_SYNCBRIDGE_gpusim";

#define GPUSIM_ENTRY(ret, name, ...) VKAPI_ATTR ret VKAPI_CALL name(__VA_ARGS__) noexcept

// loader_interface.cpp
GPUSIM_ENTRY(PFN_vkVoidFunction, GetInstanceProcAddr, VkInstance instance, const char* name);
GPUSIM_ENTRY(PFN_vkVoidFunction, GetDeviceProcAddr, VkDevice device, const char* name);

// instance.cpp
GPUSIM_ENTRY(VkResult, CreateInstance, const VkInstanceCreateInfo* info,
             const VkAllocationCallbacks* alloc, VkInstance* instance);
GPUSIM_ENTRY(void, DestroyInstance, VkInstance instance, const VkAllocationCallbacks* alloc);
GPUSIM_ENTRY(VkResult, EnumerateInstanceLayerProperties, uint32_t* count, VkLayerProperties* props);
GPUSIM_ENTRY(VkResult, EnumerateDeviceLayerProperties, VkPhysicalDevice pd, uint32_t* count,
             VkLayerProperties* props);
GPUSIM_ENTRY(VkResult, EnumerateInstanceExtensionProperties, const char* layer, uint32_t* count,
             VkExtensionProperties* props);
GPUSIM_ENTRY(VkResult, EnumerateDeviceExtensionProperties, VkPhysicalDevice pd, const char* layer,
             uint32_t* count, VkExtensionProperties* props);

// properties.cpp
GPUSIM_ENTRY(void, GetPhysicalDeviceExternalBufferProperties, VkPhysicalDevice pd,
             const VkPhysicalDeviceExternalBufferInfo* info, VkExternalBufferProperties* props);
GPUSIM_ENTRY(void, GetPhysicalDeviceExternalSemaphoreProperties, VkPhysicalDevice pd,
             const VkPhysicalDeviceExternalSemaphoreInfo* info,
             VkExternalSemaphoreProperties* props);
GPUSIM_ENTRY(void, GetPhysicalDeviceExternalFenceProperties, VkPhysicalDevice pd,
             const VkPhysicalDeviceExternalFenceInfo* info, VkExternalFenceProperties* props);
GPUSIM_ENTRY(VkResult, GetPhysicalDeviceImageFormatProperties2, VkPhysicalDevice pd,
             const VkPhysicalDeviceImageFormatInfo2* info, VkImageFormatProperties2* props);
GPUSIM_ENTRY(void, GetPhysicalDeviceFormatProperties2, VkPhysicalDevice pd, VkFormat format,
             VkFormatProperties2* props);
GPUSIM_ENTRY(void, GetPhysicalDeviceProperties2, VkPhysicalDevice pd,
             VkPhysicalDeviceProperties2* props);

// device.cpp
GPUSIM_ENTRY(VkResult, CreateDevice, VkPhysicalDevice pd, const VkDeviceCreateInfo* info,
             const VkAllocationCallbacks* alloc, VkDevice* device);
GPUSIM_ENTRY(void, DestroyDevice, VkDevice device, const VkAllocationCallbacks* alloc);

// memory.cpp
GPUSIM_ENTRY(VkResult, AllocateMemory, VkDevice device, const VkMemoryAllocateInfo* info,
             const VkAllocationCallbacks* alloc, VkDeviceMemory* memory);
GPUSIM_ENTRY(void, FreeMemory, VkDevice device, VkDeviceMemory memory,
             const VkAllocationCallbacks* alloc);
GPUSIM_ENTRY(VkResult, GetMemoryFdKHR, VkDevice device, const VkMemoryGetFdInfoKHR* info, int* fd);
GPUSIM_ENTRY(VkResult, GetMemoryFdPropertiesKHR, VkDevice device,
             VkExternalMemoryHandleTypeFlagBits type, int fd, VkMemoryFdPropertiesKHR* props);
GPUSIM_ENTRY(VkResult, CreateBuffer, VkDevice device, const VkBufferCreateInfo* info,
             const VkAllocationCallbacks* alloc, VkBuffer* buffer);

// image.cpp
GPUSIM_ENTRY(VkResult, CreateImage, VkDevice device, const VkImageCreateInfo* info,
             const VkAllocationCallbacks* alloc, VkImage* image);
GPUSIM_ENTRY(void, GetImageSubresourceLayout, VkDevice device, VkImage image,
             const VkImageSubresource* subresource, VkSubresourceLayout* layout);
GPUSIM_ENTRY(VkResult, GetImageDrmFormatModifierPropertiesEXT, VkDevice device, VkImage image,
             VkImageDrmFormatModifierPropertiesEXT* props);

// sync_api.cpp
GPUSIM_ENTRY(VkResult, CreateSemaphore, VkDevice device, const VkSemaphoreCreateInfo* info,
             const VkAllocationCallbacks* alloc, VkSemaphore* semaphore);
GPUSIM_ENTRY(void, DestroySemaphore, VkDevice device, VkSemaphore semaphore,
             const VkAllocationCallbacks* alloc);
GPUSIM_ENTRY(VkResult, CreateFence, VkDevice device, const VkFenceCreateInfo* info,
             const VkAllocationCallbacks* alloc, VkFence* fence);
GPUSIM_ENTRY(void, DestroyFence, VkDevice device, VkFence fence,
             const VkAllocationCallbacks* alloc);
GPUSIM_ENTRY(VkResult, GetSemaphoreFdKHR, VkDevice device, const VkSemaphoreGetFdInfoKHR* info,
             int* fd);
GPUSIM_ENTRY(VkResult, ImportSemaphoreFdKHR, VkDevice device,
             const VkImportSemaphoreFdInfoKHR* info);
GPUSIM_ENTRY(VkResult, GetFenceFdKHR, VkDevice device, const VkFenceGetFdInfoKHR* info, int* fd);
GPUSIM_ENTRY(VkResult, ImportFenceFdKHR, VkDevice device, const VkImportFenceFdInfoKHR* info);

// fence_wait.cpp
GPUSIM_ENTRY(VkResult, WaitForFences, VkDevice device, uint32_t count, const VkFence* fences,
             VkBool32 wait_all, uint64_t timeout);
GPUSIM_ENTRY(VkResult, GetFenceStatus, VkDevice device, VkFence fence);
GPUSIM_ENTRY(VkResult, ResetFences, VkDevice device, uint32_t count, const VkFence* fences);

// submit.cpp
GPUSIM_ENTRY(VkResult, QueueSubmit, VkQueue queue, uint32_t count, const VkSubmitInfo* submits,
             VkFence fence);
GPUSIM_ENTRY(VkResult, QueueSubmit2, VkQueue queue, uint32_t count, const VkSubmitInfo2* submits,
             VkFence fence);
GPUSIM_ENTRY(VkResult, QueueBindSparse, VkQueue queue, uint32_t count,
             const VkBindSparseInfo* infos, VkFence fence);
GPUSIM_ENTRY(VkResult, QueueWaitIdle, VkQueue queue);
GPUSIM_ENTRY(VkResult, DeviceWaitIdle, VkDevice device);

// wsi.cpp
GPUSIM_ENTRY(VkResult, QueuePresentKHR, VkQueue queue, const VkPresentInfoKHR* info);
GPUSIM_ENTRY(VkResult, AcquireNextImageKHR, VkDevice device, VkSwapchainKHR swapchain,
             uint64_t timeout, VkSemaphore semaphore, VkFence fence, uint32_t* index);
GPUSIM_ENTRY(VkResult, AcquireNextImage2KHR, VkDevice device, const VkAcquireNextImageInfoKHR* info,
             uint32_t* index);

#undef GPUSIM_ENTRY

}  // namespace sb::gpusim
