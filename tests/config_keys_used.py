#!/usr/bin/env python3
"""Every configuration key is read somewhere outside lib/config.

A key that is parsed, validated and documented but read by nothing is a lie to
the user (issue 8: aws.ca_bundle honoured by one command only; worker.threads
read by nothing). This check maps every key of the property tables in
lib/config/config.c to its C field (through S_OFF(field)) and looks for a read
of that field -- a member access `.field` or `->field` that is not the left
side of an assignment or a designated initializer -- in the sources of lib/
(lib/config excepted), coordinator/, worker/ and cli/. Tests do not count.

The check is lexical: a field whose name is also a member of another struct
(`name`, `id`) may be found through that struct. It is exact for the names
that matter here (request_timeout_ms, low_speed_time_s, ...).

The aws.* HTTP keys reach an engine only when it is built from them, so the
check also fails on any fv_http_engine_new() outside the few files that build
engines from options they were given (threads get theirs from
fv_fleet_engine_new()).

Usage: config_keys_used.py [SOURCE_ROOT]   (default: the repository holding
this file). Exit 1 naming every unread key."""
import os
import re
import sys

# (struct, field) pairs whose reader is being written on another branch; each
# entry names who wires it and where. Empty: every key is read today.
ALLOWED_UNREAD = set()

SEARCH_DIRS = ["lib", "coordinator", "worker", "cli"]
# Where fv_http_engine_new() may be called: the engine itself, a client given
# options, the fleet (from the configuration).
ENGINE_BUILDERS = {"lib/include/fv/http.h", "lib/aws/http.c", "lib/aws/client.c",
                   "lib/fleet/fleet.c"}
EXCLUDED_DIRS = [os.path.join("lib", "config")]

S_OFF_DEFINE = re.compile(r"#define\s+S_OFF\(f\)\s+offsetof\((struct\s+\w+),\s*f\)")
PROP = re.compile(r'\{\s*"([^"]+)",\s*FV_PROP_\w+,\s*S_OFF\((\w+)\)')
TABLE = re.compile(r"(?:static )?const struct fv_prop (\w+)\[\w*\]")


def keys(*config_c):
    """[(key, struct, field, table)] from the property tables."""
    out = []
    struct = table = None
    text = ""
    for path in config_c:
        with open(path) as f:
            text += f.read() + "\n"
    # Scan the text in order, tracking the S_OFF define and table each entry
    # follows.
    events = []
    for m in S_OFF_DEFINE.finditer(text):
        events.append((m.start(), "struct", " ".join(m.group(1).split())))
    for m in TABLE.finditer(text):
        events.append((m.start(), "table", m.group(1)))
    for m in PROP.finditer(text):
        events.append((m.start(), "prop", (m.group(1), m.group(2))))
    events.sort()
    for _, kind, val in events:
        if kind == "struct":
            struct = val
        elif kind == "table":
            table = val
        else:
            out.append((val[0], struct, val[1], table))
    return out


def strip_comments(src):
    """Comments out, line numbers kept."""
    src = re.sub(r"/\*.*?\*/", lambda m: " " + "\n" * m.group(0).count("\n"), src, flags=re.S)
    return re.sub(r"//[^\n]*", " ", src)


def sources(root, excluded=EXCLUDED_DIRS):
    for d in SEARCH_DIRS:
        for dirpath, _, files in os.walk(os.path.join(root, d)):
            rel = os.path.relpath(dirpath, root)
            if any(rel == e or rel.startswith(e + os.sep) for e in excluded):
                continue
            for name in files:
                if name.endswith((".c", ".h")):
                    path = os.path.join(dirpath, name)
                    with open(path, errors="replace") as f:
                        yield os.path.relpath(path, root), strip_comments(f.read())


def reads(field, text):
    """Member accesses of field that are not assigned to."""
    for m in re.finditer(r"(?:\.|->)\s*" + re.escape(field) + r"\b(?!\s*=[^=])", text):
        yield m


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    table = keys(*(os.path.join(root, "lib", "config", f)
                   for f in ("config_internal.h", "config.c", "exports.c")))
    if len(table) < 20:
        print("config_keys_used: found only %d keys in lib/config/config.c; the parser "
              "no longer matches the property tables" % len(table))
        return 1
    srcs = list(sources(root))
    unread = []
    for key, struct, field, tab in table:
        if any(True for _, text in srcs for _ in reads(field, text)):
            continue
        if (struct, field) in ALLOWED_UNREAD:
            print("allowed unread: %s (%s.%s)" % (key, struct, field))
            continue
        unread.append((key, struct, field, tab))
    for key, struct, field, tab in unread:
        print("unread configuration key: %s (%s.%s, table %s): nothing outside lib/config "
              "reads it; read it or delete the key" % (key, struct, field, tab))
    print("%d keys, %d unread" % (len(table), len(unread)))
    stray = 0
    for path, text in sources(root, excluded=[]):
        if path in ENGINE_BUILDERS:
            continue
        for m in re.finditer(r"\bfv_http_engine_new\s*\(", text):
            stray += 1
            print("%s:%d: fv_http_engine_new() ignores the configuration's aws.* keys; "
                  "use fv_fleet_engine_new()" % (path, text.count("\n", 0, m.start()) + 1))
    return 1 if unread or stray else 0


if __name__ == "__main__":
    sys.exit(main())
