#include "wsi/image_ownership.hpp"

namespace sb::wsi {

const char* to_string(ImageOwner owner) {
    switch (owner) {
        case ImageOwner::free:
            return "free";
        case ImageOwner::acquired:
            return "acquired";
        case ImageOwner::queued:
            return "queued";
        case ImageOwner::held_by_consumer:
            return "held_by_consumer";
        case ImageOwner::released:
            return "released";
    }
    return "?";
}

const char* to_string(OwnershipEvent event) {
    switch (event) {
        case OwnershipEvent::acquire:
            return "acquire";
        case OwnershipEvent::queue_present:
            return "queue_present";
        case OwnershipEvent::hand_over:
            return "hand_over";
        case OwnershipEvent::release:
            return "release";
        case OwnershipEvent::retire:
            return "retire";
    }
    return "?";
}

bool next_owner(ImageOwner from, OwnershipEvent event, ImageOwner* to) {
    switch (event) {
        case OwnershipEvent::acquire:
            if (from == ImageOwner::free || from == ImageOwner::released) {
                *to = ImageOwner::acquired;
                return true;
            }
            return false;
        case OwnershipEvent::queue_present:
            if (from == ImageOwner::acquired) {
                *to = ImageOwner::queued;
                return true;
            }
            return false;
        case OwnershipEvent::hand_over:
            if (from == ImageOwner::queued) {
                *to = ImageOwner::held_by_consumer;
                return true;
            }
            return false;
        case OwnershipEvent::release:
            if (from == ImageOwner::held_by_consumer) {
                *to = ImageOwner::released;
                return true;
            }
            return false;
        case OwnershipEvent::retire:
            // Whatever the consumer still holds is lost with it; an image the app has acquired
            // stays the app's until it presents or destroys the swapchain.
            if (from == ImageOwner::acquired) {
                return false;
            }
            *to = ImageOwner::free;
            return true;
    }
    return false;
}

ImageOwnership::ImageOwnership(uint32_t image_count)
    : owners_(image_count, ImageOwner::free), released_at_(image_count, 0) {}

bool ImageOwnership::apply(uint32_t index, OwnershipEvent event) {
    std::lock_guard lock(mutex_);
    ImageOwner to{};
    if (index >= owners_.size() || !next_owner(owners_[index], event, &to)) {
        ++refused_;
        return false;
    }
    owners_[index] = to;
    if (to == ImageOwner::released) {
        released_at_[index] = ++release_clock_;
    }
    return true;
}

ImageOwner ImageOwnership::owner(uint32_t index) const {
    std::lock_guard lock(mutex_);
    return owners_.at(index);
}

int32_t ImageOwnership::find_acquirable() const {
    return find_acquirable([](uint32_t) { return true; });
}

int32_t ImageOwnership::find_acquirable(const std::function<bool(uint32_t)>& ready) const {
    std::lock_guard lock(mutex_);
    int32_t best = -1;
    for (uint32_t i = 0; i < owners_.size(); ++i) {
        if (owners_[i] != ImageOwner::free && owners_[i] != ImageOwner::released) {
            continue;
        }
        if (!ready(i)) {
            continue;
        }
        // Free images never held anything: take them first; then the longest-released one,
        // whose consumer reads are the most likely to be finished.
        const uint64_t age = owners_[i] == ImageOwner::free ? 0 : released_at_[i];
        if (best < 0 || age < (owners_[best] == ImageOwner::free ? 0 : released_at_[best])) {
            best = static_cast<int32_t>(i);
        }
    }
    return best;
}

uint32_t ImageOwnership::count(ImageOwner owner) const {
    std::lock_guard lock(mutex_);
    uint32_t n = 0;
    for (ImageOwner o : owners_) {
        n += o == owner ? 1 : 0;
    }
    return n;
}

uint64_t ImageOwnership::refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

}  // namespace sb::wsi
