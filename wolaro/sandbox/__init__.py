r"""A local Discord emulator: gateway WebSocket + REST + a synthetic world, for tests, demos and benchmarks.

An unmodified discord.py client talks to it once pointed at it::

    async with Sandbox(guilds=2, members_per_guild=5, heartbeat_interval_ms=60_000) as sb:
        point_discord_at(sb.api_base)          # wolaro.core.discord_endpoint: Route.BASE, DEFAULT_GATEWAY
        task = asyncio.create_task(bot.start(sb.token))
        await sb.wait_until_ready()            # every GUILD_CREATE sent
        guild = sb.guild_ids()[0]
        channel = sb.text_channel_ids(guild)[0]
        await sb.send_message(channel, sb.member_ids(guild)[2], "!ping")
        reply = await sb.wait_for_message(channel)
        record = await sb.invoke_slash(guild, channel, sb.owner_id(guild), "rank", {"member": ...})
        answer = await sb.wait_for_interaction_response(record)
        call = await sb.wait_for_request("PUT", r"/guilds/\d+/bans/\d+")   # call.reason, call.json

World (deterministic per ``seed``): roles @everyone < Member < Moderator < Wolaro (the bot's managed
role) < Admin; member 0 of each guild owns it and has Admin, member 1 is a Moderator. The bot may
moderate Members and Moderators but gets 403 (50013) on Admins and the owner, as on Discord.

Out-of-process drivers use the HTTP control API under ``/_sandbox`` (see ``control.py``); ``wolaro
sandbox`` runs it with synthetic users (``traffic.py``) and a live transcript (``transcript.py``).
The emulator imports no product code: pointing discord.py at a Discord-compatible API is the product's
``wolaro.core.discord_endpoint.point_discord_at``, and ``wolaro sandbox`` is composed by ``wolaro.cli_sandbox``.
``Sandbox`` is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wolaro.sandbox.interactions import InteractionRecord
    from wolaro.sandbox.server import RestCall, Sandbox
    from wolaro.sandbox.state import SandboxState

__all__ = ["InteractionRecord", "RestCall", "Sandbox", "SandboxState"]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "RestCall"):
        from wolaro.sandbox import server

        return getattr(server, name)
    if name == "InteractionRecord":
        from wolaro.sandbox.interactions import InteractionRecord

        return InteractionRecord
    if name == "SandboxState":
        from wolaro.sandbox.state import SandboxState

        return SandboxState
    raise AttributeError(name)
