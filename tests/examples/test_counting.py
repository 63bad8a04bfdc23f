"""The example third-party module `wolaro-counting`, installed by pip and driven end to end.

- its rules as plain functions;
- the count under many processes: several `Database` pools (one per "process") apply the same channel, each message
  delivered to every one of them, on SQLite and PostgreSQL: every number is counted once, every mistake resets once;
- through the sandbox and the real bot: enabled by chat (off until then), a channel chosen, ✅ on each number, a wrong
  number resets with a ❌ and names who broke it, a member may not count twice, two members racing for the same
  number, `/counting` shows the count, the high score and the member's tally;
- through the dashboard API: its config (GET, PATCH, 422 naming the field), its own router, its panel;
- through the privacy commands: the export holds the counting data, the erasure leaves no counting row about them.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from wolaro.core.registry import discover_specs
from wolaro.data.database import Database
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(120)


# ------------------------------------------------------------------------------------------ the package
def test_it_is_discovered_as_an_installed_module_and_imports_only_the_sdk() -> None:
    import ast
    from pathlib import Path

    import wolaro_counting

    spec = discover_specs()["counting"]
    assert spec.enabled_by_default is False and spec.privacy is not None and spec.api is not None
    assert {model.__tablename__ for model in spec.models} == {"counting_state", "counting_tallies"}
    assert set(spec.not_personal) == {"counting_state.last_message_id"}  # a message's id, declared, with a reason
    assert spec.audit_labels == {"counting.reset": "Count reset"}
    package = Path(wolaro_counting.__file__).parent
    assert "examples/wolaro-counting" in package.as_posix()  # the example's own folder, not wolaro/
    imported = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
    assert {name for name in imported if name.startswith("wolaro.") or name == "wolaro"} == {"wolaro.sdk"}


def test_the_rules() -> None:
    from wolaro_counting.game import Snapshot, Verdict, judge, parse_count, resets

    texts = ("1", " 42 ", "007", "1.5", "one", "12 apples", "", "9" * 10)
    assert [parse_count(t) for t in texts] == [1, 42, 7, None, None, None, None, None]
    then = 1_058_897_343_341_920_256  # a Discord message id: (milliseconds since 2015 << 22) | its place in it
    at_3_by_7 = Snapshot(current=3, high_score=5, last_user_id=7, last_number=3, last_message_id=then + 5)
    now, same_ms_later, same_ms_earlier = then + (1000 << 22), then + 6, then + 4

    def verdict(state: Snapshot, author: int, number: int, message_id: int, twice: bool = False) -> Verdict:
        return judge(state, author, number, message_id, allow_same_member_twice=twice)

    assert verdict(at_3_by_7, 8, 4, now) is Verdict.COUNTS
    assert verdict(at_3_by_7, 8, 4, same_ms_later) is Verdict.COUNTS
    assert verdict(at_3_by_7, 7, 4, now) is Verdict.TWICE_IN_A_ROW
    assert verdict(at_3_by_7, 7, 4, now, twice=True) is Verdict.COUNTS
    assert verdict(at_3_by_7, 8, 5, now) is Verdict.WRONG_NUMBER
    assert verdict(at_3_by_7, 7, 3, now) is Verdict.WRONG_NUMBER  # said again, in a later message
    assert verdict(at_3_by_7, 7, 3, then + 5) is Verdict.HANDLED  # the very message that counted 3
    assert verdict(at_3_by_7, 8, 4, same_ms_earlier) is Verdict.HANDLED  # a message before it
    broken_by_9 = Snapshot(current=0, high_score=5, last_user_id=9, last_number=8, last_message_id=then)
    assert verdict(broken_by_9, 9, 1, now) is Verdict.COUNTS  # the breaker may start again
    assert verdict(Snapshot(), 9, 1, then) is Verdict.COUNTS
    assert resets(Verdict.WRONG_NUMBER, at_3_by_7, reset_on_mistake=True)
    assert not resets(Verdict.WRONG_NUMBER, at_3_by_7, reset_on_mistake=False)
    assert not resets(Verdict.WRONG_NUMBER, Snapshot(), reset_on_mistake=True)  # nothing to lose at 0
    assert not resets(Verdict.COUNTS, at_3_by_7, reset_on_mistake=True)


async def audit_rows(db: Database, guild: int) -> list[tuple[int | None, Any, Any]]:
    """The `counting.reset` rows of a server's audit log: who, before, after."""
    from wolaro.data.models import AuditLog

    async with db.session() as session:
        rows = await session.execute(
            select(AuditLog.actor_id, AuditLog.before, AuditLog.after)
            .where(AuditLog.guild_id == guild, AuditLog.action == "counting.reset")
            .order_by(AuditLog.id)
        )
        return [tuple(row) for row in rows]


