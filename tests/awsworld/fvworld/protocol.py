"""Request classification and error rendering per AWS protocol.

Works out, from the raw WSGI request, which service, operation and protocol a
request uses (from the SigV4 credential scope, X-Amz-Target, the query
Action, or the REST path matched against botocore's service models), and
renders errors in that protocol's own format:

  json       {"__type": Code, "message": ...}           + x-amzn-ErrorType
  rest-json  {"__type": Code, "Message": ..., "message"} + x-amzn-ErrorType
  query      <ErrorResponse><Error><Type/><Code/><Message/></Error>...
  rest-xml   <Error><Code/><Message/><RequestId/></Error>          (S3)
"""

import json
import re
import uuid
from functools import lru_cache
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import botocore.session

_SESSION = botocore.session.get_session()

# SigV4 signing name -> botocore service name where they differ.
SIGNING_TO_SERVICE = {
    "tagging": "resourcegroupstaggingapi",
    "cognito-idp": "cognito-idp",
    "logs": "logs",
}


@lru_cache(maxsize=None)
def service_model(service):
    return _SESSION.get_service_model(service)


def protocol_of(service):
    try:
        return service_model(service).metadata["protocol"]
    except Exception:
        return "json"


def _uri_regex(uri_path):
    out = []
    for part in uri_path.split("/"):
        m = re.fullmatch(r"\{([^}]+)\}", part)
        if m:
            name = m.group(1)
            out.append("(.+)" if name.endswith("+") else "([^/]+)")
        else:
            out.append(re.escape(part))
    return "^" + "/".join(out) + "/?$"


@lru_cache(maxsize=None)
def _rest_table(service):
    """[(method, regex, required query keys, required headers, literal path length, op name)]"""
    sm = service_model(service)
    table = []
    for op_name in sm.operation_names:
        op = sm.operation_model(op_name)
        http = op.http
        uri = http.get("requestUri", "/")
        path, _, q = uri.partition("?")
        keys = set()
        for pair in q.split("&") if q else []:
            k = pair.partition("=")[0]
            if k and k != "x-id":
                keys.add(k)
        hdrs = set()
        inp = op.input_shape
        if inp is not None:
            for mname in inp.required_members:
                m = inp.members[mname]
                if m.serialization.get("location") == "querystring":
                    keys.add(m.serialization.get("name", mname))
                elif m.serialization.get("location") == "header":
                    hdrs.add(m.serialization.get("name", mname).lower())
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        table.append((http.get("method", "POST"), re.compile(_uri_regex(path)), frozenset(keys), frozenset(hdrs),
                      literal, op_name))
    return table


def rest_operation(service, method, path, query_keys, header_names=frozenset()):
    best = None
    for m, rx, keys, hdrs, literal, name in _rest_table(service):
        if m != method or not rx.match(path):
            continue
        if not keys <= query_keys or not hdrs <= header_names:
            continue
        score = (len(keys) + len(hdrs), literal)
        if best is None or score > best[0]:
            best = (score, name)
    return best[1] if best else None


_CRED_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


class RequestInfo:
    """What the layer knows about one incoming request."""

    def __init__(self, environ, body):
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
        if raw_uri:
            self.raw_path, _, q = raw_uri.partition("?")
            self.raw_query = q
        else:
            self.raw_path = environ.get("PATH_INFO", "/")
            self.raw_query = environ.get("QUERY_STRING", "")
        if "://" in self.raw_path:  # absolute-form request target
            self.raw_path = "/" + self.raw_path.split("://", 1)[1].partition("/")[2]
        self.path = environ.get("PATH_INFO", "/")
        self.body = body  # the raw bytes the client sent (and signed)
        self.forward_body = None  # set by the layer when moto is to see a rewritten body
        self.headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            self.headers["content-type"] = environ["CONTENT_TYPE"]
        self.content_type = self.headers.get("content-type", "")
        auth = self.headers.get("authorization", "")
        m = _CRED_RE.search(auth)
        self.access_key = m.group(1) if m else None
        self.region = m.group(3) if m else "us-east-1"
        self.signing_name = m.group(4) if m else None
        self.signed = bool(m)
        self.query = dict(parse_qsl(self.raw_query, keep_blank_values=True))
        self.target = self.headers.get("x-amz-target")
        self.service = self._service()
        self.protocol = protocol_of(self.service) if self.service else "rest-xml"
        self.form = {}
        if self.content_type.startswith("application/x-www-form-urlencoded") and self.protocol == "query":
            try:
                self.form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                self.form = {}
        self.operation = self._operation()
        self.account = None  # filled in by auth
        self.request_id = str(uuid.uuid4())

    def _service(self):
        if self.signing_name:
            return SIGNING_TO_SERVICE.get(self.signing_name, self.signing_name)
        if self.target:
            prefix = self.target.split(".")[0]
            if prefix.startswith("DynamoDB_"):
                return "dynamodb"
            if prefix.startswith("AWSCognitoIdentityProviderService"):
                return "cognito-idp"
        return None

    def _operation(self):
        if self.target:
            return self.target.split(".")[-1]
        action = self.query.get("Action") or self.form.get("Action")
        if action:
            return action
        if self.service and self.protocol in ("rest-json", "rest-xml"):
            try:
                return rest_operation(self.service, self.method, self.raw_path, set(self.query), set(self.headers))
            except Exception:
                return None
        return None

    def json_body(self):
        body = self.forward_body if self.forward_body is not None else self.body
        try:
            return json.loads(body.decode("utf-8") or "{}")
        except (ValueError, UnicodeDecodeError):
            return None


QUERY_XMLNS = {
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}


def error_response(protocol, service, code, message, status=400, request_id=None, extra_xml=""):
    """Return (status, headers list, body bytes) for an error in `protocol`'s format."""
    rid = request_id or str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        doc = {"__type": code, "message": message}
        if protocol == "rest-json":
            doc["Message"] = message
        body = json.dumps(doc).encode()
        ctype = "application/x-amz-json-1.0" if protocol == "json" else "application/json"
        headers = [("Content-Type", ctype), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", rid)]
    elif protocol == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        ns = QUERY_XMLNS.get(service, "")
        xmlns = f' xmlns="{ns}"' if ns else ""
        body = (
            f'<ErrorResponse{xmlns}><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)]
    else:  # rest-xml (S3)
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message>{extra_xml}<RequestId>{rid}</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", rid)]
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


_XML_CODE = re.compile(rb"<Code>([^<]*)</Code>")
_XML_MSG = re.compile(rb"<Message>([^<]*)</Message>", re.S)


def xml_error_to_json(protocol, service, status, body):
    """moto returns XML <ErrorResponse> for json services under IAM enforcement
    (moto gap, see FACTS.md); re-render it in the service's JSON format."""
    m = _XML_CODE.search(body)
    if not m:
        return None
    code = m.group(1).decode()
    mm = _XML_MSG.search(body)
    from html import unescape

    msg = unescape(mm.group(1).decode()) if mm else code
    return error_response(protocol, service, code, msg, status)
