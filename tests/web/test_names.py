"""Names instead of ids on module pages: found names and avatars, and readable words for who or what is gone."""

from __future__ import annotations

from typing import Any

from wolaro.core.i18n import Translator
from wolaro.web.discord_api import DiscordError
from wolaro.web.names import channel_names, member_names, page_names

GUILD = 10


class FakeDiscord:
    """The two cached lookups `DiscordAPI` offers, answering from dicts (a user id 666 makes Discord fail)."""

    def __init__(self, members: dict[int, Any], channels: list[dict[str, Any]] | None) -> None:
        self.members, self.channels = members, channels

    async def guild_member(self, guild_id: int, user_id: int) -> dict[str, Any] | None:
        if user_id == 666:
            raise DiscordError(0, "Discord is unreachable")
        return self.members.get(user_id)

    async def guild_channels(self, guild_id: int) -> list[dict[str, Any]]:
        if self.channels is None:
            raise DiscordError(503, "unavailable")
        return self.channels


ANN = {"nick": None, "avatar": None, "user": {"id": "1", "username": "ann", "global_name": "Ann", "avatar": "abc"}}
BOB = {"nick": "Bobby", "avatar": "gld", "user": {"id": "2", "username": "bob", "global_name": None, "avatar": None}}


async def test_members_by_name_with_avatar_and_words_for_the_gone() -> None:
    found = await member_names(FakeDiscord({1: ANN, 2: BOB}, []), GUILD, [1, 2, 3, 666, 1], unknown="gone")
    assert found[1].name == "Ann" and found[1].avatar_url == "https://cdn.discordapp.com/avatars/1/abc.png?size=64"
    assert found[2].name == "Bobby"
    assert found[2].avatar_url == "https://cdn.discordapp.com/guilds/10/users/2/avatars/gld.png?size=64"
    assert (found[3].name, found[3].avatar_url, found[3].found) == ("gone", None, False)  # left the server
    assert found[666].name == "gone"  # Discord could not be asked: still words, never the id
    assert list(found) == [1, 2, 3, 666]


async def test_channels_by_name_and_deleted_ones() -> None:
    discord = FakeDiscord({}, [{"id": "5", "name": "general", "type": 0}])
    assert await channel_names(discord, GUILD, [5, 6], unknown="deleted") == {5: "general", 6: "deleted"}
    assert await channel_names(FakeDiscord({}, None), GUILD, [5], unknown="deleted") == {5: "deleted"}


async def test_the_fallback_words_follow_the_page_language() -> None:
    discord = FakeDiscord({}, [])
    data = {"member_ids": [3], "channel_ids": [6]}
    english = await page_names(discord, Translator(), "en", GUILD, data)
    french = await page_names(discord, Translator(), "fr", GUILD, data)
    assert (english["members"][3].name, english["channels"][6]) == ("a former member", "deleted channel")
    assert (french["members"][3].name, french["channels"][6]) == ("un ancien membre", "salon supprimé")
