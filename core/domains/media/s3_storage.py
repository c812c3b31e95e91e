"""S3-compatible backend (MinIO, Tencent COS, AWS S3…) through the `minio` SDK.

The SDK is synchronous (urllib3), so every network call runs in a worker thread. Uploads
stream from the temp file in 5 MiB multipart parts, one part at a time: memory stays near
10 MiB whatever the object size. Presigning is local computation (SigV4), and because the
region is always configured the SDK never has to ask the server for the bucket's location.
The bucket is created when missing at start-up; if the store is down then, the server still
starts, `/readyz` reports `storage: false`, and the bucket is created on the first probe
that reaches it.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import structlog
import urllib3
from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.error import S3Error

from community_plus.settings import Settings
from community_plus.domains.media.storage import ObjectInfo, SignedUrl, StorageError

log = structlog.get_logger("community_plus.domains.media.s3")

PART_SIZE = 5 * 1024 * 1024  # S3's minimum multipart part size
DEFAULT_REGION = "us-east-1"
_MISSING = ("NoSuchKey", "NoSuchObject", "NoSuchBucket", "NotFound")


class S3Storage:
    """Objects in one bucket of an S3-compatible store."""

    name = "s3"

    def __init__(self, client: Minio, bucket: str, region: str, http: urllib3.PoolManager | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.region = region
        self._http = http

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """Endpoint `host:port` (TLS per CP_S3_SECURE) or a URL whose scheme decides TLS."""
        endpoint, secure = settings.s3_endpoint or "", settings.s3_secure
        if "://" in endpoint:
            parts = urlsplit(endpoint)
            endpoint, secure = parts.netloc, parts.scheme == "https"
        region = settings.s3_region or DEFAULT_REGION
        http = urllib3.PoolManager(
            num_pools=4, maxsize=16,
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=2, connect=1, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
        )
        client = Minio(endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key,
                       secure=secure, region=region, http_client=http)
        return cls(client, settings.s3_bucket, region, http)

    # -- lifecycle ------------------------------------------------------------------------
    async def open(self) -> None:
        try:
            await self._ensure_bucket()
        except StorageError as exc:
            log.error("object storage unreachable at start-up; /readyz reports it", error=str(exc),
                      bucket=self.bucket)

    async def close(self) -> None:
        if self._http is not None:
            await asyncio.to_thread(self._http.clear)

    async def healthy(self) -> bool:
        try:
            await asyncio.wait_for(self._ensure_bucket(), timeout=5)
            return True
        except (StorageError, TimeoutError):
            return False

    async def _ensure_bucket(self) -> None:
        """Create the bucket when missing (also after someone deleted it)."""

        def ensure() -> None:
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket, location=self.region)
                    log.info("bucket created", bucket=self.bucket)
                except S3Error as exc:  # another worker won the race
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

        await self._call(ensure)

    # -- objects --------------------------------------------------------------------------
    async def put_file(self, key: str, path: Path, size: int, content_type: str) -> None:
        def put() -> None:
            with open(path, "rb") as f:
                self.client.put_object(self.bucket, key, f, size, content_type=content_type,
                                       part_size=PART_SIZE, num_parallel_uploads=1)

        await self._call(put)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await self._call(self.client.put_object, self.bucket, key, io.BytesIO(data), len(data),
                         content_type=content_type)

    async def stat(self, key: str) -> ObjectInfo | None:
        def stat() -> ObjectInfo | None:
            try:
                return ObjectInfo(size=int(self.client.stat_object(self.bucket, key).size or 0))
            except S3Error as exc:
                if exc.code in _MISSING:
                    return None
                raise

        return await self._call(stat)

    async def read_head(self, key: str, length: int) -> bytes:
        def read() -> bytes:
            response = self.client.get_object(self.bucket, key, offset=0, length=length)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await self._call(read)

    async def download(self, key: str, path: Path) -> None:
        await self._call(self.client.fget_object, self.bucket, key, str(path))

    async def copy(self, src: str, dst: str, content_type: str) -> None:
        """Server-side; the client's Content-Type on the presigned PUT is replaced by ours."""
        await self._call(self.client.copy_object, self.bucket, dst, CopySource(self.bucket, src),
                         metadata={"Content-Type": content_type}, metadata_directive=REPLACE)

    async def delete(self, key: str) -> None:
        await self._call(self.client.remove_object, self.bucket, key)  # S3 DELETE is idempotent

    # -- signed URLs ----------------------------------------------------------------------
    def signed_get(self, key: str, ttl: int, content_type: str, base_url: str) -> SignedUrl:
        expires = timedelta(seconds=ttl)
        url = self.client.presigned_get_object(self.bucket, key, expires=expires,
                                               response_headers={"response-content-type": content_type})
        return SignedUrl(url=url, expires_at=datetime.now(UTC) + expires)

    def signed_put(self, key: str, ttl: int, max_bytes: int, base_url: str) -> SignedUrl:
        """S3 cannot cap a presigned PUT's size: `confirmUpload` checks it afterwards."""
        expires = timedelta(seconds=ttl)
        url = self.client.presigned_put_object(self.bucket, key, expires=expires)
        return SignedUrl(url=url, expires_at=datetime.now(UTC) + expires)

    async def _call(self, fn, *args, **kwargs):
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except S3Error as exc:
            raise StorageError(f"S3 {exc.code}: {exc.message}") from exc
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise StorageError(f"S3 endpoint unreachable or failing: {exc.__class__.__name__}: {exc}") from exc
