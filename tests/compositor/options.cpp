#include "compositor/options.hpp"

#include <drm_fourcc.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace sb::compositor {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        base = 16;
    }
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out, base);
    return ec == std::errc() && ptr == end && !text.empty();
}

// "WxH" with both positive.
bool parse_size(std::string_view text, int32_t& width, int32_t& height) {
    const auto x = text.find('x');
    return x != std::string_view::npos && parse_number(text.substr(0, x), width) &&
           parse_number(text.substr(x + 1), height) && width > 0 && height > 0;
}

// A DRM fourcc as its four characters ("AR24") or a number ("0x34325241").
bool parse_fourcc(std::string_view text, uint32_t& out) {
    if (text.size() == 4 && !(text[0] == '0' && text[1] == 'x')) {
        out = fourcc_code(text[0], text[1], text[2], text[3]);
        return true;
    }
    return parse_number(text, out) && out != 0;
}

}  // namespace

std::vector<DmabufFormat> effective_formats(const Options& options) {
    std::vector<DmabufFormat> formats = options.formats;
    if (formats.empty()) {
        for (uint32_t fourcc :
             {DRM_FORMAT_ARGB8888, DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888, DRM_FORMAT_XBGR8888}) {
            formats.push_back({fourcc, DRM_FORMAT_MOD_LINEAR});
        }
    }
    if (options.reject_format != 0 &&
        std::none_of(formats.begin(), formats.end(),
                     [&](const DmabufFormat& f) { return f.fourcc == options.reject_format; })) {
        formats.push_back({options.reject_format, DRM_FORMAT_MOD_LINEAR});
    }
    return formats;
}

const char* usage() {
    return "usage: syncbridge-test-compositor [options]\n"
           "A Wayland compositor for sync tests: reads every committed dma-buf, checks that it\n"
           "shows the next frame (frame N = a solid colour f(N)), holds a read fence while it\n"
           "composites, and counts stale, torn and overwritten frames.\n"
           "  --socket NAME            socket name under $XDG_RUNTIME_DIR (default: auto)\n"
           "  --hold-ms N              read fence held per frame, in ms (default 30; 0: none)\n"
           "  --hold-jitter-ms N       each hold N ms longer at most, at random (default 0)\n"
           "  --release after-read|on-replace|random\n"
           "                           when wl_buffer.release is sent (default after-read;\n"
           "                           random: per frame after the read or at the hold's end)\n"
           "  --seed N                 seed of the random holds and releases (default 1)\n"
           "  --no-implicit-sync       control: read buffers without waiting for their fences\n"
           "  --wait-timeout-ms N      longest wait for a buffer's write fences (default 2000)\n"
           "  --first-frame N|any      each surface's first frame (default 0; any: the first\n"
           "                           frame seen sets the expectation)\n"
           "  --frame-step N           expected frame increase per commit (default 1; 0: any)\n"
           "  --content-agnostic       for real clients: no frame colours, no torn or order\n"
           "                           checks; stale (unchanged since the buffer's last read,\n"
           "                           or never written) and overwrites are still counted\n"
           "  --refresh-ms N           vblank period (default 16)\n"
           "  --size WxH               toplevel size in configure events\n"
           "  --resize-after N:WxH     configure a new size after N commits\n"
           "  --configure-storm N      the resize as N configures of other sizes at once, the\n"
           "                           requested size last, at that commit and the 9 after it\n"
           "  --format FOURCC[:MOD]    advertise a format (repeatable; default AR24 XR24 AB24\n"
           "                           XB24, all LINEAR); FOURCC as 4 characters or a number\n"
           "  --reject-format FOURCC   advertise it, then refuse every buffer of that format\n"
           "  --wl-drm DEVICE          offer wl_drm v2 naming this DRM node (Xwayland's DRI3)\n"
           "  --wl-shell               also offer wl_shell (gfxrecon-replay's only shell)\n"
           "  --syncobj DEVICE         offer explicit sync (wp_linux_drm_syncobj_v1), timelines\n"
           "                           on this DRM node (it needs timeline syncobjs)\n"
           "  --never-release          misbehave: never send wl_buffer.release\n"
           "  --release-twice          misbehave: send every wl_buffer.release twice\n"
           "  --vanish-after N         misbehave: vanish after N commits\n"
           "  --vanish client|display  how: drop the committing client, or the whole display\n"
           "  --stall-after N          misbehave: stop dispatching after N commits (hung)\n"
           "  --remove-syncobj-after N withdraw the explicit-sync global after N commits\n"
           "  --run-for-ms N           exit after N ms (default: on SIGINT/SIGTERM)\n"
           "  --png PATH               at exit, write a checked frame as a PNG (RGB)\n"
           "  --png-frame K            which: the K-th frame checked (default: the last)\n"
           "Prints \"listening on NAME\" when ready and a summary line at exit; exits 0 when no\n"
           "stale, torn or overwritten frame was seen, 2 when one was, 1 on errors.\n";
}

