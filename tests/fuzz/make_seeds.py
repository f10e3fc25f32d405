#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/):

- task: one valid task of every kind and step, as fuzz_task reads them — byte 0
  odd (seal these Task bytes), byte 1 the stub's answer, then a protobuf Task
  (proto/fleetvault.proto) encoded by hand: the wire format is small and the
  image has no protobuf module.
- awsproto: every recorded error answer of tests/data/errors/ (moto captures
  and documented shapes) under each protocol, and paging answers.
- responses: success and error answers of each call fuzz_responses makes, in
  the shapes the services (and moto) send.
- formats: ISO 8601 times, epoch seconds, credential JSON, shared config and
  credentials files, schedule expressions.
- sigv4: the request of every AWS SigV4 test vector (tests/data/sigv4/v4/)."""

import glob
import gzip
import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

A = "111111111111"
RUN = "-20261203T020000Z"


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, value):
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(num << 3 | 2) + varint(len(data)) + data


def task(kind, job, resource, step, params=None):
    out = field(1, 1) + field(2, "0123456789abcdef0123456789abcdef") + field(3, job + RUN)
    out += field(4, job) + field(5, kind) + field(6, A) + field(7, "us-east-1") + field(8, resource)
    for k, v in (params or {}).items():
        out += field(9, field(1, k) + field(2, v))
    return out + field(10, 1) + field(13, step)


ARN = f"arn:aws:quicksight:us-east-1:{A}:dashboard/d1"
SEEDS = {
    "backup-create": task("dynamodb.backup", "ddb", "orders", "create"),
    "backup-wait": task("dynamodb.backup", "ddb", "orders", "wait",
                        {"backup_arn": f"arn:aws:dynamodb:us-east-1:{A}:table/orders/backup/1", "created_ms": "1"}),
    "retention": task("dynamodb.retention", "ddb", "retention", "expire", {"tables": "orders,customers"}),
    "deny": task("iam.deny_delete_backup", "ddb", f"arn:aws:iam::{A}:role/app/worker", "put"),
    "users": task("quicksight.users", "qs", "users", "write"),
    "groups": task("quicksight.groups", "qs", "groups", "write"),
    "export-start": task("quicksight.export", "qs", "dashboards_bundle_2", "start", {"arns": f'["{ARN}"]'}),
    "export-wait": task("quicksight.export", "qs", "dashboards", "wait",
                        {"arns": f'["{ARN}"]', "slot": "1", "generation": "2", "started_ms": "5",
                         "skipped": ARN}),
    "import-start": task("quicksight.import", "qs", "datasets_bundle_2", "start",
                         {"backup_run": "qs-20261201T020000Z", "source_account": A, "sha256": "ab" * 32,
                          "size": "1234", "overrides": '{"ResourceIdOverrideConfiguration":{}}'}),
    "import-wait": task("quicksight.import", "qs", "dashboards", "wait",
                        {"backup_run": "qs-20261201T020000Z", "source_account": A, "sha256": "ab" * 32,
                         "size": "1234", "slot": "0", "started_ms": "5"}),
    "ddb-export-full": task("dynamodb.export", "ex", "orders", "start", {"export_time_ms": "1764727200000"}),
    "ddb-export-window": task("dynamodb.export", "ex", "orders", "start",
                              {"from_ms": "1764727200000", "to_ms": "1764728100000", "blocks_behind": "2",
                               "chain_id": f"arn:aws:dynamodb:us-east-1:{A}:table/orders/export/0"}),
    "ddb-export-wait": task("dynamodb.export", "ex", "orders", "wait",
                            {"from_ms": "1764727200000", "to_ms": "1764728100000",
                             "export_arn": f"arn:aws:dynamodb:us-east-1:{A}:table/orders/export/1"}),
}


# --- awsproto: byte 0 = protocol (bits 0-1) and reader (bits 2-3), byte 1 = status ---
STATUS = [400, 403, 404, 409, 429, 500, 502, 503, 504, 200, 301, 413, 0]


def awsproto_seeds(root):
    out = {}
    for path in sorted(glob.glob(os.path.join(root, "tests", "data", "errors", "*.http"))):
        raw = open(path, "rb").read().replace(b"\r\n", b"\n")
        first, _, rest = raw.partition(b"\n")
        status = int(first.split()[1])
        name = os.path.basename(path)[:-5]
        proto = 3 if "-s3-" in name else 2 if any(x in name for x in ("iam", "sts", "sns", "ec2")) \
            else 1 if any(x in name for x in ("quicksight", "backup")) else 0
        out[name] = bytes([proto, STATUS.index(status) if status in STATUS else 0]) + rest
    pages = {
        "page-json": (0, b'{"TableNames":["a"],"LastEvaluatedTableName":"a"}'),
        "page-json-key": (0, b'{"Items":[],"LastEvaluatedKey":{"pk":{"S":"k"}}}'),
        "page-rest-json": (1, b'{"UserList":[],"NextToken":"t1","Status":200}'),
        "page-query": (2, b"<ListUsersResponse><ListUsersResult><IsTruncated>true</IsTruncated>"
                          b"<Marker>m1</Marker></ListUsersResult></ListUsersResponse>"),
        "page-s3-v2": (3, b"<ListBucketResult><KeyCount>1</KeyCount><IsTruncated>true</IsTruncated>"
                          b"<NextContinuationToken>c1</NextContinuationToken></ListBucketResult>"),
        "page-s3-v1": (3, b"<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>k1"
                          b"</Key></Contents></ListBucketResult>"),
    }
    for name, (proto, body) in pages.items():
        out[name] = bytes([proto | 8, 9]) + body
    out["xml-paths"] = bytes([12, 9]) + (
        b"<AssumeRoleResponse><AssumeRoleResult><Credentials><Expiration>2026-12-03T13:00:00Z"
        b"</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>")
    return out


# --- responses: byte 0 = the call (fuzz_responses.c's s_calls), then answers ---
def answer(body, status=200, headers=()):
    head = "".join(f"{k}: {v}\n" for k, v in headers)
    return f"{status}\n{head}\n{body}"


BACKUP = {"BackupArn": f"arn:aws:dynamodb:us-east-1:{A}:table/t/backup/01764727200000-abcdef12",
          "BackupName": "t-20261203T020000Z", "BackupStatus": "AVAILABLE", "BackupType": "USER",
          "BackupCreationDateTime": 1764727200.123, "BackupSizeBytes": 42,
          "TableName": "t", "TableArn": f"arn:aws:dynamodb:us-east-1:{A}:table/t"}
TABLE = {"TableName": "t", "TableArn": f"arn:aws:dynamodb:us-east-1:{A}:table/t",
         "TableStatus": "ACTIVE", "ItemCount": 3, "TableSizeBytes": 120,
         "CreationDateTime": 1764727200.5}
J = __import__("json").dumps
CREDS_XML = ("<Credentials><AccessKeyId>ASIAFUZZ</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
             "<SessionToken>t</SessionToken><Expiration>2026-12-03T13:00:00Z</Expiration>"
             "</Credentials>")
CREDS_JSON = J({"AccessKeyId": "ASIAFUZZ", "SecretAccessKey": "s", "Token": "t",
                "Expiration": "2026-12-03T13:00:00Z", "Code": "Success"})
QS_ASSET = {"Arn": f"arn:aws:quicksight:us-east-1:{A}:dashboard/d", "DashboardId": "d",
            "DataSetId": "ds", "DataSourceId": "src", "AnalysisId": "an", "Name": "n",
            "CreatedTime": 1764727200, "LastUpdatedTime": 1764727201.5, "ImportMode": "SPICE",
            "Type": "S3", "Status": "CREATION_SUCCESSFUL"}
EXPORT = {"ExportArn": f"arn:aws:dynamodb:us-east-1:{A}:table/t/export/01764727200000-abcdef12",
          "ExportStatus": "IN_PROGRESS", "ExportType": "INCREMENTAL_EXPORT",
          "TableArn": f"arn:aws:dynamodb:us-east-1:{A}:table/t", "S3Bucket": "b", "S3Prefix": "p",
          "S3BucketOwner": "123456789012", "ExportFormat": "DYNAMODB_JSON", "ClientToken": "fv-1",
          "StartTime": 1764727200.5, "ItemCount": 3, "BilledSizeBytes": 1e3,
          "ExportManifest": "p/AWSDynamoDB/01764727200000-abcdef12/manifest-summary.json",
          "IncrementalExportSpecification": {"ExportFromTime": 1764727200, "ExportToTime": 1764728100,
                                             "ExportViewType": "NEW_AND_OLD_IMAGES"}}
SEED_PARAMS = [{"Name": f"/incremental-export/a/{k}", "Value": v, "Type": "String"}
               for k, v in (("full-export-time", "2026-12-01T00:00:00.250Z"),
                            ("last-incremental-export-time", "2026-12-03T01:45:00Z"),
                            ("workflow-initiated", "true"), ("workflow-state", "NORMAL"),
                            ("workflow-action", "RUN"))]
CHAIN = {"pk": {"S": f"export#ex#{A}#us-east-1#t"}, "job": {"S": "ex"}, "account": {"S": A},
         "region": {"S": "us-east-1"}, "table": {"S": "t"}, "workflow-initiated": {"S": "true"},
         "full-export-time": {"N": "1764727200000"}, "last-incremental-export-time": {"N": "1764728100000"},
         "workflow-state": {"S": "PITR_GAP"}, "workflow-action": {"S": "RESET_WITH_FULL_EXPORT_AGAIN"},
         "chain-id": {"S": "arn"}, "last-error": {"S": "e"}, "version": {"N": "3"}}
RESPONSES = {  # index in s_calls: answers
    0: [J({"TableNames": ["a", "b"], "LastEvaluatedTableName": "b"}), J({"TableNames": ["c"]})],
    1: [J({"Table": TABLE})],
    2: [J({"TableDescription": dict(TABLE, TableName="t2", TableStatus="CREATING")})],
    3: [J({"BackupDetails": BACKUP}), J({"BackupDescription": {"BackupDetails": BACKUP,
                                                                "SourceTableDetails": TABLE}}),
        J({"BackupDescription": {"BackupDetails": dict(BACKUP, BackupStatus="DELETED")}})],
    4: [J({"BackupSummaries": [BACKUP, dict(BACKUP, BackupCreationDateTime=1e300)],
           "LastEvaluatedBackupArn": BACKUP["BackupArn"]})],
    5: [J({"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED",
           "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED",
                                              "EarliestRestorableDateTime": 1764700000,
                                              "LatestRestorableDateTime": 1764727200.9}}})],
    6: [J({"Item": {"pk": {"S": "k"}}}), J({"Attributes": {"a": {"N": "1"}}}),
        J({"UnprocessedItems": {"t": [{"PutRequest": {"Item": {"pk": {"S": "k"}}}}]}}),
        answer(J({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                  "CancellationReasons": [{"Code": "ConditionalCheckFailed"}]}), 400)],
    7: [J({"Items": [{"pk": {"S": "k"}}], "Count": 1, "ScannedCount": 1,
           "LastEvaluatedKey": {"pk": {"S": "k"}}})],
    8: [answer(J({"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                  "Item": {"task_id": {"S": "task-1"}, "backup_arn": {"S": "arn"}}}), 400),
        J({"Attributes": {"fence": {"N": "7"}, "holder": {"S": "c1"}}})],
    9: [J({"UserList": [{"UserName": "ann", "Arn": f"arn:aws:quicksight:us-east-1:{A}:user/default/ann",
                         "Email": "a@example.com", "Role": "READER", "IdentityType": "QUICKSIGHT",
                         "Active": True}], "NextToken": "n", "Status": 200}),
        J({"User": {"UserName": "ann", "Arn": "x", "Role": "ADMIN"}, "Status": 200}),
        J({"GroupList": [{"GroupName": "g", "Arn": "y", "Description": "d"}], "Status": 200}),
        J({"Group": {"GroupName": "g", "Arn": "y"}, "Status": 200}),
        J({"GroupMemberList": [{"MemberName": "ann", "Arn": "x"}], "Status": 200})],
    10: [J({"User": {"UserName": "ann"}, "Status": 201}),
         answer(J({"Message": "exists"}), 409, [("X-Amzn-ErrorType", "ResourceExistsException")]),
         J({"GroupMember": {"MemberName": "ann"}, "Status": 200})],
    11: [J({"DataSetSummaries": [QS_ASSET], "Status": 200}),
         J({"DataSet": {"PhysicalTableMap": {"t": {"S3Source": {"DataSourceArn": "a"}}}}, "Status": 200}),
         J({"DataSourceSummaries": [QS_ASSET], "Status": 200}),
         J({"AnalysisSummaryList": [QS_ASSET], "Status": 200}),
         J({"DashboardSummaryList": [QS_ASSET], "Status": 200})],
    12: [J({"Arn": "arn:aws:quicksight:us-east-1:%s:asset-bundle-export-job/j" % A,
            "AssetBundleExportJobId": "j", "Status": 202}),
         J({"AssetBundleExportJobId": "j", "JobStatus": "SUCCESSFUL", "DownloadUrl": "https://x/y",
            "ExportFormat": "QUICKSIGHT_JSON", "CreatedTime": 1764727200,
            "Errors": [{"Arn": "a", "Type": "t", "Message": "m"}], "Warnings": [], "Status": 200}),
         J({"Arn": "b", "AssetBundleImportJobId": "j", "Status": 202}),
         J({"AssetBundleImportJobId": "j", "JobStatus": "FAILED_ROLLBACK_COMPLETED",
            "FailureAction": "ROLLBACK", "CreatedTime": 1764727200.25,
            "Errors": [{"Arn": "a", "Type": "t", "Message": "m"}],
            "RollbackErrors": [{"Arn": "a", "Type": "t", "Message": "m"}], "Status": 200})],
    13: [answer("", 200, [("ETag", '"abc"'), ("x-amz-version-id", "v1")]),
         answer("data", 200, [("ETag", '"abc"'), ("Last-Modified", "Thu, 03 Dec 2026 02:00:00 GMT")]),
         answer("", 200, [("Content-Length", "4"), ("ETag", '"abc"'),
                          ("Last-Modified", "Thu, 03 Dec 2026 02:00:00 GMT"), ("x-amz-meta-sha256", "ab")]),
         answer("", 204)],
    14: ["<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>u1</UploadId>"
         "</InitiateMultipartUploadResult>", answer("", 200, [("ETag", '"p1"')]),
         "<CompleteMultipartUploadResult><Location>l</Location><ETag>\"e-1\"</ETag>"
         "</CompleteMultipartUploadResult>"],
    15: ["<ListBucketResult><Name>bkt</Name><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
         "<Contents><Key>p/a</Key><LastModified>2026-12-03T02:00:00.000Z</LastModified><Size>3</Size>"
         "<ETag>\"e\"</ETag></Contents><CommonPrefixes><Prefix>p/b/</Prefix></CommonPrefixes>"
         "<NextContinuationToken>c</NextContinuationToken></ListBucketResult>"],
    16: ["<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/u</Arn>"
         "<UserId>AIDAFUZZ</UserId><Account>%s</Account></GetCallerIdentityResult>"
         "</GetCallerIdentityResponse>" % (A, A),
         "<AssumeRoleResponse><AssumeRoleResult>%s</AssumeRoleResult></AssumeRoleResponse>" % CREDS_XML,
         "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>%s"
         "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>" % CREDS_XML],
    17: [CREDS_JSON],
    18: ["imds-token", "role-name", CREDS_JSON],
    19: ["<ListUsersResponse><ListUsersResult><Users><member><UserName>u</UserName><Arn>a</Arn>"
         "<UserId>AIDA1</UserId><Path>/</Path></member></Users><IsTruncated>false</IsTruncated>"
         "</ListUsersResult></ListUsersResponse>",
         "<ListRolesResponse><ListRolesResult><Roles><member><RoleName>r</RoleName><Arn>a</Arn>"
         "<RoleId>AROA1</RoleId><Path>/service-role/</Path></member></Roles><IsTruncated>true"
         "</IsTruncated><Marker>m</Marker></ListRolesResult></ListRolesResponse>",
         "",
         "<GetRolePolicyResponse><GetRolePolicyResult><PolicyDocument>%7B%22Version%22%3A%222012"
         "-10-17%22%7D</PolicyDocument></GetRolePolicyResult></GetRolePolicyResponse>"],
    20: ["{}", answer(J({"__type": "ResourceAlreadyExistsException"}), 400),
         J({"rejectedLogEventsInfo": {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2}}),
         "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"],
    21: [J({"ResourceTagMappingList": [{"ResourceARN": f"arn:aws:dynamodb:us-east-1:{A}:table/t",
                                         "Tags": [{"Key": "backup", "Value": "daily"}]}],
            "PaginationToken": "p"})],
    22: [J({"ExportDescription": EXPORT}),
         J({"ExportDescription": dict(EXPORT, ExportStatus="FAILED", FailureCode="S3NoSuchBucket",
                                      FailureMessage="no bucket", EndTime=1764728100.25)})],
    23: [J({"Parameters": SEED_PARAMS[:2], "InvalidParameters": ["/incremental-export/a/x"]}),
         J({"Parameters": SEED_PARAMS}), "{}", "{}"],
    24: [J({"Item": CHAIN}), J({"Items": [CHAIN, dict(CHAIN, table={"S": "u"})], "Count": 2,
                                "LastEvaluatedKey": {"pk": CHAIN["pk"]}}),
         J({"Items": [dict(CHAIN, version={"N": "x"})], "Count": 1})],
}


def responses_seeds(root):
    out = {}
    errors = sorted(glob.glob(os.path.join(root, "tests", "data", "errors", "moto-*.http")))
    for call, answers in RESPONSES.items():
        out[f"call{call:02d}"] = bytes([call]) + "\n==\n".join(
            a if a[:3].isdigit() else "200\n\n" + a for a in answers).encode()
        # the same call meeting a recorded error
        raw = open(errors[call % len(errors)], "rb").read().replace(b"\r\n", b"\n")
        first, _, rest = raw.partition(b"\n")
        out[f"call{call:02d}-error"] = bytes([call]) + first.split()[1] + b"\n" + rest
    # fuzz_responses found: an ExportArn that is no string
    out["call22-arn-number"] = bytes([22]) + answer(J({"ExportDescription": {"ExportArn": 5}})).encode()
    out["call14-single"] = bytes([14 + len(RESPONSES)]) + answer("", 200, [("ETag", '"e"')]).encode()
    return out


# --- formats: byte 0 = the format ---
def formats_seeds():
    iso = ["2015-08-30T12:36:00Z", "2026-12-03T13:00:00.123456Z", "2015-08-30T14:36:00+02:00",
           "2026-02-30T23:59:6-03:0", "2026-01-01T00:00:00+1:2", "2024-02-29T00:00:00-0130"]
    out = {f"iso-{i}": b"\x00" + s.encode() for i, s in enumerate(iso)}
    for i, d in enumerate([1764727200.123, 1e300, float("nan"), float("inf"), -1.0, 253402300799.999]):
        out[f"epoch-{i}"] = b"\x01" + struct.pack("<d", d)
    out["creds-json"] = b"\x02" + CREDS_JSON.encode()
    out["creds-json-code"] = b"\x02" + J({"Code": "ExpiredToken", "AccessKeyId": "a"}).encode()
    config = ("[default]\nregion = us-east-1\n\n[profile p]\nrole_arn = arn:aws:iam::%s:role/r\n"
              "source_profile = base\nexternal_id = x # comment\ns3 =\n  max_concurrent_requests = 10\n"
              "\n[profile base]\naws_access_key_id = AKIDB\naws_secret_access_key = sb\n"
              "\n[profile web]\nrole_arn = arn:aws:iam::%s:role/w\nweb_identity_token_file = /nonexistent\n"
              % (A, A))
    creds = "[default]\r\naws_access_key_id=AKID\r\naws_secret_access_key=s;x\r\n[p]\naws_session_token = t\n"
    out["ini"] = b"\x03\xef\xbb\xbf" + config.encode()
    out["profile-default"] = b"\x04" + (config + "\n--\n" + creds).encode()
    out["profile-p"] = b"\x05" + (config + "\n--\n" + creds).encode()
    out["profile-loop"] = b"\x05[profile p]\nrole_arn = r\nsource_profile = p\n--\n"
    for i, e in enumerate(["rate(5 minutes)", "rate(1 day)", "cron(0 2 * * ? *)", "cron(0/15 8-18 ? * MON-FRI *)",
                           "cron(0 12 L * ? 2027)", "cron(0 0 ? * 6L *)", "cron(30 1 15W * ? *)",
                           "cron(0 0 ? * 3#2 *)", "cron(0 0 30 2 ? *)"]):
        out[f"schedule-{i}"] = b"\x06" + e.encode()
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "manifest", "*.json"))):
        out["manifest-" + os.path.basename(path)[:-5]] = b"\x07" + open(path, "rb").read()
    return out


# --- sigv4: flags, time (4 bytes), "METHOD\nPATH\nQUERY\n", headers, "\n\n", body ---
def sigv4_seeds(root):
    out = {}
    for d in sorted(glob.glob(os.path.join(root, "tests", "data", "sigv4", "v4", "*"))):
        raw = open(os.path.join(d, "request.txt"), "rb").read()
        line, _, rest = raw.partition(b"\n")
        method, target = line.split(b" ")[0], line.split(b" ")[1]
        path, _, query = target.partition(b"?")
        head, _, body = rest.partition(b"\n\n")
        head = b"\n".join(h for h in head.split(b"\n") if not h.lower().startswith(b"host:"))
        t = struct.pack(">I", 1440938160)
        for flags in (0, 1 | 2 | 4):
            out[f"{os.path.basename(d)}-{flags}"] = bytes([flags]) + t + method + b"\n" + path + \
                b"\n" + query + b"\n" + head + b"\n\n" + body
    return out


def exports_seeds():
    """DynamoDB export files as the test world (and AWS) write them."""
    arn = "arn:aws:dynamodb:us-east-1:111111111111:table/orders"

    def summary(i, kind, t, frm=None, to=None):
        d = {"version": "2023-08-01", "exportArn": f"{arn}/export/0{i}", "tableArn": arn,
             "manifestFilesS3Key": f"p/AWSDynamoDB/0{i}/manifest-files.json", "itemCount": 2,
             "outputFormat": "DYNAMODB_JSON", "exportType": kind, "exportTime": t}
        if frm:
            d.update({"exportFromTime": frm, "exportToTime": to, "outputView": "NEW_AND_OLD_IMAGES"})
        return json.dumps(d).encode()

    full = summary(1, "FULL_EXPORT", "2026-12-03T14:00:00.000Z")
    inc = [summary(i + 2, "INCREMENTAL_EXPORT", "", f"2026-12-03T14:{15 * i:02d}:00.000Z",
                   f"2026-12-03T{14 + (i + 1) // 4}:{15 * ((i + 1) % 4):02d}:00.000Z") for i in range(3)]
    item = '{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"L":[{"M":{"x":{"B":"AAE="}}},{"NULL":true}]}}'
    full_lines = (f'{{"Item":{item}}}\n{{"Item":{{"pk":{{"S":"b"}},"sk":{{"N":"2"}}}}}}\n').encode()
    inc_lines = (f'{{"Metadata":{{"WriteTimestampMicros":{{"N":"1"}}}},"Keys":{{"pk":{{"S":"a"}}}},'
                 f'"NewImage":{item},"OldImage":{item}}}\n'
                 '{"Keys":{"pk":{"S":"b"},"sk":{"N":"2"}}}\n').encode()
    # a bucket (target 5): a full export and one window under p/, as the world lays them out
    def bucket(exports, pre_gzip):
        objs = []
        for i, (summ, lines) in enumerate(exports):
            base = f"p/AWSDynamoDB/0{i + 1}"
            data = f"{base}/data/d{i}.json.gz"
            import base64
            import hashlib
            gz = gzip.compress(lines, mtime=0)
            md5 = base64.b64encode(hashlib.md5(gz).digest()).decode()
            objs.append((f"{base}/manifest-summary.json".encode(), summ))
            objs.append((f"{base}/manifest-files.json".encode(),
                         json.dumps({"itemCount": 2, "md5Checksum": md5, "etag": hashlib.md5(gz).hexdigest(),
                                     "dataFileS3Key": data}).encode() + b"\n"))
            objs.append((data.encode(), gz if pre_gzip else lines))
        return b"\n--\n".join(k + b"\n" + v for k, v in objs)

    # ION: the same records as the test world writes them (fvworld/ion_text.py)
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "ion_text", os.path.join(ROOT, "tests", "awsworld", "fvworld", "ion_text.py"))
    ion_text = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ion_text)

    def ion(lines):
        return b"".join(ion_text.line(json.loads(x)).encode() + b"\n" for x in lines.decode().splitlines())

    every = {"s": {"S": "q\"\\\n\u00e9\U0001F600"}, "n": {"N": "-1.5"}, "big": {"N": "1E+100"},
             "tiny": {"N": "0.000000001"}, "b": {"B": "AAE="}, "t": {"BOOL": True}, "z": {"NULL": True},
             "odd name": {"M": {"null": {"L": [{"N": "7"}]}}}, "ss": {"SS": ["x"]}, "ns": {"NS": ["12.5"]},
             "bs": {"BS": ["/w=="]}}
    ion_full = ion(full_lines) + ion_text.line({"Item": every}).encode() + b"\n"
    ion_inc = ion(inc_lines)
    ion_summ = [s.replace(b'"DYNAMODB_JSON"', b'"ION"') for s in (full, inc[0])]
    return {
        "ion-line-full": b"\x06\x00" + ion_full.splitlines()[-1],
        "ion-line-inc": b"\x06\x00" + ion_inc.splitlines()[0],
        "ion-line-hand": b"\x06\x00" + b"/* c */ $ion_1_0 {Item:{'a b':null.string,c:0x1F,d:12d-3,"
                                        b"e:\"\\x41\\ud83d\\ude00\",f:{{ AA== }}}} // x",
        "ion-lines-full": b"\x07\x00" + ion_full,
        "ion-lines-inc": b"\x07\x05" + ion_inc,
        "bucket-ion": b"\x05\x00" + bucket([(ion_summ[0], ion_full), (ion_summ[1], ion_inc)], True),
        # gzip'd here, as written (verify finds nothing); lines gzip'd by the harness
        "bucket-chain": b"\x05\x00" + bucket([(full, full_lines), (inc[0], inc_lines)], True),
        "bucket-chain-to": b"\x05\x03" + bucket([(full, full_lines), (inc[0], inc_lines), (inc[1], inc_lines)],
                                                  False),
        "summary-full": b"\x00\x00" + full,
        "summary-inc": b"\x00\x00" + inc[0],
        "files-line": b"\x01\x00" + b'{"itemCount":2,"md5Checksum":"1B2M2Y8AsgTpgAmY7PhCfg==",'
                                      b'"etag":"d41d8cd98f00b204e9800998ecf8427e","dataFileS3Key":"p/d/x.json.gz"}',
        "gzip-full": b"\x02\x06" + gzip.compress(full_lines, mtime=0),
        "gzip-inc": b"\x02\x07" + gzip.compress(inc_lines, mtime=0) + gzip.compress(inc_lines, mtime=0),
        "lines-full": b"\x03\x00" + full_lines,
        "lines-inc": b"\x03\x05" + inc_lines,
        "chain": b"\x04\x00" + b"\n--\n".join([inc[2], full, inc[0], inc[1]]),
        "chain-to": b"\x04\x03" + b"\n--\n".join([full, inc[1], inc[0]]),
    }


def write(target, seeds):
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", target)
    os.makedirs(out_dir, exist_ok=True)
    for name, body in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(body)


if __name__ == "__main__":
    root = ROOT
    write("task", {f"{name}-{answer}": bytes([1, answer]) + body
                   for name, body in SEEDS.items() for answer in range(6)})
    write("awsproto", awsproto_seeds(root))
    write("responses", responses_seeds(root))
    write("formats", formats_seeds())
    write("sigv4", sigv4_seeds(root))
    write("exports", exports_seeds())
