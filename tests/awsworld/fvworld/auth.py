"""SigV4 / IAM enforcement fixes on top of moto's access control.

moto 5.2.1 defects this module corrects (measured, see shared FACTS.md):

* moto's IAMRequestBase._create_aws_request re-signs `body or data`: for a
  request with no body (GET/DELETE) it hashes the *parsed parameters*, and
  form bodies are re-encoded (%20) before hashing; it also uses the parsed,
  decoded URL, so S3 keys with `+`, `:` or spaces fail.  We patch it to
  re-sign the exact raw method, path, query and body bytes the client sent
  (kept per request in a thread-local by the WSGI layer).
* moto trusts `x-amz-content-sha256` and never checks it against the body:
  `check_content_sha256` does.
* moto never checks STS session credentials for expiry: `check_session_expiry`.
* moto's AssumeRole does not check that the target role exists in the target
  account nor its trust policy (nor sts:ExternalId): `check_assume_role_trust`.
* Operations the layer implements itself (moto lacks them) go through
  `authenticate`, which runs moto's own IAMRequest signature and policy checks.
"""

import fnmatch
import hashlib
import html
import json
import re
import threading
from urllib.parse import quote, unquote

from botocore.awsrequest import AWSRequest
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException

from moto.core.exceptions import ServiceException
from moto.iam import access_control as _ac
from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends

from . import clock

_tls = threading.local()


def set_raw_request(info):
    _tls.info = info


def clear_raw_request():
    _tls.info = None


def current_raw_request():
    return getattr(_tls, "info", None)


def canonical_raw_query(raw_query):
    """Canonical SigV4 query string from the query exactly as sent.

    Each name/value is percent-decoded and re-encoded per SigV4 (RFC 3986
    unreserved characters kept), then sorted, as AWS does server-side.  For a
    correctly encoding client this equals what it signed.
    """
    if not raw_query:
        return ""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _patched_create_aws_request(self):
    """Replacement for moto's IAMRequestBase._create_aws_request (see module doc)."""
    signed_headers = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
    headers = self._create_headers_for_aws_request(signed_headers, self._headers)
    info = current_raw_request()
    if info is None:  # not inside the world's WSGI layer: moto's original behaviour
        request = AWSRequest(method=self._method, url=self._path, data=self._body or self._data, headers=headers)
    else:
        url = info.raw_path
        q = canonical_raw_query(info.raw_query)
        if q:
            url += "?" + q
        if info.forward_body is not None:
            # moto was handed a rewritten body (server.py); a signed Content-Length
            # is the one the client sent.
            for k in list(headers):
                if k.lower() == "content-length":
                    headers[k] = str(len(info.body))
        request = AWSRequest(method=info.method, url=url, data=info.body, headers=headers)
    request.context["timestamp"] = headers.get("X-Amz-Date") or self._headers.get("X-Amz-Date")
    return request


# SigV4 signing name -> IAM action prefix, where they differ.  moto builds the
# IAM action from the signing name, so e.g. tag:GetResources was checked as
# "tagging:GetResources" and no correct policy could allow it (moto gap).
IAM_ACTION_PREFIX = {"tagging": "tag"}

_orig_init = _ac.IAMRequestBase.__init__


def _patched_init(self, *args, **kwargs):
    _orig_init(self, *args, **kwargs)
    prefix, _, rest = self._action.partition(":")
    if prefix in IAM_ACTION_PREFIX:
        self._action = f"{IAM_ACTION_PREFIX[prefix]}:{rest}"


# DynamoDB TransactWriteItems has no IAM action of its own: AWS authorises
# each item's action (ConditionCheckItem, PutItem, UpdateItem, DeleteItem).
# moto checks "dynamodb:TransactWriteItems", which no correct policy allows.
TRANSACT_ITEM_ACTIONS = {"ConditionCheck": "ConditionCheckItem", "Put": "PutItem",
                         "Update": "UpdateItem", "Delete": "DeleteItem"}

_orig_check_action_permitted = _ac.IAMRequestBase.check_action_permitted

