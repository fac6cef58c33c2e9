// The test compositor's protocol, on the host, over a real socket: globals, configure and
// resize, frame callbacks, refused imports, vanishing, and a clean teardown. No dma-buf can be
// made on this host (no DRM), so no frame is checked here (that is sync_test.cpp, in the VM).
#include <dirent.h>
#include <drm_fourcc.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include "compositor/compositor.hpp"
#include "compositor/test_client.hpp"
#include "kernel/unique_fd.hpp"
#include "linux-dmabuf-unstable-v1-client-protocol.h"
#include "wl-drm-client-protocol.h"

namespace sb::compositor {
namespace {

using namespace std::chrono_literals;
using testing::TestClient;

Options host_options() {
    Options options;
    options.hold_ms = 0;  // no read fences: no vgem on this host
    options.refresh_ms = 5;
    options.width = 320;
    options.height = 240;
    return options;
}

std::unique_ptr<Compositor> start(const Options& options) {
    auto compositor = Compositor::start(options);
    if (!compositor) {
        ADD_FAILURE() << compositor.error().describe();
        return nullptr;
    }
    return std::move(compositor).value();
}

std::unique_ptr<TestClient> connect(const Compositor& compositor) {
    std::string error;
    auto client = TestClient::connect(compositor.socket_name(), &error);
    EXPECT_NE(client, nullptr) << error;
    return client;
}

std::filesystem::path socket_path(const Compositor& compositor) {
    return std::filesystem::path(std::getenv("XDG_RUNTIME_DIR")) / compositor.socket_name();
}

int open_fd_count() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        count++;
    }
    return count;
}

// A memfd with room for a 64x64 ARGB8888 image: an fd that is not a dma-buf.
kernel::UniqueFd memfd_image() {
    kernel::UniqueFd fd(::memfd_create("not-a-dma-buf", MFD_CLOEXEC));
    EXPECT_TRUE(fd.valid());
    EXPECT_EQ(::ftruncate(fd.get(), off_t{64} * 64 * 4), 0);
    return fd;
}

zwp_linux_buffer_params_v1* params_for(TestClient& client, int fd) {
    zwp_linux_buffer_params_v1* params = zwp_linux_dmabuf_v1_create_params(client.dmabuf());
    zwp_linux_buffer_params_v1_add(params, fd, 0, 0, 64 * 4, 0, 0);  // LINEAR
    return params;
}

TEST(CompositorProtocol, AdvertisesTheGlobalsAndLinearFormats) {
    auto compositor = start(host_options());
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);
    const auto& globals = client->globals();
    EXPECT_EQ(globals.at("wl_compositor"), 4u);
    EXPECT_EQ(globals.at("xdg_wm_base"), 2u);
    EXPECT_EQ(globals.at("zwp_linux_dmabuf_v1"), 3u);
    EXPECT_EQ(globals.at("wp_presentation"), 1u);
    // wl_shm for drivers' own WSI (the frame-pacing baseline); its frames are not checked.
    EXPECT_EQ(globals.count("wl_shm"), 1u);
    EXPECT_EQ(client->clock_id(), static_cast<uint32_t>(CLOCK_MONOTONIC));

    const auto expected = effective_formats(compositor->options());
    ASSERT_EQ(client->modifiers().size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(client->modifiers()[i].first, expected[i].fourcc);
        EXPECT_EQ(client->modifiers()[i].second, DRM_FORMAT_MOD_LINEAR);
    }
    EXPECT_EQ(client->formats().size(), expected.size());
    EXPECT_EQ(compositor->counters().clients_connected, 1u);
}

// wl_shell (for gfxrecon-replay) only when asked for.
TEST(CompositorProtocol, OffersWlShellOnlyWithTheOption) {
    auto plain = start(host_options());
    ASSERT_NE(plain, nullptr);
    auto plain_client = connect(*plain);
    ASSERT_NE(plain_client, nullptr);
    EXPECT_EQ(plain_client->globals().count("wl_shell"), 0u);

    Options options = host_options();
    options.wl_shell = true;
    auto with_shell = start(options);
    ASSERT_NE(with_shell, nullptr);
    auto client = connect(*with_shell);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->globals().at("wl_shell"), 1u);
}

