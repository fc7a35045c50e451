/* The matcher's inner loops, compiled.
 *
 * Each function here has a twin in Python (named in its docstring) that gives the same answer
 * and is used when this module is not built; the tests run both on the same input. What makes
 * these faster than their twins is less the interpreter than memory: with 100,000 watches the
 * pre-filter's index is far larger than the CPU's caches, and a Python dictionary of tuples of
 * frozensets costs several cache misses per watch looked at, where the table below costs one.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* -- Postings: the pre-filter's index ------------------------------------------------------ */

typedef struct {
    Py_hash_t hash;
    PyObject *key;   /* NULL in an empty slot */
    PyObject *plain; /* the key without the headline mark */
    uint32_t start;  /* the slot's entries in `entries` */
    uint32_t count;
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    size_t mask;       /* slots - 1, a power of two less one */
    uint64_t *bits;    /* one bit per hash value seen, to pass over most keys without a miss */
    int bits_shift;
    uint32_t *entries; /* per entry: the watch, how many other keys, their numbers in `rest` */
    size_t entries_used;
    PyObject **rest;       /* the other keys a watch needs, each once */
    PyObject **rest_plain; /* the same without the headline mark */
    size_t rest_count;
    uint32_t *always; /* watches every article is a candidate for */
    size_t always_count;
} Postings;

static uint64_t
bit_of(Py_hash_t hash, int shift)
{
    return ((uint64_t)hash * UINT64_C(0x9E3779B97F4A7C15)) >> shift;
}

static int
has_bit(const Postings *self, Py_hash_t hash)
{
    uint64_t bit = bit_of(hash, self->bits_shift);
    return (self->bits[bit >> 6] >> (bit & 63)) & 1;
}

static PyObject *
without_mark(PyObject *key, PyObject *mark)
{
    int marked = PyUnicode_Tailmatch(key, mark, 0, PY_SSIZE_T_MAX, -1);
    if (marked < 0)
        return NULL;
    if (!marked) {
        Py_INCREF(key);
        return key;
    }
    return PyUnicode_Substring(key, PyUnicode_GET_LENGTH(mark), PyUnicode_GET_LENGTH(key));
}

/* The slot of `key`, or of the empty slot where it would go. */
static int
find_slot(const Postings *self, PyObject *key, Py_hash_t hash, Slot **found)
{
    size_t i = (size_t)hash & self->mask;
    for (;;) {
        Slot *slot = &self->slots[i];
        if (slot->key == NULL || slot->key == key) {
            *found = slot;
            return 0;
        }
        if (slot->hash == hash) {
            int equal = PyObject_RichCompareBool(slot->key, key, Py_EQ);
            if (equal < 0)
                return -1;
            if (equal) {
                *found = slot;
                return 0;
            }
        }
        i = (i + 1) & self->mask;
    }
}

static void
Postings_dealloc(Postings *self)
{
    if (self->slots) {
        for (size_t i = 0; i <= self->mask; i++) {
            Py_XDECREF(self->slots[i].key);
            Py_XDECREF(self->slots[i].plain);
        }
    }
    for (size_t i = 0; i < self->rest_count; i++) {
        Py_XDECREF(self->rest[i]);
        Py_XDECREF(self->rest_plain[i]);
    }
    PyMem_Free(self->slots);
    PyMem_Free(self->bits);
    PyMem_Free(self->entries);
    PyMem_Free(self->rest);
    PyMem_Free(self->rest_plain);
    PyMem_Free(self->always);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
add_entries(Postings *self, Slot *slot, PyObject *entries, PyObject *rest_numbers, PyObject *mark,
            size_t *entries_size)
{
    PyObject *seq = PySequence_Fast(entries, "the postings of a key must be a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    slot->start = (uint32_t)self->entries_used;
    slot->count = (uint32_t)n;
    for (Py_ssize_t e = 0; e < n; e++) {
        PyObject *watch, *rest;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, e), "OO", &watch, &rest))
            goto fail;
        Py_ssize_t rest_size = PyObject_Size(rest);
        if (rest_size < 0)
            goto fail;
        size_t needed = self->entries_used + 2 + (size_t)rest_size;
        if (needed > *entries_size) {
            size_t size = needed * 2;
            uint32_t *grown = PyMem_Realloc(self->entries, size * sizeof(uint32_t));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            self->entries = grown;
            *entries_size = size;
        }
        long number = PyLong_AsLong(watch);
        if (number == -1 && PyErr_Occurred())
            goto fail;
        uint32_t *at = self->entries + self->entries_used;
        at[0] = (uint32_t)number;
        at[1] = (uint32_t)rest_size;
        PyObject *iterator = PyObject_GetIter(rest), *key;
        if (iterator == NULL)
            goto fail;
        Py_ssize_t k = 0;
        while ((key = PyIter_Next(iterator)) != NULL) {
            PyObject *known = PyDict_GetItemWithError(rest_numbers, key);
            if (known == NULL) {
                if (PyErr_Occurred())
                    goto fail_key;
                PyObject *plain = without_mark(key, mark);
                PyObject *next = PyLong_FromSize_t(self->rest_count);
                if (plain == NULL || next == NULL || PyDict_SetItem(rest_numbers, key, next) < 0) {
                    Py_XDECREF(plain);
                    Py_XDECREF(next);
                    goto fail_key;
                }
                Py_DECREF(next);
                Py_INCREF(key);
                self->rest[self->rest_count] = key;
                self->rest_plain[self->rest_count] = plain;
                at[2 + k] = (uint32_t)self->rest_count++;
            } else {
                at[2 + k] = (uint32_t)PyLong_AsSize_t(known);
            }
            Py_DECREF(key);
            k++;
            continue;
        fail_key:
            Py_DECREF(key);
            Py_DECREF(iterator);
            goto fail;
        }
        Py_DECREF(iterator);
        if (PyErr_Occurred())
            goto fail;
        self->entries_used = needed;
    }
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(seq);
    return -1;
}

