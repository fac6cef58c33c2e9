// libFuzzer target: a compositor's (or X server's) list of format + modifier pairs, any length,
// duplicates included, through the layer's dedup (UniqueFormatList, unique_modifiers) and its
// format choice (wsi/formats.hpp). Input: records of a fourcc (u32) and a modifier (u64). Checks
// what the swapchain relies on: each pair once, and every chosen pair one the consumer listed.
#include <algorithm>
#include <cstdlib>

#include "fuzz_input.hpp"
#include "wsi/formats.hpp"
#include "wsi/wayland/feedback_parser.hpp"

namespace {

bool listed(const std::vector<sb::wsi::FormatModifier>& pairs, uint32_t format, uint64_t modifier) {
    for (const auto& pair : pairs) {
        if (pair.drm_format == format && pair.modifier == modifier) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sb::wsi;
    sb::fuzz::FuzzInput input(data, size);
    wayland::UniqueFormatList list;
    size_t added = 0;
    while (!input.empty()) {
        const auto format = input.take_value<uint32_t>();
        list.add({format, input.take_value<uint64_t>()});
        ++added;
    }
    const auto& pairs = list.pairs();
    if (pairs.size() > added) {
        std::abort();
    }
    for (size_t i = 0; i < pairs.size(); ++i) {
        for (size_t j = i + 1; j < pairs.size(); ++j) {
            if (pairs[i].drm_format == pairs[j].drm_format &&
                pairs[i].modifier == pairs[j].modifier) {
                std::abort();  // a pair kept twice
            }
        }
    }
    for (VkFormat format :
         {VK_FORMAT_B8G8R8A8_SRGB, VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_SRGB,
          VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_UNDEFINED}) {
        for (bool alpha : {false, true}) {
            const auto chosen = consumer_format_for(pairs, format, alpha);
            if (chosen && !listed(pairs, chosen->drm_format, chosen->modifier)) {
                std::abort();  // a pair the consumer never offered
            }
        }
    }
    (void)presentable_formats(pairs);

    // The same input as two modifier lists (DRI3's window and screen lists), merged once each.
    std::vector<uint64_t> modifiers;
    modifiers.reserve(pairs.size());
    for (const auto& pair : pairs) {
        modifiers.push_back(pair.modifier);
    }
    const size_t half = modifiers.size() / 2;
    const auto merged =
        unique_modifiers({std::span(modifiers).first(half), std::span(modifiers).subspan(half)});
    for (size_t i = 0; i < merged.size(); ++i) {
        for (size_t j = i + 1; j < merged.size(); ++j) {
            if (merged[i] == merged[j]) {
                std::abort();  // a modifier kept twice
            }
        }
    }
    for (uint64_t modifier : modifiers) {
        if (std::find(merged.begin(), merged.end(), modifier) == merged.end()) {
            std::abort();  // a modifier lost
        }
    }
    return 0;
}
