"""Transcript storage: S3-compatible storage against a real S3 server the test starts (moto's standalone
server), and a storage that fails its first tries: the transcript arrives after retries, the ticket closed at once."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from tests.support.harness import bot_settings, running_bot
from tests.support.tickets import click, open_ticket, say, set_up, text_of, ticket_in
from wolaro.modules.tickets import jobs as ticket_jobs
from wolaro.modules.tickets.storage import LocalStorage, S3Storage, StorageError, storage_from_settings
from wolaro.settings import Settings

pytestmark = pytest.mark.timeout(120)
BUCKET = "wolaro-transcripts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3-compatible server on a free local port, for this test only."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_options(endpoint: str) -> dict[str, object]:
    return {
        "transcripts_s3_bucket": BUCKET,
        "transcripts_s3_endpoint": endpoint,
        "transcripts_s3_access_key": SecretStr("test-key"),
        "transcripts_s3_secret_key": SecretStr("test-secret"),
    }


async def make_bucket(storage: S3Storage) -> None:
    async with storage._client() as client:
        await client.create_bucket(Bucket=BUCKET)


async def test_s3_storage_round_trip_against_a_real_s3_server(s3_endpoint, tmp_path):
    storage = storage_from_settings(Settings(_env_file=None, data_dir=tmp_path, **s3_options(s3_endpoint)))
    assert isinstance(storage, S3Storage)
    await make_bucket(storage)
    await storage.put("1/2-ab/transcript.html", b"<p>hi</p>", "text/html")
    await storage.put("1/2-ab/9-a.png", b"png", "image/png")
    assert await storage.get("1/2-ab/transcript.html") == b"<p>hi</p>"
    await storage.delete("1/2-ab/9-a.png")
    with pytest.raises(StorageError):
        await storage.get("1/2-ab/9-a.png")
    assert await storage.delete_prefix("1/2-ab") == 1
    with pytest.raises(StorageError):
        await storage.get("1/2-ab/transcript.html")
    with pytest.raises(StorageError):
        await storage.put("../escape/x", b"", "text/plain")


async def test_a_closed_ticket_goes_to_s3_when_configured(sandbox, tmp_path, master_admin, s3_endpoint, eventually):
    settings = bot_settings(sandbox, tmp_path, master_admin_ids=[master_admin], **s3_options(s3_endpoint))
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage)
    await make_bucket(storage)
    async with running_bot(sandbox, settings) as bot:
        jobs = bot.services.jobs
        jobs.bot, jobs.poll_interval = bot, 0.1
        await jobs.start()
        desk = await set_up(sandbox, bot, delete_after_close=None)
        channel = await open_ticket(sandbox, desk, desk.member)
        await sandbox.send_message(channel, desk.member, "a file", files=[("note.txt", b"hello")])
        asked = await say(sandbox, channel, desk.staff, "!ticket close done")
        await click(sandbox, channel, int(asked["id"]), desk.staff, "tickets:close-confirm")

        async def ready() -> bool:
            return (await ticket_in(bot, desk, channel)).transcript_status == "ready"

        await eventually(ready, timeout=20)
        await jobs.stop()
        ticket = await ticket_in(bot, desk, channel)
    html = (await storage.get(f"{ticket.transcript_key}/transcript.html")).decode()
    assert "a file" in html and "note.txt" in html
    async with storage._client() as client:
        listed = await client.list_objects_v2(Bucket=BUCKET, Prefix=f"{ticket.transcript_key}/")
    names = sorted(item["Key"].rsplit("/", 1)[1] for item in listed["Contents"])
    assert names[-3:] == ["transcript.html", "transcript.json", "transcript.txt"]
    assert any(name.endswith("-note.txt") for name in names)
    assert not (tmp_path / "transcripts").exists()


class FlakyStorage(LocalStorage):
    """A local folder that refuses its first `failures` writes (an object store that is down for a while)."""

    def __init__(self, root, failures: int) -> None:
        super().__init__(root)
        self.failures = failures
        self.refused = 0

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.refused < self.failures:
            self.refused += 1
            raise StorageError("object storage unavailable")
        await super().put(key, data, content_type)


async def test_a_failing_storage_retries_and_never_blocks_the_close(sandbox, bot, eventually, monkeypatch, tmp_path):
    flaky = FlakyStorage(tmp_path / "flaky", failures=2)
    monkeypatch.setattr(ticket_jobs, "storage_for", lambda services: flaky)
    jobs = bot.services.jobs
    jobs.bot, jobs.poll_interval, jobs.retry_base = bot, 0.1, 0.2
    await jobs.start()
    desk = await set_up(sandbox, bot, delete_after_close=None)
    channel = await open_ticket(sandbox, desk, desk.member)
    await sandbox.send_message(channel, desk.member, "thanks")
    asked = await say(sandbox, channel, desk.staff, "!ticket close answered")
    confirm = await click(sandbox, channel, int(asked["id"]), desk.staff, "tickets:close-confirm")
    assert text_of(confirm) == "Ticket closed."
    ticket = await ticket_in(bot, desk, channel)
    assert ticket.status == "closed" and ticket.transcript_status in ("pending", "ready")
    assert any(m["embeds"] and m["embeds"][0]["title"] == "Ticket closed" for m in sandbox.bot_messages(channel))

    async def ready() -> bool:
        return (await ticket_in(bot, desk, channel)).transcript_status == "ready"

    await eventually(ready, timeout=20)
    assert flaky.refused == 2
    await eventually(lambda: any(m["attachments"] for m in sandbox.bot_messages(desk.transcripts)), timeout=5)
    await jobs.stop()
    assert (await ticket_in(bot, desk, channel)).status == "closed"
    html = await flaky.get(f"{(await ticket_in(bot, desk, channel)).transcript_key}/transcript.html")
    assert b"thanks" in html
    done = [j for j in await _jobs(bot, desk.guild) if j.kind == "tickets.transcript"]
    assert [(j.status, j.attempts) for j in done] == [("done", 3)]


async def _jobs(bot, guild):
    from sqlalchemy import select

    from wolaro.jobs.models import ScheduledJob

    async with bot.services.db.session() as session:
        return list((await session.scalars(select(ScheduledJob).where(ScheduledJob.guild_id == guild))).all())
