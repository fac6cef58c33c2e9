// The device extensions gpusim implements on top of lavapipe, and what lavapipe has itself.
#pragma once

#include <vulkan/vulkan.h>

#include <vector>

#include "gpusim/config.hpp"

namespace sb::gpusim {

struct Instance;

std::vector<VkExtensionProperties> driver_extensions(const Instance& inst, VkPhysicalDevice pd);
bool has_extension(const std::vector<VkExtensionProperties>& list, const char* name);

// The instance's offer, narrowed to what this physical device can back: dma-buf memory needs
// lavapipe's VK_EXT_external_memory_host.
Offer device_offer(const Instance& inst, VkPhysicalDevice pd);

// The extensions gpusim adds for `offer` (some of which lavapipe may list as well).
std::vector<VkExtensionProperties> offered_extensions(const Offer& offer);

// True for the extensions gpusim implements itself, whatever it offers.
bool implemented_by_gpusim(const char* name);

}  // namespace sb::gpusim
