// libFuzzer target: a zwp_linux_dmabuf_feedback_v1's events in any order and number, through
// FeedbackParser, then the swapchain's format choice over the pairs it gives
// (feedback_parser.hpp, wsi/formats.hpp). Input: records of an event (u8), a payload length
// (u16) and the payload (a table's bytes, a device's wl_array, a tranche's indices, flags).
#include <cstdlib>

#include "fuzz_input.hpp"
#include "wsi/formats.hpp"
#include "wsi/wayland/feedback_parser.hpp"

namespace {

enum Event : uint8_t {
    format_table,
    main_device,
    tranche_target_device,
    tranche_formats,
    tranche_flags,
    tranche_done,
    done,
    kEvents,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sb::wsi;
    using namespace sb::wsi::wayland;
    sb::fuzz::FuzzInput input(data, size);
    FeedbackParser parser;
    while (!input.empty()) {
        const auto event = input.take_value<uint8_t>() % kEvents;
        const auto payload = input.take(input.take_value<uint16_t>());
        switch (event) {
            case format_table:
                parser.on_format_table(payload);
                break;
            case main_device:
                parser.on_main_device(payload);
                break;
            case tranche_target_device:
                parser.on_tranche_target_device(payload);
                break;
            case tranche_formats:
                parser.on_tranche_formats(payload);
                break;
            case tranche_flags: {
                sb::fuzz::FuzzInput flags(reinterpret_cast<const uint8_t*>(payload.data()),
                                          payload.size());
                parser.on_tranche_flags(flags.take_value<uint32_t>());
                break;
            }
            case tranche_done:
                parser.on_tranche_done();
                break;
            default:
                parser.on_done();
                break;
        }
    }
    const bool was_done = parser.done();
    auto feedback = std::move(parser).finish();
    if (!feedback) {
        return 0;
    }
    if (!was_done) {
        std::abort();  // a feedback without its `done` must not be taken
    }
    const auto pairs = pairs_of(*feedback);
    for (VkFormat format : presentable_formats(pairs)) {
        if (!consumer_format_for(pairs, format, false)) {
            std::abort();  // offered, but not makeable
        }
    }
    return 0;
}
