/* Ion text lines of DynamoDB ION exports to DynamoDB JSON (ion.h). A
 * recursive-descent reader over one bounded line: no allocation beyond the
 * json-c tree it returns and small string buffers, depth bounded. */
#include "ion.h"

#include <fv/common.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define S_NUM_MAX 200  /* digits of an N string; DynamoDB's own range is far less */
#define S_PRECISION 38 /* DynamoDB's digits of precision */

struct s_in {
    const char *start, *p, *end;
    struct fv_error *err;
};

static fv_status s_fail(struct s_in *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static fv_status s_fail(struct s_in *in, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return fv_error_set(in->err, FV_E_PARSE, "Ion, column %zu: %s", (size_t)(in->p - in->start) + 1,
                        what);
}

static bool s_at(const struct s_in *in, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(in->end - in->p) >= n && memcmp(in->p, lit, n) == 0;
}

/* Whitespace and comments. */
static fv_status s_skip(struct s_in *in)
{
    while (in->p < in->end) {
        char c = *in->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
            in->p++;
        } else if (s_at(in, "//")) {
            in->p = in->end;
        } else if (s_at(in, "/*")) {
            const char *q = in->p + 2;
            while (q + 1 < in->end && !(q[0] == '*' && q[1] == '/'))
                q++;
            if (q + 1 >= in->end)
                return s_fail(in, "a comment is not closed on its line");
            in->p = q + 2;
        } else {
            break;
        }
    }
    return FV_OK;
}

static bool s_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool s_ident_char(char c)
{
    return s_ident_start(c) || (c >= '0' && c <= '9');
}

static bool s_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* After a number or keyword: what may follow a value. */
static bool s_stop(const struct s_in *in)
{
    if (in->p >= in->end)
        return true;
    char c = *in->p;
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == ',' || c == ']' ||
           c == '}' || c == '/';
}

static void s_utf8_put(struct fv_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    fv_buf_append(b, u, n);
}