# Every (principal, action, resource) the world authorised, and every one it
# denied, since the last clear (GET/DELETE /_world/grants): a test compares
# the actions fleetvault used with the ones deploy/iam grants, and finds a
# call a policy lacks even where fleetvault only warns about its failure. Principals are IAM ARNs (an assumed
# role is recorded as its role, arn:aws:iam::<account>:role/<name>).
_grants_lock = threading.Lock()
_grants = set()
_denials = set()  # and every one it refused


def grants_snapshot():
    with _grants_lock:
        return {"grants": [{"principal": p, "action": a, "resource": r} for p, a, r in sorted(_grants)],
                "denials": [{"principal": p, "action": a, "resource": r} for p, a, r in sorted(_denials)]}


def grants_clear():
    with _grants_lock:
        _grants.clear()
        _denials.clear()


def _principal_of(key):
    arn = key.arn
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/")[1].split("/")[0]
        return f"arn:aws:iam::{key.account_id}:role/{role}"
    return arn


def _region_of(req):
    auth = req._headers.get("Authorization", "") or ""
    parts = auth.split("Credential=", 1)[-1].split("/")
    return parts[2] if len(parts) > 3 else "us-east-1"


def _json_body(req):
    try:
        doc = json.loads(req._body or b"{}")
        return doc if isinstance(doc, dict) else {}
    except (ValueError, TypeError, AttributeError):
        return {}


def _param(req, name):
    v = (req._data or {}).get(name) if isinstance(req._data, dict) else None
    return v[0] if isinstance(v, list) and v else v


def _delete_objects_keys(bucket_arn):
    """S3 DeleteObjects (POST ?delete): AWS authorises s3:DeleteObject on
    each key of the body; moto on the bucket, so a policy scoped to keys
    (as retention's is) was denied (moto gap). None for any other request."""
    info = current_raw_request()
    if info is None or info.method != "POST" or not bucket_arn.startswith("arn:aws:s3:::"):
        return None
    if "delete" not in [p.partition("=")[0] for p in (info.raw_query or "").split("&")]:
        return None
    body = info.body.decode("utf-8", "replace") if isinstance(info.body, bytes) else str(info.body or "")
    keys = [html.unescape(k) for k in re.findall(r"<Key>(.*?)</Key>", body, re.S)]
    return [f"{bucket_arn}/{k}" for k in keys] or None


def _resources(req, resource):
    """The ARNs AWS would authorise the request's action on (moto passes "*"
    for every service but S3 and IAM roles, so a correctly scoped statement
    was wrongly denied; moto gap)."""
    if req._action == "s3:DeleteObject" and resource.count("/") == 0:
        keys = _delete_objects_keys(resource)
        if keys is not None:
            return keys
    if resource != "*":
        return [resource]
    svc, _, op = req._action.partition(":")
    acct = req._access_key.account_id
    region = _region_of(req)
    if svc == "dynamodb":
        body = _json_body(req)
        table = lambda name: f"arn:aws:dynamodb:{region}:{acct}:table/{name}"  # noqa: E731
        if body.get("BackupArn"):
            return [body["BackupArn"]]
        # Exports name their table by ARN (ExportTableToPointInTime) and are
        # themselves the resource of DescribeExport: "*" would deny a policy
        # scoped to table/* and table/*/export/* (moto gap, as above).
        if body.get("ExportArn"):
            return [body["ExportArn"]]
        if body.get("TableArn"):
            return [body["TableArn"]]
        if body.get("TableName"):
            return [table(body["TableName"])]
        if op in ("BatchWriteItem", "BatchGetItem") and isinstance(body.get("RequestItems"), dict):
            return [table(t) for t in sorted(body["RequestItems"])] or ["*"]
        if op in TRANSACT_ITEM_ACTIONS.values():
            names = sorted({v.get("TableName") for t in body.get("TransactItems") or []
                            for v in t.values() if isinstance(v, dict) and v.get("TableName")})
            return [table(n) for n in names] or ["*"]
        return ["*"]
    if svc == "logs":
        body = _json_body(req)
        group = body.get("logGroupName")
        if not group:
            return ["*"]
        base = f"arn:aws:logs:{region}:{acct}:log-group:{group}"
        if op == "CreateLogGroup":
            return [base]
        return [f"{base}:log-stream:{body.get('logStreamName') or '*'}"]
    if svc == "sns":
        return [_param(req, "TopicArn") or "*"]
    if svc == "ssm" and op in ("GetParameters", "GetParameter"):
        body = _json_body(req)
        names = body.get("Names") or ([body["Name"]] if body.get("Name") else [])
        return [f"arn:aws:ssm:{region}:{acct}:parameter/{str(n).lstrip('/')}" for n in names] or ["*"]
    if svc == "iam" and _param(req, "UserName"):
        name = _param(req, "UserName")
        user = iam_backends[acct]["aws"].users.get(name)
        path = user.path if user else "/"
        return [f"arn:aws:iam::{acct}:user{path}{name}"]
    return ["*"]