async def test_the_sdk_records_a_module_audit_row_only_under_its_own_name(migrated_db: Database) -> None:
    """`wolaro.sdk.record_audit`: a module writes `<its name>.<what>` rows, JSON-ready, in the caller's transaction."""
    from wolaro.data.models import AuditLog
    from wolaro.sdk import jsonable, record_audit

    when = datetime(2026, 5, 1, 12, tzinfo=UTC)
    wrong = ("moderation.ban", "counting", "counting.", "Counting.reset", "countingx.reset", "counting." + "x" * 60)
    for action in wrong:
        with pytest.raises(ValueError, match="counting"):
            async with migrated_db.transaction() as session:
                record_audit(session, module="counting", guild_id=GUILD, actor_id=1, action=action)
    async with migrated_db.transaction() as session:
        record_audit(
            session,
            module="counting",
            guild_id=GUILD,
            actor_id=MEMBERS[0],
            action="counting.reset",
            target="channel:5",
            before={"current": 7, "at": when, "message": FIRST_MESSAGE},
            after={"current": 0},
        )
    async with migrated_db.session() as session:
        (row,) = (await session.execute(select(AuditLog))).scalars().all()
    assert (row.guild_id, row.actor_id, row.action, row.target) == (GUILD, MEMBERS[0], "counting.reset", "channel:5")
    assert row.before == {"current": 7, "at": when.isoformat(), "message": str(FIRST_MESSAGE)} == jsonable(row.before)
    assert row.after == {"current": 0}


# ------------------------------------------------------------------------------------------ many processes
GUILD = 500_000_000_000_000_001
MEMBERS = [600_000_000_000_000_000 + n for n in range(4)]
FIRST_MESSAGE = 1_058_897_343_341_920_256


