"""S3 additional checksums (x-amz-checksum-*), verified as S3 verifies them.

moto gaps filled here (on moto's own S3 backend, behind the same signature
and IAM checks):

* PutObject / UploadPart: moto stores whatever x-amz-checksum-<alg> the
  client sends without checking it against the body, and ignores the header
  entirely unless the SDK's x-amz-sdk-checksum-algorithm header comes with it
  (so a client that sends only x-amz-checksum-sha256, as S3 allows, gets no
  checksum stored and none echoed).  The layer verifies SHA256, SHA1 and
  CRC32 checksums against the body: a value that is not base64 of the right
  length -> 400 InvalidRequest "Value for x-amz-checksum-sha256 header is
  invalid."; a mismatch -> 400 BadDigest "The SHA256 you specified did not
  match the calculated checksum." (nothing stored).  Both answers echo the
  header (x-amz-checksum-sha256) as S3 does; PutObject's object then keeps it
  (FULL_OBJECT).  CRC32C/CRC64NVME values are passed to moto unverified, as
  are aws-chunked (STREAMING-*) bodies.
* CompleteMultipartUpload: moto checks only part numbers and ETags.  Each
  <Part>'s ChecksumSHA256 (SHA1, CRC32) is checked against the part moto
  holds: wrong -> 400 InvalidPart; an upload created with
  x-amz-checksum-algorithm whose Complete omits a part's checksum -> 400
  InvalidRequest "The upload was created using a sha256 checksum. The
  complete request must include the checksum for each part. It was missing
  for part N in the request."  The completed object's checksum is S3's
  checksum of checksums (COMPOSITE: base64 of the SHA-256 of the parts' raw
  digests, answered as "<b64>-<number of parts>"), and the
  CompleteMultipartUploadResult carries ChecksumSHA256 and ChecksumType.
* HeadObject / GetObject with x-amz-checksum-mode: ENABLED: moto's HEAD
  drops the "-<parts>" suffix of a multipart checksum and x-amz-checksum-type;
  the layer answers x-amz-checksum-<alg> ("<b64>-<n>" for multipart) and
  x-amz-checksum-type for whole-object requests (not for ranges).
"""

import base64
import hashlib
import re
import zlib
from urllib.parse import unquote
from xml.dom import minidom
from xml.sax.saxutils import escape

from moto.s3.models import s3_backends

from . import auth
from .server import Response

VERIFIED = ("sha256", "sha1", "crc32")
ALL_ALGS = ("sha256", "sha1", "crc32", "crc32c", "crc64nvme")
DIGEST_LEN = {"sha256": 32, "sha1": 20, "crc32": 4, "crc32c": 4, "crc64nvme": 8}
MODEL_NAME = {"sha256": "SHA256", "sha1": "SHA1", "crc32": "CRC32", "crc32c": "CRC32C", "crc64nvme": "CRC64NVME"}
INVALID_PART = ("One or more of the specified parts could not be found.  The part may not have been uploaded, "
                "or the specified entity tag may not match the part's entity tag.")


def raw_digest(alg, data):
    if alg == "sha256":
        return hashlib.sha256(data).digest()
    if alg == "sha1":
        return hashlib.sha1(data).digest()
    if alg == "crc32":
        return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    raise ValueError(alg)


def b64_digest(alg, data):
    return base64.b64encode(raw_digest(alg, data)).decode()


def _decode(alg, value):
    """The raw digest a header value stands for, or None when malformed."""
    try:
        raw = base64.b64decode(value, validate=True)
    except Exception:
        return None
    return raw if len(raw) == DIGEST_LEN[alg] else None


def _bucket_key(info):
    parts = info.raw_path.lstrip("/").split("/", 1)
    bucket = unquote(parts[0]) if parts and parts[0] else None
    key = unquote(parts[1]) if len(parts) > 1 else None
    return bucket, key


def _object_arn(info):
    bucket, key = _bucket_key(info)
    return f"arn:aws:s3:::{bucket}/{key}"


