"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Garage...).

Selected by a blob URL ``s3://bucket/prefix``. The endpoint comes from the URL's
``?endpoint=`` query, else ``TESTIGO_S3_ENDPOINT_URL``, else boto3's defaults
(AWS); credentials and region come from the standard AWS environment variables
or files. Keys are ``prefix/ab/cd/<sha256>`` as in the folder store.

Objects are content-addressed, so writes need no locking: an existing key is
never rewritten, and two machines racing to store the same bytes each upload
identical content (S3 PUTs are atomic: a reader sees all of an object or
none). The SHA-256 is sent along (``ChecksumSHA256``) so the server refuses a
body corrupted in transit.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
from botocore.exceptions import ClientError

from testigo.config import Environment, resolve
from testigo.store.blobs import S3_SCHEME, blob_key, sha256_hex


class S3BlobStore:
    """Content-addressed blobs under one bucket prefix; same interface as the folder `BlobStore`."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self._client = boto3.client("s3", endpoint_url=endpoint_url)

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """Parse ``s3://bucket/prefix[?endpoint=URL]``."""
        parts = urlsplit(url)
        if not url.startswith(S3_SCHEME) or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix URL: {url!r}")
        endpoint = parse_qs(parts.query).get("endpoint", [resolve(Environment).s3_endpoint_url or ""])[0]
        return cls(parts.netloc, parts.path, endpoint or None)

    @property
    def url(self) -> str:
        """The URL with the endpoint in it, so a worker on another machine reaches the same store."""
        query = f"?{urlencode({'endpoint': self.endpoint_url})}" if self.endpoint_url else ""
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}{query}"

    def key(self, sha256: str) -> str:
        return f"{self.prefix}/{blob_key(sha256)}" if self.prefix else blob_key(sha256)

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store `data` (if not already there) and return its SHA-256 (`sha256`: the caller's digest of `data`).

        The store checks the bytes against the digest it is sent (ChecksumSHA256), so a wrong one is refused.
        """
        digest = sha256 if sha256 is not None else sha256_hex(data)
        if not self.has(digest):
            checksum = base64.b64encode(bytes.fromhex(digest)).decode("ascii")
            self._client.put_object(Bucket=self.bucket, Key=self.key(digest), Body=data, ChecksumSHA256=checksum)
        return digest

    def get(self, sha256: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(f"no blob {sha256} in {self.url}") from None
            raise
        body: bytes = response["Body"].read()
        return body

    def has(self, sha256: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def verify(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their name."""
        return sha256_hex(self.get(sha256)) == sha256


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")
