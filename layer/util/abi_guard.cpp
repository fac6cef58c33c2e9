#include "util/abi_guard.hpp"

#include <system_error>

#include "util/log.hpp"

namespace sb::util {

CaughtKind report_caught_exception(const char* command, std::atomic<bool>* logged) noexcept {
    CaughtKind kind = CaughtKind::other;
    const char* what = "an exception of unknown type";
    try {
        throw;
    } catch (const std::bad_alloc& e) {
        kind = CaughtKind::bad_alloc;
        what = e.what();
    } catch (const std::system_error& e) {
        kind = CaughtKind::system_error;
        what = e.what();
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
    }
    if (!logged->exchange(true, std::memory_order_relaxed)) {
        SB_LOG(error, "%s: caught %s (%s); the call fails instead of throwing into the app",
               command, kind == CaughtKind::bad_alloc ? "an allocation failure" : "an exception",
               what);
    }
    return kind;
}

}  // namespace sb::util