static bool s_utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        static const uint32_t min[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

static int s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static fv_status s_hex_digits(struct s_in *in, int n, uint32_t *cp)
{
    *cp = 0;
    for (int i = 0; i < n; i++, in->p++) {
        int h = in->p < in->end ? s_hex(*in->p) : -1;
        if (h < 0)
            return s_fail(in, "an escape wants %d hex digits", n);
        *cp = *cp << 4 | (uint32_t)h;
    }
    return FV_OK;
}

/* A "string" or 'quoted symbol' at in->p (its quote), decoded into out. */
static fv_status s_quoted(struct s_in *in, struct fv_buf *out)
{
    char q = *in->p++;
    if (q == '\'' && s_at(in, "''"))
        return s_fail(in, "a long string ('''), which DynamoDB exports never write");
    fv_buf_reset(out);
    while (in->p < in->end && *in->p != q) {
        unsigned char c = (unsigned char)*in->p;
        if (c < 0x20 && c != '\t')
            return s_fail(in, "control byte 0x%02x in a string", c);
        if (c != '\\') {
            fv_buf_append(out, in->p++, 1);
            continue;
        }
        if (++in->p >= in->end)
            break;
        char e = *in->p++;
        static const char from[] = "abtnfrv?0'\"/\\", to[] = "\a\b\t\n\f\r\v?\0'\"/\\";
        const char *f = memchr(from, e, sizeof(from) - 1);
        uint32_t cp;
        fv_status st = FV_OK;
        if (f) {
            fv_buf_append(out, &to[f - from], 1);
            continue;
        } else if (e == 'x') {
            st = s_hex_digits(in, 2, &cp);
        } else if (e == 'u') {
            st = s_hex_digits(in, 4, &cp);
            if (st == FV_OK && cp >= 0xd800 && cp <= 0xdbff) { /* a UTF-16 surrogate pair */
                uint32_t lo;
                if (!s_at(in, "\\u"))
                    return s_fail(in, "a high surrogate without its low one");
                in->p += 2;
                st = s_hex_digits(in, 4, &lo);
                if (st == FV_OK && (lo < 0xdc00 || lo > 0xdfff))
                    return s_fail(in, "a high surrogate without its low one");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
        } else if (e == 'U') {
            st = s_hex_digits(in, 8, &cp);
        } else {
            in->p--;
            return s_fail(in, "unknown escape \\%c", e);
        }
        if (st != FV_OK)
            return st;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return s_fail(in, "escape of U+%X, not a Unicode scalar value", (unsigned)cp);
        s_utf8_put(out, cp);
    }
    if (in->p >= in->end)
        return s_fail(in, "a string is not closed on its line");
    in->p++;
    if (!s_utf8_valid((const unsigned char *)out->ptr, out->len))
        return s_fail(in, "a string is not UTF-8");
    return FV_OK;
}

/* An identifier symbol into out. */
static void s_ident(struct s_in *in, struct fv_buf *out)
{
    const char *s = in->p;
    while (in->p < in->end && s_ident_char(*in->p))
        in->p++;
    fv_buf_reset(out);
    fv_buf_append(out, s, (size_t)(in->p - s));
}

/* A field name: identifier, 'quoted symbol' or "string". */
static fv_status s_name(struct s_in *in, struct fv_buf *out)
{
    if (in->p < in->end && (*in->p == '"' || *in->p == '\'')) {
        fv_status st = s_quoted(in, out);
        if (st == FV_OK && out->len > 0 && memchr(out->ptr, '\0', out->len))
            st = s_fail(in, "a field name with a NUL");
        return st;
    }
    if (in->p >= in->end || !s_ident_start(*in->p))
        return s_fail(in, "a field name is wanted");
    s_ident(in, out);
    if (out->len > 1 && out->ptr[0] == '$') {
        bool sid = true;
        for (size_t i = 1; i < out->len; i++)
            sid = sid && s_digit(out->ptr[i]);
        if (sid)
            return s_fail(in, "symbol id %.*s without a symbol table", (int)out->len, out->ptr);
    }
    return FV_OK;
}

/* Digits with single underscores between them into d; false if none. */
static bool s_digits(struct s_in *in, struct fv_buf *d)
{
    size_t before = d->len;
    while (in->p < in->end) {
        if (s_digit(*in->p)) {
            fv_buf_append(d, in->p++, 1);
        } else if (*in->p == '_' && d->len > before && in->p + 1 < in->end && s_digit(in->p[1])) {
            in->p++;
        } else {
            break;
        }
    }
    return d->len > before;
}

/* 0x / 0b ints (after the sign) up to 64 bits, as decimal text. */
static fv_status s_radix_int(struct s_in *in, bool neg, struct fv_buf *out)
{
    int base = (in->p[1] == 'x' || in->p[1] == 'X') ? 16 : 2;
    in->p += 2;
    uint64_t v = 0;
    bool any = false, under = false;
    while (in->p < in->end) {
        int h = *in->p == '_' ? -2 : s_hex(*in->p);
        if (h == -2 && any && !under) {
            under = true;
            in->p++;
            continue;
        }
        if (h < 0 || h >= base)
            break;
        if (v > (UINT64_MAX - (uint64_t)h) / (uint64_t)base)
            return s_fail(in, "an int beyond 64 bits");
        v = v * (uint64_t)base + (uint64_t)h;
        any = true, under = false;
        in->p++;
    }
    if (!any || under)
        return s_fail(in, "a %s int without digits", base == 16 ? "hex" : "binary");
    char text[24];
    snprintf(text, sizeof(text), "%s%llu", neg && v ? "-" : "", (unsigned long long)v);
    fv_buf_append_str(out, text);
    return FV_OK;
}

/* An int or decimal as a DynamoDB N string: the digits moved by the
 * exponent, leading and trailing zeros dropped ("1.50" is "1.5", "12d-3"
 * "0.012", "-0." "0"); an integer longer than DynamoDB's 38 digits of
 * precision keeps an exponent ("99d124" is "99E+124", not 126 digits that
 * SDKs read as 126 significant ones); exact, never through a double. */
static fv_status s_number(struct s_in *in, struct fv_buf *out)
{
    fv_buf_reset(out);
    bool neg = *in->p == '-';
    if (neg)
        in->p++;
    if (in->p < in->end && *in->p == '0' && in->p + 1 < in->end && strchr("xXbB", in->p[1]) &&
        in->p[1] != '\0') {
        fv_status st = s_radix_int(in, neg, out);
        return st != FV_OK ? st : s_stop(in) ? FV_OK : s_fail(in, "junk after a number");
    }
    if (in->p >= in->end || !s_digit(*in->p))
        return s_fail(in, "%s",
                      s_at(in, "inf") ? "a float (inf), not a DynamoDB number"
                                      : "a number is wanted");
    if (*in->p == '0' && in->p + 1 < in->end && (s_digit(in->p[1]) || in->p[1] == '_'))
        return s_fail(in, "a number with a leading zero");
    struct fv_buf d = {0};
    s_digits(in, &d);
    size_t int_len = d.len;
    int64_t exp = 0;
    fv_status st = FV_OK;
    if (in->p < in->end && *in->p == '.') {
        in->p++;
        if (in->p < in->end && s_digit(*in->p))
            s_digits(in, &d);
    }
    exp = -(int64_t)(d.len - int_len);
    if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
        st = s_fail(in, "a float (e exponent), not a DynamoDB number");
    } else if (in->p < in->end && (*in->p == 'd' || *in->p == 'D')) {
        in->p++;
        bool eneg = in->p < in->end && *in->p == '-';
        if (in->p < in->end && (*in->p == '-' || *in->p == '+'))
            in->p++;
        int64_t e = 0;
        bool any = false;
        while (in->p < in->end && s_digit(*in->p)) {
            if (e < 1000000)
                e = e * 10 + (*in->p - '0');
            any = true;
            in->p++;
        }
        if (!any)
            st = s_fail(in, "a decimal exponent without digits");
        exp += eneg ? -e : e;
    }
    if (st == FV_OK && !s_stop(in))
        st = s_fail(in, "junk after a number");
    if (st != FV_OK) {
        fv_buf_clean_up(&d);
        return st;
    }
    const char *s = d.ptr;
    size_t n = d.len;
    while (n > 0 && *s == '0')
        s++, n--;
    while (n > 0 && s[n - 1] == '0')
        n--, exp++;
    if (n == 0) {
        fv_buf_append_str(out, "0");
    } else if ((exp >= 0 && (int64_t)n + exp > S_NUM_MAX) || (exp < 0 && -exp > S_NUM_MAX)) {
        st = s_fail(in, "a number beyond %d digits, outside DynamoDB's range", S_NUM_MAX);
    } else {
        if (neg)
            fv_buf_append_str(out, "-");
        if (exp >= 0 && (int64_t)n + exp <= S_PRECISION) {
            fv_buf_append(out, s, n);
            for (int64_t i = 0; i < exp; i++)
                fv_buf_append_str(out, "0");
        } else if (exp >= 0) { /* zeros written out would pass for significant digits */
            fv_buf_append(out, s, n);
            if (exp > 0)
                fv_buf_printf(out, "E+%lld", (long long)exp);
        } else if ((size_t)-exp >= n) {
            fv_buf_append_str(out, "0.");
            for (int64_t i = 0; i < -exp - (int64_t)n; i++)
                fv_buf_append_str(out, "0");
            fv_buf_append(out, s, n);
        } else {
            fv_buf_append(out, s, n - (size_t)-exp);
            fv_buf_append_str(out, ".");
            fv_buf_append(out, s + n - (size_t)-exp, (size_t)-exp);
        }
    }
    fv_buf_clean_up(&d);
    return st;
}

/* {{ base64 }} at in->p, the base64 text (whitespace dropped) into out. */
static fv_status s_blob(struct s_in *in, struct fv_buf *out)
{
    in->p += 2;
    fv_buf_reset(out);
    size_t pad = 0;
    while (in->p < in->end && !s_at(in, "}}")) {
        char c = *in->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
            in->p++;
            continue;
        }
        if (c == '"' || c == '\'')
            return s_fail(in, "a clob, which DynamoDB exports never write");
        bool b64 =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || s_digit(c) || c == '+' || c == '/';
        if (c == '=' && pad < 2)
            pad++;
        else if (!b64 || pad > 0)
            return s_fail(in, "not base64 in a blob");
        fv_buf_append(out, in->p++, 1);
    }
    if (in->p >= in->end)
        return s_fail(in, "a blob is not closed on its line");
    if (out->len % 4 != 0)
        return s_fail(in, "a blob's base64 is not a multiple of 4 characters");
    in->p += 2;
    return FV_OK;
}

