// Walking the loader's layer chain at vkCreateInstance / vkCreateDevice (loader-layer interface
// version 2): the loader passes each layer a link to the next one in the create info's pNext.
#pragma once

#include <vulkan/vk_layer.h>

namespace sb::dispatch {

// The link info for this layer, or nullptr if the loader gave none (not called by a loader).
VkLayerInstanceCreateInfo* find_instance_link(const VkInstanceCreateInfo* info);
VkLayerDeviceCreateInfo* find_device_link(const VkDeviceCreateInfo* info);

// Finds a structure of type `sType` in a const pNext chain.
const void* find_in_chain(const void* pnext, VkStructureType sType);

template <typename T>
const T* find_struct(const void* pnext, VkStructureType sType) {
    return static_cast<const T*>(find_in_chain(pnext, sType));
}

}  // namespace sb::dispatch
