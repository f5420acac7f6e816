/*
 * _pymode: the built-in C module of the PyMode runtime (python.wasm).
 *
 * It implements the runtime side of docs/abi.md (ABI version 2):
 *   - declares the host imports of wasm import module "pymode" (section 2),
 *   - provides the Python-level module `_pymode` (section 4): ABI_VERSION, call(), log(), HostError,
 *     StepBudgetExceeded,
 *   - exports the request-path entry points of python.wasm (section 5): pymode_init,
 *     wizer.initialize, pymode_alloc, pymode_free, pymode_handle, pymode_set_step_budget.
 *
 * The module is linked statically into python.wasm and registered in the inittab through
 * Modules/Setup.local (see builder-image/runtime/build.sh).
 *
 * python.wasm is a WASI *command* (it keeps `_start` for CLI use). wasm-ld/zig do not wrap the extra
 * exports of a command, so when a host calls pymode_init without ever running `_start`, the static
 * constructors (wasi-libc's preopen/environ set-up among them) have not run: pymode_init runs
 * `__wasm_call_ctors` itself, exactly once.
 *
 * Asyncify: the two async imports (call, dl_open) may unwind the wasm stack. Nothing in
 * here keeps state that would be invalid after a rewind: Python objects referenced by C locals stay
 * alive because the calling frames (restored by the rewind) still own them, and linear memory is kept.
 * Only one pymode_handle may be in flight at a time per instance (Asyncify has one data buffer).
 */
#include "Python.h"
#include "pycore_emscripten_signal.h" /* the step budget (pymode/patches/0001-step-budget.patch) */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PYMODE_ABI_VERSION 2

/* ---- host imports (docs/abi.md section 2) ---------------------------------------------------- */
#define PYMODE_IMPORT(name) __attribute__((import_module("pymode"), import_name(name)))

/* The one binding call (ABI 2): every binding kind (KV, R2, D1, HTTP, TCP, queues, services, ...) goes
 * through it, so the import set of python.wasm does not depend on which kinds exist. */
PYMODE_IMPORT("call") int32_t pymode_host_call(const uint8_t *kind, int32_t kind_len,
                                               const uint8_t *binding, int32_t binding_len,
                                               const uint8_t *req, int32_t req_len);
PYMODE_IMPORT("dl_open") int32_t pymode_host_dl_open(const uint8_t *path, int32_t path_len);
PYMODE_IMPORT("dl_sym") int32_t pymode_host_dl_sym(int32_t handle, const uint8_t *name, int32_t name_len);
PYMODE_IMPORT("result_take") int32_t pymode_host_result_take(uint8_t *dst, int32_t dst_len);
PYMODE_IMPORT("log") void pymode_host_log(int32_t level, const uint8_t *msg, int32_t msg_len);

#define PYMODE_EXPORT(name) __attribute__((export_name(name), visibility("default"), used))

/* Largest error payload we are willing to fetch when its size is unknown (errors are small JSON). */
#define PYMODE_MAX_ERROR_PAYLOAD (16 * 1024 * 1024)

static PyObject *HostError; /* _pymode.HostError, owned by the module (kept alive by it) */
static PyObject *StepBudgetExceeded; /* _pymode.StepBudgetExceeded, likewise */

