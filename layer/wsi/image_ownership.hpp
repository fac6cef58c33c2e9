// Who owns each swapchain image, and the only ways ownership may change hands.
//
//   free ──acquire──▶ acquired ──queue_present──▶ queued ──hand_over──▶ held_by_consumer
//    ▲                   │                          │                        │
//    │                   └──────── (retire) ────────┴───────── release ──────┘
//    └──────────────────────────────── released ◀────────────────────────────┘
//
// `released` means the consumer has handed the buffer back but its reads may still be pending
// (GPU compositors send wl_buffer.release before their sampling finishes): the image may be
// acquired again only with those reads as the acquire fence, so it is acquirable like `free`.
// A buffer is never handed to a consumer before it is queued with its render fence, and never
// acquired while a consumer holds it: those rules live here, in one table, not at call sites.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace sb::wsi {

enum class ImageOwner : uint8_t { free, acquired, queued, held_by_consumer, released };

enum class OwnershipEvent : uint8_t {
    acquire,        // vkAcquireNextImageKHR hands the image to the app
    queue_present,  // vkQueuePresentKHR: the app gives it back with its render semaphores
    hand_over,      // the layer gives it to the consumer (attach/commit, PresentPixmap)
    release,        // the consumer gives it back (wl_buffer.release, PresentIdleNotify)
    retire,         // the swapchain is retired/destroyed or the consumer vanished
};

const char* to_string(ImageOwner owner);
const char* to_string(OwnershipEvent event);

// The transition table: the owner after `event`, or false if the event is not allowed.
bool next_owner(ImageOwner from, OwnershipEvent event, ImageOwner* to);

// The owners of a swapchain's images, thread-safe: the app's threads acquire and present while
// the window system's event thread releases.
class ImageOwnership {
  public:
    explicit ImageOwnership(uint32_t image_count);

    // Applies `event` to image `index`; false (and no change) if the table forbids it.
    bool apply(uint32_t index, OwnershipEvent event);
    [[nodiscard]] ImageOwner owner(uint32_t index) const;
    // An image the app may acquire (free or released), oldest release first; -1 if none.
    [[nodiscard]] int32_t find_acquirable() const;
    // The same, among the images for which `ready(index)` also holds (-1 if none).
    [[nodiscard]] int32_t find_acquirable(const std::function<bool(uint32_t)>& ready) const;
    [[nodiscard]] uint32_t count(ImageOwner owner) const;
    [[nodiscard]] uint32_t image_count() const { return static_cast<uint32_t>(owners_.size()); }
    // Forbidden transitions attempted so far: a consumer releasing twice shows up here.
    [[nodiscard]] uint64_t refused() const;

  private:
    mutable std::mutex mutex_;
    std::vector<ImageOwner> owners_;
    std::vector<uint64_t> released_at_;  // order of release, for fairness
    uint64_t release_clock_ = 0;
    uint64_t refused_ = 0;
};

}  // namespace sb::wsi
