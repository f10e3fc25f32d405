/* The AWS shared-file INI dialect; see ini.h. */
#include "aws/ini.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Config files are a few KiB; anything this big is not one. */
#define S_MAX_FILE (4u << 20)

static bool s_is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims spaces and tabs from both ends of [*b, *e). */
static void s_trim(const char **b, const char **e)
{
    while (*b < *e && s_is_ws(**b))
        (*b)++;
    while (*e > *b && s_is_ws((*e)[-1]))
        (*e)--;
}

static struct fv_ini_section *s_section_get_or_add(struct fv_ini *ini, const char *name, size_t n,
                                                   int line)
{
    for (size_t i = 0; i < ini->n; i++) {
        if (strlen(ini->sections[i].name) == n && memcmp(ini->sections[i].name, name, n) == 0)
            return &ini->sections[i];
    }
    if (ini->n == ini->cap) {
        ini->cap = ini->cap ? ini->cap * 2 : 8;
        ini->sections = fv_realloc(ini->sections, ini->cap * sizeof(*ini->sections));
    }
    struct fv_ini_section *s = &ini->sections[ini->n++];
    *s = (struct fv_ini_section){.name = fv_strndup(name, n), .line = line};
    return s;
}

static void s_wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Sets key (n bytes) to value (vn bytes); returns the property. */
static struct fv_ini_prop *s_prop_set(struct fv_ini_section *s, const char *key, size_t n,
                                      const char *value, size_t vn, int line)
{
    struct fv_ini_prop *p = NULL;
    for (size_t i = 0; i < s->n; i++) {
        if (strlen(s->props[i].key) == n && strncasecmp(s->props[i].key, key, n) == 0) {
            p = &s->props[i];
            break;
        }
    }
    if (!p) {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 8;
            s->props = fv_realloc(s->props, s->cap * sizeof(*s->props));
        }
        p = &s->props[s->n++];
        *p = (struct fv_ini_prop){.key = fv_strndup(key, n)};
    }
    s_wipe_free(p->value);
    p->value = fv_strndup(value, vn);
    p->line = line;
    return p;
}

static void s_prop_append(struct fv_ini_prop *p, const char *more, size_t n)
{
    struct fv_buf b = {0};
    fv_buf_append_str(&b, p->value);
    if (p->value[0] != '\0')
        fv_buf_append_char(&b, '\n');
    fv_buf_append(&b, more, n);
    s_wipe_free(p->value);
    p->value = fv_buf_detach(&b);
}

/* Where an inline comment starts in a value: '#' or ';' after whitespace. */
static const char *s_value_comment(const char *b, const char *e)
{
    for (const char *c = b + 1; c < e; c++) {
        if ((*c == '#' || *c == ';') && s_is_ws(c[-1]))
            return c;
    }
    return e;
}

static fv_status s_bad(struct fv_error *err, const char *name, int line, const char *what)
{
    return fv_error_set(err, FV_E_INVALID, "%s:%d: %s", name, line, what);
}

fv_status fv_ini_parse(const char *text, size_t len, const char *name, struct fv_ini *out,
                       struct fv_error *err)
{
    fv_status st = FV_OK;
    struct fv_ini ini = {0};
    struct fv_ini_section *cur = NULL;
    /* The property an indented line would continue, and its indent. */
    size_t prop_sec = 0, prop_idx = 0;
    bool have_prop = false;
    size_t prop_indent = 0;
    const char *p = text, *end = text + len;
    int line = 0;

    if (!name)
        name = "<config>";
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *b = p, *e = le;
        p = nl ? nl + 1 : end;
        line++;

        if (e > b && e[-1] == '\r')
            e--;
        size_t indent = 0;
        while (b + indent < e && s_is_ws(b[indent]))
            indent++;
        s_trim(&b, &e);
        if (b == e || *b == '#' || *b == ';')
            continue;
        if (memchr(b, '\0', (size_t)(e - b))) {
            st = s_bad(err, name, line, "NUL byte in line");
            goto out;
        }

        if (have_prop && indent > prop_indent) {
            struct fv_ini_prop *prop = &ini.sections[prop_sec].props[prop_idx];
            s_prop_append(prop, b, (size_t)(e - b));
            continue;
        }

