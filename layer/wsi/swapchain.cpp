#include "wsi/swapchain.hpp"

#include <drm_fourcc.h>

#include <algorithm>
#include <new>

#include "bridge/fence_transfer.hpp"
#include "util/fault.hpp"
#include "util/log.hpp"
#include "util/scratch_array.hpp"

namespace sb::wsi {

Swapchain::Swapchain(const DeviceContext& device, const SwapchainConfig& config,
                     const VkAllocationCallbacks* alloc)
    : device_(device), config_(config), alloc_(alloc), ownership_(config.image_count) {}

VkResult Swapchain::create_images(std::vector<BufferDescription>* buffers) {
    buffers->clear();
    for (uint32_t i = 0; i < config_.image_count; ++i) {
        DmaBufImage image;
        if (VkResult r =
                create_dma_buf_image(*device_.next, device_.device, device_.memory_properties,
                                     image_info_, alloc_.get(), &image);
            r != VK_SUCCESS) {
            SB_LOG(error, "swapchain image %u: cannot allocate a dma-buf image (VkResult %d)", i,
                   r);
            return r;  // the caller or the destructor frees the images made so far
        }
        BufferDescription desc;
        desc.dma_buf_fd = image.dma_buf.fd();
        desc.width = config_.extent.width;
        desc.height = config_.extent.height;
        desc.drm_format = config_.drm_format;
        desc.modifier = config_.consumer_modifier == DRM_FORMAT_MOD_INVALID ? DRM_FORMAT_MOD_INVALID
                                                                            : image.modifier;
        desc.offset = static_cast<uint32_t>(image.offset);
        desc.stride = image.stride;
        desc.depth = config_.depth;
        desc.bpp = 32;  // every format the layer offers is 4 bytes a pixel
        buffers->push_back(desc);
        images_.push_back(std::move(image));
    }
    return VK_SUCCESS;
}

void Swapchain::destroy_images() {
    for (DmaBufImage& image : images_) {
        destroy_dma_buf_image(*device_.next, device_.device, alloc_.get(), &image);
    }
    images_.clear();
}

// The images go to the consumer. One that refuses the driver's dma-bufs (an X server imports
// only memory of its own device: Xorg's modesetting driver answers BadAlloc for vgem's) gets the
// layer's allocation on its device instead; the surface remembers it, so the next swapchain
// tries that first.
VkResult Swapchain::connect_consumer(Surface& surface, std::vector<BufferDescription>& buffers) {
    VkResult r =
        surface.create_presenter(buffers, AppDevice{device_.render_node}, this, &presenter_);
    if (r == VK_ERROR_OUT_OF_HOST_MEMORY && !image_info_.layer_allocates &&
        image_info_.consumer_device != 0) {
        SB_LOG(info,
               "the consumer refused the driver's dma-bufs: the layer allocates the swapchain's "
               "memory on the consumer's device");
        surface.prefer_layer_memory();
        destroy_images();
        image_info_.layer_allocates = true;
        r = create_images(&buffers);
        if (r == VK_SUCCESS) {
            r = surface.create_presenter(buffers, AppDevice{device_.render_node}, this,
                                         &presenter_);
        }
    }
    explicit_sync_ =
        r == VK_SUCCESS && presenter_->consumer_sync() == ConsumerSync::explicit_fences;
    return r;
}

VkResult Swapchain::create(const DeviceContext& device, Surface& surface,
                           const SwapchainConfig& config, const VkAllocationCallbacks* alloc,
                           std::unique_ptr<Swapchain>* out) {
    std::unique_ptr<Swapchain> chain(new (std::nothrow) Swapchain(device, config, alloc));
    if (!chain) {
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    DmaBufImageInfo& info = chain->image_info_;
    info.format = config.format;
    info.extent = config.extent;
    info.usage = config.usage;
    info.use_drm_format_modifier = device.drm_format_modifier;
    info.layer_allocates = device.layer_allocates || surface.prefers_layer_memory();
    info.consumer_device = surface.consumer_device();
    std::vector<BufferDescription> buffers;
    if (VkResult r = chain->create_images(&buffers); r != VK_SUCCESS) {
        return r;
    }
    chain->unimported_reads_.resize(config.image_count);
    if (!chain->presents_on_thread()) {
        if (VkResult r = bridge::create_exportable_semaphore(*device.next, device.device,
                                                             &chain->render_done_carrier_, alloc);
            r != VK_SUCCESS) {
            return r;
        }
    }
    if (device.strategy == bridge::Strategy::userspace_wait && device.acquire_imports_reads) {
        // Room first: a semaphore made is always owned by the list.
        chain->reads_carriers_.reserve(config.image_count);
        for (uint32_t i = 0; i < config.image_count; ++i) {
            VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
            VkSemaphore semaphore = VK_NULL_HANDLE;
            if (VkResult r = device.next->CreateSemaphore(device.device, &info, alloc, &semaphore);
                r != VK_SUCCESS) {
                return r;
            }
            chain->reads_carriers_.push_back(semaphore);
        }
    }
    if (chain->presents_on_thread()) {
        Swapchain* self = chain.get();
        chain->hand_over_thread_.reset(new (std::nothrow) bridge::HandOverThread(
            [self](uint32_t index, bridge::HandOverOutcome outcome) {
                if (outcome == bridge::HandOverOutcome::ready) {
                    (void)self->hand_over(index);
                } else if (outcome != bridge::HandOverOutcome::cancelled) {
                    SB_LOG_ONCE(error, "a frame's rendering did not finish in time: device lost");
                    self->on_lost();
                }
            },
            config.render_timeout));
        if (!chain->hand_over_thread_) {
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
        if (const int failed = chain->hand_over_thread_->start_error(); failed != 0) {
            SB_LOG(error, "swapchain: cannot start the hand-over thread: %s",
                   kernel::Error{failed, "pthread_create (sb-hand-over)"}.describe().c_str());
            return VK_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    if (VkResult r = chain->connect_consumer(surface, buffers); r != VK_SUCCESS) {
        return r;
    }
    *out = std::move(chain);
    return VK_SUCCESS;
}

Swapchain::~Swapchain() {
    // Order matters: no hand-over may start, and no consumer event may arrive, once the images
    // begin to go away. Presents already queued still reach the consumer (each wait has its
    // deadline), as the app's last frame should: vkcube on weston 14 lost its last commit when
    // they were cancelled.
    if (hand_over_thread_) {
        hand_over_thread_->drain();
    }
    hand_over_thread_.reset();
    presenter_.reset();
    try {
        wait_for_layer_submits();
    } catch (...) {
        // Only a failed lock or log line can throw here; the carriers go regardless, as they
        // would have with the device lost.
    }
    destroy_images();
    if (render_done_carrier_ != VK_NULL_HANDLE) {
        device_.next->DestroySemaphore(device_.device, render_done_carrier_, alloc_.get());
    }
    for (VkSemaphore semaphore : reads_carriers_) {
        device_.next->DestroySemaphore(device_.device, semaphore, alloc_.get());
    }
}

VkResult Swapchain::create_alias_image(const VkAllocationCallbacks* alloc, VkImage* image) const {
    return wsi::create_alias_image(*device_.next, device_.device, image_info_, images_.front(),
                                   alloc, image);
}

// The layer's own batches that name the carriers must be done before they are destroyed (the
// app answers for its own work on the images). Not vkDeviceWaitIdle: that needs every queue of
// the device externally synchronised, and the app may be submitting on another thread.
void Swapchain::wait_for_layer_submits() {
    constexpr auto kDrainTimeout = std::chrono::seconds(5);
    if (render_done_carrier_ != VK_NULL_HANDLE) {
        if (device_.disable_fence_transfer_for_tests) {
            // The control put no fence in the images; only a device-wide wait is left.
            (void)device_.next->DeviceWaitIdle(device_.device);
        } else {
            // Every batch that signalled the carrier left its render-done in one of this
            // swapchain's images as a write fence (present() waits for it itself where it
            // cannot), and waiting for those holds no fd.
            for (const DmaBufImage& image : images_) {
                auto idle = image.dma_buf.wait_idle(kernel::Access::read, kDrainTimeout);
                if (!idle || *idle != kernel::WaitOutcome::ready) {
                    SB_LOG_ONCE(error, "swapchain destroy: a present's submit did not finish");
                }
            }
        }
    }
    if (!reads_carriers_.empty() && device_.internal_queue != VK_NULL_HANDLE) {
        // The acquire signals wait on them, on the layer's queue, whose use the layer serialises.
        std::unique_lock<std::mutex> queue_lock;
        if (device_.internal_queue_mutex != nullptr) {
            queue_lock = std::unique_lock(*device_.internal_queue_mutex);
        }
        (void)device_.next->QueueWaitIdle(device_.internal_queue);
    }
}

VkResult Swapchain::get_images(uint32_t* count, VkImage* images) const {
    const auto total = static_cast<uint32_t>(images_.size());
    if (images == nullptr) {
        *count = total;
        return VK_SUCCESS;
    }
    const uint32_t n = std::min(*count, total);
    for (uint32_t i = 0; i < n; ++i) {
        images[i] = images_[i].image;
    }
    *count = n;
    return n < total ? VK_INCOMPLETE : VK_SUCCESS;
}

VkResult Swapchain::status_result(VkResult success) const {
    if (lost_) {
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    if (retired_ || out_of_date_) {
        return VK_ERROR_OUT_OF_DATE_KHR;
    }
    return suboptimal_ && success == VK_SUCCESS ? VK_SUBOPTIMAL_KHR : success;
}

// A consumer whose size no longer matches (X11: the window was resized; the window system
// defines the extent) gets the frame it was handed, told VK_SUBOPTIMAL_KHR once at a present, so
// that no frame in flight is lost; from then on the swapchain is out of date and the app must
// recreate it: Present would draw the old size at the window's origin.
VkResult Swapchain::present_result() {
    const VkResult r = status_result(VK_SUCCESS);
    if (r == VK_SUBOPTIMAL_KHR) {
        out_of_date_ = true;
    }
    return r;
}

bool Swapchain::waits_for_reads_on_cpu() const {
    return device_.strategy == bridge::Strategy::userspace_wait && reads_carriers_.empty() &&
           !device_.disable_fence_transfer_for_tests;
}

bool Swapchain::release_fence_ready(uint32_t index) const {
    auto signalled = presenter_->release_signalled(index);
    return !signalled || *signalled;  // an error: let acquire report it
}

bool Swapchain::unimported_reads_done(uint32_t index) const {
    const kernel::SyncFile& reads = unimported_reads_[index];
    if (reads.is_stub()) {
        return true;
    }
    auto signalled = reads.is_signalled();
    return !signalled || *signalled;  // an error: let acquire report it
}

bool Swapchain::unimported_reads_pending() const {
    return std::any_of(unimported_reads_.begin(), unimported_reads_.end(),
                       [](const kernel::SyncFile& reads) { return !reads.is_stub(); });
}

int32_t Swapchain::find_acquirable() const {
    // A release fence the kernel could not put into the dma-buf (on_released) keeps its image
    // unavailable until it signals, so that the acquire timeout covers that wait too.
    const bool unimported = unimported_reads_pending();
    if (!waits_for_reads_on_cpu()) {
        if (!unimported) {
            return ownership_.find_acquirable();
        }
        return ownership_.find_acquirable([this](uint32_t i) { return unimported_reads_done(i); });
    }
    // Last resort: no fence can carry the consumer's reads to the app, so an image is not
    // available until they are done; the acquire timeout then covers that wait too.
    if (explicit_sync()) {
        return ownership_.find_acquirable([this](uint32_t i) { return release_fence_ready(i); });
    }
    return ownership_.find_acquirable([this](uint32_t i) {
        if (!unimported_reads_done(i)) {
            return false;
        }
        auto idle =
            images_[i].dma_buf.wait_idle(kernel::Access::write, std::chrono::nanoseconds(0));
        return !idle || *idle == kernel::WaitOutcome::ready;  // an error: let acquire report it
    });
}

VkResult Swapchain::wait_for_acquirable(uint64_t timeout_ns, uint32_t* index) {
    // Released images whose reads are pending change state without a notification: the last
    // resort looks again this often.
    constexpr auto kReadsPoll = std::chrono::milliseconds(2);
    std::unique_lock lock(mutex_);
    // Timeouts past ~146 years would overflow the clock: they are "forever" in all but name.
    const auto bounded = static_cast<int64_t>(std::min<uint64_t>(timeout_ns, uint64_t{1} << 62));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(bounded);
    for (;;) {
        if (lost_ || retired_) {
            return status_result(VK_SUCCESS);
        }
        const int32_t candidate = find_acquirable();
        if (candidate >= 0 &&
            ownership_.apply(static_cast<uint32_t>(candidate), OwnershipEvent::acquire)) {
            *index = static_cast<uint32_t>(candidate);
            return VK_SUCCESS;
        }
        if (timeout_ns == 0) {
            return VK_NOT_READY;
        }
        auto until =
            timeout_ns == UINT64_MAX ? std::chrono::steady_clock::time_point::max() : deadline;
        if ((waits_for_reads_on_cpu() || unimported_reads_pending()) &&
            ownership_.find_acquirable() >= 0) {
            until = std::min(until, std::chrono::steady_clock::now() + kReadsPoll);
        }
        if (until == std::chrono::steady_clock::time_point::max()) {
            changed_.wait(lock);
        } else if (changed_.wait_until(lock, until) == std::cv_status::timeout &&
                   timeout_ns != UINT64_MAX && std::chrono::steady_clock::now() >= deadline &&
                   find_acquirable() < 0) {
            return VK_TIMEOUT;
        }
    }
}

VkResult Swapchain::signal_acquired(uint32_t index, VkSemaphore semaphore, VkFence fence) {
    if (explicit_sync()) {
        return signal_released(index, semaphore, fence);
    }
    const DmaBufImage& image = images_[index];
    const bool control = device_.disable_fence_transfer_for_tests;
    if (device_.strategy == bridge::Strategy::kernel_import || !reads_carriers_.empty()) {
        // The consumer's pending reads, as the dma-buf holds them (for write access: every
        // fence in it); the control takes none.
        kernel::SyncFile reads;
        if (!control) {
            if (VkResult r = bridge::export_consumer_reads(image.dma_buf, &reads);
                r == VK_ERROR_SURFACE_LOST_KHR) {
                return r;  // the buffer is gone (ENODEV): no wait can help
            } else if (r != VK_SUCCESS) {
                return signal_after_waiting_here(index, semaphore, fence);
            }
        }
        return signal_after_reads(index, std::move(reads), semaphore, fence);
    }
    // Last resort: no fence can leave the dma-buf. Wait for the consumer's reads here (an image
    // whose reads are pending is not yet available), then signal through an empty submit.
    auto idle = control ? kernel::Result<kernel::WaitOutcome>(kernel::WaitOutcome::ready)
                        : image.dma_buf.wait_idle(kernel::Access::write, config_.render_timeout);
    if (!idle || *idle != kernel::WaitOutcome::ready) {
        SB_LOG_ONCE(error, "acquire: the consumer never finished reading a buffer");
        on_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    return signal_after_reads(index, kernel::SyncFile{}, semaphore, fence);
}

// Explicit sync: the release point's fence is the consumer's only word on its reads.
VkResult Swapchain::signal_released(uint32_t index, VkSemaphore semaphore, VkFence fence) {
    auto fetched = presenter_->release_fence(index);
    if (!fetched) {
        SB_LOG_ONCE(error, "acquire: the consumer's release point: %s",
                    fetched.error().describe().c_str());
        on_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    kernel::SyncFile release = std::move(fetched).value();
    if (device_.disable_fence_transfer_for_tests) {
        release = kernel::SyncFile{};  // the control: the app may write while the consumer reads
    }
    return signal_after_reads(index, std::move(release), semaphore, fence);
}

// The consumer's reads, as a fence (the stub: none pending), become the acquire payload: imported
// into the app's semaphore and fence (import strategy); where the driver imports but cannot
// export, imported into the reads carrier that the signal submit waits on (the GPU waits);
// else waited for here, which the last-resort find_acquirable() has made short.
VkResult Swapchain::signal_after_reads(uint32_t index, kernel::SyncFile reads,
                                       VkSemaphore semaphore, VkFence fence) {
    if (device_.strategy == bridge::Strategy::kernel_import) {
        bridge::Unimported left;
        const VkResult r = bridge::import_sync_file(*device_.next, device_.device, std::move(reads),
                                                    semaphore, fence, &left);
        if (r == VK_SUCCESS || r == VK_ERROR_DEVICE_LOST) {
            return r;
        }
        SB_LOG_ONCE(error, "acquire: importing the consumer's reads failed (VkResult %d)", r);
        return signal_after_waiting_here(index, left.semaphore, left.fence);
    }
    if (!reads_carriers_.empty() && !reads.is_stub()) {
        VkSemaphore carrier = reads_carriers_[index];
        if (VkResult r = bridge::import_sync_file(*device_.next, device_.device, std::move(reads),
                                                  carrier, VK_NULL_HANDLE);
            r == VK_ERROR_DEVICE_LOST) {
            return r;
        } else if (r != VK_SUCCESS) {
            SB_LOG_ONCE(error, "acquire: importing the consumer's reads failed (VkResult %d)", r);
            return signal_after_waiting_here(index, semaphore, fence);
        }
        return submit_acquire_signal(carrier, semaphore, fence);
    }
    return after_reads_waited_here(reads.wait(config_.render_timeout), semaphore, fence);
}

VkResult Swapchain::signal_after_waiting_here(uint32_t index, VkSemaphore semaphore,
                                              VkFence fence) {
    SB_LOG_ONCE(warn,
                "acquire: a fence transfer failed: the consumer's reads are waited for on "
                "the app's thread for that frame");
    kernel::Result<kernel::WaitOutcome> waited = kernel::WaitOutcome::timed_out;
    if (explicit_sync()) {
        // The release point's fence again: fetching it does not consume it.
        auto release = presenter_->release_fence(index);
        waited = release ? release->wait(config_.render_timeout)
                         : kernel::Result<kernel::WaitOutcome>(release.error());
    } else {
        waited = images_[index].dma_buf.wait_idle(kernel::Access::write, config_.render_timeout);
    }
    return after_reads_waited_here(waited, semaphore, fence);
}

// The end of an acquire whose consumer reads were waited for on the app's thread: a wait that
// did not finish loses the surface, else the app's semaphore and fence are signalled.
VkResult Swapchain::after_reads_waited_here(const kernel::Result<kernel::WaitOutcome>& waited,
                                            VkSemaphore semaphore, VkFence fence) {
    if (!waited || *waited != kernel::WaitOutcome::ready) {
        SB_LOG_ONCE(error, "acquire: the consumer's reads never finished");
        on_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    if (semaphore == VK_NULL_HANDLE && fence == VK_NULL_HANDLE) {
        return VK_SUCCESS;
    }
    return submit_acquire_signal(VK_NULL_HANDLE, semaphore, fence);
}

// A release fence the kernel could not put into the dma-buf (on_released): the acquired image
// is the app's only once it signals, which find_acquirable() has already seen (this wait is
// then immediate).
VkResult Swapchain::wait_for_unimported_reads(uint32_t index) {
    if (explicit_sync()) {
        return VK_SUCCESS;  // signal_released() has it
    }
    kernel::SyncFile reads;
    {
        std::lock_guard lock(mutex_);
        reads = std::move(unimported_reads_[index]);
    }
    if (reads.is_stub()) {
        return VK_SUCCESS;
    }
    auto waited = reads.wait(config_.render_timeout);
    if (!waited || *waited != kernel::WaitOutcome::ready) {
        SB_LOG_ONCE(error, "acquire: the consumer's release fence never signalled");
        on_lost();
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    return VK_SUCCESS;
}

VkResult Swapchain::submit_acquire_signal(VkSemaphore wait, VkSemaphore semaphore, VkFence fence) {
    const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.waitSemaphoreCount = wait != VK_NULL_HANDLE ? 1 : 0;
    submit.pWaitSemaphores = &wait;
    submit.pWaitDstStageMask = &stage;
    submit.signalSemaphoreCount = semaphore != VK_NULL_HANDLE ? 1 : 0;
    submit.pSignalSemaphores = &semaphore;
    std::unique_lock<std::mutex> queue_lock;
    if (device_.internal_queue_mutex != nullptr) {
        queue_lock = std::unique_lock(*device_.internal_queue_mutex);
    }
    return device_.next->QueueSubmit(device_.internal_queue, 1, &submit, fence);
}

VkResult Swapchain::acquire(uint64_t timeout_ns, VkSemaphore semaphore, VkFence fence,
                            uint32_t* index) {
    const VkResult waited = wait_for_acquirable(timeout_ns, index);
    if (waited != VK_SUCCESS) {
        return waited;
    }
    if (VkResult r = wait_for_unimported_reads(*index); r != VK_SUCCESS) {
        return r;
    }
    if (VkResult r = signal_acquired(*index, semaphore, fence); r != VK_SUCCESS) {
        return r;
    }
    return status_result(VK_SUCCESS);
}

VkResult Swapchain::hand_over(uint32_t index, const kernel::SyncFile* render_done) {
    {
        std::lock_guard lock(mutex_);
        if (!ownership_.apply(index, OwnershipEvent::hand_over)) {
            return VK_ERROR_OUT_OF_DATE_KHR;
        }
    }
    // The window system paces it (its present may wait for the display): no lock held.
    const VkResult r =
        presenter_->present(PresentRequest{index, config_.present_mode, render_done});
    if (r != VK_SUCCESS) {
        on_lost();
    }
    return r;
}

// A present that fails before its render-done reaches an image (errors only): its batch, which
// names a carrier, is waited for here, since destroy will look for it in the images.
void Swapchain::wait_for_unused_render_done(const RenderDone& done) {
    if (done.sync_file.is_stub()) {
        return;
    }
    if (auto waited = done.sync_file.wait(std::chrono::seconds(5));
        !waited || *waited != kernel::WaitOutcome::ready) {
        SB_LOG_ONCE(error, "present: the render of a failed present did not finish");
    }
}

bool Swapchain::presents_on_thread() const {
    return device_.strategy == bridge::Strategy::userspace_wait || device_.export_blocks;
}

VkResult Swapchain::prepare_render_done(VkQueue queue, const VkSemaphore* waits,
                                        uint32_t wait_count, RenderDone* done) {
    if (!presents_on_thread()) {
        bool carrier_signalled = false;
        const VkResult r =
            bridge::export_render_done(*device_.next, device_.device, queue, waits, wait_count,
                                       render_done_carrier_, &done->sync_file, &carrier_signalled);
        if (r == VK_SUCCESS || !carrier_signalled || r == VK_ERROR_DEVICE_LOST) {
            return r;
        }
        SB_LOG_ONCE(error, "present: vkGetSemaphoreFdKHR(SYNC_FD) failed (VkResult %d)", r);
        return wait_for_carrier_here(queue);  // done->sync_file stays the stub: nothing pending
    }
    return RenderFence::submit(*device_.next, device_.device, queue, waits, wait_count,
                               &done->fence);
}

VkResult Swapchain::wait_for_carrier_here(VkQueue queue) {
    SB_LOG_ONCE(warn,
                "present: the render-done cannot leave the GPU as a sync_file: that frame's "
                "render is waited for on the app's thread");
    // The batch also takes the carrier's signal, so the next present may signal it again.
    std::shared_ptr<RenderFence> fence;
    if (VkResult r = RenderFence::submit(*device_.next, device_.device, queue,
                                         &render_done_carrier_, 1, &fence);
        r != VK_SUCCESS) {
        return r;
    }
    if (auto waited = fence->wait(config_.render_timeout);
        !waited || *waited != kernel::WaitOutcome::ready) {
        SB_LOG_ONCE(error, "present: a frame's rendering did not finish in time: device lost");
        return VK_ERROR_DEVICE_LOST;
    }
    return VK_SUCCESS;
}

VkResult Swapchain::wait_for_render_done_here(const RenderDone& done) {
    SB_LOG_ONCE(warn,
                "present: the render-done cannot join the dma-buf: that frame's render is "
                "waited for on the app's thread");
    if (auto waited = done.sync_file.wait(config_.render_timeout);
        !waited || *waited != kernel::WaitOutcome::ready) {
        SB_LOG_ONCE(error, "present: a frame's rendering did not finish in time: device lost");
        return VK_ERROR_DEVICE_LOST;
    }
    return VK_SUCCESS;
}

VkResult Swapchain::present(uint32_t index, const RenderDone& done) {
    if (lost_) {
        wait_for_unused_render_done(done);
        return VK_ERROR_SURFACE_LOST_KHR;
    }
    if (index >= images_.size() || !ownership_.apply(index, OwnershipEvent::queue_present)) {
        SB_LOG_ONCE(error, "vkQueuePresentKHR: image %u was not acquired", index);
        wait_for_unused_render_done(done);
        return VK_ERROR_OUT_OF_DATE_KHR;
    }
    if (device_.disable_fence_transfer_for_tests) {
        // The control: the consumer gets the buffer while the render may still be running.
        return hand_over(index) == VK_SUCCESS ? present_result() : VK_ERROR_SURFACE_LOST_KHR;
    }
    if (!presents_on_thread() && explicit_sync()) {
        // The render's fence goes with the present, as the consumer's acquire point.
        if (VkResult r = hand_over(index, &done.sync_file); r != VK_SUCCESS) {
            return r;
        }
        return present_result();
    }
    if (!presents_on_thread()) {
        // The write fence goes in before the consumer can see the buffer: never hand over first.
        const auto fault = util::injected_fault(util::FaultSite::import_sync_file);
        if (auto st = fault
                          ? kernel::Status(kernel::Error{*fault, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE"})
                          : images_[index].dma_buf.import_sync_file(done.sync_file,
                                                                    kernel::Access::write);
            !st) {
            SB_LOG_ONCE(error, "present: %s", st.error().describe().c_str());
            if (st.error().errnum == ENODEV) {  // the buffer is gone: nobody can read it
                wait_for_unused_render_done(done);
                on_lost();
                return VK_ERROR_SURFACE_LOST_KHR;
            }
            if (VkResult r = wait_for_render_done_here(done); r != VK_SUCCESS) {
                return r;
            }
        }
        if (VkResult r = hand_over(index); r != VK_SUCCESS) {
            return r;
        }
        return present_result();
    }
    // The hand-over thread waits for the render, then hands the buffer over. This path costs
    // about 3 heap allocations a frame (tools/bench/frame-cost: the RenderFence's shared state,
    // the std::function around it, the queue's node now and then) and a VkFence made and
    // destroyed through the driver; the import path allocates nothing a frame. A fence pool per
    // image would remove them, but the wait strategy's cost is its thread's wake-ups (futex and
    // deadline clocks, ~20 syscalls a frame), which these do not change.
    std::shared_ptr<RenderFence> fence = done.fence;
    hand_over_thread_->enqueue(
        index, [fence](std::chrono::nanoseconds timeout) { return fence->wait(timeout); });
    return present_result();
}

VkResult Swapchain::present(VkQueue queue, uint32_t index, const VkSemaphore* waits,
                            uint32_t wait_count) {
    RenderDone done;
    if (VkResult r = prepare_render_done(queue, waits, wait_count, &done); r != VK_SUCCESS) {
        return r;
    }
    return present(index, done);
}

VkResult RenderFence::submit(const dispatch::DeviceTable& next, VkDevice device, VkQueue queue,
                             const VkSemaphore* waits, uint32_t wait_count,
                             std::shared_ptr<RenderFence>* out) {
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    if (VkResult r = next.CreateFence(device, &fence_info, nullptr, &fence); r != VK_SUCCESS) {
        return r;
    }
    util::ScratchArray<VkPipelineStageFlags, 8> stages(wait_count);
    for (uint32_t i = 0; i < wait_count; ++i) {
        stages[i] = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    }
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.waitSemaphoreCount = wait_count;
    submit.pWaitSemaphores = waits;
    submit.pWaitDstStageMask = stages.data();
    if (VkResult r = next.QueueSubmit(queue, 1, &submit, fence); r != VK_SUCCESS) {
        next.DestroyFence(device, fence, nullptr);
        return r;
    }
    out->reset(new (std::nothrow) RenderFence(next, device, fence));
    if (!*out) {
        (void)next.WaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
        next.DestroyFence(device, fence, nullptr);
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
}

RenderFence::~RenderFence() {
    // A fence must not be destroyed while its submit is pending; a cancelled hand-over (the
    // swapchain went away first) can drop the last reference early.
    constexpr uint64_t kDrainTimeoutNs = 5'000'000'000;
    (void)next_.WaitForFences(device_, 1, &fence_, VK_TRUE, kDrainTimeoutNs);
    next_.DestroyFence(device_, fence_, nullptr);
}

kernel::Result<kernel::WaitOutcome> RenderFence::wait(std::chrono::nanoseconds timeout) const {
    const VkResult r =
        next_.WaitForFences(device_, 1, &fence_, VK_TRUE, static_cast<uint64_t>(timeout.count()));
    if (r == VK_TIMEOUT) {
        return kernel::WaitOutcome::timed_out;
    }
    if (r != VK_SUCCESS) {
        return kernel::Error{EIO, "vkWaitForFences(render)"};
    }
    return kernel::WaitOutcome::ready;
}

// State changes that an acquirer may be waiting for happen under mutex_, so that its wait
// cannot miss the notification.
void Swapchain::retire() {
    {
        std::lock_guard lock(mutex_);
        retired_ = true;
    }
    changed_.notify_all();
}

void Swapchain::on_released(uint32_t image, kernel::SyncFile reads_done) {
    if (image >= images_.size()) {
        SB_LOG_ONCE(warn, "the consumer released buffer %u of %zu", image, images_.size());
        return;
    }
    // The consumer's own fence joins the dma-buf's read fences, where every strategy already
    // looks for pending reads (and where the next consumer of the buffer sees them too). Only
    // a kernel without the import ioctl leaves it to acquire to wait for.
    // The control ignores the consumer's fence too.
    // Explicit sync: nothing here; acquire asks the presenter for the release point's fence.
    bool keep_for_acquire = false;
    if (!explicit_sync() && !device_.disable_fence_transfer_for_tests && !reads_done.is_stub()) {
        const auto fault = util::injected_fault(util::FaultSite::import_release_fence);
        const auto st =
            fault ? kernel::Status(kernel::Error{*fault, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE"})
                  : images_[image].dma_buf.import_sync_file(reads_done, kernel::Access::read);
        keep_for_acquire = !st;
        if (keep_for_acquire) {
            SB_LOG_ONCE(info,
                        "the consumer's release fence is waited for at acquire (%s: an old "
                        "kernel's ENOTTY, or a failure)",
                        st.error().describe().c_str());
        }
    }
    if (!keep_for_acquire) {
        reads_done = kernel::SyncFile{};
    }
    {
        std::lock_guard lock(mutex_);
        if (!ownership_.apply(image, OwnershipEvent::release)) {
            SB_LOG_ONCE(warn, "the consumer released buffer %u, which it did not hold", image);
        }
        unimported_reads_[image] = std::move(reads_done);
    }
    changed_.notify_all();
}

void Swapchain::on_resized(uint32_t width, uint32_t height) {
    {
        std::lock_guard lock(mutex_);
        if (width != config_.extent.width || height != config_.extent.height) {
            suboptimal_ = true;
        }
    }
    changed_.notify_all();
}

void Swapchain::on_lost() {
    {
        std::lock_guard lock(mutex_);
        lost_ = true;
    }
    changed_.notify_all();
}

}  // namespace sb::wsi
