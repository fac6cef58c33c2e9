// The X11 window system against a real X server without DRI3 (Xvfb), on this host: the surface
// says "no dma-bufs" (the driver presents), answers the window's size, and turns a destroyed
// window, a dead server and a hung one into VK_ERROR_SURFACE_LOST_KHR within its timeout, with
// no X error ever reaching the app's event queue.
#include <gtest/gtest.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <chrono>

#include "wsi/x11/x11_surface.hpp"
#include "x11/x_server.hpp"

namespace sb::test::x11 {
namespace {

using namespace std::chrono_literals;
using wsi::FormatModifier;
using wsi::x11::X11Surface;

class X11Surface_ : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string error;
        server_ = XServer::start_xvfb(10s, &error);
        ASSERT_NE(server_, nullptr) << error;
        app_ = AppWindow::open(server_->display(), 200, 150);
        ASSERT_NE(app_, nullptr) << "cannot connect to " << server_->display();
        surface_ = std::make_unique<X11Surface>(app_->connection, app_->window);
    }

    // Nothing of the layer's reaches the app: no event and no error in its queue.
    void expect_app_queue_empty() {
        xcb_generic_event_t* event = xcb_poll_for_event(app_->connection);
        EXPECT_EQ(event, nullptr) << "response type "
                                  << (event != nullptr ? int{event->response_type} : 0);
        std::free(event);
    }

    std::unique_ptr<XServer> server_;
    std::unique_ptr<AppWindow> app_;
    std::unique_ptr<X11Surface> surface_;
};

TEST_F(X11Surface_, AServerWithoutDri3TakesNoDmaBufsAndTheWindowGivesTheExtent) {
    EXPECT_FALSE(wsi::x11::server_takes_dma_bufs(app_->connection));
    std::vector<FormatModifier> formats{{1, 2}};
    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    EXPECT_TRUE(formats.empty()) << "Xvfb has no DRI3: the driver must present";
    EXPECT_EQ(surface_->consumer_device(), 0U);
    VkExtent2D extent{};
    ASSERT_TRUE(surface_->current_extent(&extent));
    EXPECT_EQ(extent.width, 200U);
    EXPECT_EQ(extent.height, 150U);
    const auto modes = surface_->present_modes();
    ASSERT_FALSE(modes.empty());
    EXPECT_EQ(modes.front(), VK_PRESENT_MODE_FIFO_KHR) << "FIFO must be offered, first";
    expect_app_queue_empty();
}

TEST_F(X11Surface_, ADestroyedWindowIsALostSurfaceAndTheAppSeesNoError) {
    xcb_destroy_window(app_->connection, app_->window);
    std::free(xcb_get_input_focus_reply(app_->connection, xcb_get_input_focus(app_->connection),
                                        nullptr));
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_ERROR_SURFACE_LOST_KHR);
    VkExtent2D extent{};
    EXPECT_FALSE(surface_->current_extent(&extent));
    expect_app_queue_empty();
}

TEST_F(X11Surface_, ADeadServerIsALostSurfaceAtOnce) {
    server_->kill();
    const auto before = std::chrono::steady_clock::now();
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_ERROR_SURFACE_LOST_KHR);
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
}

TEST_F(X11Surface_, AHungServerCannotHangAQuery) {
    server_->stop();
    const auto before = std::chrono::steady_clock::now();
    std::vector<FormatModifier> formats;
    EXPECT_EQ(surface_->query_formats(&formats), VK_ERROR_SURFACE_LOST_KHR);
    const auto waited = std::chrono::steady_clock::now() - before;
    EXPECT_GE(waited, 4s) << "the reply timeout (5 s), not an early give-up";
    EXPECT_LT(waited, 8s);
    server_->resume();
    // The late answers are dropped, not left for the app; the connection still works.
    EXPECT_EQ(surface_->query_formats(&formats), VK_SUCCESS);
    expect_app_queue_empty();
}

}  // namespace
}  // namespace sb::test::x11
