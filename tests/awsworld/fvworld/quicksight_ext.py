"""QuickSight APIs moto 5.2.1 lacks, on top of moto's own QuickSight backend.

moto gaps filled here (each handler says which):
* CreateDataSet: moto keeps only id and name (drops PhysicalTableMap,
  LogicalTableMap, ImportMode, permissions) and uses a wrong ARN
  (`data-set/` instead of `dataset/`).  The layer keeps the full definition
  (and still creates the data set in moto's backend).
* ListDataSets / DescribeDataSet / DeleteDataSet: missing in moto.
* CreateAnalysis / ListAnalyses / DescribeAnalysis / DescribeAnalysisDefinition
  / DeleteAnalysis: missing in moto (analyses live in the layer's store).
* ListDashboards / ListDataSources: moto ignores MaxResults/NextToken and
  returns everything in one page; AWS pages (at most 100).
* Start/Describe/ListAssetBundleExportJob(s), Start/DescribeAssetBundleImportJob:
  missing in moto.  Exports read moto's real QuickSight state; imports
  recreate assets in moto's backend (data sources, dashboards) or the layer's
  store (data sets, analyses).
* The AwsAccountId in the path must be the caller's account (moto ignores it
  and serves the caller's account whatever the path says).
"""

import base64
import copy
import hashlib
import hmac
import io
import json
import re
import time
import secrets
import threading
import uuid
import zipfile
from urllib.parse import unquote

from moto.quicksight.models import quicksight_backends
from moto.s3.models import s3_backends

from . import auth, clock
from .server import Response

REGION = "us-east-1"
TERMINAL = ("SUCCESSFUL", "FAILED")
MAX_CONCURRENT_EXPORTS = 5
JOB_ID_RE = re.compile(r"^[\w\-]{1,512}$")
ASSET_TYPES = {
    # arn resource type -> (bundle folder, CloudFormation type)
    "dashboard": ("dashboard", "AWS::QuickSight::Dashboard"),
    "analysis": ("analysis", "AWS::QuickSight::Analysis"),
    "dataset": ("dataset", "AWS::QuickSight::DataSet"),
    "datasource": ("datasource", "AWS::QuickSight::DataSource"),
    "theme": ("theme", "AWS::QuickSight::Theme"),
}


def qs_arn(account, rtype, rid):
    return f"arn:aws:quicksight:{REGION}:{account}:{rtype}/{rid}"


def parse_arn(arn):
    """-> (account, resource type, id) or None. Accepts moto's `data-set/`."""
    m = re.match(r"^arn:aws:quicksight:[^:]*:(\d{12}):([a-z\-]+)/(.+)$", arn or "")
    if not m:
        return None
    rtype = m.group(2)
    if rtype == "data-set":
        rtype = "dataset"
    return m.group(1), rtype, m.group(3)


class ClientError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _ts(t):
    return round(float(t), 3)


class AccountStore:
    def __init__(self):
        self.datasets = {}
        self.analyses = {}
        self.export_jobs = {}
        self.import_jobs = {}


