#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "mesontest_config.h"

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}
static PyObject *greeting(PyObject *self, PyObject *Py_UNUSED(unused)) { return PyUnicode_FromString(GREETING); }
static PyObject *probes(PyObject *self, PyObject *Py_UNUSED(unused)) {
    return Py_BuildValue("{sOsO}", "strtold_l", HAVE_STRTOLD_L ? Py_True : Py_False, "backtrace", HAVE_BACKTRACE ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, NULL},
    {"greeting", greeting, METH_NOARGS, NULL},
    {"probes", probes, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_c", NULL, -1, methods};
PyMODINIT_FUNC PyInit__c(void) { return PyModule_Create(&module); }
