"""The server log's entries and batching as plain values: what is logged, what is ignored, how posts group."""

from __future__ import annotations

import asyncio

import discord

from wolaro.modules.serverlog import entries
from wolaro.modules.serverlog.batcher import Batcher
from wolaro.modules.serverlog.config import Category, Config
from wolaro.modules.serverlog.posting import post_arguments, render

GENERAL, STAFF, CATEGORY, ALICE = 11, 12, 10, 21


def plain(message: str, **values: object) -> str:
    return message.format(**values) if values else message


def test_an_edit_shows_before_and_after_and_skips_unchanged_text():
    entry = entries.message_edited((GENERAL, CATEGORY), ALICE, "helo", "hello", "https://discord.com/x")
    assert entry is not None and entry.category is Category.MESSAGES
    shown = render(entry, plain, "now")
    assert shown.embed.description == f"<@{ALICE}> edited a message in <#{GENERAL}>"
    assert [(f.name, f.value) for f in shown.embed.fields][:2] == [("Before", "helo"), ("After", "hello")]
    assert entries.message_edited((GENERAL,), ALICE, "same", "same", "x") is None  # a link preview appeared
    unseen = render(entries.message_edited((GENERAL,), ALICE, None, "new", "x"), plain, "now")
    assert unseen.embed.fields[0].value == "Not seen by the bot"


def test_a_deletion_keeps_the_text_the_bot_saw_and_long_texts_are_cut():
    entry = entries.message_deleted((GENERAL,), ALICE, "x" * 3000, files=2)
    fields = render(entry, plain, "now").embed.fields
    assert len(fields[0].value) == entries.TEXT_LIMIT and fields[0].value.endswith("…")
    assert fields[1].value == "2 file(s)"
    assert render(entries.message_deleted((GENERAL,), None, None, 0), plain, "now").embed.fields[0].value == (
        "Not seen by the bot"
    )


def test_a_bulk_deletion_is_one_entry_counting_what_it_does_not_show():
    seen = [(ALICE, f"message {n}") for n in range(40)]
    entry = entries.bulk_deleted((GENERAL,), 100, seen)
    shown = render(entry, plain, "now")
    assert shown.embed.description == f"100 messages were deleted in <#{GENERAL}>"
    assert shown.embed.fields[0].value.count("\n") == entries.BULK_SHOWN - 1
    assert shown.embed.fields[1].value == "75 more"


def test_ignored_channels_categories_and_members_are_never_logged():
    config = Config(ignored_channel_ids=[CATEGORY], ignored_user_ids=[99])
    assert entries.ignored(config, entries.message_deleted((GENERAL, CATEGORY), ALICE, "hi", 0))
    assert entries.ignored(config, entries.member_left(99, "someone"))
    assert not entries.ignored(config, entries.message_deleted((STAFF,), ALICE, "hi", 0))


def test_member_changes_voice_and_server_changes():
    roles = entries.roles_changed(ALICE, [5], [6], actor=7)
    assert [(line.label, line.text) for line in roles.lines] == [
        ("Roles given", "<@&5>"),
        ("Roles taken", "<@&6>"),
        ("By", "<@7>"),
    ]
    assert entries.roles_changed(ALICE, [], [], None) is None
    nick = entries.nickname_changed(ALICE, None, "Ally", None)
    assert [line.text for line in nick.lines] == ["No nickname", "Ally"]
    assert entries.voice_moved(ALICE, 1, 1) is None  # muted or deafened: not a move
    assert entries.voice_moved(ALICE, 1, 2).title == "{user} moved from {before} to {after}"
    lines = entries.changed_lines(
        {"name": "a", "topic": None}, {"name": "b", "topic": None}, {"name": "Name", "topic": "Topic"}
    )
    assert [(line.label, line.text) for line in lines] == [("Name", "a → b")]
    assert entries.server_item("channel", "changed", "<#1>", "a", []) is None


def test_a_large_batch_is_one_post_with_a_summary_and_a_file():
    items = [render(entries.member_left(n, f"user{n}"), plain, "now") for n in range(1, 101)]
    few = post_arguments(items[:3], 0, plain)
    assert [e.description for e in few["embeds"]] == [i.embed.description for i in items[:3]]
    many = post_arguments(items, 0, plain)
    assert many["embed"].description == "100 events in a short time: the details are in the attached file."
    assert isinstance(many["file"], discord.File) and many["file"].filename == "server-log.txt"
    assert many["file"].fp.read().decode().count("left the server") == 100


async def test_the_batcher_posts_once_per_channel_per_moment():
    posts: list[tuple[int, list[int], int]] = []

    async def send(channel: int, items: list[int], dropped: int) -> None:
        posts.append((channel, items, dropped))

    batcher: Batcher[int] = Batcher(send, delay=0.05)
    for n in range(100):
        batcher.add(GENERAL, n)
    batcher.add(STAFF, 1)
    for _ in range(100):
        if len(posts) == 2:
            break
        await asyncio.sleep(0.02)
    assert sorted((c, len(i)) for c, i, _ in posts) == [(GENERAL, 100), (STAFF, 1)]
    batcher.add(GENERAL, 101)
    await batcher.flush_all()
    assert posts[-1] == (GENERAL, [101], 0)
