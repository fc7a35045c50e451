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

/* Python's str.isalpha() and \w for one character, with ASCII answered without a table. */
static inline int
is_alpha(Py_UCS4 c)
{
    return c < 128 ? (c | 32) - 'a' < 26 : Py_UNICODE_ISALPHA(c);
}

static inline int
is_word_char(Py_UCS4 c)
{
    if (c < 128)
        return (c | 32) - 'a' < 26 || c - '0' < 10 || c == '_';
    return Py_UNICODE_ISALNUM(c);
}

/* (start, end) as a tuple of two ints. */
static PyObject *
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

/* -- Postings: the pre-filter's index ------------------------------------------------------ */

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
    uint32_t *entries; /* per entry: the watch, how many other keys, their numbers in `rest` */
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
    if (self->slots) {
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

/* -- snippets ------------------------------------------------------------------------------ */

typedef struct {
    Py_ssize_t start, end;
} Span;

typedef struct {
    PyObject_HEAD
    PyObject *title, *text;  /* the headline is sentence 0, the body the others */
    Py_ssize_t sentence_count;
    Span *sentences;         /* each sentence's (start, end) in its text */
    Py_ssize_t *first;       /* each sentence's first word, and the word count after the last */
    Py_ssize_t word_count;
    PyObject *keys;          /* each word's key: a list */
    PyObject *split_run, *is_plain; /* alerts.text's, to find words as WordSpans does */
    Py_ssize_t limit, min_share;
    Py_UCS4 ellipsis;
    PyObject *space, *cut, *joiner, *empty; /* " ", "…", " … " and "", made once */
    Span **word_spans;       /* each sentence's words, found the first time it is shown */
    PyObject **texts;        /* each sentence's text, white space made spaces, likewise */
} Snippets;

static void
Snippets_dealloc(Snippets *self)
{
    for (Py_ssize_t s = 0; s < self->sentence_count; s++) {
        if (self->word_spans)
            PyMem_Free(self->word_spans[s]);
        if (self->texts)
            Py_XDECREF(self->texts[s]);
    }
    PyMem_Free(self->word_spans);
    PyMem_Free(self->texts);
    PyMem_Free(self->sentences);
    PyMem_Free(self->first);
    Py_XDECREF(self->title);
    Py_XDECREF(self->text);
    Py_XDECREF(self->keys);
    Py_XDECREF(self->space);
    Py_XDECREF(self->cut);
    Py_XDECREF(self->joiner);
    Py_XDECREF(self->empty);
    Py_XDECREF(self->split_run);
    Py_XDECREF(self->is_plain);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
Snippets_init(Snippets *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"title", "text", "sentences", "first", "keys", "split_run",
                               "is_plain", "limit", "min_share", "ellipsis", NULL};
    PyObject *title, *text, *sentences, *first, *keys, *split_run, *is_plain;
    Py_ssize_t limit, min_share;
    PyObject *ellipsis;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "UUO!O!O!OOnnU", keywords, &title, &text,
                                     &PyList_Type, &sentences, &PyList_Type, &first,
                                     &PyList_Type, &keys, &split_run, &is_plain, &limit,
                                     &min_share, &ellipsis))
        return -1;
    if (self->sentences != NULL) {
        PyErr_SetString(PyExc_TypeError, "Snippets cannot be filled twice");
        return -1;
    }
    Py_ssize_t count = PyList_GET_SIZE(sentences);
    if (PyList_GET_SIZE(first) != count || PyUnicode_GET_LENGTH(ellipsis) != 1) {
        PyErr_SetString(PyExc_ValueError, "one first word per sentence, one ellipsis character");
        return -1;
    }
    self->sentences = PyMem_Calloc((size_t)count + 1, sizeof(Span));
    self->first = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    self->word_spans = PyMem_Calloc((size_t)count + 1, sizeof(Span *));
    self->texts = PyMem_Calloc((size_t)count + 1, sizeof(PyObject *));
    if (!self->sentences || !self->first || !self->word_spans || !self->texts) {
        PyErr_NoMemory();
        return -1;
    }
    self->sentence_count = count;
    for (Py_ssize_t s = 0; s < count; s++) {
        Py_ssize_t start, end;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(sentences, s), "nn", &start, &end))
            return -1;
        PyObject *source = s == 0 ? title : text;
        if (start < 0 || end < start || end > PyUnicode_GET_LENGTH(source)) {
            PyErr_SetString(PyExc_ValueError, "a sentence reaches outside its text");
            return -1;
        }
        self->sentences[s].start = start;
        self->sentences[s].end = end;
        self->first[s] = PyLong_AsSsize_t(PyList_GET_ITEM(first, s));
        if (self->first[s] == -1 && PyErr_Occurred())
            return -1;
    }
    self->word_count = PyList_GET_SIZE(keys);
    self->first[count] = self->word_count;
    Py_INCREF(title);
    self->title = title;
    Py_INCREF(text);
    self->text = text;
    Py_INCREF(keys);
    self->keys = keys;
    Py_INCREF(split_run);
    self->split_run = split_run;
    Py_INCREF(is_plain);
    self->is_plain = is_plain;
    self->limit = limit;
    self->min_share = min_share;
    self->ellipsis = PyUnicode_READ_CHAR(ellipsis, 0);
    Py_INCREF(ellipsis);
    self->cut = ellipsis;
    self->space = PyUnicode_FromString(" ");
    self->joiner = PyUnicode_FromFormat(" %U ", ellipsis);
    self->empty = PyUnicode_New(0, 0);
    if (self->space == NULL || self->joiner == NULL || self->empty == NULL)
        return -1;
    return 0;
}

static int
add_run_words(PyObject *spans, Py_ssize_t offset, Span *out, Py_ssize_t *found, Py_ssize_t room)
{
    PyObject *seq = PySequence_Fast(spans, "a run's spans must be a sequence");
    if (seq == NULL)
        return -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        Py_ssize_t low, high;
        if (*found >= room) {
            PyErr_SetString(PyExc_RuntimeError, "a sentence has more words than keys");
            Py_DECREF(seq);
            return -1;
        }
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "nn", &low, &high)) {
            Py_DECREF(seq);
            return -1;
        }
        out[*found].start = offset + low;
        out[*found].end = offset + high;
        (*found)++;
    }
    Py_DECREF(seq);
    return 0;
}

/* Where the next space is from `i` on, or `length`: found with memchr in one-byte text. */
static inline Py_ssize_t
next_space(int kind, const void *data, Py_ssize_t i, Py_ssize_t length)
{
    if (kind == PyUnicode_1BYTE_KIND) {
        const char *found = i < length ? memchr((const char *)data + i, ' ', length - i) : NULL;
        return found ? found - (const char *)data : length;
    }
    while (i < length && PyUnicode_READ(kind, data, i) != ' ')
        i++;
    return i;
}

/* How many letters [start, end) starts with. */
static inline Py_ssize_t
count_letters(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    Py_ssize_t i = start;
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *bytes = data;
        while (i < end && is_alpha(bytes[i]))
            i++;
    } else {
        while (i < end && is_alpha(PyUnicode_READ(kind, data, i)))
            i++;
    }
    return i - start;
}