/* Raise HostError(status, payload); payload = the pending result (the error frames), b"" if none. */
static PyObject *
raise_host_error(int32_t status)
{
    PyObject *payload = NULL;
    Py_ssize_t cap = 4096;
    for (;;) {
        PyObject *buf = PyBytes_FromStringAndSize(NULL, cap);
        if (buf == NULL) {
            return NULL;
        }
        int32_t n = pymode_host_result_take((uint8_t *)PyBytes_AS_STRING(buf), (int32_t)cap);
        if (n >= 0) {
            if (n > cap) {
                Py_DECREF(buf);
                PyErr_Format(PyExc_RuntimeError,
                             "pymode.result_take reported %d bytes into a %zd-byte buffer", n, cap);
                return NULL;
            }
            if (_PyBytes_Resize(&buf, n) < 0) {
                return NULL;
            }
            payload = buf;
            break;
        }
        Py_DECREF(buf);
        if (n == -1) { /* nothing pending */
            payload = PyBytes_FromStringAndSize("", 0);
            break;
        }
        if (n == -2 && cap < PYMODE_MAX_ERROR_PAYLOAD) {
            cap *= 4;
            continue;
        }
        PyErr_Format(PyExc_RuntimeError, "pymode.result_take failed with %d while reading an error", n);
        return NULL;
    }
    if (payload == NULL) {
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(HostError, "iO", (int)status, payload);
    if (exc != NULL) {
        PyObject *st = PyLong_FromLong(status);
        if (st == NULL || PyObject_SetAttrString(exc, "status", st) < 0 ||
            PyObject_SetAttrString(exc, "payload", payload) < 0) {
            Py_XDECREF(st);
            Py_DECREF(exc);
            Py_DECREF(payload);
            return NULL;
        }
        Py_DECREF(st);
        PyErr_SetObject(HostError, exc);
        Py_DECREF(exc);
    }
    Py_DECREF(payload);
    return NULL;
}

/* Read a pending result of exactly `size` bytes. */
static PyObject *
take_result(int32_t size)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) {
        return NULL;
    }
    int32_t n = pymode_host_result_take((uint8_t *)PyBytes_AS_STRING(out), size);
    if (n != size) {
        Py_DECREF(out);
        PyErr_Format(PyExc_RuntimeError,
                     "pymode.result_take returned %d, expected the announced %d bytes", n, size);
        return NULL;
    }
    return out;
}

/* ---- Python-level functions (docs/abi.md section 4) ------------------------------------------ */

PyDoc_STRVAR(pymode_call_doc,
"call(kind, binding, request) -> bytes\n\n"
"Perform one operation of binding kind `kind` (e.g. kv, r2, queue) on `binding` through the host\n"
"import `call`, with the encoded request frames, and return the result frames. The host decides\n"
"which kinds exist. A negative status raises HostError(status, payload).");

