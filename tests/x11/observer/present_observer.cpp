// syncbridge-x11-observer: sits between an X11 client and a real X server (Xorg with DRI3 and
// Present, whose software glamor does not wait for implicit fences) and judges every
// PresentPixmap against syncbridge's contract, as the test compositor judges Wayland commits:
//  - stale: when the client asks the server to present a pixmap, the frame must be in its
//    dma-buf, or the render's write fence must be (the observer waits for write fences, as an
//    implicit-sync reader would, then reads the frame colour: frame k of a connection is f(k),
//    tests/compositor/frame_colour.hpp). With --content-agnostic (real clients such as vkcube):
//    stale is an unwritten buffer or one unchanged since the observer last read it, as in the
//    test compositor's mode of the same name;
//  - overwritten: the observer holds a read fence on the buffer (a vgem fence, as a GPU
//    compositor's pending reads) from the present until `hold` after the server's IdleNotify for
//    it, which it passes on at once; the content must not change meanwhile.
// One line per connection goes to the report file when the client disconnects:
//   presents=N stale=S overwritten=O unknown=U pixmaps_live=L
// (L: DRI3 pixmaps the client made and never freed before it left).
// usage: syncbridge-x11-observer --listen N --server M [--hold-ms MS] [--content-agnostic]
//          [--png FILE --png-frame K] --report FILE
//   --png: the K-th frame (1-based) the first connection to get that far presents, as the
//   observer read it, to FILE.
//   listens on /tmp/.X11-unix/XN (display :N), connects each client to display :M.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compositor/content.hpp"
#include "compositor/frame_colour.hpp"
#include "compositor/frame_image.hpp"
#include "compositor/png.hpp"
#include "kernel/dma_buf.hpp"
#include "kernel/unique_fd.hpp"
#include "support/vgem.hpp"
#include "x11/observer/x11_stream.hpp"

namespace sb::test::x11 {
namespace {

using Clock = std::chrono::steady_clock;
using kernel::Access;
using kernel::UniqueFd;

std::atomic<bool> g_stop{false};
bool g_png_written = false;
constexpr size_t kMaxFds = 16;
constexpr auto kWriteWait = std::chrono::seconds(2);

struct Options {
    int listen = -1;
    int server = -1;
    std::chrono::milliseconds hold{20};
    bool content_agnostic = false;
    std::string report;
    std::string png;
    uint32_t png_frame = 0;
};

struct Pixmap {
    kernel::DmaBuf buffer;
    kernel::DmaBufMapping map;
    compositor::PixelRect rect;
    std::optional<uint32_t> vgem_handle;
    std::optional<uint64_t> last_read_hash;  // content-agnostic: what the last present showed
};

struct Hold {
    uint32_t fence = 0;                      // the vgem read fence
    uint64_t seen = 0;                       // the content's hash at present
    std::optional<Clock::time_point> until;  // set by IdleNotify
};

struct Counts {
    uint32_t presents = 0;
    uint32_t stale = 0;
    uint32_t overwritten = 0;
    uint32_t unknown = 0;
    uint32_t pixmaps_live = 0;  // made from dma-bufs and not freed when the client left
};

// Reads up to `size` bytes and any fds passed with them (close-on-exec). 0 at end of stream.
ssize_t receive(int fd, uint8_t* data, size_t size, std::deque<UniqueFd>* fds) {
    iovec iov{data, size};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; ++i) {
                int received = -1;
                std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                fds->emplace_back(received);
            }
        }
    }
    return n;
}

// Sends all of `data`, with `fds` (duplicated into the peer) on the first piece.
bool send_all(int fd, const uint8_t* data, size_t size, const std::vector<int>& fds) {
    bool first = true;
    while (size > 0) {
        iovec iov{const_cast<uint8_t*>(data), size};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (first && !fds.empty()) {
            msg.msg_control = control;
            msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
            cmsghdr* c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
            std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
        }
        const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            return false;
        }
        first = false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

// The Unix socket of X display :N.
sockaddr_un display_address(int display) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/.X11-unix/X%d", display);
    return addr;
}

UniqueFd connect_display(int display) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_un addr = display_address(display);
    if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        return UniqueFd();
    }
    return fd;
}

class Connection {
  public:
    Connection(UniqueFd client, UniqueFd server, Vgem& vgem, const Options& options)
        : client_(std::move(client)), server_(std::move(server)), vgem_(vgem), options_(options) {}

    [[nodiscard]] int client_fd() const { return client_.get(); }
    [[nodiscard]] int server_fd() const { return server_.get(); }

