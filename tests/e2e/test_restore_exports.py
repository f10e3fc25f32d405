"""Restore from DynamoDB exports, end to end against the test world's
export layer (real incremental windows, the world clock): a table with PITR
is written and deleted from across three 15-minute windows, snapshotted with
boto3 at each window boundary, exported (a full export and three
incrementals, taken with boto3 as the account's admin), then rebuilt with
`fleetvault restore dynamodb --from-exports ... --to T` for each boundary and
compared item for item (the target made with the source's key schema
and index). `verify --exports` passes on the untouched chain and
names the data file that was tampered with.

fleetvault runs without a fleet config, as the member account's admin (the
default credentials act everywhere, the exports bucket is the account's
own): the cross-account central-bucket case needs the IAM grants listed in
docs/EXPORTS_RESTORE.md.

And the matrix (TestRestoreFromAJobsChains): three tables in two accounts,
ten windows of a dynamodb_exports job's chains in the central bucket, with
puts, updates and deletes in each; restored as the central admin at three
times per table, each equal to the table as scanned then.

And the disaster (TestRestoreWhenTheSourceIsGone): a job's chain, the source
table deleted, restored into a new table made from the export's schema."""

import datetime
import os
import random
import time
import unittest

from fvtest import WorldProcess, admin, fleet_config, grant_exports, load_manifest, run, tmpdir

ACCT = "111111111111"
BUCKET = "exports-111111111111"
PREFIX = "ledger-exports"
WINDOW = 900


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def setUpModule():
    global W, ENV
    W = WorldProcess.start(fleet="small")
    member_admin = W.principals["members"][ACCT]["admin"]
    ENV = {"AWS_ACCESS_KEY_ID": member_admin["access_key_id"],
           "AWS_SECRET_ACCESS_KEY": member_admin["secret_access_key"],
           "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1"}
    admin(W, "s3", ACCT).create_bucket(Bucket=BUCKET)


def tearDownModule():
    W.stop()


def item(pk, sk, v):
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "v": {"S": v}, "n": {"N": str(len(v))}}


class TestRestoreFromExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ddb = admin(W, "dynamodb", ACCT)
        cls.s3 = admin(W, "s3", ACCT)
        cls.env = ENV
        cls.ddb.create_table(TableName="ledger", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "N"},
                                                   {"AttributeName": "v", "AttributeType": "S"}],
                             GlobalSecondaryIndexes=[{"IndexName": "by-v",
                                                      "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
                                                      "Projection": {"ProjectionType": "KEYS_ONLY"}}])
        cls.ddb.update_continuous_backups(TableName="ledger",
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        # state at t0: 60 items (two pages of BatchWriteItem for the restore)
        for i in range(60):
            cls.ddb.put_item(TableName="ledger", Item=item(f"k{i:03d}", i % 3, f"v0-{i}"))
        W.advance_clock(10)
        cls.t0 = int(W.world_now()) + 1
        W.advance_clock(2)
        cls.snap = {cls.t0: cls.scan("ledger")}
        # three windows of changes: updates, deletes, re-creates
        phases = [
            lambda d: ([d.put_item(TableName="ledger", Item=item(f"k{i:03d}", i % 3, f"v1-{i}")) for i in range(0, 20)],
                       [d.delete_item(TableName="ledger", Key={"pk": {"S": f"k{i:03d}"}, "sk": {"N": str(i % 3)}})
                        for i in range(40, 50)]),
            lambda d: ([d.put_item(TableName="ledger", Item=item(f"k{i:03d}", i % 3, f"v2-{i}")) for i in range(40, 45)],
                       [d.put_item(TableName="ledger", Item=item(f"new{i}", 7, "x" * (i + 1))) for i in range(30)],
                       [d.delete_item(TableName="ledger", Key={"pk": {"S": f"k{i:03d}"}, "sk": {"N": str(i % 3)}})
                        for i in range(0, 5)]),
            lambda d: ([d.delete_item(TableName="ledger", Key={"pk": {"S": f"new{i}"}, "sk": {"N": "7"}})
                        for i in range(10)],
                       # created and deleted inside the window: absent from it
                       d.put_item(TableName="ledger", Item=item("ghost", 1, "boo")),
                       d.delete_item(TableName="ledger", Key={"pk": {"S": "ghost"}, "sk": {"N": "1"}}),
                       d.update_item(TableName="ledger", Key={"pk": {"S": "k030"}, "sk": {"N": "0"}},
                                     UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "upd"}})),
        ]
        for k, phase in enumerate(phases):
            phase(cls.ddb)
            W.advance_clock(WINDOW)
            cls.snap[cls.t0 + (k + 1) * WINDOW] = cls.scan("ledger")
        W.advance_clock(60)
        arn = cls.ddb.describe_table(TableName="ledger")["Table"]["TableArn"]
        arns = [cls.ddb.export_table_to_point_in_time(
            TableArn=arn, ExportTime=datetime.datetime.fromtimestamp(cls.t0, datetime.timezone.utc),
            S3Bucket=BUCKET, S3Prefix=PREFIX, ExportFormat="DYNAMODB_JSON",
            ClientToken="full-0")["ExportDescription"]["ExportArn"]]
        for k in range(3):
            frm, to = cls.t0 + k * WINDOW, cls.t0 + (k + 1) * WINDOW
            arns.append(cls.ddb.export_table_to_point_in_time(
                TableArn=arn, S3Bucket=BUCKET, S3Prefix=PREFIX, ExportFormat="DYNAMODB_JSON",
                ExportType="INCREMENTAL_EXPORT", ClientToken=f"inc-{k}",
                IncrementalExportSpecification={
                    "ExportFromTime": datetime.datetime.fromtimestamp(frm, datetime.timezone.utc),
                    "ExportToTime": datetime.datetime.fromtimestamp(to, datetime.timezone.utc),
                    "ExportViewType": "NEW_IMAGE" if k == 1 else "NEW_AND_OLD_IMAGES"})["ExportDescription"]["ExportArn"])
        deadline = time.time() + 60
        while time.time() < deadline:
            st = [cls.ddb.describe_export(ExportArn=a)["ExportDescription"]["ExportStatus"] for a in arns]
            if all(s == "COMPLETED" for s in st):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"exports not COMPLETED: {st}")

    @classmethod
    def scan(cls, table):
        out, kw = {}, {}
        while True:
            page = cls.ddb.scan(TableName=table, ConsistentRead=True, **kw)
            for it in page["Items"]:
                out[(it["pk"]["S"], it["sk"]["N"])] = it
            if "LastEvaluatedKey" not in page:
                return out
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def restore(self, target, to=None, extra=(), expect=0):
        args = ["restore", "dynamodb", "--from-exports", f"s3://{BUCKET}/{PREFIX}/", "--target-table", target]
        if to is not None:
            args += ["--to", iso(to)]
        r = run(args + list(extra), W, env_extra=self.env)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def test_restore_at_each_window_boundary_equals_the_snapshot(self):
        # the snapshots differ, so each comparison tells the times apart
        times = sorted(self.snap)
        self.assertEqual(len({frozenset(self.snap[t]) for t in times}), 4)
        for n, t in enumerate(times[1:] + [None]):
            target = f"ledger-at-{n}"
            r = self.restore(target, to=t)
            want = self.snap[t if t is not None else times[-1]]
            got = self.scan(target)
            self.assertEqual(set(got), set(want), f"--to {t}: keys differ")
            for k in want:
                self.assertEqual(got[k], want[k], f"--to {t}: item {k}")
            self.assertIn(f"restored to {iso(t if t is not None else times[-1])}", r.stdout)
        desc = self.ddb.describe_table(TableName="ledger-at-0")["Table"]
        self.assertEqual(desc["KeySchema"], [{"AttributeName": "pk", "KeyType": "HASH"},
                                             {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.assertEqual([(g["IndexName"], g["KeySchema"], g["Projection"]["ProjectionType"])
                          for g in desc.get("GlobalSecondaryIndexes", [])],
                         [("by-v", [{"AttributeName": "v", "KeyType": "HASH"}], "KEYS_ONLY")])

    def test_a_time_inside_a_window_restores_to_the_boundary_before_it(self):
        r = self.restore("ledger-mid", to=self.t0 + WINDOW + WINDOW // 2)
        self.assertEqual(self.scan("ledger-mid"), self.snap[self.t0 + WINDOW])
        self.assertIn("note:", r.stdout)

    def test_a_non_empty_target_is_refused_without_overwrite(self):
        self.restore("ledger-twice", to=self.t0)
        r = self.restore("ledger-twice", expect=1)
        self.assertIn("ledger-twice", r.stderr)
        self.assertIn("--overwrite", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        self.assertEqual(self.scan("ledger-twice"), self.snap[self.t0])  # untouched
        self.restore("ledger-twice", extra=["--overwrite"])
        self.assertEqual(self.scan("ledger-twice"), self.snap[max(self.snap)])

    def test_a_time_before_the_full_export_is_refused(self):
        r = self.restore("ledger-early", to=self.t0 - 5, expect=1)
        self.assertIn(f"s3://{BUCKET}/{PREFIX}", r.stderr)
        self.assertNotIn("ledger-early", self.ddb.list_tables()["TableNames"])

    def test_verify_checks_every_data_file(self):
        r = run(["verify", "--exports", f"s3://{BUCKET}/{PREFIX}"], W, env_extra=self.env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("4 exports, 4 of 4 data files verified", r.stdout)
        # boto3 made the full export: no schema object beside it, a warning only
        self.assertRegex(r.stdout, rf"WARN  s3://{BUCKET}/{PREFIX}/AWSDynamoDB/[^/]+/fleetvault-table.json: "
                                   "no table schema")
        self.assertNotIn("BAD", r.stdout)
        # tamper with a copy of the chain (the other tests read the original)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]]
        for k in keys:
            body = self.s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()
            self.s3.put_object(Bucket=BUCKET, Key="tampered/" + k[len(PREFIX) + 1:],
                               Body=body.replace(PREFIX.encode() + b"/", b"tampered/"))
        bad = sorted(k for k in keys if "/data/" in k)[0].replace(PREFIX, "tampered", 1)
        body = bytearray(self.s3.get_object(Bucket=BUCKET, Key=bad)["Body"].read())
        body[len(body) // 2] ^= 0x55
        self.s3.put_object(Bucket=BUCKET, Key=bad, Body=bytes(body))
        r = run(["verify", "--exports", f"s3://{BUCKET}/tampered"], W, env_extra=self.env)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"BAD   s3://{BUCKET}/{bad}: MD5", r.stdout)
        self.assertIn("3 of 4 data files verified", r.stdout)


class TestRestoreFromAJobsChains(unittest.TestCase):
    """The matrix: three tables in two accounts (one with a range key), each
    a chain of a dynamodb_exports job in the central bucket (moved over from
    the seed: its full export, then ten windows exported by ten runs of the
    job), with puts, updates and deletes in every window. `restore dynamodb
    --from-exports` of each table's prefix at three window ends equals the
    source table as the test scanned it at that time, item for item; the
    restore runs as the central account's admin (the bucket's owner)."""

    CENTRAL = "123456789012"
    CENTRAL_BUCKET = "fleetvault-backups-123456789012"
    TABLES = [("111111111111", "mx-a", False), ("111111111111", "mx-b", True), ("222222222222", "mx-c", False)]
    WINDOWS = 10
    JOB = """
- name: mx
  type: dynamodb_exports
  tables:
    prefixes: [mx-]
  poll_interval_s: 1
"""

    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.cfg = os.path.join(cls.dir, "fleet.yaml")
        fleet_config(cls.cfg, cls.JOB)
        grant_exports(W, cls.JOB, cls.dir)
        central = W.principals["principals"]["admin"]
        cls.env = {"AWS_ACCESS_KEY_ID": central["access_key_id"],
                   "AWS_SECRET_ACCESS_KEY": central["secret_access_key"],
                   "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1"}
        ctl = W.client("dynamodb", who="admin")
        if "fleetvault-control" not in ctl.list_tables()["TableNames"]:
            ctl.create_table(TableName="fleetvault-control", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        cls.t0 = int(time.time()) - cls.WINDOWS * WINDOW - 120  # the chains' full exports
        cls.snap = {}  # (table, time) -> {key: item}
        W.set_clock(int(cls.t0 - 300 - time.time()))
        for acct, t, ranged in cls.TABLES:
            ddb = admin(W, "dynamodb", acct)
            keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
            attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
            if ranged:
                keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
                attrs.append({"AttributeName": "sk", "AttributeType": "N"})
            ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST", KeySchema=keys, AttributeDefinitions=attrs)
            ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": True})
            for i in range(12):
                ddb.put_item(TableName=t, Item=cls.item(f"base{i:02d}", ranged, f"v0-{i}"))
            cls.snap[(t, cls.t0)] = cls.scan(acct, t)
        # Each window: new items, updates and deletes of what is there.
        for k in range(cls.WINDOWS):
            W.set_clock(int(cls.t0 + k * WINDOW + 60 - time.time()))
            for acct, t, ranged in cls.TABLES:
                ddb = admin(W, "dynamodb", acct)
                rng = random.Random(f"{t}-{k}")
                have = sorted(cls.snap[(t, cls.t0 + k * WINDOW)].values(), key=lambda i: i["pk"]["S"])
                for it in rng.sample(have, min(3, len(have))):
                    ddb.put_item(TableName=t, Item=cls.item(it["pk"]["S"], ranged, f"v{k + 1}-upd"))
                for it in rng.sample(have, min(2, len(have))):
                    ddb.delete_item(TableName=t, Key={a: it[a] for a in (("pk", "sk") if ranged else ("pk",))})
                for j in range(4):
                    ddb.put_item(TableName=t, Item=cls.item(f"w{k}-{j}", ranged, f"v{k + 1}-new"))
                cls.snap[(t, cls.t0 + (k + 1) * WINDOW)] = cls.scan(acct, t)
        W.set_clock(0)
        for acct, t, _ in cls.TABLES:
            cls.full_export(acct, t)
        for k in range(cls.WINDOWS):
            out = os.path.join(cls.dir, f"run-{k}")
            os.mkdir(out)
            r = run(["backup", "--config", cls.cfg, "--job", "mx", "--output-dir", out, "--no-progress"], W)
            assert r.returncode == 0, r.stdout + r.stderr
            done = sorted((x["resource"], x["status"], int(x["outputs"][0]["export_from_ms"]))
                          for x in load_manifest(out)["resources"] if x["kind"] == "dynamodb.export")
            assert done == [(t, "SUCCEEDED", (cls.t0 + k * WINDOW) * 1000) for _, t, _ in cls.TABLES], done
            time.sleep(1.1)  # run ids have one-second resolution

    @staticmethod
    def item(pk, ranged, v):
        it = {"pk": {"S": pk}, "v": {"S": v}, "n": {"N": str(len(v))}, "m": {"M": {"at": {"S": v}}}}
        if ranged:
            it["sk"] = {"N": str(len(pk) % 3)}
        return it

    @staticmethod
    def scan(acct, t, who=None):
        ddb = W.client("dynamodb", who=who) if who else admin(W, "dynamodb", acct)
        out, kw = {}, {}
        while True:
            page = ddb.scan(TableName=t, ConsistentRead=True, **kw)
            for it in page["Items"]:
                out[(it["pk"]["S"], it.get("sk", {}).get("N"))] = it
            if "LastEvaluatedKey" not in page:
                return out
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @classmethod
    def prefix(cls, acct, t):
        return f"dynamodb-exports/mx/{acct}/us-east-1/{t}"

    @classmethod
    def full_export(cls, acct, t):
        """The chain's full export at t0 (as the seed made it), into the job's
        prefix in the central bucket, and its state as import-state leaves it."""
        ddb = admin(W, "dynamodb", acct)
        arn = ddb.export_table_to_point_in_time(
            TableArn=ddb.describe_table(TableName=t)["Table"]["TableArn"],
            ExportTime=datetime.datetime.fromtimestamp(cls.t0, datetime.timezone.utc),
            S3Bucket=cls.CENTRAL_BUCKET, S3BucketOwner=cls.CENTRAL, S3Prefix=cls.prefix(acct, t),
            ExportFormat="DYNAMODB_JSON")["ExportDescription"]["ExportArn"]
        deadline = time.time() + 120
        while ddb.describe_export(ExportArn=arn)["ExportDescription"]["ExportStatus"] != "COMPLETED":
            assert time.time() < deadline, arn
            time.sleep(0.3)
        W.client("dynamodb", who="admin").put_item(TableName="fleetvault-control", Item={
            "pk": {"S": f"export#mx#{acct}#us-east-1#{t}"},
            "job": {"S": "mx"}, "account": {"S": acct}, "region": {"S": "us-east-1"}, "table": {"S": t},
            "workflow-initiated": {"S": "true"}, "full-export-time": {"N": str(cls.t0 * 1000)},
            "last-incremental-export-time": {"N": str(cls.t0 * 1000)}, "workflow-state": {"S": "NORMAL"},
            "workflow-action": {"S": "RUN"}, "version": {"N": "1"}})

    def test_restore_at_three_times_equals_each_table_then(self):
        central = W.client("dynamodb", who="admin")
        for n, (acct, t, ranged) in enumerate(self.TABLES):
            times = [self.t0 + (1 + n) * WINDOW, self.t0 + (5 + n) * WINDOW, self.t0 + self.WINDOWS * WINDOW]
            for to in times:
                # The central admin cannot describe the source (another
                # account's) for its key schema: the target is made first,
                # empty, as docs/EXPORTS_RESTORE.md says when the source is gone.
                target = f"{t}-at-{to - self.t0}"
                desc = admin(W, "dynamodb", acct).describe_table(TableName=t)["Table"]
                central.create_table(TableName=target, BillingMode="PAY_PER_REQUEST", KeySchema=desc["KeySchema"],
                                     AttributeDefinitions=desc["AttributeDefinitions"])
                args = ["restore", "dynamodb", "--from-exports", f"s3://{self.CENTRAL_BUCKET}/{self.prefix(acct, t)}/",
                        "--target-table", target, "--to", iso(to)]
                r = run(args, W, env_extra=self.env)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn(f"restored to {iso(to)}", r.stdout)
                want, got = self.snap[(t, to)], self.scan(self.CENTRAL, target, who="admin")
                self.assertEqual(set(got), set(want), f"{t} --to {iso(to)}: keys differ")
                for k in want:
                    self.assertEqual(got[k], want[k], f"{t} --to {iso(to)}: item {k}")
        # The snapshots differ from window to window: each comparison tells the times apart.
        for _, t, _ in self.TABLES:
            shots = [frozenset((k, str(v)) for k, v in self.snap[(t, self.t0 + w * WINDOW)].items())
                     for w in range(self.WINDOWS + 1)]
            self.assertEqual(len(set(shots)), self.WINDOWS + 1, t)


class TestRestoreLargeExport(unittest.TestCase):
    """A data file of several 256 KiB ranges (random text compresses badly)."""

    def test_a_large_data_file_is_restored_whole(self):
        ddb = admin(W, "dynamodb", ACCT)
        ddb.create_table(TableName="bulk", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        ddb.update_continuous_backups(TableName="bulk",
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        want = {}
        for start in range(0, 4000, 25):
            reqs = []
            for i in range(start, start + 25):
                it = {"id": {"S": f"id{i:05d}"}, "blob": {"S": os.urandom(128).hex()},
                      "tags": {"SS": [f"t{i % 7}", "all"]}, "nested": {"M": {"n": {"N": str(i)}}}}
                want[it["id"]["S"]] = it
                reqs.append({"PutRequest": {"Item": it}})
            ddb.batch_write_item(RequestItems={"bulk": reqs})
        W.advance_clock(30)
        arn = ddb.describe_table(TableName="bulk")["Table"]["TableArn"]
        exp = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="bulk-exports",
                                                ExportFormat="DYNAMODB_JSON")["ExportDescription"]["ExportArn"]
        deadline = time.time() + 60
        while ddb.describe_export(ExportArn=exp)["ExportDescription"]["ExportStatus"] != "COMPLETED":
            self.assertLess(time.time(), deadline)
            time.sleep(0.3)
        s3 = admin(W, "s3", ACCT)
        sizes = [o["Size"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="bulk-exports")["Contents"]
                 if o["Key"].endswith(".json.gz")]
        self.assertEqual(len(sizes), 1)
        self.assertGreater(sizes[0], 2 * 256 * 1024)
        env = ENV
        r = run(["restore", "dynamodb", "--from-exports", f"s3://{BUCKET}/bulk-exports", "--target-table",
                 "bulk-restored"], W, env_extra=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("4000 puts, 0 deletes", r.stdout)
        got, kw = {}, {}
        while True:
            page = ddb.scan(TableName="bulk-restored", **kw)
            for it in page["Items"]:
                got[it["id"]["S"]] = it
            if "LastEvaluatedKey" not in page:
                break
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        self.assertEqual(len(got), 4000)
        for k, it in want.items():
            it = dict(it, tags={"SS": sorted(it["tags"]["SS"])})
            self.assertEqual(dict(got[k], tags={"SS": sorted(got[k]["tags"]["SS"])}), it, k)


class TestRestoreWhenTheSourceIsGone(unittest.TestCase):
    """The disaster the central copy is for: a dynamodb_exports job's chain
    of a table with a range key, a GSI and an LSI (the job's full export
    writes the table's schema beside it), then the SOURCE TABLE DELETED;
    `restore dynamodb --from-exports --config` (as the fleet's central
    principal, with what `fleetvault iam-policy` grants) into a new table of
    that account makes it with the same key schema and indexes, holding the
    items of the snapshot. Before the schema object existed, the target had
    to be made by hand (the matrix above still does: the seed's full
    exports carry none)."""

    ACCT = "222222222222"
    CENTRAL_BUCKET = "fleetvault-backups-123456789012"
    JOB = """
- name: dr
  type: dynamodb_exports
  tables:
    prefixes: [dr-]
  poll_interval_s: 1
"""
    KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    GSI = [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}]
    LSI = [{"IndexName": "by-l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                               {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}]

    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.cfg = os.path.join(cls.dir, "fleet.yaml")
        fleet_config(cls.cfg, cls.JOB)
        grant_exports(W, cls.JOB, cls.dir)
        # the central principal's grants for this job too (its reads of the
        # exports): the restore runs as fleetvault, as an operator would
        with open(os.path.join(cls.dir, "iam", "fleetvault-central-policy.json")) as f:
            user = W.principals["principals"]["fleetvault"]["arn"].split("/")[-1]
            W.client("iam", who="admin").put_user_policy(UserName=user, PolicyName="fleetvault-dr-exports",
                                                         PolicyDocument=f.read())
        ctl = W.client("dynamodb", who="admin")
        if "fleetvault-control" not in ctl.list_tables()["TableNames"]:
            ctl.create_table(TableName="fleetvault-control", BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        cls.ddb = admin(W, "dynamodb", cls.ACCT)
        W.set_clock(-7200)  # the table and its PITR history older than the full export
        cls.ddb.create_table(TableName="dr-orders", BillingMode="PAY_PER_REQUEST", KeySchema=cls.KEYS,
                             AttributeDefinitions=[{"AttributeName": a, "AttributeType": t}
                                                   for a, t in (("pk", "S"), ("sk", "N"), ("g", "S"), ("l", "N"))],
                             GlobalSecondaryIndexes=cls.GSI, LocalSecondaryIndexes=cls.LSI)
        cls.ddb.update_continuous_backups(TableName="dr-orders", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": True})
        for i in range(30):
            cls.ddb.put_item(TableName="dr-orders", Item={
                "pk": {"S": f"o{i:02d}"}, "sk": {"N": str(i % 4)}, "g": {"S": f"g{i % 5}"},
                "l": {"N": str(i * 7)}, "v": {"M": {"at": {"S": f"v{i}"}}}})
        W.set_clock(0)
        cls.snap = cls.scan("dr-orders")
        out = os.path.join(cls.dir, "run")
        os.mkdir(out)
        r = run(["backup", "--config", cls.cfg, "--job", "dr", "--output-dir", out, "--no-progress"], W)
        assert r.returncode == 0, r.stdout + r.stderr
        done = [(x["status"], x["outputs"][0].get("export_type"), x["outputs"][0].get("schema_error"))
                for x in load_manifest(out)["resources"] if x["kind"] == "dynamodb.export"]
        assert done == [("SUCCEEDED", "FULL_EXPORT", None)], done

    @classmethod
    def scan(cls, t):
        out, kw = {}, {}
        while True:
            page = cls.ddb.scan(TableName=t, ConsistentRead=True, **kw)
            for it in page["Items"]:
                out[(it["pk"]["S"], it["sk"]["N"])] = it
            if "LastEvaluatedKey" not in page:
                return out
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def test_the_target_is_made_from_the_exports_schema_when_the_source_is_gone(self):
        prefix = f"dynamodb-exports/dr/{self.ACCT}/us-east-1/dr-orders"
        s3 = W.client("s3", who="admin")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=self.CENTRAL_BUCKET, Prefix=prefix)["Contents"]]
        schema = [k for k in keys if k.endswith("/fleetvault-table.json")]
        self.assertEqual(len(schema), 1, keys)
        self.assertRegex(schema[0], rf"^{prefix}/AWSDynamoDB/[^/]+/fleetvault-table.json$")
        self.ddb.delete_table(TableName="dr-orders")
        self.assertNotIn("dr-orders", self.ddb.list_tables()["TableNames"])
        r = run(["restore", "dynamodb", "--from-exports", f"s3://{self.CENTRAL_BUCKET}/{prefix}/",
                 "--target-table", "dr-orders-back", "--config", self.cfg], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        desc = self.ddb.describe_table(TableName="dr-orders-back")["Table"]
        self.assertEqual(desc["KeySchema"], self.KEYS)
        self.assertEqual([(g["IndexName"], g["KeySchema"], g["Projection"]) for g in desc["GlobalSecondaryIndexes"]],
                         [(g["IndexName"], g["KeySchema"], g["Projection"]) for g in self.GSI])
        self.assertEqual([(x["IndexName"], x["KeySchema"], x["Projection"]) for x in desc["LocalSecondaryIndexes"]],
                         [(x["IndexName"], x["KeySchema"], x["Projection"]) for x in self.LSI])
        got = self.scan("dr-orders-back")
        self.assertEqual(set(got), set(self.snap))
        for k in self.snap:
            self.assertEqual(got[k], self.snap[k], k)
        # verify --exports: the chain has its schema, so no warning
        r = run(["verify", "--exports", f"s3://{self.CENTRAL_BUCKET}/{prefix}", "--config", self.cfg], W)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("warning:", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
