/* Sentence splitting (``text.split_sentences_in_python``). */
#include "core.h"

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

const char split_sentences_doc[] = PyDoc_STR(
"split_sentences(text, titles, numbering, suffixes, openers) -> [(start, end), ...]\n\n"
"What ``text.split_sentences_in_python`` gives, the abbreviations given as its sets are.");

PyObject *
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
