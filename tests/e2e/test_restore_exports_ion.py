"""Restore from ION exports, end to end: a table holding every attribute
type (S with escapes and non-ASCII text, N large, tiny and precise, B, BOOL,
NULL, M with names Ion must quote, L, SS, NS, BS) is written, updated and
deleted from across three 15-minute windows and snapshotted with boto3 at
each boundary; the chain is a full export and three incrementals in
ExportFormat ION except the second window (DYNAMODB_JSON: a chain may mix
formats across its exports, each read in its own). `restore dynamodb
--from-exports --to T` at two boundaries equals the snapshot item for item
(numbers compared as decimals: DynamoDB keeps a number's value, not its
spelling), and `verify --exports` reads every Ion data file."""

import datetime
import time
import unittest

from boto3.dynamodb.types import TypeDeserializer

from fvtest import WorldProcess, admin, run

ACCT = "111111111111"
BUCKET = "ion-exports-111111111111"
PREFIX = "ion-chain"
WINDOW = 900
DESER = TypeDeserializer()


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


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


def every_type(pk, sk, gen):
    return {
        "pk": {"S": pk}, "sk": {"N": str(sk)},
        "s": {"S": f'gen {gen}: "quoted" \\ back\nslash \u00e9t\u00e9 \u2603 \U0001F600 it\'s'},
        "empty": {"S": ""},
        "big": {"N": "12345678901234567890123456789012345678"},
        "precise": {"N": f"-{gen}.00000000000000000000000000000000001"},
        "tiny": {"N": "1E-100"},
        "huge": {"N": "9.9E+125"},
        "int": {"N": str(gen * 1000)},
        "b": {"B": bytes([0, 1, 2, 255, gen % 256])},
        "yes": {"BOOL": gen % 2 == 0}, "none": {"NULL": True},
        "m": {"M": {"odd key": {"S": "x"}, "null": {"N": "0.5"}, "$dollar": {"L": []}, "1st": {"M": {}},
                    "deep": {"M": {"l": {"L": [{"N": "1"}, {"S": "two"}, {"B": b"\xfe"}, {"BOOL": False},
                                               {"NULL": True}, {"SS": ["in", "list"]}]}}}}},
        "l": {"L": [{"S": "a"}, {"N": "-7"}, {"L": [{"M": {"k": {"S": "v"}}}]}]},
        "ss": {"SS": ["alpha", "\u00df", f"g{gen}"]},
        "ns": {"NS": ["1", "-2.5", "0.000001", f"{gen}E+10"]},
        "bs": {"BS": [b"\x00", b"\xff\xfe", bytes([gen % 256, 7])]},
    }


def plain(items):
    return {k: {a: DESER.deserialize(v) for a, v in it.items()} for k, it in items.items()}


class TestRestoreFromIonExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ddb = ddb = admin(W, "dynamodb", ACCT)
        ddb.create_table(TableName="kinds", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}])
        ddb.update_continuous_backups(TableName="kinds",
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        for i in range(30):
            ddb.put_item(TableName="kinds", Item=every_type(f"k{i:02d}", i % 4, i))
        W.advance_clock(10)
        cls.t0 = int(W.world_now()) + 1
        W.advance_clock(2)
        cls.snap = {cls.t0: cls.scan("kinds")}

        def key(i):
            return {"pk": {"S": f"k{i:02d}"}, "sk": {"N": str(i % 4)}}

        phases = [
            lambda: ([ddb.put_item(TableName="kinds", Item=every_type(f"k{i:02d}", i % 4, 100 + i))
                      for i in range(10)],
                     [ddb.delete_item(TableName="kinds", Key=key(i)) for i in range(20, 25)]),
            lambda: ([ddb.put_item(TableName="kinds", Item=every_type(f"new{i}", 9, 200 + i)) for i in range(8)],
                     [ddb.update_item(TableName="kinds", Key=key(i), UpdateExpression="SET precise = :p, ss = :s",
                                      ExpressionAttributeValues={":p": {"N": "0.1234567890123456789012345678901"},
                                                                 ":s": {"SS": ["updated"]}})
                      for i in range(10, 15)]),
            lambda: ([ddb.delete_item(TableName="kinds", Key=key(i)) for i in range(0, 4)],
                     ddb.update_item(TableName="kinds", Key=key(16), UpdateExpression="REMOVE m, bs"),
                     [ddb.put_item(TableName="kinds", Item=every_type(f"k{i:02d}", i % 4, 300 + i))
                      for i in range(20, 23)]),
        ]
        for k, phase in enumerate(phases):
            phase()
            W.advance_clock(WINDOW)
            cls.snap[cls.t0 + (k + 1) * WINDOW] = cls.scan("kinds")
        W.advance_clock(60)
        arn = ddb.describe_table(TableName="kinds")["Table"]["TableArn"]
        arns = [ddb.export_table_to_point_in_time(
            TableArn=arn, ExportTime=utc(cls.t0), S3Bucket=BUCKET, S3Prefix=PREFIX, ExportFormat="ION",
            ClientToken="full")["ExportDescription"]["ExportArn"]]
        for k in range(3):
            spec = {"ExportFromTime": utc(cls.t0 + k * WINDOW), "ExportToTime": utc(cls.t0 + (k + 1) * WINDOW),
                    "ExportViewType": "NEW_AND_OLD_IMAGES"}
            arns.append(ddb.export_table_to_point_in_time(
                TableArn=arn, S3Bucket=BUCKET, S3Prefix=PREFIX, ExportFormat="DYNAMODB_JSON" if k == 1 else "ION",
                ExportType="INCREMENTAL_EXPORT", ClientToken=f"inc-{k}",
                IncrementalExportSpecification=spec)["ExportDescription"]["ExportArn"])
        deadline = time.time() + 60
        while True:
            st = [ddb.describe_export(ExportArn=a)["ExportDescription"]["ExportStatus"] for a in arns]
            if all(s == "COMPLETED" for s in st):
                break
            if time.time() > deadline:
                raise AssertionError(f"exports not COMPLETED: {st}")
            time.sleep(0.3)

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

    def test_the_chain_is_ion_and_json_as_asked(self):
        s3 = admin(W, "s3", ACCT)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"] if "/data/" in o["Key"]]
        self.assertEqual(sorted(k.rsplit(".", 2)[-2] for k in keys), ["ion", "ion", "ion", "json"])

    def test_restore_at_two_times_equals_the_snapshot(self):
        times = sorted(self.snap)
        self.assertEqual(len({frozenset(self.snap[t]) for t in times}), 4)
        for n, t in enumerate((times[1], times[3])):
            target = f"kinds-at-{n}"
            r = run(["restore", "dynamodb", "--from-exports", f"s3://{BUCKET}/{PREFIX}", "--target-table", target,
                     "--to", iso(t)], W, env_extra=ENV)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(f"restored to {iso(t)}", r.stdout)
            want, got = plain(self.snap[t]), plain(self.scan(target))
            self.assertEqual(set(got), set(want), f"--to {iso(t)}: keys differ")
            for k in want:
                self.assertEqual(got[k], want[k], f"--to {iso(t)}: item {k}")

    def test_verify_reads_the_ion_files(self):
        r = run(["verify", "--exports", f"s3://{BUCKET}/{PREFIX}"], W, env_extra=ENV)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("4 exports, 4 of 4 data files verified", r.stdout)


if __name__ == "__main__":
    unittest.main()
