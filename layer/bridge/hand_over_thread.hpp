// The wait strategy's thread: where the kernel or driver cannot carry a fence into the dma-buf,
// someone must wait for the render before the buffer goes to the consumer. That someone is this
// thread, never the app's: vkQueuePresentKHR queues the hand-over and returns, so the app keeps
// up to (image count - 1) frames in flight. Hand-overs happen in the order they were queued,
// because presentation order is the app's order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "kernel/sys.hpp"

namespace sb::bridge {

enum class HandOverOutcome {
    ready,      // the wait succeeded: hand the buffer over
    timed_out,  // the render did not finish by the deadline (treat as device lost)
    failed,     // the wait itself failed (treat as device lost)
    cancelled,  // the thread stopped first (swapchain destroyed): do not hand over
};

class HandOverThread {
  public:
    // Blocks until the render is done or `timeout` passes.
    using Wait = std::function<kernel::Result<kernel::WaitOutcome>(std::chrono::nanoseconds)>;
    // Called on the thread with the wait's outcome.
    using HandOver = std::function<void(uint32_t image, HandOverOutcome outcome)>;

    // Starts the thread; start_error() says whether that failed.
    HandOverThread(HandOver hand_over, std::chrono::nanoseconds timeout);
    // Stops the thread: the item being waited for finishes its wait, the rest are cancelled.
    ~HandOverThread();
    HandOverThread(const HandOverThread&) = delete;
    HandOverThread& operator=(const HandOverThread&) = delete;

    void enqueue(uint32_t image, Wait wait);
    // Blocks until every queued item has been handed over (or cancelled).
    void drain();
    [[nodiscard]] size_t pending() const;
    // 0 once the thread runs, else the errno that kept it from starting (util/thread.hpp): then
    // nothing may be enqueued, and the owner reports the failure.
    [[nodiscard]] int start_error() const { return start_error_; }

  private:
    struct Item {
        uint32_t image;
        Wait wait;
    };
    void run();

    HandOver hand_over_;
    std::chrono::nanoseconds timeout_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Item> queue_;
    bool busy_ = false;
    bool stopping_ = false;
    int start_error_ = 0;
    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace sb::bridge
