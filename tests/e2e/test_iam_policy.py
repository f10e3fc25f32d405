"""The generated least-privilege policies (deploy/iam, `fleetvault iam-policy`)
under the world's IAM enforcement: every granted action is one a job uses,
an action taken away fails the job naming it, the member role cannot change
its own policies, and the deny guard's exemptions go by identity."""

import json
import os
import re
import unittest

from fvtest import BIN, MEMBERS, SOURCE, WorldProcess, admin, fleet_config, run, seed_state, tmpdir

W = None
IAM_DIR = os.path.join(SOURCE, "deploy", "iam")
DEMO = os.path.join(SOURCE, "docs", "examples", "fleet-demo.yaml")
ROLE = "fleetvault-member"
CENTRAL = "arn:aws:iam::123456789012:user/fleetvault"

# Granted for `fleetvault restore` (a restore is not part of a backup run;
# e2e.test_backup_embedded and e2e.test_restore_quicksight exercise it) and
# actions AWS checks but the world cannot (docs/IAM.md): exactly these may go
# unused by the backup runs below.
RESTORE_ONLY = {
    ROLE: {"dynamodb:RestoreTableFromBackup", "dynamodb:PutItem",
           "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:Query",
           "dynamodb:Scan", "quicksight:DescribeUser", "quicksight:DescribeGroup",
           "quicksight:RegisterUser", "quicksight:CreateGroup", "quicksight:CreateGroupMembership",
           "quicksight:StartAssetBundleImportJob", "quicksight:DescribeAssetBundleImportJob",
           "quicksight:CreateDataSource", "quicksight:UpdateDataSource", "quicksight:PassDataSource",
           "quicksight:CreateDataSet", "quicksight:UpdateDataSet", "quicksight:PassDataSet",
           "quicksight:CreateAnalysis", "quicksight:UpdateAnalysis", "quicksight:CreateDashboard",
           "quicksight:UpdateDashboard", "quicksight:UpdateDashboardPublishedVersion",
           "quicksight:TagResource"},
    "central": {"s3:AbortMultipartUpload"},  # only when an upload fails
}
# DynamoDB writes an export into S3 with the permissions of the caller of
# ExportTableToPointInTime (the member role), which AWS checks; the world
# writes the export's objects itself, so it cannot record them. s3:PutObject
# is used by the member role itself too: the table's schema beside a full
# export (worker/kind_dynamodb_export.c).
EXPORT_WRITES = {"s3:PutObjectAcl", "s3:AbortMultipartUpload"}


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")


def tearDownModule():
    W.stop()