class QuickSightExt:
    def __init__(self, world):
        self.world = world
        self.lock = threading.RLock()
        self.accounts = {}
        self.hostile_urls = {}  # account -> the DownloadUrl base it answers instead (tests)
        self.url_key = secrets.token_bytes(32)
        routes = {
            "CreateDataSet": self.create_data_set,
            "ListDataSets": self.list_data_sets,
            "DescribeDataSet": self.describe_data_set,
            "DeleteDataSet": self.delete_data_set,
            "CreateAnalysis": self.create_analysis,
            "ListAnalyses": self.list_analyses,
            "DescribeAnalysis": self.describe_analysis,
            "DescribeAnalysisDefinition": self.describe_analysis_definition,
            "DeleteAnalysis": self.delete_analysis,
            "ListDashboards": self.list_dashboards,
            "ListDataSources": self.list_data_sources,
            "StartAssetBundleExportJob": self.start_export,
            "DescribeAssetBundleExportJob": self.describe_export,
            "ListAssetBundleExportJobs": self.list_exports,
            "StartAssetBundleImportJob": self.start_import,
            "DescribeAssetBundleImportJob": self.describe_import,
        }
        for op, fn in routes.items():
            world.register("quicksight", op, self._wrap(op, fn))
        world.register_control("/_world/asset-bundles/", self.serve_download)
        world.register_control("/_world/quicksight/hostile-download-urls", self.hostile_download_urls)
        # every other QuickSight operation goes to moto, behind the account guard
        world.register_service("quicksight", self._path_account_guard)

    # -- plumbing -------------------------------------------------------------
    @property
    def job_delay(self):
        return float(self.world.settings["asset_bundle_delay_s"])

    @property
    def url_ttl(self):
        return float(self.world.settings["download_url_ttl_s"])

    def store(self, account):
        with self.lock:
            if account not in self.accounts:
                self.accounts[account] = AccountStore()
            return self.accounts[account]

    @staticmethod
    def backend(account):
        return quicksight_backends[account][REGION]

    @staticmethod
    def _path_account(info):
        m = re.match(r"^/accounts/([^/]+)", info.raw_path)
        return unquote(m.group(1)) if m else None

    def _path_account_guard(self, environ, info):
        """moto serves the caller's account whatever AwsAccountId the path names."""
        path_acct = self._path_account(info)
        if path_acct and info.account and path_acct != info.account:
            account, arn = auth.authenticate(environ, info, info.operation)
            return Response.error(info, "AccessDeniedException",
                                  f"User: {arn} is not authorized to perform: quicksight:{info.operation} "
                                  f"on resource: arn:aws:quicksight:{REGION}:{path_acct}:user/default/*", 403)
        return self.world.forward(environ, info)

    def _wrap(self, op, fn):
        def handler(environ, info):
            account, arn = auth.authenticate(environ, info, op)
            path_acct = self._path_account(info)
            if path_acct != account:
                return Response.error(info, "AccessDeniedException",
                                      f"User: {arn} is not authorized to perform: quicksight:{op} on resource: "
                                      f"arn:aws:quicksight:{REGION}:{path_acct}:*", 403)
            body = info.json_body() if info.body else {}
            if body is None:
                return Response.error(info, "InvalidParameterValueException", "Request body is not valid JSON", 400)
            try:
                doc, status = fn(account, info, body)
            except ClientError as e:
                return Response.error(info, e.code, e.message, e.status)
            doc.setdefault("RequestId", info.request_id)
            doc["Status"] = status
            return Response.json(doc, status, extra_headers=[("x-amzn-RequestId", info.request_id)])

        return handler

    @staticmethod
    def _seg(info, index):
        parts = info.raw_path.strip("/").split("/")
        return unquote(parts[index]) if len(parts) > index else None

    @staticmethod
    def _page(items, info, default=100):
        try:
            limit = int(info.query.get("max-results", default))
        except ValueError:
            raise ClientError("InvalidParameterValueException", "max-results must be a number")
        if limit < 1 or limit > 100:
            raise ClientError("InvalidParameterValueException", "max-results must be between 1 and 100")
        start = 0
        tok = info.query.get("next-token")
        if tok:
            try:
                start = int(base64.b64decode(tok).decode().split(":")[1])
            except Exception:
                raise ClientError("InvalidNextTokenException", "The NextToken is invalid.")
        page = items[start:start + limit]
        nxt = None
        if start + limit < len(items):
            nxt = base64.b64encode(f"fvworld:{start + limit}".encode()).decode()
        return page, nxt

    # -- data sets ------------------------------------------------------------
    def put_data_set(self, account, req, created=None):
        """Create/replace a data set (used by CreateDataSet, imports and seeding)."""
        ds_id = req.get("DataSetId")
        if not ds_id or not req.get("Name"):
            raise ClientError("InvalidParameterValueException", "DataSetId and Name are required")
        if not isinstance(req.get("PhysicalTableMap"), dict) or not req["PhysicalTableMap"]:
            raise ClientError("InvalidParameterValueException", "PhysicalTableMap is required")
        if req.get("ImportMode") not in ("SPICE", "DIRECT_QUERY"):
            raise ClientError("InvalidParameterValueException", "ImportMode must be SPICE or DIRECT_QUERY")
        now = clock.now()
        doc = {k: copy.deepcopy(v) for k, v in req.items() if k not in ("AwsAccountId", "Tags", "Permissions")}
        doc["Arn"] = qs_arn(account, "dataset", ds_id)
        doc["CreatedTime"] = created or now
        doc["LastUpdatedTime"] = now
        doc["ConsumedSpiceCapacityInBytes"] = 0
        cols = []
        for table in req["PhysicalTableMap"].values():
            for kind in table.values():
                for c in kind.get("InputColumns", []) if isinstance(kind, dict) else []:
                    cols.append({"Name": c["Name"], "Type": c.get("Type", "STRING")})
        doc["OutputColumns"] = cols
        meta = {"Permissions": copy.deepcopy(req.get("Permissions") or []), "Tags": copy.deepcopy(req.get("Tags") or [])}
        with self.lock:
            self.store(account).datasets[ds_id] = (doc, meta)
        self.backend(account).create_data_set(ds_id, req["Name"], req.get("Tags"))
        return doc

    def create_data_set(self, account, info, body):
        if body.get("DataSetId") in self.store(account).datasets:
            raise ClientError("ResourceExistsException", f"DataSet {body.get('DataSetId')} already exists", 409)
        doc = self.put_data_set(account, body)
        ingestion = uuid.uuid4().hex
        return {"Arn": doc["Arn"], "DataSetId": doc["DataSetId"],
                "IngestionArn": f"{doc['Arn']}/ingestion/{ingestion}", "IngestionId": ingestion}, 201

    def list_data_sets(self, account, info, body):
        items = sorted(self.store(account).datasets.values(), key=lambda dm: dm[0]["DataSetId"])
        page, nxt = self._page(items, info)
        out = [{
            "Arn": d["Arn"], "DataSetId": d["DataSetId"], "Name": d["Name"], "CreatedTime": _ts(d["CreatedTime"]),
            "LastUpdatedTime": _ts(d["LastUpdatedTime"]), "ImportMode": d["ImportMode"],
            "RowLevelPermissionTagConfigurationApplied": False, "ColumnLevelPermissionRulesApplied": False,
        } for d, _ in page]
        doc = {"DataSetSummaries": out}
        if nxt:
            doc["NextToken"] = nxt
        return doc, 200

    def _get_data_set(self, account, ds_id):
        got = self.store(account).datasets.get(ds_id)
        if not got:
            raise ClientError("ResourceNotFoundException", f"Data set {ds_id} not found", 404)
        return got

    def describe_data_set(self, account, info, body):
        d, _ = self._get_data_set(account, self._seg(info, 3))
        out = copy.deepcopy(d)
        out["CreatedTime"], out["LastUpdatedTime"] = _ts(d["CreatedTime"]), _ts(d["LastUpdatedTime"])
        return {"DataSet": out}, 200

    def delete_data_set(self, account, info, body):
        ds_id = self._seg(info, 3)
        d, _ = self._get_data_set(account, ds_id)
        with self.lock:
            self.store(account).datasets.pop(ds_id, None)
            self.backend(account).data_sets.pop(ds_id, None)
        return {"Arn": d["Arn"], "DataSetId": ds_id}, 200

    # -- analyses -------------------------------------------------------------
    def put_analysis(self, account, an_id, req):
        if not req.get("Name"):
            raise ClientError("InvalidParameterValueException", "Name is required")
        if not req.get("SourceEntity") and not req.get("Definition"):
            raise ClientError("InvalidParameterValueException", "Either SourceEntity or Definition is required")
        now = clock.now()
        doc = {k: copy.deepcopy(v) for k, v in req.items() if k not in ("AwsAccountId", "Tags", "Permissions")}
        doc["AnalysisId"] = an_id
        doc["Arn"] = qs_arn(account, "analysis", an_id)
        doc["Status"] = "CREATION_SUCCESSFUL"
        doc["CreatedTime"] = now
        doc["LastUpdatedTime"] = now
        doc["DataSetArns"] = data_set_arns_of(req)
        meta = {"Permissions": copy.deepcopy(req.get("Permissions") or []), "Tags": copy.deepcopy(req.get("Tags") or [])}
        with self.lock:
            self.store(account).analyses[an_id] = (doc, meta)
        return doc

    def create_analysis(self, account, info, body):
        an_id = self._seg(info, 3)
        if an_id in self.store(account).analyses:
            raise ClientError("ResourceExistsException", f"Analysis {an_id} already exists", 409)
        doc = self.put_analysis(account, an_id, body)
        return {"Arn": doc["Arn"], "AnalysisId": an_id, "CreationStatus": "CREATION_SUCCESSFUL"}, 202

    def list_analyses(self, account, info, body):
        items = sorted(self.store(account).analyses.values(), key=lambda dm: dm[0]["AnalysisId"])
        page, nxt = self._page(items, info)
        out = [{"Arn": a["Arn"], "AnalysisId": a["AnalysisId"], "Name": a["Name"], "Status": a["Status"],
                "CreatedTime": _ts(a["CreatedTime"]), "LastUpdatedTime": _ts(a["LastUpdatedTime"])} for a, _ in page]
        doc = {"AnalysisSummaryList": out}
        if nxt:
            doc["NextToken"] = nxt
        return doc, 200

    def _get_analysis(self, account, an_id):
        got = self.store(account).analyses.get(an_id)
        if not got:
            raise ClientError("ResourceNotFoundException", f"Analysis {an_id} not found", 404)
        return got

    def describe_analysis(self, account, info, body):
        a, _ = self._get_analysis(account, self._seg(info, 3))
        out = {k: a[k] for k in ("AnalysisId", "Arn", "Name", "Status", "DataSetArns") if k in a}
        if a.get("ThemeArn"):
            out["ThemeArn"] = a["ThemeArn"]
        out["CreatedTime"], out["LastUpdatedTime"] = _ts(a["CreatedTime"]), _ts(a["LastUpdatedTime"])
        out["Sheets"] = [{"SheetId": s.get("SheetId"), "Name": s.get("Name")}
                         for s in (a.get("Definition") or {}).get("Sheets", [])]
        out["Errors"] = []
        return {"Analysis": out}, 200

    def describe_analysis_definition(self, account, info, body):
        a, _ = self._get_analysis(account, self._seg(info, 3))
        doc = {"AnalysisId": a["AnalysisId"], "Name": a["Name"], "ResourceStatus": a["Status"], "Errors": []}
        if a.get("Definition"):
            doc["Definition"] = copy.deepcopy(a["Definition"])
        if a.get("ThemeArn"):
            doc["ThemeArn"] = a["ThemeArn"]
        return doc, 200

    def delete_analysis(self, account, info, body):
        an_id = self._seg(info, 3)
        a, _ = self._get_analysis(account, an_id)
        with self.lock:
            self.store(account).analyses.pop(an_id, None)
        return {"Arn": a["Arn"], "AnalysisId": an_id, "DeletionTime": _ts(clock.now())}, 200

    # -- paging fixes for moto's list calls ------------------------------------
    def list_dashboards(self, account, info, body):
        items = sorted(self.backend(account).dashboards.values(), key=lambda d: d.dashboard_id)
        page, nxt = self._page(items, info)
        out = [{"Arn": d.arn, "DashboardId": d.dashboard_id, "Name": d.name,
                "CreatedTime": _ts(d.created_time.timestamp()), "LastUpdatedTime": _ts(d.last_updated_time.timestamp()),
                "PublishedVersionNumber": d.version_number,
                "LastPublishedTime": _ts(d.last_published_time.timestamp())} for d in page]
        doc = {"DashboardSummaryList": out}
        if nxt:
            doc["NextToken"] = nxt
        return doc, 200

    def list_data_sources(self, account, info, body):
        items = sorted(self.backend(account).data_sources.values(), key=lambda d: d.data_source_id)
        page, nxt = self._page(items, info)
        out = []
        for d in page:
            j = {k: v for k, v in d.to_json().items() if v is not None}
            j["CreatedTime"], j["LastUpdatedTime"] = _ts(d.created_time.timestamp()), _ts(d.last_updated_time.timestamp())
            out.append(j)
        doc = {"DataSources": out}
        if nxt:
            doc["NextToken"] = nxt
        return doc, 200

    # -- asset resolution -------------------------------------------------------
    def asset_json(self, account, rtype, rid):
        """The bundle JSON of one asset, or None when it does not exist."""
        be = self.backend(account)
        if rtype == "dashboard":
            d = be.dashboards.get(rid)
            if not d:
                return None
            doc = {"DashboardId": d.dashboard_id, "Arn": d.arn, "Name": d.name}
            if d.source_entity:
                doc["SourceEntity"] = copy.deepcopy(d.source_entity)
            if d.definition:
                doc["Definition"] = copy.deepcopy(d.definition)
            if d.theme_arn:
                doc["ThemeArn"] = d.theme_arn
            if d.dashboard_publish_options:
                doc["DashboardPublishOptions"] = copy.deepcopy(d.dashboard_publish_options)
            doc["DataSetArns"] = data_set_arns_of(doc)
            return doc
        if rtype == "analysis":
            got = self.store(account).analyses.get(rid)
            if not got:
                return None
            a = {k: v for k, v in got[0].items() if k not in ("CreatedTime", "LastUpdatedTime", "Status")}
            return copy.deepcopy(a)
        if rtype == "dataset":
            got = self.store(account).datasets.get(rid)
            if not got:
                return None
            return {k: copy.deepcopy(v) for k, v in got[0].items()
                    if k not in ("CreatedTime", "LastUpdatedTime", "ConsumedSpiceCapacityInBytes", "OutputColumns")}
        if rtype == "datasource":
            d = be.data_sources.get(rid)
            if not d:
                return None
            doc = {"DataSourceId": d.data_source_id, "Arn": d.arn, "Name": d.name, "Type": d.data_source_type}
            if d.data_source_parameters:
                doc["DataSourceParameters"] = copy.deepcopy(d.data_source_parameters)
            if d.ssl_properties:
                doc["SslProperties"] = copy.deepcopy(d.ssl_properties)
            if d.vpc_connection_properties:
                doc["VpcConnectionProperties"] = copy.deepcopy(d.vpc_connection_properties)
            return doc
        return None

    def dependencies(self, rtype, doc):
        if rtype in ("dashboard", "analysis"):
            deps = list(doc.get("DataSetArns") or [])
            if doc.get("ThemeArn"):
                deps.append(doc["ThemeArn"])
            return deps
        if rtype == "dataset":
            deps = []
            for table in (doc.get("PhysicalTableMap") or {}).values():
                for kind in table.values():
                    if isinstance(kind, dict) and kind.get("DataSourceArn"):
                        deps.append(kind["DataSourceArn"])
            for lt in (doc.get("LogicalTableMap") or {}).values():
                src = (lt or {}).get("Source") or {}
                if src.get("DataSetArn"):
                    deps.append(src["DataSetArn"])
            return deps
        return []

    def collect(self, account, arns, include_deps):
        """-> (ordered {arn: (rtype, id, doc)}, errors)"""
        assets, errors, queue, seen = {}, [], list(arns), set()
        while queue:
            arn = queue.pop(0)
            if arn in seen:
                continue
            seen.add(arn)
            parsed = parse_arn(arn)
            if not parsed or parsed[1] not in ASSET_TYPES:
                errors.append({"Arn": arn, "Type": "InvalidParameterValueException",
                               "Message": f"{arn} is not a supported asset ARN"})
                continue
            acct, rtype, rid = parsed
            doc = self.asset_json(account, rtype, rid) if acct == account else None
            if doc is None:
                errors.append({"Arn": arn, "Type": "ResourceNotFoundException",
                               "Message": f"The {rtype} {rid} does not exist in account {account}."})
                continue
            assets[arn] = (rtype, rid, doc)
            if include_deps:
                queue.extend(self.dependencies(rtype, doc))
        return assets, errors

    # -- asset-bundle export ----------------------------------------------------
    def _job_status(self, job):
        if job.get("final"):
            return job["final"]
        elapsed = clock.now() - job["created"]
        if elapsed < job["delay"]:
            return "QUEUED_FOR_IMMEDIATE_EXECUTION"
        if elapsed < 2 * job["delay"]:
            return "IN_PROGRESS"
        return "FAILED" if job["errors"] else "SUCCESSFUL"

    def start_export(self, account, info, body):
        job_id = body.get("AssetBundleExportJobId")
        arns = body.get("ResourceArns")
        fmt = body.get("ExportFormat")
        if not isinstance(job_id, str) or not JOB_ID_RE.match(job_id):
            raise ClientError("InvalidParameterValueException", "AssetBundleExportJobId must match [\\w\\-]{1,512}")
        if not isinstance(arns, list) or not 1 <= len(arns) <= 100:
            n = len(arns) if isinstance(arns, list) else 0
            raise ClientError("ValidationException",
                              f"1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: "
                              f"Member must have length between 1 and 100 (got {n})")
        if fmt not in ("QUICKSIGHT_JSON", "CLOUDFORMATION_JSON"):
            raise ClientError("ValidationException",
                              f"1 validation error detected: Value '{fmt}' at 'exportFormat' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [CLOUDFORMATION_JSON, QUICKSIGHT_JSON]")
        with self.lock:
            st = self.store(account)
            old = st.export_jobs.get(job_id)
            if old and self._job_status(old) not in TERMINAL:
                raise ClientError("ConflictException",
                                  f"An asset bundle export job with ID {job_id} is already in progress.", 409)
            running = [j for j in st.export_jobs.values() if self._job_status(j) not in TERMINAL]
            if len(running) >= MAX_CONCURRENT_EXPORTS:
                raise ClientError("LimitExceededException",
                                  f"You have reached the limit of {MAX_CONCURRENT_EXPORTS} concurrent asset bundle "
                                  "export jobs for this account. Wait for a job to finish and try again.", 409)
            include = bool(body.get("IncludeAllDependencies", False))
            assets, errors = self.collect(account, arns, include)
            job = {
                "id": job_id, "account": account, "created": clock.now(), "delay": self.job_delay, "arns": list(arns),
                "include": include, "format": fmt, "errors": errors,
                "arn": qs_arn(account, "asset-bundle-export-job", job_id),
                "request": {k: body[k] for k in ("IncludePermissions", "IncludeTags", "ValidationStrategy",
                                                 "IncludeFolderMemberships", "IncludeFolderMembers",
                                                 "CloudFormationOverridePropertyConfiguration") if k in body},
                "zip": None if errors else build_bundle(assets, fmt, body, self),
            }
            st.export_jobs[job_id] = job  # reuse after the old job ended replaces it
        return {"Arn": job["arn"], "AssetBundleExportJobId": job_id}, 200

    def hostile_download_urls(self, environ, method, path, qs, doc):
        """POST {"account": "111122223333", "url": "file:///etc/passwd"}: that account's
        DownloadUrls become url plus the usual signed query (a compromised or spoofed
        QuickSight answer); "url": null restores them. GET lists them."""
        if method == "POST":
            if not isinstance(doc, dict) or not re.fullmatch(r"\d{12}", str(doc.get("account", ""))):
                return Response.json({"error": "expected {\"account\": \"<12 digits>\", \"url\": ...}"}, 400)
            with self.lock:
                if doc.get("url"):
                    self.hostile_urls[doc["account"]] = str(doc["url"])
                else:
                    self.hostile_urls.pop(doc["account"], None)
        if method in ("GET", "POST"):
            with self.lock:
                return Response.json(dict(self.hostile_urls))
        return Response.json({"error": "GET or POST"}, 405)

    def _download_url(self, job):
        expires = int(clock.now() + self.url_ttl)
        path = f"/_world/asset-bundles/{job['account']}/{job['id']}.zip"
        sig = hmac.new(self.url_key, f"{path}|{expires}|{job['created']}".encode(), hashlib.sha256).hexdigest()
        with self.lock:
            base = self.hostile_urls.get(job["account"], f"{self.world.base_url}{path}")
        return f"{base}?X-Amz-Expires={int(self.url_ttl)}&expires={expires}&X-Amz-Signature={sig}"

    def describe_export(self, account, info, body):
        job_id = self._seg(info, 3)
        job = self.store(account).export_jobs.get(job_id)
        if not job:
            raise ClientError("ResourceNotFoundException", f"Asset bundle export job {job_id} not found", 404)
        status = self._job_status(job)
        doc = {"JobStatus": status, "Arn": job["arn"], "CreatedTime": _ts(job["created"]),
               "AssetBundleExportJobId": job_id, "AwsAccountId": account, "ResourceArns": job["arns"],
               "IncludeAllDependencies": job["include"], "ExportFormat": job["format"],
               "IncludePermissions": bool(job["request"].get("IncludePermissions", False)),
               "IncludeTags": bool(job["request"].get("IncludeTags", False)), "Warnings": []}
        for k in ("ValidationStrategy", "IncludeFolderMemberships", "IncludeFolderMembers",
                  "CloudFormationOverridePropertyConfiguration"):
            if k in job["request"]:
                doc[k] = job["request"][k]
        if status == "SUCCESSFUL":
            doc["DownloadUrl"] = self._download_url(job)
        if status == "FAILED":
            doc["Errors"] = job["errors"]
        return doc, 200

    def list_exports(self, account, info, body):
        jobs = sorted(self.store(account).export_jobs.values(), key=lambda j: -j["created"])
        page, nxt = self._page(jobs, info)
        out = [{"JobStatus": self._job_status(j), "Arn": j["arn"], "CreatedTime": _ts(j["created"]),
                "AssetBundleExportJobId": j["id"], "IncludeAllDependencies": j["include"],
                "ExportFormat": j["format"],
                "IncludePermissions": bool(j["request"].get("IncludePermissions", False)),
                "IncludeTags": bool(j["request"].get("IncludeTags", False))} for j in page]
        doc = {"AssetBundleExportJobSummaryList": out}
        if nxt:
            doc["NextToken"] = nxt
        return doc, 200

    def serve_download(self, environ, method, path, qs, doc):
        """GET /_world/asset-bundles/<account>/<job>.zip?expires=..&X-Amz-Signature=..
        No SigV4 (like an S3 presigned URL); 403 once expired (world clock)."""
        def denied(msg):
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                    f"<Message>{msg}</Message></Error>").encode()
            return Response(403, [("Content-Type", "application/xml")], body)

        m = re.match(r"^/_world/asset-bundles/(\d{12})/([\w\-]+)\.zip$", path)
        if method != "GET" or not m:
            return denied("Invalid download URL")
        account, job_id = m.group(1), m.group(2)
        job = self.store(account).export_jobs.get(job_id)
        try:
            expires = int(qs.get("expires", "0"))
        except ValueError:
            return denied("Invalid download URL")
        if not job or job.get("zip") is None:
            return denied("Invalid download URL")
        want = hmac.new(self.url_key, f"{path}|{expires}|{job['created']}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, qs.get("X-Amz-Signature", "")):
            return denied("The request signature we calculated does not match the signature you provided.")
        if clock.now() > expires:
            return denied("Request has expired")
        delay = float(self.world.settings.get("download_delay_s", 0))
        if delay > 0:  # tests of a worker dying mid-download
            time.sleep(delay)
        return Response(200, [("Content-Type", "application/zip")], job["zip"])

    # -- asset-bundle import ----------------------------------------------------
    def start_import(self, account, info, body):
        job_id = body.get("AssetBundleImportJobId")
        src = body.get("AssetBundleImportSource") or {}
        if not isinstance(job_id, str) or not JOB_ID_RE.match(job_id):
            raise ClientError("InvalidParameterValueException", "AssetBundleImportJobId must match [\\w\\-]{1,512}")
        if bool(src.get("Body")) == bool(src.get("S3Uri")):
            raise ClientError("InvalidParameterValueException",
                              "AssetBundleImportSource needs exactly one of Body or S3Uri")
        if src.get("Body"):
            try:
                data = base64.b64decode(src["Body"])
            except Exception:
                raise ClientError("InvalidParameterValueException", "AssetBundleImportSource.Body is not base64")
            source_desc = {"Body": "(bundle body)"}
        else:
            data = read_s3_uri(account, src["S3Uri"])
            source_desc = {"S3Uri": src["S3Uri"]}
        with self.lock:
            st = self.store(account)
            old = st.import_jobs.get(job_id)
            if old and self._job_status(old) not in TERMINAL:
                raise ClientError("ConflictException",
                                  f"An asset bundle import job with ID {job_id} is already in progress.", 409)
            errors = self.apply_bundle(account, data, body.get("OverrideParameters") or {})
            job = {"id": job_id, "account": account, "created": clock.now(), "delay": self.job_delay, "errors": errors,
                   "arn": qs_arn(account, "asset-bundle-import-job", job_id), "source": source_desc,
                   "request": {k: body[k] for k in ("OverrideParameters", "FailureAction", "OverridePermissions",
                                                    "OverrideTags", "OverrideValidationStrategy") if k in body}}
            st.import_jobs[job_id] = job
        return {"Arn": job["arn"], "AssetBundleImportJobId": job_id}, 200

    def describe_import(self, account, info, body):
        job_id = self._seg(info, 3)
        job = self.store(account).import_jobs.get(job_id)
        if not job:
            raise ClientError("ResourceNotFoundException", f"Asset bundle import job {job_id} not found", 404)
        doc = {"JobStatus": self._job_status(job), "Arn": job["arn"], "CreatedTime": _ts(job["created"]),
               "AssetBundleImportJobId": job_id, "AwsAccountId": account,
               "AssetBundleImportSource": job["source"], "Errors": [], "RollbackErrors": []}
        doc.update(job["request"])
        doc.setdefault("FailureAction", "ROLLBACK")
        if doc["JobStatus"] == "FAILED":
            doc["Errors"] = job["errors"]
        return doc, 200

    def apply_bundle(self, account, data, overrides):
        """Recreate a bundle's assets in `account`; returns the error list."""
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            entries = {n: json.loads(zf.read(n)) for n in zf.namelist() if n.endswith(".json")}
        except (zipfile.BadZipFile, ValueError) as e:
            return [{"Arn": "", "Type": "InvalidParameterValueException", "Message": f"Bundle is not a valid zip of JSON: {e}"}]
        prefix = ((overrides.get("ResourceIdOverrideConfiguration") or {}).get("PrefixForAllResources")) or ""
        ds_over = {o.get("DataSourceId"): o for o in overrides.get("DataSources") or []}
        set_over = {o.get("DataSetId"): o for o in overrides.get("DataSets") or []}
        assets = []
        for name, doc in entries.items():
            folder = name.split("/")[0]
            if "Resources" in doc and folder in ASSET_TYPES:  # CLOUDFORMATION_JSON entry
                res = next(iter(doc["Resources"].values()))
                doc = copy.deepcopy(res["Properties"])
                doc.pop("AwsAccountId", None)
            assets.append((folder, doc))
        source_accounts = set()
        for folder, doc in assets:
            parsed = parse_arn(doc.get("Arn", ""))
            if parsed:
                source_accounts.add(parsed[0])

        def remap(obj):
            text = json.dumps(obj)
            for src in source_accounts:
                text = text.replace(f":{src}:", f":{account}:")
            if prefix:
                text = re.sub(r"(arn:aws:quicksight:[^:]*:\d{12}:(?:dashboard|analysis|dataset|datasource|theme)/)",
                              lambda m: m.group(1) + prefix, text)
            return json.loads(text)

        order = {"datasource": 0, "dataset": 1, "theme": 2, "analysis": 3, "dashboard": 4}
        errors = []
        be = self.backend(account)
        for folder, doc in sorted(assets, key=lambda a: order.get(a[0], 9)):
            doc = remap(doc)
            try:
                if folder == "datasource":
                    orig = doc["DataSourceId"]
                    o = ds_over.get(orig) or {}
                    ds_id = prefix + orig
                    be.create_data_source(account, ds_id, o.get("Name") or doc["Name"], doc.get("Type"),
                                          o.get("DataSourceParameters") or doc.get("DataSourceParameters"),
                                          o.get("VpcConnectionProperties") or doc.get("VpcConnectionProperties"),
                                          o.get("SslProperties") or doc.get("SslProperties"))
                elif folder == "dataset":
                    orig = doc["DataSetId"]
                    o = set_over.get(orig) or {}
                    doc["DataSetId"] = prefix + orig
                    if o.get("Name"):
                        doc["Name"] = o["Name"]
                    doc.pop("Arn", None)
                    self.put_data_set(account, doc)
                elif folder == "analysis":
                    an_id = prefix + doc["AnalysisId"]
                    doc.pop("Arn", None)
                    self.put_analysis(account, an_id, doc)
                elif folder == "dashboard":
                    d_id = prefix + doc["DashboardId"]
                    be.create_dashboard(account, d_id, doc["Name"], None, None, doc.get("SourceEntity"), None, None,
                                        doc.get("DashboardPublishOptions"), doc.get("ThemeArn"),
                                        doc.get("Definition"), None, None, None, None)
                else:
                    errors.append({"Arn": doc.get("Arn", ""), "Type": "UnsupportedAssetType",
                                   "Message": f"fvworld: asset type {folder} is not supported by the world"})
            except (KeyError, ClientError, TypeError) as e:
                errors.append({"Arn": doc.get("Arn", ""), "Type": "InvalidParameterValueException",
                               "Message": f"Could not import {folder}: {e}"})
        return errors


def data_set_arns_of(doc):
    arns = []
    src = ((doc.get("SourceEntity") or {}).get("SourceTemplate") or {})
    for ref in src.get("DataSetReferences") or []:
        if ref.get("DataSetArn"):
            arns.append(ref["DataSetArn"])
    for decl in (doc.get("Definition") or {}).get("DataSetIdentifierDeclarations") or []:
        if decl.get("DataSetArn"):
            arns.append(decl["DataSetArn"])
    out = []
    for a in arns:
        p = parse_arn(a)
        norm = qs_arn(p[0], "dataset", p[2]) if p else a
        if norm not in out:
            out.append(norm)
    return out


def build_bundle(assets, fmt, body, ext):
    """Zip of one JSON file per asset: <type>/<id>.json."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for arn, (rtype, rid, doc) in assets.items():
            folder, cfn_type = ASSET_TYPES[rtype]
            doc = copy.deepcopy(doc)
            if body.get("IncludePermissions") or body.get("IncludeTags"):
                acct = parse_arn(arn)[0]
                st = ext.store(acct)
                meta = None
                if rtype == "dataset" and rid in st.datasets:
                    meta = st.datasets[rid][1]
                elif rtype == "analysis" and rid in st.analyses:
                    meta = st.analyses[rid][1]
                if meta and body.get("IncludePermissions"):
                    doc["Permissions"] = meta["Permissions"]
                if meta and body.get("IncludeTags"):
                    doc["Tags"] = meta["Tags"]
            if fmt == "CLOUDFORMATION_JSON":
                logical = re.sub(r"[^A-Za-z0-9]", "", f"{folder}{rid}")
                props = dict(doc)
                props["AwsAccountId"] = parse_arn(arn)[0]
                doc = {"AWSTemplateFormatVersion": "2010-09-09",
                       "Resources": {logical: {"Type": cfn_type, "Properties": props}}}
            zf.writestr(f"{folder}/{rid}.json", json.dumps(doc, indent=1, sort_keys=True))
    return buf.getvalue()


def read_s3_uri(account, uri):
    m = re.match(r"^s3://([^/]+)/(.+)$", uri or "")
    if not m:
        raise ClientError("InvalidParameterValueException", f"Invalid S3Uri {uri}")
    bucket, key = m.group(1), m.group(2)
    for acct in [account] + [a for a in list(s3_backends.keys()) if a != account]:
        be = s3_backends[acct]["aws"]
        if bucket in be.buckets:
            obj = be.buckets[bucket].keys.get(key)
            if obj is None:
                raise ClientError("InvalidParameterValueException", f"S3 object {uri} does not exist")
            return obj.value
    raise ClientError("InvalidParameterValueException", f"S3 bucket for {uri} does not exist")