/* Where the words of sentence `s` start and end in it: as WordSpans finds them, run by run. */
static Span *
word_spans(Snippets *self, Py_ssize_t s)
{
    if (self->word_spans[s] != NULL)
        return self->word_spans[s];
    Py_ssize_t words = self->first[s + 1] - self->first[s];
    Span *out = PyMem_Calloc((size_t)words + 1, sizeof(Span));
    if (out == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    PyObject *source = s == 0 ? self->title : self->text;
    PyObject *sentence = PyUnicode_Substring(source, self->sentences[s].start,
                                             self->sentences[s].end);
    if (sentence == NULL)
        goto fail;
    int plain = PyUnicode_IS_ASCII(sentence);
    if (!plain) {
        PyObject *answer = PyObject_CallOneArg(self->is_plain, sentence);
        if (answer == NULL)
            goto fail_sentence;
        plain = PyObject_IsTrue(answer);
        Py_DECREF(answer);
        if (plain < 0)
            goto fail_sentence;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(sentence), found = 0, run_start = 0;
    int kind = PyUnicode_KIND(sentence);
    const void *data = PyUnicode_DATA(sentence);
    for (Py_ssize_t i = next_space(kind, data, 0, length);; i = next_space(kind, data, i + 1, length)) {
        /* The run [run_start, i) in plain text: one word when all letters, or all letters
         * but one sign at the end ("Beijing.", "Putin,"); any other run is split in Python. */
        Py_ssize_t letters = plain ? count_letters(kind, data, run_start, i) : 0;
        int one_word = plain && letters > 0 && run_start + letters >= i - 1;
        if (one_word && run_start + letters == i - 1) {
            Py_UCS4 last = PyUnicode_READ(kind, data, i - 1);
            one_word = !Py_UNICODE_ISALNUM(last) && last != '_';
        }
        if (one_word) {
            if (found >= words) {
                PyErr_SetString(PyExc_RuntimeError, "a sentence has more words than keys");
                goto fail_sentence;
            }
            out[found].start = run_start;
            out[found].end = run_start + letters;
            found++;
        } else if (i > run_start || !plain) {
            PyObject *run = PyUnicode_Substring(sentence, run_start, i);
            if (run == NULL)
                goto fail_sentence;
            PyObject *spans = PyObject_CallFunctionObjArgs(self->split_run, run,
                                                           plain ? Py_True : Py_False, NULL);
            Py_DECREF(run);
            if (spans == NULL)
                goto fail_sentence;
            int failed = add_run_words(spans, run_start, out, &found, words);
            Py_DECREF(spans);
            if (failed)
                goto fail_sentence;
        }
        if (i == length)
            break;
        run_start = i + 1;
    }
    Py_DECREF(sentence);
    if (found != words) {
        PyErr_SetString(PyExc_RuntimeError, "a sentence has fewer words than keys");
        goto fail;
    }
    self->word_spans[s] = out;
    return out;
fail_sentence:
    Py_DECREF(sentence);
fail:
    PyMem_Free(out);
    return NULL;
}

/* Sentence `s`'s text as a snippet shows it: line breaks and tabs made spaces. */
static PyObject *
shown_text(Snippets *self, Py_ssize_t s)
{
    if (self->texts[s] != NULL)
        return self->texts[s];
    PyObject *source = s == 0 ? self->title : self->text;
    PyObject *text = PyUnicode_Substring(source, self->sentences[s].start, self->sentences[s].end);
    if (text == NULL)
        return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* In one-byte text, memchr finds quicker that there is nothing to change. */
    int unchanged = kind == PyUnicode_1BYTE_KIND && !memchr(data, '\n', length) &&
                    !memchr(data, '\r', length) && !memchr(data, '\t', length);
    for (Py_ssize_t i = 0; !unchanged && i < length; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n' || c == '\r' || c == '\t') {
            /* Rare: copied, then changed where needed. */
            PyObject *copy = PyUnicode_New(length, PyUnicode_MAX_CHAR_VALUE(text));
            if (copy == NULL || PyUnicode_CopyCharacters(copy, 0, text, 0, length) < 0) {
                Py_XDECREF(copy);
                Py_DECREF(text);
                return NULL;
            }
            for (Py_ssize_t j = i; j < length; j++) {
                Py_UCS4 d = PyUnicode_READ_CHAR(copy, j);
                if (d == '\n' || d == '\r' || d == '\t')
                    PyUnicode_WriteChar(copy, j, ' ');
            }
            Py_DECREF(text);
            text = copy;
            break;
        }
    }
    self->texts[s] = text;
    return text;
}

typedef struct {
    Py_ssize_t start, end;
} Window;

static int
is_space_at(PyObject *text, Py_ssize_t i)
{
    return Py_UNICODE_ISSPACE(PyUnicode_READ(PyUnicode_KIND(text), PyUnicode_DATA(text), i));
}

/* qsnippet._window: about `size` characters holding text[low:high], cut at spaces. */
static Window
window_of(PyObject *text, Py_ssize_t low, Py_ssize_t high, Py_ssize_t size)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    Py_ssize_t room = size - (high - low) > 0 ? size - (high - low) : 0;
    Py_ssize_t start = low - room / 2 > 0 ? low - room / 2 : 0;
    Py_ssize_t end = high + room - (low - start);
    if (end > length)
        end = length;
    Py_ssize_t least = size > high - low ? size : high - low;
    if (end - least < start)
        start = end - least;
    if (start < 0)
        start = 0;
    if (start > 0 && !is_space_at(text, start - 1)) {
        Py_ssize_t i = start;
        while (i < low && !is_space_at(text, i))
            i++;
        start = i < low ? i + 1 : low;
    }
    if (end < length && !is_space_at(text, end)) {
        Py_ssize_t i = end - 1;
        while (i >= high && !is_space_at(text, i))
            i--;
        end = i >= high ? i : high;
    }
    while (start < low && is_space_at(text, start))
        start++;
    while (end > high && is_space_at(text, end - 1))
        end--;
    Window window = {start, end};
    return window;
}

/* What a snippet is built into: its text in parts, its length, its last character, its marks. */
typedef struct {
    PyObject *parts;
    Py_ssize_t length;
    Py_UCS4 last;
    Span *marks;
    Py_ssize_t mark_count, mark_room;
} Out;

static int
out_text(Out *out, PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (length == 0)
        return 0;
    if (PyList_Append(out->parts, text) < 0)
        return -1;
    out->length += length;
    out->last = PyUnicode_READ_CHAR(text, length - 1);
    return 0;
}

static int
out_slice(Out *out, PyObject *text, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *part = PyUnicode_Substring(text, start, end);
    if (part == NULL)
        return -1;
    int failed = out_text(out, part);
    Py_DECREF(part);
    return failed;
}

static int
out_mark(Out *out, Py_ssize_t start, Py_ssize_t end)
{
    if (out->mark_count == out->mark_room) {
        Py_ssize_t room = out->mark_room ? out->mark_room * 2 : 16;
        Span *grown = PyMem_Realloc(out->marks, (size_t)room * sizeof(Span));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        out->marks = grown;
        out->mark_room = room;
    }
    out->marks[out->mark_count].start = start;
    out->marks[out->mark_count].end = end;
    out->mark_count++;
    return 0;
}

static int
compare_spans(const void *a, const void *b)
{
    const Span *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    return (x->end > y->end) - (x->end < y->end);
}

/* qsnippet._trim: `text` cut down to windows of about `share` characters around its marks
 * (offsets into `text`, in order), written into `out`. */
