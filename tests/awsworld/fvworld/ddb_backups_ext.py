"""DynamoDB on-demand backups: ListBackups paging and filters, CREATING status.

moto gaps filled here (on moto's own backup store, behind the same signature
and IAM checks):

* ListBackups (moto/dynamodb/responses.py `list_backups`) ignores Limit,
  ExclusiveStartBackupArn, BackupType and TimeRangeLowerBound/UpperBound,
  returns every backup in one response and never sends
  LastEvaluatedBackupArn.  The layer answers it itself: backups in creation
  order (then ARN), pages of min(Limit, 100) (Limit outside 1..100 is a
  ValidationException, as AWS validates its model), LastEvaluatedBackupArn
  when more remain, ExclusiveStartBackupArn honoured (also when that backup
  has been deleted since: its ARN carries its creation time), TableName
  (name or ARN), BackupType (USER when omitted, as botocore's model documents;
  ALL = USER and SYSTEM), TimeRangeLowerBound inclusive and
  TimeRangeUpperBound exclusive on the creation time (world clock, ms).
* moto's backups are AVAILABLE the moment CreateBackup returns.  With the
  world setting `ddb_backup_delay_s` > 0, CreateBackup answers CREATING and
  DescribeBackup / ListBackups show CREATING until that many world-clock
  seconds after the creation time; meanwhile DeleteBackup and
  RestoreTableFromBackup of that backup fail with BackupInUseException, as on
  AWS.  0 (the default) keeps moto's behaviour.
"""

import calendar
import json
import re

from moto.dynamodb.models import dynamodb_backends

from . import auth, clock
from .server import Response

JSON_CT = "application/x-amz-json-1.0"
PAGE_MAX = 100
BACKUP_TYPES = ("USER", "SYSTEM", "AWS_BACKUP", "ALL")
ARN_RE = re.compile(r"^arn:aws[a-z\-]*:dynamodb:[^:]+:(\d{12}):table/([^/]+)/backup/(\d+)-([0-9a-zA-Z]+)$")
READY_AT = "_fvworld_ready_at"  # attribute on moto's Backup objects (world time, seconds)


class ClientError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def created_ms(backup):
    dt = backup.creation_date_time  # naive UTC (moto's utcnow, world clock)
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def sort_key(arn):
    """(creation ms, ARN): moto's backup ARN ends in <creation ms>-<8 hex>, so a
    deleted backup's ARN still says where a page continues."""
    m = ARN_RE.match(arn or "")
    return (int(m.group(3)) if m else 0), arn