    // False once either side closed.
    bool from_client() { return pump(client_.get(), server_.get(), true); }
    bool from_server() { return pump(server_.get(), client_.get(), false); }

    std::optional<Clock::time_point> next_deadline() const {
        std::optional<Clock::time_point> next;
        for (const auto& [pixmap, hold] : holds_) {
            if (hold.until && (!next || *hold.until < *next)) {
                next = hold.until;
            }
        }
        return next;
    }

    void finish_due_holds() {
        const auto now = Clock::now();
        std::vector<uint32_t> due;
        for (const auto& [pixmap, hold] : holds_) {
            if (hold.until && *hold.until <= now) {
                due.push_back(pixmap);
            }
        }
        for (uint32_t pixmap : due) {
            finish_hold(pixmap);
        }
    }

    Counts close() {
        while (!holds_.empty()) {
            finish_hold(holds_.begin()->first);
        }
        counts_.pixmaps_live = static_cast<uint32_t>(pixmaps_.size());
        return counts_;
    }

  private:
    bool pump(int from, int to, bool client_side) {
        uint8_t chunk[65536];
        std::deque<UniqueFd> fds;
        const ssize_t n = receive(from, chunk, sizeof(chunk), &fds);
        if (n <= 0) {
            return n < 0 && errno == EINTR;
        }
        std::vector<int> raw;
        raw.reserve(fds.size());
        for (const UniqueFd& fd : fds) {
            raw.push_back(fd.get());
        }
        auto& buffer = client_side ? to_server_ : to_client_;
        buffer.insert(buffer.end(), chunk, chunk + n);
        if (client_side) {
            for (UniqueFd& fd : fds) {
                auto copy = UniqueFd::duplicate(fd.get());
                if (copy) {
                    request_fds_.push_back(std::move(*copy));
                }
            }
            parse_requests();  // judges a PresentPixmap before the server can see it
        } else {
            parse_server_messages();
        }
        return send_all(to, chunk, static_cast<size_t>(n), raw);
    }

    void parse_requests() {
        for (;;) {
            const size_t size =
                client_setup_done_ ? request_size(to_server_) : client_setup_size(to_server_);
            if (size == 0) {
                return;
            }
            if (client_setup_done_) {
                ++sequence_;
                on_request(to_server_.data(), size);
            }
            client_setup_done_ = true;
            to_server_.erase(to_server_.begin(), to_server_.begin() + static_cast<long>(size));
        }
    }

    UniqueFd take_request_fd() {
        if (request_fds_.empty()) {
            return UniqueFd();
        }
        UniqueFd fd = std::move(request_fds_.front());
        request_fds_.pop_front();
        return fd;
    }

    void on_request(const uint8_t* r, size_t size) {
        const uint8_t opcode = r[0];
        if (opcode == kQueryExtension && size >= 8) {
            const size_t length = read16(r + 4);
            queries_[sequence_] =
                std::string(reinterpret_cast<const char*>(r + 8), std::min(length, size - 8));
        } else if (opcode == kFreePixmap && size >= 8) {
            const uint32_t pixmap = read32(r + 4);
            if (holds_.count(pixmap) != 0) {
                finish_hold(pixmap);
            }
            pixmaps_.erase(pixmap);
        } else if (dri3_ >= 0 && opcode == dri3_) {
            on_dri3(r, size);
        } else if (present_ >= 0 && opcode == present_ && r[1] == kPresentPixmap && size >= 12) {
            on_present(read32(r + 8));
        }
    }

    void on_dri3(const uint8_t* r, size_t size) {
        const uint8_t minor = r[1];
        if (minor == kDri3PixmapFromBuffer && size >= 24) {
            add_pixmap(read32(r + 4), take_request_fd(),
                       {0, read16(r + 20), read16(r + 16), read16(r + 18)});
        } else if (minor == kDri3PixmapFromBuffers && size >= 28) {
            const uint8_t count = r[12];
            UniqueFd first = take_request_fd();
            for (uint8_t i = 1; i < count; ++i) {
                (void)take_request_fd();
            }
            add_pixmap(read32(r + 4), std::move(first),
                       {read32(r + 24), read32(r + 20), read16(r + 16), read16(r + 18)});
        } else if (minor == kDri3FenceFromFd) {
            (void)take_request_fd();
        }
    }

