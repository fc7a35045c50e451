/* The matcher's inner loops, compiled: the module alerts._core.
 *
 * Each part has a twin in Python (named in its docstring) that gives the same answer and is
 * used when this module is not built; the tests run both on the same input
 * (tests/alerts/test_core.py). What makes these faster than their twins is less the
 * interpreter than memory: with 100,000 watches the pre-filter's index is far larger than the
 * CPU's caches, and a Python dictionary of tuples of frozensets costs several cache misses per
 * watch looked at, where the tables here cost one.
 *
 *   postings.c   the pre-filter's look-up            (prefilter.WatchIndex.lookup_in_python)
 *   checks.c     the watches' checks                 (matching.verify_in_python)
 *   snippets.c   the matches' snippets               (matching.snippet_in_python)
 *   sentences.c  sentence splitting                  (text.split_sentences_in_python)
 */
#include "core.h"

/* (start, end) as a tuple of two ints. */
PyObject *
span_tuple(Py_ssize_t start, Py_ssize_t end)
{
    PyObject *tuple = PyTuple_New(2), *low, *high;
    if (tuple == NULL)
        return NULL;
    if ((low = PyLong_FromSsize_t(start)) == NULL) {
        Py_DECREF(tuple);
        return NULL;
    }
    PyTuple_SET_ITEM(tuple, 0, low);
    if ((high = PyLong_FromSsize_t(end)) == NULL) {
        Py_DECREF(tuple);
        return NULL;
    }
    PyTuple_SET_ITEM(tuple, 1, high);
    return tuple;
}

static PyMethodDef core_methods[] = {
    {"split_sentences", split_sentences, METH_VARARGS, split_sentences_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "alerts._core",
    .m_doc = "The matcher's inner loops, compiled; each has a twin in Python.",
    .m_size = -1,
    .m_methods = core_methods,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    PyTypeObject *types[] = {&PostingsType, &ChecksType, &SnippetsType};
    PyObject *module = PyModule_Create(&core_module);
    if (module == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        /* PyModule_AddType readies the type and adds it under its short name. */
        if (PyModule_AddType(module, types[i]) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