def _check_each(req, resource):
    if req._action == "sts:GetCallerIdentity":  # needs no permission (AWS, moto): not a grant
        return _orig_check_action_permitted(req, resource)
    resources = _resources(req, resource)
    principal = _principal_of(req._access_key)
    for r in resources:
        try:
            _orig_check_action_permitted(req, r)
        except Exception:
            with _grants_lock:
                _denials.add((principal, req._action, r))
            raise
    with _grants_lock:
        for r in resources:
            _grants.add((principal, req._action, r))


def _patched_check_action_permitted(self, resource):
    if self._action != "dynamodb:TransactWriteItems":
        return _check_each(self, resource)
    items = _json_body(self).get("TransactItems") or []
    actions = sorted({TRANSACT_ITEM_ACTIONS[k] for t in items for k in t if k in TRANSACT_ITEM_ACTIONS})
    try:
        for a in actions or ["PutItem"]:
            self._action = f"dynamodb:{a}"
            _check_each(self, resource)
    finally:
        self._action = "dynamodb:TransactWriteItems"


def install():
    _ac.IAMRequestBase._create_aws_request = _patched_create_aws_request
    _ac.IAMRequestBase.__init__ = _patched_init
    _ac.IAMRequestBase.check_action_permitted = _patched_check_action_permitted


class AuthError(Exception):
    def __init__(self, code, message, status=403):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


UNSIGNED_PAYLOADS = ("UNSIGNED-PAYLOAD",)


def check_content_sha256(info):
    """Return (code, message, extra_xml) if x-amz-content-sha256 disagrees with the body."""
    claimed = info.headers.get("x-amz-content-sha256")
    if not claimed or claimed in UNSIGNED_PAYLOADS or claimed.startswith("STREAMING-"):
        return None
    actual = hashlib.sha256(info.body).hexdigest()
    if claimed.lower() == actual:
        return None
    return (
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        f"<ClientComputedContentSHA256>{claimed}</ClientComputedContentSHA256>"
        f"<S3ComputedContentSHA256>{actual}</S3ComputedContentSHA256>",
    )


def account_for_key(access_key):
    """moto's mapping (falls back to moto's default account for unknown keys)."""
    return get_account_id_from(access_key)


def known_account_for_key(access_key):
    """The account an access key belongs to, or None for a key no account knows."""
    for account_id, account in list(iam_backends.items()):
        if access_key in account["aws"].access_keys:
            return account_id
    return None


def check_session_expiry(info):
    """STS session credentials past their Expiration (world clock) are rejected.

    moto gap: moto keeps accepting assumed-role credentials forever."""
    if "x-amz-security-token" not in info.headers or not info.access_key:
        return None
    acct = account_for_key(info.access_key)
    for role in list(sts_backends[acct]["aws"].assumed_roles):
        if role.access_key_id == info.access_key:
            if role.expiration <= clock.utcnow_naive():
                return AuthError("ExpiredToken", "The security token included in the request is expired", 403)
            return None
    return None


