#include "gpusim/harness.hpp"

#include <drm_fourcc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sb::gpusim::test {
namespace {

void set_env(const char* name, uint32_t value) {
    (void)::setenv(name, std::to_string(value).c_str(), 1);
}

}  // namespace

void use_build_tree_manifest(const char* manifest_dir) {
    (void)::setenv("VK_ADD_LAYER_PATH", manifest_dir, /*overwrite=*/0);
}

Settings dma_buf_device(uint32_t latency_ms, uint32_t jitter_ms) {
    Settings s;
    s.latency_ms = latency_ms;
    s.jitter_ms = jitter_ms;
    s.device_extensions = {
        VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
        VK_EXT_IMAGE_DRM_FORMAT_MODIFIER_EXTENSION_NAME,
        VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME, VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME};
    return s;
}

void check(VkResult r, const char* what) {
    if (r != VK_SUCCESS) {
        throw std::runtime_error(std::string(what) + " failed: VkResult " + std::to_string(r));
    }
}

VKAPI_ATTR VkBool32 VKAPI_CALL Vk::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                              VkDebugUtilsMessageTypeFlagsEXT,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data,
                                              void* user) {
    auto* vk = static_cast<Vk*>(user);
    if (vk->messages_++ == 0) {
        vk->first_message_ = data->pMessage != nullptr ? data->pMessage : "";
    }
    return VK_FALSE;
}

Vk::Vk(const Settings& settings) {
    set_env("GPUSIM_LATENCY_MS", settings.latency_ms);
    set_env("GPUSIM_JITTER_MS", settings.jitter_ms);
    set_env("GPUSIM_SYNC_FD", settings.sync_fd ? 1 : 0);
    set_env("GPUSIM_DMA_BUF", settings.dma_buf ? 1 : 0);

    // First in the list is nearest the app: the layers above, gpusim, then (checking gpusim's
    // calls) validation.
    std::vector<const char*> layers = settings.layers_above;
    if (settings.validation_above_gpusim) {
        layers.push_back("VK_LAYER_KHRONOS_validation");
    }
    if (settings.gpusim) {
        layers.push_back("VK_LAYER_SYNCBRIDGE_gpusim");
    }
    if (settings.validation_below) {
        layers.push_back("VK_LAYER_KHRONOS_validation");
    }
    const bool validation = settings.validation_below || settings.validation_above_gpusim;
    std::vector<const char*> instance_extensions;
    if (validation) {
        instance_extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = settings.api_version;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = static_cast<uint32_t>(instance_extensions.size());
    info.ppEnabledExtensionNames = instance_extensions.data();
    check(vkCreateInstance(&info, nullptr, &instance), "vkCreateInstance");

    if (validation) {
        VkDebugUtilsMessengerCreateInfoEXT m{
            VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
        m.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                            VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
        m.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                        VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT;
        m.pfnUserCallback = on_message;
        m.pUserData = this;
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
        check(create(instance, &m, nullptr, &messenger_), "vkCreateDebugUtilsMessengerEXT");
    }

    uint32_t count = 1;
    const VkResult r = vkEnumeratePhysicalDevices(instance, &count, &gpu);
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || count == 0) {
        throw std::runtime_error("no physical device");
    }
    uint32_t ext_count = 0;
    check(vkEnumerateDeviceExtensionProperties(gpu, nullptr, &ext_count, nullptr),
          "vkEnumerateDeviceExtensionProperties");
    std::vector<VkExtensionProperties> exts(ext_count);
    check(vkEnumerateDeviceExtensionProperties(gpu, nullptr, &ext_count, exts.data()),
          "vkEnumerateDeviceExtensionProperties");
    for (const auto& e : exts) {
        device_extensions_.emplace_back(e.extensionName);
    }

    std::vector<const char*> enable;
    for (const char* name : settings.device_extensions) {
        if (has_device_extension(name)) {
            enable.push_back(name);
            enabled_.emplace_back(name);
        }
    }
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueFamilyIndex = 0;
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkPhysicalDeviceVulkan13Features features13{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    features13.synchronization2 = settings.api_version >= VK_API_VERSION_1_3 ? VK_TRUE : VK_FALSE;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.pNext = settings.api_version >= VK_API_VERSION_1_3 ? &features13 : nullptr;
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    device_info.enabledExtensionCount = static_cast<uint32_t>(enable.size());
    device_info.ppEnabledExtensionNames = enable.data();
    check(vkCreateDevice(gpu, &device_info, nullptr, &device), "vkCreateDevice");
    vkGetDeviceQueue(device, 0, 0, &queue);

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = queue_family;
    check(vkCreateCommandPool(device, &pool_info, nullptr, &pool), "vkCreateCommandPool");
}

Vk::~Vk() {
    if (device != VK_NULL_HANDLE) {
        (void)vkDeviceWaitIdle(device);
        vkDestroyCommandPool(device, pool, nullptr);
        vkDestroyDevice(device, nullptr);
    }
    if (messenger_ != VK_NULL_HANDLE) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT"));
        destroy(instance, messenger_, nullptr);
    }
    if (instance != VK_NULL_HANDLE) {
        vkDestroyInstance(instance, nullptr);
    }
}

bool Vk::has_device_extension(const char* name) const {
    return std::find(device_extensions_.begin(), device_extensions_.end(), name) !=
           device_extensions_.end();
}

bool Vk::enabled(const char* name) const {
    return std::find(enabled_.begin(), enabled_.end(), name) != enabled_.end();
}

uint32_t Vk::memory_type(uint32_t bits, VkMemoryPropertyFlags flags) const {
    VkPhysicalDeviceMemoryProperties props{};
    vkGetPhysicalDeviceMemoryProperties(gpu, &props);
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
        if ((bits & (1u << i)) && (props.memoryTypes[i].propertyFlags & flags) == flags) {
            return i;
        }
    }
    throw std::runtime_error("no suitable memory type");
}