class DdbBackupsExt:
    def __init__(self, world):
        self.world = world
        world.register("dynamodb", "ListBackups", self.list_backups)
        world.register("dynamodb", "CreateBackup", self.create_backup)
        world.register("dynamodb", "DescribeBackup", self.describe_backup)
        world.register("dynamodb", "DeleteBackup", self.use_backup)
        world.register("dynamodb", "RestoreTableFromBackup", self.use_backup)

    @property
    def delay(self):
        return float(self.world.settings.get("ddb_backup_delay_s") or 0)

    @staticmethod
    def backend(info):
        return dynamodb_backends[auth.account_for_key(info.access_key)][info.region]

    @staticmethod
    def refresh(be):
        """CREATING -> AVAILABLE once the world clock has passed the ready time."""
        now = clock.now()
        for b in list(be.backups.values()):
            if b.status == "CREATING" and now >= getattr(b, READY_AT, 0):
                b.status = "AVAILABLE"

    # -- CreateBackup / DescribeBackup / DeleteBackup / RestoreTableFromBackup -----
    def create_backup(self, environ, info):
        resp = self.world.forward(environ, info)
        delay = self.delay
        if resp.status != 200 or delay <= 0:
            return resp
        try:
            doc = json.loads(resp.body)
            details = doc["BackupDetails"]
            backup = self.backend(info).backups[details["BackupArn"]]
        except (ValueError, KeyError):
            return resp
        # moto gap: the backup is AVAILABLE at once; AWS reports CREATING first.
        setattr(backup, READY_AT, created_ms(backup) / 1000.0 + delay)
        backup.status = "CREATING"
        details["BackupStatus"] = "CREATING"
        resp.replace_json_body(doc)
        return resp

    def describe_backup(self, environ, info):
        try:
            self.refresh(self.backend(info))
        except Exception:
            pass  # moto answers (and reports errors) itself
        return self.world.forward(environ, info)

    def use_backup(self, environ, info):
        """DeleteBackup / RestoreTableFromBackup: not while the backup is CREATING."""
        try:
            be = self.backend(info)
            self.refresh(be)
            arn = (info.json_body() or {}).get("BackupArn")
            backup = be.backups.get(arn) if arn else None
        except Exception:
            backup = None
        if backup is not None and backup.status == "CREATING":
            auth.authenticate(environ, info, info.operation)  # AWS checks the caller first
            return Response.error(info, "BackupInUseException",
                                  f"Backup is being created: {arn}. Try again when its status is AVAILABLE.", 400)
        return self.world.forward(environ, info)

    # -- ListBackups -----------------------------------------------------------------
    def list_backups(self, environ, info):
        account, _ = auth.authenticate(environ, info, "ListBackups")
        body = info.json_body()
        if not isinstance(body, dict):
            return Response.error(info, "SerializationException", "Request body is not valid JSON", 400)
        try:
            doc = self._list(dynamodb_backends[account][info.region], body)
        except ClientError as e:
            return Response.error(info, e.code, e.message, e.status)
        return Response.json(doc, 200, JSON_CT, [("x-amzn-RequestId", info.request_id)])

    @staticmethod
    def _validation(errors):
        n = len(errors)
        return ClientError("ValidationException",
                           f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors))

    @staticmethod
    def _bound_ms(body, name):
        v = body.get(name)
        if v is None:
            return None
        try:
            return int(round(float(v) * 1000))
        except (TypeError, ValueError):
            raise ClientError("SerializationException", f"NUMBER_VALUE cannot be converted to Timestamp: {name}")

    def _list(self, be, body):
        errors = []
        limit = body.get("Limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise ClientError("SerializationException", "NUMBER_VALUE cannot be converted to Integer: Limit")
        if limit is not None and limit < 1:
            errors.append(f"Value '{limit}' at 'limit' failed to satisfy constraint: "
                          "Member must have value greater than or equal to 1")
        if limit is not None and limit > PAGE_MAX:
            errors.append(f"Value '{limit}' at 'limit' failed to satisfy constraint: "
                          f"Member must have value less than or equal to {PAGE_MAX}")
        btype = body.get("BackupType")
        if btype is not None and btype not in BACKUP_TYPES:
            errors.append(f"Value '{btype}' at 'backupType' failed to satisfy constraint: "
                          f"Member must satisfy enum value set: [{', '.join(BACKUP_TYPES)}]")
        start = body.get("ExclusiveStartBackupArn")
        if start is not None and not 37 <= len(str(start)) <= 1024:
            errors.append(f"Value '{start}' at 'exclusiveStartBackupArn' failed to satisfy constraint: "
                          "Member must have length greater than or equal to 37")
        table = body.get("TableName")
        if table is not None and not 1 <= len(str(table)) <= 1024:
            errors.append(f"Value '{table}' at 'tableName' failed to satisfy constraint: "
                          "Member must have length greater than or equal to 1")
        if errors:
            raise self._validation(errors)
        if start is not None and not ARN_RE.match(start):
            raise ClientError("ValidationException", f"Invalid ExclusiveStartBackupArn: {start}")
        lower = self._bound_ms(body, "TimeRangeLowerBound")
        upper = self._bound_ms(body, "TimeRangeUpperBound")
        if lower is not None and upper is not None and lower > upper:
            raise ClientError("ValidationException",
                              "TimeRangeUpperBound must be greater than or equal to TimeRangeLowerBound")
        types = {"USER", "SYSTEM"} if btype == "ALL" else {btype or "USER"}
        page_size = limit or PAGE_MAX

        self.refresh(be)
        rows = []
        for b in list(be.backups.values()):
            if table is not None and b.table.name != table and b.table.table_arn != table:
                continue
            if (b.type or "USER") not in types:
                continue
            ms = created_ms(b)
            if lower is not None and ms < lower:
                continue
            if upper is not None and ms >= upper:
                continue
            rows.append((sort_key(b.arn), b))
        rows.sort(key=lambda r: r[0])
        if start is not None:
            after = sort_key(start)
            rows = [r for r in rows if r[0] > after]
        page = rows[:page_size]
        summaries = []
        for _, b in page:
            s = dict(b.summary)
            s["BackupCreationDateTime"] = created_ms(b) / 1000.0
            summaries.append(s)
        doc = {"BackupSummaries": summaries}
        if len(rows) > page_size:
            doc["LastEvaluatedBackupArn"] = page[-1][1].arn
        return doc
