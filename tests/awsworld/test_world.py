"""Tests of the AWS test world, with boto3 (and raw SigV4 requests signed by
botocore) as the independent client.

    python3 -m unittest discover -s tests/awsworld -p 'test_*.py' -v

One world (small fleet) is shared by the module; classes that need a world of
their own start one.  Every test leaves faults, latency and settings as it
found them; the clock only ever moves forward.
"""

import gzip
import io
import json
import os
import re
import sys
import time
import unittest
import urllib.error
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import moto  # noqa: F401
except ImportError:
    raise SystemExit("test_world: moto is not importable in this python3; the world needs moto 5.2.1")

from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from worldclient import WorldProcess  # noqa: E402

CENTRAL = "123456789012"
M1 = "111111111111"
M2 = "222222222222"
BACKUP_BUCKET = "fleetvault-backups-123456789012"
W = None


def setUpModule():
    global W
    W = WorldProcess.start(fleet="small")
    W.default_who = "admin"  # the world is the subject here, not fleetvault's grants


def tearDownModule():
    if W:
        W.stop()


def code_of(ctx):
    return ctx.exception.response["Error"]["Code"]


class WorldTest(unittest.TestCase):
    def tearDown(self):
        W.control("DELETE", "/_world/faults")
        W.control("POST", "/_world/latency", {"ms": 0})
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.5, "download_url_ttl_s": 300,
                                               "ddb_export_delay_s": 0.5})