def granted(fname, d=IAM_DIR):
    with open(os.path.join(d, fname)) as f:
        doc = json.load(f)
    return {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def assert_granted_is_used(tc, unused, d=IAM_DIR):
    """Nothing denied (not even a call whose failure fleetvault only warns
    about, such as the event logs); every action of the policies in d used
    by the member roles and the central principal, but those of unused."""
    used, denied = grants_used()
    tc.assertEqual(denied, [])
    member = set()
    for a in MEMBERS:
        member |= used.get(f"arn:aws:iam::{a}:role/{ROLE}", set())
    central = used.get(CENTRAL, set())
    tc.assertEqual(granted("fleetvault-member-policy.json", d) - member, unused[ROLE])
    tc.assertEqual(granted("fleetvault-central-policy.json", d) - central, unused["central"])
    tc.assertFalse(member - granted("fleetvault-member-policy.json", d))
    tc.assertFalse(central - granted("fleetvault-central-policy.json", d))
    return member, central


def grants_used():
    """{principal: actions the world authorised}, [denied (principal, action, resource)]."""
    out = {}
    status, doc = W.control("GET", "/_world/grants")
    assert status == 200, doc
    for g in doc["grants"]:
        out.setdefault(g["principal"], set()).add(g["action"])
    return out, [(d["principal"], d["action"], d["resource"]) for d in doc["denials"]]


def backup(job, cfg=DEMO, env=None, out=None, *flags):
    return run(["backup", "--config", cfg, "--job", job, "--output-dir", out or tmpdir(), *flags], W,
               env_extra=env)


class TestGeneratedPolicies(unittest.TestCase):
    def test_every_granted_action_is_used_by_a_job(self):
        """What an operator runs: aws-check, each job (dry run first) — with no
        identity tables yet (CreateTable), backups CREATING for a while
        (DescribeBackup) —, verify, the DynamoDB job a second time two
        days later with retention 1 (DeleteBackup), the exports job's run
        and its `exports status`, `exports import-state` of a seed
        deployment (its parameters read, the chain the run started kept),
        `verify --exports` and a restore from the exports into a new table."""
        cfg = os.path.join(tmpdir(), "fleet.yaml")
        with open(DEMO) as f:
            text = f.read()
        self.assertIn("retention: 30", text)
        with open(cfg, "w") as f:
            # the world's clock runs ahead of fleetvault's (advance_clock):
            # no minimum age, so the second run's retention deletes
            f.write(text.replace("retention: 30", "retention: 1\n    retention_min_age_s: 0"))
        for a in MEMBERS:  # the dated identity tables earlier runs made
            ddb = admin(W, "dynamodb", a)
            for t in ddb.list_tables()["TableNames"]:
                if re.match(r"^\d{4}-\d{2}-\d{2}-", t):
                    ddb.delete_table(TableName=t)
        ctl = W.client("dynamodb", who="admin")
        if "fleetvault-control" in ctl.list_tables()["TableNames"]:
            ctl.delete_table(TableName="fleetvault-control")  # the first run makes it: CreateTable
        W.control("POST", "/_world/settings", {"ddb_backup_delay_s": 1.0})
        W.control("DELETE", "/_world/grants")
        try:
            r = run(["aws-check", "--config", cfg], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for job, flags in (("quicksight", ["--dry-run"]), ("dynamodb-daily", []), ("quicksight", []),
                               ("dynamodb-daily", [])):
                out = tmpdir()
                r = backup(job, cfg, None, out, *flags)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                if job == "quicksight" and not flags:
                    manifest = [n for n in os.listdir(out) if n.startswith("backup_manifest_")][0]
                    r = run(["verify", "--manifest", os.path.join(out, manifest), "--config", cfg], W)
                    self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                W.advance_clock(2 * 86400)
            r = backup("orders-exports", cfg)  # the chain's full export, into the central bucket
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            keys = [o["Key"] for o in W.client("s3", who="admin").list_objects_v2(
                Bucket="fleetvault-backups-123456789012",
                Prefix=f"dynamodb-exports/orders-exports/{MEMBERS[0]}/us-east-1/orders/AWSDynamoDB/")["Contents"]]
            self.assertEqual(len([k for k in keys if k.endswith("/manifest-summary.json")]), 1, keys)
            r = run(["exports", "status", "--config", cfg, "--job", "orders-exports"], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(" NORMAL ", r.stdout)
            for name, value in (("full-export-time", "2026-12-01T00:00:00Z"), ("workflow-initiated", "true")):
                admin(W, "ssm", MEMBERS[0]).put_parameter(Name=f"/incremental-export/orders/{name}",
                                                          Value=value, Type="String", Overwrite=True)
            r = run(["exports", "import-state", "--config", cfg, "--job", "orders-exports", "--table", "orders",
                     "--account", MEMBERS[0], "--alias", "orders"], W)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("already has a chain", r.stderr)
            url = (f"s3://fleetvault-backups-123456789012/dynamodb-exports/orders-exports/{MEMBERS[0]}"
                   "/us-east-1/orders")
            r = run(["verify", "--exports", url, "--config", cfg], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(["restore", "dynamodb", "--from-exports", url, "--target-table", "orders-from-exports",
                     "--config", cfg], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            ddb = admin(W, "dynamodb", MEMBERS[0])
            self.assertEqual(ddb.scan(TableName="orders-from-exports")["Count"], ddb.scan(TableName="orders")["Count"])
        finally:
            W.control("POST", "/_world/settings", {"ddb_backup_delay_s": 0.0})
        # the restore from the exports makes its target (no Scan: only an
        # existing target is checked for emptiness)
        assert_granted_is_used(self, {ROLE: RESTORE_ONLY[ROLE] | EXPORT_WRITES, "central": RESTORE_ONLY["central"]})

    def test_an_action_taken_away_fails_the_job_naming_it(self):
        with open(os.path.join(IAM_DIR, "fleetvault-member-policy.json")) as f:
            full = f.read()
        for action, job in (("dynamodb:CreateBackup", "dynamodb-daily"), ("iam:PutUserPolicy", "dynamodb-daily"),
                            ("quicksight:StartAssetBundleExportJob", "quicksight"),
                            ("dynamodb:ExportTableToPointInTime", "orders-exports")):
            doc = json.loads(full)
            for s in doc["Statement"]:
                s["Action"] = [a for a in s["Action"] if a != action]
            doc["Statement"] = [s for s in doc["Statement"] if s["Action"]]
            try:
                for a in MEMBERS:
                    admin(W, "iam", a).put_role_policy(RoleName=ROLE, PolicyName="fleetvault-member",
                                                       PolicyDocument=json.dumps(doc))
                r = backup(job)
                self.assertNotEqual(r.returncode, 0, action)
                self.assertIn(action, r.stdout + r.stderr)
            finally:
                for a in MEMBERS:
                    admin(W, "iam", a).put_role_policy(RoleName=ROLE, PolicyName="fleetvault-member",
                                                       PolicyDocument=full)

    def test_the_member_role_cannot_change_its_own_policies(self):
        acct = MEMBERS[0]
        r = backup("dynamodb-daily")  # puts the guard on the member's users and roles
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        iam = W.member_client("iam", acct)
        admin_doc = json.dumps({"Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        guarded = [u["UserName"] for u in admin(W, "iam", acct).list_users()["Users"]
                   if "DenydynamodbDeleteBackup" in admin(W, "iam", acct).list_user_policies(
                       UserName=u["UserName"])["PolicyNames"]]
        guarded_roles = [r["RoleName"] for r in admin(W, "iam", acct).list_roles()["Roles"]
                         if "DenydynamodbDeleteBackup" in admin(W, "iam", acct).list_role_policies(
                             RoleName=r["RoleName"])["PolicyNames"]]
        self.assertTrue(guarded)
        self.assertTrue(guarded_roles)
        self.assertNotIn(ROLE, guarded_roles)
        attempts = [
            lambda: iam.put_role_policy(RoleName=ROLE, PolicyName="escalate", PolicyDocument=admin_doc),
            lambda: iam.delete_role_policy(RoleName=ROLE, PolicyName="fleetvault-member"),
            lambda: iam.delete_user_policy(UserName=guarded[0], PolicyName="DenydynamodbDeleteBackup"),
            lambda: iam.delete_role_policy(RoleName=guarded_roles[0], PolicyName="DenydynamodbDeleteBackup"),
            lambda: iam.attach_role_policy(RoleName=ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
        ]
        for attempt in attempts:
            with self.assertRaises(Exception) as e:
                attempt()
            self.assertIn("AccessDenied", str(e.exception))
        self.assertEqual(admin(W, "iam", acct).list_role_policies(RoleName=ROLE)["PolicyNames"],
                         ["fleetvault-member"])


    def test_with_the_scp_guard_the_member_role_needs_no_iam_write(self):
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        with open(DEMO) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.rstrip("\n") + "\niam:\n  deny_guard: scp\n")
        r = run(["iam-policy", "--config", cfg, "--out", d], W)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(d, "fleetvault-deny-delete-backup-scp.json")) as f:
            scp = json.load(f)
        self.assertEqual(scp["Statement"][0]["Action"], "dynamodb:DeleteBackup")
        with open(os.path.join(d, "fleetvault-member-policy.json")) as f:
            member = f.read()
        self.assertNotIn('"iam:', member)
        with open(os.path.join(IAM_DIR, "fleetvault-member-policy.json")) as f:
            full = f.read()
        W.control("DELETE", "/_world/grants")
        try:
            for a in MEMBERS:
                admin(W, "iam", a).put_role_policy(RoleName=ROLE, PolicyName="fleetvault-member",
                                                   PolicyDocument=member)
            r = backup("dynamodb-daily", cfg)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            for a in MEMBERS:
                admin(W, "iam", a).put_role_policy(RoleName=ROLE, PolicyName="fleetvault-member",
                                                   PolicyDocument=full)
        used, denied = grants_used()
        self.assertEqual(denied, [])
        for a in MEMBERS:
            role = used.get(f"arn:aws:iam::{a}:role/{ROLE}", set())
            self.assertFalse([x for x in role if x.startswith("iam:")])
        self.assertIn("dynamodb:CreateBackup", used[f"arn:aws:iam::{MEMBERS[0]}:role/{ROLE}"])


class TestExportsUnderGeneratedPolicies(unittest.TestCase):
    """A dynamodb_exports job under nothing but what `fleetvault iam-policy`
    generates for it (deploy/iam grants only the sample fleet's exports
    job, on other prefixes): a run exports the table, then `exports
    status`, `exports import-state`, `restore dynamodb --from-exports` (into
    a new table, then refused on the non-empty one) and `verify --exports`.
    Nothing is denied, and every granted action is used but the ones AWS
    checks and the world cannot (DynamoDB writes an export into S3 with the
    caller's S3 permissions; the world writes it itself)."""

    UNCHECKED = {ROLE: EXPORT_WRITES,
                 "central": set()}

    def test_exports_restore_and_verify_use_exactly_the_grants(self):
        acct, table = MEMBERS[0], "iam-exp"
        d = tmpdir()
        cfg = os.path.join(d, "fleet.yaml")
        fleet_config(cfg, f"""
- name: iamx
  type: dynamodb_exports
  tables:
    names: [{table}]
  poll_interval_s: 1
""")
        with open(cfg) as f:
            text = f.read().replace("central:\n", f"central:\n  principal_arn: {CENTRAL}\n", 1)
        with open(cfg, "w") as f:
            f.write(text)
        gen = os.path.join(d, "iam")
        os.mkdir(gen)
        r = run(["iam-policy", "--config", cfg, "--out", gen], W)
        self.assertEqual(r.returncode, 0, r.stderr)

        def doc(name):
            with open(os.path.join(gen, name)) as f:
                return f.read()

        ddb = admin(W, "dynamodb", acct)
        ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        ddb.update_continuous_backups(TableName=table,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        for i in range(30):
            ddb.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}})
        W.advance_clock(5)
        seed_state(W, acct, "iamseed", "2026-12-01T00:00:00Z", "2026-12-01T00:15:00Z")
        user = W.principals["principals"]["fleetvault"]["arn"].split("/")[-1]
        central_iam = W.client("iam", who="admin")
        ctl = W.client("dynamodb", who="admin")
        if "fleetvault-control" in ctl.list_tables()["TableNames"]:
            ctl.delete_table(TableName="fleetvault-control")  # the run makes it: CreateTable
        W.control("DELETE", "/_world/grants")
        try:
            central_iam.put_user_policy(UserName=user, PolicyName="fleetvault-central",
                                        PolicyDocument=doc("fleetvault-central-policy.json"))
            for a in MEMBERS:
                admin(W, "iam", a).put_role_policy(RoleName=ROLE, PolicyName="fleetvault-member",
                                                   PolicyDocument=doc("fleetvault-member-policy.json"))
            r = run(["backup", "--config", cfg, "--job", "iamx", "--output-dir", tmpdir(), "--no-progress"], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(["exports", "status", "--config", cfg, "--job", "iamx"], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(table, r.stdout)
            r = run(["exports", "import-state", "--config", cfg, "--job", "iamx", "--table", "iam-seed",
                     "--account", acct, "--alias", "iamseed"], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            url = f"s3://fleetvault-backups-123456789012/dynamodb-exports/iamx/{acct}/us-east-1/{table}"
            restore = ["restore", "dynamodb", "--from-exports", url, "--target-table", f"{table}-restored",
                       "--config", cfg]
            r = run(restore, W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = run(restore, W)  # the target is not empty now: refused (Scan)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("is not empty", r.stderr)
            r = run(["verify", "--exports", url, "--config", cfg], W)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:  # the sample fleet's, as the world started
            with open(os.path.join(IAM_DIR, "fleetvault-central-policy.json")) as f:
                central_iam.put_user_policy(UserName=user, PolicyName="fleetvault-central", PolicyDocument=f.read())
            with open(os.path.join(IAM_DIR, "fleetvault-member-policy.json")) as f:
                member_doc = f.read()
            for a in MEMBERS:
                admin(W, "iam", a).put_role_policy(RoleName=ROLE, PolicyName="fleetvault-member",
                                                   PolicyDocument=member_doc)
        restored = ddb.scan(TableName=f"{table}-restored")["Items"]
        self.assertEqual(sorted(i["pk"]["S"] for i in restored), sorted(f"k{i}" for i in range(30)))
        member, central = assert_granted_is_used(self, self.UNCHECKED, gen)
        self.assertIn("s3:ListBucket", central)
        self.assertIn("s3:GetObject", central)
        self.assertTrue({"dynamodb:CreateTable", "dynamodb:BatchWriteItem", "dynamodb:Scan"} <= member)


class TestExemptionsByIdentity(unittest.TestCase):
    def test_a_base_role_without_role_arn_never_denies_itself(self):
        """An IRSA-like role acting in its own account (no role_arn) gets no
        guard; a user's role named AWSServiceRoleFor* at "/" gets one."""
        acct = MEMBERS[1]
        iam = admin(W, "iam", acct)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:user/member-admin"},
            "Action": "sts:AssumeRole"}]})
        iam.create_role(RoleName="irsa-backup", AssumeRolePolicyDocument=trust)
        iam.create_role(RoleName="AWSServiceRoleForLookAlike", Path="/", AssumeRolePolicyDocument=trust)
        d = tmpdir()
        cfg = os.path.join(d, "base.yaml")
        with open(cfg, "w") as f:
            f.write(f"""region: us-east-1
accounts:
  - id: "{acct}"
central:
  account: "{acct}"
  principal_arn: arn:aws:iam::{acct}:role/irsa-backup
kafka:
  brokers: embedded
jobs:
  - name: ddb
    type: dynamodb_backups
    tables:
      tags: [backup=daily]
    retention: 3
    exempt_principals: [arn:aws:iam::{acct}:role/{ROLE}, arn:aws:iam::{acct}:user/member-admin]
""")
        gen = os.path.join(d, "iam")
        os.mkdir(gen)
        r = run(["iam-policy", "--config", cfg, "--out", gen], W)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(gen, "fleetvault-central-policy.json")) as f:
            iam.put_role_policy(RoleName="irsa-backup", PolicyName="fleetvault", PolicyDocument=f.read())
        c = admin(W, "sts", acct).assume_role(RoleArn=f"arn:aws:iam::{acct}:role/irsa-backup",
                                              RoleSessionName="irsa")["Credentials"]
        env = {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
               "AWS_SESSION_TOKEN": c["SessionToken"]}
        r = backup("ddb", cfg, env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(iam.list_role_policies(RoleName="irsa-backup")["PolicyNames"], ["fleetvault"])
        self.assertIn("DenydynamodbDeleteBackup",
                      iam.list_role_policies(RoleName="AWSServiceRoleForLookAlike")["PolicyNames"])


if __name__ == "__main__":
    unittest.main()
