/* A small INI parser for the AWS shared config and credentials files
 * (private to lib/aws).
 *
 * The dialect is the one the AWS SDKs accept:
 *   - blank lines; comment lines starting with '#' or ';' (after whitespace);
 *   - "[name]" section headers, whitespace inside the brackets trimmed, and an
 *     optional trailing comment ("[profile x] # prod");
 *   - "key = value" properties, key and value trimmed; in a value, '#' or ';'
 *     starts a comment only when preceded by whitespace, so "abc#def" is a
 *     value but "abc #def" is "abc";
 *   - an indented line after a property continues it: appended to the value
 *     after a '\n' (this is how "s3 =\n  max_concurrent_requests = 10"
 *     sub-properties read);
 *   - a repeated key in a section replaces the earlier value; a repeated
 *     section header continues the earlier section;
 *   - CRLF line ends and a UTF-8 byte-order mark are accepted.
 * Section names are kept as written ("profile x", "default"): the caller
 * knows which file wants which form. Keys compare case-insensitively.
 *
 * Errors name the file and line ("/home/u/.aws/config:7: ...") and never
 * quote the line itself: it may hold a secret. */
#ifndef FV_AWS_INI_H
#define FV_AWS_INI_H

#include <fv/common.h>

struct fv_ini_prop {
    char *key;
    char *value;
    int line; /* 1-based line of the key */
};

struct fv_ini_section {
    char *name;
    struct fv_ini_prop *props;
    size_t n;
    size_t cap;
    int line; /* 1-based line of the first header */
};

/* A parsed file. A zeroed struct is a valid empty file. */
struct fv_ini {
    struct fv_ini_section *sections;
    size_t n;
    size_t cap;
};

/* Parses text (len bytes, need not be NUL-terminated). name labels errors
 * (usually the path). On success fills out (caller owns; free with
 * fv_ini_clean_up). On error out is left empty and err says
 * "<name>:<line>: <what>" with FV_E_INVALID. */
fv_status fv_ini_parse(const char *text, size_t len, const char *name, struct fv_ini *out,
                       struct fv_error *err);

/* Reads and parses path. A missing file is FV_E_NOTFOUND (out empty); an
 * unreadable one is FV_E_IO naming the path. */
fv_status fv_ini_load(const char *path, struct fv_ini *out, struct fv_error *err);

/* Frees everything and zeroes ini; values are wiped first (they may be
 * secrets). Safe on zeroed structs and NULL. */
void fv_ini_clean_up(struct fv_ini *ini);

/* Borrowed; NULL when absent. Section names compare exactly. */
const struct fv_ini_section *fv_ini_section(const struct fv_ini *ini, const char *name);
/* Borrowed; NULL when absent (s may be NULL). */
const char *fv_ini_get(const struct fv_ini_section *s, const char *key);
/* The line key was set on, 0 when absent (s may be NULL). */
int fv_ini_line(const struct fv_ini_section *s, const char *key);

#endif
