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
              "kafka:", f"  brokers: {kafka or 'embedded'}",
              # A separate cluster: workers are killed, and their partitions
              # must move within seconds; it speaks PLAINTEXT only. Embedded
              # runs keep the default session: nothing is killed, and a
              # short one lets a starved mock drop a JoinGroup answer
              # (FACTS.md, librdkafka 2.0.2's mock).
              *(["  session_timeout_ms: 6000", "  allow_plaintext: true"] if kafka else []),
              "worker:", "  concurrency: 8", "  shutdown_grace_s: 5",
              "coordinator:", f"  run_deadline_s: {RUN_DEADLINE_S}",
              "logging:", "  level: info"]
    lines.append("jobs:")
    lines += ["  " + l for l in jobs.strip("\n").split("\n")]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)


# The key ring every process of a test run shares (tasks are signed by the
# coordinator and verified by the workers); FORGED_KEYS is one they do not hold.
TASK_KEYS = "e2e-1 e2e-task-signing-secret-0123456789abcdef"
FORGED_KEYS = "e2e-1 not-the-secret-the-workers-hold-0123456789"


def run(args, world, timeout=None, env_extra=None, **kw):
    """Runs the binary to its end; a coordinator ends itself at its run's
    deadline first. A process still running at the timeout is killed and
    the test fails with the tail of what it printed."""
    env = dict(os.environ)
    env["FV_TASK_SIGNING_KEYS"] = TASK_KEYS
    env.update(world.env)
    env.update(env_extra or {})
    try:
        return subprocess.run([BIN] + args, env=env, capture_output=True, text=True,
                              timeout=timeout or COORDINATOR_TIMEOUT_S, **kw)
    except subprocess.TimeoutExpired as e:
        out = e.stderr or b""
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        raise AssertionError(f"{' '.join(args[:2])} still running after {e.timeout} s; "
                             f"its stderr ends:\n{out[-4000:]}") from None


# Every coordinator of a test ends itself (its run's deadline: unfinished
# tasks FAILED, the manifest written, the lease released) well before the
# test stops waiting for it: a hung run is reported by the product, and a
# killed coordinator's lease never outlives its test.
RUN_DEADLINE_S = 300
COORDINATOR_TIMEOUT_S = RUN_DEADLINE_S + 90


def run_logged(args, world, log_path, timeout=COORDINATOR_TIMEOUT_S, env_extra=None):
    """run(), with stderr written to log_path as it comes (still there when
    the process had to be killed) and returned in .stderr too."""
    env = dict(os.environ)
    env["FV_TASK_SIGNING_KEYS"] = TASK_KEYS
    env.update(world.env)
    env.update(env_extra or {})
    with open(log_path, "w") as log:
        r = subprocess.run([BIN] + args, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                           timeout=timeout)
    with open(log_path) as log:
        r.stderr = log.read()
    return r


def log_tails(directory, lines=60):
    """The last lines of each *.log in directory (workers', coordinators')."""
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".log"):
            continue
        with open(os.path.join(directory, name), errors="replace") as f:
            tail = f.readlines()[-lines:]
        out.append(f"---- {name} (last {len(tail)} lines) ----\n" + "".join(tail))
    return "\n".join(out)


def print_logs_if_failed(case, directory):
    """From tearDown: when the test failed or errored, the tails of its logs
    go to stderr (unittest keeps the traceback; this is the why)."""
    result = getattr(getattr(case, "_outcome", None), "result", None)
    failed = result is not None and any(t is case for t, _ in result.failures + result.errors)
    if failed:
        print(f"\n==== logs of {case.id()} in {directory} ====\n{log_tails(directory)}",
              file=sys.stderr, flush=True)


def wait_lease_free(world, timeout=60, table="fleetvault-control"):
    """Waits until no coordinator holds the lease (a coordinator killed by
    an earlier test of the module holds it until it expires: lease_ttl_s).
    Returns the seconds waited; raises AssertionError past timeout."""
    ddb = world.client("dynamodb", who="admin")
    start = time.time()
    while True:
        try:
            item = ddb.get_item(TableName=table, Key={"pk": {"S": "lease#coordinator"}},
                                ConsistentRead=True).get("Item")
        except ddb.exceptions.ResourceNotFoundException:
            item = None  # no coordinator has run yet
        holder = item.get("holder", {}).get("S") if item else None
        expires = int(item["expires"]["N"]) if item and "expires" in item else 0
        if not holder or expires < int(time.time()):
            return time.time() - start
        assert time.time() - start < timeout, f"the lease is still held by {holder}"
        time.sleep(1)


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
