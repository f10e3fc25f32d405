"""The world's WSGI layer: moto's in-process server app behind our fixes.

Per request:
  /_world/...        control API and asset-bundle downloads (no SigV4)
  everything else    read the raw body once; classify (service, operation,
                     protocol, account); global latency; fault injection;
                     reject unsigned requests, bad x-amz-content-sha256, S3
                     form-encoded uploads and expired STS sessions; then either
                     an extension handler (APIs moto lacks) or moto itself,
                     with the raw request kept in a thread-local so moto's
                     signature check re-signs the exact bytes sent (auth.py).
"""

import collections
import io
import json
import logging
import re
import socket
import struct
import threading
import time
from email.utils import formatdate
from urllib.parse import parse_qs

from . import auth, clock, faults, protocol

log = logging.getLogger("fvworld")

JSON_ERROR_RENAMES = {
    # moto raises IAM-style codes; json services answer with these in AWS.
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
}


# World-wide settings (GET/POST /_world/settings; FV_WORLD_SETTINGS at start).
DEFAULT_SETTINGS = {
    "asset_bundle_delay_s": 0.5,  # QuickSight asset-bundle job: QUEUED -> IN_PROGRESS -> terminal, per step
    "download_url_ttl_s": 300.0,  # asset-bundle DownloadUrl lifetime
    "ddb_export_delay_s": 0.5,  # DynamoDB export: IN_PROGRESS -> COMPLETED
    "ddb_backup_delay_s": 0.0,  # DynamoDB CreateBackup: CREATING -> AVAILABLE (0 = AVAILABLE at once)
    "download_delay_s": 0.0,  # asset-bundle DownloadUrl: wait before answering (a slow download)
}