        if (*b == '[') {
            const char *close = memchr(b, ']', (size_t)(e - b));
            if (!close) {
                st = s_bad(err, name, line, "section header without a closing ']'");
                goto out;
            }
            const char *rest = close + 1;
            while (rest < e && s_is_ws(*rest))
                rest++;
            if (rest < e && *rest != '#' && *rest != ';') {
                st = s_bad(err, name, line, "unexpected text after the section header");
                goto out;
            }
            const char *nb = b + 1, *ne = close;
            s_trim(&nb, &ne);
            if (nb == ne) {
                st = s_bad(err, name, line, "empty section name");
                goto out;
            }
            cur = s_section_get_or_add(&ini, nb, (size_t)(ne - nb), line);
            have_prop = false;
            continue;
        }

        const char *eq = memchr(b, '=', (size_t)(e - b));
        if (!eq) {
            st = s_bad(err, name, line, "expected '[section]' or 'key = value'");
            goto out;
        }
        if (!cur) {
            st = s_bad(err, name, line, "property before any [section] header");
            goto out;
        }
        const char *kb = b, *ke = eq;
        s_trim(&kb, &ke);
        if (kb == ke) {
            st = s_bad(err, name, line, "property with no name before '='");
            goto out;
        }
        /* Comments are found before trimming: "k = # c" is an empty value. */
        const char *vb = eq + 1, *ve = s_value_comment(eq, e);
        s_trim(&vb, &ve);
        struct fv_ini_prop *prop =
            s_prop_set(cur, kb, (size_t)(ke - kb), vb, (size_t)(ve - vb), line);
        prop_sec = (size_t)(cur - ini.sections);
        prop_idx = (size_t)(prop - cur->props);
        prop_indent = indent;
        have_prop = true;
    }
out:
    if (st != FV_OK)
        fv_ini_clean_up(&ini);
    *out = ini;
    return st;
}

fv_status fv_ini_load(const char *path, struct fv_ini *out, struct fv_error *err)
{
    fv_status st = FV_OK;
    struct fv_buf text = {0};
    int fd = -1;

    *out = (struct fv_ini){0};
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            st = fv_error_set(err, FV_E_NOTFOUND, "%s: no such file", path);
        else
            st = fv_error_set(err, FV_E_IO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = fv_error_set(err, FV_E_IO, "%s is not a regular file", path);
        goto out;
    }
    char chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = fv_error_set(err, FV_E_IO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        fv_buf_append(&text, chunk, (size_t)n);
        if (text.len > S_MAX_FILE) {
            st = fv_error_set(err, FV_E_IO, "%s is larger than %u bytes", path, S_MAX_FILE);
            goto out;
        }
    }
    explicit_bzero(chunk, sizeof(chunk));
    st = fv_ini_parse(text.ptr ? text.ptr : "", text.len, path, out, err);
out:
    if (fd >= 0)
        close(fd);
    if (text.ptr)
        explicit_bzero(text.ptr, text.len);
    fv_buf_clean_up(&text);
    return st;
}

void fv_ini_clean_up(struct fv_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        struct fv_ini_section *s = &ini->sections[i];
        for (size_t j = 0; j < s->n; j++) {
            free(s->props[j].key);
            s_wipe_free(s->props[j].value);
        }
        free(s->props);
        free(s->name);
    }
    free(ini->sections);
    *ini = (struct fv_ini){0};
}

const struct fv_ini_section *fv_ini_section(const struct fv_ini *ini, const char *name)
{
    if (!ini || !name)
        return NULL;
    for (size_t i = 0; i < ini->n; i++) {
        if (strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    }
    return NULL;
}

static const struct fv_ini_prop *s_find(const struct fv_ini_section *s, const char *key)
{
    if (!s || !key)
        return NULL;
    for (size_t i = 0; i < s->n; i++) {
        if (strcasecmp(s->props[i].key, key) == 0)
            return &s->props[i];
    }
    return NULL;
}

const char *fv_ini_get(const struct fv_ini_section *s, const char *key)
{
    const struct fv_ini_prop *p = s_find(s, key);
    return p ? p->value : NULL;
}

int fv_ini_line(const struct fv_ini_section *s, const char *key)
{
    const struct fv_ini_prop *p = s_find(s, key);
    return p ? p->line : 0;
}
