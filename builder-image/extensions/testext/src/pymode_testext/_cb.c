/* Test side module: exercises data relocations (pointers in static data), function pointers
 * through the shared table, the shared stack pointer, libc imports, and calls back into Python. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <string.h>

static const char *words[] = {"side", "module", "linked"};
static int triple(int x) { return 3 * x; }
static int square(int x) { return x * x; }
static int (*ops[])(int) = {triple, square};
static int counter = 0;

static PyObject *
cb_call(PyObject *self, PyObject *f)
{
    counter++;
    return PyObject_CallNoArgs(f); /* Python code runs with this side-module frame on the stack */
}

static PyObject *
cb_info(PyObject *self, PyObject *unused)
{
    char buf[128]; /* on the shared shadow stack */
    snprintf(buf, sizeof buf, "%s %s %s", words[0], words[1], words[2]);
    return Py_BuildValue("(siii)", buf, ops[0](7), ops[1](7), counter);
}

static PyObject *
cb_sort(PyObject *self, PyObject *list)
{
    /* qsort from python.wasm's libc calling back a comparison function of this module */
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "sort() needs a list of ints");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    long *v = PyMem_Malloc(sizeof(long) * (n ? n : 1));
    if (!v) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        v[i] = PyLong_AsLong(PyList_GET_ITEM(list, i));
        if (v[i] == -1 && PyErr_Occurred()) { PyMem_Free(v); return NULL; }
    }
    int cmp(const void *a, const void *b);
    qsort(v, (size_t)n, sizeof(long), cmp);
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) PyList_SET_ITEM(out, i, PyLong_FromLong(v[i]));
    PyMem_Free(v);
    return out;
}

int cmp(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static PyMethodDef methods[] = {
    {"call", cb_call, METH_O, "call(f) -> f(), from C"},
    {"info", cb_info, METH_NOARGS, "static data and function pointers"},
    {"sort", cb_sort, METH_O, "sort a list of ints with libc qsort"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pymode_testext._cb", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__cb(void)
{
    return PyModule_Create(&module);
}
