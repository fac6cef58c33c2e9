// A heap-allocation counter preloaded into a benchmarked app (tools/bench/frame-cost): counts
// every malloc, calloc, realloc and aligned allocation the process makes, and appends
// "PROGRAM COUNT" to the file named by MALLOC_COUNT_OUT at exit: one line per process that had it
// preloaded (a wrapper such as timeout(1) exits last, so the lines say whose count is whose).
// With MALLOC_COUNT_BY_LIBRARY=1 each allocation is also charged to the library that asked for it:
// the first caller on the stack outside the C and C++ runtimes (so `new` in the layer is the
// layer's, a closure libwayland-client makes for the layer's request is libwayland-client's),
// one more line per library: "PROGRAM lib:NAME COUNT". A tool, never linked into the layer. The
// real functions come from the next object (dlsym RTLD_NEXT); dlsym itself may calloc before that
// is known, which a small static arena serves.
#include <dlfcn.h>
#include <execinfo.h>

#include <atomic>
#include <cerrno>  // program_invocation_short_name
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace {

using Malloc = void* (*)(size_t);
using Calloc = void* (*)(size_t, size_t);
using Realloc = void* (*)(void*, size_t);
using Free = void (*)(void*);
using Memalign = int (*)(void**, size_t, size_t);
using AlignedAlloc = void* (*)(size_t, size_t);

std::atomic<unsigned long long> allocations{0};

// --- by library (MALLOC_COUNT_BY_LIBRARY=1) ---------------------------------------------------
// Libraries by file name, copied: the loader unloads layers and drivers (and frees their link
// map names) before the report is written.
struct Charge {
    char library[64];
    unsigned long long count;
};
constexpr size_t kMaxLibraries = 48;
Charge charges[kMaxLibraries];
size_t charged_libraries = 0;
unsigned long long uncharged = 0;  // no frame outside the runtimes, or the table was full
std::mutex charge_mutex;           // a futex: it never allocates
thread_local bool in_charge = false;
int by_library = -1;  // -1: not read yet

const char* base_name(const char* path) {
    const char* slash = std::strrchr(path, '/');
    return slash != nullptr ? slash + 1 : path;
}

// The runtimes whose frames are skipped: they allocate on someone else's behalf.
bool is_runtime(const char* path) {
    const char* name = base_name(path);
    return std::strncmp(name, "libc.so", 7) == 0 || std::strncmp(name, "libstdc++", 9) == 0 ||
           std::strncmp(name, "libgcc_s", 8) == 0 || std::strncmp(name, "malloc-count", 12) == 0;
}

void charge_caller() {
    if (by_library == -1) {
        const char* flag = std::getenv("MALLOC_COUNT_BY_LIBRARY");
        by_library = flag != nullptr && flag[0] == '1' ? 1 : 0;
    }
    if (by_library == 0 || in_charge) {
        return;  // a nested allocation (backtrace's first call loads libgcc_s): not charged
    }
    in_charge = true;
    void* frames[12];
    const int depth = backtrace(frames, 12);
    const char* library = nullptr;
    for (int i = 1; i < depth && library == nullptr; ++i) {
        Dl_info info{};
        if (dladdr(frames[i], &info) != 0 && info.dli_fname != nullptr &&
            !is_runtime(info.dli_fname)) {
            library = base_name(info.dli_fname);
        }
    }
    {
        std::lock_guard lock(charge_mutex);
        size_t i = 0;
        while (library != nullptr && i < charged_libraries &&
               std::strncmp(charges[i].library, library, sizeof charges[i].library - 1) != 0) {
            ++i;
        }
        if (library == nullptr || (i == charged_libraries && i == kMaxLibraries)) {
            ++uncharged;
        } else {
            if (i == charged_libraries) {
                std::strncpy(charges[i].library, library, sizeof charges[i].library - 1);
                ++charged_libraries;
            }
            ++charges[i].count;
        }
    }
    in_charge = false;
}
Malloc real_malloc = nullptr;
Calloc real_calloc = nullptr;
Realloc real_realloc = nullptr;
Free real_free = nullptr;
Memalign real_posix_memalign = nullptr;
AlignedAlloc real_aligned_alloc = nullptr;

alignas(16) char arena[4096];
size_t arena_used = 0;
bool resolving = false;

bool in_arena(const void* p) {
    return p >= static_cast<const void*>(arena) &&
           p < static_cast<const void*>(arena + sizeof arena);
}

void resolve() {
    if (real_malloc != nullptr || resolving) {
        return;
    }
    resolving = true;
    real_calloc = reinterpret_cast<Calloc>(dlsym(RTLD_NEXT, "calloc"));
    real_realloc = reinterpret_cast<Realloc>(dlsym(RTLD_NEXT, "realloc"));
    real_free = reinterpret_cast<Free>(dlsym(RTLD_NEXT, "free"));
    real_posix_memalign = reinterpret_cast<Memalign>(dlsym(RTLD_NEXT, "posix_memalign"));
    real_aligned_alloc = reinterpret_cast<AlignedAlloc>(dlsym(RTLD_NEXT, "aligned_alloc"));
    real_malloc = reinterpret_cast<Malloc>(dlsym(RTLD_NEXT, "malloc"));
    resolving = false;
}

void* from_arena(size_t size) {
    const size_t rounded = (size + 15) & ~size_t{15};
    if (arena_used + rounded > sizeof arena) {
        return nullptr;
    }
    void* p = arena + arena_used;
    arena_used += rounded;
    return p;
}

struct Report {
    ~Report() {
        const char* out = std::getenv("MALLOC_COUNT_OUT");
        if (out == nullptr) {
            return;
        }
        if (FILE* f = std::fopen(out, "ae"); f != nullptr) {
            std::fprintf(f, "%s %llu\n", program_invocation_short_name, allocations.load());
            std::lock_guard lock(charge_mutex);
            for (size_t i = 0; i < charged_libraries; ++i) {
                std::fprintf(f, "%s lib:%s %llu\n", program_invocation_short_name,
                             charges[i].library, charges[i].count);
            }
            if (by_library == 1) {
                std::fprintf(f, "%s lib:? %llu\n", program_invocation_short_name, uncharged);
            }
            std::fclose(f);
        }
    }
} report;

}  // namespace

extern "C" {

void* malloc(size_t size) {
    resolve();
    if (real_malloc == nullptr) {
        return from_arena(size);
    }
    allocations.fetch_add(1, std::memory_order_relaxed);
    charge_caller();
    return real_malloc(size);
}

void* calloc(size_t count, size_t size) {
    resolve();
    if (real_calloc == nullptr) {
        return from_arena(count * size);  // the arena is zero (static storage)
    }
    allocations.fetch_add(1, std::memory_order_relaxed);
    charge_caller();
    return real_calloc(count, size);
}

void* realloc(void* p, size_t size) {
    resolve();
    allocations.fetch_add(1, std::memory_order_relaxed);
    charge_caller();
    return real_realloc(p, size);
}

void free(void* p) {
    if (p == nullptr || in_arena(p)) {
        return;
    }
    resolve();
    real_free(p);
}

int posix_memalign(void** p, size_t alignment, size_t size) {
    resolve();
    allocations.fetch_add(1, std::memory_order_relaxed);
    charge_caller();
    return real_posix_memalign(p, alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
    resolve();
    allocations.fetch_add(1, std::memory_order_relaxed);
    charge_caller();
    return real_aligned_alloc(alignment, size);
}

void* memalign(size_t alignment, size_t size) {
    void* p = nullptr;
    return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}

}  // extern "C"