TEST(CompositorProtocol, InitialConfigureThenResizeOnRequest) {
    Options options = host_options();
    options.resize_after_commits = 3;
    options.resize_width = 800;
    options.resize_height = 600;
    auto compositor = start(options);
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);

    ASSERT_TRUE(client->create_toplevel(2s));  // commit 1
    ASSERT_EQ(client->configures().size(), 1u);
    EXPECT_EQ(client->configures()[0].width, 320);
    EXPECT_EQ(client->configures()[0].height, 240);

    compositor->resize(640, 480);
    ASSERT_TRUE(client->dispatch_until([&] { return client->configures().size() == 2; }, 2s));
    EXPECT_EQ(client->configures()[1].width, 640);
    EXPECT_EQ(client->configures()[1].height, 480);
    EXPECT_GT(client->configures()[1].serial, client->configures()[0].serial);

    client->commit_only();  // commit 2
    client->commit_only();  // commit 3: resize_after_commits
    ASSERT_TRUE(client->dispatch_until([&] { return client->configures().size() == 3; }, 2s));
    EXPECT_EQ(client->configures()[2].width, 800);
    EXPECT_EQ(client->configures()[2].height, 600);
    ASSERT_TRUE(client->roundtrip(2s));
    EXPECT_EQ(compositor->counters().configures_sent, 3u);
}

// Hostile: the resize as a storm of configures, each of another size, the requested one last,
// at every commit for kConfigureStormCommits commits.
TEST(CompositorProtocol, AConfigureStormSendsItsConfiguresAtEachCommitRequestedSizeLast) {
    Options options = host_options();
    options.resize_after_commits = 2;
    options.resize_width = 800;
    options.resize_height = 600;
    options.configure_storm = 5;
    auto compositor = start(options);
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);

    ASSERT_TRUE(client->create_toplevel(2s));  // commit 1
    client->commit_only();                     // commit 2: the storm starts
    ASSERT_TRUE(client->dispatch_until([&] { return client->configures().size() == 6; }, 2s));
    EXPECT_EQ(client->configures()[1].width, 800 + 8 * 4);
    EXPECT_EQ(client->configures()[1].height, 600 + 4 * 4);
    EXPECT_EQ(client->configures()[5].width, 800);
    EXPECT_EQ(client->configures()[5].height, 600);
    for (uint64_t commit = 3; commit <= 2 + kConfigureStormCommits; ++commit) {
        client->commit_only();
    }
    ASSERT_TRUE(client->roundtrip(2s));
    // The initial configure, then 5 for each of the storm's commits, and none after it.
    EXPECT_EQ(compositor->counters().configures_sent, 1 + 5 * kConfigureStormCommits);
    EXPECT_EQ(client->configures().back().width, 800);
}

TEST(CompositorProtocol, CommitsWithoutBuffersCompleteTheirFrameCallbacksAtTheVblank) {
    auto compositor = start(host_options());
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->create_toplevel(2s));
    for (uint64_t i = 1; i <= 3; ++i) {
        client->commit_only();
        ASSERT_TRUE(client->dispatch_until([&] { return client->frames_done() == i; }, 2s));
    }
    const Counters c = compositor->counters();
    EXPECT_EQ(c.commits, 4u);
    EXPECT_EQ(c.frame_callbacks_done, 3u);
    EXPECT_EQ(c.frames_checked, 0u);
}

TEST(CompositorProtocol, AnFdThatIsNotADmaBufIsRefused) {
    auto compositor = start(host_options());
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);

    // create: the non-fatal `failed` event.
    kernel::UniqueFd memfd = memfd_image();
    zwp_linux_buffer_params_v1* params = params_for(*client, memfd.get());
    bool failed = false;
    static constexpr zwp_linux_buffer_params_v1_listener kListener = {
        [](void*, zwp_linux_buffer_params_v1*, wl_buffer*) { ADD_FAILURE() << "created"; },
        [](void* data, zwp_linux_buffer_params_v1*) { *static_cast<bool*>(data) = true; }};
    zwp_linux_buffer_params_v1_add_listener(params, &kListener, &failed);
    zwp_linux_buffer_params_v1_create(params, 64, 64, DRM_FORMAT_ARGB8888, 0);
    EXPECT_TRUE(client->dispatch_until([&] { return failed; }, 2s));
    zwp_linux_buffer_params_v1_destroy(params);
    EXPECT_EQ(compositor->counters().buffers_rejected, 1u);

    // create_immed: the fatal invalid_wl_buffer.
    params = params_for(*client, memfd.get());
    wl_buffer* buffer =
        zwp_linux_buffer_params_v1_create_immed(params, 64, 64, DRM_FORMAT_ARGB8888, 0);
    EXPECT_FALSE(client->roundtrip(2s));
    EXPECT_EQ(client->connection_error(), EPROTO);
    const auto [interface, code] = client->protocol_error();
    EXPECT_EQ(interface, "zwp_linux_buffer_params_v1");
    EXPECT_EQ(code, static_cast<uint32_t>(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_WL_BUFFER));
    wl_buffer_destroy(buffer);
    zwp_linux_buffer_params_v1_destroy(params);
}

