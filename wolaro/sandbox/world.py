"""Deterministic synthetic world: guilds with roles, channels and members, the bot in every guild."""

from __future__ import annotations

import random

from wolaro.sandbox import permissions as perm
from wolaro.sandbox.snowflake import SnowflakeFactory, iso, snowflake_time
from wolaro.sandbox.state import CATEGORY, TEXT, VOICE, Channel, Guild, Member, Role, SandboxState, User

GUILD_NAMES = [
    "Cozy Cafe",
    "Pixel Pirates",
    "Night Owls",
    "Study Hall",
    "Retro Arcade",
    "Garden Club",
    "Code Crafters",
    "Book Nook",
    "Lo-fi Lounge",
    "Mountain Hikers",
    "Chess Corner",
    "Synth Lab",
    "Speedrunners",
    "Film Buffs",
    "Cat Appreciation",
    "Rocket Science",
]
CHANNEL_NAMES = ["general", "random", "memes", "help", "off-topic", "announcements", "media", "bot-commands"]
FIRST_NAMES = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "uma",
    "victor",
    "wendy",
    "xena",
    "yusuf",
    "zoe",
    "liam",
]


def _username(rng: random.Random, index: int) -> str:
    return f"{rng.choice(FIRST_NAMES)}{index}"


def _guild_name(g_index: int) -> str:
    """The ``g_index``-th guild's name: the list of names, numbered from its second round on."""
    name = GUILD_NAMES[g_index % len(GUILD_NAMES)]
    if g_index >= len(GUILD_NAMES):
        name = f"{name} {g_index // len(GUILD_NAMES) + 1}"
    return name


def _channel_name(c_index: int) -> str:
    """The ``c_index``-th text channel's name: the list of names, numbered from its second round on."""
    c_name = CHANNEL_NAMES[c_index % len(CHANNEL_NAMES)]
    if c_index >= len(CHANNEL_NAMES):
        c_name = f"{c_name}-{c_index // len(CHANNEL_NAMES) + 1}"
    return c_name


def _member_users(ids: SnowflakeFactory, rng: random.Random, state: SandboxState, first: int, count: int) -> list[User]:
    """``count`` new users, numbered from ``first``, added to ``state``."""
    users: list[User] = []
    for index in range(first, first + count):
        user = User(id=ids.world(), username=_username(rng, index))
        user.global_name = user.username.capitalize()
        state.users[user.id] = user
        users.append(user)
    return users


def _roles(ids: SnowflakeFactory, guild_id: int, app_id: int) -> list[Role]:
    """@everyone, Member, Moderator, the bot's managed role and Admin, in that order (lowest first)."""
    return [
        Role(id=guild_id, guild_id=guild_id, name="@everyone", permissions=perm.EVERYONE_DEFAULT, position=0),
        Role(id=ids.world(), guild_id=guild_id, name="Member", permissions=0, position=1, color=0x95A5A6),
        Role(
            id=ids.world(),
            guild_id=guild_id,
            name="Moderator",
            permissions=perm.MODERATOR,
            position=2,
            color=0x3498DB,
            hoist=True,
            mentionable=True,
        ),
        Role(
            id=ids.world(),
            guild_id=guild_id,
            name="Wolaro",
            permissions=perm.BOT_DEFAULT,
            position=3,
            managed=True,
            bot_id=app_id,
        ),
        Role(
            id=ids.world(),
            guild_id=guild_id,
            name="Admin",
            permissions=perm.ADMINISTRATOR,
            position=4,
            color=0xE74C3C,
            hoist=True,
        ),
    ]


def _channels(ids: SnowflakeFactory, guild_id: int, text_channels: int) -> list[Channel]:
    """A category holding ``text_channels`` text channels, then one voice channel."""
    category = Channel(id=ids.world(), type=CATEGORY, name="Text Channels", guild_id=guild_id, position=0)
    channels = [category]
    for c_index in range(text_channels):
        c_name = _channel_name(c_index)
        channels.append(
            Channel(
                id=ids.world(),
                type=TEXT,
                name=c_name,
                guild_id=guild_id,
                position=c_index,
                parent_id=category.id,
                topic=f"{c_name} talk",
            )
        )
    channels.append(Channel(id=ids.world(), type=VOICE, name="Lounge", guild_id=guild_id, position=0))
    return channels


def _add_members(guild: Guild, member_users: list[User], roles: list[Role], app_id: int) -> None:
    """Member 0 gets Admin, member 1 Moderator and Member, the rest Member; the bot its managed role."""
    member_role, mod_role, bot_role, admin_role = roles[1].id, roles[2].id, roles[3].id, roles[4].id
    joined = iso(snowflake_time(guild.id))
    for m_index, user in enumerate(member_users):
        if m_index == 0:
            roles_of = [admin_role]
        elif m_index == 1:
            roles_of = [mod_role, member_role]
        else:
            roles_of = [member_role]
        guild.members[user.id] = Member(user_id=user.id, guild_id=guild.id, roles=roles_of, joined_at=joined)
    guild.members[app_id] = Member(user_id=app_id, guild_id=guild.id, roles=[bot_role], joined_at=joined)


def build_world(
    ids: SnowflakeFactory,
    *,
    guilds: int,
    members_per_guild: int,
    text_channels_per_guild: int,
    seed: int,
) -> SandboxState:
    """Create the world: guild ids first (consecutive timestamps, so guilds alternate over shards).

    Each guild has roles @everyone, Member, Moderator (kick, ban, manage messages, timeout), the bot's
    managed role (above Moderator), and Admin (Administrator, on top); a category with
    ``text_channels_per_guild`` text channels and one voice channel; ``members_per_guild`` members of
    whom member 0 is the owner with Admin, member 1 has Moderator, the rest Member; plus the bot.
    Ids are drawn in a fixed order (users, roles, channels, guild by guild), so a seed gives one world.
    """
    rng = random.Random(seed)
    guild_ids = [ids.world() for _ in range(guilds)]
    app_id = ids.world()
    state = SandboxState(application_id=app_id, bot_user_id=app_id)
    state.users[app_id] = User(id=app_id, username="Wolaro", global_name=None, bot=True)
    for g_index, guild_id in enumerate(guild_ids):
        member_users = _member_users(ids, rng, state, g_index * members_per_guild, members_per_guild)
        owner_id = member_users[0].id if member_users else app_id
        guild = Guild(id=guild_id, name=_guild_name(g_index), owner_id=owner_id)
        roles = _roles(ids, guild_id, app_id)
        guild.roles = {r.id: r for r in roles}
        guild.bot_role_id = roles[3].id
        channels = _channels(ids, guild_id, text_channels_per_guild)
        for channel in channels:
            state.channels[channel.id] = channel
            guild.channel_ids.append(channel.id)
        text = [c.id for c in channels if c.type == TEXT]
        guild.system_channel_id = text[0] if text else None
        _add_members(guild, member_users, roles, app_id)
        state.guilds[guild_id] = guild
    return state
