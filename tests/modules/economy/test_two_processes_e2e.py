"""Two `wolaro bot` processes on one PostgreSQL move one guild's money at the same time.

20 members of one guild make 200 random payments as slash commands, half handed to each process, 16 in flight at any
moment (a burst of 200 at once would overrun Discord's 3-second window to answer an interaction on this shared
2-core machine, not the economy), while one member claims their daily reward twice from each process at the same
moment. Whatever the interleaving: no coin is created or lost (the sum of balances is what it was plus the one
daily reward, and equals the ledger), no balance is negative, and the daily reward is paid exactly once. The
payments each process applied are counted from its own log (an answer the loaded machine sent too late for
Discord's window is lost, the payment is not).
"""

from __future__ import annotations

import asyncio
import json
import random
import re

import pytest
from sqlalchemy import func, select

from tests.support.harness import BotProcess, process_env
from wolaro.core.services import upgrade_schema_async
from wolaro.data.database import Database
from wolaro.data.models import Guild, GuildModule
from wolaro.modules.economy import bank, ledger
from wolaro.modules.economy.models import EconomyLedger
from wolaro.sandbox import Sandbox
from wolaro.sandbox.errors import SandboxError

pytestmark = pytest.mark.timeout(180)

MEMBERS = 20
START = 1_000
TRANSFERS = 200
DAILY = 100
IN_FLIGHT = 16
"""Payments in flight at once (8 per process): a busy guild, well past what 20 people click by hand."""


async def _prepare(url: str, guild: int, members: list[int]) -> None:
    """Migrate, switch economy on in the guild and give each member START coins (before any bot starts)."""
    await upgrade_schema_async(url)
    db = Database(url)
    try:
        async with db.transaction() as session:
            session.add(Guild(id=guild, prefix="!", language="en", settings={}, blacklisted=False))
            session.add(GuildModule(guild_id=guild, module="economy", enabled=True, config={"daily_amount": DAILY}))
        for user in members:
            await bank.give(db, guild, members[0], user, START, max_total=10**12)
    finally:
        await db.dispose()


def _successes(log: str, command: str) -> int:
    """How many `command` runs a bot process's JSON log records as successful (applied)."""
    count = 0
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        count += (
            entry.get("event") == "command" and entry.get("command") == command and entry.get("status") == "success"
        )
    return count


async def _both_serve(sandbox: Sandbox, guild: int, channel: int, user: int) -> None:
    """Wait until two bot sessions serve the guild and each answers a slash command handed to it."""
    for _ in range(120):
        if len([s for s in sandbox.gateway.sessions_for_guild(guild) if s.ready]) == 2:
            break
        await asyncio.sleep(0.25)
    else:
        raise AssertionError("the two bot processes never both connected")
    for via in (0, 1):
        for _ in range(60):
            try:
                record = await sandbox.invoke_slash(guild, channel, user, "balance", via=via)
                await sandbox.wait_for_interaction_response(record, timeout=2)
                break
            except (SandboxError, TimeoutError):
                await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"bot session {via} never answered")


@pytest.mark.postgres
async def test_two_processes_never_create_or_lose_a_coin(postgres_url, tmp_path):
    async with Sandbox(guilds=1, members_per_guild=MEMBERS + 2) as sandbox:
        guild = sandbox.guild_ids()[0]
        channel = sandbox.text_channel_ids(guild)[0]
        members = sandbox.member_ids(guild)[2 : 2 + MEMBERS]
        await _prepare(postgres_url, guild, members)
        shared = {
            "DATABASE_URL": postgres_url,
            "COMMAND_COOLDOWN_RATE": "10000/second",
            "USER_GLOBAL_RATE": "10000/second",
        }
        processes = [BotProcess(process_env(sandbox, **shared), tmp_path / f"bot{n}.log").start() for n in range(2)]
        try:
            await _both_serve(sandbox, guild, channel, members[0])
            rng = random.Random(2026)
            commands = []
            for n in range(TRANSFERS):
                sender, receiver = rng.sample(members, 2)
                amount = rng.choice([str(rng.randint(1, 400)), "half", "all", "250"])
                commands.append((n % 2, sender, "pay", {"member": receiver, "amount": amount}))
            claimer = members[7]
            claims = [(via, claimer, "daily", None) for via in (0, 1, 0, 1)]
            window = asyncio.Semaphore(IN_FLIGHT)

            async def run(via, user, name, options, gate=window):
                async with gate:
                    record = await sandbox.invoke_slash(guild, channel, user, name, options, via=via)
                    try:
                        return (await sandbox.wait_for_interaction_response(record, timeout=15))["content"]
                    except TimeoutError:  # answered too late for Discord's 3 s window (a loaded machine)
                        return None

            async def claim_together():
                await asyncio.sleep(0.5)  # while the payments are flowing
                return await asyncio.gather(*(run(*c, gate=asyncio.Semaphore(4)) for c in claims))

            answers, dailies = await asyncio.gather(
                asyncio.gather(*(run(*command) for command in commands)), claim_together()
            )
        finally:
            for process in processes:
                process.stop()

        for text in answers:  # what members were told (an answer lost to a late reply says nothing)
            assert text is None or re.match(r"You paid|You only have|You have nothing to use", text), text
        assert sum(bool(d and d.startswith("You got your daily")) for d in dailies) <= 1, dailies
        assert all(d is None or re.match(r"You got your daily|Come back in", d) for d in dailies), dailies
        paid_by = [_successes(process.log(), "pay") for process in processes]
        assert paid_by[0] > 10 and paid_by[1] > 10, paid_by

        db = Database(postgres_url)
        try:
            async with db.session() as session:
                sums = await ledger.sums(session, guild)
                kinds = dict(
                    (
                        await session.execute(
                            select(EconomyLedger.kind, func.count())
                            .where(EconomyLedger.guild_id == guild)
                            .group_by(EconomyLedger.kind)
                        )
                    ).all()
                )
        finally:
            await db.dispose()
        assert sums.consistent, sums
        assert sums.negative_accounts == 0
        assert sums.wallets + sums.banks == MEMBERS * START + DAILY
        late = sum(text is None for text in answers) + sum(d is None for d in dailies)
        assert (kinds["give"], kinds["daily"], kinds["pay"] % 2) == (MEMBERS, 1, 0), kinds
        assert sum(paid_by) <= kinds["pay"] // 2 <= sum(paid_by) + late  # a late answer may hide an applied payment
        print(
            f"two processes: {paid_by[0]} + {paid_by[1]} payments applied of {TRANSFERS}, daily paid once of 4 claims,"
            f" {late} answers too late for Discord"
        )
        for process in processes:
            for problem in ("deadlock", "IntegrityError", "CheckViolation", "UniqueViolation"):
                assert problem not in process.log(), process.log()[-3000:]
