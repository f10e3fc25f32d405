"""DynamoDB exports with real semantics, on moto's DynamoDB and S3 backends.

moto gaps filled here:
* ExportTableToPointInTime: moto accepts INCREMENTAL_EXPORT but writes a full
  dump (no window semantics), never echoes IncrementalExportSpecification,
  builds a malformed ExportArn (`table/<table arn>/import/<id>`), writes no
  manifest files, ignores ExportTime and ClientToken, and fails with HTTP 500
  for a missing bucket.  The layer implements FULL_EXPORT and
  INCREMENTAL_EXPORT itself: window checks, PITR window (earliest restorable
  time .. now, which restarts when PITR is disabled and re-enabled), only the
  items changed in [ExportFromTime, ExportToTime) in NEW_AND_OLD_IMAGES or
  NEW_IMAGE form, point-in-time snapshots for FULL_EXPORT with ExportTime,
  gzipped data files in the ExportFormat asked for (DYNAMODB_JSON, or ION
  through ion_text.py: moto writes DYNAMODB_JSON for ION too) plus
  manifest-summary.json /
  manifest-files.json (+ .md5) as real exports write them, ClientToken
  idempotency (8 h; two starts at once make one export), DescribeExport / ListExports (25 a page).
* Item change times: moto keeps no history, so PutItem / UpdateItem /
  DeleteItem / BatchWriteItem / TransactWriteItems are intercepted and each
  change (time, key, old image, new image) is recorded.

Error codes and messages follow AWS as measured on the real service (all
window violations are InvalidExportTimeException, HTTP 400).
"""

import base64
import copy
import datetime
import gzip
import hashlib
import json
import secrets
import threading
import uuid

from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends

from . import auth, clock, ion_text
from .server import Response

REGION = "us-east-1"
WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
MIN_WINDOW = 15 * 60
MAX_WINDOW = 24 * 3600
TOKEN_TTL = 8 * 3600
JSON_CT = "application/x-amz-json-1.0"


class ClientError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _wire(av):
    """An attribute value as DynamoDB JSON holds it.  moto gap: Item.to_json
    leaves binary values inside M and L (and sometimes at the top) as raw
    bytes, which neither json.dumps nor an export can write; here B and BS
    are base64 text again, at every depth."""
    (t, v), = av.items()
    if t == "B" and isinstance(v, (bytes, bytearray)):
        v = base64.b64encode(v).decode()
    elif t == "BS":
        v = [base64.b64encode(x).decode() if isinstance(x, (bytes, bytearray)) else x for x in v]
    elif t == "M":
        v = {k: _wire(x) for k, x in v.items()}
    elif t == "L":
        v = [_wire(x) for x in v]
    return {t: v}


def _attrs(item):
    return {k: _wire(v) for k, v in item.to_json()["Attributes"].items()}


def _key_str(key):
    return json.dumps(key, sort_keys=True)


class TableHistory:
    def __init__(self, table):
        self.table = table
        self.changes = []  # (ts, key_str, key, old_image|None, new_image|None)


