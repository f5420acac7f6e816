// C++ side module: std::string, std::set and std::vector need operator new/delete and libc++'s string
// instantiations, which come from the builder's C++ support archive (python.wasm has no libc++).
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <set>
#include <sstream>
#include <string>
#include <vector>

static PyObject *sorted_words(PyObject *, PyObject *arg) {
    const char *text = PyUnicode_AsUTF8(arg);
    if (!text) return nullptr;
    std::set<std::string> words;
    std::string word;
    for (const char *p = text;; ++p) {
        if (*p && *p != ' ') { word += *p; continue; }
        if (!word.empty()) words.insert(word);
        word.clear();
        if (!*p) break;
    }
    std::vector<std::string> v(words.begin(), words.end());
    PyObject *out = PyList_New(0);
    for (const auto &w : v) {
        PyObject *s = PyUnicode_FromStringAndSize(w.data(), (Py_ssize_t)w.size());
        if (!s || PyList_Append(out, s) < 0) { Py_XDECREF(s); Py_DECREF(out); return nullptr; }
        Py_DECREF(s);
    }
    return out;
}

static PyMethodDef methods[] = {{"sorted_words", sorted_words, METH_O, nullptr}, {nullptr, nullptr, 0, nullptr}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cxx", nullptr, -1, methods};
PyMODINIT_FUNC PyInit__cxx(void) { return PyModule_Create(&module); }
