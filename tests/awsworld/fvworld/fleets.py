"""Seed a fleet (tests/awsworld/fleets/<name>.json) straight into moto's
in-memory backends — no HTTP, so even the large fleet starts in seconds —
and create the principals fleetvault and the tests use.

Principals get exactly the IAM documents in deploy/iam/, which `fleetvault
iam-policy --config docs/examples/fleet-demo.yaml` generates for this fleet
(unit.iam_policy_current checks they are current): a permission missing from
the generated policy fails a test.
"""

import json
import os
import random

from moto.cognitoidp.models import cognitoidp_backends
from moto.dynamodb.models import dynamodb_backends
from moto.iam.models import iam_backends
from moto.logs.models import logs_backends
from moto.s3.models import s3_backends
from moto.sns.models import sns_backends

from . import clock
from .quicksight_ext import qs_arn

REGION = "us-east-1"
HERE = os.path.dirname(os.path.abspath(__file__))
FLEET_DIR = os.path.join(os.path.dirname(HERE), "fleets")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
IAM_DIR = os.path.join(REPO, "deploy", "iam")

ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
LIMITED_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "*"}]})
SERVICE_TRUST = '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{svc}"}},"Action":"sts:AssumeRole"}}]}}'


def load_fleet(name):
    if name == "none":
        with open(os.path.join(FLEET_DIR, "small.json")) as f:
            doc = json.load(f)
        for acct in doc["accounts"].values():
            for k in list(acct):
                if k not in ("admin",):
                    acct.pop(k)
        doc["central"] = {k: v for k, v in doc["central"].items() if k in ("account", "backup_bucket", "principals")}
        return doc
    path = name if os.path.sep in name else os.path.join(FLEET_DIR, f"{name}.json")
    with open(path) as f:
        return json.load(f)


def iam_document(fname):
    """A generated document of deploy/iam, as it is (it names this fleet's
    accounts, bucket, roles and central principal)."""
    with open(os.path.join(IAM_DIR, fname)) as f:
        text = f.read()
    json.loads(text)  # must be valid JSON
    return text


def _user_with_key(account, name, key_id, secret, policy_name, policy_doc, path="/"):
    iam = iam_backends[account]["aws"]
    iam.create_user(REGION, name, path)
    key = iam.create_access_key(name)
    del iam.access_keys[key.physical_resource_id]
    key.access_key_id, key.secret_access_key = key_id, secret
    iam.access_keys[key.physical_resource_id] = key
    if policy_doc:
        iam.put_user_policy(name, policy_name, policy_doc)
    return f"arn:aws:iam::{account}:user{path}{name}"


