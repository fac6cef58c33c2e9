// Sanitizer builds only: dlclose does nothing, so every shared object a test process loads stays
// mapped until exit.
//
// Why: LeakSanitizer reports at exit, after the Vulkan loader has dlclosed the driver. A leak of
// the driver's (lavapipe 22.3.6-1+deb12u2 keeps 128 bytes from realloc per instance) then shows
// `<unknown module>` and no suppression by module name can match it; with the driver still
// mapped, its frames name libvulkan_lvp.so and lsan.supp applies. The loader of Debian 12 (1.3.239)
// has no VK_LOADER_DISABLE_DYNAMIC_LIBRARY_UNLOADING, which would say the same to the loader alone.
//
// Linked into every executable of a sanitizer build (tests/support/sanitizer/CMakeLists.txt): a
// definition in the executable comes first in the global symbol scope, so the loader's and every
// library's calls land here. Uninstrumented programs (vulkaninfo) get the same from the shared
// library built from this file, preloaded after the ASan runtime.
#include <dlfcn.h>

extern "C" int dlclose(void* /*handle*/) noexcept {
    return 0;
}
