"""Tests of the moto gaps the C client's service tests found, filled by the
world's layer: DynamoDB ListBackups paging/filters and backup CREATING status,
IAM ListUsers paging, S3 additional checksums, the error200 and unprocessed
fault kinds.  boto3 (and raw requests signed by botocore) is the client.

    python3 -m unittest discover -s tests/awsworld -p 'test_*.py' -v

One world (fleet "none": principals, member roles and the backup bucket) is
shared by the module; the clock only moves forward.
"""

import base64
import gzip
import hashlib
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import moto  # noqa: F401
except ImportError:
    raise SystemExit("test_gaps: moto is not importable in this python3; the world needs moto 5.2.1")

from botocore.exceptions import ClientError  # noqa: E402

from worldclient import WorldProcess  # noqa: E402

CENTRAL = "123456789012"
M1 = "111111111111"
M2 = "222222222222"
BUCKET = "fleetvault-backups-123456789012"
MIB = 1024 * 1024
W = None


def setUpModule():
    global W
    W = WorldProcess.start(fleet="none")
    W.default_who = "admin"  # the world is the subject here, not fleetvault's grants


def tearDownModule():
    if W:
        W.stop()


def code_of(ctx):
    return ctx.exception.response["Error"]["Code"]


def status_of(ctx):
    return ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"]


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def make_table(ddb, name):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")


class GapTest(unittest.TestCase):
    def tearDown(self):
        W.control("DELETE", "/_world/faults")
        W.control("POST", "/_world/settings", {"ddb_backup_delay_s": 0})