static fv_status s_value(struct s_in *in, int depth, struct json_object **out);

/* { name: value, ... } at in->p: names to attribute values. */
static fv_status s_item(struct s_in *in, int depth, struct json_object **out)
{
    if (depth > FV_ION_MAX_DEPTH)
        return s_fail(in, "nested deeper than %d", FV_ION_MAX_DEPTH);
    if (in->p >= in->end || *in->p != '{' || s_at(in, "{{"))
        return s_fail(in, "a struct is wanted");
    in->p++;
    struct json_object *o = json_object_new_object();
    struct fv_buf name = {0};
    fv_status st = s_skip(in);
    while (st == FV_OK && (in->p >= in->end || *in->p != '}')) {
        struct json_object *v = NULL;
        st = s_name(in, &name);
        if (st == FV_OK)
            st = s_skip(in);
        if (st == FV_OK && (in->p >= in->end || *in->p != ':' || s_at(in, "::")))
            st = s_fail(in, "':' is wanted after a field name");
        if (st == FV_OK) {
            in->p++;
            st = s_value(in, depth + 1, &v);
        }
        if (st == FV_OK && json_object_object_get_ex(o, fv_buf_str(&name), NULL))
            st = s_fail(in, "field %s twice", fv_buf_str(&name));
        if (st != FV_OK) {
            json_object_put(v);
            break;
        }
        json_object_object_add(o, fv_buf_str(&name), v);
        st = s_skip(in);
        if (st == FV_OK && in->p < in->end && *in->p == ',') {
            in->p++;
            st = s_skip(in);
        } else if (st == FV_OK && (in->p >= in->end || *in->p != '}')) {
            st = s_fail(in, "',' or '}' is wanted");
        }
    }
    fv_buf_clean_up(&name);
    if (st != FV_OK) {
        json_object_put(o);
        return st;
    }
    in->p++;
    *out = o;
    return FV_OK;
}

