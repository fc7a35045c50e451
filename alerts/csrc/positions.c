/* Each word's positions by key (``_Article.index_words``). */
#include "core.h"

const char fill_positions_doc[] = PyDoc_STR(
"fill_positions(positions, keys, wanted)\n\n"
"Append each word's number to ``positions[key]`` (a new list for a new key), for the words\n"
"of ``keys`` whose key is in ``wanted``, or for every word when ``wanted`` is None: what the\n"
"loop in ``_Article.index_words`` does.");

PyObject *
fill_positions(PyObject *module, PyObject *args)
{
    PyObject *positions, *keys, *wanted;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyDict_Type, &positions, &PyList_Type, &keys, &wanted))
        return NULL;
    if (wanted != Py_None && !PyAnySet_Check(wanted)) {
        PyErr_SetString(PyExc_TypeError, "wanted must be a set or None");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (wanted != Py_None) {
            int in = PySet_Contains(wanted, key);
            if (in < 0)
                return NULL;
            if (!in)
                continue;
        }
        PyObject *number = PyLong_FromSsize_t(i);
        if (number == NULL)
            return NULL;
        PyObject *known = PyDict_GetItemWithError(positions, key);
        int failed;
        if (known != NULL) {
            failed = PyList_Append(known, number);
        } else if (PyErr_Occurred()) {
            failed = -1;
        } else {
            PyObject *list = PyList_New(1);
            if (list == NULL) {
                Py_DECREF(number);
                return NULL;
            }
            Py_INCREF(number);
            PyList_SET_ITEM(list, 0, number);
            failed = PyDict_SetItem(positions, key, list);
            Py_DECREF(list);
        }
        Py_DECREF(number);
        if (failed)
            return NULL;
    }
    Py_RETURN_NONE;
}
