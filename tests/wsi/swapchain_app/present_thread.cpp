#include "wsi/swapchain_app/present_thread.hpp"

namespace sb::swapchain_app {

PresentThread::PresentThread() : thread_([this] { serve(); }) {}

PresentThread::~PresentThread() {
    {
        const std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void PresentThread::run(const std::function<void()>& job) {
    std::unique_lock lock(mutex_);
    job_ = &job;
    changed_.notify_all();
    changed_.wait(lock, [this] { return job_ == nullptr; });
}

void PresentThread::serve() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return job_ != nullptr || stopping_; });
        if (job_ == nullptr) {
            return;  // stopping, and nothing left to run
        }
        // Not under the lock: run() waits on the condition, not on the mutex.
        const std::function<void()>* job = job_;
        lock.unlock();
        (*job)();
        lock.lock();
        job_ = nullptr;
        changed_.notify_all();
    }
}

}  // namespace sb::swapchain_app
