// A heap-allocation counter preloaded into a benchmarked app (tools/bench/frame-cost): counts
// every malloc, calloc, realloc and aligned allocation the process makes, and writes the total to
// the file named by MALLOC_COUNT_OUT at exit. A tool, never linked into the layer. The real
// functions come from the next object (dlsym RTLD_NEXT); dlsym itself may calloc before that is
// known, which a small static arena serves.
#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace {

using Malloc = void* (*)(size_t);
using Calloc = void* (*)(size_t, size_t);
using Realloc = void* (*)(void*, size_t);
using Free = void (*)(void*);
using Memalign = int (*)(void**, size_t, size_t);
using AlignedAlloc = void* (*)(size_t, size_t);

std::atomic<unsigned long long> allocations{0};
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
        if (FILE* f = std::fopen(out, "we"); f != nullptr) {
            std::fprintf(f, "%llu\n", allocations.load());
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
    return real_malloc(size);
}

void* calloc(size_t count, size_t size) {
    resolve();
    if (real_calloc == nullptr) {
        return from_arena(count * size);  // the arena is zero (static storage)
    }
    allocations.fetch_add(1, std::memory_order_relaxed);
    return real_calloc(count, size);
}

void* realloc(void* p, size_t size) {
    resolve();
    allocations.fetch_add(1, std::memory_order_relaxed);
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
    return real_posix_memalign(p, alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
    resolve();
    allocations.fetch_add(1, std::memory_order_relaxed);
    return real_aligned_alloc(alignment, size);
}

void* memalign(size_t alignment, size_t size) {
    void* p = nullptr;
    return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}

}  // extern "C"
