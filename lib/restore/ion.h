/* Amazon Ion text, the subset DynamoDB's ION exports write (not a public
 * interface; lib/restore/export_stream.c reads ION data files with it).
 *
 * One line is one top-level struct, optionally after the `$ion_1_0` version
 * marker: {Item:{...}} in a full export, {Metadata:{...},Keys:{...},
 * NewImage:{...},OldImage:{...}} in an incremental one. Each field of the
 * top-level struct holds an item (a struct of attributes) and becomes the
 * same DynamoDB-JSON object a DYNAMODB_JSON export holds:
 *   string "..."                 {"S": ...}     (Ion escapes decoded, UTF-8 checked)
 *   decimal 1. -1.5 12d-3, int   {"N": ...}     (exact: digits moved, never a double;
 *                                                 "1E+40" past 38 integer digits)
 *   blob {{base64}}              {"B": base64}
 *   true / false                 {"BOOL": ...}
 *   null, null.<type>            {"NULL": true}
 *   struct {...}                 {"M": {...}}   (field names: symbols, 'quoted', "strings")
 *   list [...]                   {"L": [...]}
 *   $dynamodb_SS::[...] (NS, BS) {"SS": [...]}  (NS: the numbers' N strings, BS: base64)
 * Whitespace and comments (// and slash-star) may appear between values.
 * Anything else (floats, timestamps, symbol values, clobs, long strings,
 * S-expressions, other annotations) is refused: DynamoDB never writes it. */
#ifndef FV_RESTORE_ION_H
#define FV_RESTORE_ION_H

#include <fv/common.h>
#include <stddef.h>

struct json_object;

/* Converts one line (p[0..n), no newline). FV_OK with *out the document
 * (caller owns; json_object_put), or *out NULL when the line holds no value
 * (blank, comments, the version marker alone). FV_E_PARSE with err saying
 * what is wrong at which column. Recursion is bounded (FV_ION_MAX_DEPTH). */
#define FV_ION_MAX_DEPTH 64
fv_status fv_ion_line_to_json(const char *p, size_t n, struct json_object **out,
                              struct fv_error *err);

#endif
