"""Helpers for tests that use the world: start/stop it, boto3 clients for its
principals, raw SigV4-signed requests, and the control API.

    w = WorldProcess.start(fleet="small")
    s3 = w.client("s3", "fleetvault")
    ...
    w.stop()
"""

import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

try:
    import boto3
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError:  # pragma: no cover
    sys.stderr.write("worldclient: boto3/botocore are needed (the image's python3 has them)\n")
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
WORLD = os.path.join(HERE, "world")
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorldProcess:
    # Whom client() and raw() sign as when not told: fleetvault's own
    # least-privilege principal (deploy/iam). The world's self-tests, whose
    # subject is the world and not fleetvault's grants, set "admin"; then
    # member_client() is the member account's admin unless as_role=True.
    default_who = "fleetvault"

    def __init__(self, port, state_dir, env, start_seconds):
        self.port = port
        self.state_dir = state_dir
        self.env = env
        self.url = env["AWS_ENDPOINT_URL"]
        self.start_seconds = start_seconds
        with open(os.path.join(state_dir, "principals.json")) as f:
            self.principals = json.load(f)

    @classmethod
    def start(cls, fleet="small", extra_env=None, timeout=60):
        try:
            import moto  # noqa: F401
        except ImportError:
            raise RuntimeError("moto is not importable in this python3; the world needs moto 5.2.1")
        port = free_port()
        state_dir = f"/tmp/fv-world-test-{port}"
        env = dict(os.environ)
        env.update(extra_env or {})
        t0 = time.time()
        out = subprocess.run([sys.executable, WORLD, "start", "--fleet", fleet, "--port", str(port),
                              "--state-dir", state_dir, "--timeout", str(timeout)],
                             capture_output=True, text=True, env=env, timeout=timeout + 10)
        took = time.time() - t0
        if out.returncode != 0:
            raise RuntimeError(f"world start failed ({out.returncode}): {out.stderr}")
        exports = {}
        for line in out.stdout.splitlines():
            if line.startswith("export "):
                k, _, v = line[len("export "):].partition("=")
                exports[k] = v.strip("'")
        return cls(port, state_dir, exports, took)

    def stop(self, remove_state=True):
        out = subprocess.run([sys.executable, WORLD, "stop", "--state-dir", self.state_dir],
                             capture_output=True, text=True, timeout=30)
        if remove_state and out.returncode == 0:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return out

    # -- principals ---------------------------------------------------------------
    def creds(self, who):
        """who: fleetvault | admin | limited | admin:<member account>"""
        if who.startswith("admin:"):
            p = self.principals["members"][who.split(":", 1)[1]]["admin"]
        else:
            p = self.principals["principals"][who]
        return {"aws_access_key_id": p["access_key_id"], "aws_secret_access_key": p["secret_access_key"]}

    def client(self, service, who=None, config=NO_RETRY, **creds):
        kw = creds or self.creds(who or self.default_who)
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", config=config, **kw)

    def member_creds(self, account, external_id="fleetvault-demo", duration=3600):
        sts = self.client("sts", who="fleetvault")  # the principal the member roles trust
        c = sts.assume_role(RoleArn=self.principals["members"][account]["role_arn"], RoleSessionName="fvtest",
                            ExternalId=external_id, DurationSeconds=duration)["Credentials"]
        return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["SessionToken"]}

    def member_client(self, service, account, as_role=False, **kw):
        """fleetvault's member role in account (the account's admin instead
        when default_who is "admin" and as_role is not set)."""
        if self.default_who == "admin" and not as_role:
            return self.client(service, who=f"admin:{account}")
        return self.client(service, **self.member_creds(account, **kw))

    # -- raw signed requests ----------------------------------------------------------
    def raw(self, method, path, service, body=b"", headers=None, who=None, secret=None, access_key=None,
            s3=False, content_sha256=None, sign=True, send_headers=None, auth_cls=None):
        """Sign with botocore's SigV4Auth (S3SigV4Auth for s3) and send with
        http.client exactly as given.  Returns (status, headers dict, body)."""
        h = dict(headers or {})
        if sign:
            c = self.creds(who or self.default_who)
            creds = Credentials(access_key or c["aws_access_key_id"], secret or c["aws_secret_access_key"])
            if s3:
                h.setdefault("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())
            req = AWSRequest(method=method, url=self.url + path, data=body, headers=h)
            (auth_cls or (S3SigV4Auth if s3 else SigV4Auth))(creds, service, "us-east-1").add_auth(req)
            h = dict(req.headers.items())
        if content_sha256 is not None:
            h["X-Amz-Content-SHA256"] = content_sha256
        h.update(send_headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    # -- control API ----------------------------------------------------------------
    def control(self, method, path, doc=None):
        data = json.dumps(doc).encode() if doc is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def set_clock(self, offset):
        return self.control("POST", "/_world/clock", {"offset_seconds": offset})[1]

    def advance_clock(self, seconds):
        return self.control("POST", "/_world/clock", {"advance_seconds": seconds})[1]

    def world_now(self):
        return self.control("GET", "/_world/clock")[1]["now"]