ParsedOptions parse_options(int argc, const char* const* argv) {
    Options options;
    ParsedOptions parsed;
    auto fail = [&](std::string message) {
        parsed.error = std::move(message);
        return parsed;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        // Every flag but the switches takes one value.
        const bool is_switch = flag == "--no-implicit-sync" || flag == "--never-release" ||
                               flag == "--release-twice" || flag == "--content-agnostic" ||
                               flag == "--wl-shell" || flag == "--help" || flag == "-h";
        std::string_view value;
        if (!is_switch) {
            if (i + 1 >= argc) {
                return fail(std::string(flag) + ": missing value");
            }
            value = argv[++i];
        }
        auto bad = [&] {
            return fail(std::string(flag) + ": bad value '" + std::string(value) + "'");
        };

        if (flag == "--help" || flag == "-h") {
            parsed.help = true;
            return parsed;
        } else if (flag == "--no-implicit-sync") {
            options.honour_implicit_sync = false;
        } else if (flag == "--never-release") {
            options.release_misbehaviour = ReleaseMisbehaviour::never;
        } else if (flag == "--release-twice") {
            options.release_misbehaviour = ReleaseMisbehaviour::twice;
        } else if (flag == "--content-agnostic") {
            options.content_agnostic = true;
        } else if (flag == "--wl-shell") {
            options.wl_shell = true;
        } else if (flag == "--socket") {
            options.socket_name = value;
        } else if (flag == "--hold-ms") {
            if (!parse_number(value, options.hold_ms)) {
                return bad();
            }
        } else if (flag == "--hold-jitter-ms") {
            if (!parse_number(value, options.hold_jitter_ms)) {
                return bad();
            }
        } else if (flag == "--seed") {
            if (!parse_number(value, options.seed)) {
                return bad();
            }
        } else if (flag == "--release") {
            if (value == "after-read") {
                options.release_policy = ReleasePolicy::after_read;
            } else if (value == "on-replace") {
                options.release_policy = ReleasePolicy::on_replace;
            } else if (value == "random") {
                options.release_policy = ReleasePolicy::random;
            } else {
                return bad();
            }
        } else if (flag == "--wait-timeout-ms") {
            if (!parse_number(value, options.wait_timeout_ms)) {
                return bad();
            }
        } else if (flag == "--first-frame") {
            uint32_t first = 0;
            if (value == "any") {
                options.first_frame.reset();
            } else if (parse_number(value, first)) {
                options.first_frame = first;
            } else {
                return bad();
            }
        } else if (flag == "--frame-step") {
            if (!parse_number(value, options.frame_step)) {
                return bad();
            }
        } else if (flag == "--refresh-ms") {
            if (!parse_number(value, options.refresh_ms) || options.refresh_ms == 0) {
                return bad();
            }
        } else if (flag == "--size") {
            if (!parse_size(value, options.width, options.height)) {
                return bad();
            }
        } else if (flag == "--resize-after") {
            const auto colon = value.find(':');
            if (colon == std::string_view::npos ||
                !parse_number(value.substr(0, colon), options.resize_after_commits) ||
                options.resize_after_commits == 0 ||
                !parse_size(value.substr(colon + 1), options.resize_width, options.resize_height)) {
                return bad();
            }
        } else if (flag == "--configure-storm") {
            if (!parse_number(value, options.configure_storm) || options.configure_storm == 0) {
                return bad();
            }
        } else if (flag == "--format") {
            DmabufFormat format{0, DRM_FORMAT_MOD_LINEAR};
            const auto colon = value.find(':');
            if (!parse_fourcc(value.substr(0, colon), format.fourcc) ||
                (colon != std::string_view::npos &&
                 !parse_number(value.substr(colon + 1), format.modifier))) {
                return bad();
            }
            options.formats.push_back(format);
        } else if (flag == "--syncobj") {
            if (value.empty()) {
                return bad();
            }
            options.syncobj_device = value;
        } else if (flag == "--wl-drm") {
            if (value.empty()) {
                return bad();
            }
            options.wl_drm_device = value;
        } else if (flag == "--reject-format") {
            if (!parse_fourcc(value, options.reject_format)) {
                return bad();
            }
        } else if (flag == "--vanish-after") {
            if (!parse_number(value, options.vanish_after_commits) ||
                options.vanish_after_commits == 0) {
                return bad();
            }
        } else if (flag == "--remove-syncobj-after") {
            if (!parse_number(value, options.remove_syncobj_after_commits) ||
                options.remove_syncobj_after_commits == 0) {
                return bad();
            }
        } else if (flag == "--stall-after") {
            if (!parse_number(value, options.stall_after_commits) ||
                options.stall_after_commits == 0) {
                return bad();
            }
        } else if (flag == "--vanish") {
            if (value == "client") {
                options.vanish_mode = VanishMode::client;
            } else if (value == "display") {
                options.vanish_mode = VanishMode::display;
            } else {
                return bad();
            }
        } else if (flag == "--run-for-ms") {
            if (!parse_number(value, options.run_for_ms)) {
                return bad();
            }
        } else if (flag == "--png") {
            if (value.empty()) {
                return bad();
            }
            options.png_path = value;
            options.capture = true;
        } else if (flag == "--png-frame") {
            if (!parse_number(value, options.capture_frame) || options.capture_frame == 0) {
                return bad();
            }
        } else {
            return fail("unknown option " + std::string(flag));
        }
    }
    parsed.options = std::move(options);
    return parsed;
}

}  // namespace sb::compositor
