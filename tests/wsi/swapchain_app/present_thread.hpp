// --present-thread: the app's presents made on a thread of their own, its acquires and submits
// on the frame loop's, as an engine with a render thread and a present thread does.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sb::swapchain_app {

// Runs each job on its own thread and returns when the job is done: the frame loop hands a
// present over after its submit and waits for it. Waiting makes the hand-over the external
// synchronisation Vulkan asks for (the queue and the swapchain are used by one thread at a
// time), while the layer sees its calls for one swapchain come from two threads.
class PresentThread {
  public:
    PresentThread();
    ~PresentThread();
    PresentThread(const PresentThread&) = delete;
    PresentThread& operator=(const PresentThread&) = delete;

    void run(const std::function<void()>& job);

  private:
    void serve();

    std::mutex mutex_;
    std::condition_variable changed_;
    const std::function<void()>* job_ = nullptr;  // set by run(), cleared when done
    bool stopping_ = false;
    std::thread thread_;  // last: started once the members above exist
};

}  // namespace sb::swapchain_app
