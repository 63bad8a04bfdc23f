"""Moderation: warnings, kicks, bans (temporary too), timeouts, purges, channel locks and a numbered case log.

The Cog is a thin adapter split by theme (`commands_actions`, `commands_cases`, `commands_channels`); every
punishment goes through `service.execute`; automod and anti-raid reach it through `public.sanction`.
"""

from __future__ import annotations

from pathlib import Path

from wolaro.modules.moderation import jobs
from wolaro.modules.moderation.commands_actions import ActionCommands
from wolaro.modules.moderation.commands_cases import CaseCommands
from wolaro.modules.moderation.commands_channels import ChannelCommands
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.models import ModCase, ModCaseCounter
from wolaro.modules.moderation.privacy import PRIVACY
from wolaro.modules.moderation.service import UNBAN_JOB
from wolaro.sdk import ModuleSpec, WolaroModule


class Moderation(ActionCommands, CaseCommands, ChannelCommands, WolaroModule):
    """Moderation commands."""


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="moderation",
    bot_permissions=(
        "kick_members",
        "ban_members",
        "moderate_members",
        "manage_messages",
        "manage_nicknames",
        "manage_channels",
        "view_audit_log",
    ),
    description="Moderation: warnings, kicks, bans, timeouts, purges, channel locks and numbered cases.",
    version="1.0.0",
    config=Config,
    privacy=PRIVACY,
    not_personal={
        "mod_cases.duration_seconds": "a length of time",
        "mod_cases.modlog_channel_id": "a channel",
        "mod_cases.modlog_message_id": "a message in the mod-log channel",
    },
    enabled_by_default=True,
    title="Moderation",
    cogs=(Moderation,),
    jobs={UNBAN_JOB: jobs.lift_temporary_ban},
    models=(ModCase, ModCaseCounter),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    audit_labels={
        "moderation.warn": "Member warned",
        "moderation.timeout": "Member timed out",
        "moderation.kick": "Member kicked",
        "moderation.ban": "Member banned",
        "moderation.unban": "Member unbanned",
    },
)
