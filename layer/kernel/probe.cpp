#include "kernel/probe.hpp"

#include <cerrno>

namespace sb::kernel {

Result<SyncFileIoctls> classify_sync_file_ioctl_failure(const Error& error) {
    if (error.errnum == ENOTTY || error.errnum == EINVAL) {
        return SyncFileIoctls::absent;
    }
    return error;
}

Result<SyncFileIoctls> probe_sync_file_ioctls(const DmaBuf& buffer) {
    auto exported = buffer.export_sync_file(Access::write);
    if (!exported) {
        return classify_sync_file_ioctl_failure(exported.error());
    }
    if (auto st = buffer.import_sync_file(*exported, Access::read); !st) {
        return classify_sync_file_ioctl_failure(st.error());
    }
    return SyncFileIoctls::present;
}

const char* to_string(SyncFileIoctls support) {
    return support == SyncFileIoctls::present ? "present" : "absent";
}

}  // namespace sb::kernel
