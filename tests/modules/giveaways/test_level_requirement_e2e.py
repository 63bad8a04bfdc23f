"""A giveaway's level requirement, read through the leveling module's public interface (`member_level`), and only
where the leveling module is on."""

from __future__ import annotations

import pytest

from tests.support.moderation import Place, say
from wolaro.modules.leveling import store as leveling
from wolaro.modules.leveling.public import member_level

pytestmark = pytest.mark.timeout(60)


async def slash_start(sandbox, place: Place, options: dict) -> dict:
    """`/giveaway start` with `options` as the owner; the bot's answer."""
    record = await sandbox.invoke_slash(
        place.guild, place.channel, place.owner, "giveaway", options, subcommand="start"
    )
    return await sandbox.wait_for_interaction_response(record)


async def test_a_level_is_required_only_with_leveling_on_and_checked_on_entry(sandbox, bot):
    place = Place.of(sandbox)
    novice, veteran, _ = place.plain
    await say(sandbox, place.channel, place.owner, "!modules enable giveaways")
    options = {"duration": "1h", "winners": 1, "prize": "Veterans' prize", "level": 3}
    refused = await slash_start(sandbox, place, options)
    assert "only when the leveling module is on" in refused["content"]

    await say(sandbox, place.channel, place.owner, "!modules enable leveling")
    await leveling.add_batch(bot.services.db, [leveling.Award(place.guild, veteran, 5000, "Veteran")])
    assert await member_level(bot.services.db, place.guild, veteran) >= 3
    answer = await slash_start(sandbox, place, options)
    assert answer["content"].startswith("Giveaway #") and answer["content"].endswith("started."), answer
    shown = next(m for m in reversed(sandbox.bot_messages(place.channel)) if m["components"])
    assert "Level 3 or more" in shown["embeds"][0]["description"]
    custom_id = shown["components"][0]["components"][0]["custom_id"]

    async def click(user: int) -> str:
        pressed = await sandbox.invoke_component(place.channel, int(shown["id"]), user, custom_id)
        return (await sandbox.wait_for_interaction_response(pressed))["content"]

    assert await click(novice) == "You need level 3 or more to enter this giveaway."
    assert (await click(veteran)).startswith("You're in! 1 entries")
