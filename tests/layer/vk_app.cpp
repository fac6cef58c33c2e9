// A minimal Vulkan app for the layer tests: instance with chosen layers and a messenger, a device,
// and a GPU round trip. Failures are reported through gtest.
#include "layer/vk_app.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace sb::test {
namespace {

VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                          VkDebugUtilsMessageTypeFlagsEXT,
                                          const VkDebugUtilsMessengerCallbackDataEXT* data,
                                          void* user) {
    auto* messages = static_cast<Messages*>(user);
    if (messages->count++ == 0) {
        messages->first = data->pMessage != nullptr ? data->pMessage : "";
    }
    return VK_FALSE;
}

}  // namespace

Instance::~Instance() {
    if (messenger != VK_NULL_HANDLE) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(handle, "vkDestroyDebugUtilsMessengerEXT"));
        destroy(handle, messenger, nullptr);
    }
    if (handle != VK_NULL_HANDLE) {
        vkDestroyInstance(handle, nullptr);
    }
}

VkResult create_instance(Instance& out, const std::vector<const char*>& layers, Messages* messages,
                         const VkAllocationCallbacks* alloc) {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = VK_API_VERSION_1_1;
    VkDebugUtilsMessengerCreateInfoEXT messenger{
        VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    messenger.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                            VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                            VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messenger.pfnUserCallback = on_message;
    messenger.pUserData = messages;
    const char* debug_utils = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pNext = messages != nullptr ? &messenger : nullptr;
    info.pApplicationInfo = &app;
    info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = messages != nullptr ? 1 : 0;
    info.ppEnabledExtensionNames = &debug_utils;
    VkResult r = vkCreateInstance(&info, alloc, &out.handle);
    if (r != VK_SUCCESS) {
        out.handle = VK_NULL_HANDLE;
        return r;
    }
    // The pNext messenger covers vkCreateInstance/vkDestroyInstance only; this one the rest.
    if (messages != nullptr) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(out.handle, "vkCreateDebugUtilsMessengerEXT"));
        messenger.pNext = nullptr;
        r = create(out.handle, &messenger, nullptr, &out.messenger);
        if (r != VK_SUCCESS) {
            return r;
        }
    }
    uint32_t count = 1;
    r = vkEnumeratePhysicalDevices(out.handle, &count, &out.gpu);
    return r == VK_INCOMPLETE ? VK_SUCCESS : r;
}

std::vector<std::string> device_extensions(VkPhysicalDevice gpu) {
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(gpu, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> props(count);
    vkEnumerateDeviceExtensionProperties(gpu, nullptr, &count, props.data());
    std::vector<std::string> names;
    names.reserve(props.size());
    for (const auto& p : props) {
        names.emplace_back(p.extensionName);
    }
    return names;
}

bool layer_available(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const auto& l : layers) {
        if (std::strcmp(l.layerName, name) == 0) {
            return true;
        }
    }
    return false;
}

// Creates a device, clears a buffer on the GPU, reads it back, and tears everything down: the
// "create/submit/destroy run" whose calls go through the layer.
VkResult create_device(VkPhysicalDevice gpu, const std::vector<const char*>& extensions,
                       VkDevice* device) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    device_info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    device_info.ppEnabledExtensionNames = extensions.data();
    return vkCreateDevice(gpu, &device_info, nullptr, device);
}

