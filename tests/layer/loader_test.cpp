// syncbridge through the real Vulkan loader, over lavapipe (the driver on this host, where the
// layer's strategy is pass-through): the app sees exactly what it sees without the layer.
#include <gtest/gtest.h>
#include <vulkan/vulkan.h>

#include <atomic>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr const char* kSyncbridge = "VK_LAYER_SYNCBRIDGE_wsi";
constexpr const char* kValidation = "VK_LAYER_KHRONOS_validation";

struct Messages {
    std::atomic<int> count{0};
    std::string first;
};

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

struct Instance {
    VkInstance handle = VK_NULL_HANDLE;
    VkPhysicalDevice gpu = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    ~Instance() {
        if (messenger != VK_NULL_HANDLE) {
            auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
                vkGetInstanceProcAddr(handle, "vkDestroyDebugUtilsMessengerEXT"));
            destroy(handle, messenger, nullptr);
        }
        if (handle != VK_NULL_HANDLE) {
            vkDestroyInstance(handle, nullptr);
        }
    }
};

VkResult create_instance(Instance& out, const std::vector<const char*>& layers,
                         Messages* messages = nullptr,
                         const VkAllocationCallbacks* alloc = nullptr) {
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
uint32_t clear_and_read_back(VkPhysicalDevice gpu, uint32_t value) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    VkDevice device = VK_NULL_HANDLE;
    if (vkCreateDevice(gpu, &device_info, nullptr, &device) != VK_SUCCESS) {
        ADD_FAILURE() << "vkCreateDevice";
        return 0;
    }
    VkQueue queue = VK_NULL_HANDLE;
    vkGetDeviceQueue(device, 0, 0, &queue);

    VkBufferCreateInfo buffer_info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    buffer_info.size = 4096;
    buffer_info.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    EXPECT_EQ(vkCreateBuffer(device, &buffer_info, nullptr, &buffer), VK_SUCCESS);
    VkMemoryRequirements reqs;
    vkGetBufferMemoryRequirements(device, buffer, &reqs);
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
    VkDeviceMemory memory = VK_NULL_HANDLE;
    EXPECT_EQ(vkAllocateMemory(device, &alloc_info, nullptr, &memory), VK_SUCCESS);
    EXPECT_EQ(vkBindBufferMemory(device, buffer, memory, 0), VK_SUCCESS);

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

    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    EXPECT_EQ(vkCreateFence(device, &fence_info, nullptr, &fence), VK_SUCCESS);
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cb;
    EXPECT_EQ(vkQueueSubmit(queue, 1, &submit, fence), VK_SUCCESS);
    EXPECT_EQ(vkWaitForFences(device, 1, &fence, VK_TRUE, 5'000'000'000ull), VK_SUCCESS);

    void* mapped = nullptr;
    uint32_t read = 0;
    EXPECT_EQ(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &mapped), VK_SUCCESS);
    if (mapped != nullptr) {
        std::memcpy(&read, static_cast<const char*>(mapped) + 1000, sizeof(read));
        vkUnmapMemory(device, memory);
    }
    vkDestroyFence(device, fence, nullptr);
    vkDestroyCommandPool(device, pool, nullptr);
    vkDestroyBuffer(device, buffer, nullptr);
    vkFreeMemory(device, memory, nullptr);
    vkDestroyDevice(device, nullptr);
    return read;
}

class Loader : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(layer_available(kSyncbridge))
            << "VK_ADD_LAYER_PATH must name the build tree's manifest directory";
    }
};

TEST_F(Loader, TheLayerLoadsAndPassesUnrelatedCallsThrough) {
    Instance with;
    ASSERT_EQ(create_instance(with, {kSyncbridge}), VK_SUCCESS);
    EXPECT_EQ(clear_and_read_back(with.gpu, 0xA5A5A5A5u), 0xA5A5A5A5u);
}

TEST_F(Loader, EnumerationAndPropertiesAreAsWithoutTheLayer) {
    Instance with;
    Instance without;
    ASSERT_EQ(create_instance(with, {kSyncbridge}), VK_SUCCESS);
    ASSERT_EQ(create_instance(without, {}), VK_SUCCESS);
    EXPECT_EQ(device_extensions(with.gpu), device_extensions(without.gpu));

    // Zeroed first, so padding compares equal: the driver fills fields, not padding.
    VkPhysicalDeviceProperties a;
    VkPhysicalDeviceProperties b;
    std::memset(&a, 0, sizeof(a));
    std::memset(&b, 0, sizeof(b));
    vkGetPhysicalDeviceProperties(with.gpu, &a);
    vkGetPhysicalDeviceProperties(without.gpu, &b);
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);  // NOLINT(bugprone-suspicious-memory-comparison)

    VkPhysicalDeviceFeatures fa;
    VkPhysicalDeviceFeatures fb;
    vkGetPhysicalDeviceFeatures(with.gpu, &fa);
    vkGetPhysicalDeviceFeatures(without.gpu, &fb);
    EXPECT_EQ(std::memcmp(&fa, &fb, sizeof(fa)), 0);

    for (VkFormat format : {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_SRGB}) {
        VkFormatProperties pa;
        VkFormatProperties pb;
        vkGetPhysicalDeviceFormatProperties(with.gpu, format, &pa);
        vkGetPhysicalDeviceFormatProperties(without.gpu, format, &pb);
        EXPECT_EQ(std::memcmp(&pa, &pb, sizeof(pa)), 0);
    }
}

