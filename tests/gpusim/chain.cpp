#include "gpusim/chain.hpp"

#include <algorithm>
#include <cstring>

namespace sb::gpusim {

bool ChainCopy::copy(const void* pnext, std::initializer_list<VkStructureType> drop) {
    storage_.clear();
    head_ = nullptr;
    VkBaseOutStructure* tail = nullptr;
    for (auto* s = static_cast<const VkBaseInStructure*>(pnext); s != nullptr; s = s->pNext) {
        if (std::find(drop.begin(), drop.end(), s->sType) != drop.end()) {
            continue;
        }
        const size_t size = struct_size(s->sType);
        if (size == 0) {
            return false;
        }
        const size_t units = (size + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
        storage_.push_back(std::make_unique<std::max_align_t[]>(units));
        auto* out = reinterpret_cast<VkBaseOutStructure*>(storage_.back().get());
        std::memcpy(out, s, size);
        out->pNext = nullptr;
        if (tail == nullptr) {
            head_ = out;
        } else {
            tail->pNext = out;
        }
        tail = out;
    }
    return true;
}

void ChainCopy::prepend(void* s) {
    auto* base = static_cast<VkBaseOutStructure*>(s);
    base->pNext = static_cast<VkBaseOutStructure*>(head_);
    head_ = base;
}

void* ChainCopy::find_copy(VkStructureType type) {
    for (auto* s = static_cast<VkBaseOutStructure*>(head_); s != nullptr; s = s->pNext) {
        if (s->sType == type) {
            return s;
        }
    }
    return nullptr;
}

}  // namespace sb::gpusim