def _environ_headers(environ):
    return EnvironHeaders(environ)


def authenticate(environ, info, action, resource="*", s3=False):
    """Run moto's signature + IAM policy check for an operation the layer
    implements itself (s3=True: S3's signing and error codes).  Returns
    (account_id, principal_arn); raises AuthError."""
    if not info.signed:
        raise AuthError("AccessDenied" if s3 else "MissingAuthenticationToken", "Missing Authentication Token", 403)
    account = account_for_key(info.access_key)
    headers = _environ_headers(environ)
    set_raw_request(info)
    try:
        req = (_ac.S3IAMRequest if s3 else _ac.IAMRequest)(
            account_id=account,
            method=info.method,
            path=info.raw_path,
            data={},
            body=info.body,
            headers=headers,
            action=action,
        )
        req.check_signature()
        req.check_action_permitted(resource)
    except HTTPException as e:
        code = getattr(e, "error_type", None) or getattr(e, "code_name", None) or "AccessDenied"
        raise AuthError(code, getattr(e, "message", None) or str(e), e.code or 403)
    except ServiceException as e:  # S3IAMRequest raises S3's own errors
        raise AuthError(e.code, e.message, 400 if e.code == "InvalidToken" else 403)
    finally:
        clear_raw_request()
    return account, req._access_key.arn


def caller_arn(environ, info):
    """Principal ARN for a request already authenticated (no checks)."""
    account = account_for_key(info.access_key)
    key = _ac.create_access_key(account, "aws", info.access_key, _environ_headers(environ))
    return account, key.arn


def _principal_candidates(arn, account):
    c = {arn, f"arn:aws:iam::{account}:root", account}
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/")[1].split("/")[0]
        c.add(f"arn:aws:iam::{account}:role/{role}")
    return c


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _statement_matches_principal(stmt, candidates):
    p = stmt.get("Principal")
    if p == "*":
        return True
    if not isinstance(p, dict):
        return False
    for v in _as_list(p.get("AWS")):
        if v == "*" or v in candidates:
            return True
    return False


def _conditions_hold(stmt, context):
    cond = stmt.get("Condition") or {}
    for op, kv in cond.items():
        for key, expected in kv.items():
            actual = context.get(key.lower())
            exp = [str(x) for x in _as_list(expected)]
            if op == "StringEquals":
                if actual is None or actual not in exp:
                    return False
            elif op == "StringLike":
                if actual is None or not any(fnmatch.fnmatchcase(actual, e) for e in exp):
                    return False
            elif op == "Null":
                want_null = str(expected).lower() == "true"
                if (actual is None) != want_null:
                    return False
            else:  # unsupported operator: fail closed
                return False
    return True


def check_assume_role_trust(caller_account, caller, role_arn, external_id):
    """moto gap: the target role must exist and trust the caller (+ ExternalId)."""
    denied = AuthError(
        "AccessDenied",
        f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        403,
    )
    parts = role_arn.split(":")
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise AuthError("ValidationError", f"{role_arn} is invalid", 400)
    target_account = parts[4]
    role_name = parts[5].split("/")[-1]
    backend = iam_backends[target_account]["aws"]
    role = None
    for r in backend.roles.values():
        if r.name == role_name:
            role = r
            break
    if role is None:
        raise denied
    try:
        doc = json.loads(role.assume_role_policy_document)
    except (TypeError, ValueError):
        raise denied
    candidates = _principal_candidates(caller, caller_account)
    context = {}
    if external_id is not None:
        context["sts:externalid"] = external_id
    allowed = False
    for stmt in _as_list(doc.get("Statement")):
        actions = _as_list(stmt.get("Action"))
        if not any(fnmatch.fnmatchcase("sts:AssumeRole", a) for a in actions):
            continue
        if not _statement_matches_principal(stmt, candidates):
            continue
        if not _conditions_hold(stmt, context):
            continue
        if stmt.get("Effect") == "Deny":
            raise denied
        if stmt.get("Effect") == "Allow":
            allowed = True
    if not allowed:
        raise denied
