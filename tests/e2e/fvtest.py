"""Shared by the end-to-end tests: run the fleetvault binary against a test
world, write configs, and read the world back with boto3 (the independent
client: our own reader never checks our own writes)."""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "awsworld"))
from worldclient import WorldProcess  # noqa: E402

SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("FV_BIN") or os.path.join(SOURCE, "build", "bin", "fleetvault")
MEMBERS = ("111111111111", "222222222222")
MANAGED_PREFIXES = ("/aws-service-role/", "/aws-reserved/")


def fleet_config(path, jobs, kafka=None, extra=""):
    """Writes a fleet config for the test world's small fleet."""
    lines = [
        "region: us-east-1",
        "accounts:",
    ]
    for acct, name in zip(MEMBERS, ("member-a", "member-b")):
        lines += [f'  - id: "{acct}"', f"    name: {name}",
                  f"    role_arn: arn:aws:iam::{acct}:role/fleetvault-member",
                  "    external_id: fleetvault-demo"]
    lines += ["central:", '  account: "123456789012"', "  bucket: fleetvault-backups-123456789012",
              "kafka:", f"  brokers: {kafka or 'embedded'}", "  session_timeout_ms: 6000",
              # the mock cluster in its own process speaks PLAINTEXT only
              *(["  allow_plaintext: true"] if kafka else []),
              "worker:", "  concurrency: 8", "  shutdown_grace_s: 5",
              "coordinator:", "  run_deadline_s: 300",
              "logging:", "  level: info"]
    lines.append("jobs:")
    lines += ["  " + l for l in jobs.strip("\n").split("\n")]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)


# The key ring every process of a test run shares (tasks are signed by the
# coordinator and verified by the workers); FORGED_KEYS is one they do not hold.
TASK_KEYS = "e2e-1 e2e-task-signing-secret-0123456789abcdef"
FORGED_KEYS = "e2e-1 not-the-secret-the-workers-hold-0123456789"


def run(args, world, timeout=240, env_extra=None, **kw):
    env = dict(os.environ)
    env["FV_TASK_SIGNING_KEYS"] = TASK_KEYS
    env.update(world.env)
    env.update(env_extra or {})
    return subprocess.run([BIN] + args, env=env, capture_output=True, text=True, timeout=timeout, **kw)


def spawn(args, world, env_extra=None, **kw):
    env = dict(os.environ)
    env["FV_TASK_SIGNING_KEYS"] = TASK_KEYS
    env.update(world.env)
    env.update(env_extra or {})
    return subprocess.Popen([BIN] + args, env=env, **kw)


def admin(world, service, account):
    return world.client(service, who=f"admin:{account}")


def backups_by_table(world, account):
    ddb = admin(world, "dynamodb", account)
    out = {}
    kw = {"BackupType": "USER"}
    while True:
        page = ddb.list_backups(**kw)
        for b in page.get("BackupSummaries", []):
            out.setdefault(b["TableName"], []).append(b)
        if "LastEvaluatedBackupArn" not in page:
            return out
        kw["ExclusiveStartBackupArn"] = page["LastEvaluatedBackupArn"]


def tables(world, account):
    return admin(world, "dynamodb", account).list_tables()["TableNames"]


def tagged_tables(world, account, key="backup", value="daily"):
    tag = admin(world, "resourcegroupstaggingapi", account)
    pages = tag.get_paginator("get_resources").paginate(TagFilters=[{"Key": key, "Values": [value]}],
                                                        ResourceTypeFilters=["dynamodb:table"])
    return sorted(r["ResourceARN"].split(":table/")[1] for p in pages for r in p["ResourceTagMappingList"])


def inline_policies(world, account):
    """{arn: [policy names]} for every user and role."""
    iam = admin(world, "iam", account)
    out = {}
    for u in iam.list_users()["Users"]:
        out[u["Arn"]] = (u["Path"], iam.list_user_policies(UserName=u["UserName"])["PolicyNames"])
    for r in iam.list_roles()["Roles"]:
        out[r["Arn"]] = (r["Path"], iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"])
    return out


def grant_exports(world, jobs, d, central="123456789012"):
    """The member roles get what `fleetvault iam-policy` generates for the
    dynamodb_exports jobs `jobs` (the world's roles carry the sample fleet's
    grants, whose exports job has other prefixes). d: a directory for the files."""
    cfg = os.path.join(d, "iam.yaml")
    fleet_config(cfg, jobs)
    with open(cfg) as f:
        text = f.read().replace("central:\n", "central:\n  principal_arn: "
                                f"arn:aws:iam::{central}:role/fleetvault\n", 1)
    with open(cfg, "w") as f:
        f.write(text)
    out = os.path.join(d, "iam")
    os.makedirs(out, exist_ok=True)
    r = subprocess.run([BIN, "iam-policy", "--config", cfg, "--out", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "fleetvault-member-policy.json")) as f:
        doc = f.read()
    for acct in MEMBERS:
        admin(world, "iam", acct).put_role_policy(RoleName="fleetvault-member", PolicyName="fleetvault-exports",
                                                  PolicyDocument=doc)


def seed_state(world, account, alias, full, last):
    """A seed 003 deployment's state (its SSM parameters, as its user left
    them): a chain initiated by a full export at full, its last window ending
    at last (ISO 8601), NORMAL, RUN."""
    ssm = admin(world, "ssm", account)
    for name, value in (("full-export-time", full), ("last-incremental-export-time", last),
                        ("workflow-initiated", "true"), ("workflow-state", "NORMAL"),
                        ("workflow-action", "RUN")):
        ssm.put_parameter(Name=f"/incremental-export/{alias}/{name}", Value=value, Type="String")


def tmpdir():
    return tempfile.mkdtemp(prefix="fv-e2e-")


def wait_for(pred, timeout=60, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def load_manifest(out_dir):
    names = [n for n in os.listdir(out_dir) if n.startswith("backup_manifest_")]
    assert len(names) == 1, names
    with open(os.path.join(out_dir, names[0])) as f:
        return json.load(f)