class TestListBackups(GapTest):
    """120 backups of three tables in member 222222222222, in three rounds an
    hour apart (world clock) so time ranges are exact."""

    @classmethod
    def setUpClass(cls):
        admin = W.client("dynamodb", "admin:" + M2)
        for t in ("lb-a", "lb-b", "lb-c"):
            make_table(admin, t)
        cls.arns = []  # creation order
        cls.round_start = []
        for r in range(3):
            W.advance_clock(3600)
            cls.round_start.append(W.world_now())
            for t, n in (("lb-a", 24), ("lb-b", 12), ("lb-c", 4)):
                for i in range(n):
                    d = admin.create_backup(TableName=t, BackupName=f"{t}-r{r}-{i:02d}")["BackupDetails"]
                    cls.arns.append((t, d["BackupArn"]))
        cls.ddb = W.member_client("dynamodb", M2, as_role=True)  # fleetvault's member role

    def list_all(self, **kw):
        out, pages, start = [], 0, None
        while True:
            args = dict(kw)
            if start:
                args["ExclusiveStartBackupArn"] = start
            resp = self.ddb.list_backups(**args)
            pages += 1
            out += resp["BackupSummaries"]
            start = resp.get("LastEvaluatedBackupArn")
            if not start:
                return out, pages
            self.assertEqual(start, resp["BackupSummaries"][-1]["BackupArn"])
            self.assertLess(pages, 100)

    def test_pages_of_100_by_default_with_last_evaluated_arn(self):
        first = self.ddb.list_backups()
        self.assertEqual(len(first["BackupSummaries"]), 100)
        self.assertIn("LastEvaluatedBackupArn", first)
        got, pages = self.list_all()
        self.assertEqual(pages, 2)
        self.assertEqual([b["BackupArn"] for b in got], [a for _, a in self.arns])
        s = got[0]
        self.assertEqual(s["BackupType"], "USER")
        self.assertEqual(s["BackupStatus"], "AVAILABLE")
        self.assertEqual(s["TableName"], "lb-a")
        self.assertEqual(s["TableArn"], f"arn:aws:dynamodb:us-east-1:{M2}:table/lb-a")

    def test_limit_table_name_and_arn(self):
        got, pages = self.list_all(TableName="lb-b", Limit=7)
        self.assertEqual(len(got), 36)
        self.assertEqual(pages, 6)
        self.assertTrue(all(b["TableName"] == "lb-b" for b in got))
        got, _ = self.list_all(TableName=f"arn:aws:dynamodb:us-east-1:{M2}:table/lb-c", Limit=100)
        self.assertEqual(len(got), 12)
        # exactly one full page: no LastEvaluatedBackupArn
        resp = self.ddb.list_backups(TableName="lb-c", Limit=12)
        self.assertEqual(len(resp["BackupSummaries"]), 12)
        self.assertNotIn("LastEvaluatedBackupArn", resp)
        for bad in (101, 1000):
            with self.subTest(limit=bad), self.assertRaises(ClientError) as ctx:
                self.ddb.list_backups(Limit=bad)
            self.assertEqual(code_of(ctx), "ValidationException")

    def test_exclusive_start_survives_deleted_backup(self):
        admin = W.client("dynamodb", "admin:" + M1)  # not M2: its backups are counted
        ddb = W.member_client("dynamodb", M1)
        make_table(admin, "lb-del")
        arns = [admin.create_backup(TableName="lb-del", BackupName=f"del-{i}")["BackupDetails"]["BackupArn"]
                for i in range(6)]
        page = ddb.list_backups(TableName="lb-del", Limit=2)
        self.assertEqual([b["BackupArn"] for b in page["BackupSummaries"]], arns[:2])
        admin.delete_backup(BackupArn=page["LastEvaluatedBackupArn"])
        nxt = ddb.list_backups(TableName="lb-del", Limit=2,
                                    ExclusiveStartBackupArn=page["LastEvaluatedBackupArn"])
        self.assertEqual([b["BackupArn"] for b in nxt["BackupSummaries"]], arns[2:4])

    def test_backup_type_filter(self):
        self.assertEqual(len(self.ddb.list_backups(TableName="lb-c", BackupType="USER")["BackupSummaries"]), 12)
        self.assertEqual(len(self.ddb.list_backups(TableName="lb-c", BackupType="ALL")["BackupSummaries"]), 12)
        self.assertEqual(self.ddb.list_backups(TableName="lb-c", BackupType="SYSTEM")["BackupSummaries"], [])
        self.assertEqual(self.ddb.list_backups(BackupType="AWS_BACKUP")["BackupSummaries"], [])
        status, _, body = W.raw("POST", "/", "dynamodb", who="admin:" + M2,
                                body=json.dumps({"BackupType": "EVERYTHING"}).encode(),
                                headers={"X-Amz-Target": "DynamoDB_20120810.ListBackups",
                                         "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "ValidationException")

    def test_time_range_lower_inclusive_upper_exclusive(self):
        # round 1 only (each round's 40 backups are created after its start, within the hour)
        got, _ = self.list_all(TimeRangeLowerBound=self.round_start[1], TimeRangeUpperBound=self.round_start[2],
                               Limit=30)
        self.assertEqual([b["BackupArn"] for b in got], [a for _, a in self.arns[40:80]])
        # bounds equal to a backup's own creation time (ms, as the C client sends them; botocore
        # sends whole seconds): lower includes it, upper excludes it
        def raw_list(**doc):
            status, _, body = W.raw("POST", "/", "dynamodb", who="admin:" + M2, body=json.dumps(doc).encode(),
                                    headers={"X-Amz-Target": "DynamoDB_20120810.ListBackups",
                                             "Content-Type": "application/x-amz-json-1.0"})
            self.assertEqual(status, 200, body)
            return json.loads(body)["BackupSummaries"]

        third = raw_list(TableName="lb-a", Limit=3)[2]
        t = third["BackupCreationDateTime"]
        self.assertEqual(raw_list(TableName="lb-a", TimeRangeLowerBound=t, Limit=1)[0]["BackupArn"],
                         third["BackupArn"])
        before = raw_list(TableName="lb-a", TimeRangeUpperBound=t)
        self.assertNotIn(third["BackupArn"], [b["BackupArn"] for b in before])
        self.assertEqual(len(before), 2)
        # creation times are world-clock times
        self.assertGreater(got[0]["BackupCreationDateTime"].timestamp(), self.round_start[1] - 1)

    def test_member_role_needs_list_backups_permission(self):
        with self.assertRaises(ClientError) as ctx:
            W.client("dynamodb", "limited").list_backups()
        self.assertEqual(code_of(ctx), "AccessDeniedException")


class TestBackupDelay(GapTest):
    def test_creating_until_delay_passes(self):
        admin = W.client("dynamodb", "admin:" + M1)
        make_table(admin, "slow-backup")
        ddb = W.member_client("dynamodb", M1)
        self.assertEqual(W.control("POST", "/_world/settings", {"ddb_backup_delay_s": 600})[0], 200)
        d = ddb.create_backup(TableName="slow-backup", BackupName="slow-1")["BackupDetails"]
        self.assertEqual(d["BackupStatus"], "CREATING")
        arn = d["BackupArn"]
        desc = ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
        self.assertEqual(desc["BackupStatus"], "CREATING")
        listed = ddb.list_backups(TableName="slow-backup")["BackupSummaries"]
        self.assertEqual([b["BackupStatus"] for b in listed], ["CREATING"])
        for call in (lambda: ddb.delete_backup(BackupArn=arn),
                     lambda: ddb.restore_table_from_backup(TargetTableName="slow-restored", BackupArn=arn)):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assertEqual(code_of(ctx), "BackupInUseException")
        W.advance_clock(599)
        self.assertEqual(ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"],
                         "CREATING")
        W.advance_clock(2)
        self.assertEqual(ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupStatus"],
                         "AVAILABLE")
        self.assertEqual(ddb.list_backups(TableName="slow-backup")["BackupSummaries"][0]["BackupStatus"], "AVAILABLE")
        # default 0: AVAILABLE at once
        W.control("POST", "/_world/settings", {"ddb_backup_delay_s": 0})
        d = ddb.create_backup(TableName="slow-backup", BackupName="fast-1")["BackupDetails"]
        self.assertEqual(d["BackupStatus"], "AVAILABLE")
        self.assertEqual(ddb.delete_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]["BackupArn"], arn)


class TestListUsersPaging(GapTest):
    @classmethod
    def setUpClass(cls):
        iam = W.client("iam", "admin:" + M1)
        cls.names = sorted([f"pager-{i:03d}" for i in range(23)] + ["Pager-Upper"], key=lambda n: (n.lower(), n))
        for n in cls.names:
            iam.create_user(UserName=n, Path="/pagers/")

    def test_max_items_and_marker(self):
        iam = W.member_client("iam", M1, as_role=True)  # fleetvault's member role
        got, marker, pages = [], None, 0
        while True:
            kw = {"PathPrefix": "/pagers/", "MaxItems": 10}
            if marker:
                kw["Marker"] = marker
            resp = iam.list_users(**kw)
            pages += 1
            got += [u["UserName"] for u in resp["Users"]]
            if not resp["IsTruncated"]:
                self.assertNotIn("Marker", resp)
                break
            self.assertEqual(len(resp["Users"]), 10)
            marker = resp["Marker"]
        self.assertEqual(pages, 3)
        self.assertEqual(got, self.names)
        # default page is 100; the paginator follows the markers
        self.assertFalse(iam.list_users(PathPrefix="/pagers/")["IsTruncated"])
        names = [u["UserName"] for p in iam.get_paginator("list_users").paginate(
            PathPrefix="/pagers/", PaginationConfig={"PageSize": 5}) for u in p["Users"]]
        self.assertEqual(names, self.names)

    def test_marker_after_deleted_user_and_bad_input(self):
        admin = W.client("iam", "admin:" + M1)
        for n in ("gone-a", "gone-b", "gone-c"):
            admin.create_user(UserName=n, Path="/gone/")
        first = admin.list_users(PathPrefix="/gone/", MaxItems=1)
        self.assertTrue(first["IsTruncated"])
        admin.delete_user(UserName="gone-a")
        rest = admin.list_users(PathPrefix="/gone/", Marker=first["Marker"])
        self.assertEqual([u["UserName"] for u in rest["Users"]], ["gone-b", "gone-c"])
        for kw in ({"MaxItems": 1001}, {"Marker": "not-a-marker"}):
            with self.subTest(kw), self.assertRaises(ClientError) as ctx:
                admin.list_users(**kw)
            self.assertEqual(code_of(ctx), "ValidationError")


class TestS3Checksums(GapTest):
    def s3(self):
        return W.client("s3")  # the fleetvault principal

    def test_put_object_sha256_verified(self):
        s3 = self.s3()
        body = b"backup manifest\n" * 100
        r = s3.put_object(Bucket=BUCKET, Key="ck/good", Body=body, ChecksumSHA256=b64sha(body))
        self.assertEqual(r["ChecksumSHA256"], b64sha(body))
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=BUCKET, Key="ck/bad", Body=body, ChecksumSHA256=b64sha(b"other"))
        self.assertEqual(code_of(ctx), "BadDigest")
        self.assertEqual(status_of(ctx), 400)
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "The SHA256 you specified did not match the calculated checksum.")
        with self.assertRaises(ClientError) as ctx:
            s3.head_object(Bucket=BUCKET, Key="ck/bad")
        self.assertEqual(status_of(ctx), 404)  # nothing stored
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=BUCKET, Key="ck/bad", Body=body, ChecksumSHA256="not base64!")
        self.assertEqual(code_of(ctx), "InvalidRequest")
        # raw request with only x-amz-checksum-sha256 (no SDK header): stored and answered
        status, headers, _ = W.raw("PUT", f"/{BUCKET}/ck/raw", "s3", body=body, s3=True,
                                   headers={"Content-Type": "application/octet-stream",
                                            "x-amz-checksum-sha256": b64sha(body)})
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-amz-checksum-sha256"], b64sha(body))
        for key in ("ck/good", "ck/raw"):
            h = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
            self.assertEqual(h["ChecksumSHA256"], b64sha(body), key)
            self.assertEqual(h["ChecksumType"], "FULL_OBJECT")
            g = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
            self.assertEqual(g["ChecksumSHA256"], b64sha(body))
            self.assertEqual(g["Body"].read(), body)  # botocore validates the checksum too
        self.assertNotIn("ChecksumSHA256", s3.head_object(Bucket=BUCKET, Key="ck/good"))
        self.assertNotIn("ChecksumSHA256", s3.get_object(Bucket=BUCKET, Key="ck/good", Range="bytes=0-9",
                                                         ChecksumMode="ENABLED"))

    def test_checksum_error_comes_after_authorisation(self):
        body = b"x" * 10
        with self.assertRaises(ClientError) as ctx:
            W.client("s3", "limited").put_object(Bucket=BUCKET, Key="ck/denied", Body=body,
                                                 ChecksumSHA256=b64sha(b"y"))
        self.assertEqual(code_of(ctx), "AccessDenied")

    def test_multipart_part_checksums_and_composite(self):
        s3 = self.s3()
        key = "ck/multi"
        parts_data = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail" * 1000]
        up = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ChecksumAlgorithm="SHA256")["UploadId"]
        parts = []
        for i, data in enumerate(parts_data, 1):
            r = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=i, Body=data,
                               ChecksumSHA256=b64sha(data))
            self.assertEqual(r["ChecksumSHA256"], b64sha(data))  # echoed
            parts.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumSHA256": b64sha(data)})
        # a part whose body does not match its checksum
        with self.assertRaises(ClientError) as ctx:
            s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=4, Body=b"abc",
                           ChecksumSHA256=b64sha(b"abd"))
        self.assertEqual(code_of(ctx), "BadDigest")
        # Complete: a wrong part checksum, then a missing one
        wrong = [dict(p) for p in parts]
        wrong[1]["ChecksumSHA256"] = b64sha(b"not the part")
        with self.assertRaises(ClientError) as ctx:
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={"Parts": wrong})
        self.assertEqual(code_of(ctx), "InvalidPart")
        missing = [dict(p) for p in parts]
        del missing[0]["ChecksumSHA256"]
        with self.assertRaises(ClientError) as ctx:
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={"Parts": missing})
        self.assertEqual(code_of(ctx), "InvalidRequest")
        self.assertIn("It was missing for part 1 in the request", ctx.exception.response["Error"]["Message"])
        # the upload is still open after both refusals
        done = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={"Parts": parts})
        composite = base64.b64encode(hashlib.sha256(
            b"".join(hashlib.sha256(d).digest() for d in parts_data)).digest()).decode() + "-3"
        self.assertEqual(done["ChecksumSHA256"], composite)
        h = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(h["ChecksumSHA256"], composite)
        self.assertEqual(h["ChecksumType"], "COMPOSITE")
        g = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
        self.assertEqual(g["ChecksumSHA256"], composite)
        self.assertEqual(g["Body"].read(), b"".join(parts_data))


