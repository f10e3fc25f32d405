#!/usr/bin/env python3
"""Writes the fuzz_task seed corpus (tests/fuzz/corpus/task/): one valid task
of every kind and step, as fuzz_task reads them — byte 0 odd (seal these Task
bytes), byte 1 the stub's answer, then a protobuf Task (proto/fleetvault.proto)
encoded by hand: the wire format is small and the image has no protobuf module."""

import os

A = "111111111111"
RUN = "-20261203T020000Z"


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def field(num, value):
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(num << 3 | 2) + varint(len(data)) + data


def task(kind, job, resource, step, params=None):
    out = field(1, 1) + field(2, "0123456789abcdef0123456789abcdef") + field(3, job + RUN)
    out += field(4, job) + field(5, kind) + field(6, A) + field(7, "us-east-1") + field(8, resource)
    for k, v in (params or {}).items():
        out += field(9, field(1, k) + field(2, v))
    return out + field(10, 1) + field(13, step)


ARN = f"arn:aws:quicksight:us-east-1:{A}:dashboard/d1"
SEEDS = {
    "backup-create": task("dynamodb.backup", "ddb", "orders", "create"),
    "backup-wait": task("dynamodb.backup", "ddb", "orders", "wait",
                        {"backup_arn": f"arn:aws:dynamodb:us-east-1:{A}:table/orders/backup/1", "created_ms": "1"}),
    "retention": task("dynamodb.retention", "ddb", "retention", "expire", {"tables": "orders,customers"}),
    "deny": task("iam.deny_delete_backup", "ddb", f"arn:aws:iam::{A}:role/app/worker", "put"),
    "users": task("quicksight.users", "qs", "users", "write"),
    "groups": task("quicksight.groups", "qs", "groups", "write"),
    "export-start": task("quicksight.export", "qs", "dashboards_bundle_2", "start", {"arns": f'["{ARN}"]'}),
    "export-wait": task("quicksight.export", "qs", "dashboards", "wait",
                        {"arns": f'["{ARN}"]', "slot": "1", "generation": "2", "started_ms": "5",
                         "skipped": ARN}),
    "import-start": task("quicksight.import", "qs", "datasets_bundle_2", "start",
                         {"backup_run": "qs-20261201T020000Z", "source_account": A, "sha256": "ab" * 32,
                          "size": "1234", "overrides": '{"ResourceIdOverrideConfiguration":{}}'}),
    "import-wait": task("quicksight.import", "qs", "dashboards", "wait",
                        {"backup_run": "qs-20261201T020000Z", "source_account": A, "sha256": "ab" * 32,
                         "size": "1234", "slot": "0", "started_ms": "5"}),
}

if __name__ == "__main__":
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "task")
    os.makedirs(out_dir, exist_ok=True)
    for name, body in SEEDS.items():
        for answer in range(6):
            with open(os.path.join(out_dir, f"{name}-{answer}"), "wb") as f:
                f.write(bytes([1, answer]) + body)
