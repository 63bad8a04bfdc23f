"""The one check every prefix and slash command passes first: blacklist, module switch, permissions, rate limits.

`WolaroBot` registers `passes` as its global check. The two rate limits (the command's cooldown per member, then
the member's rate over every command) are hit in order in one round trip, and a command refused by the first
does not count against the second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wolaro.core import command_access
from wolaro.core.errors import GuildBlacklisted, ModuleDisabled, RateLimited
from wolaro.core.permissions import is_master_admin

if TYPE_CHECKING:
    from wolaro.core.config_service import GuildConfig
    from wolaro.core.context import WolaroContext
    from wolaro.core.ratelimit import RateLimiter
    from wolaro.settings import Settings


async def passes(ctx: WolaroContext, limiter: RateLimiter, settings: Settings) -> bool:
    """True, or the refusal raised (`GuildBlacklisted`, `ModuleDisabled`, a permission rule's, `RateLimited`)."""
    config: GuildConfig | None = ctx.config
    master = is_master_admin(ctx)
    if config is not None:
        if config.blacklisted and not master:
            raise GuildBlacklisted()
        spec = getattr(ctx.command.cog, "spec", None) if ctx.command else None
        if spec is not None and spec.name not in config.enabled_modules:
            raise ModuleDisabled(spec.name)
        if spec is not None and not master:
            command_access.enforce(ctx, config.module_configs, spec.name)
    if not master and ctx.command is not None:
        user = str(ctx.author.id)
        rate = ctx.command.extras.get("rate", settings.command_cooldown_rate)
        wait = await limiter.hit_in_order(
            (rate, ("command", ctx.command.qualified_name, user)), (settings.user_global_rate, ("user", user))
        )
        if wait:
            raise RateLimited(wait)
    return True
