"""Retention by record, under the test world's SigV4 and IAM enforcement:
a flood of look-alike backups (both name forms, newer than the genuine
ones), a second job on the same tables and a failed new backup never cost
a genuine backup; only the job's own old recorded backups go. Checked with
boto3 as the member accounts' and the central account's admins."""

import datetime
import json
import os
import time
import unittest

from fvtest import MEMBERS, WorldProcess, admin, backups_by_table, fleet_config, run, tmpdir

TABLES = {"111111111111": ["orders", "customers"], "222222222222": ["payments", "invoices"]}
CONTROL = "fleetvault-control"


def job(name, retention, scope="job"):
    return f"""
- name: {name}
  type: dynamodb_backups
  tables:
    names: [orders, customers, payments, invoices]
  retention: {retention}
  retention_scope: {scope}
  retention_min_age_s: 0
  deny_delete_policy: false
"""


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")


def tearDownModule():
    W.stop()


class TestRetentionByRecord(unittest.TestCase):
    def setUp(self):
        self.dir = tmpdir()
        self.cfg = os.path.join(self.dir, "fleet.yaml")

    def backup(self, name, retention, scope="job", env=None, expect=0, dry_run=False):
        """One `fleetvault backup` run of a single job; {(account, table): arn} it created."""
        out = os.path.join(self.dir, f"run-{time.time_ns()}")
        os.mkdir(out)
        fleet_config(self.cfg, job(name, retention, scope))
        args = ["backup", "--config", self.cfg, "--output-dir", out, "--no-progress"]
        r = run(args + (["--dry-run"] if dry_run else []), W, env_extra=env)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        time.sleep(1.1)  # run ids (and backup names) have one-second resolution
        if dry_run:
            return r.stdout
        names = [n for n in os.listdir(out) if n.startswith("backup_manifest_")]
        with open(os.path.join(out, names[0])) as f:
            manifest = json.load(f)
        made = {}
        for res in manifest["resources"]:
            if res["kind"] == "dynamodb.backup" and res["status"] == "SUCCEEDED":
                made[(res["account"], res["resource"])] = res["outputs"][0]["backup_arn"]
        return made, manifest

    @staticmethod
    def arns():
        """{(account, table): {arn: name}} of every backup in the world."""
        out = {}
        for acct in MEMBERS:
            for t, bs in backups_by_table(W, acct).items():
                out[(acct, t)] = {b["BackupArn"]: b["BackupName"] for b in bs}
        return out

    @staticmethod
    def record(arn):
        ddb = W.client("dynamodb", who="admin")
        return ddb.get_item(TableName=CONTROL, Key={"pk": {"S": f"backup#{arn}"}},
                            ConsistentRead=True).get("Item")

    def test_look_alikes_other_jobs_and_a_failed_backup_never_cost_a_genuine_backup(self):
        daily = []  # per run: {(account, table): arn}
        made, _ = self.backup("daily", 5)
        daily.append(made)
        self.assertEqual(set(made), {(a, t) for a in MEMBERS for t in TABLES[a]})
        for arn in made.values():
            rec = self.record(arn)
            self.assertEqual(rec["job"]["S"], "daily", rec)
        # The member accounts' admins flood each table with look-alikes of
        # each genuine backup, newer than it: the old name form and ours.
        fakes = set()
        later = datetime.datetime.utcnow() + datetime.timedelta(days=1)
        for (acct, t), arn in made.items():
            ddb = admin(W, "dynamodb", acct)
            for k in range(3):
                stamp = (later + datetime.timedelta(hours=k)).strftime("%Y%m%dT%H%M%SZ")
                name = f"{t}-{stamp}" if k == 0 else f"{t}-daily-{stamp}"
                fakes.add(ddb.create_backup(TableName=t, BackupName=name)["BackupDetails"]["BackupArn"])
        self.assertEqual(len(fakes), 3 * len(made))
        # A second job on the same tables, with its own retention.
        weekly = [self.backup("weekly", 3)[0] for _ in range(2)]
        daily.append(self.backup("daily", 5)[0])
        # A run with retention 1 in which one table's new backup fails: the
        # first CreateBackup of member-a is throttled, with no retries left.
        W.control("POST", "/_world/faults", {"operation": "CreateBackup", "account": "111111111111",
                                             "kind": "throttle", "count": 1})
        try:
            made, manifest = self.backup("daily", 1, expect=1,
                                         env={"FV_WORKER_MAX_ATTEMPTS": "1", "FV_AWS_MAX_ATTEMPTS": "1"})
        finally:
            W.control("DELETE", "/_world/faults")
        failed = [(r["account"], r["resource"]) for r in manifest["resources"]
                  if r["kind"] == "dynamodb.backup" and r["status"] == "FAILED"]
        self.assertEqual(len(failed), 1, manifest["resources"])
        self.assertEqual(failed[0][0], "111111111111")
        retention = [r for r in manifest["resources"] if r["kind"] == "dynamodb.retention"]
        self.assertTrue(retention and all(r["status"] == "SUCCEEDED" for r in retention), retention)
        daily.append(made)
        now = self.arns()
        # The failed table kept its newest genuine backup (the previous run's).
        self.assertIn(daily[1][failed[0]], now[failed[0]])
        self.assertNotIn(daily[0][failed[0]], now[failed[0]])
        # Then retention 2.
        daily.append(self.backup("daily", 2)[0])

        now = self.arns()
        present = {arn for by in now.values() for arn in by}
        self.assertEqual(fakes - present, set(), "a look-alike was deleted")
        for w in weekly:
            self.assertEqual(set(w.values()) - present, set(), "the weekly job's backups were deleted")
        for acct in MEMBERS:
            for t in TABLES[acct]:
                key = (acct, t)
                genuine = [r[key] for r in daily if key in r]  # oldest first
                kept = [a for a in genuine if a in present]
                self.assertEqual(kept, genuine[-2:], f"{key}: {genuine} -> {kept}")
                for arn in genuine:
                    rec = self.record(arn)
                    if arn in present:
                        self.assertEqual((rec["job"]["S"], rec["account"]["S"], rec["table"]["S"]),
                                         ("daily", acct, t))
                    else:
                        self.assertIsNone(rec, f"{arn} was deleted but its record stayed")
        # The failed table: no backup of that run, so its last two are the
        # run before's and the last one's.
        self.assertNotIn(failed[0], daily[2])
        self.assertEqual([a for a in [r.get(failed[0]) for r in daily] if a in present],
                         [daily[1][failed[0]], daily[3][failed[0]]])

        # The opt-in scope "table": a dry run names what it would delete (the
        # look-alikes, the other job's and this job's older backups, all
        # beyond this run's new one) and deletes nothing; a table the job has
        # no records of is not its business.
        by_hand = admin(W, "dynamodb", "111111111111").create_backup(
            TableName="sessions", BackupName="sessions-by-hand")["BackupDetails"]["BackupArn"]
        before = self.arns()
        out = self.backup("daily", 1, scope="table", dry_run=True)
        self.assertEqual(self.arns(), before)
        self.assertIn("retention 111111111111 us-east-1 (scope table, keep 1, none younger than 0 s)", out)
        would = {line.split()[4] for line in out.splitlines() if line.strip().startswith("would delete ")}
        everything = {a for key, by in before.items() if key[1] in TABLES[key[0]] for a in by}
        self.assertEqual(would, everything, out)
        self.assertTrue(fakes <= would)
        self.assertNotIn(by_hand, would)
        # The default scope in a dry run: only this job's own, recorded ones.
        out = self.backup("daily", 1, dry_run=True)
        would = {line.split()[4] for line in out.splitlines() if line.strip().startswith("would delete ")}
        self.assertEqual(would, {a for r in daily for a in r.values() if a in present}, out)
        self.assertEqual(self.arns(), before)

    def test_a_job_name_backup_names_cannot_carry_exits_2_before_any_write(self):
        fleet_config(self.cfg, job("nightly backups", 7))
        W.control("DELETE", "/_world/requests")
        r = run(["backup", "--config", self.cfg], W)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn(f"{self.cfg}: jobs[0].name", r.stderr)
        self.assertEqual(W.control("GET", "/_world/requests")[1]["counts"], [])


if __name__ == "__main__":
    unittest.main()
