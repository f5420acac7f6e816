// C++ exception entry points for wasm side modules (builder-image/extensions/build_extension.py,
// "C++ support"). zig's wasm32-wasi libc++/libc++abi are built without exceptions, and wasm32-wasi
// has no unwinder here: code compiled with -fexceptions still calls __cxa_allocate_exception and
// __cxa_throw for a `throw`, but its catch clauses are never reached. A throw therefore ends the
// program like an uncaught exception: the message names the type and what(), then abort() traps.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "private_typeinfo.h"  // libc++abi: __shim_type_info::can_catch

extern "C" {

__attribute__((visibility("hidden"))) void *__cxa_allocate_exception(size_t size) noexcept {
  void *p = std::calloc(1, size);
  if (!p) std::abort();
  return p;
}

__attribute__((visibility("hidden"))) void __cxa_free_exception(void *p) noexcept { std::free(p); }

[[noreturn]] __attribute__((visibility("hidden"))) void __cxa_throw(void *obj, std::type_info *tinfo,
                                                                      void (*)(void *)) {
  const char *what = "";
  auto *exc = static_cast<const __cxxabiv1::__shim_type_info *>(&typeid(std::exception));
  void *adjusted = obj;
  if (tinfo && exc->can_catch(static_cast<const __cxxabiv1::__shim_type_info *>(tinfo), adjusted))
    what = static_cast<std::exception *>(adjusted)->what();
  std::fprintf(stderr, "C++ exception %s (%s) thrown in a wasm side module, which has no C++ exception "
               "support: aborting\n", tinfo ? tinfo->name() : "?", what);
  std::fflush(stderr);
  std::abort();
}

}  // extern "C"

// operator new/delete as strong definitions: libc++abi's are weak, and wasm-ld imports a weak
// definition of a shared module even with -Bsymbolic (the host's linker resolves imports from
// python.wasm and earlier modules only, so they would be "undefined symbols"). Allocation failure
// aborts (there are no exceptions to throw std::bad_alloc with).
#include <new>

namespace {
[[noreturn]] void out_of_memory(std::size_t size) {
  std::fprintf(stderr, "C++ operator new: out of memory (%zu bytes) in a wasm side module: aborting\n", size);
  std::fflush(stderr);
  std::abort();
}
void *alloc(std::size_t size) { return std::malloc(size ? size : 1); }
void *alloc_aligned(std::size_t size, std::align_val_t al) {
  std::size_t a = static_cast<std::size_t>(al);
  if (a < sizeof(void *)) a = sizeof(void *);
  return std::aligned_alloc(a, ((size ? size : 1) + a - 1) / a * a);
}
}  // namespace

void *operator new(std::size_t n) { if (void *p = alloc(n)) return p; out_of_memory(n); }
void *operator new[](std::size_t n) { if (void *p = alloc(n)) return p; out_of_memory(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return alloc(n); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return alloc(n); }
void *operator new(std::size_t n, std::align_val_t a) { if (void *p = alloc_aligned(n, a)) return p; out_of_memory(n); }
void *operator new[](std::size_t n, std::align_val_t a) { if (void *p = alloc_aligned(n, a)) return p; out_of_memory(n); }
void *operator new(std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept { return alloc_aligned(n, a); }
void *operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t &) noexcept { return alloc_aligned(n, a); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { std::free(p); }