static int
out_trimmed(Snippets *self, Out *out, PyObject *text, const Span *marks, Py_ssize_t mark_count,
            Py_ssize_t share)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), clusters = 0, merged_count = 0;
    Window *merged = PyMem_Calloc((size_t)mark_count + 1, sizeof(Window));
    PyObject *ellipsis = self->cut, *spaced = self->joiner;
    if (merged == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    /* Clusters: the marks within `share` of their cluster's first. The windows' size depends
     * on how many there are, so they are counted first. */
    for (Py_ssize_t i = 0; i < mark_count; clusters++) {
        Py_ssize_t j = i + 1;
        while (j < mark_count && marks[j].end - marks[i].start <= share)
            j++;
        i = j;
    }
    if (clusters == 0)
        merged[merged_count++] = window_of(text, 0, 0, share);
    for (Py_ssize_t i = 0; i < mark_count;) {
        Py_ssize_t high = marks[i].end, j = i + 1;
        while (j < mark_count && marks[j].end - marks[i].start <= share) {
            if (marks[j].end > high)
                high = marks[j].end;
            j++;
        }
        Window window = window_of(text, marks[i].start, high, share / clusters);
        if (merged_count && window.start <= merged[merged_count - 1].end + 1) {
            if (window.end > merged[merged_count - 1].end)
                merged[merged_count - 1].end = window.end;
        } else {
            merged[merged_count++] = window;
        }
        i = j;
    }
    if (merged[0].start > 0 && out_text(out, ellipsis) < 0)
        goto fail;
    for (Py_ssize_t w = 0; w < merged_count; w++) {
        Py_ssize_t start = merged[w].start, end = merged[w].end;
        if (w && out_text(out, spaced) < 0)
            goto fail;
        for (Py_ssize_t i = 0; i < mark_count; i++) {
            if (start <= marks[i].start && marks[i].end <= end &&
                out_mark(out, marks[i].start - start + out->length,
                         marks[i].end - start + out->length) < 0)
                goto fail;
        }
        if (out_slice(out, text, start, end) < 0)
            goto fail;
    }
    if (merged[merged_count - 1].end < length && out_text(out, ellipsis) < 0)
        goto fail;
    PyMem_Free(merged);
    return 0;
fail:
    PyMem_Free(merged);
    return -1;
}

/* One sentence into the snippet (a step of qsnippet.build_snippet's loop): `marks` are offsets
 * into `text`, in order; `previous` is the sentence shown before, or -1. */
static int
out_piece(Snippets *self, Out *out, PyObject *text, Span *marks, Py_ssize_t mark_count, int trim,
          Py_ssize_t share, Py_ssize_t sentence, Py_ssize_t previous)
{
    Out piece = {NULL, 0, 0, NULL, 0, 0};
    PyObject *shown = NULL;
    int result = -1;
    if (trim && PyUnicode_GET_LENGTH(text) > share) {
        qsort(marks, (size_t)mark_count, sizeof(Span), compare_spans);
        piece.parts = PyList_New(0);
        if (piece.parts == NULL || out_trimmed(self, &piece, text, marks, mark_count, share) < 0)
            goto done;
        shown = PyUnicode_Join(self->empty, piece.parts);
        if (shown == NULL)
            goto done;
        marks = piece.marks;
        mark_count = piece.mark_count;
    } else {
        Py_INCREF(text);
        shown = text;
    }
    if (previous >= 0) {
        /* Sentence 0 is the headline, so it never runs on into the body's first sentence. */
        int follows = previous >= 1 && sentence == previous + 1;
        int gap = follows || (out->length > 0 && out->last == self->ellipsis) ||
                  (PyUnicode_GET_LENGTH(shown) > 0 &&
                   PyUnicode_READ_CHAR(shown, 0) == self->ellipsis);
        if (out_text(out, gap ? self->space : self->joiner) < 0)
            goto done;
    }
    for (Py_ssize_t i = 0; i < mark_count; i++) {
        if (out_mark(out, marks[i].start + out->length, marks[i].end + out->length) < 0)
            goto done;
    }
    if (out_text(out, shown) < 0)
        goto done;
    result = 0;
done:
    Py_XDECREF(shown);
    Py_XDECREF(piece.parts);
    PyMem_Free(piece.marks);
    return result;
}

