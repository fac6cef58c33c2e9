#include "x11/observer/x11_stream.hpp"

namespace sb::test::x11 {
namespace {

size_t pad4(size_t n) {
    return (n + 3) & ~size_t{3};
}

}  // namespace

size_t client_setup_size(const std::vector<uint8_t>& bytes) {
    if (bytes.size() < 12) {
        return 0;
    }
    const size_t total = 12 + pad4(read16(&bytes[6])) + pad4(read16(&bytes[8]));
    return bytes.size() >= total ? total : 0;
}

size_t request_size(const std::vector<uint8_t>& bytes) {
    if (bytes.size() < 4) {
        return 0;
    }
    size_t total = size_t{read16(&bytes[2])} * 4;
    if (total == 0) {  // BIG-REQUESTS: the length follows the header
        if (bytes.size() < 8) {
            return 0;
        }
        total = size_t{read32(&bytes[4])} * 4;
    }
    return total != 0 && bytes.size() >= total ? total : 0;
}

size_t server_setup_size(const std::vector<uint8_t>& bytes) {
    if (bytes.size() < 8) {
        return 0;
    }
    const size_t total = 8 + size_t{read16(&bytes[6])} * 4;
    return bytes.size() >= total ? total : 0;
}

size_t server_message_size(const std::vector<uint8_t>& bytes) {
    if (bytes.size() < 32) {
        return 0;
    }
    const uint8_t type = bytes[0] & 0x7F;
    size_t total = 32;
    if (type == 1 || type == kGenericEvent) {  // a reply, or an extension's long event
        total += size_t{read32(&bytes[4])} * 4;
    }
    return bytes.size() >= total ? total : 0;
}

}  // namespace sb::test::x11
