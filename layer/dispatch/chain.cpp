#include "dispatch/chain.hpp"

namespace sb::dispatch {

const void* find_in_chain(const void* pnext, VkStructureType sType) {
    for (auto* s = static_cast<const VkBaseInStructure*>(pnext); s != nullptr; s = s->pNext) {
        if (s->sType == sType) {
            return s;
        }
    }
    return nullptr;
}

VkLayerInstanceCreateInfo* find_instance_link(const VkInstanceCreateInfo* info) {
    // The loader's chain is const to the app but the layer must advance it for the next layer.
    auto* s = const_cast<VkBaseInStructure*>(static_cast<const VkBaseInStructure*>(info->pNext));
    for (; s != nullptr; s = const_cast<VkBaseInStructure*>(s->pNext)) {
        if (s->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO) {
            auto* link = reinterpret_cast<VkLayerInstanceCreateInfo*>(s);
            if (link->function == VK_LAYER_LINK_INFO) {
                return link;
            }
        }
    }
    return nullptr;
}

namespace {

VkLayerDeviceCreateInfo* find_device_create_info(const VkDeviceCreateInfo* info,
                                                 VkLayerFunction function) {
    auto* s = const_cast<VkBaseInStructure*>(static_cast<const VkBaseInStructure*>(info->pNext));
    for (; s != nullptr; s = const_cast<VkBaseInStructure*>(s->pNext)) {
        if (s->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO) {
            auto* link = reinterpret_cast<VkLayerDeviceCreateInfo*>(s);
            if (link->function == function) {
                return link;
            }
        }
    }
    return nullptr;
}

}  // namespace

VkLayerDeviceCreateInfo* find_device_link(const VkDeviceCreateInfo* info) {
    return find_device_create_info(info, VK_LAYER_LINK_INFO);
}

PFN_vkSetDeviceLoaderData find_set_device_loader_data(const VkDeviceCreateInfo* info) {
    const VkLayerDeviceCreateInfo* callback =
        find_device_create_info(info, VK_LOADER_DATA_CALLBACK);
    return callback != nullptr ? callback->u.pfnSetDeviceLoaderData : nullptr;
}

std::optional<NextInstanceLink> next_instance_link(const VkInstanceCreateInfo* info) {
    VkLayerInstanceCreateInfo* link = find_instance_link(info);
    if (link == nullptr || link->u.pLayerInfo == nullptr) {
        return std::nullopt;
    }
    PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    auto create = reinterpret_cast<PFN_vkCreateInstance>(gipa(VK_NULL_HANDLE, "vkCreateInstance"));
    if (create == nullptr) {
        return std::nullopt;
    }
    return NextInstanceLink{gipa, create, link};
}

std::optional<NextDeviceLink> next_device_link(const VkDeviceCreateInfo* info,
                                               VkInstance instance) {
    VkLayerDeviceCreateInfo* link = find_device_link(info);
    if (link == nullptr || link->u.pLayerInfo == nullptr) {
        return std::nullopt;
    }
    PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
    PFN_vkGetDeviceProcAddr gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
    auto create = reinterpret_cast<PFN_vkCreateDevice>(gipa(instance, "vkCreateDevice"));
    if (create == nullptr) {
        return std::nullopt;
    }
    return NextDeviceLink{gipa, gdpa, create, link};
}

}  // namespace sb::dispatch
