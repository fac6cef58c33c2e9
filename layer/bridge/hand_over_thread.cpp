#include "bridge/hand_over_thread.hpp"

#include "util/thread.hpp"

namespace sb::bridge {

HandOverThread::HandOverThread(HandOver hand_over, std::chrono::nanoseconds timeout)
    : hand_over_(std::move(hand_over)), timeout_(timeout) {
    start_error_ = util::start_thread(
        "sb-hand-over", [this] { run(); }, &thread_);
}

HandOverThread::~HandOverThread() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void HandOverThread::enqueue(uint32_t image, Wait wait) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(Item{image, std::move(wait)});
    }
    changed_.notify_all();
}

void HandOverThread::drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

size_t HandOverThread::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + (busy_ ? 1 : 0);
}

void HandOverThread::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
            break;
        }
        Item item = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        lock.unlock();

        auto waited = item.wait(timeout_);
        HandOverOutcome outcome = HandOverOutcome::failed;
        if (waited) {
            outcome = *waited == kernel::WaitOutcome::ready ? HandOverOutcome::ready
                                                            : HandOverOutcome::timed_out;
        }
        hand_over_(item.image, outcome);

        lock.lock();
        busy_ = false;
        changed_.notify_all();
    }
    // Whatever is still queued never reaches the consumer: the swapchain is going away.
    std::deque<Item> dropped;
    dropped.swap(queue_);
    lock.unlock();
    for (const Item& item : dropped) {
        hand_over_(item.image, HandOverOutcome::cancelled);
    }
    lock.lock();
    changed_.notify_all();
}

}  // namespace sb::bridge
