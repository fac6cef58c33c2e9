// vgem as the tests' "GPU" (kernel/vgem.hpp): the layer's own vgem access, under the tests' names.
#pragma once

#include "kernel/vgem.hpp"

namespace sb::test {

using kernel::Access;
using kernel::DmaBuf;
using kernel::DumbBuffer;
using kernel::PendingFence;
using kernel::Result;
using kernel::Status;
using kernel::SyncFile;
using kernel::Vgem;

}  // namespace sb::test