static int
Postings_init(Postings *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"posted", "always", "mark", NULL};
    PyObject *posted, *always, *mark;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OU", keywords, &PyDict_Type, &posted, &always,
                                     &mark))
        return -1;
    if (self->slots != NULL) {
        PyErr_SetString(PyExc_TypeError, "Postings cannot be filled twice");
        return -1;
    }
    Py_ssize_t keys = PyDict_GET_SIZE(posted);
    size_t capacity = 8;
    while (capacity < (size_t)keys * 2)
        capacity <<= 1;
    size_t bit_count = 64;
    int shift = 64 - 6;
    while (bit_count < (size_t)keys * 16) {
        bit_count <<= 1;
        shift--;
    }
    /* No more other keys than the entries name, counted first so `rest` never moves. */
    size_t rest_capacity = 1;
    PyObject *key, *value;
    Py_ssize_t position = 0;
    while (PyDict_Next(posted, &position, &key, &value)) {
        PyObject *seq = PySequence_Fast(value, "the postings of a key must be a sequence");
        if (seq == NULL)
            return -1;
        for (Py_ssize_t e = 0; e < PySequence_Fast_GET_SIZE(seq); e++) {
            PyObject *entry = PySequence_Fast_GET_ITEM(seq, e);
            Py_ssize_t n = PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 2
                               ? PyObject_Size(PyTuple_GET_ITEM(entry, 1)) : -1;
            if (n < 0) {
                Py_DECREF(seq);
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "a posting must be (watch, other keys)");
                return -1;
            }
            rest_capacity += (size_t)n;
        }
        Py_DECREF(seq);
    }
    self->slots = PyMem_Calloc(capacity, sizeof(Slot));
    self->mask = capacity - 1;
    self->bits = PyMem_Calloc(bit_count / 64, sizeof(uint64_t));
    self->bits_shift = shift;
    self->rest = PyMem_Calloc(rest_capacity, sizeof(PyObject *));
    self->rest_plain = PyMem_Calloc(rest_capacity, sizeof(PyObject *));
    if (!self->slots || !self->bits || !self->rest || !self->rest_plain) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *rest_numbers = PyDict_New();
    if (rest_numbers == NULL)
        return -1;
    size_t entries_size = 0;
    position = 0;
    while (PyDict_Next(posted, &position, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "posted keys must be str");
            goto fail;
        }
        Py_hash_t hash = PyObject_Hash(key);
        Slot *slot;
        if (hash == -1 || find_slot(self, key, hash, &slot) < 0)
            goto fail;
        PyObject *plain = without_mark(key, mark);
        if (plain == NULL)
            goto fail;
        Py_INCREF(key);
        slot->key = key;
        slot->plain = plain;
        slot->hash = hash;
        uint64_t bit = bit_of(hash, shift);
        self->bits[bit >> 6] |= UINT64_C(1) << (bit & 63);
        if (add_entries(self, slot, value, rest_numbers, mark, &entries_size) < 0)
            goto fail;
    }
    Py_DECREF(rest_numbers);
    PyObject *seq = PySequence_Fast(always, "always must be a sequence of watch numbers");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    self->always = PyMem_Calloc((size_t)n + 1, sizeof(uint32_t));
    if (self->always == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        long number = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (number == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        self->always[i] = (uint32_t)number;
    }
    self->always_count = (size_t)n;
    Py_DECREF(seq);
    return 0;
fail:
    Py_DECREF(rest_numbers);
    return -1;
}