class Response:
    """A fully buffered response (status int, header list, body bytes)."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = list(headers)
        self.body = body

    @classmethod
    def error(cls, info, code, message, status=400, extra_xml=""):
        proto = info.protocol if info else "json"
        if proto in ("json", "rest-json"):
            code = JSON_ERROR_RENAMES.get(code, code)
        s, h, b = protocol.error_response(proto, info.service if info else None, code, message, status,
                                          info.request_id if info else None, extra_xml)
        return cls(s, h, b)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            self.headers.append((name, value))

    def replace_json_body(self, doc):
        """New JSON body for a JSON-protocol response (Content-Length, and
        x-amz-crc32 when moto sent one: botocore checks it for DynamoDB)."""
        import binascii

        self.body = json.dumps(doc, default=_json_default).encode()
        self.set_header("Content-Length", str(len(self.body)))
        if self.header("x-amz-crc32") is not None:
            self.set_header("x-amz-crc32", str(binascii.crc32(self.body)))

    @classmethod
    def json(cls, doc, status=200, content_type="application/json", extra_headers=()):
        body = json.dumps(doc, default=_json_default).encode()
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        headers.extend(extra_headers)
        return cls(status, headers, body)


def _json_default(o):
    import datetime

    if isinstance(o, datetime.datetime):
        return o.timestamp()
    raise TypeError(f"not JSON serialisable: {type(o)}")


_STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
                403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
                500: "Internal Server Error", 503: "Service Unavailable"}


def _error_code(resp):
    """The error code of a failed response (None for a success): the
    x-amzn-ErrorType header, a JSON __type or an XML <Code>."""
    if resp.status < 400:
        return None
    code = resp.header("x-amzn-ErrorType")
    if not code:
        body = resp.body or b""
        m = re.search(rb'"__type"\s*:\s*"([^"]+)"', body) or re.search(rb"<Code>([^<]+)</Code>", body)
        code = m.group(1).decode(errors="replace") if m else None
    return code.split(":")[0].split("#")[-1] if code else None


def _status_line(code):
    return f"{code} {_STATUS_TEXT.get(code, 'Status')}"


class RequestLog:
    """Bounded ring of recent requests plus per (account, service, operation) counters."""

    def __init__(self, size=5000):
        self._lock = threading.Lock()
        self._ring = collections.deque(maxlen=size)
        self._counts = collections.Counter()
        self._seq = 0

    def add(self, info, status, fault=None, code=None):
        with self._lock:
            self._seq += 1
            entry = {
                "seq": self._seq,
                "time": round(clock.now(), 3),
                "method": info.method,
                "service": info.service,
                "operation": info.operation,
                "account": info.account,
                "status": status,
            }
            if fault:
                entry["fault"] = fault
            if code:
                entry["code"] = code
            self._ring.append(entry)
            self._counts[(info.account, info.service, info.operation)] += 1

    def snapshot(self, since=0, limit=None):
        with self._lock:
            recent = [e for e in self._ring if e["seq"] > since]
            counts = [
                {"account": a, "service": s, "operation": o, "count": n}
                for (a, s, o), n in sorted(self._counts.items(), key=lambda kv: tuple(str(x) for x in kv[0]))
            ]
            seq = self._seq
        if limit:
            recent = recent[-limit:]
        return {"seq": seq, "counts": counts, "recent": recent}

    def clear(self):
        with self._lock:
            self._ring.clear()
            self._counts.clear()


class SecretsSeen:
    """Every credential the world saw or handed out: SigV4 signatures (the
    Authorization header's Signature=), session tokens sent
    (X-Amz-Security-Token), and the secret keys and session tokens STS issued.
    GET /_world/secrets-seen lists them, so a test can search everything
    fleetvault wrote for them; DELETE forgets them."""

    _SIG = re.compile(r"Signature=([0-9a-fA-F]{16,})")
    _STS = re.compile(rb"<(SecretAccessKey|SessionToken)>([^<]+)</")

    def __init__(self):
        self._lock = threading.Lock()
        self._seen = {"signatures": set(), "session_tokens": set(), "secret_keys": set()}

    def request(self, environ):
        sig = self._SIG.search(environ.get("HTTP_AUTHORIZATION", ""))
        tok = environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
        with self._lock:
            if sig:
                self._seen["signatures"].add(sig.group(1))
            if tok:
                self._seen["session_tokens"].add(tok)

    def response(self, info, resp):
        if info.service != "sts" or not resp.body:
            return
        with self._lock:
            for kind, value in self._STS.findall(resp.body):
                key = "secret_keys" if kind == b"SecretAccessKey" else "session_tokens"
                self._seen[key].add(value.decode())

    def control(self, environ, method, path, qs, doc):
        with self._lock:
            if method == "DELETE":
                for v in self._seen.values():
                    v.clear()
            return Response.json({k: sorted(v) for k, v in self._seen.items()})


class World:
    def __init__(self, settings=None):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.settings = dict(DEFAULT_SETTINGS)
        self.settings.update(settings or {})
        self.moto_app = DomainDispatcherApplication(create_backend_app)
        self.faults = faults.FaultTable()
        self.requests = RequestLog(int(self.settings.get("request_log_size", 5000)))
        self.handlers = {}  # (service, operation) -> callable(environ, info) -> Response
        self.service_handlers = {}  # service -> handler for its operations without their own
        self.started_at = time.time()
        self.ready = False
        self.base_url = None
        self.control_routes = {}  # path prefix -> callable(environ, method, path, body) -> Response
        self.secrets_seen = SecretsSeen()
        self.register_control("/_world/secrets-seen", self.secrets_seen.control)

    # -- extension registry ------------------------------------------------
    def register(self, service, operation, handler):
        self.handlers[(service, operation)] = handler

    def register_service(self, service, handler):
        self.service_handlers[service] = handler

    def register_control(self, prefix, handler):
        self.control_routes[prefix] = handler

    # -- WSGI ---------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_world/"):
            resp = self._control(environ, path)
            return self._send(environ, start_response, resp)
        body = self._read_body(environ)
        info = protocol.RequestInfo(environ, body)
        self.secrets_seen.request(environ)
        if info.access_key:
            try:
                info.account = auth.known_account_for_key(info.access_key)
            except Exception:
                info.account = None
        latency = self.faults.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)
        fault = self.faults.take(info)
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.delay_ms / 1000.0)
            elif fault.kind == "throttle":
                code, msg, status = faults.throttle_error(info.protocol)
                resp = Response.error(info, code, fault.message or msg, status)
                self.requests.add(info, status, fault.kind)
                return self._send(environ, start_response, resp)
            elif fault.kind == "error500":
                code, msg, status = faults.internal_error(info.protocol)
                resp = Response.error(info, code, fault.message or msg, status)
                self.requests.add(info, status, fault.kind)
                return self._send(environ, start_response, resp)
            elif fault.kind == "reset":
                self.requests.add(info, 0, fault.kind)
                return self._reset(environ, start_response)
            elif fault.kind == "truncate":
                resp = self._dispatch(environ, info)
                self.requests.add(info, resp.status, fault.kind)
                return self._truncate(environ, start_response, resp)
            elif fault.kind == "error200":
                # S3 can fail CompleteMultipartUpload / CopyObject after sending
                # its 200 status: the error is only in the body.  Not performed.
                resp = Response(200, [("Content-Type", "application/xml"), ("x-amz-request-id", info.request_id)],
                                faults.error200_body(fault.message, info.request_id))
                self.requests.add(info, 200, fault.kind)
                return self._send(environ, start_response, resp)
            elif fault.kind == "unprocessed":
                resp = self._unprocessed(environ, info, fault)
                self.requests.add(info, resp.status, fault.kind)
                return self._send(environ, start_response, resp)
        resp = self._dispatch(environ, info)
        self.requests.add(info, resp.status, fault.kind if fault else None, _error_code(resp))
        self.secrets_seen.response(info, resp)
        return self._send(environ, start_response, resp)

    def _unprocessed(self, environ, info, fault):
        """moto gap: BatchWriteItem always writes every item (UnprocessedItems is
        always empty).  Write only the first part of the batch (moto, behind the
        usual signature/IAM check of the raw request) and return the rest in
        UnprocessedItems; all of it unprocessed -> ProvisionedThroughputExceededException."""
        split = faults.split_batch(info.json_body(), fault.fraction)
        if split is None:  # nothing to split (malformed or empty): moto answers
            return self._dispatch(environ, info)
        kept, unprocessed, n = split
        if not kept["RequestItems"]:
            return Response.error(info, "ProvisionedThroughputExceededException",
                                  "The level of configured provisioned throughput for the table was exceeded. "
                                  "Consider increasing your provisioning level with the UpdateTable API.", 400)
        info.forward_body = json.dumps(kept).encode()
        resp = self._dispatch(environ, info)
        if resp.status == 200:
            try:
                doc = json.loads(resp.body or b"{}")
            except ValueError:
                return resp
            merged = doc.get("UnprocessedItems") or {}
            for table, reqs in unprocessed.items():
                merged.setdefault(table, []).extend(reqs)
            doc["UnprocessedItems"] = merged
            resp.replace_json_body(doc)
        return resp

    @staticmethod
    def _read_body(environ):
        inp = environ.get("wsgi.input")
        length = environ.get("CONTENT_LENGTH")
        if length:
            body = inp.read(int(length)) if int(length) > 0 else b""
        elif environ.get("wsgi.input_terminated") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", ""):
            body = inp.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return body

    def _dispatch(self, environ, info):
        try:
            return self._dispatch_inner(environ, info)
        except auth.AuthError as e:
            return Response.error(info, e.code, e.message, e.status)
        except Exception as e:  # a bug in the layer: say so in the service's format
            log.exception("world layer failure")
            code, _, _ = faults.internal_error(info.protocol)
            return Response.error(info, code, f"fvworld layer error: {type(e).__name__}: {e}", 500)

    def _dispatch_inner(self, environ, info):
        if not info.signed:
            if "X-Amz-Signature" in info.query or "X-Amz-Credential" in info.query:
                return Response.error(info, "AccessDenied",
                                      "fvworld: presigned (query-string) SigV4 URLs are not supported by the world", 403)
            code = "AccessDenied" if info.protocol == "rest-xml" else "MissingAuthenticationToken"
            return Response.error(info, code, "Missing Authentication Token", 403)
        bad = auth.check_content_sha256(info)
        if bad:
            return Response.error(info, bad[0], bad[1], 400, bad[2] if info.protocol == "rest-xml" else "")
        if (info.service == "s3" and info.operation in ("PutObject", "UploadPart")
                and info.content_type.lower().startswith("application/x-www-form-urlencoded")):
            # moto gap: moto parses such a body as a form and stores the object EMPTY.
            return Response.error(
                info, "InvalidArgument",
                f"fvworld: {info.operation} with Content-Type application/x-www-form-urlencoded is rejected: "
                "moto 5.2.1 would store the object empty. Send another Content-Type "
                "(e.g. application/octet-stream).", 400)
        expired = auth.check_session_expiry(info)
        if expired:
            return Response.error(info, expired.code, expired.message, expired.status)
        handler = self.handlers.get((info.service, info.operation)) or self.service_handlers.get(info.service)
        if handler is not None:
            return handler(environ, info)
        return self.forward(environ, info)

    def forward(self, environ, info):
        """Hand the request to moto, with the raw request visible to auth.py.

        moto gets `info.forward_body` when the layer rewrote the request (the
        signature is still checked against the raw body the client signed)."""
        body = info.forward_body if info.forward_body is not None else info.body
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers

        auth.set_raw_request(info)
        try:
            it = self.moto_app(environ, start_response)
            try:
                body = b"".join(it)
            finally:
                if hasattr(it, "close"):
                    it.close()
        finally:
            auth.clear_raw_request()
        status = captured.get("status", 500)
        headers = captured.get("headers", [])
        if status >= 400 and info.protocol in ("json", "rest-json") and body.lstrip().startswith(b"<"):
            conv = protocol.xml_error_to_json(info.protocol, info.service, status, body)
            if conv:
                s, h, b = conv
                resp = Response(s, h, b)
                code = dict((k.lower(), v) for k, v in h).get("x-amzn-errortype")
                if code in JSON_ERROR_RENAMES:
                    msg = json.loads(b).get("message", "")
                    resp = Response.error(info, code, msg, s)
                return resp
        return Response(status, headers, body)

    # -- response writers ------------------------------------------------------
    @staticmethod
    def _with_date(headers):
        # The Date header tells world time (clock offset included), so clients
        # can see the clock the world's services run on.
        if not any(k.lower() == "date" for k, _ in headers):
            headers.append(("Date", formatdate(clock.now(), usegmt=True)))
        return headers

    def _send(self, environ, start_response, resp):
        headers = self._with_date([(k, v) for k, v in resp.headers if k.lower() != "content-length"])
        if environ.get("REQUEST_METHOD") == "HEAD":
            cl = [v for k, v in resp.headers if k.lower() == "content-length"]
            headers.append(("Content-Length", cl[0] if cl else str(len(resp.body))))
            start_response(_status_line(resp.status), headers)
            return [b""]
        headers.append(("Content-Length", str(len(resp.body))))
        start_response(_status_line(resp.status), headers)
        return [resp.body]

    @staticmethod
    def _kill_socket(environ, rst):
        sock = environ.get("werkzeug.socket")
        if sock is None:
            return
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reset(self, environ, start_response):
        self._kill_socket(environ, rst=True)
        start_response("500 Internal Server Error", [("Content-Length", "0")])
        return [b""]

    def _truncate(self, environ, start_response, resp):
        body = resp.body
        sent = body[: len(body) // 2]
        declared = len(body) + 1024
        headers = self._with_date([(k, v) for k, v in resp.headers if k.lower() != "content-length"])
        headers.append(("Content-Length", str(declared)))
        start_response(_status_line(resp.status), headers)
        kill = self._kill_socket

        def gen():
            yield sent
            kill(environ, rst=False)

        return gen()

    # -- control API -----------------------------------------------------------
    def _control(self, environ, path):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        body = self._read_body(environ)
        try:
            doc = json.loads(body.decode() or "null") if body else None
        except ValueError:
            return Response.json({"error": "request body is not JSON"}, 400)
        qs = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            if path == "/_world/health" and method == "GET":
                return Response.json({"ok": True, "ready": self.ready, "uptime_s": round(time.time() - self.started_at, 3),
                                      "clock_offset_seconds": clock.offset(), "url": self.base_url})
            if path == "/_world/faults":
                if method == "GET":
                    return Response.json({"faults": self.faults.list()})
                if method == "POST":
                    return Response.json({"added": self.faults.add(doc)})
                if method == "DELETE":
                    return Response.json({"cleared": self.faults.clear()})
            if path == "/_world/clock":
                if method == "POST":
                    if not isinstance(doc, dict) or ("offset_seconds" not in doc and "advance_seconds" not in doc):
                        return Response.json({"error": "expected {\"offset_seconds\": N} or {\"advance_seconds\": N}"}, 400)
                    if "offset_seconds" in doc:
                        clock.set_offset(float(doc["offset_seconds"]))
                    else:
                        clock.set_offset(clock.offset() + float(doc["advance_seconds"]))
                if method in ("GET", "POST"):
                    return Response.json({"offset_seconds": clock.offset(), "now": clock.now()})
            if path == "/_world/latency":
                if method == "POST":
                    if not isinstance(doc, dict) or "ms" not in doc:
                        return Response.json({"error": "expected {\"ms\": N}"}, 400)
                    self.faults.latency_ms = max(0, int(doc["ms"]))
                if method in ("GET", "POST"):
                    return Response.json({"ms": self.faults.latency_ms})
            if path == "/_world/settings":
                if method == "POST":
                    if not isinstance(doc, dict) or not set(doc) <= set(DEFAULT_SETTINGS):
                        return Response.json({"error": f"known settings: {sorted(DEFAULT_SETTINGS)}"}, 400)
                    vals = {k: float(v) for k, v in doc.items()}
                    if any(v < 0 for v in vals.values()):
                        return Response.json({"error": "settings must not be negative"}, 400)
                    self.settings.update(vals)
                if method in ("GET", "POST"):
                    return Response.json(self.settings)
            if path == "/_world/requests":
                if method == "GET":
                    return Response.json(self.requests.snapshot(int(qs.get("since", 0)), int(qs.get("limit", 0)) or None))
                if method == "DELETE":
                    self.requests.clear()
                    return Response.json({"cleared": True})
            if path == "/_world/grants":
                if method == "GET":
                    return Response.json(auth.grants_snapshot())
                if method == "DELETE":
                    auth.grants_clear()
                    return Response.json({"cleared": True})
            for prefix, handler in self.control_routes.items():
                if path.startswith(prefix):
                    return handler(environ, method, path, qs, doc)
        except faults.FaultError as e:
            return Response.json({"error": str(e)}, 400)
        except (TypeError, ValueError) as e:
            return Response.json({"error": str(e)}, 400)
        return Response.json({"error": f"no such control endpoint: {method} {path}"}, 404)