VkCommandBuffer Vk::begin_commands() {
    VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    info.commandPool = pool;
    info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    info.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    check(vkAllocateCommandBuffers(device, &info, &cb), "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(vkBeginCommandBuffer(cb, &begin), "vkBeginCommandBuffer");
    return cb;
}

void Vk::submit(VkCommandBuffer cb, VkFence fence, const std::vector<VkSemaphore>& waits,
                const std::vector<VkSemaphore>& signals) {
    if (cb != VK_NULL_HANDLE) {
        check(vkEndCommandBuffer(cb), "vkEndCommandBuffer");
    }
    std::vector<VkPipelineStageFlags> stages(waits.size(), VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
    VkSubmitInfo info{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    info.waitSemaphoreCount = static_cast<uint32_t>(waits.size());
    info.pWaitSemaphores = waits.data();
    info.pWaitDstStageMask = stages.data();
    info.commandBufferCount = cb != VK_NULL_HANDLE ? 1 : 0;
    info.pCommandBuffers = &cb;
    info.signalSemaphoreCount = static_cast<uint32_t>(signals.size());
    info.pSignalSemaphores = signals.data();
    check(vkQueueSubmit(queue, 1, &info, fence), "vkQueueSubmit");
}

VkFence Vk::create_fence(bool export_sync_fd, bool signalled) {
    VkExportFenceCreateInfo exporting{VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO};
    exporting.handleTypes = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT;
    VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    info.pNext = export_sync_fd ? &exporting : nullptr;
    info.flags = signalled ? VK_FENCE_CREATE_SIGNALED_BIT : 0;
    VkFence fence = VK_NULL_HANDLE;
    check(vkCreateFence(device, &info, nullptr, &fence), "vkCreateFence");
    return fence;
}

VkSemaphore Vk::create_semaphore(bool export_sync_fd) {
    VkExportSemaphoreCreateInfo exporting{VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO};
    exporting.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_SYNC_FD_BIT;
    VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    info.pNext = export_sync_fd ? &exporting : nullptr;
    VkSemaphore semaphore = VK_NULL_HANDLE;
    check(vkCreateSemaphore(device, &info, nullptr, &semaphore), "vkCreateSemaphore");
    return semaphore;
}

Buffer::Buffer(Vk& vk_, VkDeviceSize size_, bool dma_buf) : vk(vk_), size(size_) {
    VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
    external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.pNext = dma_buf ? &external : nullptr;
    info.size = size;
    info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
    check(vkCreateBuffer(vk.device, &info, nullptr, &buffer), "vkCreateBuffer");
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(vk.device, buffer, &req);
    VkExportMemoryAllocateInfo exporting{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO};
    exporting.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.pNext = dma_buf ? &exporting : nullptr;
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex =
        vk.memory_type(req.memoryTypeBits,
                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    check(vkAllocateMemory(vk.device, &alloc, nullptr, &memory), "vkAllocateMemory");
    check(vkBindBufferMemory(vk.device, buffer, memory, 0), "vkBindBufferMemory");
}

Buffer::~Buffer() {
    vkDestroyBuffer(vk.device, buffer, nullptr);
    vkFreeMemory(vk.device, memory, nullptr);
}

Image::Image(Vk& vk_, uint32_t width_, uint32_t height_, bool dma_buf)
    : vk(vk_), width(width_), height(height_) {
    const uint64_t linear = DRM_FORMAT_MOD_LINEAR;
    VkImageDrmFormatModifierListCreateInfoEXT modifiers{
        VK_STRUCTURE_TYPE_IMAGE_DRM_FORMAT_MODIFIER_LIST_CREATE_INFO_EXT};
    modifiers.drmFormatModifierCount = 1;
    modifiers.pDrmFormatModifiers = &linear;
    VkExternalMemoryImageCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_IMAGE_CREATE_INFO};
    external.pNext = &modifiers;
    external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.pNext = dma_buf ? &external : nullptr;
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = VK_FORMAT_R8G8B8A8_UNORM;
    info.extent = {width, height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = dma_buf ? VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT : VK_IMAGE_TILING_LINEAR;
    info.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    check(vkCreateImage(vk.device, &info, nullptr, &image), "vkCreateImage");

    VkMemoryRequirements req{};
    vkGetImageMemoryRequirements(vk.device, image, &req);
    size = req.size;
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    dedicated.image = image;
    VkExportMemoryAllocateInfo exporting{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO};
    exporting.pNext = &dedicated;
    exporting.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.pNext = dma_buf ? &exporting : nullptr;
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex =
        vk.memory_type(req.memoryTypeBits,
                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    check(vkAllocateMemory(vk.device, &alloc, nullptr, &memory), "vkAllocateMemory");
    check(vkBindImageMemory(vk.device, image, memory, 0), "vkBindImageMemory");
    VkImageSubresource sub{
        dma_buf ? VK_IMAGE_ASPECT_MEMORY_PLANE_0_BIT_EXT : VK_IMAGE_ASPECT_COLOR_BIT, 0, 0};
    vkGetImageSubresourceLayout(vk.device, image, &sub, &layout);
}

Image::~Image() {
    vkDestroyImage(vk.device, image, nullptr);
    vkFreeMemory(vk.device, memory, nullptr);
}

void record_clear(VkCommandBuffer cb, const Image& image, const float rgba[4]) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    barrier.newLayout = VK_IMAGE_LAYOUT_GENERAL;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image.image;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                         0, nullptr, 0, nullptr, 1, &barrier);
    VkClearColorValue color{};
    std::copy(rgba, rgba + 4, color.float32);
    vkCmdClearColorImage(cb, image.image, VK_IMAGE_LAYOUT_GENERAL, &color, 1,
                         &barrier.subresourceRange);
    // Make the clear visible to the host (mapped memory, dma-buf readers).
    VkMemoryBarrier host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &host, 0, nullptr, 0, nullptr);
}

}  // namespace sb::gpusim::test
