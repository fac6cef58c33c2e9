#include "util/fault.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <string>

#include "util/log.hpp"
#include "util/switches.hpp"

namespace sb::util {
namespace {

struct SiteInfo {
    FaultSite site;
    const char* name;
    bool vulkan;  // fails with a VkResult, not an errno
};

constexpr std::array kSites{
    SiteInfo{FaultSite::import_sync_file, "import_sync_file", false},
    SiteInfo{FaultSite::import_release_fence, "import_release_fence", false},
    SiteInfo{FaultSite::export_sync_file, "export_sync_file", false},
    SiteInfo{FaultSite::get_semaphore_fd, "get_semaphore_fd", true},
    SiteInfo{FaultSite::import_semaphore_fd, "import_semaphore_fd", true},
    SiteInfo{FaultSite::import_fence_fd, "import_fence_fd", true},
    SiteInfo{FaultSite::alloc_dma_buf, "alloc_dma_buf", false},
};

struct NamedValue {
    const char* name;
    int value;
};

constexpr std::array kErrnos{
    NamedValue{"EIO", EIO},       NamedValue{"ENOMEM", ENOMEM}, NamedValue{"ENODEV", ENODEV},
    NamedValue{"EINVAL", EINVAL}, NamedValue{"ENOTTY", ENOTTY}, NamedValue{"EBADF", EBADF},
    NamedValue{"EMFILE", EMFILE}, NamedValue{"ENOSPC", ENOSPC}, NamedValue{"ETIME", ETIME},
};

constexpr std::array kResults{
    NamedValue{"VK_ERROR_OUT_OF_HOST_MEMORY", VK_ERROR_OUT_OF_HOST_MEMORY},
    NamedValue{"VK_ERROR_OUT_OF_DEVICE_MEMORY", VK_ERROR_OUT_OF_DEVICE_MEMORY},
    NamedValue{"VK_ERROR_DEVICE_LOST", VK_ERROR_DEVICE_LOST},
    NamedValue{"VK_ERROR_TOO_MANY_OBJECTS", VK_ERROR_TOO_MANY_OBJECTS},
    NamedValue{"VK_ERROR_INVALID_EXTERNAL_HANDLE", VK_ERROR_INVALID_EXTERNAL_HANDLE},
    NamedValue{"VK_ERROR_UNKNOWN", VK_ERROR_UNKNOWN},
};

const SiteInfo& site_info(FaultSite site) {
    return kSites[static_cast<size_t>(site)];
}

template <size_t N>
std::optional<int> value_named(const std::array<NamedValue, N>& table, std::string_view name) {
    for (const NamedValue& entry : table) {
        if (name == entry.name) {
            return entry.value;
        }
    }
    return std::nullopt;
}

std::optional<FaultSpec> parse_one(std::string_view entry) {
    const size_t first = entry.find(':');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view site_name = entry.substr(0, first);
    std::string_view rest = entry.substr(first + 1);
    const size_t second = rest.find(':');
    const std::string_view call = rest.substr(0, second);
    const std::string_view value =
        second == std::string_view::npos ? std::string_view{} : rest.substr(second + 1);
    FaultSpec spec;
    const SiteInfo* info = nullptr;
    for (const SiteInfo& candidate : kSites) {
        if (site_name == candidate.name) {
            info = &candidate;
        }
    }
    if (info == nullptr) {
        return std::nullopt;
    }
    spec.site = info->site;
    if (call != "every") {
        const char* end = call.data() + call.size();
        if (std::from_chars(call.data(), end, spec.call).ptr != end || spec.call == 0) {
            return std::nullopt;
        }
    }
    if (value.empty()) {
        spec.value = info->vulkan ? VK_ERROR_OUT_OF_HOST_MEMORY : EIO;
        return spec;
    }
    const auto named = info->vulkan ? value_named(kResults, value) : value_named(kErrnos, value);
    if (!named) {
        return std::nullopt;
    }
    spec.value = *named;
    return spec;
}

// Parsed once; `armed` is what every site reads, so an unset switch costs one load.
struct Faults {
    std::mutex parse_mutex;
    std::atomic<bool> parsed{false};
    std::atomic<bool> armed{false};
    std::vector<FaultSpec> specs;  // written once, under parse_mutex, before `parsed`
    std::array<std::atomic<uint64_t>, kSites.size()> calls{};
};

Faults& faults() {
    static Faults* const instance = new Faults;  // never destroyed: sites run until exit
    return *instance;
}

void parse_switch(Faults& f) {
    std::lock_guard lock(f.parse_mutex);
    if (f.parsed.load(std::memory_order_acquire)) {
        return;
    }
    if (const char* text = switch_value(Switch::test_fault)) {
        if (auto specs = parse_fault_specs(text)) {
            f.specs = std::move(*specs);
            f.armed.store(!f.specs.empty(), std::memory_order_relaxed);
            SB_LOG(warn, "test faults armed: SYNCBRIDGE_TEST_FAULT=%s", text);
        } else {
            SB_LOG(error, "SYNCBRIDGE_TEST_FAULT=%s: not SITE:CALL|every[:VALUE][,...]; no faults",
                   text);
        }
    }
    f.parsed.store(true, std::memory_order_release);
}

}  // namespace

const char* fault_site_name(FaultSite site) {
    return site_info(site).name;
}

std::optional<std::vector<FaultSpec>> parse_fault_specs(std::string_view text) {
    std::vector<FaultSpec> specs;
    while (!text.empty()) {
        const size_t comma = text.find(',');
        auto spec = parse_one(text.substr(0, comma));
        if (!spec) {
            return std::nullopt;
        }
        specs.push_back(*spec);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return specs;
}

std::optional<int> injected_fault(FaultSite site) {
    Faults& f = faults();
    if (!f.parsed.load(std::memory_order_acquire)) {
        parse_switch(f);
    }
    if (!f.armed.load(std::memory_order_relaxed)) {
        return std::nullopt;
    }
    const uint64_t call = f.calls[static_cast<size_t>(site)].fetch_add(1) + 1;
    for (const FaultSpec& spec : f.specs) {
        if (spec.site == site && (spec.call == 0 || spec.call == call)) {
            SB_LOG(debug, "test fault: %s call %llu fails (%d)", site_info(site).name,
                   static_cast<unsigned long long>(call), spec.value);
            return spec.value;
        }
    }
    return std::nullopt;
}

void reset_faults_for_test() {
    Faults& f = faults();
    std::lock_guard lock(f.parse_mutex);
    f.specs.clear();
    f.armed.store(false);
    for (auto& count : f.calls) {
        count.store(0);
    }
    f.parsed.store(false, std::memory_order_release);
}

}  // namespace sb::util
