"""Where transcripts live: an interface with two backends, a local folder (default) and S3-compatible storage.

Keys look like `<guild id>/<ticket number>-<random>/transcript.html`; the random part keeps a transcript's address
unguessable. The S3 backend (`aiobotocore`) is used when `TRANSCRIPTS_S3_BUCKET` is set.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Protocol

from wolaro.settings import Settings

_KEY = re.compile(r"^[0-9]+/[0-9a-z-]+/[A-Za-z0-9._-]{1,120}$")


class StorageError(Exception):
    """A transcript could not be written or read."""


def check_key(key: str) -> str:
    """Keys are built by the module; anything else (a `..`, a leading slash) is refused."""
    if not _KEY.match(key) or ".." in key:
        raise StorageError(f"bad transcript key {key!r}")
    return key


class TranscriptStorage(Protocol):
    """Where transcripts and their attachments are kept."""

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (replacing what was there)."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes under `key` (`StorageError` when missing)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object under `key` (missing is fine)."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove everything under `prefix`; how many objects."""
        ...


class LocalStorage:
    """Transcripts in a folder on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:  # noqa: D102
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)

        await asyncio.to_thread(write)

    async def get(self, key: str) -> bytes:  # noqa: D102
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise StorageError(f"no transcript file {key!r}") from None

    async def delete(self, key: str) -> None:  # noqa: D102
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def delete_prefix(self, prefix: str) -> int:  # noqa: D102
        folder = self.root / prefix.strip("/")
        if ".." in prefix or not folder.is_dir():
            return 0

        def remove() -> int:
            count = 0
            for item in sorted(folder.rglob("*"), reverse=True):
                if item.is_file():
                    item.unlink()
                    count += 1
                else:
                    item.rmdir()
            folder.rmdir()
            return count

        return await asyncio.to_thread(remove)


class S3Storage:
    """Transcripts in an S3-compatible bucket (AWS S3, MinIO, R2...), through aiobotocore."""

    def __init__(
        self, *, bucket: str, endpoint_url: str | None, region: str, access_key: str | None, secret_key: str | None
    ) -> None:
        self.bucket = bucket
        self.options: dict[str, Any] = {"region_name": region}
        if endpoint_url:
            self.options["endpoint_url"] = endpoint_url
        if access_key and secret_key:
            self.options["aws_access_key_id"] = access_key
            self.options["aws_secret_access_key"] = secret_key

    def _client(self) -> Any:
        from aiobotocore.session import get_session

        return get_session().create_client("s3", **self.options)

    async def put(self, key: str, data: bytes, content_type: str) -> None:  # noqa: D102
        async with self._client() as client:
            await client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes:  # noqa: D102
        from botocore.exceptions import ClientError

        async with self._client() as client:
            try:
                answer = await client.get_object(Bucket=self.bucket, Key=check_key(key))
            except ClientError as exc:
                raise StorageError(f"no transcript object {key!r}") from exc
            async with answer["Body"] as body:
                return bytes(await body.read())

    async def delete(self, key: str) -> None:  # noqa: D102
        async with self._client() as client:
            await client.delete_object(Bucket=self.bucket, Key=check_key(key))

    async def delete_prefix(self, prefix: str) -> int:  # noqa: D102
        count = 0
        async with self._client() as client:
            paginator = client.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix.strip("/") + "/"):
                for item in page.get("Contents", []):
                    await client.delete_object(Bucket=self.bucket, Key=item["Key"])
                    count += 1
        return count


def storage_from_settings(settings: Settings) -> TranscriptStorage:
    """S3 when a bucket is configured, else the local folder (`TRANSCRIPTS_DIR`, default `<data_dir>/transcripts`)."""
    if settings.transcripts_s3_bucket:
        access = settings.transcripts_s3_access_key
        secret = settings.transcripts_s3_secret_key
        return S3Storage(
            bucket=settings.transcripts_s3_bucket,
            endpoint_url=settings.transcripts_s3_endpoint,
            region=settings.transcripts_s3_region,
            access_key=access.get_secret_value() if access else None,
            secret_key=secret.get_secret_value() if secret else None,
        )
    return LocalStorage(settings.transcripts_dir or settings.data_dir / "transcripts")
