/* Snippets of matches (``matching.snippet_in_python`` and ``qsnippet.build_snippet``). */
#include "core.h"

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
    if (count == 0 || PyList_GET_SIZE(first) != count || PyUnicode_GET_LENGTH(ellipsis) != 1) {
        PyErr_SetString(PyExc_ValueError,
                        "a headline and one first word per sentence; one ellipsis character");
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
    for (Py_ssize_t s = 0; s < count; s++) {
        if (self->first[s] < 0 || self->first[s] > self->first[s + 1]) {
            PyErr_SetString(PyExc_ValueError, "first words must count up to the number of keys");
            return -1;
        }
    }
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

/* A sentence to show, and its marks: ordered[first:end]. */
typedef struct {
    Py_ssize_t sentence, first, end;
} Shown;

/* matching._fewest_sentences: of the marked sentences `shown` (in order), those showing every
 * marked key, picked greedily, the one showing most first; kept in `shown`, in order, and
 * their number returned. `ids` are the marks' keys as numbers, `distinct` of them. */
static Py_ssize_t
fewest_sentences(Shown *shown, Py_ssize_t count, const Py_ssize_t *ids, Py_ssize_t distinct)
{
    Py_ssize_t marks = shown[count - 1].end, result = -1;
    char *missing = PyMem_Calloc((size_t)distinct + 1, 1);
    char *taken = PyMem_Calloc((size_t)count + 1, 1);
    Py_ssize_t *seen = PyMem_Calloc((size_t)distinct + 1, sizeof(Py_ssize_t));
    Py_ssize_t *keys = PyMem_Calloc((size_t)marks + 1, sizeof(Py_ssize_t)); /* each once */
    Py_ssize_t *keys_end = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    if (!missing || !taken || !seen || !keys || !keys_end) {
        PyErr_NoMemory();
        goto done;
    }
    /* The keys each sentence shows, each once: sentence c's end at keys_end[c]. */
    Py_ssize_t used = 0;
    for (Py_ssize_t c = 0; c < count; c++) {
        Py_ssize_t begin = used;
        for (Py_ssize_t i = shown[c].first; i < shown[c].end; i++) {
            if (seen[ids[i]] != c + 1) {
                seen[ids[i]] = c + 1;
                keys[used++] = ids[i];
            }
        }
        keys_end[c] = used;
        if (used - begin == distinct) { /* the usual case: one sentence shows them all */
            shown[0] = shown[c];
            result = 1;
            goto done;
        }
    }
    memset(missing, 1, (size_t)distinct);
    for (Py_ssize_t left = distinct; left > 0;) {
        Py_ssize_t best = -1, best_shows = -1;
        for (Py_ssize_t c = 0; c < count; c++) {
            Py_ssize_t shows = 0;
            for (Py_ssize_t i = c ? keys_end[c - 1] : 0; i < keys_end[c]; i++)
                shows += missing[keys[i]];
            if (!taken[c] && shows > best_shows) {
                best = c;
                best_shows = shows;
            }
        }
        taken[best] = 1;
        for (Py_ssize_t i = best ? keys_end[best - 1] : 0; i < keys_end[best]; i++) {
            left -= missing[keys[i]];
            missing[keys[i]] = 0;
        }
    }
    result = 0;
    for (Py_ssize_t c = 0; c < count; c++) {
        if (taken[c])
            shown[result++] = shown[c];
    }
done:
    PyMem_Free(missing);
    PyMem_Free(taken);
    PyMem_Free(seen);
    PyMem_Free(keys);
    PyMem_Free(keys_end);
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
    Shown *shown = PyMem_Calloc((size_t)count + 1, sizeof(Shown));
    Span *spans = PyMem_Calloc((size_t)count + 1, sizeof(Span));
    if (out.parts == NULL || !ordered || !ids || !shown || !spans) {
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
    /* The headline is shown above the snippet: its marks count only when the body has none. */
    Py_ssize_t body = self->first[1], skip = 0;
    if (count > 0 && ordered[count - 1] >= body) {
        while (ordered[skip] < body)
            skip++;
        memmove(ordered, ordered + skip, (size_t)(count - skip) * sizeof(Py_ssize_t));
        count -= skip;
    }
    /* The sentences of the marks, each once, with their marks. */
    Py_ssize_t shown_count = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t sentence = sentence_of(self, ordered[i]);
        if (shown_count == 0 || shown[shown_count - 1].sentence != sentence) {
            shown[shown_count].sentence = sentence;
            shown[shown_count++].first = i;
        }
        shown[shown_count - 1].end = i + 1;
    }
    if (shown_count > 1) {
        /* Show each marked key once, in as few sentences as it takes; when no key is marked
         * twice, every sentence shows keys of its own and all are needed. */
        Py_ssize_t distinct = number_keys(self, ordered, count, ids);
        if (distinct < 0)
            goto done;
        if (distinct < count && (shown_count = fewest_sentences(shown, shown_count, ids,
                                                                distinct)) < 0)
            goto done;
    } else if (shown_count == 0) { /* nothing marked (site:, lang:): the lede, else the headline */
        shown[0].sentence = 0;
        for (Py_ssize_t sentence = 1; sentence < self->sentence_count; sentence++) {
            if (self->sentences[sentence].end > self->sentences[sentence].start) {
                shown[0].sentence = sentence;
                break;
            }
        }
        shown_count = 1;
    }
    Py_ssize_t total = 3 * (shown_count - 1);
    for (Py_ssize_t c = 0; c < shown_count; c++) {
        PyObject *text = shown_text(self, shown[c].sentence);
        if (text == NULL)
            goto done;
        total += PyUnicode_GET_LENGTH(text);
    }
    int trim = total > self->limit;
    Py_ssize_t share = self->limit;
    if (shown_count > 1) {
        share = self->limit / shown_count;
        if (share < self->min_share)
            share = self->min_share;
    }
    Py_ssize_t previous = -1;
    for (Py_ssize_t c = 0; c < shown_count; c++) {
        Py_ssize_t sentence = shown[c].sentence, mark_count = 0;
        Span *words = NULL;
        if (shown[c].end > shown[c].first) {
            words = word_spans(self, sentence);
            if (words == NULL)
                goto done;
        }
        for (Py_ssize_t i = shown[c].first; i < shown[c].end; i++)
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
    PyMem_Free(shown);
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

PyTypeObject SnippetsType = {
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
