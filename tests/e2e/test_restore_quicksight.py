"""`fleetvault restore quicksight` against the test world's small fleet: one
quicksight backup run (docs/examples/quicksight-fleet.yaml), then its
dashboards of 111111111111 imported into 222222222222 under a prefix, and
users, groups and memberships deleted in 111111111111 put back. Everything
is checked with boto3 and the world's request log, never with our reader."""

import hashlib
import json
import os
import unittest

from botocore.exceptions import ClientError

from fvtest import SOURCE, WorldProcess, admin, run, tmpdir

CONFIG = os.path.join(SOURCE, "docs", "examples", "quicksight-fleet.yaml")
A, B = "111111111111", "222222222222"
NS = "default"
# Users the seed's schema cannot register again (no IAM ARN / Identity Center user in it).
UNRESTORABLE = {"fed-alice": "IAM", "sso-bob": "IAM_IDENTITY_CENTER"}


def setUpModule():
    global W, OUT, MANIFEST
    W = WorldProcess.start(fleet="small")
    try:
        status, _ = W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.2})
        assert status == 200, status
        qs = admin(W, "quicksight", A)
        for name, itype in UNRESTORABLE.items():
            kw = {"IamArn": f"arn:aws:iam::{A}:user/{name}"} if itype == "IAM" else {}
            qs.register_user(AwsAccountId=A, Namespace=NS, IdentityType=itype, UserRole="READER",
                             Email=f"{name}@example.com", UserName=name, **kw)
        OUT = tmpdir()
        r = run(["backup", "--config", CONFIG, "--output-dir", OUT, "--no-progress"], W, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        names = [n for n in os.listdir(OUT) if n.startswith("backup_manifest_")]
        assert len(names) == 1, names
        MANIFEST = os.path.join(OUT, names[0])
    except BaseException:
        W.stop()
        raise


def tearDownModule():
    W.stop()


def restore(*args, timeout=300):
    return run(["restore", "quicksight", "--manifest", MANIFEST, "--config", CONFIG] + list(args), W,
               timeout=timeout)


def operations():
    """{operation: count} of the AWS calls since the last reset of the request log."""
    status, doc = W.control("GET", "/_world/requests?limit=1")
    assert status == 200, doc
    out = {}
    for c in doc["counts"]:
        out[c["operation"]] = out.get(c["operation"], 0) + c["count"]
    return out


def reset_requests():
    W.control("DELETE", "/_world/requests")


def identities(account):
    """(users {name: (email, role, identity type)}, {group: sorted members})."""
    qs = admin(W, "quicksight", account)
    users, kw = {}, {}
    while True:
        page = qs.list_users(AwsAccountId=account, Namespace=NS, **kw)
        for u in page["UserList"]:
            users[u["UserName"]] = (u.get("Email"), u["Role"], u["IdentityType"])
        if not page.get("NextToken"):
            break
        kw["NextToken"] = page["NextToken"]
    groups = {}
    for g in qs.list_groups(AwsAccountId=account, Namespace=NS)["GroupList"]:
        members = qs.list_group_memberships(AwsAccountId=account, Namespace=NS,
                                            GroupName=g["GroupName"])["GroupMemberList"]
        groups[g["GroupName"]] = sorted(m["MemberName"] for m in members)
    return users, groups


def dashboard_ids(account):
    qs = admin(W, "quicksight", account)
    ids, kw = set(), {}
    while True:
        page = qs.list_dashboards(AwsAccountId=account, **kw)
        ids |= {d["DashboardId"] for d in page["DashboardSummaryList"]}
        if not page.get("NextToken"):
            return ids
        kw["NextToken"] = page["NextToken"]


class TestRestoreQuickSight(unittest.TestCase):
    def test_dashboards_into_another_account_with_a_prefix(self):
        with open(MANIFEST) as f:
            manifest = json.load(f)
        bundles = [r for r in manifest["resources"] if r["kind"] == "quicksight.export"
                   and r["account"] == A and r["outputs"] and r["outputs"][0]["type"] == "dashboards"]
        self.assertEqual(len(bundles), 3)  # 120 dashboards, 50 a bundle
        source = dashboard_ids(A)
        before_b = dashboard_ids(B)
        self.assertFalse({d for d in before_b if d.startswith("restored-")})
        overrides = os.path.join(tmpdir(), "overrides.json")
        with open(overrides, "w") as f:
            json.dump({"ResourceIdOverrideConfiguration": {"PrefixForAllResources": "restored-"}}, f)
        args = ["--types", "dashboards", "--source-account", A, "--target-account", B,
                "--overrides", overrides, "--timeout", "120"]
        reset_requests()
        r = restore(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for b in bundles:
            self.assertIn(f"bundle {b['resource']} of {A}", r.stdout)
        self.assertEqual(r.stdout.count("SUCCESSFUL"), 3, r.stdout)
        # Each bundle went through the pipeline as a quicksight.import task.
        for b in bundles:
            self.assertIn(f"quicksight.import {b['resource']}: job fvr-", r.stderr)
        self.assertEqual(operations().get("StartAssetBundleImportJob"), 3)
        after_b = dashboard_ids(B)
        self.assertEqual({d for d in after_b if d.startswith("restored-")}, {"restored-" + d for d in source})
        self.assertTrue(before_b <= after_b)  # B's own dashboards are untouched
        self.assertEqual(dashboard_ids(A), source)  # nothing went into the source account
        qs_b = admin(W, "quicksight", B)
        d = qs_b.describe_dashboard(AwsAccountId=B, DashboardId="restored-dash-007")["Dashboard"]
        self.assertEqual(d["Name"], "Dashboard 7")
        self.assertIn(f":{B}:", d["Arn"])
        # The dependencies came along, under the prefix, in B.
        sets = {s["DataSetId"] for s in qs_b.list_data_sets(AwsAccountId=B)["DataSetSummaries"]}
        self.assertIn("restored-dset-002", sets)
        # Idempotent: the same restore finds its SUCCESSFUL jobs and imports nothing.
        reset_requests()
        again = restore(*args)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual(again.stdout.count("already imported"), 3, again.stdout)
        self.assertEqual(again.stderr.count("SUCCESSFUL already"), 3, again.stderr)
        self.assertNotIn("StartAssetBundleImportJob", operations())

    def test_identities_come_back_and_a_second_restore_changes_nothing(self):
        users, groups = identities(A)
        qs = admin(W, "quicksight", A)
        gone_user = "qsuser00005"
        self.assertIn(gone_user, groups["group-00"])
        self.assertIn("qsuser00001", groups["group-01"])
        qs.delete_user(AwsAccountId=A, Namespace=NS, UserName=gone_user)  # and its memberships
        try:
            qs.delete_group_membership(AwsAccountId=A, Namespace=NS, GroupName="group-00",
                                       MemberName="qsuser00010")
        except ClientError as e:
            # moto 5.2.1 (the world) has no DeleteGroupMembership; the group
            # deleted below takes memberships of users who stay.
            self.assertIn("not been implemented", str(e))
        qs.delete_group(AwsAccountId=A, Namespace=NS, GroupName="group-01")
        damaged_users, damaged_groups = identities(A)
        self.assertNotIn(gone_user, damaged_users)
        self.assertNotIn("group-01", damaged_groups)

        r = restore("--identities-only", "--source-account", A)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"register user {gone_user}", r.stdout)
        self.assertIn("created  group group-01", r.stdout)
        restored_users, restored_groups = identities(A)
        self.assertEqual(restored_users, users)  # same email, role, identity type
        self.assertEqual(restored_groups, groups)

        reset_requests()
        again = restore("--identities-only", "--source-account", A)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("nothing to restore", again.stdout)
        ops = operations()
        for op in ("RegisterUser", "CreateGroup", "CreateGroupMembership"):
            self.assertNotIn(op, ops, again.stdout)
        self.assertEqual(identities(A), (users, groups))

    def test_iam_and_identity_center_users_are_reported_not_guessed(self):
        qs = admin(W, "quicksight", A)
        try:
            for name in UNRESTORABLE:
                qs.delete_user(AwsAccountId=A, Namespace=NS, UserName=name)
            r = restore("--types", "users", "--source-account", A)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            for name, itype in UNRESTORABLE.items():
                self.assertIn(f"user {name}: cannot restore: {itype} identity", r.stdout)
            users, _ = identities(A)
            self.assertFalse(set(UNRESTORABLE) & set(users))
        finally:
            for name, itype in UNRESTORABLE.items():
                kw = {"IamArn": f"arn:aws:iam::{A}:user/{name}"} if itype == "IAM" else {}
                try:
                    qs.describe_user(AwsAccountId=A, Namespace=NS, UserName=name)
                except ClientError:
                    qs.register_user(AwsAccountId=A, Namespace=NS, IdentityType=itype, UserRole="READER",
                                     Email=f"{name}@example.com", UserName=name, **kw)

    def test_a_failed_import_is_reported_per_asset_and_exits_1(self):
        # A manifest whose bundle is not a zip (size and SHA-256 right, so it is sent). The
        # worker reads the bundle where the configuration puts it (the backup run, the source
        # account, the bundle), so the broken bytes go in place of B's dashboards, put back after.
        body = b"not a zip file"
        s3 = W.client("s3")
        with open(MANIFEST) as f:
            manifest = json.load(f)
        res = next(r for r in manifest["resources"] if r["kind"] == "quicksight.export" and r["account"] == B
                   and r["resource"] == "dashboards")
        bucket, key = res["outputs"][0]["bucket"], res["outputs"][0]["object_key"]
        original = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        try:
            res["outputs"][0].update(size=len(body), sha256=hashlib.sha256(body).hexdigest())
            manifest["resources"] = [res]
            path = os.path.join(tmpdir(), "broken_manifest.json")
            with open(path, "w") as f:
                json.dump(manifest, f)
            r = run(["restore", "quicksight", "--manifest", path, "--config", CONFIG], W)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("FAILED (failure action ROLLBACK)", r.stdout)
            self.assertIn("error    (bundle): InvalidParameterValueException", r.stdout)
            # The import ran as a quicksight.import task on the (embedded) worker.
            self.assertIn("quicksight.import dashboards: job fvr-", r.stderr)
            # The same bytes with a SHA-256 the manifest does not have are never sent.
            res["outputs"][0]["sha256"] = "0" * 64
            with open(path, "w") as f:
                json.dump(manifest, f)
            reset_requests()
            r = run(["restore", "quicksight", "--manifest", path, "--config", CONFIG], W)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("not imported", r.stdout)
            self.assertNotIn("StartAssetBundleImportJob", operations())
        finally:
            s3.put_object(Bucket=bucket, Key=key, Body=original)

    def test_bad_input_exits_2_before_any_call(self):
        d = tmpdir()
        other = os.path.join(d, "dynamodb_manifest.json")
        with open(other, "w") as f:
            json.dump({"manifest_version": 1, "run_id": "x-20260101T000000Z", "type": "dynamodb_backups",
                       "resources": []}, f)
        cases = [
            ["--manifest", os.path.join(d, "missing.json"), "--config", CONFIG],
            ["--manifest", other, "--config", CONFIG],
            ["--manifest", MANIFEST, "--config", CONFIG, "--types", "dashboards,widgets"],
            ["--manifest", MANIFEST, "--config", CONFIG, "--target-account", "333333333333"],
            ["--manifest", MANIFEST, "--config", CONFIG, "--target-account", B],  # two source accounts
            ["--manifest", MANIFEST, "--config", CONFIG, "--identities-only", "--assets-only"],
            ["--manifest", MANIFEST, "--config", CONFIG, "--overrides", CONFIG],  # YAML, not JSON
        ]
        for args in cases:
            reset_requests()
            r = run(["restore", "quicksight"] + args, W)
            self.assertEqual(r.returncode, 2, f"{args}: {r.stdout}{r.stderr}")
            self.assertTrue(r.stderr.strip(), args)
            self.assertEqual(operations(), {}, args)

    def test_help_documents_what_cannot_be_restored(self):
        r = run(["restore", "quicksight", "--help"], W)
        self.assertEqual(r.returncode, 0)
        self.assertIn("IAM_IDENTITY_CENTER", r.stdout)
        self.assertIn("cannot restore", r.stdout)


if __name__ == "__main__":
    unittest.main()