TEST_F(Loader, ThePassThroughDeviceGetsNoExtraEntryPoints) {
    Instance with;
    ASSERT_EQ(create_instance(with, {kSyncbridge}), VK_SUCCESS);
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    device_info.queueCreateInfoCount = 1;
    device_info.pQueueCreateInfos = &queue_info;
    VkDevice device = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateDevice(with.gpu, &device_info, nullptr, &device), VK_SUCCESS);
    EXPECT_EQ(vkGetDeviceProcAddr(device, "vkGetSemaphoreFdKHR"), nullptr);
    EXPECT_EQ(vkGetDeviceProcAddr(device, "vkGetMemoryFdKHR"), nullptr);
    EXPECT_NE(vkGetDeviceProcAddr(device, "vkQueueSubmit"), nullptr);
    vkDestroyDevice(device, nullptr);
}

// Validation *below* syncbridge sees every call the layer makes on the app's behalf.
TEST_F(Loader, ValidationBelowTheLayerReportsNothing) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    {
        Instance with;
        ASSERT_EQ(create_instance(with, {kSyncbridge, kValidation}, &messages), VK_SUCCESS);
        EXPECT_EQ(clear_and_read_back(with.gpu, 0x01020304u), 0x01020304u);
    }
    EXPECT_EQ(messages.count, 0) << messages.first;
}

// Validation *above* syncbridge: the app-facing behaviour is unchanged (still no messages).
TEST_F(Loader, ValidationAboveTheLayerSeesAnUnchangedApi) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    {
        Instance with;
        ASSERT_EQ(create_instance(with, {kValidation, kSyncbridge}, &messages), VK_SUCCESS);
        EXPECT_EQ(clear_and_read_back(with.gpu, 0x0A0B0C0Du), 0x0A0B0C0Du);
    }
    EXPECT_EQ(messages.count, 0) << messages.first;
}

// The control for the two tests above: the messenger does report a real mistake.
TEST_F(Loader, TheValidationControlCatchesARealMistake) {
    if (!layer_available(kValidation)) {
        GTEST_SKIP() << "vulkan-validationlayers is not installed";
    }
    Messages messages;
    Instance with;
    ASSERT_EQ(create_instance(with, {kSyncbridge, kValidation}, &messages), VK_SUCCESS);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(with.gpu, &props);
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties(with.gpu, VK_FORMAT_MAX_ENUM, &fp);  // invalid enum
    EXPECT_GT(messages.count, 0);
}

struct CountingAllocator {
    std::atomic<int> live{0};
    std::atomic<int> total{0};
    static void* alloc(void* user, size_t size, size_t align, VkSystemAllocationScope) {
        auto* self = static_cast<CountingAllocator*>(user);
        ++self->live;
        ++self->total;
        return std::aligned_alloc(align, (size + align - 1) / align * align);
    }
    static void* realloc(void* user, void* old, size_t size, size_t align,
                         VkSystemAllocationScope scope) {
        if (old == nullptr) {
            return alloc(user, size, align, scope);
        }
        return std::realloc(old, size);  // alignment of realloc'd blocks: fine for these sizes
    }
    static void free(void* user, void* mem) {
        if (mem != nullptr) {
            --static_cast<CountingAllocator*>(user)->live;
            std::free(mem);
        }
    }
    VkAllocationCallbacks callbacks() {
        VkAllocationCallbacks cb{};
        cb.pUserData = this;
        cb.pfnAllocation = &alloc;
        cb.pfnReallocation = &realloc;
        cb.pfnFree = &free;
        return cb;
    }
};

TEST_F(Loader, TheLayerAllocatesThroughTheAppsCallbacksAndFreesEverything) {
    CountingAllocator with_layer;
    CountingAllocator without_layer;
    const VkAllocationCallbacks a = with_layer.callbacks();
    const VkAllocationCallbacks b = without_layer.callbacks();
    {
        Instance with;
        ASSERT_EQ(create_instance(with, {kSyncbridge}, nullptr, &a), VK_SUCCESS);
        vkDestroyInstance(with.handle, &a);
        with.handle = VK_NULL_HANDLE;
        Instance without;
        ASSERT_EQ(create_instance(without, {}, nullptr, &b), VK_SUCCESS);
        vkDestroyInstance(without.handle, &b);
        without.handle = VK_NULL_HANDLE;
    }
    EXPECT_GT(with_layer.total, without_layer.total);
    EXPECT_EQ(with_layer.live, 0);
    EXPECT_EQ(without_layer.live, 0);
}

}  // namespace
