/* What the parts of the matcher's C core (alerts._core) share. */
#ifndef NEWSWATCH_CORE_H
#define NEWSWATCH_CORE_H

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

/* A growing array of word or watch numbers. */
typedef struct {
    uint32_t *items;
    size_t used, size;
} Numbers;

static inline int
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

PyObject *span_tuple(Py_ssize_t start, Py_ssize_t end);

extern PyTypeObject PostingsType, SnippetsType, ChecksType;
PyObject *split_sentences(PyObject *module, PyObject *args);
extern const char split_sentences_doc[];

#endif