class TestStartup(WorldTest):
    def test_env_lines_and_state_files(self):
        for k in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "FV_WORLD_URL", "FV_WORLD_STATE_DIR"):
            self.assertIn(k, W.env)
        self.assertEqual(W.env["AWS_REGION"], "us-east-1")
        self.assertEqual(W.env["AWS_ENDPOINT_URL"], f"http://127.0.0.1:{W.port}")
        self.assertEqual(W.env["FV_WORLD_URL"], W.env["AWS_ENDPOINT_URL"])
        self.assertEqual(W.env["AWS_ACCESS_KEY_ID"], W.principals["principals"]["fleetvault"]["access_key_id"])
        with open(os.path.join(W.state_dir, "env.sh")) as f:
            self.assertIn(f"export AWS_ENDPOINT_URL='{W.url}'", f.read())
        with open(os.path.join(W.state_dir, "pid")) as f:
            self.assertTrue(int(f.read()))
        self.assertTrue(os.path.exists(os.path.join(W.state_dir, "world.log")))
        p = W.principals
        self.assertEqual(set(p["principals"]), {"fleetvault", "admin", "limited"})
        self.assertEqual(set(p["members"]), {M1, M2})
        self.assertEqual(p["members"][M1]["role_arn"], f"arn:aws:iam::{M1}:role/fleetvault-member")
        self.assertEqual(p["members"][M1]["external_id"], "fleetvault-demo")

    def test_env_credentials_are_the_fleetvault_principal(self):
        sts = W.client("sts", aws_access_key_id=W.env["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=W.env["AWS_SECRET_ACCESS_KEY"])
        ident = sts.get_caller_identity()
        self.assertEqual(ident["Account"], CENTRAL)
        self.assertEqual(ident["Arn"], f"arn:aws:iam::{CENTRAL}:user/fleetvault")

    def test_health(self):
        status, doc = W.control("GET", "/_world/health")
        self.assertEqual(status, 200)
        self.assertTrue(doc["ready"])


class TestSignatures(WorldTest):
    def test_wrong_secret_rejected_for_each_protocol(self):
        bad = dict(W.creds("fleetvault"), aws_secret_access_key="not-the-secret")
        calls = {
            "json (dynamodb)": lambda: W.client("dynamodb", **bad).list_tables(),
            "rest-json (quicksight)": lambda: W.client("quicksight", **bad).list_users(
                AwsAccountId=CENTRAL, Namespace="default"),
            "query (sts)": lambda: W.client("sts", **bad).get_caller_identity(),
            "query (iam)": lambda: W.client("iam", **bad).list_users(),
            "rest-xml (s3)": lambda: W.client("s3", **bad).get_object(Bucket=BACKUP_BUCKET, Key="x"),
        }
        for name, call in calls.items():
            with self.subTest(name), self.assertRaises(ClientError) as ctx:
                call()
            self.assertEqual(code_of(ctx), "SignatureDoesNotMatch", name)
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403, name)

    def test_wrong_secret_raw_json_error_is_json(self):
        status, headers, body = W.raw("POST", "/", "dynamodb", body=b"{}", secret="bad",
                                      headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                               "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body)["__type"], "SignatureDoesNotMatch")

    def test_bodyless_get_quicksight_list_users(self):
        qs = W.client("quicksight", "admin:" + M1)
        users = qs.list_users(AwsAccountId=M1, Namespace="default", MaxResults=10)
        self.assertEqual(len(users["UserList"]), 10)
        status, _, body = W.raw("GET", f"/accounts/{M1}/namespaces/default/users?max-results=5", "quicksight",
                                who="admin:" + M1)
        self.assertEqual(status, 200, body)
        self.assertEqual(len(json.loads(body)["UserList"]), 5)

    def test_s3_keys_with_plus_colon_space(self):
        s3 = W.client("s3")
        key = "runs/2026-01-01T00:00:00+00:00/a b+c:d.bin"
        s3.put_object(Bucket=BACKUP_BUCKET, Key=key, Body=b"payload-1")
        self.assertEqual(s3.get_object(Bucket=BACKUP_BUCKET, Key=key)["Body"].read(), b"payload-1")
        # raw, signed by botocore's S3SigV4Auth
        path = "/" + BACKUP_BUCKET + "/raw%2Bkey%3Awith%20space%2B2"
        status, _, body = W.raw("PUT", path, "s3", body=b"raw-payload", s3=True,
                                headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, body)
        status, _, body = W.raw("GET", path, "s3", s3=True)
        self.assertEqual((status, body), (200, b"raw-payload"))
        self.assertEqual(s3.get_object(Bucket=BACKUP_BUCKET, Key="raw+key:with space+2")["Body"].read(),
                         b"raw-payload")
        # DELETE without a body
        status, _, body = W.raw("DELETE", path, "s3", s3=True)
        self.assertEqual(status, 204, body)

    def test_query_form_post_with_spaces(self):
        doc = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "deny delete backups", "Effect": "Deny", "Action": "dynamodb:DeleteBackup", "Resource": "*"}]},
            indent=2)
        from urllib.parse import quote
        body = ("Action=PutUserPolicy&Version=2010-05-08&UserName=ops-alice&PolicyName=deny-delete"
                f"&PolicyDocument={quote(doc, safe='')}").encode()
        status, _, resp = W.raw("POST", "/", "iam", body=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.assertEqual(status, 200, resp)
        got = W.client("iam").get_user_policy(UserName="ops-alice", PolicyName="deny-delete")
        self.assertEqual(got["PolicyDocument"]["Statement"][0]["Sid"], "deny delete backups")
        # spaces encoded as %20 and as '+' both verify, as on AWS
        body = b"Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Afleetvault-alerts&Message=backup+run+ok%20at%2012%3A00"
        status, _, resp = W.raw("POST", "/", "sns", body=body,
                                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.assertEqual(status, 200, resp)

    def test_content_sha256_mismatch_rejected(self):
        path = "/" + BACKUP_BUCKET + "/sha-check"
        status, _, body = W.raw("PUT", path, "s3", body=b"real body", s3=True, content_sha256="0" * 64)
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>XAmzContentSHA256Mismatch</Code>", body)
        # a signature computed over the wrong hash: moto alone would trust the header
        import hashlib

        from botocore.auth import S3SigV4Auth

        class LyingAuth(S3SigV4Auth):
            def payload(self, request):
                return hashlib.sha256(b"other").hexdigest()

        status, _, body = W.raw("PUT", path, "s3", body=b"real body", s3=True, auth_cls=LyingAuth)
        self.assertEqual(status, 400)
        self.assertIn(b"XAmzContentSHA256Mismatch", body)
        status, _, body = W.raw("POST", "/", "dynamodb", body=b"{}", content_sha256="1" * 64,
                                headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                         "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "XAmzContentSHA256Mismatch")
        # UNSIGNED-PAYLOAD is accepted
        status, _, body = W.raw("PUT", path, "s3", body=b"unsigned", s3=True,
                                headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
        self.assertEqual(status, 200, body)

    def test_form_content_type_put_object_rejected(self):
        s3 = W.client("s3")
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=BACKUP_BUCKET, Key="form", Body=b"a=b&c=d",
                          ContentType="application/x-www-form-urlencoded")
        self.assertEqual(code_of(ctx), "InvalidArgument")
        self.assertIn("application/x-www-form-urlencoded", ctx.exception.response["Error"]["Message"])
        up = s3.create_multipart_upload(Bucket=BACKUP_BUCKET, Key="form-mp")
        status, _, body = W.raw("PUT", f"/{BACKUP_BUCKET}/form-mp?partNumber=1&uploadId={up['UploadId']}", "s3",
                                body=b"x=y", s3=True, headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 400, body)
        s3.abort_multipart_upload(Bucket=BACKUP_BUCKET, Key="form-mp", UploadId=up["UploadId"])

    def test_unknown_access_key_rejected(self):
        unknown = {"aws_access_key_id": "AKIAUNKNOWNKEY000000", "aws_secret_access_key": "whatever"}
        expect = {
            "dynamodb": ("UnrecognizedClientException", lambda c: c.list_tables()),
            "sts": ("InvalidClientTokenId", lambda c: c.get_caller_identity()),
            "s3": ("InvalidAccessKeyId", lambda c: c.list_objects_v2(Bucket=BACKUP_BUCKET)),
            "quicksight": ("UnrecognizedClientException",
                           lambda c: c.list_users(AwsAccountId=CENTRAL, Namespace="default")),
        }
        for svc, (want, call) in expect.items():
            with self.subTest(svc), self.assertRaises(ClientError) as ctx:
                call(W.client(svc, **unknown))
            self.assertEqual(code_of(ctx), want)

    def test_unsigned_request_rejected(self):
        status, _, body = W.raw("POST", "/", "dynamodb", body=b"{}", sign=False,
                                headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                         "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 403)

    def test_limited_principal_denied(self):
        lim = "limited"
        self.assertIn("Buckets", W.client("s3", lim).list_buckets())
        for name, call, want in (
                ("dynamodb", lambda: W.client("dynamodb", lim).list_tables(), "AccessDeniedException"),
                ("s3 get", lambda: W.client("s3", lim).get_object(Bucket=BACKUP_BUCKET, Key="x"), "AccessDenied"),
                ("iam", lambda: W.client("iam", lim).list_users(), "AccessDenied"),
                ("quicksight", lambda: W.client("quicksight", lim).list_users(
                    AwsAccountId=CENTRAL, Namespace="default"), "AccessDeniedException"),
                ("assume", lambda: W.client("sts", lim).assume_role(
                    RoleArn=W.principals["members"][M1]["role_arn"], RoleSessionName="xx",
                    ExternalId="fleetvault-demo"), "AccessDenied")):
            with self.subTest(name), self.assertRaises(ClientError) as ctx:
                call()
            self.assertEqual(code_of(ctx), want, name)

    def test_fleetvault_policy_is_the_generated_one(self):
        fv = "fleetvault"
        # allowed by deploy/iam/fleetvault-central-policy.json (generated)
        W.client("s3", fv).put_object(Bucket=BACKUP_BUCKET, Key="fleetvault/probe.json", Body=b"{}")
        W.client("s3", fv).list_objects_v2(Bucket=BACKUP_BUCKET, MaxKeys=1)
        W.client("sns", fv).publish(TopicArn="arn:aws:sns:us-east-1:123456789012:fleetvault-alerts", Message="x")
        # not in it: other buckets, other keys, deletes, IAM, other tables
        denied = [
            lambda: W.client("s3", fv).list_objects_v2(Bucket=f"shop-assets-{M1}"),
            lambda: W.client("s3", fv).put_object(Bucket=BACKUP_BUCKET, Key="elsewhere/x", Body=b"x"),
            lambda: W.client("s3", fv).delete_object(Bucket=BACKUP_BUCKET, Key="fleetvault/probe.json"),
            lambda: W.client("iam", fv).list_roles(),
            lambda: W.client("iam", fv).create_user(UserName="not-allowed"),
            lambda: W.client("dynamodb", fv).describe_table(TableName="not-the-control-table"),
        ]
        for i, call in enumerate(denied):
            with self.subTest(i), self.assertRaises(ClientError) as ctx:
                call()
            self.assertIn(code_of(ctx), ("AccessDenied", "AccessDeniedException"))
        W.client("s3").delete_object(Bucket=BACKUP_BUCKET, Key="fleetvault/probe.json")


class TestAccounts(WorldTest):
    def test_assume_role_into_members(self):
        for acct in (M1, M2):
            ident = W.member_client("sts", acct, as_role=True).get_caller_identity()
            self.assertEqual(ident["Account"], acct)
            self.assertEqual(ident["Arn"], f"arn:aws:sts::{acct}:assumed-role/fleetvault-member/fvtest")
        tables = W.member_client("dynamodb", M1, as_role=True).list_tables()["TableNames"]
        self.assertIn("orders", tables)

    def test_assume_role_wrong_external_id(self):
        sts = W.client("sts", "fleetvault")
        for ext in ("wrong", None):
            kw = {"ExternalId": ext} if ext else {}
            with self.subTest(external_id=ext), self.assertRaises(ClientError) as ctx:
                sts.assume_role(RoleArn=W.principals["members"][M1]["role_arn"], RoleSessionName="xx", **kw)
            self.assertEqual(code_of(ctx), "AccessDenied")
            self.assertIn("sts:AssumeRole", ctx.exception.response["Error"]["Message"])

    def test_assume_role_nonexistent_role(self):
        sts = W.client("sts", "fleetvault")
        for arn in (f"arn:aws:iam::{M1}:role/no-such-role", "arn:aws:iam::333333333333:role/fleetvault-member"):
            with self.subTest(arn), self.assertRaises(ClientError) as ctx:
                sts.assume_role(RoleArn=arn, RoleSessionName="xx", ExternalId="fleetvault-demo")
            self.assertEqual(code_of(ctx), "AccessDenied")

    def test_untrusted_principal_cannot_assume(self):
        # member 222's admin, and the central account's own admin, may call
        # sts:AssumeRole, but 111's role trusts only fleetvault's principal
        # (deploy/iam/fleetvault-member-trust.json), not the central account
        for who in ("admin:" + M2, "admin"):
            sts = W.client("sts", who)
            with self.subTest(who), self.assertRaises(ClientError) as ctx:
                sts.assume_role(RoleArn=W.principals["members"][M1]["role_arn"], RoleSessionName="xx",
                                ExternalId="fleetvault-demo")
            self.assertEqual(code_of(ctx), "AccessDenied")

    def test_account_isolation(self):
        a1 = W.client("dynamodb", "admin:" + M1)
        a1.create_table(TableName="isolation-probe", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
        self.assertIn("isolation-probe", a1.list_tables()["TableNames"])
        for who in ("admin:" + M2, "admin"):
            self.assertNotIn("isolation-probe", W.client("dynamodb", who).list_tables()["TableNames"])
        with self.assertRaises(ClientError) as ctx:
            W.client("dynamodb", "admin:" + M2).describe_table(TableName="isolation-probe")
        self.assertEqual(code_of(ctx), "ResourceNotFoundException")
        # S3
        W.client("s3", "admin:" + M2).put_object(Bucket=f"billing-tmp-{M2}", Key="secret", Body=b"222 only")
        buckets = [b["Name"] for b in W.client("s3", "admin:" + M1).list_buckets()["Buckets"]]
        self.assertNotIn(f"billing-tmp-{M2}", buckets)
        self.assertIn(f"shop-assets-{M1}", buckets)
        # QuickSight: each account sees its own users; another account's path is denied
        n1 = len(W.member_client("quicksight", M1).list_users(AwsAccountId=M1, Namespace="default")["UserList"])
        n2 = len(W.member_client("quicksight", M2).list_users(AwsAccountId=M2, Namespace="default")["UserList"])
        self.assertEqual((n1, n2), (30, 10))
        with self.assertRaises(ClientError) as ctx:
            W.member_client("quicksight", M2).list_users(AwsAccountId=M1, Namespace="default")
        self.assertEqual(code_of(ctx), "AccessDeniedException")
        with self.assertRaises(ClientError) as ctx:
            W.member_client("quicksight", M2).list_dashboards(AwsAccountId=M1)
        self.assertEqual(code_of(ctx), "AccessDeniedException")
        a1.delete_table(TableName="isolation-probe")

    def test_session_credentials_expire_with_world_clock(self):
        creds = W.member_creds(M1, duration=900)
        sts = W.client("sts", **creds)
        self.assertEqual(sts.get_caller_identity()["Account"], M1)
        W.advance_clock(901)
        with self.assertRaises(ClientError) as ctx:
            sts.get_caller_identity()
        self.assertEqual(code_of(ctx), "ExpiredToken")
        self.assertEqual(W.member_client("sts", M1, as_role=True).get_caller_identity()["Account"], M1)


class TestFleet(WorldTest):
    def test_small_fleet_contents(self):
        ddb = W.member_client("dynamodb", M1)
        self.assertEqual(set(ddb.list_tables()["TableNames"]) - {"isolation-probe", "inc-export", "full-export"},
                         {"orders", "customers", "inventory", "sessions", "feature-flags"})
        pitr = ddb.describe_continuous_backups(TableName="orders")["ContinuousBackupsDescription"]
        self.assertEqual(pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"], "ENABLED")
        tagged = W.member_client("resourcegroupstaggingapi", M1).get_resources(
            TagFilters=[{"Key": "backup", "Values": ["daily"]}])["ResourceTagMappingList"]
        arns = {t["ResourceARN"] for t in tagged}
        self.assertIn(f"arn:aws:dynamodb:us-east-1:{M1}:table/orders", arns)
        self.assertIn(f"arn:aws:s3:::shop-assets-{M1}", arns)
        self.assertNotIn(f"arn:aws:dynamodb:us-east-1:{M1}:table/sessions", arns)
        qs = W.member_client("quicksight", M1)
        roles = [u["Role"] for u in qs.list_users(AwsAccountId=M1, Namespace="default")["UserList"]]
        self.assertEqual(sorted(set(roles)), ["ADMIN", "AUTHOR", "READER"])
        self.assertEqual(len(qs.list_groups(AwsAccountId=M1, Namespace="default")["GroupList"]), 5)
        p1 = qs.list_dashboards(AwsAccountId=M1)
        self.assertEqual(len(p1["DashboardSummaryList"]), 100)
        p2 = qs.list_dashboards(AwsAccountId=M1, NextToken=p1["NextToken"])
        self.assertEqual(len(p2["DashboardSummaryList"]), 20)
        self.assertNotIn("NextToken", p2)
        sets = qs.list_data_sets(AwsAccountId=M1)["DataSetSummaries"]
        self.assertEqual(len(sets), 12)
        files = [s for s in sets if "S3Source" in json.dumps(
            qs.describe_data_set(AwsAccountId=M1, DataSetId=s["DataSetId"])["DataSet"]["PhysicalTableMap"])]
        self.assertEqual(len(files), 2)
        self.assertEqual(len(qs.list_analyses(AwsAccountId=M1)["AnalysisSummaryList"]), 20)
        cog = W.member_client("cognito-idp", M1)
        pool = cog.list_user_pools(MaxResults=10)["UserPools"][0]
        users = cog.list_users(UserPoolId=pool["Id"])["Users"]
        self.assertEqual(len(users), 25)
        self.assertEqual(sum(1 for u in users if not u["Enabled"]), 4)
        self.assertEqual(len(cog.list_groups(UserPoolId=pool["Id"])["Groups"]), 3)
        with self.assertRaises(ClientError) as ctx:  # AWS pages Cognito users 60 at most
            cog.list_users(UserPoolId=pool["Id"], Limit=61)
        self.assertEqual(code_of(ctx), "InvalidParameterException")
        roles = W.member_client("iam", M1).list_roles()["Roles"]
        paths = {r["RoleName"]: r["Path"] for r in roles}
        self.assertEqual(paths["AWSServiceRoleForDynamoDBReplication"],
                         "/aws-service-role/replication.dynamodb.amazonaws.com/")
        self.assertEqual(paths["shop-api-lambda"], "/service-role/")
        W.client("sns").publish(TopicArn=f"arn:aws:sns:us-east-1:{CENTRAL}:fleetvault-alerts", Message="hi")
        self.assertIn(BACKUP_BUCKET, [b["Name"] for b in W.client("s3", "admin").list_buckets()["Buckets"]])


class TestQuickSightBundles(WorldTest):
    def qs(self, acct=M1):
        return W.member_client("quicksight", acct)

    def wait(self, qs, job_id, acct=M1, timeout=15):
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            j = qs.describe_asset_bundle_export_job(AwsAccountId=acct, AssetBundleExportJobId=job_id)
            if not seen or seen[-1] != j["JobStatus"]:
                seen.append(j["JobStatus"])
            if j["JobStatus"] in ("SUCCESSFUL", "FAILED"):
                return j, seen
            time.sleep(0.1)
        self.fail(f"export job {job_id} did not finish: {seen}")

    def test_export_round_trip_with_dependencies(self):
        qs = self.qs()
        dash = qs.describe_dashboard(AwsAccountId=M1, DashboardId="dash-000")["Dashboard"]
        r = qs.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="rt-1",
                                             ResourceArns=[dash["Arn"]], IncludeAllDependencies=True,
                                             ExportFormat="QUICKSIGHT_JSON")
        self.assertEqual(r["Arn"], f"arn:aws:quicksight:us-east-1:{M1}:asset-bundle-export-job/rt-1")
        j, seen = self.wait(qs, "rt-1")
        self.assertEqual(seen[0], "QUEUED_FOR_IMMEDIATE_EXECUTION")
        self.assertIn("IN_PROGRESS", seen)
        self.assertEqual(j["JobStatus"], "SUCCESSFUL")
        self.assertTrue(j["IncludeAllDependencies"])
        self.assertIn("/_world/", j["DownloadUrl"])
        data = urllib.request.urlopen(j["DownloadUrl"]).read()
        z = zipfile.ZipFile(io.BytesIO(data))
        names = sorted(z.namelist())
        # dash-000 -> data sets dset-000, dset-001 -> their data sources
        self.assertIn("dashboard/dash-000.json", names)
        self.assertIn("dataset/dset-000.json", names)
        self.assertIn("dataset/dset-001.json", names)
        ds = [n for n in names if n.startswith("datasource/")]
        self.assertTrue(ds)
        for n in names:
            doc = json.loads(z.read(n))
            self.assertTrue(doc["Arn"].startswith(f"arn:aws:quicksight:us-east-1:{M1}:"))
        dset0 = json.loads(z.read("dataset/dset-000.json"))
        self.assertIn("S3Source", json.dumps(dset0["PhysicalTableMap"]))  # the FILE data set
        src_arns = {v["DataSourceArn"] for t in dset0["PhysicalTableMap"].values() for v in t.values()}
        for a in src_arns:
            self.assertIn(f"datasource/{a.split('/')[-1]}.json", names)
        self.assertEqual(qs.list_asset_bundle_export_jobs(AwsAccountId=M1)["AssetBundleExportJobSummaryList"][0]
                         ["AssetBundleExportJobId"], "rt-1")

    def test_export_without_dependencies_and_cloudformation(self):
        qs = self.qs()
        arns = [a["Arn"] for a in qs.list_analyses(AwsAccountId=M1)["AnalysisSummaryList"][:2]]
        qs.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="cfn-1", ResourceArns=arns,
                                         ExportFormat="CLOUDFORMATION_JSON")
        j, _ = self.wait(qs, "cfn-1")
        z = zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(j["DownloadUrl"]).read()))
        self.assertEqual(sorted(z.namelist()), ["analysis/analysis-000.json", "analysis/analysis-001.json"])
        doc = json.loads(z.read("analysis/analysis-000.json"))
        res = next(iter(doc["Resources"].values()))
        self.assertEqual(res["Type"], "AWS::QuickSight::Analysis")

    def test_missing_asset_fails_job_with_errors(self):
        qs = self.qs()
        missing = f"arn:aws:quicksight:us-east-1:{M1}:dashboard/no-such-dashboard"
        qs.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="fail-1",
                                         ResourceArns=[missing], ExportFormat="QUICKSIGHT_JSON")
        j, _ = self.wait(qs, "fail-1")
        self.assertEqual(j["JobStatus"], "FAILED")
        self.assertNotIn("DownloadUrl", j)
        self.assertEqual(j["Errors"][0]["Arn"], missing)
        self.assertTrue(j["Errors"][0]["Type"] and j["Errors"][0]["Message"])

    def test_resource_arn_count_validation(self):
        qs = W.client("quicksight", **W.member_creds(M1), config=Config(parameter_validation=False,
                                                                        retries={"total_max_attempts": 1}))
        base = f"arn:aws:quicksight:us-east-1:{M1}:dashboard/dash-"
        for arns in ([], [f"{base}{i:03d}" for i in range(101)]):
            with self.subTest(n=len(arns)), self.assertRaises(ClientError) as ctx:
                qs.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="v-1", ResourceArns=arns,
                                                 ExportFormat="QUICKSIGHT_JSON")
            self.assertEqual(code_of(ctx), "ValidationException")
        qs.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="v-100",
                                         ResourceArns=[f"{base}{i:03d}" for i in range(100)],
                                         ExportFormat="QUICKSIGHT_JSON")
        j, _ = self.wait(qs, "v-100")
        self.assertEqual(j["JobStatus"], "SUCCESSFUL")

    def test_concurrency_limit_and_job_id_conflict(self):
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 30})
        qs = self.qs(M2)
        arn = f"arn:aws:quicksight:us-east-1:{M2}:dashboard/dash-000"
        for i in range(5):
            qs.start_asset_bundle_export_job(AwsAccountId=M2, AssetBundleExportJobId=f"lim-{i}",
                                             ResourceArns=[arn], ExportFormat="QUICKSIGHT_JSON")
        with self.assertRaises(ClientError) as ctx:
            qs.start_asset_bundle_export_job(AwsAccountId=M2, AssetBundleExportJobId="lim-5",
                                             ResourceArns=[arn], ExportFormat="QUICKSIGHT_JSON")
        self.assertEqual(code_of(ctx), "LimitExceededException")
        with self.assertRaises(ClientError) as ctx:
            qs.start_asset_bundle_export_job(AwsAccountId=M2, AssetBundleExportJobId="lim-0",
                                             ResourceArns=[arn], ExportFormat="QUICKSIGHT_JSON")
        self.assertEqual(code_of(ctx), "ConflictException")
        # another account is not limited by M2's jobs
        other = self.qs(M1)
        other.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="lim-other",
                                            ResourceArns=[f"arn:aws:quicksight:us-east-1:{M1}:dashboard/dash-001"],
                                            ExportFormat="QUICKSIGHT_JSON")
        W.advance_clock(61)  # all jobs end
        qs = self.qs(M2)
        self.assertEqual(qs.describe_asset_bundle_export_job(AwsAccountId=M2, AssetBundleExportJobId="lim-0")
                         ["JobStatus"], "SUCCESSFUL")
        # an ended job's id can be reused; the new job replaces it
        arn2 = f"arn:aws:quicksight:us-east-1:{M2}:dashboard/dash-001"
        W.control("POST", "/_world/settings", {"asset_bundle_delay_s": 0.05})
        qs.start_asset_bundle_export_job(AwsAccountId=M2, AssetBundleExportJobId="lim-0", ResourceArns=[arn2],
                                         ExportFormat="QUICKSIGHT_JSON")
        j, _ = self.wait(qs, "lim-0", acct=M2)
        self.assertEqual(j["ResourceArns"], [arn2])

    def test_download_url_expires(self):
        qs = self.qs()
        qs.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="exp-1",
                                         ResourceArns=[f"arn:aws:quicksight:us-east-1:{M1}:dashboard/dash-002"],
                                         ExportFormat="QUICKSIGHT_JSON")
        j, _ = self.wait(qs, "exp-1")
        url = j["DownloadUrl"]
        self.assertEqual(urllib.request.urlopen(url).status, 200)
        W.advance_clock(299)
        self.assertEqual(urllib.request.urlopen(url).status, 200)
        W.advance_clock(2)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(url)
        self.assertEqual(ctx.exception.code, 403)
        tampered = re.sub(r"expires=\d+", "expires=99999999999", url)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            urllib.request.urlopen(tampered)
        self.assertEqual(ctx.exception.code, 403)
        fresh = self.qs().describe_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="exp-1")
        self.assertEqual(urllib.request.urlopen(fresh["DownloadUrl"]).status, 200)

    def test_import_recreates_assets_in_another_account(self):
        qs1 = self.qs(M1)
        qs1.start_asset_bundle_export_job(AwsAccountId=M1, AssetBundleExportJobId="imp-src",
                                          ResourceArns=[f"arn:aws:quicksight:us-east-1:{M1}:dashboard/dash-050",
                                                        f"arn:aws:quicksight:us-east-1:{M1}:analysis/analysis-010"],
                                          IncludeAllDependencies=True, ExportFormat="QUICKSIGHT_JSON")
        j, _ = self.wait(qs1, "imp-src")
        bundle = urllib.request.urlopen(j["DownloadUrl"]).read()
        src_ids = sorted(n.split("/")[1][:-5] for n in zipfile.ZipFile(io.BytesIO(bundle)).namelist()
                         if n.startswith("datasource/"))
        self.assertTrue(src_ids)
        qs2 = W.client("quicksight", "admin:" + M2)
        self.assertNotIn("dash-050", [d["DashboardId"] for d in qs2.list_dashboards(AwsAccountId=M2)
                                      ["DashboardSummaryList"]])
        qs2.start_asset_bundle_import_job(AwsAccountId=M2, AssetBundleImportJobId="imp-1",
                                          AssetBundleImportSource={"Body": bundle},
                                          OverrideParameters={"DataSources": [
                                              {"DataSourceId": src_ids[0], "Name": "imported source"}]})
        deadline = time.time() + 10
        while True:
            d = qs2.describe_asset_bundle_import_job(AwsAccountId=M2, AssetBundleImportJobId="imp-1")
            if d["JobStatus"] in ("SUCCESSFUL", "FAILED") or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(d["JobStatus"], "SUCCESSFUL", d.get("Errors"))
        dash = qs2.describe_dashboard(AwsAccountId=M2, DashboardId="dash-050")["Dashboard"]
        self.assertEqual(dash["Arn"], f"arn:aws:quicksight:us-east-1:{M2}:dashboard/dash-050")
        an = qs2.describe_analysis(AwsAccountId=M2, AnalysisId="analysis-010")["Analysis"]
        self.assertTrue(all(f":{M2}:" in a for a in an["DataSetArns"]))
        sets = {s["DataSetId"] for s in qs2.list_data_sets(AwsAccountId=M2)["DataSetSummaries"]}
        self.assertIn("dset-010", sets)
        self.assertEqual(qs2.describe_data_source(AwsAccountId=M2, DataSourceId=src_ids[0])["DataSource"]["Name"],
                         "imported source")
        # from S3, with an id prefix
        W.client("s3", "admin:" + M2).put_object(Bucket=f"billing-tmp-{M2}", Key="bundle.zip", Body=bundle)
        qs2.start_asset_bundle_import_job(
            AwsAccountId=M2, AssetBundleImportJobId="imp-2",
            AssetBundleImportSource={"S3Uri": f"s3://billing-tmp-{M2}/bundle.zip"},
            OverrideParameters={"ResourceIdOverrideConfiguration": {"PrefixForAllResources": "restored-"}})
        time.sleep(1.2)
        d = qs2.describe_asset_bundle_import_job(AwsAccountId=M2, AssetBundleImportJobId="imp-2")
        self.assertEqual(d["JobStatus"], "SUCCESSFUL", d.get("Errors"))
        self.assertEqual(d["AssetBundleImportSource"]["S3Uri"], f"s3://billing-tmp-{M2}/bundle.zip")
        qs2.describe_data_set(AwsAccountId=M2, DataSetId="restored-dset-010")
        qs2.describe_dashboard(AwsAccountId=M2, DashboardId="restored-dash-050")

    def test_analysis_and_data_set_crud(self):
        qs = W.client("quicksight", "admin:" + M2)
        arn = f"arn:aws:quicksight:us-east-1:{M2}:dataset/dset-000"
        r = qs.create_analysis(AwsAccountId=M2, AnalysisId="crud-1", Name="CRUD analysis",
                               Definition={"DataSetIdentifierDeclarations": [{"Identifier": "d", "DataSetArn": arn}]})
        self.assertEqual(r["CreationStatus"], "CREATION_SUCCESSFUL")
        with self.assertRaises(ClientError) as ctx:
            qs.create_analysis(AwsAccountId=M2, AnalysisId="crud-1", Name="again",
                               Definition={"DataSetIdentifierDeclarations": [{"Identifier": "d", "DataSetArn": arn}]})
        self.assertEqual(code_of(ctx), "ResourceExistsException")
        a = qs.describe_analysis(AwsAccountId=M2, AnalysisId="crud-1")["Analysis"]
        self.assertEqual((a["Name"], a["DataSetArns"]), ("CRUD analysis", [arn]))
        self.assertIn("crud-1", [x["AnalysisId"] for x in qs.list_analyses(AwsAccountId=M2)["AnalysisSummaryList"]])
        qs.delete_analysis(AwsAccountId=M2, AnalysisId="crud-1")
        with self.assertRaises(ClientError) as ctx:
            qs.describe_analysis(AwsAccountId=M2, AnalysisId="crud-1")
        self.assertEqual(code_of(ctx), "ResourceNotFoundException")
        qs.create_data_set(AwsAccountId=M2, DataSetId="crud-set", Name="CRUD set", ImportMode="SPICE",
                           PhysicalTableMap={"t": {"CustomSql": {
                               "DataSourceArn": f"arn:aws:quicksight:us-east-1:{M2}:datasource/ds-000",
                               "Name": "q", "SqlQuery": "select 1 as one",
                               "Columns": [{"Name": "one", "Type": "INTEGER"}]}}})
        d = qs.describe_data_set(AwsAccountId=M2, DataSetId="crud-set")["DataSet"]
        self.assertEqual(d["Arn"], f"arn:aws:quicksight:us-east-1:{M2}:dataset/crud-set")
        self.assertIn("CustomSql", d["PhysicalTableMap"]["t"])
        qs.delete_data_set(AwsAccountId=M2, DataSetId="crud-set")
        self.assertNotIn("crud-set", [s["DataSetId"] for s in qs.list_data_sets(AwsAccountId=M2)["DataSetSummaries"]])