class S3ChecksumExt:
    def __init__(self, world):
        self.world = world
        world.register("s3", "PutObject", self.put_object)
        world.register("s3", "UploadPart", self.upload_part)
        world.register("s3", "CompleteMultipartUpload", self.complete)
        world.register("s3", "HeadObject", self.read_object)
        world.register("s3", "GetObject", self.read_object)

    # -- helpers ---------------------------------------------------------------
    def _error(self, environ, info, code, message, extra=""):
        """An S3 client error, after the caller's signature and permission are
        checked (AWS authenticates before it looks at the payload)."""
        auth.authenticate(environ, info, "PutObject", _object_arn(info), s3=True)
        return Response.error(info, code, message, 400, extra)

    @staticmethod
    def _backend(info):
        return s3_backends[auth.account_for_key(info.access_key)]["aws"]

    @staticmethod
    def _sent(info):
        """[(alg, value)] of the x-amz-checksum-<alg> headers the request carries."""
        return [(alg, info.headers[f"x-amz-checksum-{alg}"]) for alg in ALL_ALGS
                if f"x-amz-checksum-{alg}" in info.headers]

    def _verify_body(self, environ, info):
        """None, or the error Response for a malformed / wrong body checksum."""
        if info.headers.get("x-amz-content-sha256", "").startswith("STREAMING-"):
            return None  # aws-chunked: trailer checksums are not verified by the world
        for alg, value in self._sent(info):
            raw = _decode(alg, value)
            if raw is None:
                return self._error(environ, info, "InvalidRequest", f"Value for x-amz-checksum-{alg} header is invalid.")
            if alg in VERIFIED and raw != raw_digest(alg, info.body):
                return self._error(environ, info, "BadDigest",
                                   f"The {MODEL_NAME[alg]} you specified did not match the calculated checksum.")
        return None

    # -- PutObject / UploadPart ---------------------------------------------------------
    def put_object(self, environ, info):
        bad = self._verify_body(environ, info)
        if bad is not None:
            return bad
        resp = self.world.forward(environ, info)
        sent = [(a, v) for a, v in self._sent(info)]
        if resp.status != 200 or not sent:
            return resp
        alg, value = sent[0]
        try:
            bucket, key = _bucket_key(info)
            obj = self._backend(info).get_object(bucket, key)
        except Exception:
            obj = None
        if obj is not None:
            obj.checksum_algorithm = MODEL_NAME[alg]
            obj.checksum_value = value
            obj.checksum_type = "FULL_OBJECT"
            obj.checksum_parts = None
        resp.set_header(f"x-amz-checksum-{alg}", value)
        resp.set_header("x-amz-checksum-type", "FULL_OBJECT")
        return resp

    def upload_part(self, environ, info):
        bad = self._verify_body(environ, info)
        if bad is not None:
            return bad
        resp = self.world.forward(environ, info)
        if resp.status == 200:
            for alg, value in self._sent(info):
                resp.set_header(f"x-amz-checksum-{alg}", value)
        return resp

    # -- CompleteMultipartUpload ------------------------------------------------------
    @staticmethod
    def _parts(body):
        """[(part number, {alg: value})] from a CompleteMultipartUpload body, or None."""
        try:
            doc = minidom.parseString(body)
        except Exception:
            return None
        out = []
        for p in doc.getElementsByTagName("Part"):
            def text(tag):
                el = p.getElementsByTagName(tag)
                return el[0].firstChild.wholeText.strip() if el and el[0].firstChild else None

            try:
                pn = int(text("PartNumber"))
            except (TypeError, ValueError):
                return None
            sums = {}
            for alg in ALL_ALGS:
                v = text(f"Checksum{MODEL_NAME[alg]}")
                if v is not None:
                    sums[alg] = v
            out.append((pn, sums))
        return out

    def complete(self, environ, info):
        bucket, key = _bucket_key(info)
        upload_id = info.query.get("uploadId")
        parts = self._parts(info.body)
        try:
            mp = self._backend(info).get_bucket(bucket).multiparts.get(upload_id)
        except Exception:
            mp = None
        if mp is None or parts is None:
            return self.world.forward(environ, info)  # moto answers NoSuchUpload / MalformedXML
        upload_alg = (mp.metadata.get("x-amz-checksum-algorithm") or "").lower() or None
        digests = []  # the parts' raw digests, taken now: moto closes the parts' files on completion
        for pn, sums in parts:
            if upload_alg and upload_alg not in sums:
                return self._error(environ, info, "InvalidRequest",
                                   f"The upload was created using a {upload_alg} checksum. The complete request must "
                                   f"include the checksum for each part. It was missing for part {pn} in the request.")
            part = mp.parts.get(pn)
            if part is None:
                continue  # moto answers InvalidPart
            if upload_alg in VERIFIED:
                digests.append(raw_digest(upload_alg, part.value))
            for alg, value in sums.items():
                if alg in VERIFIED and value != b64_digest(alg, part.value):
                    return self._error(environ, info, "InvalidPart", INVALID_PART,
                                       f"<UploadId>{escape(upload_id)}</UploadId><PartNumber>{pn}</PartNumber>")
        resp = self.world.forward(environ, info)
        if resp.status != 200 or upload_alg not in VERIFIED or len(digests) != len(parts):
            return resp
        try:
            obj = self._backend(info).get_object(bucket, key)
        except Exception:
            obj = None
        if obj is None or obj.multipart is None:
            return resp
        # S3's checksum of checksums over the parts named in the request, in order.
        value = b64_digest(upload_alg, b"".join(digests))
        obj.checksum_algorithm = MODEL_NAME[upload_alg]
        obj.checksum_value = value
        obj.checksum_type = "COMPOSITE"
        obj.checksum_parts = len(parts)
        name = f"Checksum{MODEL_NAME[upload_alg]}"
        extra = f"<{name}>{value}-{len(parts)}</{name}><ChecksumType>COMPOSITE</ChecksumType>"
        resp.body = re.sub(rb"(</ETag>)", lambda m: m.group(1) + extra.encode(), resp.body, count=1)
        resp.set_header("Content-Length", str(len(resp.body)))
        return resp

    # -- HeadObject / GetObject ------------------------------------------------------
    def read_object(self, environ, info):
        resp = self.world.forward(environ, info)
        if info.headers.get("x-amz-checksum-mode", "").upper() != "ENABLED" or resp.status not in (200, 206):
            return resp
        if "partNumber" in info.query:
            return resp  # moto's per-part answer
        for alg in ALL_ALGS:
            resp.set_header(f"x-amz-checksum-{alg}", None)
        resp.set_header("x-amz-checksum-type", None)
        if resp.status != 200:
            return resp  # ranges carry no checksum
        try:
            bucket, key = _bucket_key(info)
            obj = self._backend(info).get_object(bucket, key, version_id=info.query.get("versionId"))
        except Exception:
            obj = None
        if obj is None or not obj.checksum_algorithm or not obj.checksum_value:
            return resp
        value = obj.checksum_value
        if obj.checksum_type == "COMPOSITE" and obj.checksum_parts and not value.endswith(f"-{obj.checksum_parts}"):
            value = f"{value}-{obj.checksum_parts}"
        resp.set_header(f"x-amz-checksum-{obj.checksum_algorithm.lower()}", value)
        resp.set_header("x-amz-checksum-type", obj.checksum_type or "FULL_OBJECT")
        return resp
