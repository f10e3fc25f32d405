"""Fault injection and latency (control API: /_world/faults, /_world/latency).

A fault rule matches requests by any of: operation (X-Amz-Target operation,
query Action, or the REST operation name such as S3 GetObject), service,
account, HTTP method, path regex.  It fires for the next `count` matching
requests (count -1 = until cleared).  Kinds:

  throttle  json: 400 ThrottlingException, query: 400 Throttling,
            rest-xml (S3): 503 SlowDown, rest-json: 429 ThrottlingException
  error500  json/rest-json/query: 500 InternalFailure, S3: 500 InternalError
  reset     close the connection without any response
  truncate  send headers declaring a Content-Length larger than the body
            actually sent, then close the connection
  delay     sleep `delay_ms` before serving the request normally
  error200  HTTP 200 whose body is an S3 XML <Error> (InternalError): S3 can
            answer CompleteMultipartUpload / CopyObject / UploadPartCopy so
            after it has sent its 200 status line; the request is not performed
  unprocessed
            DynamoDB BatchWriteItem only: the last ceil(n * `fraction`) of the
            request's n write requests (request order, all tables) are not
            written and come back in UnprocessedItems; when that would be all
            of them, 400 ProvisionedThroughputExceededException as AWS answers
            (nothing written).  moto never leaves items unprocessed.
"""

import re
import threading

KINDS = ("throttle", "error500", "reset", "truncate", "delay", "error200", "unprocessed")
_MATCH_FIELDS = ("operation", "service", "account", "method", "path")


class FaultError(ValueError):
    pass


class Fault:
    _next_id = 1

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError(f"fault kind must be one of {', '.join(KINDS)}")
        unknown = set(spec) - set(_MATCH_FIELDS) - {"kind", "count", "delay_ms", "message", "fraction"}
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        self.kind = kind
        self.count = int(spec.get("count", 1))
        if self.count == 0 or self.count < -1:
            raise FaultError("count must be a positive number, or -1 for 'until cleared'")
        self.delay_ms = int(spec.get("delay_ms", 0))
        if kind == "delay" and self.delay_ms <= 0:
            raise FaultError("a delay fault needs delay_ms > 0")
        self.message = spec.get("message")
        self.fraction = None
        if kind == "unprocessed":
            try:
                self.fraction = float(spec.get("fraction", 0.5))
            except (TypeError, ValueError):
                raise FaultError("fraction must be a number")
            if not 0 < self.fraction <= 1:
                raise FaultError("an unprocessed fault needs 0 < fraction <= 1")
        elif "fraction" in spec:
            raise FaultError("fraction is only for unprocessed faults")
        self.operation = spec.get("operation")
        self.service = spec.get("service")
        self.account = spec.get("account")
        self.method = spec.get("method").upper() if spec.get("method") else None
        self.path = spec.get("path")
        try:
            self._path_re = re.compile(self.path) if self.path else None
        except re.error as e:
            raise FaultError(f"bad path regex: {e}")
        self.fired = 0
        self.id = Fault._next_id
        Fault._next_id += 1

    def matches(self, info):
        if self.kind == "unprocessed" and (info.service != "dynamodb" or info.operation != "BatchWriteItem"):
            return False
        if self.operation and self.operation != info.operation:
            return False
        if self.service and self.service != info.service and self.service != info.signing_name:
            return False
        if self.account and self.account != info.account:
            return False
        if self.method and self.method != info.method:
            return False
        if self._path_re and not self._path_re.search(info.raw_path):
            return False
        return True

    def to_json(self):
        d = {"id": self.id, "kind": self.kind, "remaining": self.count, "fired": self.fired}
        for f in _MATCH_FIELDS:
            if getattr(self, f):
                d[f] = getattr(self, f)
        if self.delay_ms:
            d["delay_ms"] = self.delay_ms
        if self.fraction is not None:
            d["fraction"] = self.fraction
        return d


class FaultTable:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self.latency_ms = 0

    def add(self, spec):
        specs = spec if isinstance(spec, list) else [spec]
        new = [Fault(s) for s in specs]
        with self._lock:
            self._faults.extend(new)
        return [f.to_json() for f in new]

    def clear(self):
        with self._lock:
            n = len(self._faults)
            self._faults = []
        return n

    def list(self):
        with self._lock:
            return [f.to_json() for f in self._faults]

    def take(self, info):
        """Consume and return the first fault matching `info`, or None."""
        with self._lock:
            for f in self._faults:
                if f.matches(info):
                    f.fired += 1
                    if f.count > 0:
                        f.count -= 1
                        if f.count == 0:
                            self._faults.remove(f)
                    return f
        return None


def throttle_error(protocol):
    """(code, message, status) of a throttling error in `protocol`."""
    if protocol == "rest-xml":
        return "SlowDown", "Please reduce your request rate.", 503
    if protocol == "query":
        return "Throttling", "Rate exceeded", 400
    if protocol == "rest-json":
        return "ThrottlingException", "Rate exceeded", 429
    return "ThrottlingException", "Rate of requests exceeds the allowed throughput.", 400


def internal_error(protocol):
    if protocol == "rest-xml":
        return "InternalError", "We encountered an internal error. Please try again.", 500
    return "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500


def error200_body(message=None, request_id=""):
    """S3's 200-with-an-error body (CompleteMultipartUpload, CopyObject)."""
    from xml.sax.saxutils import escape

    msg = message or "We encountered an internal error. Please try again."
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n\n<Error><Code>InternalError</Code>'
            f"<Message>{escape(msg)}</Message><RequestId>{request_id}</RequestId>"
            f"<HostId>fvworld</HostId></Error>").encode()


def split_batch(body, fraction):
    """BatchWriteItem body -> (kept body, unprocessed {table: [requests]}, total n),
    or None when the body has no write requests to split.  The last
    ceil(n * fraction) write requests in request order are unprocessed."""
    import math

    items = body.get("RequestItems") if isinstance(body, dict) else None
    if not isinstance(items, dict):
        return None
    flat = [(t, r) for t, reqs in items.items() if isinstance(reqs, list) for r in reqs]
    n = len(flat)
    if n == 0:
        return None
    k = min(n, max(1, math.ceil(n * fraction - 1e-9)))
    kept, unprocessed = {}, {}
    for i, (t, r) in enumerate(flat):
        (unprocessed if i >= n - k else kept).setdefault(t, []).append(r)
    out = dict(body)
    out["RequestItems"] = kept
    return out, unprocessed, n