static PyObject *
pymode_call(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "call() takes exactly 3 arguments (%zd given)", nargs);
        return NULL;
    }
    if (!PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "call(): kind and binding must be str");
        return NULL;
    }
    Py_ssize_t kind_len;
    const char *kind = PyUnicode_AsUTF8AndSize(args[0], &kind_len);
    if (kind == NULL) {
        return NULL;
    }
    if (kind_len == 0) {
        PyErr_SetString(PyExc_ValueError, "call(): kind must not be empty");
        return NULL;
    }
    Py_ssize_t binding_len;
    const char *binding = PyUnicode_AsUTF8AndSize(args[1], &binding_len);
    if (binding == NULL) {
        return NULL;
    }
    Py_buffer req;
    if (PyObject_GetBuffer(args[2], &req, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (req.len > INT32_MAX || binding_len > INT32_MAX || kind_len > INT32_MAX) {
        PyBuffer_Release(&req);
        PyErr_SetString(PyExc_OverflowError, "call(): request too large");
        return NULL;
    }
    /* May suspend (Asyncify): the host unwinds here and rewinds with the stored status. */
    int32_t r = pymode_host_call((const uint8_t *)kind, (int32_t)kind_len, (const uint8_t *)binding,
                                 (int32_t)binding_len, (const uint8_t *)req.buf, (int32_t)req.len);
    PyBuffer_Release(&req);
    if (r < 0) {
        return raise_host_error(r);
    }
    return take_result(r);
}

PyDoc_STRVAR(pymode_log_doc,
"log(level, message) -> None\n\n"
"Send one log line to the host (level: 10/20/30/40/50 as in the logging module).");

static PyObject *
pymode_log(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "log() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int level = PyLong_AsInt(args[0]);
    if (level == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (!PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "log(): message must be str");
        return NULL;
    }
    PyObject *enc = PyUnicode_AsEncodedString(args[1], "utf-8", "backslashreplace");
    if (enc == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(enc);
    pymode_host_log(level, (const uint8_t *)PyBytes_AS_STRING(enc),
                    (int32_t)(n > INT32_MAX ? INT32_MAX : n));
    Py_DECREF(enc);
    Py_RETURN_NONE;
}

/* Side-module loading (issue #7): thin wrappers over the dl_open/dl_sym imports, used by the dynamic
 * loader in pymode; the C-level functions are also callable from other built-in code. */
int32_t
PyMode_DlOpen(const char *path, size_t len)
{
    return pymode_host_dl_open((const uint8_t *)path, (int32_t)len);
}

int32_t
PyMode_DlSym(int32_t handle, const char *name, size_t len)
{
    return pymode_host_dl_sym(handle, (const uint8_t *)name, (int32_t)len);
}

PyDoc_STRVAR(pymode_dl_open_doc,
"_dl_open(path) -> int\n\nLoad a side module through the host; returns its handle (> 0).\n"
"A negative status raises HostError.");

static PyObject *
pymode_dl_open(PyObject *module, PyObject *arg)
{
    Py_ssize_t len;
    const char *path = PyUnicode_AsUTF8AndSize(arg, &len);
    if (path == NULL) {
        return NULL;
    }
    int32_t h = PyMode_DlOpen(path, (size_t)len); /* may suspend (Asyncify) */
    if (h < 0) {
        return raise_host_error(h);
    }
    return PyLong_FromLong(h);
}

PyDoc_STRVAR(pymode_dl_sym_doc,
"_dl_sym(handle, name) -> int\n\nFunction-table index of export `name` of a loaded side module.\n"
"A negative status raises HostError.");

static PyObject *
pymode_dl_sym(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "_dl_sym() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int handle = PyLong_AsInt(args[0]);
    if (handle == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t len;
    const char *name = PyUnicode_AsUTF8AndSize(args[1], &len);
    if (name == NULL) {
        return NULL;
    }
    int32_t idx = PyMode_DlSym(handle, name, (size_t)len);
    if (idx < 0) {
        return raise_host_error(idx);
    }
    return PyLong_FromLong(idx);
}

static PyMethodDef pymode_methods[] = {
    {"call", _PyCFunction_CAST(pymode_call), METH_FASTCALL, pymode_call_doc},
    {"log", _PyCFunction_CAST(pymode_log), METH_FASTCALL, pymode_log_doc},
    {"_dl_open", pymode_dl_open, METH_O, pymode_dl_open_doc},
    {"_dl_sym", _PyCFunction_CAST(pymode_dl_sym), METH_FASTCALL, pymode_dl_sym_doc},
    {NULL, NULL, 0, NULL},
};

/* ---- the step budget (docs/abi.md section 5) ------------------------------------------------------
 * A pure-Python loop makes no host call, and workerd's clocks stand still while it runs, so the host
 * cannot stop it. The patched eval loop counts steps (backward jumps and calls, each at least one
 * bytecode) against a budget the host sets per request; when it runs out this hook raises
 * StepBudgetExceeded at that point of the Python code, through the eval breaker. */

/* After the budget ran out, code that swallows the exception gets it again this many steps later... */
#define STEP_BUDGET_RERAISE_STEPS 65536
/* ...and after this many raises the instance traps: an `except BaseException` loop cannot outlast it. */
#define STEP_BUDGET_MAX_RAISES 8

static int step_budget_raises; /* StepBudgetExceeded raised since the budget was last set */

static void host_log_cstr(int level, const char *msg);

static void
on_step_budget_spent(void)
{
    if (++step_budget_raises > STEP_BUDGET_MAX_RAISES) {
        host_log_cstr(50, "pymode: the request kept catching StepBudgetExceeded past its step budget; trapping");
        __builtin_trap();
    }
    _PyMode_steps_left = STEP_BUDGET_RERAISE_STEPS;
    /* Py_AddPendingCall is not used: it would run the raise at the next check, not this one. */
    PyThreadState_SetAsyncExc(PyThread_get_thread_ident(), StepBudgetExceeded);
}

static int
pymode_exec(PyObject *m)
{
    if (PyModule_AddIntConstant(m, "ABI_VERSION", PYMODE_ABI_VERSION) < 0) {
        return -1;
    }
    if (HostError == NULL) {
        HostError = PyErr_NewExceptionWithDoc(
            "_pymode.HostError",
            "A host import returned a negative status.\n\n"
            "args == (status, payload); payload holds the error frames "
            "(one JSON field {\"code\", \"message\"}).",
            PyExc_Exception, NULL);
        if (HostError == NULL) {
            return -1;
        }
    }
    if (PyModule_AddObjectRef(m, "HostError", HostError) < 0) {
        return -1;
    }
    if (StepBudgetExceeded == NULL) {
        /* A BaseException, like KeyboardInterrupt: `except Exception` in a handler does not swallow it. */
        StepBudgetExceeded = PyErr_NewExceptionWithDoc(
            "_pymode.StepBudgetExceeded",
            "The request ran out of its step budget (the worker's PYMODE_MAX_PYTHON_STEPS).",
            PyExc_BaseException, NULL);
        if (StepBudgetExceeded == NULL) {
            return -1;
        }
    }
    if (PyModule_AddObjectRef(m, "StepBudgetExceeded", StepBudgetExceeded) < 0) {
        return -1;
    }
    _PyMode_steps_spent_hook = on_step_budget_spent;
    return 0;
}

static PyModuleDef_Slot pymode_slots[] = {
    {Py_mod_exec, pymode_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};

static struct PyModuleDef pymode_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_pymode",
    .m_doc = "PyMode host-import bridge (docs/abi.md, ABI version 1).",
    .m_size = 0,
    .m_methods = pymode_methods,
    .m_slots = pymode_slots,
};

PyMODINIT_FUNC
PyInit__pymode(void)
{
    return PyModuleDef_Init(&pymode_module);
}

/* ---- exports of python.wasm (docs/abi.md section 5) ------------------------------------------ */

extern void __wasm_call_ctors(void);

/* Set by our constructor, i.e. whenever the ctors have run. volatile: otherwise LLVM's GlobalOpt
 * evaluates the constructor at compile time and bakes ctors_done = 1 into the data segment. */
static volatile int ctors_done;
static int init_state;        /* 0 = not tried, 1 = ok, negative = failed (value returned again) */
static PyObject *handle_func; /* pymode._handler.handle */
static int from_snapshot;     /* set by wizer.initialize, so it is 1 in every snapshot instance */
static int restored;          /* 0 in a snapshot: the first request of an instance does post_restore */

__attribute__((constructor(101))) static void
pymode_mark_ctors(void)
{
    ctors_done = 1;
}

static void
ensure_ctors(void)
{
    if (!ctors_done) {
        ctors_done = 1;
        __wasm_call_ctors();
    }
}

/* Send `msg` to the host log and to stderr. */
static void
host_log_cstr(int level, const char *msg)
{
    pymode_host_log(level, (const uint8_t *)msg, (int32_t)strlen(msg));
    fprintf(stderr, "pymode: %s\n", msg);
}

/* Log the current Python exception (with traceback) at `level` and clear it. */
static void
log_python_error(int level, const char *context)
{
    PyObject *exc = PyErr_GetRaisedException();
    if (exc == NULL) {
        host_log_cstr(level, context);
        return;
    }
    PyObject *text = NULL;
    PyObject *tb = PyImport_ImportModule("traceback");
    if (tb != NULL) {
        PyObject *lines = PyObject_CallMethod(tb, "format_exception", "O", exc);
        if (lines != NULL) {
            PyObject *sep = PyUnicode_FromString("");
            if (sep != NULL) {
                text = PyUnicode_Join(sep, lines);
                Py_DECREF(sep);
            }
            Py_DECREF(lines);
        }
        Py_DECREF(tb);
    }
    if (text == NULL) {
        PyErr_Clear();
        text = PyObject_Repr(exc);
    }
    const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
    if (s == NULL) {
        PyErr_Clear();
        s = "<unprintable exception>";
    }
    size_t n = strlen(context) + strlen(s) + 3;
    char *buf = malloc(n);
    if (buf != NULL) {
        snprintf(buf, n, "%s: %s", context, s);
        host_log_cstr(level, buf);
        free(buf);
    } else {
        host_log_cstr(level, context);
    }
    Py_XDECREF(text);
    Py_DECREF(exc);
}

/* Flush Python's and C's stdout/stderr buffers (WASI hosts only see flushed output). */
static void
flush_std_streams(void)
{
    if (Py_IsInitialized()) {
        PyObject *exc = PyErr_GetRaisedException();
        const char *names[] = {"stdout", "stderr"};
        for (int i = 0; i < 2; i++) {
            PyObject *f = PySys_GetObject(names[i]); /* borrowed */
            if (f != NULL && f != Py_None) {
                PyObject *r = PyObject_CallMethod(f, "flush", NULL);
                if (r == NULL) {
                    PyErr_Clear();
                }
                Py_XDECREF(r);
            }
        }
        PyErr_SetRaisedException(exc);
    }
    fflush(stdout);
    fflush(stderr);
}

static int
do_init(void)
{
    PyStatus status;
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    /* Environment (PYTHONHOME, PYTHONPATH, PYMODE_ENTRY, ...) comes from the WASI environ. */
    config.parse_argv = 0;
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.user_site_directory = 0;
    status = PyConfig_SetString(&config, &config.program_name, L"python3.13");
    if (PyStatus_Exception(status)) {
        PyConfig_Clear(&config);
        host_log_cstr(50, status.err_msg ? status.err_msg : "PyConfig_SetString failed");
        return -1;
    }
    status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        char msg[512];
        snprintf(msg, sizeof msg, "Python initialisation failed: %s%s%s",
                 status.func ? status.func : "", status.func ? ": " : "",
                 status.err_msg ? status.err_msg : "(no message)");
        host_log_cstr(50, msg);
        return -2;
    }
    /* pylib imports _pymode lazily (at its first host call); the step budget's hook is installed
     * when the module executes, so it must be imported before any request can set a budget. */
    PyObject *bridge = PyImport_ImportModule("_pymode");
    if (bridge == NULL) {
        log_python_error(50, "pymode_init: import _pymode failed");
        return -6;
    }
    Py_DECREF(bridge);
    PyObject *mod = PyImport_ImportModule("pymode._handler");
    if (mod == NULL) {
        log_python_error(50, "pymode_init: import pymode._handler failed");
        return -3;
    }
    PyObject *r = PyObject_CallMethod(mod, "load", NULL);
    if (r == NULL) {
        Py_DECREF(mod);
        log_python_error(50, "pymode_init: pymode._handler.load() failed");
        return -4;
    }
    Py_DECREF(r);
    handle_func = PyObject_GetAttrString(mod, "handle");
    Py_DECREF(mod);
    if (handle_func == NULL) {
        log_python_error(50, "pymode_init: pymode._handler has no handle()");
        return -5;
    }
    return 1;
}

PYMODE_EXPORT("pymode_init") int32_t
pymode_init(void)
{
    ensure_ctors();
    if (init_state == 0) {
        init_state = do_init();
        flush_std_streams();
    }
    return init_state == 1 ? 0 : -init_state;
}

PYMODE_EXPORT("wizer.initialize") void
pymode_wizer_initialize(void)
{
    from_snapshot = 1;
    int32_t r = pymode_init();
    flush_std_streams();
    if (r != 0) {
        /* A snapshot of a failed initialisation must not be written: make Wizer fail. */
        fprintf(stderr, "pymode: wizer.initialize: pymode_init failed with %d\n", (int)r);
        fflush(stderr);
        abort();
    }
}

PYMODE_EXPORT("pymode_alloc") void *
pymode_alloc(int32_t size)
{
    ensure_ctors();
    if (size < 0) {
        return NULL;
    }
    return malloc(size > 0 ? (size_t)size : 1);
}

PYMODE_EXPORT("pymode_free") void
pymode_free(void *ptr)
{
    free(ptr);
}

/* First request of an instance restored from a Wizer snapshot: state that must differ per
 * instance was frozen at snapshot time. The `random` module's global generator (seeded from
 * os.urandom when it was imported during initialisation) is re-seeded from os.urandom here.
 * (Hash randomisation's secret also comes from the snapshot; see README.md.) */
static void
post_restore(void)
{
    restored = 1;
    if (!from_snapshot) {
        return;
    }
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    PyObject *random = modules ? PyDict_GetItemString(modules, "random") : NULL; /* borrowed */
    if (random != NULL) {
        PyObject *r = PyObject_CallMethod(random, "seed", NULL);
        if (r == NULL) {
            log_python_error(40, "pymode: re-seeding random after the snapshot failed");
        }
        Py_XDECREF(r);
    }
}

/* Sets the step budget of the calls that follow: `steps` >= 0 steps, or unlimited when negative (or
 * too large to count). Returns 1 if the budget set before this call ran out, else 0. The host sets a
 * budget before pymode_handle and calls this again with -1 afterwards (also after a trap) to learn
 * whether it ran out. */
PYMODE_EXPORT("pymode_set_step_budget") int32_t
pymode_set_step_budget(double steps)
{
    int32_t spent = step_budget_raises > 0;
    step_budget_raises = 0;
    if (spent) { /* the hook ran, so the interpreter is up */
        /* An exception raised as the handler returned would otherwise fire in the next call. */
        PyThreadState_SetAsyncExc(PyThread_get_thread_ident(), NULL);
    }
    _PyMode_steps_left = (steps >= 0 && steps < 9.0e18) ? (int64_t)steps : INT64_MAX;
    return spent;
}

PYMODE_EXPORT("pymode_handle") uint8_t *
pymode_handle(const uint8_t *req, int32_t req_len)
{
    if (pymode_init() != 0) {
        return NULL;
    }
    if (!restored) {
        post_restore();
    }
    if (req_len < 0) {
        host_log_cstr(40, "pymode_handle: negative request length");
        return NULL;
    }
    uint8_t *out = NULL;
    PyObject *arg = PyBytes_FromStringAndSize((const char *)req, req_len);
    if (arg == NULL) {
        log_python_error(50, "pymode_handle: cannot copy the request");
        goto done;
    }
    /* May suspend (Asyncify) anywhere below, whenever the handler performs a host call. */
    PyObject *res = PyObject_CallOneArg(handle_func, arg);
    Py_DECREF(arg);
    if (res == NULL) {
        log_python_error(50, "pymode_handle: pymode._handler.handle() raised");
        goto done;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(res, &view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(res);
        log_python_error(50, "pymode_handle: handle() did not return bytes");
        goto done;
    }
    if (view.len > INT32_MAX - 4) {
        host_log_cstr(50, "pymode_handle: response too large");
    } else {
        out = malloc((size_t)view.len + 4);
        if (out == NULL) {
            host_log_cstr(50, "pymode_handle: out of memory for the response");
        } else {
            uint32_t n = (uint32_t)view.len;
            out[0] = (uint8_t)n;
            out[1] = (uint8_t)(n >> 8);
            out[2] = (uint8_t)(n >> 16);
            out[3] = (uint8_t)(n >> 24);
            memcpy(out + 4, view.buf, (size_t)view.len);
        }
    }
    PyBuffer_Release(&view);
    Py_DECREF(res);
done:
    flush_std_streams();
    return out;
}
