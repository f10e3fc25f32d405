"""The quicksight job (seed 000) through `fleetvault backup` on the embedded
default, against the test world's small fleet; read back with boto3."""

import datetime
import io
import json
import os
import shutil
import zipfile
import unittest

from fvtest import MEMBERS, SOURCE, WorldProcess, admin, load_manifest, run, tmpdir

FLEET = os.path.join(SOURCE, "docs", "examples", "quicksight-fleet.yaml")
SEED = os.path.join(SOURCE, "docs", "examples", "quicksight-seed.yaml")
BUCKET = "fleetvault-backups-123456789012"


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")
    W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.2})


def tearDownModule():
    W.stop()


def qs_count(account, op, key):
    qs = admin(W, "quicksight", account)
    kw, n = {"AwsAccountId": account}, 0
    if op in ("list_users", "list_groups"):
        kw["Namespace"] = "default"
    while True:
        page = getattr(qs, op)(**kw)
        n += len(page[key])
        if not page.get("NextToken"):
            return n
        kw["NextToken"] = page["NextToken"]


def scan(account, table):
    ddb = admin(W, "dynamodb", account)
    items, kw = [], {"TableName": table}
    while True:
        page = ddb.scan(**kw)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class TestQuickSightBackup(unittest.TestCase):
    def backup(self, *extra, config=FLEET, env=None):
        d = tmpdir()
        r = run(["backup", "--config", config, "--output-dir", d, "--no-progress", *extra], W, env_extra=env)
        return d, r

    def test_full_run_bundles_and_identities_as_the_seed_writes_them(self):
        d, r = self.backup()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = load_manifest(d)
        self.assertEqual(m["outcome"], "succeeded")
        stamp = m["run_id"].rsplit("-", 1)[1]
        day = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
        hhmmss = day.strftime("%H%M%S")
        s3 = W.client("s3")
        for acct in MEMBERS:
            base = f"quicksight-backups/{acct}/{day:%Y/%m/%d}"
            keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=base + "/").get("Contents", [])}
            dashboards = qs_count(acct, "list_dashboards", "DashboardSummaryList")
            if dashboards > 50:  # 120 dashboards at 50 a bundle: _bundle_1.._bundle_3
                want = {f"{base}/dashboards/dashboards_bundle_{i}-{hhmmss}.zip" for i in (1, 2, 3)}
                self.assertEqual(dashboards, 120)
            else:
                want = {f"{base}/dashboards/dashboards-{hhmmss}.zip"}
            want |= {f"{base}/{t}/{t}-{hhmmss}.zip" for t in ("datasources", "datasets", "analyses")}
            self.assertEqual(keys & want, want, sorted(keys))
            # Each bundle is the assets' JSON; dashboards split 50, 50, 20.
            if dashboards > 50:
                per = []
                for i in (1, 2, 3):
                    body = s3.get_object(Bucket=BUCKET, Key=f"{base}/dashboards/dashboards_bundle_{i}-{hhmmss}.zip")["Body"].read()
                    with zipfile.ZipFile(io.BytesIO(body)) as z:
                        per.append(len([n for n in z.namelist() if n.startswith("dashboard/")]))
                self.assertEqual(per, [50, 50, 20])
            # FILE data sets are left out of the data sets bundle.
            body = s3.get_object(Bucket=BUCKET, Key=f"{base}/datasets/datasets-{hhmmss}.zip")["Body"].read()
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                names = z.namelist()
            qs = admin(W, "quicksight", acct)
            for ds in qs.list_data_sets(AwsAccountId=acct)["DataSetSummaries"]:
                desc = qs.describe_data_set(AwsAccountId=acct, DataSetId=ds["DataSetId"])["DataSet"]
                is_file = any("S3Source" in t for t in desc.get("PhysicalTableMap", {}).values())
                self.assertEqual(f"dataset/{ds['DataSetId']}.json" in names, not is_file, ds["DataSetId"])
            # Identities: the seed's tables and schemas exactly, in the member account.
            users = scan(acct, f"{day:%Y-%m-%d}-quicksight-users-backup")
            self.assertEqual(len(users), qs_count(acct, "list_users", "UserList"))
            for u in users:
                self.assertTrue(set(u) <= {"user_name", "arn", "email", "role", "identity_type", "active",
                                           "principal_id", "backup_timestamp", "custom_permissions_name"}, u)
                self.assertTrue({"user_name", "arn", "role", "active", "backup_timestamp"} <= set(u), u)
                self.assertIn("BOOL", u["active"])
            groups = scan(acct, f"{day:%Y-%m-%d}-quicksight-groups-backup")
            self.assertEqual(len(groups), qs_count(acct, "list_groups", "GroupList"))
            memberships = scan(acct, f"{day:%Y-%m-%d}-quicksight-users-groups-backup")
            for g in groups:
                members = admin(W, "quicksight", acct).list_group_memberships(
                    AwsAccountId=acct, Namespace="default", GroupName=g["group_name"]["S"])["GroupMemberList"]
                self.assertEqual(sorted(x["S"] for x in g["members"]["L"]), sorted(x["MemberName"] for x in members))
                for x in members:
                    mid = f"{x['MemberName']}#{g['group_name']['S']}"
                    row = [i for i in memberships if i["membership_id"]["S"] == mid]
                    self.assertEqual(len(row), 1, mid)
                    self.assertEqual(set(row[0]), {"membership_id", "user_name", "group_name", "user_arn",
                                                   "group_arn", "backup_timestamp"})
                    self.assertTrue(row[0]["user_arn"]["S"].endswith(f":user/default/{x['MemberName']}"))
        # The control table's claims and run records expire (DynamoDB TTL on
        # `ttl`, 30 days by default); its leases never do.
        ddb = W.client("dynamodb", who="admin")
        ttl = ddb.describe_time_to_live(TableName="fleetvault-control")["TimeToLiveDescription"]
        self.assertEqual((ttl["TimeToLiveStatus"], ttl.get("AttributeName")), ("ENABLED", "ttl"))
        items = ddb.scan(TableName="fleetvault-control", ConsistentRead=True)["Items"]
        started = day.replace(tzinfo=datetime.timezone.utc).timestamp()
        claims = [i for i in items if i["pk"]["S"].startswith("task#")]
        self.assertTrue(claims)  # the export tasks claim theirs
        for i in claims + [i for i in items if i["pk"]["S"] == f"run#{m['run_id']}"]:
            self.assertAlmostEqual(int(i["ttl"]["N"]), started + 30 * 86400, delta=3600, msg=i)
        leases = [i for i in items if i["pk"]["S"].startswith("lease#")]
        self.assertTrue(leases)
        for i in leases:
            self.assertNotIn("ttl", i)
        # Every object is what the manifest says it is.
        man = [n for n in os.listdir(d) if n.startswith("backup_manifest_")][0]
        v = run(["verify", "--manifest", os.path.join(d, man), "--config", FLEET], W)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)

    def test_users_only_and_assets_only(self):
        d, r = self.backup("--mode", "users-only")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        kinds = {x["kind"] for x in load_manifest(d)["resources"]}
        self.assertEqual(kinds, {"quicksight.users", "quicksight.groups"})
        d, r = self.backup("--mode", "assets-only")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        kinds = {x["kind"] for x in load_manifest(d)["resources"]}
        self.assertEqual(kinds, {"quicksight.export"})

    def test_the_seeds_own_config_file_runs_unchanged(self):
        # The seed's README config names account 123456789012 and bucket
        # my-quicksight-backups; give that account some QuickSight users and
        # the bucket, and run the file as it is, with an admin's credentials
        # (as the seed tool runs: in the account, with the operator's keys).
        s3 = W.client("s3", who="admin")
        s3.create_bucket(Bucket="my-quicksight-backups")
        qs = W.client("quicksight", who="admin")
        for name in ("seed-ann", "seed-bo"):
            qs.register_user(AwsAccountId="123456789012", Namespace="default", IdentityType="QUICKSIGHT",
                             Email=f"{name}@example.com", UserRole="READER", UserName=name)
        d = tmpdir()
        shutil.copy(SEED, os.path.join(d, "config.yaml"))
        creds = W.creds("admin")
        r = run(["backup", "--config", os.path.join(d, "config.yaml"), "--output-dir", d, "--no-progress"], W,
                env_extra={"AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
                           "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"]}, cwd=d)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = load_manifest(d)
        day = datetime.datetime.strptime(m["run_id"].rsplit("-", 1)[1], "%Y%m%dT%H%M%SZ")
        users = W.client("dynamodb", who="admin").scan(TableName=f"{day:%Y-%m-%d}-quicksight-users-backup")["Items"]
        self.assertTrue({"seed-ann", "seed-bo"} <= {u["user_name"]["S"] for u in users})
        # Its logging.file_path (./logs/backup.log) is written, as the seed's is.
        self.assertTrue(os.path.getsize(os.path.join(d, "logs", "backup.log")) > 0)

    def test_seed_config_messages(self):
        d = tmpdir()
        bad = os.path.join(d, "config.yaml")
        with open(SEED) as f:
            text = f.read()
        with open(bad, "w") as f:
            f.write(text.replace("max_assets_per_bundle: 50", "max_assets_per_bundle: 101"))
        r = run(["backup", "--config", bad], W)
        self.assertEqual(r.returncode, 2)
        self.assertIn("max_assets_per_bundle must be between 1 and 100 inclusive", r.stderr)
        r = run(["backup", "--config", os.path.join(d, "missing.yaml")], W)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"Configuration file does not exist: {os.path.join(d, 'missing.yaml')}", r.stderr)
        txt = os.path.join(d, "config.txt")
        shutil.copy(SEED, txt)
        r = run(["backup", "--config", txt], W)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"Configuration file must be YAML or JSON: {txt}", r.stderr)

    def test_dry_run_checks_and_writes_nothing(self):
        s3 = W.client("s3")
        before = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
        d, r = self.backup("--dry-run")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("quicksight.export", r.stdout)
        self.assertEqual(sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])), before)
        # A bucket that is not there is found by the dry run.
        env = {"FV_CENTRAL_BUCKET": "no-such-bucket"}
        with open(FLEET) as f:
            text = f.read().replace("bucket: fleetvault-backups-123456789012", "bucket: no-such-bucket")
        cfg = os.path.join(d, "nobucket.yaml")
        with open(cfg, "w") as f:
            f.write(text)
        r = run(["backup", "--config", cfg, "--dry-run", "--no-progress"], W, env_extra=env)
        self.assertIn("no-such-bucket", r.stdout + r.stderr)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