    void add_pixmap(uint32_t id, UniqueFd fd, compositor::PixelRect rect) {
        Pixmap pixmap;
        pixmap.buffer = kernel::DmaBuf(std::move(fd));
        pixmap.rect = rect;
        auto mapped = pixmap.buffer.map(
            rect.offset + size_t{rect.stride} * static_cast<size_t>(rect.height), Access::read);
        if (!mapped) {
            std::fprintf(stderr, "observer: cannot map pixmap 0x%x: %s\n", id,
                         mapped.error().describe().c_str());
            return;
        }
        pixmap.map = std::move(*mapped);
        pixmaps_[id] = std::move(pixmap);
    }

    static compositor::Content content(const Pixmap& p) {
        return compositor::inspect_pixels(static_cast<const uint8_t*>(p.map.data()), p.map.size(),
                                          p.rect);
    }

    void on_present(uint32_t id) {
        if (holds_.count(id) != 0) {
            finish_hold(id);  // presented again: the client had it back
        }
        auto it = pixmaps_.find(id);
        if (it == pixmaps_.end()) {
            ++counts_.unknown;
            return;
        }
        Pixmap& p = it->second;
        const uint32_t frame = counts_.presents++;
        // As an implicit-sync reader: the write fences first, then the frame.
        (void)p.buffer.wait_idle(Access::read, kWriteWait);
        const compositor::Content seen = content(p);
        const bool stale =
            options_.content_agnostic
                ? compositor::unwritten_or_unchanged(seen, p.last_read_hash)
                : !seen.uniform || (seen.first_pixel & compositor::kColourMask) !=
                                       (compositor::frame_pixel(frame) & compositor::kColourMask);
        counts_.stale += stale ? 1 : 0;
        p.last_read_hash = seen.hash;
        if (!options_.png.empty() && counts_.presents == options_.png_frame && !g_png_written) {
            write_png(p);  // the first connection's only: later runs (a control) keep it
            g_png_written = true;
        }
        if (!p.vgem_handle) {
            auto handle = vgem_.import_dma_buf(p.buffer);
            if (!handle) {
                std::fprintf(stderr, "observer: vgem cannot import pixmap 0x%x: %s\n", id,
                             handle.error().describe().c_str());
                return;
            }
            p.vgem_handle = *handle;
        }
        auto fence = vgem_.attach_fence(*p.vgem_handle, Access::read);
        if (!fence) {
            std::fprintf(stderr, "observer: no read fence: %s\n", fence.error().describe().c_str());
            return;
        }
        holds_[id] = Hold{*fence, seen.hash, std::nullopt};
    }

    void write_png(const Pixmap& p) const {
        constexpr uint32_t kXrgb8888 = 0x34325258;  // depth 24 and 32 pixmaps: BGRX in memory
        compositor::FrameImage image = compositor::copy_pixels(
            static_cast<const uint8_t*>(p.map.data()), p.map.size(), p.rect);
        image.format = kXrgb8888;
        if (auto written = compositor::write_png(options_.png, image); !written) {
            std::fprintf(stderr, "observer: %s: %s\n", options_.png.c_str(),
                         written.error().describe().c_str());
        }
    }

    void finish_hold(uint32_t id) {
        auto hold = holds_.find(id);
        auto pixmap = pixmaps_.find(id);
        if (pixmap != pixmaps_.end() && content(pixmap->second).hash != hold->second.seen) {
            ++counts_.overwritten;
        }
        (void)vgem_.signal(hold->second.fence);
        holds_.erase(hold);
    }

    void parse_server_messages() {
        for (;;) {
            const size_t size = server_setup_done_ ? server_message_size(to_client_)
                                                   : server_setup_size(to_client_);
            if (size == 0) {
                return;
            }
            if (server_setup_done_) {
                on_server_message(to_client_.data(), size);
            }
            server_setup_done_ = true;
            to_client_.erase(to_client_.begin(), to_client_.begin() + static_cast<long>(size));
        }
    }

    void on_server_message(const uint8_t* m, size_t size) {
        const uint8_t type = m[0] & 0x7F;
        if (type == 1) {
            auto query = queries_.find(read16(m + 2));
            if (query != queries_.end()) {
                if (m[8] != 0 && query->second == "DRI3") {
                    dri3_ = m[9];
                } else if (m[8] != 0 && query->second == "Present") {
                    present_ = m[9];
                }
                queries_.erase(query);
            }
        } else if (type == kGenericEvent && present_ >= 0 && m[1] == present_ && size >= 28 &&
                   read16(m + 8) == kPresentIdleNotify) {
            auto hold = holds_.find(read32(m + 24));
            if (hold != holds_.end() && !hold->second.until) {
                // The server is done; a GPU's reads could still be running: hold on a while.
                hold->second.until = Clock::now() + options_.hold;
            }
        }
    }