TEST(CompositorProtocol, AFormatThatWasNotAdvertisedIsAProtocolError) {
    auto compositor = start(host_options());
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);
    kernel::UniqueFd memfd = memfd_image();
    zwp_linux_buffer_params_v1* params = params_for(*client, memfd.get());
    wl_buffer* buffer =
        zwp_linux_buffer_params_v1_create_immed(params, 64, 64, DRM_FORMAT_RGB565, 0);
    EXPECT_FALSE(client->roundtrip(2s));
    const auto [interface, code] = client->protocol_error();
    EXPECT_EQ(interface, "zwp_linux_buffer_params_v1");
    EXPECT_EQ(code, static_cast<uint32_t>(ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_FORMAT));
    wl_buffer_destroy(buffer);
    zwp_linux_buffer_params_v1_destroy(params);
}

TEST(CompositorProtocol, VanishClientCutsTheCommittingClientOnly) {
    Options options = host_options();
    options.vanish_after_commits = 2;
    options.vanish_mode = VanishMode::client;
    auto compositor = start(options);
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->create_toplevel(2s));  // commit 1
    client->commit_only();                     // commit 2: vanish
    const auto start_time = std::chrono::steady_clock::now();
    EXPECT_FALSE(client->dispatch_until([] { return false; }, 2s));
    EXPECT_LT(std::chrono::steady_clock::now() - start_time, 1s) << "no hang";
    const int error = client->connection_error();
    EXPECT_TRUE(error == EPIPE || error == ECONNRESET) << error;
    EXPECT_EQ(client->frames_done(), 0u);

    EXPECT_TRUE(compositor->running());
    EXPECT_EQ(compositor->counters().clients_vanished, 1u);
    auto another = connect(*compositor);
    ASSERT_NE(another, nullptr);
    EXPECT_TRUE(another->roundtrip(2s));
}

TEST(CompositorProtocol, VanishDisplayTakesEveryClientAndTheSocket) {
    Options options = host_options();
    options.vanish_after_commits = 2;
    options.vanish_mode = VanishMode::display;
    auto compositor = start(options);
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    auto bystander = connect(*compositor);
    ASSERT_NE(client, nullptr);
    ASSERT_NE(bystander, nullptr);
    ASSERT_TRUE(client->create_toplevel(2s));
    client->commit_only();
    EXPECT_FALSE(client->dispatch_until([] { return false; }, 2s));
    EXPECT_NE(client->connection_error(), 0);
    EXPECT_FALSE(bystander->roundtrip(2s));
    EXPECT_NE(bystander->connection_error(), 0);
    EXPECT_TRUE(compositor->wait_until([](const Counters& c) { return c.display_gone; }, 2s));
    EXPECT_FALSE(compositor->running());
    EXPECT_FALSE(std::filesystem::exists(socket_path(*compositor)));
}

