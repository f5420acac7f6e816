/* Test side module that needs a symbol python.wasm does not export: importing it must raise a
 * clear ImportError naming the symbol. */
#include <Python.h>

extern int PyMode_NoSuchSymbol(int);

static PyObject *
m_f(PyObject *self, PyObject *unused)
{
    return PyLong_FromLong(PyMode_NoSuchSymbol(1));
}

static PyMethodDef methods[] = {{"f", m_f, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "pymode_testext._missing", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__missing(void)
{
    return PyModule_Create(&module);
}