async def test_every_process_sees_every_message_and_each_counts_once(database_url: str) -> None:
    """Four processes each handle the whole channel, in order, each at its own pace (one may lag several messages
    behind): the count is the one of a single process (numbers counted once, one reset per mistake, tallies exact)."""
    from wolaro_counting import store

    from wolaro.core.services import upgrade_schema_async

    channel: list[tuple[int, int]] = [(MEMBERS[n % 3], n + 1) for n in range(30)]  # 1..30 by three members in turn
    channel += [(MEMBERS[3], 99)]  # a mistake at 30
    channel += [(MEMBERS[n % 2], n + 1) for n in range(5)]  # 1..5 again
    channel += [(MEMBERS[1], 6), (MEMBERS[1], 7)]  # 6, then the same member again: broken at 6

    await upgrade_schema_async(database_url)
    processes = [Database(database_url, pool_size=2, max_overflow=0) for _ in range(4)]

    # three messages in each millisecond (the low 22 bits of their ids tell them apart)
    sent = [FIRST_MESSAGE + ((position // 3) << 22) + position % 3 for position in range(len(channel))]
    pace = random.Random(7)

    async def run(db: Database) -> list[Any]:
        outcomes = []
        for (user, number), at in zip(channel, sent, strict=True):
            await asyncio.sleep(pace.random() * 0.004)
            outcomes.append(await store.record(db, GUILD, user, number, at, allow_twice=False, reset_on_mistake=True))
        return outcomes

    try:
        outcomes = await asyncio.gather(*(run(db) for db in processes))
        handled_by = [sum(o.applied for o in column) for column in zip(*outcomes, strict=True)]
        assert handled_by == [1] * len(channel), "each message changes the count in exactly one process"
        resets = sum(o.reset for process in outcomes for o in process)
        assert resets == 2
        state = await store.snapshot(processes[0], GUILD)
        assert (state.current, state.high_score) == (0, 30)
        tallies = {user: await store.tally(processes[0], GUILD, user) for user in MEMBERS}
        assert tallies == {MEMBERS[0]: 10 + 3, MEMBERS[1]: 10 + 2 + 1, MEMBERS[2]: 10, MEMBERS[3]: 0}
    finally:
        for db in processes:
            await db.dispose()


# ------------------------------------------------------------------------------------------ sandbox + bot
async def say(sandbox: Sandbox, channel: int, author: int, content: str) -> dict[str, Any]:
    await sandbox.send_message(channel, author, content)
    return await sandbox.wait_for_message(channel, timeout=5)


def reactions(sandbox: Sandbox, channel: int, message: dict[str, Any]) -> set[str]:
    stored = sandbox.find_message(channel, int(message["id"]))
    return {r["emoji"]["name"] for r in stored.get("reactions", []) if r["me"]}


async def count(sandbox: Sandbox, eventually: Any, channel: int, author: int, content: str, emoji: str) -> None:
    message = await sandbox.send_message(channel, author, content)
    await eventually(lambda: emoji in reactions(sandbox, channel, message), message=f"{content!r}: no {emoji}")


async def test_a_counting_channel_through_the_sandbox_and_the_bot(sandbox: Sandbox, bot: Any, eventually) -> None:
    from wolaro_counting.models import CountingTally

    guild = sandbox.guild_ids()[0]
    general, counting = sandbox.text_channel_ids(guild)[:2]
    owner, mod, ada, bob = sandbox.member_ids(guild)[:4]

    await sandbox.send_message(general, ada, "!counting")  # off until an admin enables it: chat commands are silent
    with pytest.raises(TimeoutError):
        await sandbox.wait_for_message(general, timeout=0.5)
    record = await sandbox.invoke_slash(guild, general, ada, "counting", None, subcommand="show")
    refused = await sandbox.wait_for_interaction_response(record, timeout=5)
    assert refused["content"] == "The counting module is disabled in this server."
    reply = await say(sandbox, general, ada, "!modules enable counting")
    assert "Manage Server" in reply["content"]
    assert "enabled" in (await say(sandbox, general, owner, "!modules enable counting"))["content"]
    reply = await say(sandbox, general, ada, "!counting")
    assert "no counting channel yet" in reply["content"]
    reply = await say(sandbox, general, ada, f"!counting channel <#{counting}>")
    assert reply["content"] == "You need the Manage Server permission to do this."
    reply = await say(sandbox, general, owner, f"!counting channel <#{counting}>")
    assert reply["content"] == f"Members now count in <#{counting}>, starting from 1."

    for author, number in [(ada, 1), (bob, 2), (ada, 3), (mod, 4)]:
        await count(sandbox, eventually, counting, author, str(number), "✅")
    await sandbox.send_message(counting, bob, "nice, keep going")  # chatter is left alone

    # the same member twice in a row breaks it
    await count(sandbox, eventually, counting, mod, "5", "❌")
    broken = await sandbox.wait_for_message(counting, timeout=5)
    assert broken["content"] == (f"<@{mod}> broke the count at 4: nobody may count twice in a row. Start again from 1.")
    # a wrong number breaks it
    await count(sandbox, eventually, counting, ada, "1", "✅")
    await count(sandbox, eventually, counting, bob, "3", "❌")
    broken = await sandbox.wait_for_message(counting, timeout=5)
    assert broken["content"] == f"<@{bob}> broke the count at 1: the next number was 2. Start again from 1."

    # two members race for the same number: one counts it, the other breaks the count, never both counted
    await count(sandbox, eventually, counting, ada, "1", "✅")
    first, second = await asyncio.gather(
        sandbox.send_message(counting, bob, "2"), sandbox.send_message(counting, mod, "2")
    )
    await eventually(lambda: reactions(sandbox, counting, first) and reactions(sandbox, counting, second))
    marks = sorted([reactions(sandbox, counting, first), reactions(sandbox, counting, second)], key=str)
    assert marks == [{"✅"}, {"❌"}]
    broken = await sandbox.wait_for_message(counting, timeout=5)
    assert "broke the count at 2: the next number was 3" in broken["content"]

    async with bot.services.db.session() as session:
        tallies = dict((await session.execute(select(CountingTally.user_id, CountingTally.correct))).all())
    assert tallies[ada] == 4 and tallies[bob] + tallies[mod] == 1 + 1 + 1  # bob 2; mod 4; one of them the race's 2
    reply = await say(sandbox, general, ada, "!counting")
    assert reply["content"] == (
        f"The count is at 0 in <#{counting}> (next: 1). High score: 4. You counted 4 numbers correctly here."
    )
    assert "starts again from 1" in (await say(sandbox, general, owner, "!counting reset"))["content"]
    assert await audit_rows(bot.services.db, guild) == [
        (owner, {"current": 0, "high_score": 4}, {"current": 0, "high_score": 4})
    ]
    assert bot.translator.translate("fr", "Count reset") == "Compte remis à zéro"  # its audit label, in French

    # in French
    await say(sandbox, general, owner, "!language fr")
    await count(sandbox, eventually, counting, ada, "1", "✅")
    await count(sandbox, eventually, counting, bob, "7", "❌")
    broken = await sandbox.wait_for_message(counting, timeout=5)
    assert broken["content"] == f"<@{bob}> a cassé le compte à 1 : le nombre suivant était 2. On repart de 1."


async def test_privacy_export_and_delete_cover_the_counting_data(sandbox: Sandbox, bot: Any, eventually) -> None:
    from wolaro_counting.models import CountingState, CountingTally

    guild = sandbox.guild_ids()[0]
    general, counting = sandbox.text_channel_ids(guild)[:2]
    owner, _, ada, bob = sandbox.member_ids(guild)[:4]
    await say(sandbox, general, owner, "!modules enable counting")
    await say(sandbox, general, owner, f"!counting channel <#{counting}>")
    for author, number in [(ada, 1), (bob, 2), (ada, 3)]:
        await count(sandbox, eventually, counting, author, str(number), "✅")

    record = await sandbox.invoke_slash(guild, general, ada, "privacy", None, subcommand="export")
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    (attachment,) = answer["message"]["attachments"]
    export = json.loads(sandbox.state.attachments[int(attachment["id"])])
    assert export["data"]["counting"] == {
        "correct_counts": [{"guild_id": str(guild), "correct": 2}],
        "last_to_count_in": [str(guild)],
    }
    assert "counting_tallies.user_id" in export["stores"]["counting"]

    dm = await sandbox.open_dm(ada)
    record = await sandbox.invoke_slash(None, dm, ada, "privacy", None, subcommand="delete")
    question = await sandbox.wait_for_interaction_response(record, timeout=5)
    buttons = [c for row in question["message"]["components"] for c in row["components"]]
    erase = next(b["custom_id"] for b in buttons if b.get("label") == "Erase")
    await sandbox.invoke_component(dm, int(question["message"]["id"]), ada, erase)

    async def nothing_left() -> bool:
        async with bot.services.db.session() as session:
            tallies = (await session.execute(select(CountingTally).where(CountingTally.user_id == ada))).all()
            last = (await session.execute(select(CountingState).where(CountingState.last_user_id == ada))).all()
        return not tallies and not last

    await eventually(nothing_left, timeout=10)
    async with bot.services.db.session() as session:
        state = (await session.execute(select(CountingState))).scalar_one()
        kept = (await session.execute(select(CountingTally.user_id, CountingTally.correct))).all()
    assert (state.current, state.high_score, state.last_user_id) == (3, 3, None)  # the server keeps its count
    assert [tuple(row) for row in kept] == [(bob, 1)]  # and the others their tallies


# ------------------------------------------------------------------------------------------ dashboard API
async def test_its_config_router_and_panel_on_the_dashboard(env: Any) -> None:
    from wolaro_counting import store

    guild = env.world.guild_a
    channel = env.world.sandbox.text_channel_ids(guild)[1]
    owner = await env.as_user(env.world.owner_a)
    base = f"/api/guilds/{guild}/modules/counting"

    got = (await owner.get(base)).json()
    assert got["enabled"] is False  # off until an admin enables it
    assert got["config"] == {"channel_id": None, "reset_on_mistake": True, "allow_same_member_twice": False}
    for changes, field in [
        ({"channel_id": 0}, "channel_id"),
        ({"channel_id": "general"}, "channel_id"),
        ({"channel_id": 2**63}, "channel_id"),
        ({"reset_on_mistake": "sometimes"}, "reset_on_mistake"),
        ({"prefix": "?"}, "prefix"),
    ]:
        resp = await owner.patch(base, json=changes)
        assert resp.status_code == 422 and resp.json()["field"] == field, (changes, resp.text)
    resp = await owner.patch(base, json={"channel_id": str(channel), "reset_on_mistake": False})
    assert resp.status_code == 200 and resp.json()["config"]["channel_id"] == str(channel)  # ids as text
    assert (await owner.put(f"{base}/enabled", json={"enabled": True})).json()["enabled"] is True

    db = env.services.db
    for position, (user, number) in enumerate([(1001, 1), (1002, 2), (1001, 3), (1003, 3)]):
        message_id = FIRST_MESSAGE + (position << 22)
        await store.record(db, guild, user, number, message_id, allow_twice=False, reset_on_mistake=False)
    board = (await owner.get(f"{base}/scoreboard")).json()
    assert board == {
        "current": 3,
        "high_score": 3,
        "top": [{"user_id": "1001", "correct": 2}, {"user_id": "1002", "correct": 1}],
    }
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"{base}/scoreboard")).status_code == 403
    assert (await env.client().get(f"{base}/scoreboard")).status_code == 401
    no_csrf = await env.as_user(env.world.owner_a, csrf=False)
    assert (await no_csrf.post(f"{base}/reset")).status_code == 403
    other = await env.as_user(env.world.owner_b)
    assert (await other.post(f"{base}/reset")).status_code == 403  # another server's owner
    reset = await owner.post(f"{base}/reset")
    assert reset.status_code == 200 and (reset.json()["current"], reset.json()["high_score"]) == (0, 3)
    assert await audit_rows(db, guild) == [
        (env.world.owner_a, {"current": 3, "high_score": 3}, {"current": 0, "high_score": 3})
    ]  # the dashboard's reset is in the audit log, by who clicked it

    page = await owner.get(f"/guilds/{guild}/modules/counting", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "How counting works here" in page.text and f"<code>{channel}</code>" in page.text
    assert "a ❌ and the count stays" in page.text


# ------------------------------------------------------------------------------------------ two bot processes
@pytest.mark.postgres
@pytest.mark.redis
async def test_two_bots_see_every_message_and_count_it_once(
    sandbox: Sandbox, tmp_path: Any, postgres_url: str, redis_url: str, redis_prefix: str, eventually
) -> None:
    """Two bots on one PostgreSQL and Redis, both connected: each message reaches both, the count moves once."""
    import contextlib

    from wolaro_counting import store

    from tests.support.harness import bot_settings, running_bot

    guild = sandbox.guild_ids()[0]
    counting = sandbox.text_channel_ids(guild)[1]
    ada, bob, cy = sandbox.member_ids(guild)[2:5]
    shared = {"database_url": postgres_url, "redis_url": redis_url, "redis_prefix": redis_prefix}
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(running_bot(sandbox, bot_settings(sandbox, tmp_path / "a", **shared)))
        second = await stack.enter_async_context(running_bot(sandbox, bot_settings(sandbox, tmp_path / "b", **shared)))
        config = first.services.config
        await config.set_module_enabled(guild, "counting", True, actor_id=None)
        await config.update_module_config(guild, "counting", {"channel_id": counting}, actor_id=None)

        async def both_configured() -> bool:  # the other bot dropped its cached config (pub/sub)
            for bot in (first, second):
                seen = await bot.services.config.get(guild)
                if not seen.is_enabled("counting") or seen.module_configs["counting"]["channel_id"] != counting:
                    return False
            return True

        await eventually(both_configured, timeout=10)

        plays = [(ada, "1"), (bob, "2"), (cy, "3"), (ada, "4"), (bob, "5"), (bob, "6"), (cy, "1"), (ada, "2")]
        sent = [await sandbox.send_message(counting, author, text) for author, text in plays]

        def judged() -> bool:
            return all(reactions(sandbox, counting, message) for message in sent)

        await eventually(judged, timeout=15)
        marks = [reactions(sandbox, counting, message) for message in sent]
        assert marks == [{"✅"}] * 5 + [{"❌"}] + [{"✅"}] * 2
        await asyncio.sleep(0.5)  # a second announcement would have arrived by now
        said = [m for m in sandbox.state.messages[counting].values() if int(m["author"]["id"]) != ada]
        announcements = [m["content"] for m in said if "broke the count" in m["content"]]
        assert announcements == [f"<@{bob}> broke the count at 5: nobody may count twice in a row. Start again from 1."]
        state = await store.snapshot(first.services.db, guild)
        assert (state.current, state.high_score) == (2, 5)
        tallies = [await store.tally(first.services.db, guild, user) for user in (ada, bob, cy)]
        assert tallies == [3, 2, 2]