class TestDynamoDBExports(WorldTest):
    """Incremental exports on a fresh table in member 111111111111; the world
    clock is moved forward so windows of minutes/hours pass instantly."""

    @classmethod
    def setUpClass(cls):
        cls.admin = W.client("dynamodb", "admin:" + M1)
        cls.admin.create_table(TableName="inc-export", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                               BillingMode="PAY_PER_REQUEST")
        cls.arn = f"arn:aws:dynamodb:us-east-1:{M1}:table/inc-export"
        cls.t_create = W.world_now()
        cls.admin.update_continuous_backups(TableName="inc-export",
                                            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        for k in ("a", "b", "keep"):
            cls.admin.put_item(TableName="inc-export", Item={"pk": {"S": k}, "v": {"N": "1"}})
        W.advance_clock(30 * 60)
        cls.t_changes = W.world_now()
        cls.admin.update_item(TableName="inc-export", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = :v",
                              ExpressionAttributeValues={":v": {"N": "2"}})
        cls.admin.delete_item(TableName="inc-export", Key={"pk": {"S": "b"}})
        cls.admin.batch_write_item(RequestItems={"inc-export": [
            {"PutRequest": {"Item": {"pk": {"S": "c"}, "v": {"N": "3"}}}}]})
        W.advance_clock(30 * 60)

    def ddb(self):
        return W.member_client("dynamodb", M1)

    def export(self, frm, to, **kw):
        args = dict(TableArn=self.arn, S3Bucket=f"shop-assets-{M1}", S3Prefix="exports/inc",
                    ExportType="INCREMENTAL_EXPORT",
                    IncrementalExportSpecification={"ExportFromTime": frm, "ExportToTime": to,
                                                    "ExportViewType": kw.pop("view", "NEW_AND_OLD_IMAGES")})
        args.update(kw)
        return self.ddb().export_table_to_point_in_time(**args)["ExportDescription"]

    def wait(self, arn):
        ddb = self.ddb()
        for _ in range(100):
            d = ddb.describe_export(ExportArn=arn)["ExportDescription"]
            if d["ExportStatus"] != "IN_PROGRESS":
                return d
            time.sleep(0.1)
        self.fail("export did not finish")

    def read_export(self, d):
        s3 = W.client("s3", "admin:" + M1)
        summary = json.loads(s3.get_object(Bucket=d["S3Bucket"], Key=d["ExportManifest"])["Body"].read())
        files = [json.loads(line) for line in s3.get_object(
            Bucket=d["S3Bucket"], Key=summary["manifestFilesS3Key"])["Body"].read().decode().splitlines() if line]
        items = []
        for f in files:
            self.assertIn(f"/AWSDynamoDB/{d['ExportArn'].split('/')[-1]}/data/", f["dataFileS3Key"])
            raw = gzip.decompress(s3.get_object(Bucket=d["S3Bucket"], Key=f["dataFileS3Key"])["Body"].read())
            lines = [json.loads(x) for x in raw.decode().splitlines() if x]
            self.assertEqual(len(lines), f["itemCount"])
            items += lines
        return summary, files, items

    def test_window_errors(self):
        now = W.world_now()
        cases = [
            ((now - 10 * 60, now), "less than 15 minutes"),
            ((now - 60, now + 3600), "to time cannot be greater than the current time"),
            ((now - 1800, now - 1800), "should not be greater or equal"),
            ((self.t_create - 3600, now), "cannot be less than the table creation time"),
        ]
        for (frm, to), msg in cases:
            with self.subTest(msg), self.assertRaises(ClientError) as ctx:
                self.export(frm, to)
            self.assertEqual(code_of(ctx), "InvalidExportTimeException")
            self.assertIn(msg, ctx.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as ctx:
            self.ddb().export_table_to_point_in_time(TableArn=self.arn, S3Bucket=f"shop-assets-{M1}",
                                                     ExportType="INCREMENTAL_EXPORT")
        self.assertEqual(code_of(ctx), "ValidationException")
        with self.assertRaises(ClientError) as ctx:
            self.ddb().export_table_to_point_in_time(
                TableArn=f"arn:aws:dynamodb:us-east-1:{M1}:table/feature-flags", S3Bucket=f"shop-assets-{M1}")
        self.assertEqual(code_of(ctx), "PointInTimeRecoveryUnavailableException")

    def test_incremental_output_has_only_changed_items(self):
        frm, to = self.t_changes - 60, self.t_changes + 16 * 60
        d = self.export(frm, to)
        self.assertEqual(d["ExportStatus"], "IN_PROGRESS")
        self.assertRegex(d["ExportArn"], rf"^{re.escape(self.arn)}/export/\d{{14}}-[0-9a-f]{{8}}$")
        spec = d["IncrementalExportSpecification"]
        self.assertEqual(spec["ExportViewType"], "NEW_AND_OLD_IMAGES")
        self.assertAlmostEqual(spec["ExportFromTime"].timestamp(), frm, delta=1)
        self.assertAlmostEqual(spec["ExportToTime"].timestamp(), to, delta=1)
        d = self.wait(d["ExportArn"])
        self.assertEqual(d["ExportStatus"], "COMPLETED")
        self.assertEqual(d["ExportType"], "INCREMENTAL_EXPORT")
        self.assertEqual(d["ItemCount"], 3)
        self.assertTrue(d["ExportManifest"].startswith("exports/inc/AWSDynamoDB/"))
        summary, files, items = self.read_export(d)
        self.assertEqual(summary["exportType"], "INCREMENTAL_EXPORT")
        self.assertEqual(summary["outputView"], "NEW_AND_OLD_IMAGES")
        self.assertEqual(summary["exportArn"], d["ExportArn"])
        self.assertEqual(summary["itemCount"], 3)
        by_key = {i["Keys"]["pk"]["S"]: i for i in items}
        self.assertEqual(set(by_key), {"a", "b", "c"})  # "keep" did not change in the window
        self.assertEqual(by_key["a"]["OldImage"]["v"], {"N": "1"})
        self.assertEqual(by_key["a"]["NewImage"]["v"], {"N": "2"})
        self.assertNotIn("NewImage", by_key["b"])
        self.assertEqual(by_key["b"]["OldImage"]["v"], {"N": "1"})
        self.assertNotIn("OldImage", by_key["c"])
        self.assertIn("WriteTimestampMicros", by_key["c"]["Metadata"])
        s3 = W.client("s3", "admin:" + M1)
        base = d["ExportManifest"].rsplit("/", 1)[0]
        for name in ("manifest-files.json", "manifest-summary.json", "manifest-summary.md5", "_started"):
            s3.head_object(Bucket=d["S3Bucket"], Key=f"{base}/{name}")
        # NEW_IMAGE view
        d2 = self.wait(self.export(frm, to, view="NEW_IMAGE")["ExportArn"])
        _, _, items = self.read_export(d2)
        self.assertTrue(all("OldImage" not in i for i in items))
        listed = {e["ExportArn"]: e for e in self.ddb().list_exports(TableArn=self.arn)["ExportSummaries"]}
        self.assertEqual(listed[d["ExportArn"]]["ExportType"], "INCREMENTAL_EXPORT")
        self.assertEqual(listed[d["ExportArn"]]["ExportStatus"], "COMPLETED")

    def test_client_token_idempotency(self):
        frm, to = self.t_changes - 60, self.t_changes + 16 * 60
        a = self.export(frm, to, ClientToken="tok-1")
        b = self.export(frm, to, ClientToken="tok-1")
        self.assertEqual(a["ExportArn"], b["ExportArn"])
        with self.assertRaises(ClientError) as ctx:
            self.export(frm, to, ClientToken="tok-1", S3Prefix="elsewhere")
        self.assertEqual(code_of(ctx), "ExportConflictException")

    def test_full_export_has_manifests(self):
        d = self.ddb().export_table_to_point_in_time(TableArn=self.arn, S3Bucket=f"shop-assets-{M1}",
                                                     S3Prefix="exports/full")["ExportDescription"]
        d = self.wait(d["ExportArn"])
        summary, files, items = self.read_export(d)
        self.assertEqual(summary["exportType"], "FULL_EXPORT")
        self.assertEqual(sorted(i["Item"]["pk"]["S"] for i in items), ["a", "c", "keep"])
        # as of a time before the changes
        d = self.ddb().export_table_to_point_in_time(TableArn=self.arn, S3Bucket=f"shop-assets-{M1}",
                                                     S3Prefix="exports/full-past",
                                                     ExportTime=self.t_changes - 60)["ExportDescription"]
        _, _, items = self.read_export(self.wait(d["ExportArn"]))
        self.assertEqual(sorted((i["Item"]["pk"]["S"], i["Item"]["v"]["N"]) for i in items),
                         [("a", "1"), ("b", "1"), ("keep", "1")])
        with self.assertRaises(ClientError) as ctx:
            self.ddb().describe_export(ExportArn=self.arn + "/export/01234567890123-deadbeef")
        self.assertEqual(code_of(ctx), "ExportNotFoundException")

    def test_zz_pitr_gap_and_long_window(self):
        # runs last in this class: it moves the clock a day and toggles PITR
        admin = self.admin
        W.advance_clock(26 * 3600)
        now = W.world_now()
        with self.assertRaises(ClientError) as ctx:
            self.export(self.t_create + 60, self.t_create + 60 + 25 * 3600)
        self.assertEqual(code_of(ctx), "InvalidExportTimeException")
        self.assertIn("greater than 24 hours", ctx.exception.response["Error"]["Message"])
        ok = self.export(now - 3600, now)
        self.assertEqual(self.wait(ok["ExportArn"])["ExportStatus"], "COMPLETED")
        admin.update_continuous_backups(TableName="inc-export",
                                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
        W.advance_clock(600)
        admin.update_continuous_backups(TableName="inc-export",
                                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        desc = self.ddb().describe_continuous_backups(TableName="inc-export")["ContinuousBackupsDescription"]
        earliest = desc["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"].timestamp()
        self.assertGreater(earliest, now)
        W.advance_clock(20 * 60)
        now = W.world_now()
        with self.assertRaises(ClientError) as ctx:
            self.export(now - 3600, now)  # starts in the gap
        self.assertEqual(code_of(ctx), "InvalidExportTimeException")
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "Incremental export start time outside PITR window")
        self.export(earliest + 1, now)


class TestFaults(WorldTest):
    def add(self, **spec):
        status, doc = W.control("POST", "/_world/faults", spec)
        self.assertEqual(status, 200, doc)
        return doc

    def test_throttle_in_each_protocol_format(self):
        cases = [
            ("dynamodb", lambda: W.client("dynamodb").list_tables(), "ThrottlingException", 400),
            ("sts", lambda: W.client("sts").get_caller_identity(), "Throttling", 400),
            ("s3", lambda: W.client("s3").list_objects_v2(Bucket=BACKUP_BUCKET), "SlowDown", 503),
            ("quicksight", lambda: W.client("quicksight", "admin:" + M1).list_users(
                AwsAccountId=M1, Namespace="default"), "ThrottlingException", 429),
        ]
        for svc, call, want, status in cases:
            with self.subTest(svc):
                self.add(kind="throttle", service=svc)
                with self.assertRaises(ClientError) as ctx:
                    call()
                self.assertEqual(code_of(ctx), want)
                self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
                call()  # count 1: the next call passes

    def test_error500_in_each_protocol_format(self):
        status, headers, body = (None, None, None)
        self.add(kind="error500", operation="ListTables")
        status, _, body = W.raw("POST", "/", "dynamodb", body=b"{}",
                                headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                         "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(status, 500)
        self.assertEqual(json.loads(body)["__type"], "InternalFailure")
        self.add(kind="error500", operation="GetCallerIdentity")
        status, _, body = W.raw("POST", "/", "sts", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 500)
        self.assertIn(b"<Code>InternalFailure</Code>", body)
        self.assertIn(b"<ErrorResponse", body)
        self.add(kind="error500", operation="GetObject")
        with self.assertRaises(ClientError) as ctx:
            W.client("s3").get_object(Bucket=BACKUP_BUCKET, Key="whatever")
        self.assertEqual(code_of(ctx), "InternalError")
        self.add(kind="error500", service="quicksight", method="GET", path=r"/namespaces/default/users$")
        status, headers, body = W.raw("GET", f"/accounts/{M1}/namespaces/default/users", "quicksight",
                                      who="admin:" + M1)
        self.assertEqual(status, 500)
        self.assertEqual(headers["x-amzn-errortype"], "InternalFailure")

    def test_reset_and_truncate(self):
        import http.client
        self.add(kind="reset", operation="GetCallerIdentity")
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            W.raw("POST", "/", "sts", body=b"Action=GetCallerIdentity&Version=2011-06-15",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.add(kind="truncate", operation="ListTables")
        with self.assertRaises(http.client.IncompleteRead):
            W.raw("POST", "/", "dynamodb", body=b"{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                                                "Content-Type": "application/x-amz-json-1.0"})
        # faults are used up: normal service again
        self.assertEqual(W.client("sts").get_caller_identity()["Account"], CENTRAL)

    def test_delay_count_account_match_list_and_clear(self):
        self.add(kind="delay", delay_ms=300, operation="GetCallerIdentity", account=CENTRAL, count=2)
        sts = W.client("sts")
        t0 = time.time()
        sts.get_caller_identity()
        self.assertGreaterEqual(time.time() - t0, 0.3)
        # another account does not match (the fault fired once, not twice)
        W.client("sts", "admin:" + M1).get_caller_identity()
        listed = W.control("GET", "/_world/faults")[1]["faults"]
        self.assertEqual(listed[0]["remaining"], 1)
        self.assertEqual(listed[0]["fired"], 1)
        self.add(kind="throttle", operation="ListTables", count=-1)
        for _ in range(3):
            with self.assertRaises(ClientError):
                W.client("dynamodb").list_tables()
        self.assertEqual(W.control("DELETE", "/_world/faults")[1]["cleared"], 2)
        W.client("dynamodb").list_tables()
        self.assertEqual(W.control("GET", "/_world/faults")[1]["faults"], [])
        status, doc = W.control("POST", "/_world/faults", {"kind": "explode"})
        self.assertEqual(status, 400)

    def test_latency(self):
        sts = W.client("sts")
        sts.get_caller_identity()
        W.control("POST", "/_world/latency", {"ms": 200})
        t0 = time.time()
        sts.get_caller_identity()
        self.assertGreaterEqual(time.time() - t0, 0.2)
        self.assertEqual(W.control("POST", "/_world/latency", {"ms": 0})[1], {"ms": 0})
        self.assertEqual(W.control("GET", "/_world/latency")[1], {"ms": 0})

    def test_request_log_counts(self):
        seq = W.control("GET", "/_world/requests?limit=1")[1]["seq"]
        ddb = W.client("dynamodb", "admin:" + M2)
        for _ in range(3):
            ddb.describe_table(TableName="payments")
        doc = W.control("GET", f"/_world/requests?since={seq}")[1]
        recent = [r for r in doc["recent"] if r["operation"] == "DescribeTable" and r["account"] == M2]
        self.assertEqual(len(recent), 3)
        self.assertEqual(recent[0]["service"], "dynamodb")
        self.assertEqual(recent[0]["status"], 200)
        counts = {(c["account"], c["operation"]): c["count"] for c in doc["counts"]}
        self.assertGreaterEqual(counts[(M2, "DescribeTable")], 3)


class TestSeparateWorlds(unittest.TestCase):
    """Worlds of their own: fault preset from the environment, stop twice, empty fleet."""

    def test_fault_preset_and_stop_idempotent(self):
        preset = json.dumps([{"kind": "throttle", "operation": "ListTables", "count": 2}])
        w = WorldProcess.start(fleet="none", extra_env={"FV_WORLD_FAULTS": preset, "FV_WORLD_LATENCY_MS": "0"})
        try:
            ddb = w.client("dynamodb", "admin:" + M1)
            for _ in range(2):
                with self.assertRaises(ClientError) as ctx:
                    ddb.list_tables()
                self.assertEqual(code_of(ctx), "ThrottlingException")
            self.assertEqual(ddb.list_tables()["TableNames"], [])  # fleet "none": no tables
            self.assertEqual(w.client("sts").get_caller_identity()["Account"], CENTRAL)
        finally:
            first = w.stop()
        self.assertEqual(first.returncode, 0)
        again = w.stop()
        self.assertEqual(again.returncode, 0)
        with self.assertRaises(Exception):
            urllib.request.urlopen(w.url + "/_world/health", timeout=1)


if __name__ == "__main__":
    unittest.main()
