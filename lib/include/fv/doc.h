/* Configuration documents: YAML or JSON files read into one json-c tree, so
 * one schema serves both. YAML scalars become strings, except that plain
 * (unquoted) true/false/null and integers become booleans, null and
 * integers, as YAML 1.2's core schema says. */
#ifndef FV_DOC_H
#define FV_DOC_H

#include <fv/common.h>

struct json_object;

/* Reads path (".yaml", ".yml" or ".json"; other endings are sniffed: a
 * document starting with '{' is JSON). *out: caller owns (json_object_put).
 * Errors name the file and, for syntax errors, the line:
 *   "Configuration file does not exist: <path>"
 *   "Configuration file must be YAML or JSON: <path>"
 *   "<path>:<line>: <what is wrong>" */
fv_status fv_doc_load(const char *path, struct json_object **out, struct fv_error *err);
/* Same, from memory (name is used in messages). */
fv_status fv_doc_parse(const char *name, const char *text, size_t len, bool json,
                       struct json_object **out, struct fv_error *err);

#endif
