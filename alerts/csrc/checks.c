/* Watches' checks, run from the plans ``qcheck.plan_check`` makes. */
#include "core.h"

/* A watch's check, as qcheck.plan_check plans it, laid out as numbers. Every instruction starts
 * with its kind and its length (itself included), so a failed part can be skipped. */
enum { OP_WORDS = 1, OP_SENTENCE, OP_NEAR, OP_ALL, OP_ANY, OP_NONE };

/* A laid-out check never moves: running the candidates calls back into Python (for a watch's
 * plan, or a check only Python can run), where another thread may lay out more checks. So a
 * check is laid out in `code` first, then copied into blocks that are only ever added to. */
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
        if (!PyTuple_Check(groups))
            goto fail_shape;
        if (emit(self, OP_WORDS) < 0 || emit(self, 0) < 0 ||
            emit(self, (int32_t)PyTuple_GET_SIZE(groups)) < 0)
            goto fail;
        for (Py_ssize_t g = 0; g < PyTuple_GET_SIZE(groups); g++) {
            PyObject *group = PyTuple_GET_ITEM(groups, g);
            if (!PyTuple_Check(group))
                goto fail_shape;
            if (emit(self, (int32_t)PyTuple_GET_SIZE(group)) < 0)
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
    } else if (strcmp(kind, "sentence") == 0) {
        PyObject *keys = PyTuple_GET_SIZE(plan) == 3 ? PyTuple_GET_ITEM(plan, 2) : NULL;
        if (keys == NULL || !PyTuple_Check(keys))
            goto fail_shape;
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
    } else if (strcmp(kind, "near") == 0) {
        if (PyTuple_GET_SIZE(plan) != 4)
            goto fail_shape;
        long distance = PyLong_AsLong(PyTuple_GET_ITEM(plan, 3));
        if ((distance == -1 && PyErr_Occurred()) || emit(self, OP_NEAR) < 0 ||
            emit(self, 0) < 0 || emit_key(self, PyTuple_GET_ITEM(plan, 1)) < 0 ||
            emit_key(self, PyTuple_GET_ITEM(plan, 2)) < 0 || emit(self, (int32_t)distance) < 0)
            goto fail;
    } else if (strcmp(kind, "all") == 0 || strcmp(kind, "any") == 0) {
        PyObject *parts = PyTuple_GET_ITEM(plan, 1);
        if (!PyTuple_Check(parts))
            goto fail_shape;
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
    goto fail;
fail_shape:
    PyErr_Format(PyExc_ValueError, "a %s plan not shaped as qcheck.plan_check makes it", kind);
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

PyTypeObject ChecksType = {
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