class DdbExportExt:
    def __init__(self, world):
        self.world = world
        self.write_lock = threading.RLock()
        self.history = {}  # (account, table name) -> TableHistory
        self.exports = {}  # account -> {export arn: export dict}
        self.tokens = {}  # (account, token) -> (time, params, export arn)
        # The server is threaded: two starts with one ClientToken at once
        # must still make one export (AWS's idempotency), so a start's token
        # check and its export are one step.
        self.start_lock = threading.Lock()
        for op in WRITE_OPS:
            world.register("dynamodb", op, self.intercept_write)
        world.register("dynamodb", "DescribeContinuousBackups", self.describe_continuous_backups)
        world.register("dynamodb", "ExportTableToPointInTime", self._wrap("ExportTableToPointInTime", self.export))
        world.register("dynamodb", "DescribeExport", self._wrap("DescribeExport", self.describe_export))
        world.register("dynamodb", "ListExports", self._wrap("ListExports", self.list_exports))

    @property
    def delay(self):
        return float(self.world.settings["ddb_export_delay_s"])

    # -- change recording ---------------------------------------------------
    @staticmethod
    def backend(account):
        return dynamodb_backends[account][REGION]

    def _hist(self, account, table):
        h = self.history.get((account, table.name))
        if h is None or h.table is not table:  # new or re-created table
            h = TableHistory(table)
            self.history[(account, table.name)] = h
        return h

    @staticmethod
    def _name(table_name):
        return table_name.split(":table/")[-1] if table_name and ":table/" in table_name else table_name

    def _targets(self, op, body):
        """[(table name, key dict or item dict)] touched by a write request."""
        out = []
        if op in ("PutItem",):
            out.append((self._name(body.get("TableName")), body.get("Item") or {}))
        elif op in ("UpdateItem", "DeleteItem"):
            out.append((self._name(body.get("TableName")), body.get("Key") or {}))
        elif op == "BatchWriteItem":
            for tname, reqs in (body.get("RequestItems") or {}).items():
                for r in reqs:
                    if "PutRequest" in r:
                        out.append((self._name(tname), r["PutRequest"].get("Item") or {}))
                    elif "DeleteRequest" in r:
                        out.append((self._name(tname), r["DeleteRequest"].get("Key") or {}))
        elif op == "TransactWriteItems":
            for t in body.get("TransactItems") or []:
                for kind, field in (("Put", "Item"), ("Update", "Key"), ("Delete", "Key")):
                    if kind in t:
                        out.append((self._name(t[kind].get("TableName")), t[kind].get(field) or {}))
        return out

    def _image(self, account, tname, attrs):
        try:
            be = self.backend(account)
            table = be.get_table(tname)
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr:
                key[table.range_key_attr] = attrs[table.range_key_attr]
            item = be.get_item(tname, key)
        except Exception:
            return None, None, None
        return table, key, (copy.deepcopy(_attrs(item)) if item else None)

    def intercept_write(self, environ, info):
        body = info.json_body() or {}
        account = info.account
        with self.write_lock:
            before = []
            for tname, attrs in self._targets(info.operation, body):
                table, key, old = self._image(account, tname, attrs)
                if table is not None:
                    before.append((tname, attrs, table, key, old))
            resp = self.world.forward(environ, info)
            if resp.status == 200:
                now = clock.now()
                for tname, attrs, table, key, old in before:
                    _, _, new = self._image(account, tname, attrs)
                    if old != new:
                        self._hist(account, table).changes.append((now, _key_str(key), key, old, new))
        return resp

    def record_seed_change(self, account, table, key, old, new, ts):
        """Used by fleet seeding (which writes through moto's backend)."""
        self._hist(account, table).changes.append((ts, _key_str(key), key, old, new))

    def describe_continuous_backups(self, environ, info):
        """moto gap: LatestRestorableDateTime stays at the enable time and the
        35-day window never slides.  Refresh both (world clock) before moto answers."""
        body = info.json_body() or {}
        try:
            table = self.backend(info.account).get_table(self._name(body.get("TableName")))
            d = table.continuous_backups.get("PointInTimeRecoveryDescription", {})
            if d.get("PointInTimeRecoveryStatus") == "ENABLED":
                now = clock.now()
                days = int(d.get("RecoveryPeriodInDays") or 35)
                d["EarliestRestorableDateTime"] = max(float(d["EarliestRestorableDateTime"]), now - days * 86400)
                d["LatestRestorableDateTime"] = max(d["EarliestRestorableDateTime"], now - 300)
        except Exception:
            pass  # moto answers (and reports a missing table) itself
        return self.world.forward(environ, info)

    # -- request plumbing -------------------------------------------------------
    def _wrap(self, op, fn):
        def handler(environ, info):
            account, _ = auth.authenticate(environ, info, op)
            body = info.json_body()
            if body is None:
                return Response.error(info, "SerializationException", "Request body is not valid JSON", 400)
            try:
                doc = fn(account, body)
            except ClientError as e:
                return Response.error(info, e.code, e.message, e.status)
            return Response.json(doc, 200, JSON_CT, [("x-amzn-RequestId", info.request_id)])

        return handler

    # -- PITR ---------------------------------------------------------------------
    @staticmethod
    def _pitr(table):
        d = table.continuous_backups.get("PointInTimeRecoveryDescription", {})
        if d.get("PointInTimeRecoveryStatus") != "ENABLED":
            return None
        earliest = float(d.get("EarliestRestorableDateTime") or 0)
        days = int(d.get("RecoveryPeriodInDays") or 35)
        return max(earliest, clock.now() - days * 86400)

    # -- ExportTableToPointInTime --------------------------------------------------
    def export(self, account, body):
        with self.start_lock:
            return self._export(account, body)

    def _export(self, account, body):
        table_arn = body.get("TableArn")
        bucket = body.get("S3Bucket")
        if not bucket:
            raise ClientError("ValidationException", "1 validation error detected: Value null at 's3Bucket' failed to "
                                                     "satisfy constraint: Member must not be null")
        parts = (table_arn or "").split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb" or not parts[5].startswith("table/"):
            raise ClientError("ValidationException", "One or more parameter values were invalid: tableArn is not a valid ARN")
        if parts[4] != account:
            raise ClientError("AccessDeniedException", "Access is denied", 400)
        tname = parts[5][len("table/"):]
        export_type = body.get("ExportType")
        spec = body.get("IncrementalExportSpecification")
        fmt = body.get("ExportFormat") or "DYNAMODB_JSON"
        if fmt not in ("DYNAMODB_JSON", "ION"):
            raise ClientError("ValidationException", f"1 validation error detected: Value '{fmt}' at 'exportFormat' "
                                                     "failed to satisfy constraint: Member must satisfy enum value set: [ION, DYNAMODB_JSON]")
        token = body.get("ClientToken")
        params = {k: v for k, v in body.items() if k != "ClientToken"}
        now = clock.now()
        if token:
            prev = self.tokens.get((account, token))
            if prev and now - prev[0] < TOKEN_TTL:
                if prev[1] != params:
                    raise ClientError("ExportConflictException",
                                      "Export conflict: Duplicate request detected with conflicting parameters")
                return {"ExportDescription": self._describe(self.exports[account][prev[2]])}
        try:
            table = self.backend(account).get_table(tname)
        except Exception:
            raise ClientError("TableNotFoundException", f"Table not found: {table_arn}")
        if spec is not None and export_type is None:
            raise ClientError("ValidationException", "Invalid Request: Export Type expected to be Incremental Export "
                                                     "when incremental export specification is provided")
        export_type = export_type or "FULL_EXPORT"
        if export_type not in ("FULL_EXPORT", "INCREMENTAL_EXPORT"):
            raise ClientError("ValidationException", f"1 validation error detected: Value '{export_type}' at "
                                                     "'exportType' failed to satisfy constraint: Member must satisfy "
                                                     "enum value set: [FULL_EXPORT, INCREMENTAL_EXPORT]")
        if export_type == "FULL_EXPORT" and spec is not None:
            raise ClientError("ValidationException", "Invalid Request: When Export Type is Full Export , Incremental "
                                                     "Export Specification should not be provided")
        earliest = self._pitr(table)
        if earliest is None:
            raise ClientError("PointInTimeRecoveryUnavailableException",
                              f"Point in time recovery is not enabled for table '{tname}'")
        created = table.created_at.replace(tzinfo=datetime.timezone.utc).timestamp()
        exp = {"account": account, "table": table, "table_arn": table.table_arn, "table_name": tname,
               "type": export_type, "format": fmt, "bucket": bucket, "owner": body.get("S3BucketOwner"),
               "prefix": body.get("S3Prefix"), "sse": body.get("S3SseAlgorithm") or "AES256",
               "kms": body.get("S3SseKmsKeyId"), "token": token or str(uuid.uuid4()), "start": now,
               "table_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{table.table_arn}@{created}"))}
        if export_type == "INCREMENTAL_EXPORT":
            if not spec:
                raise ClientError("ValidationException", "Invalid Request: Incremental Export Specification expected "
                                                         "when export type is set as Incremental Export")
            if spec.get("ExportFromTime") is None:
                raise ClientError("ValidationException",
                                  "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification")
            view = spec.get("ExportViewType") or "NEW_AND_OLD_IMAGES"
            if view not in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
                raise ClientError("ValidationException", f"1 validation error detected: Value '{view}' at "
                                                         "'incrementalExportSpecification.exportViewType' failed to "
                                                         "satisfy constraint: Member must satisfy enum value set: "
                                                         "[NEW_AND_OLD_IMAGES, NEW_IMAGE]")
            frm = float(spec["ExportFromTime"])
            to = float(spec["ExportToTime"]) if spec.get("ExportToTime") is not None else now
            bad = "InvalidExportTimeException"
            if to > now:
                raise ClientError(bad, f"Incremental export period to time cannot be greater than the current time : {iso(now)}")
            if frm >= to:
                raise ClientError(bad, "Incremental export period from time should not be greater or equal to "
                                       "incremental export period to time")
            if frm < created:
                raise ClientError(bad, f"Incremental export period from time cannot be less than the table creation "
                                       f"time : {iso(created)}")
            if frm < earliest:
                raise ClientError(bad, "Incremental export start time outside PITR window")
            if to - frm < MIN_WINDOW:
                raise ClientError(bad, "Difference between export period from time and export period to time is "
                                       "less than 15 minutes")
            if to - frm > MAX_WINDOW:
                raise ClientError(bad, "Difference between export period from time and export period to time is "
                                       "greater than 24 hours")
            exp.update({"from": frm, "to": to, "view": view, "export_time": to})
        else:
            t = float(body["ExportTime"]) if body.get("ExportTime") is not None else now
            if t > now or t < created:
                raise ClientError("InvalidExportTimeException", "Export Time is invalid")
            if t < earliest:
                raise ClientError("InvalidExportTimeException",
                                  "Point in Time Recovery is not available for specified export time")
            exp["export_time"] = t
        export_id = f"{int(now * 1000):014d}-{secrets.token_hex(4)}"
        exp["id"] = export_id
        exp["arn"] = f"{table.table_arn}/export/{export_id}"
        self._write(exp)
        self.exports.setdefault(account, {})[exp["arn"]] = exp
        if token:
            self.tokens[(account, token)] = (now, params, exp["arn"])
        return {"ExportDescription": self._describe(exp)}

    # -- output -----------------------------------------------------------------
    def _state_at(self, account, table, t):
        """{key_str: image} of the table at world time t (current items, with
        later changes undone from the recorded history)."""
        state = {}
        for item in table.all_items():
            attrs = _attrs(item)
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr:
                key[table.range_key_attr] = attrs[table.range_key_attr]
            state[_key_str(key)] = copy.deepcopy(attrs)
        h = self._hist(account, table)
        for ts, ks, key, old, new in reversed(h.changes):
            if ts < t:
                break
            if old is None:
                state.pop(ks, None)
            else:
                state[ks] = copy.deepcopy(old)
        return state

    def _lines(self, exp):
        account, table = exp["account"], exp["table"]
        with self.write_lock:
            if exp["type"] == "FULL_EXPORT":
                state = self._state_at(account, table, exp["export_time"])
                return [{"Item": img} for _, img in sorted(state.items())]
            per_key = {}
            for ts, ks, key, old, new in self._hist(account, table).changes:
                if exp["from"] <= ts < exp["to"]:
                    if ks not in per_key:
                        per_key[ks] = {"key": key, "old": old, "new": new, "ts": ts}
                    else:
                        per_key[ks]["new"], per_key[ks]["ts"] = new, ts
        lines = []
        for ks, c in sorted(per_key.items()):
            if c["old"] is None and c["new"] is None:
                continue  # created and deleted inside the window
            rec = {"Metadata": {"WriteTimestampMicros": {"N": str(int(c["ts"] * 1_000_000))}}, "Keys": c["key"]}
            if c["new"] is not None:
                rec["NewImage"] = c["new"]
            if exp["view"] == "NEW_AND_OLD_IMAGES" and c["old"] is not None:
                rec["OldImage"] = c["old"]
            lines.append(rec)
        return lines

    def _s3(self, exp):
        owner = exp["owner"] or exp["account"]
        try:
            be = s3_backends[owner]["aws"]
        except Exception:
            return None
        return be if exp["bucket"] in be.buckets else None

    def _write(self, exp):
        base = f"{exp['prefix'].rstrip('/')}/AWSDynamoDB/{exp['id']}" if exp["prefix"] else f"AWSDynamoDB/{exp['id']}"
        exp["base"] = base
        be = self._s3(exp)
        if be is None:
            exp.update({"status": "FAILED", "failure_code": "S3NoSuchBucket",
                        "failure_message": "The specified bucket does not exist (Service: Amazon S3; Status Code: 404; "
                                           "Error Code: NoSuchBucket)", "items": None, "bytes": None})
            return
        ion = exp["format"] == "ION"
        lines = [ion_text.line(r) if ion else json.dumps(r) for r in self._lines(exp)]
        raw = ("\n".join(lines) + ("\n" if lines else "")).encode()
        data_key = f"{base}/data/{secrets.token_hex(13)}.{'ion' if ion else 'json'}.gz"
        gz = gzip.compress(raw)
        md5 = hashlib.md5(gz)
        files_line = json.dumps({"itemCount": len(lines), "md5Checksum": base64.b64encode(md5.digest()).decode(),
                                 "etag": md5.hexdigest(), "dataFileS3Key": data_key})
        exp.update({"status": "COMPLETED", "items": len(lines), "bytes": len(raw), "end": exp["start"] + self.delay,
                    "manifest": f"{base}/manifest-summary.json"})
        summary = {
            "version": "2023-08-01" if exp["type"] == "INCREMENTAL_EXPORT" else "2020-06-30",
            "exportArn": exp["arn"], "startTime": iso_ms(exp["start"]), "endTime": iso_ms(exp["end"]),
            "tableArn": exp["table_arn"], "tableId": exp["table_id"], "exportTime": iso_ms(exp["export_time"]),
            "s3Bucket": exp["bucket"], "s3Prefix": exp["prefix"], "s3SseAlgorithm": exp["sse"],
            "s3SseKmsKeyId": exp["kms"], "manifestFilesS3Key": f"{base}/manifest-files.json",
            "billedSizeBytes": len(raw), "itemCount": len(lines), "outputFormat": exp["format"],
            "exportType": exp["type"],
        }
        if exp["type"] == "INCREMENTAL_EXPORT":
            summary.update({"exportFromTime": iso_ms(exp["from"]), "exportToTime": iso_ms(exp["to"]),
                            "outputView": exp["view"]})
        files_doc = (files_line + "\n").encode()
        summary_doc = json.dumps(summary).encode()
        bucket = exp["bucket"]
        be.put_object(bucket, f"{base}/_started", b"")
        be.put_object(bucket, data_key, gz)
        be.put_object(bucket, f"{base}/manifest-files.json", files_doc)
        be.put_object(bucket, f"{base}/manifest-files.md5", hashlib.md5(files_doc).hexdigest().encode())
        be.put_object(bucket, f"{base}/manifest-summary.json", summary_doc)
        be.put_object(bucket, f"{base}/manifest-summary.md5", hashlib.md5(summary_doc).hexdigest().encode())

    def _status(self, exp):
        if exp["status"] == "FAILED":
            return "FAILED"
        return "COMPLETED" if clock.now() >= exp["end"] else "IN_PROGRESS"

    def _describe(self, exp):
        status = self._status(exp)
        d = {"ExportArn": exp["arn"], "ExportStatus": status, "StartTime": exp["start"],
             "TableArn": exp["table_arn"], "TableId": exp["table_id"], "ExportTime": exp["export_time"],
             "ClientToken": exp["token"], "S3Bucket": exp["bucket"], "S3SseAlgorithm": exp["sse"],
             "ExportFormat": exp["format"], "ExportType": exp["type"]}
        if exp["owner"]:
            d["S3BucketOwner"] = exp["owner"]
        if exp["prefix"]:
            d["S3Prefix"] = exp["prefix"]
        if exp["kms"]:
            d["S3SseKmsKeyId"] = exp["kms"]
        if exp["type"] == "INCREMENTAL_EXPORT":
            d["IncrementalExportSpecification"] = {"ExportFromTime": exp["from"], "ExportToTime": exp["to"],
                                                   "ExportViewType": exp["view"]}
        if status == "COMPLETED":
            d.update({"EndTime": exp["end"], "ExportManifest": exp["manifest"], "ItemCount": exp["items"],
                      "BilledSizeBytes": exp["bytes"]})
        elif status == "FAILED":
            d.update({"EndTime": exp["start"], "FailureCode": exp["failure_code"],
                      "FailureMessage": exp["failure_message"]})
        return d

    def describe_export(self, account, body):
        arn = body.get("ExportArn") or ""
        if "/export/" not in arn or not arn.startswith("arn:aws:dynamodb:"):
            raise ClientError("ValidationException", "Invalid Export ARN")
        if arn.split(":")[4] != account:
            raise ClientError("AccessDeniedException", "Access is denied")
        exp = self.exports.get(account, {}).get(arn)
        if not exp:
            raise ClientError("ExportNotFoundException", f"Export not found: Export not found: {arn}")
        return {"ExportDescription": self._describe(exp)}

    def list_exports(self, account, body):
        limit = int(body.get("MaxResults") or 25)
        if not 1 <= limit <= 25:
            raise ClientError("ValidationException", "1 validation error detected: Value at 'maxResults' failed to "
                                                     "satisfy constraint: Member must have value between 1 and 25")
        exps = sorted(self.exports.get(account, {}).values(), key=lambda e: e["id"])
        if body.get("TableArn"):
            exps = [e for e in exps if e["table_arn"] == body["TableArn"]]
        start = 0
        if body.get("NextToken"):
            try:
                start = int(base64.b64decode(body["NextToken"]).decode().split(":")[1])
            except Exception:
                raise ClientError("ValidationException",
                                  f"Invalid Request: Provided nextToken is invalid: {body['NextToken']}")
        page = exps[start:start + limit]
        doc = {"ExportSummaries": [{"ExportArn": e["arn"], "ExportStatus": self._status(e), "ExportType": e["type"]}
                                   for e in page]}
        if start + limit < len(exps):
            doc["NextToken"] = base64.b64encode(f"fvworld:{start + limit}".encode()).decode()
        return doc