static int
compare_sizes(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* The sentence holding word `word`: the last whose first word is not after it. */
static Py_ssize_t
sentence_of(const Snippets *self, Py_ssize_t word)
{
    Py_ssize_t low = 0, high = self->sentence_count - 1;
    while (low < high) {
        Py_ssize_t middle = (low + high + 1) / 2;
        if (self->first[middle] <= word)
            low = middle;
        else
            high = middle - 1;
    }
    return low;
}

/* Each mark's key as a small number, equal keys alike; returns how many keys differ. */
static Py_ssize_t
number_keys(Snippets *self, const Py_ssize_t *ordered, Py_ssize_t count, Py_ssize_t *ids)
{
    size_t size = 8;
    while (size < (size_t)count * 2)
        size <<= 1;
    PyObject **table = PyMem_Calloc(size, sizeof(PyObject *));
    Py_ssize_t *table_ids = PyMem_Calloc(size, sizeof(Py_ssize_t));
    Py_ssize_t distinct = 0;
    if (table == NULL || table_ids == NULL) {
        PyErr_NoMemory();
        distinct = -1;
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *key = PyList_GET_ITEM(self->keys, ordered[i]);
        Py_hash_t hash = PyObject_Hash(key);
        if (hash == -1) {
            distinct = -1;
            goto done;
        }
        size_t slot = (size_t)hash & (size - 1);
        for (;;) {
            if (table[slot] == NULL) {
                table[slot] = key;
                table_ids[slot] = ids[i] = distinct++;
                break;
            }
            int equal = table[slot] == key ? 1 : PyObject_RichCompareBool(table[slot], key, Py_EQ);
            if (equal < 0) {
                distinct = -1;
                goto done;
            }
            if (equal) {
                ids[i] = table_ids[slot];
                break;
            }
            slot = (slot + 1) & (size - 1);
        }
    }
done:
    PyMem_Free(table);
    PyMem_Free(table_ids);
    return distinct;
}

/* matching._fewest_sentences: of the sentences in `chosen` (in order, each holding the marks
 * from `bounds[c]` to `bounds[c + 1]`), those showing every marked key, picked greedily, the
 * one showing most first; written back into `chosen` in order, their number returned. */
static Py_ssize_t
fewest_sentences(Py_ssize_t *chosen, Py_ssize_t chosen_count, const Py_ssize_t *bounds,
                 const Py_ssize_t *ids, Py_ssize_t distinct)
{
    Py_ssize_t marks = bounds[chosen_count], result = -1;
    char *missing = PyMem_Calloc((size_t)distinct + 1, 1);
    char *taken = PyMem_Calloc((size_t)chosen_count + 1, 1);
    Py_ssize_t *seen = PyMem_Calloc((size_t)distinct + 1, sizeof(Py_ssize_t));
    Py_ssize_t *shown = PyMem_Calloc((size_t)marks + 1, sizeof(Py_ssize_t)); /* distinct ids */
    Py_ssize_t *shown_bounds = PyMem_Calloc((size_t)chosen_count + 1, sizeof(Py_ssize_t));
    Py_ssize_t *picked = PyMem_Calloc((size_t)chosen_count + 1, sizeof(Py_ssize_t));
    if (!missing || !taken || !seen || !shown || !shown_bounds || !picked) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t used = 0;
    for (Py_ssize_t c = 0; c < chosen_count; c++) {
        shown_bounds[c] = used;
        for (Py_ssize_t i = bounds[c]; i < bounds[c + 1]; i++) {
            if (seen[ids[i]] != c + 1) {
                seen[ids[i]] = c + 1;
                shown[used++] = ids[i];
            }
        }
        if (used - shown_bounds[c] == distinct) { /* the usual case: one sentence shows all */
            chosen[0] = chosen[c];
            result = 1;
            goto done;
        }
    }
    shown_bounds[chosen_count] = used;
    memset(missing, 1, (size_t)distinct);
    Py_ssize_t left = distinct, count = 0;
    while (left > 0) {
        Py_ssize_t best = -1, best_shows = -1;
        for (Py_ssize_t c = 0; c < chosen_count; c++) {
            if (taken[c])
                continue;
            Py_ssize_t shows = 0;
            for (Py_ssize_t i = shown_bounds[c]; i < shown_bounds[c + 1]; i++)
                shows += missing[shown[i]];
            if (shows > best_shows) {
                best = c;
                best_shows = shows;
            }
        }
        taken[best] = 1;
        picked[count++] = chosen[best];
        for (Py_ssize_t i = shown_bounds[best]; i < shown_bounds[best + 1]; i++) {
            left -= missing[shown[i]];
            missing[shown[i]] = 0;
        }
    }
    qsort(picked, (size_t)count, sizeof(Py_ssize_t), compare_sizes);
    memcpy(chosen, picked, (size_t)count * sizeof(Py_ssize_t));
    result = count;
done:
    PyMem_Free(missing);
    PyMem_Free(taken);
    PyMem_Free(seen);
    PyMem_Free(shown);
    PyMem_Free(shown_bounds);
    PyMem_Free(picked);
    return result;
}

static PyObject *
out_result(Snippets *self, Out *out)
{
    PyObject *text = NULL, *marks = NULL, *result = NULL;
    text = PyUnicode_Join(self->empty, out->parts);
    if (text == NULL)
        return NULL;
    marks = PyTuple_New(out->mark_count);
    if (marks == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < out->mark_count; i++) {
        PyObject *mark = span_tuple(out->marks[i].start, out->marks[i].end);
        if (mark == NULL)
            goto done;
        PyTuple_SET_ITEM(marks, i, mark);
    }
    result = PyTuple_Pack(2, text, marks);
done:
    Py_DECREF(text);
    Py_XDECREF(marks);
    return result;
}

PyDoc_STRVAR(Snippets_snippet_doc,
"snippet(marks) -> (text, marks)\n\n"
"What ``matching.snippet_in_python`` gives for the marked words ``marks`` (numbers in the\n"
"article): the sentences showing each marked key, trimmed, and the marks' offsets in them.");

static PyObject *
Snippets_snippet(Snippets *self, PyObject *marked)
{
    PyObject *result = NULL, *iterator = NULL, *item;
    Py_ssize_t count = PyObject_Size(marked);
    if (count < 0)
        return NULL;
    Out out = {PyList_New(0), 0, 0, NULL, 0, 0};
    Py_ssize_t *ordered = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    Py_ssize_t *ids = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    Py_ssize_t *chosen = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    Py_ssize_t *bounds = PyMem_Calloc((size_t)count + 2, sizeof(Py_ssize_t));
    Span *spans = PyMem_Calloc((size_t)count + 1, sizeof(Span));
    if (out.parts == NULL || !ordered || !ids || !chosen || !bounds || !spans) {
        PyErr_NoMemory();
        goto done;
    }
    iterator = PyObject_GetIter(marked);
    if (iterator == NULL)
        goto done;
    Py_ssize_t filled = 0;
    while ((item = PyIter_Next(iterator)) != NULL) {
        Py_ssize_t word = PyLong_AsSsize_t(item);
        Py_DECREF(item);
        if (word == -1 && PyErr_Occurred())
            goto done;
        if (word < 0 || word >= self->word_count || filled >= count) {
            PyErr_SetString(PyExc_IndexError, "a marked word is not in the article");
            goto done;
        }
        ordered[filled++] = word;
    }
    if (PyErr_Occurred())
        goto done;
    count = filled;
    qsort(ordered, (size_t)count, sizeof(Py_ssize_t), compare_sizes);
    /* The sentences of the marks, each once, with where its marks start in `ordered`. */
    Py_ssize_t chosen_count = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t sentence = sentence_of(self, ordered[i]);
        if (chosen_count == 0 || chosen[chosen_count - 1] != sentence) {
            bounds[chosen_count] = i;
            chosen[chosen_count++] = sentence;
        }
    }
    bounds[chosen_count] = count;
    if (chosen_count > 1) {
        /* Show each marked key once, in as few sentences as it takes; when no key is marked
         * twice, every sentence shows keys of its own and all are needed. */
        Py_ssize_t distinct = number_keys(self, ordered, count, ids);
        if (distinct < 0)
            goto done;
        if (distinct < count) {
            Py_ssize_t all = chosen_count;
            Py_ssize_t *every = PyMem_Calloc((size_t)all + 1, sizeof(Py_ssize_t));
            if (every == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            memcpy(every, chosen, (size_t)all * sizeof(Py_ssize_t));
            chosen_count = fewest_sentences(chosen, all, bounds, ids, distinct);
            /* Each chosen sentence's marks, found again among all the marked sentences'. */
            Py_ssize_t *kept = PyMem_Calloc((size_t)all * 2 + 2, sizeof(Py_ssize_t));
            if (chosen_count < 0 || kept == NULL) {
                if (kept == NULL)
                    PyErr_NoMemory();
                PyMem_Free(every);
                PyMem_Free(kept);
                goto done;
            }
            for (Py_ssize_t c = 0, a = 0; c < chosen_count; c++) {
                while (every[a] != chosen[c])
                    a++;
                kept[2 * c] = bounds[a];
                kept[2 * c + 1] = bounds[a + 1];
            }
            /* `bounds` becomes pairs: each chosen sentence's first and last mark. */
            PyMem_Free(bounds);
            bounds = kept;
            PyMem_Free(every);
            goto pieces;
        }
    } else if (chosen_count == 0) { /* nothing marked: a site: or lang: watch shows the headline */
        chosen[0] = 0;
        for (Py_ssize_t sentence = 0; sentence < self->sentence_count; sentence++) {
            if (self->sentences[sentence].end > self->sentences[sentence].start) {
                chosen[0] = sentence;
                break;
            }
        }
        chosen_count = self->sentence_count > 0 ? 1 : 0;
        bounds[0] = bounds[1] = 0;
    }
    {
        /* Pairs, as above: each sentence's marks are those up to the next one's. */
        Py_ssize_t *pairs = PyMem_Calloc((size_t)chosen_count * 2 + 2, sizeof(Py_ssize_t));
        if (pairs == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t c = 0; c < chosen_count; c++) {
            pairs[2 * c] = bounds[c];
            pairs[2 * c + 1] = bounds[c + 1];
        }
        PyMem_Free(bounds);
        bounds = pairs;
    }
pieces:;
    Py_ssize_t total = 3 * (chosen_count - 1);
    for (Py_ssize_t c = 0; c < chosen_count; c++) {
        PyObject *text = shown_text(self, chosen[c]);
        if (text == NULL)
            goto done;
        total += PyUnicode_GET_LENGTH(text);
    }
    int trim = total > self->limit;
    Py_ssize_t share = self->limit;
    if (chosen_count > 1) {
        share = self->limit / chosen_count;
        if (share < self->min_share)
            share = self->min_share;
    }
    Py_ssize_t previous = -1;
    for (Py_ssize_t c = 0; c < chosen_count; c++) {
        Py_ssize_t sentence = chosen[c], mark_count = 0;
        Span *words = NULL;
        if (bounds[2 * c + 1] > bounds[2 * c]) {
            words = word_spans(self, sentence);
            if (words == NULL)
                goto done;
        }
        for (Py_ssize_t i = bounds[2 * c]; i < bounds[2 * c + 1]; i++)
            spans[mark_count++] = words[ordered[i] - self->first[sentence]];
        if (out_piece(self, &out, self->texts[sentence], spans, mark_count, trim, share,
                      sentence, previous) < 0)
            goto done;
        previous = sentence;
    }
    result = out_result(self, &out);
done:
    Py_XDECREF(iterator);
    Py_XDECREF(out.parts);
    PyMem_Free(out.marks);
    PyMem_Free(ordered);
    PyMem_Free(ids);
    PyMem_Free(chosen);
    PyMem_Free(bounds);
    PyMem_Free(spans);
    return result;
}

static PyMethodDef Snippets_methods[] = {
    {"snippet", (PyCFunction)Snippets_snippet, METH_O, Snippets_snippet_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Snippets_doc,
"Snippets(title, text, sentences, first, keys, split_run, is_plain, limit, min_share,\n"
"         ellipsis)\n\n"
"An article's sentences and words, for its matches' snippets: ``sentences`` and ``first``\n"
"are each sentence's span and first word (sentence 0 in the title), ``keys`` each word's key;\n"
"``split_run`` and ``is_plain`` are ``alerts.text``'s, to find words as ``WordSpans`` does.");

static PyTypeObject SnippetsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "alerts._core.Snippets",
    .tp_basicsize = sizeof(Snippets),
    .tp_dealloc = (destructor)Snippets_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Snippets_doc,
    .tp_methods = Snippets_methods,
    .tp_init = (initproc)Snippets_init,
    .tp_new = PyType_GenericNew,
};

/* -- checks --------------------------------------------------------------------------------- */

/* A watch's check, as qcheck.plan_check plans it, laid out as numbers. Every instruction starts
 * with its kind and its length (itself included), so a failed part can be skipped. */
enum { OP_WORDS = 1, OP_SENTENCE, OP_NEAR, OP_ALL, OP_ANY, OP_NONE };

/* A laid-out check never moves: a check that is running may call back into Python (for a
 * key's positions), where another thread may lay out more. So checks are laid out in `code`
 * first, then copied into blocks that are only ever added to. */
#define BLOCK_SIZE 65536
static int32_t in_python_mark;
#define IN_PYTHON (&in_python_mark)

typedef struct {
    PyObject_HEAD
    Py_ssize_t watch_count;
    int32_t **at; /* each watch's check: NULL until laid out, IN_PYTHON for Python's alone */
    int32_t *code; /* where a check is laid out */
    size_t code_used, code_size;
    int32_t **blocks;
    size_t block_count, block_used, block_size; /* blocks, and the last one's use and size */
    PyObject **keys; /* the keys the checks read, each once */
    size_t key_count, key_size;
    PyObject *key_numbers; /* their numbers in `keys` */
    PyObject *plan;        /* a watch's number to its plan */
} Checks;

static void
Checks_dealloc(Checks *self)
{
    for (size_t i = 0; i < self->key_count; i++)
        Py_DECREF(self->keys[i]);
    PyMem_Free(self->keys);
    PyMem_Free(self->code);
    PyMem_Free(self->at);
    for (size_t i = 0; i < self->block_count; i++)
        PyMem_Free(self->blocks[i]);
    PyMem_Free(self->blocks);
    Py_XDECREF(self->key_numbers);
    Py_XDECREF(self->plan);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
Checks_init(Checks *self, PyObject *args, PyObject *kwds)
{
    static char *keywords[] = {"watch_count", "plan", NULL};
    Py_ssize_t count;
    PyObject *plan;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nO", keywords, &count, &plan))
        return -1;
    if (self->at != NULL) {
        PyErr_SetString(PyExc_TypeError, "Checks cannot be filled twice");
        return -1;
    }
    self->at = PyMem_Calloc((size_t)count + 1, sizeof(int32_t *));
    self->key_numbers = PyDict_New();
    if (self->at == NULL || self->key_numbers == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->watch_count = count;
    Py_INCREF(plan);
    self->plan = plan;
    return 0;
}

static int
emit(Checks *self, int32_t value)
{
    if (self->code_used == self->code_size) {
        size_t size = self->code_size ? self->code_size * 2 : 1024;
        int32_t *grown = PyMem_Realloc(self->code, size * sizeof(int32_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->code = grown;
        self->code_size = size;
    }
    self->code[self->code_used++] = value;
    return 0;
}

static int
emit_key(Checks *self, PyObject *key)
{
    if (!PyUnicode_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "a plan's keys must be str");
        return -1;
    }
    PyObject *known = PyDict_GetItemWithError(self->key_numbers, key);
    if (known != NULL)
        return emit(self, (int32_t)PyLong_AsLong(known));
    if (PyErr_Occurred())
        return -1;
    if (self->key_count == self->key_size) {
        size_t size = self->key_size ? self->key_size * 2 : 256;
        PyObject **grown = PyMem_Realloc(self->keys, size * sizeof(PyObject *));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->keys = grown;
        self->key_size = size;
    }
    PyObject *number = PyLong_FromSize_t(self->key_count);
    if (number == NULL || PyDict_SetItem(self->key_numbers, key, number) < 0) {
        Py_XDECREF(number);
        return -1;
    }
    Py_DECREF(number);
    Py_INCREF(key);
    self->keys[self->key_count] = key;
    return emit(self, (int32_t)self->key_count++);
}

/* Lay out a plan: 0 when done, 1 when only Python can run it, -1 on error. */
static int
lay_out(Checks *self, PyObject *plan)
{
    if (!PyTuple_Check(plan) || PyTuple_GET_SIZE(plan) < 2 ||
        !PyUnicode_Check(PyTuple_GET_ITEM(plan, 0))) {
        PyErr_SetString(PyExc_TypeError, "a plan is a tuple: its kind, then its parts");
        return -1;
    }
    const char *kind = PyUnicode_AsUTF8(PyTuple_GET_ITEM(plan, 0));
    if (kind == NULL)
        return -1;
    size_t start = self->code_used;
    int result = -1;
    if (strcmp(kind, "words") == 0) {
        PyObject *groups = PyTuple_GET_ITEM(plan, 1);
        if (!PyTuple_Check(groups) || emit(self, OP_WORDS) < 0 || emit(self, 0) < 0 ||
            emit(self, (int32_t)PyTuple_GET_SIZE(groups)) < 0)
            goto fail;
        for (Py_ssize_t g = 0; g < PyTuple_GET_SIZE(groups); g++) {
            PyObject *group = PyTuple_GET_ITEM(groups, g);
            if (!PyTuple_Check(group) || emit(self, (int32_t)PyTuple_GET_SIZE(group)) < 0)
                goto fail;
            for (Py_ssize_t w = 0; w < PyTuple_GET_SIZE(group); w++) {
                PyObject *key, *title;
                if (!PyArg_ParseTuple(PyTuple_GET_ITEM(group, w), "OO", &key, &title))
                    goto fail;
                int headline = PyObject_IsTrue(title);
                if (headline < 0 || emit_key(self, key) < 0 || emit(self, headline) < 0)
                    goto fail;
            }
        }
    } else if (strcmp(kind, "sentence") == 0 && PyTuple_GET_SIZE(plan) == 3) {
        PyObject *keys = PyTuple_GET_ITEM(plan, 2);
        if (!PyTuple_Check(keys))
            goto fail_kind;
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keys); k++) {
            if (PyTuple_GET_ITEM(keys, k) == Py_None) /* a phrase: the evaluator's spans */
                goto in_python;
        }
        if (emit(self, OP_SENTENCE) < 0 || emit(self, 0) < 0 ||
            emit(self, (int32_t)PyTuple_GET_SIZE(keys)) < 0)
            goto fail;
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keys); k++) {
            if (emit_key(self, PyTuple_GET_ITEM(keys, k)) < 0)
                goto fail;
        }
    } else if (strcmp(kind, "near") == 0 && PyTuple_GET_SIZE(plan) == 4) {
        long distance = PyLong_AsLong(PyTuple_GET_ITEM(plan, 3));
        if ((distance == -1 && PyErr_Occurred()) || emit(self, OP_NEAR) < 0 ||
            emit(self, 0) < 0 || emit_key(self, PyTuple_GET_ITEM(plan, 1)) < 0 ||
            emit_key(self, PyTuple_GET_ITEM(plan, 2)) < 0 || emit(self, (int32_t)distance) < 0)
            goto fail;
    } else if (strcmp(kind, "all") == 0 || strcmp(kind, "any") == 0) {
        PyObject *parts = PyTuple_GET_ITEM(plan, 1);
        if (!PyTuple_Check(parts))
            goto fail_kind;
        if (emit(self, kind[1] == 'l' ? OP_ALL : OP_ANY) < 0 || emit(self, 0) < 0 ||
            emit(self, (int32_t)PyTuple_GET_SIZE(parts)) < 0)
            goto fail;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(parts); i++) {
            int laid = lay_out(self, PyTuple_GET_ITEM(parts, i));
            if (laid < 0)
                goto fail;
            if (laid > 0)
                goto in_python;
        }
    } else if (strcmp(kind, "none") == 0) {
        if (emit(self, OP_NONE) < 0 || emit(self, 0) < 0)
            goto fail;
        int laid = lay_out(self, PyTuple_GET_ITEM(plan, 1));
        if (laid < 0)
            goto fail;
        if (laid > 0)
            goto in_python;
    } else if (strcmp(kind, "phrase") == 0 || strcmp(kind, "evaluate") == 0) {
        goto in_python;
    } else {
        goto fail_kind;
    }
    self->code[start + 1] = (int32_t)(self->code_used - start);
    return 0;
