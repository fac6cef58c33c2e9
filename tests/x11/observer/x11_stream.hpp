// Just enough of the X11 wire protocol to follow one client's connection (little-endian only):
// where each request and each server message ends, which extension a QueryExtension reply names,
// and the few DRI3 and Present messages the observer judges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace sb::test::x11 {

inline uint16_t read16(const uint8_t* p) {
    uint16_t v = 0;
    std::memcpy(&v, p, 2);
    return v;
}
inline uint32_t read32(const uint8_t* p) {
    uint32_t v = 0;
    std::memcpy(&v, p, 4);
    return v;
}

// Bytes of the next complete unit at the front of `bytes`, or 0 while it is incomplete.
// The client's connection setup, then requests (4-byte units; length 0: BIG-REQUESTS).
size_t client_setup_size(const std::vector<uint8_t>& bytes);
size_t request_size(const std::vector<uint8_t>& bytes);
// The server's setup reply, then errors, replies and events (GenericEvent: 32 + 4 * length).
size_t server_setup_size(const std::vector<uint8_t>& bytes);
size_t server_message_size(const std::vector<uint8_t>& bytes);

// Core opcodes and extension minors the observer follows.
inline constexpr uint8_t kQueryExtension = 98;
inline constexpr uint8_t kFreePixmap = 54;
inline constexpr uint8_t kGenericEvent = 35;
inline constexpr uint8_t kDri3PixmapFromBuffer = 2;
inline constexpr uint8_t kDri3FenceFromFd = 4;
inline constexpr uint8_t kDri3PixmapFromBuffers = 7;
inline constexpr uint8_t kPresentPixmap = 1;
inline constexpr uint16_t kPresentIdleNotify = 2;

}  // namespace sb::test::x11
