/* Helpers the libFuzzer targets share to cut their input into parts. Each
 * target includes this once; everything is static. */
#ifndef FV_FUZZ_INPUT_H
#define FV_FUZZ_INPUT_H

#include <fv/common.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Cuts in at the first sep: false (before, after untouched) when sep is not
 * there. */
static inline bool fuzz_split(struct fv_cur in, const char *sep, struct fv_cur *before,
                              struct fv_cur *after)
{
    size_t n = strlen(sep);
    for (size_t i = 0; i + n <= in.len; i++) {
        if (memcmp(in.ptr + i, sep, n) == 0) {
            *before = (struct fv_cur){in.ptr, i};
            *after = (struct fv_cur){in.ptr + i + n, in.len - i - n};
            return true;
        }
    }
    return false;
}

/* The bytes up to the next sep (in moves past it), or all that is left. */
static inline struct fv_cur fuzz_take(struct fv_cur *in, const char *sep)
{
    struct fv_cur part = *in;
    if (!fuzz_split(*in, sep, &part, in))
        *in = (struct fv_cur){in->ptr + in->len, 0};
    return part;
}

/* "Name: value" lines into h, as a server could send them: a name of token
 * characters, a value without CR, LF or NUL (anything else is dropped, as an
 * HTTP parser would refuse it). */
static inline void fuzz_headers(struct fv_cur head, struct fv_headers *h)
{
    while (head.len) {
        struct fv_cur line = fuzz_take(&head, "\n");
        struct fv_cur name = fuzz_take(&line, ":");
        bool ok = name.len > 0 && name.len < 64;
        for (size_t i = 0; ok && i < name.len; i++)
            ok = isalnum((unsigned char)name.ptr[i]) || name.ptr[i] == '-';
        for (size_t i = 0; ok && i < line.len; i++)
            ok = line.ptr[i] != '\r' && line.ptr[i] != '\0';
        if (!ok)
            continue;
        while (line.len && line.ptr[0] == ' ') {
            line.ptr++;
            line.len--;
        }
        char *n = fv_strndup(name.ptr, name.len), *v = fv_strndup(line.ptr, line.len);
        fv_headers_add(h, n, v);
        free(n);
        free(v);
    }
}

/* Header lines, an empty line, a body ("an HTTP answer"); all body when there
 * is no empty line. */
static inline void fuzz_answer(struct fv_cur in, struct fv_headers *h, struct fv_cur *body)
{
    struct fv_cur head;
    if (fuzz_split(in, "\n\n", &head, body))
        fuzz_headers(head, h);
    else
        *body = in;
}

/* An error as the library leaves it: every text NUL-terminated in its array. */
static inline void fuzz_check_error(const struct fv_error *err)
{
    if (!memchr(err->code, 0, sizeof(err->code)) ||
        !memchr(err->message, 0, sizeof(err->message)) ||
        !memchr(err->request_id, 0, sizeof(err->request_id)))
        abort();
}

#endif