TEST(CompositorProtocol, TeardownWithAConnectedClientLeavesNoFdAndNoSocket) {
    const int fds_before = open_fd_count();
    std::filesystem::path socket;
    {
        auto compositor = start(host_options());
        ASSERT_NE(compositor, nullptr);
        socket = socket_path(*compositor);
        EXPECT_TRUE(std::filesystem::exists(socket));
        auto client = connect(*compositor);
        ASSERT_NE(client, nullptr);
        ASSERT_TRUE(client->create_toplevel(2s));
        client->commit_only();
        compositor->stop();
        EXPECT_FALSE(client->dispatch_until([] { return false; }, 2s));
        EXPECT_NE(client->connection_error(), 0);
        EXPECT_EQ(compositor->counters().feedback_presented, 0u);
    }
    EXPECT_FALSE(std::filesystem::exists(socket));
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(CompositorProtocol, StartFailsWithoutARuntimeDirectory) {
    const std::string saved = std::getenv("XDG_RUNTIME_DIR");
    ::setenv("XDG_RUNTIME_DIR", "/nonexistent/syncbridge", 1);
    Options options = host_options();
    options.socket_name = "wayland-syncbridge-test";
    auto compositor = Compositor::start(options);
    ::setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
    EXPECT_FALSE(compositor.ok());
}

// wl_drm, as Xwayland binds it: what it announces, and the requests it refuses. The device is
// any node the compositor can open (no DRM here); buffers are tried with a memfd.
struct WlDrmClient {
    wl_registry* registry = nullptr;
    wl_drm* drm = nullptr;
    std::string device;
    std::vector<uint32_t> formats;
    uint32_t capabilities = 0;

    WlDrmClient() = default;
    WlDrmClient(const WlDrmClient&) = delete;
    WlDrmClient& operator=(const WlDrmClient&) = delete;
    ~WlDrmClient() {
        if (drm != nullptr) {
            wl_drm_destroy(drm);
        }
        if (registry != nullptr) {
            wl_registry_destroy(registry);
        }
    }
    void bind(TestClient& client);
};

WlDrmClient& wl_drm_client(void* data) {
    return *static_cast<WlDrmClient*>(data);
}

const wl_drm_listener kWlDrmListener = {
    [](void* data, wl_drm* /*drm*/, const char* name) { wl_drm_client(data).device = name; },
    [](void* data, wl_drm* /*drm*/, uint32_t format) {
        wl_drm_client(data).formats.push_back(format);
    },
    [](void* /*data*/, wl_drm* /*drm*/) {},
    [](void* data, wl_drm* /*drm*/, uint32_t value) { wl_drm_client(data).capabilities = value; },
};

const wl_registry_listener kWlDrmRegistryListener = {
    [](void* data, wl_registry* registry, uint32_t name, const char* interface, uint32_t version) {
        WlDrmClient& self = wl_drm_client(data);
        if (std::string_view(interface) == wl_drm_interface.name) {
            self.drm =
                static_cast<wl_drm*>(wl_registry_bind(registry, name, &wl_drm_interface, version));
            wl_drm_add_listener(self.drm, &kWlDrmListener, &self);
        }
    },
    [](void* /*data*/, wl_registry* /*registry*/, uint32_t /*name*/) {},
};

void WlDrmClient::bind(TestClient& client) {
    registry = wl_display_get_registry(client.display());
    wl_registry_add_listener(registry, &kWlDrmRegistryListener, this);
}

TEST(CompositorProtocol, WlDrmAndAnOutputOnlyWhenAsked) {
    auto compositor = start(host_options());
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->globals().count("wl_drm"), 0u);
    EXPECT_EQ(client->globals().count("wl_output"), 0u);
}

TEST(CompositorProtocol, WlDrmNamesTheDeviceAndTheLinearFormats) {
    Options options = host_options();
    options.wl_drm_device = "/dev/null";
    auto compositor = start(options);
    ASSERT_NE(compositor, nullptr);
    auto client = connect(*compositor);
    ASSERT_NE(client, nullptr);
    EXPECT_EQ(client->globals().at("wl_drm"), 2u);
    EXPECT_EQ(client->globals().at("wl_output"), 2u);
    WlDrmClient drm;
    drm.bind(*client);
    ASSERT_TRUE(client->roundtrip(2s));
    ASSERT_TRUE(client->roundtrip(2s));
    ASSERT_NE(drm.drm, nullptr);
    EXPECT_EQ(drm.device, "/dev/null");
    std::vector<uint32_t> expected;
    for (const DmabufFormat& f : effective_formats(compositor->options())) {
        expected.push_back(f.fourcc);
    }
    EXPECT_EQ(drm.formats, expected);
    EXPECT_EQ(drm.capabilities, static_cast<uint32_t>(WL_DRM_CAPABILITY_PRIME));
}

TEST(CompositorProtocol, WlDrmRefusesGemNamesAndFdsThatAreNotDmaBufs) {
    Options options = host_options();
    options.wl_drm_device = "/dev/null";
    auto compositor = start(options);
    ASSERT_NE(compositor, nullptr);
    for (const bool prime : {false, true}) {
        SCOPED_TRACE(prime ? "create_prime_buffer (a memfd)" : "create_buffer (a GEM name)");
        auto client = connect(*compositor);
        ASSERT_NE(client, nullptr);
        WlDrmClient drm;
        drm.bind(*client);
        ASSERT_TRUE(client->roundtrip(2s));
        ASSERT_NE(drm.drm, nullptr);
        kernel::UniqueFd memfd = memfd_image();
        wl_buffer* buffer =
            prime ? wl_drm_create_prime_buffer(drm.drm, memfd.get(), 64, 64, DRM_FORMAT_ARGB8888, 0,
                                               64 * 4, 0, 0, 0, 0)
                  : wl_drm_create_buffer(drm.drm, 1, 64, 64, 64 * 4, DRM_FORMAT_ARGB8888);
        EXPECT_FALSE(client->roundtrip(2s));
        EXPECT_EQ(client->connection_error(), EPROTO);
        const auto [interface, code] = client->protocol_error();
        EXPECT_EQ(interface, "wl_drm");
        EXPECT_EQ(code, static_cast<uint32_t>(WL_DRM_ERROR_INVALID_NAME));
        wl_buffer_destroy(buffer);
    }
    EXPECT_EQ(compositor->counters().buffers_rejected, 1u);
}

}  // namespace
}  // namespace sb::compositor