static struct json_object *s_typed(const char *type, struct json_object *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, type, v);
    return o;
}

/* [ ... ] of a set ($dynamodb_SS/NS/BS): the members as strings. */
static fv_status s_set(struct s_in *in, char kind, struct json_object **out)
{
    if (in->p >= in->end || *in->p != '[')
        return s_fail(in, "a list is wanted after $dynamodb_%cS::", kind);
    in->p++;
    struct json_object *a = json_object_new_array();
    struct fv_buf text = {0};
    fv_status st = s_skip(in);
    while (st == FV_OK && (in->p >= in->end || *in->p != ']')) {
        char c = in->p < in->end ? *in->p : '\0';
        if (kind == 'S' && c == '"')
            st = s_quoted(in, &text);
        else if (kind == 'N' && (c == '-' || s_digit(c)))
            st = s_number(in, &text);
        else if (kind == 'B' && s_at(in, "{{"))
            st = s_blob(in, &text);
        else
            st = s_fail(in, "not a member of a $dynamodb_%cS set", kind);
        if (st != FV_OK)
            break;
        json_object_array_add(a,
                              json_object_new_string_len(text.ptr ? text.ptr : "", (int)text.len));
        st = s_skip(in);
        if (st == FV_OK && in->p < in->end && *in->p == ',') {
            in->p++;
            st = s_skip(in);
        } else if (st == FV_OK && (in->p >= in->end || *in->p != ']')) {
            st = s_fail(in, "',' or ']' is wanted");
        }
    }
    fv_buf_clean_up(&text);
    if (st == FV_OK && json_object_array_length(a) == 0)
        st = s_fail(in, "an empty set, which DynamoDB cannot hold");
    if (st != FV_OK) {
        json_object_put(a);
        return st;
    }
    in->p++;
    char type[3] = {kind, 'S', '\0'};
    *out = s_typed(type, a);
    return FV_OK;
}