    UniqueFd client_;
    UniqueFd server_;
    Vgem& vgem_;
    const Options& options_;
    std::vector<uint8_t> to_server_;
    std::vector<uint8_t> to_client_;
    std::deque<UniqueFd> request_fds_;
    bool client_setup_done_ = false;
    bool server_setup_done_ = false;
    uint16_t sequence_ = 0;
    std::map<uint16_t, std::string> queries_;
    int dri3_ = -1;
    int present_ = -1;
    std::map<uint32_t, Pixmap> pixmaps_;
    std::map<uint32_t, Hold> holds_;
    Counts counts_;
};

UniqueFd listen_display(int display) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const sockaddr_un addr = display_address(display);
    ::unlink(addr.sun_path);
    if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd.get(), 8) != 0) {
        return UniqueFd();
    }
    return fd;
}

void report(const Options& options, const Counts& c) {
    FILE* out = std::fopen(options.report.c_str(), "ae");
    if (out == nullptr) {
        return;
    }
    std::fprintf(out, "presents=%u stale=%u overwritten=%u unknown=%u pixmaps_live=%u\n",
                 c.presents, c.stale, c.overwritten, c.unknown, c.pixmaps_live);
    std::fclose(out);
    std::fprintf(stderr, "observer: presents=%u stale=%u overwritten=%u unknown=%u\n", c.presents,
                 c.stale, c.overwritten, c.unknown);
}

int run(const Options& options) {
    auto vgem = Vgem::open();
    if (!vgem) {
        std::fprintf(stderr, "observer: no vgem: %s\n", vgem.error().describe().c_str());
        return 1;
    }
    UniqueFd listener = listen_display(options.listen);
    if (!listener) {
        std::fprintf(stderr, "observer: cannot listen on :%d: %s\n", options.listen,
                     std::strerror(errno));
        return 1;
    }
    std::vector<std::unique_ptr<Connection>> connections;
    while (!g_stop.load()) {
        std::vector<pollfd> fds{{listener.get(), POLLIN, 0}};
        auto timeout = std::chrono::milliseconds(100);
        for (const auto& c : connections) {
            fds.push_back({c->client_fd(), POLLIN, 0});
            fds.push_back({c->server_fd(), POLLIN, 0});
            if (auto next = c->next_deadline()) {
                timeout = std::min(timeout, std::chrono::ceil<std::chrono::milliseconds>(
                                                std::max(*next - Clock::now(), Clock::duration{})));
            }
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) < 0 &&
            errno != EINTR) {
            return 1;
        }
        if ((fds[0].revents & POLLIN) != 0) {
            UniqueFd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
            UniqueFd server = connect_display(options.server);
            if (client && server) {
                connections.push_back(std::make_unique<Connection>(
                    std::move(client), std::move(server), *vgem, options));
            }
        }
        for (size_t i = 0; i < connections.size(); ++i) {
            const pollfd& from_client = fds[1 + 2 * i];
            const pollfd& from_server = fds[2 + 2 * i];
            bool open = true;
            if ((from_client.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                open = connections[i]->from_client();
            }
            if (open && (from_server.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                open = connections[i]->from_server();
            }
            connections[i]->finish_due_holds();
            if (!open) {
                report(options, connections[i]->close());
                connections[i].reset();
            }
        }
        std::erase(connections, nullptr);
    }
    for (auto& c : connections) {
        report(options, c->close());
    }
    return 0;
}

}  // namespace
}  // namespace sb::test::x11

int main(int argc, char** argv) {
    sb::test::x11::Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--content-agnostic") {
            options.content_agnostic = true;
            continue;
        }
        if (i + 1 >= argc) {
            break;
        }
        ++i;
        if (flag == "--listen") {
            options.listen = std::atoi(argv[i]);
        } else if (flag == "--server") {
            options.server = std::atoi(argv[i]);
        } else if (flag == "--hold-ms") {
            options.hold = std::chrono::milliseconds(std::atoi(argv[i]));
        } else if (flag == "--png") {
            options.png = argv[i];
        } else if (flag == "--png-frame") {
            options.png_frame = static_cast<uint32_t>(std::atoi(argv[i]));
        } else if (flag == "--report") {
            options.report = argv[i];
        }
    }
    if (options.listen < 0 || options.server < 0 || options.report.empty()) {
        std::fprintf(stderr,
                     "usage: syncbridge-x11-observer --listen N --server M [--hold-ms MS] "
                     "--report FILE\n");
        return 2;
    }
    ::signal(SIGTERM, [](int) { sb::test::x11::g_stop = true; });
    ::signal(SIGPIPE, SIG_IGN);
    return sb::test::x11::run(options);
}
