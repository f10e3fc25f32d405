"""Amazon Ion text for DynamoDB exports in ExportFormat ION.

moto gap: moto (and the world before this module) accepts ExportFormat ION
but writes DynamoDB-JSON data files.  AWS writes `<base>/data/<id>.ion.gz`,
gzip'd Ion text, one value per line.  The image has no Ion library (no
PyPI), so this is the small serializer of exactly what DynamoDB writes:

* a full export's line: `$ion_1_0 {Item:{...}}`; an incremental's:
  `{Metadata:{WriteTimestampMicros:<n>.},Keys:{...},NewImage:{...},OldImage:{...}}`;
* S a string ("...", ASCII only: escapes \\" \\\\ \\n \\t \\r \\xHH \\uHHHH \\UHHHHHHHH),
  N a decimal (`1.`, `-1.5`, `0.012`, `12d-40`, `1d5`: the exact digits),
  B a blob `{{base64}}`, BOOL true/false, NULL null, M a struct, L a list,
  SS / NS / BS `$dynamodb_SS::[...]`, `$dynamodb_NS::[...]`, `$dynamodb_BS::[...]`;
* field names as symbols where Ion allows (identifiers, not keywords, not
  starting with `$`), else quoted symbols '...'.
"""

import decimal
import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = {"null", "true", "false", "nan"}
_SHORT = {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _text(s, quote):
    out = []
    for ch in s:
        cp = ord(ch)
        if ch in _SHORT and (ch != "'" or quote == "'") and (ch != '"' or quote == '"'):
            out.append(_SHORT[ch])
        elif cp < 0x20 or cp == 0x7F:
            out.append(f"\\x{cp:02x}")
        elif cp < 0x7F:
            out.append(ch)
        elif cp <= 0xFFFF:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    return quote + "".join(out) + quote


def field_name(name):
    if _IDENT.match(name) and name not in _KEYWORDS:
        return name
    return _text(name, "'")


def decimal_text(n):
    """A DynamoDB N string as an Ion decimal with exactly its digits."""
    sign, digits, exp = decimal.Decimal(n).as_tuple()
    d = "".join(map(str, digits))
    neg = "-" if sign else ""
    if exp == 0:
        return f"{neg}{d}."
    if exp > 0:
        return f"{neg}{d}d{exp}"
    if -exp < len(d):
        return f"{neg}{d[:exp]}.{d[exp:]}"
    if -exp - len(d) <= 3:
        return f"{neg}0.{'0' * (-exp - len(d))}{d}"
    return f"{neg}{d}d{exp}"


def value(av):
    (t, v), = av.items()
    if t == "S":
        return _text(v, '"')
    if t == "N":
        return decimal_text(v)
    if t == "B":
        return "{{" + v + "}}"
    if t == "BOOL":
        return "true" if v else "false"
    if t == "NULL":
        return "null"
    if t == "M":
        return struct(v)
    if t == "L":
        return "[" + ",".join(value(x) for x in v) + "]"
    if t == "SS":
        return "$dynamodb_SS::[" + ",".join(_text(x, '"') for x in v) + "]"
    if t == "NS":
        return "$dynamodb_NS::[" + ",".join(decimal_text(x) for x in v) + "]"
    if t == "BS":
        return "$dynamodb_BS::[" + ",".join("{{" + x + "}}" for x in v) + "]"
    raise ValueError(f"not a DynamoDB attribute type: {t}")


def struct(attrs):
    return "{" + ",".join(f"{field_name(k)}:{value(v)}" for k, v in attrs.items()) + "}"


def line(rec):
    """One export line (a DynamoDB-JSON record: Item, or Metadata/Keys/
    NewImage/OldImage) as Ion text."""
    parts = []
    for k, v in rec.items():
        if k == "Metadata":
            ts = v["WriteTimestampMicros"]["N"]
            parts.append(f"Metadata:{{WriteTimestampMicros:{decimal_text(ts)}}}")
        else:
            parts.append(f"{k}:{struct(v)}")
    body = "{" + ",".join(parts) + "}"
    return "$ion_1_0 " + body if "Item" in rec else body
