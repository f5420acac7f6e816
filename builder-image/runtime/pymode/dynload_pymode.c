/* dlopen/dlsym/dlerror/dlclose for python.wasm: the `dynload` shim of issue #7.
 *
 * CPython's WASI build already compiles Python/dynload_shlib.c (configure finds dlopen in zig's
 * wasi-libc), but wasi-libc only ships weak stubs that always fail ("dlopen not implemented").
 * These strong definitions replace them, so CPython's unmodified import machinery
 * (importlib's ExtensionFileLoader -> _imp.create_dynamic -> _PyImport_FindSharedFuncptr) loads
 * `<name>.cpython-313-wasm32-wasi.so` files through the host:
 *   dlopen(path)       -> pymode.dl_open(path)        the host links a pre-compiled wasm side module
 *                                                     into this instance and returns a handle > 0
 *   dlsym(handle, sym) -> pymode.dl_sym(handle, sym)  index of the function in the shared
 *                                                     indirect function table, i.e. a C function
 *                                                     pointer in wasm32
 * A negative status leaves an error payload pending (docs/abi.md section 1); its "message" becomes
 * dlerror(), which dynload_shlib.c turns into the ImportError text.
 *
 * dl_open is an Asyncify import (the host may need to fetch the module); hosts that already hold the
 * compiled module answer without suspending. See docs/extensions.md.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PYMODE_IMPORT(name) __attribute__((import_module("pymode"), import_name(name)))
PYMODE_IMPORT("dl_open") int32_t pymode_host_dl_open(const uint8_t *path, int32_t path_len);
PYMODE_IMPORT("dl_sym") int32_t pymode_host_dl_sym(int32_t handle, const uint8_t *name, int32_t name_len);
PYMODE_IMPORT("result_take") int32_t pymode_host_result_take(uint8_t *dst, int32_t dst_len);

static char dl_error_buf[1024];
static const char *dl_error = NULL;

/* Take the pending error frames ([u32 len][{"code":..,"message":..}]) and keep the message. */
static void
set_error_from_host(const char *what, const char *arg, int32_t status)
{
    static uint8_t frames[1024];
    int32_t n = pymode_host_result_take(frames, (int32_t)sizeof(frames) - 1);
    const char *msg = NULL;
    size_t msg_len = 0;
    static char unescaped[900];
    if (n > 4) {
        frames[n] = 0;
        const char *json = (const char *)frames + 4;
        const char *m = strstr(json, "\"message\"");
        if (m && (m = strchr(m + 9, '"'))) {
            m++;
            size_t j = 0;
            for (; *m && *m != '"' && j < sizeof(unescaped) - 1; m++) {
                if (*m == '\\' && m[1]) {
                    m++;
                    unescaped[j++] = *m == 'n' ? '\n' : *m == 't' ? '\t' : *m;
                } else {
                    unescaped[j++] = *m;
                }
            }
            unescaped[j] = 0;
            msg = unescaped;
            msg_len = j;
        }
    }
    /* n == -2 (a payload longer than the buffer): the generic text below still names what failed */
    if (msg && msg_len) {
        snprintf(dl_error_buf, sizeof(dl_error_buf), "%s", msg);
    } else {
        snprintf(dl_error_buf, sizeof(dl_error_buf), "%s(%s) failed with status %d", what, arg, (int)status);
    }
    dl_error = dl_error_buf;
}

void *
dlopen(const char *file, int mode)
{
    (void)mode; /* RTLD_NOW/RTLD_GLOBAL: side modules are always linked eagerly against python.wasm */
    if (file == NULL) {
        dl_error = "dlopen(NULL): python.wasm has no global symbol handle";
        return NULL;
    }
    int32_t h = pymode_host_dl_open((const uint8_t *)file, (int32_t)strlen(file)); /* may suspend */
    if (h <= 0) {
        set_error_from_host("dlopen", file, h);
        return NULL;
    }
    return (void *)(uintptr_t)h;
}

void *
dlsym(void *restrict handle, const char *restrict name)
{
    int32_t idx = pymode_host_dl_sym((int32_t)(uintptr_t)handle, (const uint8_t *)name, (int32_t)strlen(name));
    if (idx <= 0) {
        set_error_from_host("dlsym", name, idx);
        return NULL;
    }
    return (void *)(uintptr_t)idx;
}

char *
dlerror(void)
{
    const char *e = dl_error;
    dl_error = NULL;
    return (char *)e;
}

int
dlclose(void *handle)
{
    (void)handle; /* side modules stay linked for the life of the instance (as CPython never unloads) */
    return 0;
}
