"""Who earns XP, how much, and which reward roles a level gives: plain functions, tested without Discord."""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from wolaro.modules.leveling.config import Config, RoleReward


@dataclass(frozen=True, slots=True)
class Rules:
    """A server's XP rules in the form the hot path wants: sets and dicts, built once per config change."""

    xp_min: int
    xp_max: int
    cooldown: float
    no_xp_channels: frozenset[int]
    no_xp_roles: frozenset[int]
    channel_multipliers: Mapping[int, float]
    role_multipliers: Mapping[int, float]

    @classmethod
    def of(cls, config: Config) -> Rules:
        """The rules of a server's settings."""
        return cls(
            config.xp_min,
            config.xp_max,
            float(config.cooldown_seconds),
            frozenset(config.no_xp_channel_ids),
            frozenset(config.no_xp_role_ids),
            {item.channel_id: item.multiplier for item in config.channel_multipliers},
            {item.role_id: item.multiplier for item in config.role_multipliers},
        )


def multiplier(rules: Rules, channel_ids: Iterable[int | None], role_ids: Collection[int]) -> float:
    """The XP multiplier of a message: 0 in a no-XP channel or for a no-XP role, else channel × best role boost.

    `channel_ids` are the channel and its parents (a thread's channel, a category): the first one with a boost
    gives it, so a channel's own boost wins over its category's.
    """
    places = [place for place in channel_ids if place is not None]
    if any(place in rules.no_xp_channels for place in places):
        return 0.0
    if rules.no_xp_roles and any(role in rules.no_xp_roles for role in role_ids):
        return 0.0
    channel = next((rules.channel_multipliers[p] for p in places if p in rules.channel_multipliers), 1.0)
    boosts = [rules.role_multipliers[role] for role in role_ids if role in rules.role_multipliers]
    return channel * (max(boosts) if boosts else 1.0)


def roll_xp(rules: Rules, factor: float, rng: random.Random | None = None) -> int:
    """XP for one rewarded message: a random whole number between the server's bounds, times `factor`."""
    base = (rng or random).randint(rules.xp_min, rules.xp_max)
    return round(base * factor)


def voice_eligible(
    *,
    self_mute: bool,
    self_deaf: bool,
    mute: bool,
    deaf: bool,
    in_afk_channel: bool,
    other_humans: int,
) -> bool:
    """Whether a minute in voice earns XP: unmuted, undeafened, not in the AFK channel, and someone else there."""
    return not (self_mute or self_deaf or mute or deaf or in_afk_channel) and other_humans > 0


def reward_roles(rewards: Iterable[RoleReward], level: int, *, stack: bool) -> set[int]:
    """The reward roles a member at `level` should have: every reached one (stacking) or only the highest."""
    reached = [reward for reward in rewards if reward.level <= level]
    if not reached or stack:
        return {reward.role_id for reward in reached}
    top = max(reward.level for reward in reached)
    return {reward.role_id for reward in reached if reward.level == top}


def role_changes(
    rewards: Iterable[RoleReward], level: int, current: Collection[int], *, stack: bool
) -> tuple[set[int], set[int]]:
    """(roles to add, roles to remove) so a member holds exactly the reward roles of `level`.

    Only reward roles are touched: a member's other roles never change.
    """
    listed = list(rewards)
    wanted = reward_roles(listed, level, stack=stack)
    every = {reward.role_id for reward in listed}
    held = set(current)
    return wanted - held, (every - wanted) & held


_PLACEHOLDER = re.compile(r"\{(user|level|guild)\}")


def render_announcement(template: str, *, user: str, level: int, guild: str) -> str:
    """The template with `{user}`, `{level}` and `{guild}` replaced; nothing else in it is interpreted."""
    values = {"user": user, "level": str(level), "guild": guild}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
