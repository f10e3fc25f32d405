#!/usr/bin/env python3
"""An external Kafka cluster reached in PLAINTEXT is refused before anything
starts: `fleetvault config check`, the daemons and `fleetvault backup` exit 2
with one line naming the file and kafka.properties.security.protocol, unless
the file says kafka.allow_plaintext. TLS set-ups (deploy/k8s's mTLS ConfigMap
and SCRAM example among them) and the embedded cluster pass.
    plaintext_refused.py FLEETVAULT SOURCE_DIR"""

import os
import subprocess
import sys
import tempfile

import yaml

FV, SOURCE = sys.argv[1], sys.argv[2]
HEAD = "region: us-east-1\n"
KEY = "kafka.properties.security.protocol"
failures = []


def check(what, cond, detail=""):
    if not cond:
        failures.append(f"{what}: {detail}")


def fleetvault(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FV_")}
    return subprocess.run([FV, *args], capture_output=True, text=True, timeout=60, env=env)


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


with tempfile.TemporaryDirectory() as d:
    refused = {
        "none.yaml": "kafka:\n  brokers: b1:9092\n",
        "plain.yaml": "kafka:\n  brokers: b1:9092\n  properties:\n    security.protocol: PLAINTEXT\n",
        "sasl-plain.yaml": "kafka:\n  brokers: b1:9092\n  properties:\n    security.protocol: sasl_plaintext\n"
                           "    sasl.mechanisms: SCRAM-SHA-512\n",
    }
    for name, body in refused.items():
        path = write(d, name, HEAD + body)
        for args in (["config", "check", path], ["worker", "--config", path],
                     ["coordinator", "--config", path], ["backup", "--config", path]):
            r = fleetvault(*args)
            lines = r.stderr.strip().splitlines()
            check(f"{' '.join(args[:2])} {name}", r.returncode == 2 and len(lines) == 1 and KEY in lines[0]
                  and path in lines[0], f"rc {r.returncode}, stderr {r.stderr!r}")
    accepted = {
        "ssl.yaml": "kafka:\n  brokers: b1:9093\n  properties:\n    security.protocol: SSL\n"
                    "    ssl.ca.location: /etc/ssl/certs/ca-certificates.crt\n",
        "scram.yaml": "kafka:\n  brokers: b1:9096\n  properties:\n    security.protocol: SASL_SSL\n"
                      "    sasl.mechanisms: SCRAM-SHA-512\n    sasl.username: u\n    sasl.password: p\n",
        "allowed.yaml": "kafka:\n  brokers: 127.0.0.1:9092\n  allow_plaintext: true\n",
        "embedded.yaml": "kafka:\n  brokers: embedded\n",
        "default.yaml": "",
    }
    for name, body in accepted.items():
        r = fleetvault("config", "check", write(d, name, HEAD + body))
        check(f"config check {name}", r.returncode == 0, r.stderr)
    # What deploy/ ships.
    with open(os.path.join(SOURCE, "deploy", "k8s", "base", "configmap.yaml")) as f:
        fleet = yaml.safe_load(f)["data"]["fleet.yaml"]
    with open(os.path.join(SOURCE, "deploy", "k8s", "scram", "fleet-scram.example.yaml")) as f:
        scram = f.read()
    for name, text in (("configmap-fleet.yaml", fleet), ("fleet-scram.yaml", scram)):
        r = fleetvault("config", "check", write(d, name, text))
        check(f"config check deploy/k8s {name}", r.returncode == 0, r.stderr)

for f in failures:
    print("FAIL:", f)
print("plaintext refused: " + ("ok" if not failures else f"{len(failures)} failures"))
sys.exit(1 if failures else 0)
