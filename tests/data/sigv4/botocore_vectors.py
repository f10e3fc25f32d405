#!/usr/bin/env python3
"""Generates the botocore cross-check vectors hard-coded in
tests/unit/test_sigv4.c (run once; the output is pasted into the test).

botocore's own signers (SigV4Auth, S3SigV4Auth, S3SigV4QueryAuth) sign fixed
requests at a fixed time (get_current_datetime patched); the script prints the
canonical request, the Authorization header / presigned query and the
signature of each. Credentials are AWS's documented example keys.
"""
import datetime
import hashlib
import json
from unittest import mock

import botocore
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NOW = datetime.datetime(2024, 2, 29, 23, 59, 58, tzinfo=datetime.timezone.utc)
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEBYaDEXAMPLE/token+with=odd/chars"


def run(name, auth, request):
    prepared = request  # AWSRequest; signers mutate its headers / url
    seen = []  # the canonical request the signer builds inside add_auth
    inner = auth.canonical_request
    auth.canonical_request = lambda r: seen.append(inner(r)) or seen[-1]
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW):
        auth.add_auth(prepared)
    creq = seen[-1]
    print(f"=== {name}")
    print("--- canonical request")
    print(creq)
    print("--- url")
    print(prepared.url)
    print("--- headers")
    for k, v in prepared.headers.items():
        print(f"{k}: {v}")
    print()


def s3_get_object():
    creds = Credentials(AKID, SECRET)
    # Path-style GetObject of the key "dir one//a+b:c/../€ naïve.txt", the
    # path encoded once the way botocore builds S3 URLs (quote, safe "/~").
    url = ("https://s3.eu-west-1.amazonaws.com/fleet-bucket/"
           "dir%20one//a%2Bb%3Ac/../%E2%82%AC%20na%C3%AFve.txt"
           "?versionId=3HL4kqtJvjVBH40Nrjfkd&response-content-type=text%2Fplain")
    req = AWSRequest(method="GET", url=url, headers={
        "Host": "s3.eu-west-1.amazonaws.com",
        "Range": "bytes=0-1023",
        "User-Agent": "fleetvault/0.1",
    })
    req.context["payload_signing_enabled"] = True
    run("s3 GetObject", S3SigV4Auth(creds, "s3", "eu-west-1"), req)


def dynamodb_get_item():
    creds = Credentials(AKID, SECRET, TOKEN)
    body = b'{"TableName":"fleet-runs","Key":{"run_id":{"S":"r-1"}}}'
    req = AWSRequest(method="POST", url="https://dynamodb.eu-west-1.amazonaws.com/",
                     data=body, headers={
        "Host": "dynamodb.eu-west-1.amazonaws.com",
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
        "X-Fleet-Note": "  spaced   out\tvalue  ",
        "User-Agent": "fleetvault/0.1",
        # fleetvault always sends x-amz-content-sha256 (add_content_sha256)
        "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest(),
    })
    run("dynamodb GetItem", SigV4Auth(creds, "dynamodb", "eu-west-1"), req)


def s3_presign():
    creds = Credentials(AKID, SECRET, TOKEN)
    url = "https://fleet-bucket.s3.us-east-1.amazonaws.com/reports/2024%20Q1/summary.csv"
    req = AWSRequest(method="GET", url=url,
                     headers={"Host": "fleet-bucket.s3.us-east-1.amazonaws.com"})
    run("s3 presign", S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=900), req)


if __name__ == "__main__":
    print("botocore", botocore.__version__)
    s3_get_object()
    dynamodb_get_item()
    s3_presign()
