"""A module cannot be switched on while a module it requires is off, nor can a required module be switched off.

The check runs in the config service under the guild's row lock, so chat (`/modules enable`) and the API (422 with
`field` "module", the ConfigError handler) refuse alike and nothing is written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from wolaro.core.config_service import ConfigError, GuildConfigService
from wolaro.core.registry import ModuleSpec
from wolaro.data.cache import make_cache
from wolaro.data.models import AuditLog
from wolaro.data.pubsub import make_pubsub

GUILD = 4242
SPECS = {
    "moderation": ModuleSpec(name="moderation", description="x", version="1", enabled_by_default=False),
    "automod": ModuleSpec(name="automod", description="x", version="1", requires=("moderation",)),
}


@pytest.fixture
async def service(make_settings, migrated_db):
    settings = make_settings(database_url=str(migrated_db.url))
    pubsub = make_pubsub(settings)
    await pubsub.start()
    yield GuildConfigService(migrated_db, make_cache(settings), pubsub, SPECS)
    await pubsub.close()


async def _audits(db) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(AuditLog))).scalar_one()


async def test_enabling_a_module_whose_requirement_is_off_is_refused(service, migrated_db):
    with pytest.raises(ConfigError) as refused:
        await service.set_module_enabled(GUILD, "automod", True, actor_id=1)
    assert refused.value.field == "module"
    assert refused.value.message == "automod needs moderation: enable it first"
    assert not (await service.get(GUILD)).is_enabled("automod")
    assert await _audits(migrated_db) == 0
    await service.set_module_enabled(GUILD, "moderation", True, actor_id=1)
    config = await service.set_module_enabled(GUILD, "automod", True, actor_id=1)
    assert config.enabled_modules >= {"moderation", "automod"}


async def test_disabling_a_module_another_enabled_one_requires_is_refused(service):
    await service.set_module_enabled(GUILD, "moderation", True, actor_id=1)
    await service.set_module_enabled(GUILD, "automod", True, actor_id=1)
    with pytest.raises(ConfigError, match="automod needs moderation: disable it first"):
        await service.set_module_enabled(GUILD, "moderation", False, actor_id=1)
    assert (await service.get(GUILD)).is_enabled("moderation")
    await service.set_module_enabled(GUILD, "automod", False, actor_id=1)
    assert not (await service.set_module_enabled(GUILD, "moderation", False, actor_id=1)).is_enabled("moderation")