uint32_t clear_and_read_back(VkPhysicalDevice gpu, uint32_t value) {
    VkDevice device = VK_NULL_HANDLE;
    if (create_device(gpu, {}, &device) != VK_SUCCESS) {
        ADD_FAILURE() << "vkCreateDevice";
        return 0;
    }
    VkQueue queue = VK_NULL_HANDLE;
    vkGetDeviceQueue(device, 0, 0, &queue);

    HostBuffer host;
    if (!create_host_buffer(gpu, device, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &host)) {
        vkDestroyDevice(device, nullptr);
        return 0;
    }
    const VkBuffer buffer = host.buffer;

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    VkCommandPool pool = VK_NULL_HANDLE;
    EXPECT_EQ(vkCreateCommandPool(device, &pool_info, nullptr, &pool), VK_SUCCESS);
    VkCommandBufferAllocateInfo cb_info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cb_info.commandPool = pool;
    cb_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cb_info.commandBufferCount = 1;
    VkCommandBuffer cb = VK_NULL_HANDLE;
    EXPECT_EQ(vkAllocateCommandBuffers(device, &cb_info, &cb), VK_SUCCESS);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    EXPECT_EQ(vkBeginCommandBuffer(cb, &begin), VK_SUCCESS);
    vkCmdFillBuffer(cb, buffer, 0, VK_WHOLE_SIZE, value);
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &barrier, 0, nullptr, 0, nullptr);
    EXPECT_EQ(vkEndCommandBuffer(cb), VK_SUCCESS);

    EXPECT_EQ(submit_and_wait(device, queue, cb), VK_SUCCESS);
    const uint32_t read = read_host_buffer(device, host, 1000);
    vkDestroyCommandPool(device, pool, nullptr);
    destroy_host_buffer(device, host);
    vkDestroyDevice(device, nullptr);
    return read;
}

bool create_host_buffer(VkPhysicalDevice gpu, VkDevice device, VkDeviceSize size,
                        VkBufferUsageFlags usage, HostBuffer* out) {
    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.size = size;
    buffer_info.usage = usage;
    if (vkCreateBuffer(device, &buffer_info, nullptr, &out->buffer) != VK_SUCCESS) {
        ADD_FAILURE() << "vkCreateBuffer";
        return false;
    }
    VkMemoryRequirements reqs;
    vkGetBufferMemoryRequirements(device, out->buffer, &reqs);
    VkPhysicalDeviceMemoryProperties mem_props;
    vkGetPhysicalDeviceMemoryProperties(gpu, &mem_props);
    uint32_t type = 0;
    const VkMemoryPropertyFlags want =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    while (type < mem_props.memoryTypeCount &&
           (((reqs.memoryTypeBits >> type) & 1u) == 0 ||
            (mem_props.memoryTypes[type].propertyFlags & want) != want)) {
        ++type;
    }
    VkMemoryAllocateInfo alloc_info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc_info.allocationSize = reqs.size;
    alloc_info.memoryTypeIndex = type;
    if (type == mem_props.memoryTypeCount ||
        vkAllocateMemory(device, &alloc_info, nullptr, &out->memory) != VK_SUCCESS ||
        vkBindBufferMemory(device, out->buffer, out->memory, 0) != VK_SUCCESS) {
        ADD_FAILURE() << "no host-visible memory for a buffer";
        destroy_host_buffer(device, *out);
        return false;
    }
    return true;
}

void destroy_host_buffer(VkDevice device, HostBuffer& buffer) {
    vkDestroyBuffer(device, buffer.buffer, nullptr);
    vkFreeMemory(device, buffer.memory, nullptr);
    buffer = HostBuffer{};
}

uint32_t read_host_buffer(VkDevice device, const HostBuffer& buffer, VkDeviceSize offset) {
    void* mapped = nullptr;
    uint32_t read = 0;
    EXPECT_EQ(vkMapMemory(device, buffer.memory, 0, VK_WHOLE_SIZE, 0, &mapped), VK_SUCCESS);
    if (mapped != nullptr) {
        std::memcpy(&read, static_cast<const char*>(mapped) + offset, sizeof(read));
        vkUnmapMemory(device, buffer.memory);
    }
    return read;
}

VkResult submit_and_wait(VkDevice device, VkQueue queue, VkCommandBuffer commands) {
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    VkResult r = vkCreateFence(device, &fence_info, nullptr, &fence);
    if (r != VK_SUCCESS) {
        return r;
    }
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &commands;
    r = vkQueueSubmit(queue, 1, &submit, fence);
    if (r == VK_SUCCESS) {
        r = vkWaitForFences(device, 1, &fence, VK_TRUE, 5'000'000'000ull);
    }
    vkDestroyFence(device, fence, nullptr);
    return r;
}

}  // namespace sb::test
