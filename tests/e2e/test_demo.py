"""`make demo` (scripts/demo), as a user runs it: its own test world with
the sample fleet, the embedded Kafka default, docs/examples/fleet-demo.yaml.
Each job's run succeeds and verifies; the exports job (seed 003) exports
member-a's orders table — a full export of its 5 items into the central
bucket under the table's prefix — and `exports status` shows the chain
initiated, NORMAL, RUN, its last window end the full export's time."""

import datetime
import glob
import json
import os
import re
import subprocess
import unittest

from fvtest import BIN, SOURCE, tmpdir

BUCKET = "fleetvault-backups-123456789012"
PREFIX = "dynamodb-exports/orders-exports/111111111111/us-east-1/orders/AWSDynamoDB/"


class TestDemo(unittest.TestCase):
    def test_make_demo(self):
        out = tmpdir()
        env = dict(os.environ, FV_BIN=BIN, FV_DEMO_OUT=out)
        env.pop("FV_TASK_SIGNING_KEYS", None)  # the demo needs none (embedded)
        r = subprocess.run([os.path.join(SOURCE, "scripts", "demo")], env=env, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(re.findall(r"^(\d+) of \1 verified$", r.stdout, re.M)), 2, r.stdout)

        manifests = glob.glob(os.path.join(out, "orders-exports", "backup_manifest_*.json"))
        self.assertEqual(len(manifests), 1, manifests)
        with open(manifests[0]) as f:
            m = json.load(f)
        self.assertEqual((m["type"], m["outcome"]), ("dynamodb_exports", "succeeded"))
        exports = [(x["account"], x["resource"], x["status"]) for x in m["resources"]]
        self.assertEqual(exports, [("111111111111", "orders", "SUCCEEDED")])  # one table of the fleet
        o = m["resources"][0]["outputs"][0]
        self.assertEqual((o["export_type"], o["item_count"], o["bucket"]), ("FULL_EXPORT", "5", BUCKET))
        self.assertTrue(o["object_key"].startswith(PREFIX) and o["object_key"].endswith("/manifest-summary.json"),
                        o["object_key"])

        status = r.stdout.split("== fleetvault exports status", 1)[1].splitlines()
        rows = [l.split() for l in status if l.startswith("orders-exports ")]
        self.assertEqual(len(rows), 1, status)
        job, acct, region, table, initiated, state, action, last_end, window, behind, error = rows[0]
        self.assertEqual((acct, region, table, initiated, state, action, window, behind, error),
                         ("111111111111", "us-east-1", "orders", "true", "NORMAL", "RUN", "15m", "0", "-"))
        full_s = int(o["export_from_ms"]) // 1000
        self.assertEqual(last_end, datetime.datetime.fromtimestamp(full_s, datetime.timezone.utc)
                         .strftime("%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    unittest.main()