class Seeder:
    def __init__(self, world, fleet, qs_ext, ddb_ext):
        self.world, self.fleet, self.qs, self.ddb = world, fleet, qs_ext, ddb_ext
        self.rng = random.Random(fleet.get("seed", 42))
        self.central = fleet["central"]["account"]
        self.summary = {}

    def run(self):
        principals = self.principals()
        self.account(self.central, self.fleet["central"])
        for acct, spec in self.fleet["accounts"].items():
            self.account(acct, spec)
        # The generated bucket policy, attached as a deployment would (moto
        # stores it but does not evaluate bucket policies).
        bucket = self.fleet["central"]["backup_bucket"]
        fname = f"fleetvault-bucket-policy-{bucket}.json"
        if os.path.exists(os.path.join(IAM_DIR, fname)):
            s3_backends[self.central]["aws"].put_bucket_policy(bucket, iam_document(fname).encode())
        return principals

    # -- principals ---------------------------------------------------------------
    def principals(self):
        c = self.central
        p = self.fleet["central"]["principals"]
        central_policy = iam_document("fleetvault-central-policy.json")
        out = {"region": REGION, "central_account": c, "external_id": self.fleet["external_id"],
               "backup_bucket": self.fleet["central"]["backup_bucket"], "principals": {}, "members": {}}
        for role, doc, pname in (("fleetvault", central_policy, "fleetvault-central"),
                                 ("admin", ADMIN_POLICY, "world-admin"),
                                 ("limited", LIMITED_POLICY, "world-limited")):
            spec = p[role]
            arn = _user_with_key(c, spec["user"], spec["access_key_id"], spec["secret_access_key"], pname, doc)
            out["principals"][role] = {"account": c, "arn": arn, "access_key_id": spec["access_key_id"],
                                       "secret_access_key": spec["secret_access_key"]}
        trust = iam_document("fleetvault-member-trust.json")
        member_policy = iam_document("fleetvault-member-policy.json")
        for acct, spec in self.fleet["accounts"].items():
            iam = iam_backends[acct]["aws"]
            role_name = self.fleet["member_role_name"]
            iam.create_role(role_name, trust, "/", None, "fleetvault member access", [], None)
            iam.put_role_policy(role_name, "fleetvault-member", member_policy)
            adm = spec["admin"]
            arn = _user_with_key(acct, adm["user"], adm["access_key_id"], adm["secret_access_key"], "world-admin",
                                 ADMIN_POLICY)
            out["members"][acct] = {
                "role_arn": f"arn:aws:iam::{acct}:role/{role_name}",
                "external_id": self.fleet["external_id"],
                "admin": {"account": acct, "arn": arn, "access_key_id": adm["access_key_id"],
                          "secret_access_key": adm["secret_access_key"]},
            }
        return out

    # -- one account ------------------------------------------------------------------
    def account(self, acct, spec):
        s = self.summary.setdefault(acct, {})
        if spec.get("backup_bucket"):
            self.bucket(acct, {"name": spec["backup_bucket"], "tags": {"purpose": "fleetvault-backups"}})
            s.setdefault("buckets", []).append(spec["backup_bucket"])
        for b in spec.get("buckets", []):
            self.bucket(acct, b)
            s.setdefault("buckets", []).append(b["name"])
        tables = self.tables(acct, spec.get("tables", []), spec.get("generated_tables"))
        if tables:
            s["tables"] = tables
        for u in spec.get("iam_users", []):
            iam_backends[acct]["aws"].create_user(REGION, u, "/")
        for r in spec.get("iam_roles", []):
            svc = r.get("service", "lambda.amazonaws.com")
            iam_backends[acct]["aws"].create_role(r["name"], SERVICE_TRUST.format(svc=svc), r.get("path", "/"), None,
                                                  r.get("description", ""), [], None)
        if spec.get("iam_users") or spec.get("iam_roles"):
            s["iam_users"] = spec.get("iam_users", [])
            s["iam_roles"] = [f"{r.get('path', '/')}{r['name']}" for r in spec.get("iam_roles", [])]
        for t in spec.get("sns_topics", []):
            sns_backends[acct][REGION].create_topic(t)
        for g in spec.get("log_groups", []):
            logs_backends[acct][REGION].create_log_group(g, {})
        if spec.get("sns_topics"):
            s["sns_topics"] = spec["sns_topics"]
        if spec.get("log_groups"):
            s["log_groups"] = spec["log_groups"]
        for pool in spec.get("cognito", []):
            s.setdefault("cognito", []).append(self.cognito(acct, pool))
        if spec.get("quicksight"):
            s["quicksight"] = self.quicksight(acct, spec["quicksight"])

    def bucket(self, acct, b):
        be = s3_backends[acct]["aws"]
        be.create_bucket(b["name"], REGION)
        if b.get("tags"):
            be.put_bucket_tagging(b["name"], b["tags"])
        for i in range(b.get("objects", 0)):
            be.put_object(b["name"], f"data/object-{i:03d}.json", json.dumps({"n": i}).encode())

    def tables(self, acct, specs, generated):
        specs = list(specs)
        if generated:
            for i in range(generated["count"]):
                specs.append({
                    "name": f"{generated['prefix']}{i:04d}",
                    "tags": {"backup": "daily"} if i % generated.get("tag_every", 2) == 0 else {},
                    "pitr": i % generated.get("pitr_every", 3) == 0,
                    "items": generated.get("items", 0),
                })
        be = dynamodb_backends[acct][REGION]
        names = []
        now = clock.now()
        for t in specs:
            schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
            attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
            if t.get("range_key"):
                schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
                attrs.append({"AttributeName": "sk", "AttributeType": "S"})
            tags = [{"Key": k, "Value": v} for k, v in (t.get("tags") or {}).items()]
            table = be.create_table(t["name"], schema=schema, throughput=None, attr=attrs, global_indexes=None,
                                    indexes=None, streams=None, billing_mode="PAY_PER_REQUEST",
                                    sse_specification=None, tags=tags, deletion_protection_enabled=False,
                                    warm_throughput=None)
            if t.get("pitr"):
                be.update_continuous_backups(t["name"], {"PointInTimeRecoveryEnabled": True})
            for i in range(t.get("items", 0)):
                item = {"pk": {"S": f"{t['name']}#{i:03d}"}, "n": {"N": str(i)},
                        "note": {"S": f"seeded item {i} of {t['name']}"}}
                if t.get("range_key"):
                    item["sk"] = {"S": "v1"}
                be.put_item(t["name"], item)
                key = {"pk": item["pk"]}
                if t.get("range_key"):
                    key["sk"] = item["sk"]
                self.ddb.record_seed_change(acct, table, key, None, item, now)
            names.append(t["name"])
        return names

    def cognito(self, acct, spec):
        be = cognitoidp_backends[acct][REGION]
        pool = be.create_user_pool(spec["pool"], {})
        groups = spec.get("groups", [])
        for i, g in enumerate(groups):
            be.create_group(pool.id, g, f"{g} group", None, i)
        disabled = 0
        for i in range(spec.get("users", 0)):
            uname = f"user{i:04d}"
            be.admin_create_user(pool.id, uname, "SUPPRESS", "Temp-Passw0rd!",
                                 [{"Name": "email", "Value": f"{uname}@example.com"}])
            if groups:
                be.admin_add_user_to_group(pool.id, groups[i % len(groups)], uname)
            if disabled < spec.get("disabled", 0) and i % 5 == 4:
                be.admin_disable_user(pool.id, uname)
                disabled += 1
        return {"pool": spec["pool"], "id": pool.id, "users": spec.get("users", 0), "groups": groups,
                "disabled": disabled}

    def quicksight(self, acct, spec):
        from moto.quicksight.models import quicksight_backends

        be = quicksight_backends[acct][REGION]
        roles = []
        for role, n in spec.get("users", {}).items():
            roles += [role] * n
        for i, role in enumerate(roles):
            be.register_user("QUICKSIGHT", f"qsuser{i:05d}@example.com", role, acct, "default", f"qsuser{i:05d}")
        groups = [f"group-{i:02d}" for i in range(spec.get("groups", 0))]
        memberships = 0
        for gi, g in enumerate(groups):
            be.create_group(g, f"seeded group {g}", acct, "default")
            for ui in range(gi, min(len(roles), 40), max(1, len(groups))):
                be.create_group_membership(acct, "default", g, f"qsuser{ui:05d}")
                memberships += 1
        sources = []
        kinds = [("ATHENA", {"AthenaParameters": {"WorkGroup": "primary"}}),
                 ("S3", {"S3Parameters": {"ManifestFileLocation": {"Bucket": "qs-files", "Key": "manifest.json"}}}),
                 ("MYSQL", {"MySqlParameters": {"Host": "db.internal", "Port": 3306, "Database": "app"}})]
        for i in range(spec.get("data_sources", 0)):
            kind, params = kinds[i % len(kinds)]
            ds_id = f"ds-{i:03d}"
            be.create_data_source(acct, ds_id, f"Data source {i}", kind, params)
            sources.append((ds_id, kind))
        s3_sources = [d for d, k in sources if k == "S3"]
        sql_sources = [d for d, k in sources if k != "S3"] or [d for d, _ in sources]
        datasets = []
        n_file = spec.get("file_data_sets", 0)
        for i in range(spec.get("data_sets", 0)):
            set_id = f"dset-{i:03d}"
            cols = [{"Name": "id", "Type": "INTEGER"}, {"Name": "label", "Type": "STRING"}]
            if i < n_file and s3_sources:
                # A FILE data set: an uploaded CSV behind an S3 data source.
                src = s3_sources[i % len(s3_sources)]
                table = {"S3Source": {"DataSourceArn": qs_arn(acct, "datasource", src),
                                      "UploadSettings": {"Format": "CSV", "StartFromRow": 1, "ContainsHeader": True,
                                                         "TextQualifier": "DOUBLE_QUOTE", "Delimiter": ","},
                                      "InputColumns": [{"Name": c["Name"], "Type": "STRING"} for c in cols]}}
                mode = "SPICE"
            else:
                src = sql_sources[i % len(sql_sources)]
                table = {"RelationalTable": {"DataSourceArn": qs_arn(acct, "datasource", src), "Schema": "public",
                                             "Name": f"table_{i}", "InputColumns": cols}}
                mode = "SPICE" if i % 2 else "DIRECT_QUERY"
            self.qs.put_data_set(acct, {"DataSetId": set_id, "Name": f"Data set {i}",
                                        "PhysicalTableMap": {f"t{i}": table}, "ImportMode": mode,
                                        "Permissions": [{"Principal": f"arn:aws:quicksight:{REGION}:{acct}:user/default/qsuser00000",
                                                         "Actions": ["quicksight:DescribeDataSet"]}]})
            datasets.append(set_id)

        def definition(k):
            refs = [datasets[k % len(datasets)]] if datasets else []
            if len(datasets) > 1 and k % 3 == 0:
                refs.append(datasets[(k + 1) % len(datasets)])
            return {"DataSetIdentifierDeclarations": [
                {"Identifier": f"ds{j}", "DataSetArn": qs_arn(acct, "dataset", r)} for j, r in enumerate(refs)],
                "Sheets": [{"SheetId": f"sheet-{k}", "Name": "Overview"}]}

        for i in range(spec.get("analyses", 0)):
            self.qs.put_analysis(acct, f"analysis-{i:03d}", {"Name": f"Analysis {i}", "Definition": definition(i)})
        for i in range(spec.get("dashboards", 0)):
            be.create_dashboard(acct, f"dash-{i:03d}", f"Dashboard {i}", None, None, None, None, "v1", None, None,
                                definition(i), None, None, None, None)
        return {"users": len(roles), "groups": len(groups), "memberships": memberships,
                "data_sources": len(sources), "data_sets": len(datasets), "file_data_sets": min(n_file, len(datasets)),
                "analyses": spec.get("analyses", 0), "dashboards": spec.get("dashboards", 0)}
