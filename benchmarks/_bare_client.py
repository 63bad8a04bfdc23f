"""A bare discord.py client for the benchmarks: empty on_message, answers the sentinel ``!ping`` with ``pong``.

Environment: DISCORD_TOKEN, DISCORD_API_BASE (a sandbox REST base). Run as a subprocess by
benchmarks/gateway_throughput.py so it gets its own core.
"""

from __future__ import annotations

import os

import discord

from wolaro.core.discord_endpoint import point_discord_at

SENTINEL = "!ping"


def main() -> None:
    point_discord_at(os.environ["DISCORD_API_BASE"])
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    client = discord.Client(intents=intents)

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.content == SENTINEL:
            await message.channel.send("pong")

    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
