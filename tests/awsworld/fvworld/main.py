"""Server process: `python3 -m fvworld.main --port P --fleet small --state-dir D`.

Imports moto, seeds the fleet through moto's backends, turns IAM enforcement
on, serves the world on 127.0.0.1:P (werkzeug, threaded) and writes
D/env.sh, D/principals.json, D/pid.  Usually started by ../world.
"""

import argparse
import json
import logging
import os
import signal
import sys
import time

try:
    import moto  # noqa: F401
except ImportError:
    sys.stderr.write("fvworld: cannot import moto (need moto 5.2.1 in this python3: "
                     f"{sys.executable}). The world cannot run without it.\n")
    sys.exit(3)

# Backends the world uses; imported before clock.install() so it can patch them.
import moto.cognitoidp.models  # noqa: E402,F401
import moto.dynamodb.models  # noqa: E402,F401
import moto.iam.models  # noqa: E402,F401
import moto.logs.models  # noqa: E402,F401
import moto.quicksight.models  # noqa: E402,F401
import moto.resourcegroupstaggingapi.models  # noqa: E402,F401
import moto.s3.models  # noqa: E402,F401
import moto.sns.models  # noqa: E402,F401
import moto.sts.models  # noqa: E402,F401
from moto import settings as moto_settings  # noqa: E402
from moto.core.authorization import ActionAuthenticatorMixin  # noqa: E402

from . import auth, clock, fleets, iam_ext, limits_ext  # noqa: E402
from .ddb_backups_ext import DdbBackupsExt  # noqa: E402
from .ddb_export_ext import DdbExportExt  # noqa: E402
from .quicksight_ext import QuickSightExt  # noqa: E402
from .s3_checksum_ext import S3ChecksumExt  # noqa: E402
from .server import World  # noqa: E402

log = logging.getLogger("fvworld")


def sts_assume_role(world):
    """moto gap: AssumeRole must respect the target role's existence and trust policy."""

    def handler(environ, info):
        params = dict(info.query)
        params.update(info.form)
        role_arn = params.get("RoleArn", "")
        account, caller = auth.authenticate(environ, info, "AssumeRole", role_arn or "*")
        auth.check_assume_role_trust(account, caller, role_arn, params.get("ExternalId"))
        return world.forward(environ, info)

    world.register("sts", "AssumeRole", handler)


def build_world(settings, fleet_name):
    # Seed with enforcement off (moto only counts requests, not backend calls).
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    clock.install()
    auth.install()
    iam_ext.install()
    world = World(settings)
    qs = QuickSightExt(world)
    ddb = DdbExportExt(world)
    DdbBackupsExt(world)
    S3ChecksumExt(world)
    sts_assume_role(world)
    limits_ext.install(world)
    fleet = fleets.load_fleet(fleet_name)
    seeder = fleets.Seeder(world, fleet, qs, ddb)
    principals = seeder.run()
    principals["fleet"] = fleet_name
    principals["contents"] = seeder.summary
    # moto's own switch: from now on every request is authenticated and authorised.
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    return world, principals


def write_state(state_dir, port, principals):
    os.makedirs(state_dir, exist_ok=True)
    fv = principals["principals"]["fleetvault"]
    url = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": url,
        "AWS_REGION": principals["region"],
        "AWS_DEFAULT_REGION": principals["region"],
        "AWS_ACCESS_KEY_ID": fv["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": fv["secret_access_key"],
        "FV_WORLD_URL": url,
        "FV_WORLD_STATE_DIR": state_dir,
    }
    lines = "".join(f"export {k}='{v}'\n" for k, v in env.items())
    lines += "unset AWS_SESSION_TOKEN AWS_PROFILE\n"
    tmp = os.path.join(state_dir, "env.sh.tmp")
    with open(tmp, "w") as f:
        f.write(lines)
    os.replace(tmp, os.path.join(state_dir, "env.sh"))
    principals["endpoint"] = url
    with open(os.path.join(state_dir, "principals.json"), "w") as f:
        json.dump(principals, f, indent=2, sort_keys=True)
    with open(os.path.join(state_dir, "pid"), "w") as f:
        f.write(f"{os.getpid()}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fvworld.main")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fleet", default="small")
    ap.add_argument("--state-dir", required=True)
    args = ap.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if os.environ.get("FV_WORLD_VERBOSE") else logging.WARNING)
    t0 = time.time()
    settings = {}
    if os.environ.get("FV_WORLD_SETTINGS"):
        settings.update(json.loads(os.environ["FV_WORLD_SETTINGS"]))
    world, principals = build_world(settings, args.fleet)
    if os.environ.get("FV_WORLD_LATENCY_MS"):
        world.faults.latency_ms = int(os.environ["FV_WORLD_LATENCY_MS"])
    if os.environ.get("FV_WORLD_FAULTS"):
        world.faults.add(json.loads(os.environ["FV_WORLD_FAULTS"]))
    if os.environ.get("FV_WORLD_CLOCK_OFFSET"):
        clock.set_offset(float(os.environ["FV_WORLD_CLOCK_OFFSET"]))

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", args.port, world, threaded=True)
    world.base_url = f"http://127.0.0.1:{args.port}"

    def stop(signum, frame):
        log.info("signal %s: stopping", signum)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_state(args.state_dir, args.port, principals)
    world.ready = True
    log.info("world ready on %s (fleet %s) in %.2fs", world.base_url, args.fleet, time.time() - t0)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        try:
            os.unlink(os.path.join(args.state_dir, "pid"))
        except OSError:
            pass


if __name__ == "__main__":
    main()
