// libFuzzer target: a linux-dmabuf v4 format table and one tranche's index array, as a
// compositor sends them (feedback_parser.hpp). Input: the table's byte count (u16), the table,
// then the indices. Every pair a tranche names must be an entry of the table.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "wsi/wayland/feedback_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sb::wsi::wayland;
    sb::fuzz::FuzzInput input(data, size);
    const auto table_size = input.take_value<uint16_t>();
    const auto table = parse_format_table(input.take(table_size));
    const auto indices = input.take_rest();
    if (!table) {
        return 0;
    }
    const auto formats = formats_at_indices(*table, indices);
    if (!formats) {
        return 0;
    }
    if (formats->size() * sizeof(uint16_t) != indices.size()) {
        std::abort();  // an index dropped or invented
    }
    return 0;
}
