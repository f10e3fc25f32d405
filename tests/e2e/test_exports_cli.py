"""`fleetvault exports status | pause | resume | reset | import-state` against
the test world, as fleetvault's own principals (SigV4 and IAM enforced):
a seed 003 user's SSM parameters in a member account move into the control
table, status shows each chain, pause/resume/reset set workflow-action by a
conditional write (the version grows by one each time). Checked with boto3
as the world's admins.

The sample fleet has no dynamodb_exports job, so deploy/iam has no exports
grants; the test attaches the ones `fleetvault iam-policy` generates for
such a job (unit test_iampolicy: test_exports_job_grants), as a deployment
would."""

import json
import os
import time
import unittest

from fvtest import MEMBERS, WorldProcess, admin, fleet_config, run, seed_state, tmpdir

CONTROL = "fleetvault-control"
CENTRAL = "123456789012"
MEMBER = MEMBERS[0]
JOB = "orders-exports"
ALIAS = "ordersexp"


def grant(W):
    """The exports grants of a dynamodb_exports job (lib/fleet/iampolicy.c)."""
    central = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ExportChains", "Effect": "Allow", "Action": ["dynamodb:Scan"],
        "Resource": [f"arn:aws:dynamodb:us-east-1:{CENTRAL}:table/{CONTROL}"]}]}
    user = W.principals["principals"]["fleetvault"]["arn"].split("/")[-1]
    W.client("iam", who="admin").put_user_policy(UserName=user, PolicyName="fleetvault-exports",
                                                 PolicyDocument=json.dumps(central))
    for acct in MEMBERS:
        member = {"Version": "2012-10-17", "Statement": [
            {"Sid": "TableExports", "Effect": "Allow",
             "Action": ["dynamodb:ExportTableToPointInTime", "dynamodb:DescribeContinuousBackups"],
             "Resource": [f"arn:aws:dynamodb:us-east-1:{acct}:table/*"]},
            {"Sid": "Exports", "Effect": "Allow", "Action": ["dynamodb:DescribeExport"],
             "Resource": [f"arn:aws:dynamodb:us-east-1:{acct}:table/*/export/*"]},
            {"Sid": "SeedExportState", "Effect": "Allow", "Action": ["ssm:GetParameters"],
             "Resource": [f"arn:aws:ssm:us-east-1:{acct}:parameter/incremental-export/*"]}]}
        admin(W, "iam", acct).put_role_policy(RoleName="fleetvault-member", PolicyName="fleetvault-exports",
                                              PolicyDocument=json.dumps(member))


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")
    grant(W)


def tearDownModule():
    W.stop()


def item(table, account=MEMBER, job=JOB):
    ddb = W.client("dynamodb", who="admin")
    r = ddb.get_item(TableName=CONTROL, Key={"pk": {"S": f"export#{job}#{account}#us-east-1#{table}"}},
                     ConsistentRead=True)
    return {k: list(v.values())[0] for k, v in r.get("Item", {}).items()}


class TestExportsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmpdir()
        cls.cfg = os.path.join(cls.dir, "fleet.yaml")
        # status shows each chain's window: the job's, or its table's override
        fleet_config(cls.cfg, f"""
- name: {JOB}
  type: dynamodb_exports
  tables:
    names: [orders, invoices]
  window_minutes: 30
  overrides:
    - table: orders
      window_minutes: 1440
""")
        seed_state(W, MEMBER, ALIAS, "2026-12-01T00:00:00.250Z", "2026-12-03T01:45:00Z")

    def cli(self, *args, expect=0):
        r = run(["exports", *args, "--config", self.cfg], W)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def test_1_import_state(self):
        table = ["--job", JOB, "--table", "orders", "--account", MEMBER]
        self.cli("import-state", *table, "--alias", ALIAS)
        it = item("orders")
        self.assertEqual(it["full-export-time"], "1796083200250")  # ms kept
        self.assertEqual(it["last-incremental-export-time"], "1796262300000")
        self.assertEqual(it["workflow-initiated"], "true")
        self.assertEqual(it["workflow-state"], "NORMAL")
        self.assertEqual(it["workflow-action"], "RUN")
        self.assertEqual(it["version"], "1")
        self.assertNotIn("ttl", it)  # a chain's state lives as long as the job
        # Never over a chain fleetvault already has, unless asked.
        r = self.cli("import-state", *table, "--alias", ALIAS, expect=1)
        self.assertIn("already has a chain", r.stderr)
        self.cli("import-state", *table, "--alias", ALIAS, "--overwrite")
        self.assertEqual(item("orders")["version"], "2")
        # An alias with no parameters is refused before anything is written.
        r = self.cli("import-state", "--job", JOB, "--table", "customers", "--account", MEMBER,
                     "--alias", "nosuchalias", expect=2)
        self.assertIn("/incremental-export/nosuchalias/", r.stderr)
        self.assertEqual(item("customers"), {})

    def test_2_status(self):
        last = 1796262300000
        for job, table in ((JOB, "invoices"), ("gone-job", "orders")):
            W.client("dynamodb", who="admin").put_item(TableName=CONTROL, Item={
                "pk": {"S": f"export#{job}#{MEMBER}#us-east-1#{table}"}, "job": {"S": job},
                "account": {"S": MEMBER}, "region": {"S": "us-east-1"}, "table": {"S": table},
                "workflow-initiated": {"S": "true"}, "full-export-time": {"N": str(last)},
                "last-incremental-export-time": {"N": str(last)}, "workflow-state": {"S": "NORMAL"},
                "workflow-action": {"S": "RUN"}, "version": {"N": "1"}})
        before = int(time.time() * 1000)
        r = self.cli("status", "--job", JOB)
        after = int(time.time() * 1000)
        rows = {l.split()[3]: l.split() for l in r.stdout.splitlines() if l.startswith(JOB)}
        self.assertEqual(sorted(rows), ["invoices", "orders"], r.stdout)
        # orders: its override's 24 h window counts whole days
        self.assertEqual(rows["orders"][1:9], [MEMBER, "us-east-1", "orders", "true", "NORMAL", "RUN",
                                               "2026-12-03T01:45:00Z", "1440m"])
        day = 24 * 3600 * 1000
        self.assertIn(int(rows["orders"][9]), {(before - last) // day, (after - last) // day})
        # invoices: the job's 30 minutes
        self.assertEqual(rows["invoices"][8], "30m")
        behind = int(rows["invoices"][9])
        self.assertGreaterEqual(behind, (before - last) // (30 * 60000))
        self.assertLessEqual(behind, (after - last) // (30 * 60000))
        # One table's chain: the same window.
        r = self.cli("status", "--job", JOB, "--table", "orders", "--account", MEMBER)
        row = [l.split() for l in r.stdout.splitlines() if l.startswith(JOB)][0]
        self.assertEqual(row[8], "1440m")
        # A chain of a job the configuration no longer has: no window to count by.
        r = self.cli("status")
        row = [l.split() for l in r.stdout.splitlines() if l.startswith("gone-job")][0]
        self.assertEqual(row[8:10], ["-", "-"])
        self.cli("status", "--window-minutes", "10", expect=2)  # gone: the configuration says

    def test_3_pause_resume_reset(self):
        v = int(item("orders")["version"])
        self.cli("pause", "--job", JOB)  # every chain of the job
        it = item("orders")
        self.assertEqual(it["workflow-action"], "PAUSE")
        self.assertEqual(int(it["version"]), v + 1)
        r = self.cli("pause", "--job", JOB, "--table", "orders", "--account", MEMBER)
        self.assertIn("(already)", r.stdout)
        self.assertEqual(int(item("orders")["version"]), v + 1)  # nothing written
        self.cli("reset", "--job", JOB, "--table", "orders", "--account", MEMBER)
        self.assertEqual(item("orders")["workflow-action"], "RESET_WITH_FULL_EXPORT_AGAIN")
        self.cli("resume", "--job", JOB, "--table", "orders", "--account", MEMBER)
        it = item("orders")
        self.assertEqual(it["workflow-action"], "RUN")
        self.assertEqual(int(it["version"]), v + 3)
        self.assertEqual(it["last-incremental-export-time"], "1796262300000")  # the chain stays
        # Paused before its first export: a chain of its own, not initiated.
        self.cli("pause", "--job", JOB, "--table", "payments", "--account", MEMBERS[1])
        it = item("payments", account=MEMBERS[1])
        self.assertEqual(it["workflow-action"], "PAUSE")
        self.assertEqual(it["workflow-initiated"], "false")
        self.cli("pause", expect=2)  # which job?


if __name__ == "__main__":
    unittest.main()