/* A keyword or an annotation at an identifier or 'quoted symbol'. */
static fv_status s_symbolic(struct s_in *in, int depth, struct json_object **out)
{
    struct fv_buf sym = {0};
    bool quoted = *in->p == '\'';
    fv_status st = quoted ? s_quoted(in, &sym) : (s_ident(in, &sym), FV_OK);
    const char *s = fv_buf_str(&sym);
    if (st != FV_OK)
        goto out;
    const char *after = in->p;
    st = s_skip(in);
    if (st == FV_OK && s_at(in, "::")) {
        in->p += 2;
        st = s_skip(in);
        if (st != FV_OK)
            goto out;
        if (strcmp(s, "$dynamodb_SS") == 0 || strcmp(s, "$dynamodb_NS") == 0 ||
            strcmp(s, "$dynamodb_BS") == 0)
            st = s_set(in, s[10], out);
        else
            st = s_fail(in, "annotation %s, which DynamoDB exports never write", s);
        goto out;
    }
    in->p = after;
    if (st != FV_OK)
        goto out;
    if (!quoted && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
        *out = s_typed("BOOL", json_object_new_boolean(s[0] == 't'));
    } else if (!quoted && strcmp(s, "null") == 0) {
        if (in->p < in->end && *in->p == '.') { /* null.<type>: null all the same */
            static const char *const types[] = {"null",      "bool",   "int",    "float", "decimal",
                                                "timestamp", "symbol", "string", "clob",  "blob",
                                                "list",      "sexp",   "struct"};
            const char *t = ++in->p;
            while (in->p < in->end && s_ident_char(*in->p))
                in->p++;
            bool known = false;
            for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                known = known || ((size_t)(in->p - t) == strlen(types[i]) &&
                                  memcmp(t, types[i], strlen(types[i])) == 0);
            if (!known) {
                in->p = t;
                st = s_fail(in, "an Ion type is wanted after null.");
                goto out;
            }
        }
        *out = s_typed("NULL", json_object_new_boolean(true));
    } else if (!quoted && strcmp(s, "nan") == 0) {
        st = s_fail(in, "a float (nan), not a DynamoDB number");
    } else {
        st = s_fail(in, "symbol value %s, which DynamoDB exports never write", s);
    }
    if (st == FV_OK && !s_stop(in)) {
        json_object_put(*out);
        *out = NULL;
        st = s_fail(in, "junk after %s", s);
    }
out:
    fv_buf_clean_up(&sym);
    (void)depth;
    return st;
}