static int
compare_numbers(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

typedef struct {
    uint32_t *items;
    size_t used, size;
} Numbers;

static int
push_number(Numbers *numbers, uint32_t number)
{
    if (numbers->used == numbers->size) {
        size_t size = numbers->size ? numbers->size * 2 : 64;
        uint32_t *grown = PyMem_Realloc(numbers->items, size * sizeof(uint32_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        numbers->items = grown;
        numbers->size = size;
    }
    numbers->items[numbers->used++] = number;
    return 0;
}

/* One key of the article: the watches posted under it whose other keys the article holds. */
static int
look_up_key(Postings *self, PyObject *keys, PyObject *key, Numbers *found, PyObject *wanted)
{
    Py_hash_t hash = PyObject_Hash(key);
    if (hash == -1)
        return -1;
    if (!has_bit(self, hash))
        return 0;
    Slot *slot;
    if (find_slot(self, key, hash, &slot) < 0)
        return -1;
    if (slot->key == NULL)
        return 0;
    const uint32_t *entry = self->entries + slot->start;
    int wanted_key = 0;
    for (uint32_t e = 0; e < slot->count; e++) {
        uint32_t watch = entry[0], rest_count = entry[1];
        const uint32_t *rest = entry + 2;
        entry += 2 + rest_count;
        int holds = 1;
        for (uint32_t k = 0; k < rest_count && holds; k++) {
            holds = PySet_Contains(keys, self->rest[rest[k]]);
            if (holds < 0)
                return -1;
        }
        if (!holds)
            continue;
        if (push_number(found, watch) < 0)
            return -1;
        wanted_key = 1;
        for (uint32_t k = 0; k < rest_count; k++) {
            if (PySet_Add(wanted, self->rest_plain[rest[k]]) < 0)
                return -1;
        }
    }
    if (wanted_key && PySet_Add(wanted, slot->plain) < 0)
        return -1;
    return 0;
}

PyDoc_STRVAR(Postings_lookup_doc,
"lookup(keys) -> (candidates, wanted)\n\n"
"What ``WatchIndex.lookup_in_python`` gives: the watches (sorted) for which the set ``keys``\n"
"holds every key of one way to match, and those keys without the headline mark.");

static PyObject *
Postings_lookup(Postings *self, PyObject *keys)
{
    if (self->slots == NULL) {
        PyErr_SetString(PyExc_TypeError, "Postings was not filled");
        return NULL;
    }
    if (!PyAnySet_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "lookup() takes a set of keys");
        return NULL;
    }
    Numbers found = {NULL, 0, 0};
    PyObject *wanted = PySet_New(NULL), *iterator = NULL, *key, *list = NULL, *result = NULL;
    if (wanted == NULL)
        return NULL;
    iterator = PyObject_GetIter(keys);
    if (iterator == NULL)
        goto done;
    while ((key = PyIter_Next(iterator)) != NULL) {
        int failed = look_up_key(self, keys, key, &found, wanted);
        Py_DECREF(key);
        if (failed)
            goto done;
    }
    if (PyErr_Occurred())
        goto done;
    for (size_t i = 0; i < self->always_count; i++) {
        if (push_number(&found, self->always[i]) < 0)
            goto done;
    }
    if (found.used > 1)
        qsort(found.items, found.used, sizeof(uint32_t), compare_numbers);
    size_t distinct = 0;
    for (size_t i = 0; i < found.used; i++) {
        if (i == 0 || found.items[i] != found.items[i - 1])
            found.items[distinct++] = found.items[i];
    }
    list = PyList_New((Py_ssize_t)distinct);
    if (list == NULL)
        goto done;
    for (size_t i = 0; i < distinct; i++) {
        PyObject *number = PyLong_FromUnsignedLong(found.items[i]);
        if (number == NULL)
            goto done;
        PyList_SET_ITEM(list, (Py_ssize_t)i, number);
    }
    result = PyTuple_Pack(2, list, wanted);
done:
    Py_XDECREF(iterator);
    Py_XDECREF(list);
    Py_DECREF(wanted);
    PyMem_Free(found.items);
    return result;
}

static PyMethodDef Postings_methods[] = {
    {"lookup", (PyCFunction)Postings_lookup, METH_O, Postings_lookup_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Postings_doc,
"Postings(posted, always, mark)\n\n"
"``WatchIndex.posted`` (each key's watches, with the other keys each needs) and\n"
"``WatchIndex.always``, laid out for ``lookup``; ``mark`` is the headline mark.");

static PyTypeObject PostingsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "alerts._core.Postings",
    .tp_basicsize = sizeof(Postings),
    .tp_dealloc = (destructor)Postings_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Postings_doc,
    .tp_methods = Postings_methods,
    .tp_init = (initproc)Postings_init,
    .tp_new = PyType_GenericNew,
};

/* -- positions ----------------------------------------------------------------------------- */

PyDoc_STRVAR(fill_positions_doc,
"fill_positions(positions, keys, wanted)\n\n"
"Append each word's number to ``positions[key]`` (a new list for a new key), for the words\n"
"of ``keys`` whose key is in ``wanted``, or for every word when ``wanted`` is None: what the\n"
"loop in ``_Article.index_words`` does.");

static PyObject *
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

static PyMethodDef core_methods[] = {
    {"fill_positions", fill_positions, METH_VARARGS, fill_positions_doc},
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
    if (PyType_Ready(&PostingsType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&core_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&PostingsType);
    if (PyModule_AddObject(module, "Postings", (PyObject *)&PostingsType) < 0) {
        Py_DECREF(&PostingsType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