class TestNewFaultKinds(GapTest):
    def add(self, **spec):
        status, doc = W.control("POST", "/_world/faults", spec)
        self.assertEqual(status, 200, doc)
        return doc

    def test_error200_on_complete_multipart_upload(self):
        s3 = W.client("s3")
        key = "faults/error200"
        up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
        etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=1, Body=b"only part")["ETag"]
        parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
        self.add(kind="error200", operation="CompleteMultipartUpload", count=2)
        with self.assertRaises(ClientError) as ctx:  # botocore turns a 200 <Error> into an error
            s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload=parts)
        self.assertEqual(code_of(ctx), "InternalError")
        body = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                "</CompleteMultipartUpload>" % etag).encode()
        status, _, resp = W.raw("POST", f"/{BUCKET}/{key}?uploadId={up}", "s3", body=body, s3=True)
        self.assertEqual(status, 200)
        self.assertIn(b"<Error><Code>InternalError</Code><Message>We encountered an internal error. "
                      b"Please try again.</Message>", resp)
        with self.assertRaises(ClientError):
            s3.head_object(Bucket=BUCKET, Key=key)  # not performed
        s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload=parts)
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), b"only part")
        log = W.control("GET", "/_world/requests?limit=20")[1]["recent"]
        self.assertIn("error200", [r.get("fault") for r in log])

    def test_unprocessed_batch_write_items_are_not_written(self):
        admin = W.client("dynamodb", "admin:" + M1)
        make_table(admin, "batchy")
        make_table(admin, "batchy2")
        ddb = admin  # BatchWriteItem is not in the member role's policy
        self.add(kind="unprocessed", fraction=0.4, account=M1)
        items = {"batchy": [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(6)],
                 "batchy2": [{"PutRequest": {"Item": {"pk": {"S": f"z{i}"}}}} for i in range(4)]}
        resp = admin.batch_write_item(RequestItems=items)  # crc32 of the rewritten response checks out
        un = resp["UnprocessedItems"]
        self.assertEqual(un, {"batchy2": items["batchy2"]})  # the last ceil(10 * 0.4) = 4
        self.assertEqual(admin.scan(TableName="batchy")["Count"], 6)
        self.assertEqual(admin.scan(TableName="batchy2")["Count"], 0)
        # resend: the fault was used up, everything is written
        self.assertEqual(ddb.batch_write_item(RequestItems=un)["UnprocessedItems"], {})
        self.assertEqual(admin.scan(TableName="batchy2")["Count"], 4)
        # all of a batch unprocessed -> ProvisionedThroughputExceededException, nothing written
        self.add(kind="unprocessed", fraction=1.0)
        with self.assertRaises(ClientError) as ctx:
            ddb.batch_write_item(RequestItems={"batchy": [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
        self.assertEqual(code_of(ctx), "ProvisionedThroughputExceededException")
        self.assertEqual(admin.scan(TableName="batchy")["Count"], 6)
        # only BatchWriteItem matches; other calls pass
        self.add(kind="unprocessed", count=-1)
        admin.put_item(TableName="batchy", Item={"pk": {"S": "direct"}})
        resp = ddb.batch_write_item(RequestItems={"batchy": [
            {"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "k1"}}}}]})
        self.assertEqual(len(resp["UnprocessedItems"]["batchy"]), 1)
        self.assertEqual(admin.scan(TableName="batchy")["Count"], 6)
        # a still-authenticated request: a wrong signature is refused, nothing written
        bad = dict(W.creds("admin:" + M1), aws_secret_access_key="wrong")
        with self.assertRaises(ClientError) as ctx:
            W.client("dynamodb", **bad).batch_write_item(RequestItems=items)
        self.assertEqual(code_of(ctx), "SignatureDoesNotMatch")

    def test_fault_validation(self):
        for spec in ({"kind": "unprocessed", "fraction": 0}, {"kind": "unprocessed", "fraction": 1.5},
                     {"kind": "throttle", "fraction": 0.5}):
            with self.subTest(spec):
                self.assertEqual(W.control("POST", "/_world/faults", spec)[0], 400)
        self.assertEqual(W.control("POST", "/_world/settings", {"ddb_backup_delay_s": -1})[0], 400)


class TestIonExport(GapTest):
    """ExportFormat ION (moto writes DYNAMODB_JSON whatever the format; the
    layer writes Ion text, fvworld/ion_text.py): the exact bytes of one full
    and one incremental export, every attribute type."""

    def test_ion_export_bytes(self):
        admin = W.client("dynamodb", "admin:" + M1)
        s3 = W.client("s3", "admin:" + M1)
        s3.create_bucket(Bucket="ion-exports")
        make_table(admin, "ion-t")
        admin.update_continuous_backups(TableName="ion-t",
                                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        admin.put_item(TableName="ion-t", Item={
            "pk": {"S": "a\"b\\c\n\u00e9\U0001F600"}, "n": {"N": "-1.5"}, "big": {"N": "12345678901234567890.123"},
            "tiny": {"N": "0.000000001"}, "e": {"N": "1E+5"}, "i": {"N": "7"}, "b": {"B": b"\x00\x01"},
            "t": {"BOOL": True}, "z": {"NULL": True}, "odd name": {"M": {"null": {"S": "x"}, "$x": {"L": []}}},
            "l": {"L": [{"N": "1"}, {"S": "s"}, {"BOOL": False}]}, "ss": {"SS": ["p", "it's"]},
            "ns": {"NS": ["0.012"]}, "bs": {"BS": [b"\xff"]}})
        arn = f"arn:aws:dynamodb:us-east-1:{M1}:table/ion-t"
        W.advance_clock(60)

        def export(**kw):
            d = admin.export_table_to_point_in_time(TableArn=arn, S3Bucket="ion-exports", S3Prefix="ion",
                                                    ExportFormat="ION", **kw)["ExportDescription"]
            for _ in range(100):
                d = admin.describe_export(ExportArn=d["ExportArn"])["ExportDescription"]
                if d["ExportStatus"] != "IN_PROGRESS":
                    break
                time.sleep(0.1)
            self.assertEqual(d["ExportStatus"], "COMPLETED")
            self.assertEqual(d["ExportFormat"], "ION")
            summary = json.loads(s3.get_object(Bucket="ion-exports", Key=d["ExportManifest"])["Body"].read())
            self.assertEqual(summary["outputFormat"], "ION")
            files = [json.loads(x) for x in s3.get_object(Bucket="ion-exports", Key=summary["manifestFilesS3Key"])
                     ["Body"].read().decode().splitlines()]
            self.assertEqual(len(files), 1)
            self.assertRegex(files[0]["dataFileS3Key"],
                             r"^ion/AWSDynamoDB/[0-9]{14}-[0-9a-f]{8}/data/[0-9a-f]+\.ion\.gz$")
            return gzip.decompress(s3.get_object(Bucket="ion-exports", Key=files[0]["dataFileS3Key"])["Body"].read())

        item = (b'pk:"a\\"b\\\\c\\n\\u00e9\\U0001f600",n:-1.5,big:12345678901234567890.123,tiny:1d-9,e:1d5,i:7.,'
                b'b:{{AAE=}},t:true,z:null,\'odd name\':{\'null\':"x",\'$x\':[]},l:[1.,"s",false],'
                b'ss:$dynamodb_SS::["p","it\'s"],ns:$dynamodb_NS::[0.012],bs:$dynamodb_BS::[{{/w==}}]')
        self.assertEqual(export(), b"$ion_1_0 {Item:{" + item + b"}}\n")
        t0 = W.world_now()
        admin.delete_item(TableName="ion-t", Key={"pk": {"S": "a\"b\\c\n\u00e9\U0001F600"}})
        W.advance_clock(16 * 60)
        raw = export(ExportType="INCREMENTAL_EXPORT",
                     IncrementalExportSpecification={"ExportFromTime": t0 - 1, "ExportToTime": W.world_now() - 1})
        self.assertRegex(raw, rb"^\{Metadata:\{WriteTimestampMicros:[0-9]{16}\.\},Keys:\{pk:\"a\\\"b[^}]*\},"
                              rb"OldImage:\{" + re.escape(item) + rb"\}\}\n$")


if __name__ == "__main__":
    unittest.main()