/* One attribute value as {"<type>": ...}. */
static fv_status s_value(struct s_in *in, int depth, struct json_object **out)
{
    *out = NULL;
    if (depth > FV_ION_MAX_DEPTH)
        return s_fail(in, "nested deeper than %d", FV_ION_MAX_DEPTH);
    fv_status st = s_skip(in);
    if (st != FV_OK)
        return st;
    if (in->p >= in->end)
        return s_fail(in, "a value is wanted");
    char c = *in->p;
    struct fv_buf text = {0};
    struct json_object *v = NULL;
    if (c == '"') {
        st = s_quoted(in, &text);
        if (st == FV_OK)
            *out =
                s_typed("S", json_object_new_string_len(text.ptr ? text.ptr : "", (int)text.len));
    } else if (c == '-' || s_digit(c)) {
        st = s_number(in, &text);
        if (st == FV_OK)
            *out = s_typed("N", json_object_new_string(fv_buf_str(&text)));
    } else if (s_at(in, "{{")) {
        st = s_blob(in, &text);
        if (st == FV_OK)
            *out = s_typed("B", json_object_new_string(fv_buf_str(&text)));
    } else if (c == '{') {
        st = s_item(in, depth + 1, &v);
        if (st == FV_OK)
            *out = s_typed("M", v);
    } else if (c == '[') {
        in->p++;
        struct json_object *a = json_object_new_array();
        st = s_skip(in);
        while (st == FV_OK && (in->p >= in->end || *in->p != ']')) {
            st = s_value(in, depth + 1, &v);
            if (st != FV_OK)
                break;
            json_object_array_add(a, v);
            st = s_skip(in);
            if (st == FV_OK && in->p < in->end && *in->p == ',') {
                in->p++;
                st = s_skip(in);
            } else if (st == FV_OK && (in->p >= in->end || *in->p != ']')) {
                st = s_fail(in, "',' or ']' is wanted");
            }
        }
        if (st == FV_OK) {
            in->p++;
            *out = s_typed("L", a);
        } else {
            json_object_put(a);
        }
    } else if (c == '\'' || s_ident_start(c)) {
        st = s_symbolic(in, depth, out);
    } else if (c == '+' && s_at(in, "+inf")) {
        st = s_fail(in, "a float (+inf), not a DynamoDB number");
    } else {
        st = s_fail(in, "unexpected '%c'", c);
    }
    fv_buf_clean_up(&text);
    return st;
}

fv_status fv_ion_line_to_json(const char *p, size_t n, struct json_object **out,
                              struct fv_error *err)
{
    struct s_in in = {.start = p, .p = p, .end = p + n, .err = err};
    *out = NULL;
    fv_status st = s_skip(&in);
    while (st == FV_OK && s_at(&in, "$ion_1_0") && (in.p + 8 == in.end || !s_ident_char(in.p[8]))) {
        in.p += 8; /* the version marker, before the line's value or alone */
        st = s_skip(&in);
    }
    if (st != FV_OK || in.p >= in.end)
        return st;
    if (*in.p != '{' || s_at(&in, "{{"))
        return s_fail(&in, "a struct is wanted at the top of a line");
    in.p++;
    struct json_object *doc = json_object_new_object(), *item = NULL;
    struct fv_buf name = {0};
    st = s_skip(&in);
    while (st == FV_OK && (in.p >= in.end || *in.p != '}')) {
        st = s_name(&in, &name);
        if (st == FV_OK)
            st = s_skip(&in);
        if (st == FV_OK && (in.p >= in.end || *in.p != ':' || s_at(&in, "::")))
            st = s_fail(&in, "':' is wanted after a field name");
        if (st == FV_OK) {
            in.p++;
            st = s_skip(&in);
        }
        if (st == FV_OK)
            st = s_item(&in, 1, &item);
        if (st == FV_OK && json_object_object_get_ex(doc, fv_buf_str(&name), NULL)) {
            json_object_put(item);
            st = s_fail(&in, "field %s twice", fv_buf_str(&name));
        }
        if (st != FV_OK)
            break;
        json_object_object_add(doc, fv_buf_str(&name), item);
        st = s_skip(&in);
        if (st == FV_OK && in.p < in.end && *in.p == ',') {
            in.p++;
            st = s_skip(&in);
        } else if (st == FV_OK && (in.p >= in.end || *in.p != '}')) {
            st = s_fail(&in, "',' or '}' is wanted");
        }
    }
    fv_buf_clean_up(&name);
    if (st == FV_OK) {
        in.p++;
        st = s_skip(&in);
        if (st == FV_OK && in.p < in.end)
            st = s_fail(&in, "more than one value on a line");
    }
    if (st != FV_OK) {
        json_object_put(doc);
        return st;
    }
    *out = doc;
    return FV_OK;
}
