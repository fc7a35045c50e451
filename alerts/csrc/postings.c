/* The pre-filter's index (``WatchIndex.lookup``), laid out for few cache misses. */
#include "core.h"

typedef struct {
    uint32_t hash;  /* the key's hash, cut short */
    uint32_t start; /* the slot's entries in `entries`, after how many there are */
    PyObject *key;  /* NULL in an empty slot */
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    PyObject **plains; /* each slot's key without the headline mark */
    size_t mask;       /* slots - 1, a power of two less one */
    uint64_t *bits;    /* two bits of one word per key, to pass over most keys without a miss */
    int bits_shift;
    /* Per slot, how many entries; then per entry the watch, how many other keys it needs, and
     * their numbers in `rest`. */
    uint32_t *entries;
    size_t entries_used;
    PyObject **rest;       /* the other keys a watch needs, each once */
    PyObject **rest_plain; /* the same without the headline mark */
    size_t rest_count;
    uint32_t *always; /* watches every article is a candidate for */
    size_t always_count;
} Postings;

/* The word of `bits` a hash is known by, and its two bits there. */
static uint64_t
bits_of(Py_hash_t hash, int shift, size_t *word)
{
    uint64_t mixed = (uint64_t)hash * UINT64_C(0x9E3779B97F4A7C15);
    *word = (size_t)(mixed >> shift);
    return (UINT64_C(1) << (mixed & 63)) | (UINT64_C(1) << ((mixed >> 6) & 63));
}

static int
has_bits(const Postings *self, Py_hash_t hash)
{
    size_t word;
    uint64_t bits = bits_of(hash, self->bits_shift, &word);
    return (self->bits[word] & bits) == bits;
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
        if (slot->hash == (uint32_t)hash) {
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
    if (self->slots && self->plains) {
        for (size_t i = 0; i <= self->mask; i++) {
            Py_XDECREF(self->slots[i].key);
            Py_XDECREF(self->plains[i]);
        }
    }
    for (size_t i = 0; i < self->rest_count; i++) {
        Py_XDECREF(self->rest[i]);
        Py_XDECREF(self->rest_plain[i]);
    }
    PyMem_Free(self->slots);
    PyMem_Free(self->plains);
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
    if (self->entries_used + 1 > *entries_size) {
        size_t size = (self->entries_used + 1) * 2;
        uint32_t *grown = PyMem_Realloc(self->entries, size * sizeof(uint32_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        self->entries = grown;
        *entries_size = size;
    }
    slot->start = (uint32_t)self->entries_used;
    self->entries[self->entries_used++] = (uint32_t)n;
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
            if (k == rest_size) { /* the set grew while it was read */
                PyErr_SetString(PyExc_RuntimeError, "a posting's keys changed while read");
                goto fail_key;
            }
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
    while (capacity < (size_t)keys * 3 / 2) /* two thirds full at most */
        capacity <<= 1;
    size_t words = 2; /* of 64 bits: 16 bits a key, or more */
    int shift = 63;
    while (words * 64 < (size_t)keys * 16) {
        words <<= 1;
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
    self->plains = PyMem_Calloc(capacity, sizeof(PyObject *));
    self->mask = capacity - 1;
    self->bits = PyMem_Calloc(words, sizeof(uint64_t));
    self->bits_shift = shift;
    self->rest = PyMem_Calloc(rest_capacity, sizeof(PyObject *));
    self->rest_plain = PyMem_Calloc(rest_capacity, sizeof(PyObject *));
    if (!self->slots || !self->plains || !self->bits || !self->rest || !self->rest_plain) {
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
        slot->hash = (uint32_t)hash;
        self->plains[slot - self->slots] = plain;
        size_t word;
        uint64_t bits = bits_of(hash, shift, &word);
        self->bits[word] |= bits;
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

/* The watches posted under one of the article's keys (in `slot`) whose other keys it holds. */
static int
look_up_slot(Postings *self, PyObject *keys, const Slot *slot, Numbers *found, PyObject *wanted)
{
    const uint32_t *entry = self->entries + slot->start + 1;
    uint32_t count = self->entries[slot->start];
    int wanted_key = 0;
    for (uint32_t e = 0; e < count; e++) {
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
    if (wanted_key && PySet_Add(wanted, self->plains[slot - self->slots]) < 0)
        return -1;
    return 0;
}

typedef struct {
    PyObject *key; /* borrowed from the article's set */
    Py_hash_t hash;
    Slot *slot;
} Passed;

/* The article's keys that pass the bit filter, their slots fetched ahead: memory is read for
 * many keys at once rather than one miss after the other. */
static Py_ssize_t
passing_keys(Postings *self, PyObject *keys, Passed *passed)
{
    Py_ssize_t count = 0;
    PyObject *key;
    Py_hash_t hash;
#if PY_VERSION_HEX < 0x030D0000
    /* The set holds each key's hash: read there, most keys need no look at their own memory. */
    Py_ssize_t position = 0;
    while (_PySet_NextEntry(keys, &position, &key, &hash)) {
#else
    PyObject *iterator = PyObject_GetIter(keys);
    if (iterator == NULL)
        return -1;
    while ((key = PyIter_Next(iterator)) != NULL) {
        Py_DECREF(key); /* the set holds it */
        hash = PyObject_Hash(key);
        if (hash == -1) {
            Py_DECREF(iterator);
            return -1;
        }
#endif
        if (!has_bits(self, hash))
            continue;
        passed[count].key = key;
        passed[count].hash = hash;
        __builtin_prefetch(&self->slots[(size_t)hash & self->mask]);
        count++;
    }
#if PY_VERSION_HEX >= 0x030D0000
    Py_DECREF(iterator);
    if (PyErr_Occurred())
        return -1;
#endif
    return count;
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
    Passed *passed = NULL;
    PyObject *wanted = PySet_New(NULL), *list = NULL, *result = NULL;
    if (wanted == NULL)
        return NULL;
    passed = PyMem_Calloc((size_t)PySet_GET_SIZE(keys) + 1, sizeof(Passed));
    if (passed == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t count = passing_keys(self, keys, passed);
    if (count < 0)
        goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (find_slot(self, passed[i].key, passed[i].hash, &passed[i].slot) < 0)
            goto done;
        if (passed[i].slot->key != NULL)
            __builtin_prefetch(self->entries + passed[i].slot->start);
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (passed[i].slot->key != NULL &&
            look_up_slot(self, keys, passed[i].slot, &found, wanted) < 0)
            goto done;
    }
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
    Py_XDECREF(list);
    Py_DECREF(wanted);
    PyMem_Free(found.items);
    PyMem_Free(passed);
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

PyTypeObject PostingsType = {
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