in_python:
    result = 1;
    goto fail;
fail_kind:
    PyErr_Format(PyExc_ValueError, "a plan of unknown kind: %s", kind);
fail:
    self->code_used = start;
    return result;
}

/* Lay out watch `number`'s check (from its plan) where it will stay. */
static int
lay_out_watch(Checks *self, PyObject *candidate, Py_ssize_t number)
{
    PyObject *plan = PyObject_CallOneArg(self->plan, candidate);
    if (plan == NULL)
        return -1;
    if (self->at[number] != NULL) { /* laid out meanwhile, by another thread */
        Py_DECREF(plan);
        return 0;
    }
    self->code_used = 0;
    int laid = lay_out(self, plan);
    Py_DECREF(plan);
    if (laid < 0)
        return -1;
    if (laid > 0) {
        self->at[number] = IN_PYTHON;
        return 0;
    }
    size_t size = self->code_used;
    if (self->block_count == 0 || self->block_used + size > self->block_size) {
        size_t block_size = size > BLOCK_SIZE ? size : BLOCK_SIZE;
        int32_t **blocks = PyMem_Realloc(self->blocks, (self->block_count + 1) * sizeof(int32_t *));
        if (blocks == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->blocks = blocks;
        blocks[self->block_count] = PyMem_Malloc(block_size * sizeof(int32_t));
        if (blocks[self->block_count] == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        self->block_count++;
        self->block_used = 0;
        self->block_size = block_size;
    }
    int32_t *check = self->blocks[self->block_count - 1] + self->block_used;
    memcpy(check, self->code, size * sizeof(int32_t));
    self->block_used += size;
    self->at[number] = check;
    return 0;
}

/* One article's words, as the checks read them: each key's positions, found by the key's
 * address. Keys are interned (alerts.text.WordKeys), so equal keys are one object. */
typedef struct {
    PyObject *key; /* NULL in an empty slot */
    int32_t start, count; /* the key's positions in `positions` */
} KeySlot;

typedef struct {
    KeySlot *slots;
    size_t mask;
    int32_t *positions; /* each key's words, in order, one key after the other */
    int32_t *sentence_of;
    Py_ssize_t word_count;
    int32_t *counts; /* per sentence, for one-sentence checks */
    Py_ssize_t sentence_count;
    Numbers marks;
} Place;

static KeySlot *
key_slot(const Place *place, PyObject *key)
{
    size_t i = ((size_t)key >> 4) * 0x9E3779B97F4A7C15u >> 16 & place->mask;
    while (place->slots[i].key != NULL && place->slots[i].key != key)
        i = (i + 1) & place->mask;
    return &place->slots[i];
}

/* Index the article's words by key: `keys` is the article's list of each word's key. */
static int
index_place(Place *place, PyObject *keys)
{
    Py_ssize_t words = PyList_GET_SIZE(keys);
    size_t size = 16;
    while (size < (size_t)words * 2)
        size <<= 1;
    place->slots = PyMem_Calloc(size, sizeof(KeySlot));
    place->positions = PyMem_Malloc(((size_t)words + 1) * sizeof(int32_t));
    int32_t *slot_of = PyMem_Malloc(((size_t)words + 1) * sizeof(int32_t));
    if (place->slots == NULL || place->positions == NULL || slot_of == NULL) {
        PyMem_Free(slot_of);
        PyErr_NoMemory();
        return -1;
    }
    place->mask = size - 1;
    for (Py_ssize_t w = 0; w < words; w++) {
        KeySlot *slot = key_slot(place, PyList_GET_ITEM(keys, w));
        slot->key = PyList_GET_ITEM(keys, w);
        slot->count++;
        slot_of[w] = (int32_t)(slot - place->slots);
    }
    int32_t next = 0;
    for (size_t i = 0; i < size; i++) {
        place->slots[i].start = next;
        next += place->slots[i].count;
        place->slots[i].count = 0;
    }
    for (Py_ssize_t w = 0; w < words; w++) {
        KeySlot *slot = &place->slots[slot_of[w]];
        place->positions[slot->start + slot->count++] = (int32_t)w;
    }
    PyMem_Free(slot_of);
    return 0;
}

/* The words with this key, in order: `*count` of them. */
static const int32_t *
positions_of(const Place *place, PyObject *key, int32_t *count)
{
    const KeySlot *slot = key_slot(place, key);
    *count = slot->count;
    return place->positions + slot->start;
}

/* Run one instruction: 1 when it holds (its marks added to place->marks), 0 when not, -1 on
 * error. */
static int
run_check(Checks *self, Place *place, const int32_t *code)
{
    size_t start = place->marks.used;
    const int32_t *sentence_of = place->sentence_of;
    switch (code[0]) {
    case OP_WORDS: {
        /* Each group marks every place of each of its words; a group without one fails. */
        const int32_t *at = code + 3;
        for (int32_t g = 0; g < code[2]; g++) {
            size_t before = place->marks.used;
            int32_t size = *at++;
            for (int32_t w = 0; w < size; w++, at += 2) {
                int32_t count;
                const int32_t *words = positions_of(place, self->keys[at[0]], &count);
                for (int32_t i = 0; i < count; i++) {
                    if ((!at[1] || sentence_of[words[i]] == 0) &&
                        push_number(&place->marks, (uint32_t)words[i]) < 0)
                        return -1;
                }
            }
            if (place->marks.used == before) {
                place->marks.used = start;
                return 0;
            }
        }
        return 1;
    }
    case OP_SENTENCE: {
        /* Each part's words in the sentences where every part has some. */
        int32_t parts = code[2];
        memset(place->counts, 0, (size_t)place->sentence_count * sizeof(int32_t));
        for (int32_t p = 0; p < parts; p++) {
            int32_t count;
            const int32_t *words = positions_of(place, self->keys[code[3 + p]], &count);
            int alive = 0; /* some sentence holds every part so far */
            for (int32_t i = 0; i < count; i++) {
                int32_t *seen = &place->counts[sentence_of[words[i]]];
                if (*seen == p)
                    *seen = p + 1;
                alive |= *seen == p + 1;
            }
            if (!alive)
                return 0;
        }
        for (int32_t p = 0; p < parts; p++) {
            int32_t count;
            const int32_t *words = positions_of(place, self->keys[code[3 + p]], &count);
            for (int32_t i = 0; i < count; i++) {
                if (place->counts[sentence_of[words[i]]] == parts &&
                    push_number(&place->marks, (uint32_t)words[i]) < 0)
                    return -1;
            }
        }
        return 1;
    }
    case OP_NEAR: {
        /* Two words, either order, at most `distance` words between, on one side of the
         * headline's end. */
        int32_t left_count, right_count;
        const int32_t *lefts = positions_of(place, self->keys[code[2]], &left_count);
        const int32_t *rights = positions_of(place, self->keys[code[3]], &right_count);
        int result = 0;
        for (int32_t i = 0; i < left_count; i++) {
            for (int32_t j = 0; j < right_count; j++) {
                int32_t a = lefts[i], b = rights[j];
                int32_t gap = (a > b ? a - b : b - a) - 1;
                if (a != b && gap <= code[4] && (sentence_of[a] == 0) == (sentence_of[b] == 0)) {
                    if (push_number(&place->marks, (uint32_t)a) < 0 ||
                        push_number(&place->marks, (uint32_t)b) < 0)
                        return -1;
                    result = 1;
                }
            }
        }
        return result;
    }
    case OP_ALL:
    case OP_ANY: {
        const int32_t *part = code + 3;
        int any = 0;
        for (int32_t p = 0; p < code[2]; p++, part += part[1]) {
            int result = run_check(self, place, part);
            if (result < 0)
                return -1;
            if (result == 0 && code[0] == OP_ALL) {
                place->marks.used = start;
                return 0;
            }
            any |= result;
        }
        return code[0] == OP_ALL ? 1 : any;
    }
    case OP_NONE: {
        int result = run_check(self, place, code + 2);
        place->marks.used = start;
        return result < 0 ? -1 : !result;
    }
    }
    PyErr_SetString(PyExc_SystemError, "a check of unknown kind");
    return -1;
}

static void
free_place(Place *place)
{
    PyMem_Free(place->slots);
    PyMem_Free(place->positions);
    PyMem_Free(place->sentence_of);
    PyMem_Free(place->counts);
    PyMem_Free(place->marks.items);
}

PyDoc_STRVAR(Checks_run_doc,
"run(candidates, keys, sentence_of, in_python) -> [(watch, marks), ...]\n\n"
"The candidates whose checks hold in one article, each with the words it marks: what their\n"
"checks in Python (``qcheck.build_check``) give. ``keys`` and ``sentence_of`` are each\n"
"word's key (interned) and sentence; ``in_python(watch)`` runs a check this core cannot.");

static PyObject *
Checks_run(Checks *self, PyObject *args)
{
    PyObject *candidates, *keys, *in_python, *sentence_of;
    Place place = {NULL, 0, NULL, NULL, 0, NULL, 0, {NULL, 0, 0}};
    if (!PyArg_ParseTuple(args, "O!O!O!O", &PyList_Type, &candidates, &PyList_Type, &keys,
                          &PyList_Type, &sentence_of, &in_python))
        return NULL;
    if (PyList_GET_SIZE(keys) != PyList_GET_SIZE(sentence_of)) {
        PyErr_SetString(PyExc_ValueError, "one key and one sentence for each word");
        return NULL;
    }
    if (self->at == NULL) {
        PyErr_SetString(PyExc_TypeError, "Checks was not filled");
        return NULL;
    }
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    place.word_count = PyList_GET_SIZE(sentence_of);
    place.sentence_of = PyMem_Calloc((size_t)place.word_count + 1, sizeof(int32_t));
    if (place.sentence_of == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t w = 0; w < place.word_count; w++) {
        long sentence = PyLong_AsLong(PyList_GET_ITEM(sentence_of, w));
        if (sentence == -1 && PyErr_Occurred())
            goto fail;
        if (sentence < 0 || (w > 0 && sentence < place.sentence_of[w - 1])) {
            PyErr_SetString(PyExc_ValueError, "sentence_of must count up from 0");
            goto fail;
        }
        place.sentence_of[w] = (int32_t)sentence;
    }
    place.sentence_count = place.word_count ? place.sentence_of[place.word_count - 1] + 1 : 1;
    place.counts = PyMem_Calloc((size_t)place.sentence_count, sizeof(int32_t));
    if (place.counts == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (index_place(&place, keys) < 0)
        goto fail;
    /* The candidates' checks are scattered over memory: fetched ahead, all at once. */
    Py_ssize_t candidate_count = PyList_GET_SIZE(candidates);
    for (int ahead = 0; ahead < 2; ahead++) {
        for (Py_ssize_t c = 0; c < candidate_count; c++) {
            Py_ssize_t number = PyLong_AsSsize_t(PyList_GET_ITEM(candidates, c));
            if (number < 0 || number >= self->watch_count)
                continue; /* refused below */
            if (!ahead)
                __builtin_prefetch(&self->at[number]);
            else if (self->at[number] != NULL && self->at[number] != IN_PYTHON)
                __builtin_prefetch(self->at[number]);
        }
    }
    PyErr_Clear(); /* a candidate that is not a number is refused below */
    for (Py_ssize_t c = 0; c < candidate_count; c++) {
        PyObject *candidate = PyList_GET_ITEM(candidates, c), *marks;
        Py_ssize_t number = PyLong_AsSsize_t(candidate);
        if (number == -1 && PyErr_Occurred())
            goto fail;
        if (number < 0 || number >= self->watch_count) {
            PyErr_SetString(PyExc_IndexError, "no such watch");
            goto fail;
        }
        if (self->at[number] == NULL && lay_out_watch(self, candidate, number) < 0)
            goto fail;
        if (self->at[number] == IN_PYTHON) {
            marks = PyObject_CallOneArg(in_python, candidate);
            if (marks == NULL)
                goto fail;
            if (marks == Py_None) {
                Py_DECREF(marks);
                continue;
            }
        } else {
            place.marks.used = 0;
            int holds = run_check(self, &place, self->at[number]);
            if (holds < 0)
                goto fail;
            if (!holds)
                continue;
            marks = PyFrozenSet_New(NULL);
            if (marks == NULL)
                goto fail;
            for (size_t i = 0; i < place.marks.used; i++) {
                PyObject *word = PyLong_FromUnsignedLong(place.marks.items[i]);
                if (word == NULL || PySet_Add(marks, word) < 0) {
                    Py_XDECREF(word);
                    Py_DECREF(marks);
                    goto fail;
                }
                Py_DECREF(word);
            }
        }
        PyObject *pair = PyTuple_Pack(2, candidate, marks);
        Py_DECREF(marks);
        if (pair == NULL || PyList_Append(found, pair) < 0) {
            Py_XDECREF(pair);
            goto fail;
        }
        Py_DECREF(pair);
    }
    free_place(&place);
    return found;
fail:
    free_place(&place);
    Py_DECREF(found);
    return NULL;
}

static PyMethodDef Checks_methods[] = {
    {"run", (PyCFunction)Checks_run, METH_VARARGS, Checks_run_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Checks_doc,
"Checks(watch_count, plan)\n\n"
"The watches' checks, each laid out the first time its watch is a candidate from\n"
"``plan(watch)``, a plan as ``qcheck.plan_check`` makes it.");

static PyTypeObject ChecksType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "alerts._core.Checks",
    .tp_basicsize = sizeof(Checks),
    .tp_dealloc = (destructor)Checks_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Checks_doc,
    .tp_methods = Checks_methods,
    .tp_init = (initproc)Checks_init,
    .tp_new = PyType_GenericNew,
};

/* -- sentences ------------------------------------------------------------------------------ */

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t start, end; /* the line, in the text */
} Line;

static Py_UCS4
at(const Line *line, Py_ssize_t i)
{
    return PyUnicode_READ(line->kind, line->data, i);
}

static int
is_stop_sign(Py_UCS4 c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x2026; /* … */
}

static int
is_closing(Py_UCS4 c)
{
    return c == '"' || c == '\'' || c == 0x201D || c == 0x2019 || c == 0xBB || c == ')' ||
           c == ']'; /* " ' ” ’ » ) ] */
}

static int
is_hard_sign(Py_UCS4 c)
{
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x0964 || c == 0x0965 ||
           c == 0x061F; /* 。！？।॥؟ */
}

static int
is_hard_closing(Py_UCS4 c)
{
    return is_closing(c) || c == 0x300D || c == 0x300F || c == 0xFF09; /* 」』） */
}

static int
is_letter(Py_UCS4 c) /* [^\W\d_] */
{
    return is_word_char(c) && !Py_UNICODE_ISDECIMAL(c) && c != '_';
}

static int
contains_text(PyObject *set, const Line *line, Py_ssize_t start, Py_ssize_t end, PyObject *text)
{
    PyObject *word = PyUnicode_Substring(text, line->start + start, line->start + end);
    if (word == NULL)
        return -1;
    int found = PySet_Contains(set, word);
    Py_DECREF(word);
    return found;
}

typedef struct {
    PyObject *titles, *numbering, *suffixes, *openers;
} Abbreviations;

/* text._ends_sentence: whether the stop of signs [start, end), whose match ends at `after`,
 * ends a sentence; `following` is where the next word starts, past the white space. */
static int
ends_sentence(const Line *line, PyObject *text, const Abbreviations *abbreviations,
              Py_ssize_t start, Py_ssize_t end, Py_ssize_t following)
{
    Py_ssize_t length = line->end - line->start;
    if (following == length)
        return 1;
    Py_UCS4 next = at(line, following);
    if (Py_UNICODE_ISLOWER(next))
        return 0;
    if (end - start != 1 || at(line, start) != '.')
        return 1;
    /* The word before the full stop: up to 40 word characters, full stops, apostrophes and
     * hyphens. */
    Py_ssize_t first = start;
    while (first > 0 && start - first < 40) {
        Py_UCS4 c = at(line, first - 1);
        if (!(is_word_char(c) || c == '.' || c == '\'' || c == 0x2019 || c == '-'))
            break;
        first--;
    }
    int found = contains_text(abbreviations->titles, line, first, start, text);
    if (found != 0)
        return found < 0 ? -1 : 0;
    if (start - first == 1 && Py_UNICODE_ISALPHA(at(line, first)))
        return 0;
    found = contains_text(abbreviations->numbering, line, first, start, text);
    if (found != 0)
        return found < 0 ? -1 : !Py_UNICODE_ISDIGIT(next);
    found = contains_text(abbreviations->suffixes, line, first, start, text);
    if (found == 0) {
        /* A dotted acronym ("U.S"): letters each followed by a full stop, then a letter. */
        Py_ssize_t i = first;
        int acronym = start - first >= 3;
        while (acronym && i < start - 1) {
            acronym = is_letter(at(line, i)) && at(line, i + 1) == '.';
            i += 2;
        }
        found = acronym && i == start - 1 && is_letter(at(line, i));
    }
    if (found < 0)
        return -1;
    if (!found)
        return 1;
    Py_ssize_t next_end = following;
    while (next_end < length && is_word_char(at(line, next_end)))
        next_end++;
    return contains_text(abbreviations->openers, line, following, next_end, text);
}

static int
add_sentence(PyObject *spans, const Line *line, Py_ssize_t start, Py_ssize_t end)
{
    while (start < end && Py_UNICODE_ISSPACE(at(line, start)))
        start++;
    while (end > start && Py_UNICODE_ISSPACE(at(line, end - 1)))
        end--;
    if (start == end)
        return 0;
    PyObject *span = span_tuple(line->start + start, line->start + end);
    if (span == NULL)
        return -1;
    int failed = PyList_Append(spans, span);
    Py_DECREF(span);
    return failed;
}

static int
compare_cuts(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

PyDoc_STRVAR(split_sentences_doc,
"split_sentences(text, titles, numbering, suffixes, openers) -> [(start, end), ...]\n\n"
"What ``text.split_sentences_in_python`` gives, the abbreviations given as its sets are.");

static PyObject *
split_sentences(PyObject *module, PyObject *args)
{
    PyObject *text;
    Abbreviations abbreviations;
    if (!PyArg_ParseTuple(args, "UO!O!O!O!", &text, &PyFrozenSet_Type, &abbreviations.titles,
                          &PyFrozenSet_Type, &abbreviations.numbering, &PyFrozenSet_Type,
                          &abbreviations.suffixes, &PyFrozenSet_Type, &abbreviations.openers))
        return NULL;
    PyObject *spans = PyList_New(0);
    Numbers cuts = {NULL, 0, 0};
    Py_ssize_t *hard = NULL;
    if (spans == NULL)
        return NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const char *base = PyUnicode_DATA(text);
    Line line = {PyUnicode_KIND(text), base, 0, 0};
    while (line.start <= length) {
        /* A line break always ends a sentence. */
        Py_ssize_t end = line.start;
        while (end < length && PyUnicode_READ(line.kind, base, end) != '\n')
            end++;
        line.end = end;
        line.data = base + line.start * line.kind;
        Py_ssize_t size = end - line.start, after = 0;
        cuts.used = 0;
        int hard_signs = 0;
        for (Py_ssize_t i = 0; i < size; i++) {
            Py_UCS4 c = at(&line, i);
            hard_signs |= is_hard_sign(c);
            if (i < after || !is_stop_sign(c))
                continue;
            Py_ssize_t stop_end = i + 1;
            while (stop_end < size && is_stop_sign(at(&line, stop_end)))
                stop_end++;
            Py_ssize_t match_end = stop_end;
            while (match_end < size && is_closing(at(&line, match_end)))
                match_end++;
            if (match_end == size || !Py_UNICODE_ISSPACE(at(&line, match_end)))
                continue; /* no white space after: not a stop */
            Py_ssize_t following = match_end;
            while (following < size && Py_UNICODE_ISSPACE(at(&line, following)))
                following++;
            after = match_end;
            int ends = ends_sentence(&line, text, &abbreviations, i, stop_end, following);
            if (ends < 0 || (ends && push_number(&cuts, (uint32_t)match_end) < 0))
                goto fail;
        }
        if (hard_signs) {
            for (Py_ssize_t i = 0; i < size; i++) {
                if (!is_hard_sign(at(&line, i)))
                    continue;
                Py_ssize_t match_end = i + 1;
                while (match_end < size && is_hard_closing(at(&line, match_end)))
                    match_end++;
                if (push_number(&cuts, (uint32_t)match_end) < 0)
                    goto fail;
                i = match_end - 1;
            }
            PyMem_Free(hard);
            hard = PyMem_Calloc(cuts.used + 1, sizeof(Py_ssize_t));
            if (hard == NULL) {
                PyErr_NoMemory();
                goto fail;
            }
            for (size_t k = 0; k < cuts.used; k++)
                hard[k] = cuts.items[k];
            qsort(hard, cuts.used, sizeof(Py_ssize_t), compare_cuts);
            size_t distinct = 0;
            for (size_t k = 0; k < cuts.used; k++) {
                if (k == 0 || hard[k] != hard[k - 1])
                    cuts.items[distinct++] = (uint32_t)hard[k];
            }
            cuts.used = distinct;
        }
        Py_ssize_t start = 0;
        for (size_t k = 0; k < cuts.used; k++) {
            if (add_sentence(spans, &line, start, cuts.items[k]) < 0)
                goto fail;
            start = cuts.items[k];
        }
        if (add_sentence(spans, &line, start, size) < 0)
            goto fail;
        line.start = end + 1;
    }
    PyMem_Free(cuts.items);
    PyMem_Free(hard);
    return spans;
fail:
    PyMem_Free(cuts.items);
    PyMem_Free(hard);
    Py_DECREF(spans);
    return NULL;
}

static PyMethodDef core_methods[] = {
    {"fill_positions", fill_positions, METH_VARARGS, fill_positions_doc},
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
    if (PyType_Ready(&PostingsType) < 0 || PyType_Ready(&SnippetsType) < 0 ||
        PyType_Ready(&ChecksType) < 0)
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
    Py_INCREF(&ChecksType);
    if (PyModule_AddObject(module, "Checks", (PyObject *)&ChecksType) < 0) {
        Py_DECREF(&ChecksType);
        Py_DECREF(module);
        return NULL;
    }
    Py_INCREF(&SnippetsType);
    if (PyModule_AddObject(module, "Snippets", (PyObject *)&SnippetsType) < 0) {
        Py_DECREF(&SnippetsType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
