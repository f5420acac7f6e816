/* Linked into every Rust side module (builder-image/extensions/build_rust_extension.py).
 *
 * Rust's std for wasm32-wasip1 calls WASI preview1 directly (the `wasi` crate imports
 * wasi_snapshot_preview1.*), not through libc. python.wasm does not re-export its WASI imports, and the
 * side-module linker (worker/src/runtime/dynlink.ts) resolves only `env`/`GOT.*` imports against
 * python.wasm. These definitions satisfy, inside the side module, the WASI functions std reaches from a
 * PyO3 extension, over what python.wasm does export:
 *   random_get      (HashMap's RandomState keys)  -> _PyOS_URandomNonblock (CPython's os.urandom)
 *   clock_time_get  (Instant, SystemTime)        -> PyTime_TimeRaw / PyTime_MonotonicRaw / clock()
 *   fd_write        (eprintln!, print!, panics)  -> fwrite to stdout / stderr
 * and two libc functions zig's wasi-libc keeps hidden in python.wasm:
 *   strerror_r (io::Error's Display) -> strerror;  getcwd (std::env::current_dir) -> ENOSYS.
 * A WASI function not defined here stays a wasi_snapshot_preview1 import; the builder refuses such a
 * module, naming the function (extend this file, or the linker, to support it).
 * Compiled with -fvisibility=hidden: nothing here is exported from the side module. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef int64_t PyTime_t;
extern int _PyOS_URandomNonblock(void *buffer, long size);
extern int PyTime_TimeRaw(PyTime_t *result);
extern int PyTime_MonotonicRaw(PyTime_t *result);
extern void PyErr_Clear(void);

/* WASI preview1 errno values */
#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EINVAL 28
#define WASI_EIO 29

int32_t pymode_wasi_random_get(uint8_t *buf, uint32_t len) {
  if (len == 0) return WASI_ESUCCESS;
  if (_PyOS_URandomNonblock(buf, (long)len) != 0) {
    PyErr_Clear();
    return WASI_EIO;
  }
  return WASI_ESUCCESS;
}

int32_t pymode_wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *out) {
  (void)precision;
  PyTime_t t = 0;
  switch (id) {
  case 0: /* realtime */
    if (PyTime_TimeRaw(&t) != 0) return WASI_EIO;
    break;
  case 1: /* monotonic */
    if (PyTime_MonotonicRaw(&t) != 0) return WASI_EIO;
    break;
  case 2: /* process cputime */
  case 3: /* thread cputime */
    /* no process clocks in WASI (wasi-libc's clock() is opt-in emulation): the monotonic clock */
    if (PyTime_MonotonicRaw(&t) != 0) return WASI_EIO;
    break;
  default:
    return WASI_EINVAL;
  }
  *out = (uint64_t)t;
  return WASI_ESUCCESS;
}

struct wasi_ciovec { const uint8_t *buf; uint32_t len; };

int32_t pymode_wasi_fd_write(uint32_t fd, const struct wasi_ciovec *iovs, uint32_t n, uint32_t *written) {
  FILE *f = fd == 1 ? stdout : fd == 2 ? stderr : NULL;
  if (!f) return WASI_EBADF;
  uint32_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (iovs[i].len == 0) continue;
    size_t w = fwrite(iovs[i].buf, 1, iovs[i].len, f);
    total += (uint32_t)w;
    if (w < iovs[i].len) break;
  }
  fflush(f);
  *written = total;
  return WASI_ESUCCESS;
}

int strerror_r(int errnum, char *buf, size_t buflen) {
  const char *s = strerror(errnum);
  size_t n = strlen(s);
  if (buflen == 0) return ERANGE;
  if (n >= buflen) {
    memcpy(buf, s, buflen - 1);
    buf[buflen - 1] = 0;
    return ERANGE;
  }
  memcpy(buf, s, n + 1);
  return 0;
}

char *getcwd(char *buf, size_t size) {
  (void)buf;
  (void)size;
  errno = ENOSYS;
  return NULL;
}

/* The builder compiles this file with -DPYMODE_WASI_WRAPS='"wraps.h"', a list of
 * PYMODE_WASI_WRAP(<function>, <mangled symbol>) lines, one per name found in the staticlib. */
#define PYMODE_WASI_WRAP_random_get(sym, id)                                                                  \
  int32_t pymode_wrap_##id(uint8_t *a, uint32_t b) __asm__(sym);                                             \
  int32_t pymode_wrap_##id(uint8_t *a, uint32_t b) { return pymode_wasi_random_get(a, b); }
#define PYMODE_WASI_WRAP_clock_time_get(sym, id)                                                              \
  int32_t pymode_wrap_##id(uint32_t a, uint64_t b, uint64_t *c) __asm__(sym);                                \
  int32_t pymode_wrap_##id(uint32_t a, uint64_t b, uint64_t *c) { return pymode_wasi_clock_time_get(a, b, c); }
#define PYMODE_WASI_WRAP_fd_write(sym, id)                                                                    \
  int32_t pymode_wrap_##id(uint32_t a, const struct wasi_ciovec *b, uint32_t c, uint32_t *d) __asm__(sym);   \
  int32_t pymode_wrap_##id(uint32_t a, const struct wasi_ciovec *b, uint32_t c, uint32_t *d) {              \
    return pymode_wasi_fd_write(a, b, c, d);                                                                   \
  }
#define PYMODE_WASI_WRAP(fn, sym, id) PYMODE_WASI_WRAP_##fn(sym, id)
#ifdef PYMODE_WASI_WRAPS
#include PYMODE_WASI_WRAPS
#endif
