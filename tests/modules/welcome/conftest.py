"""Welcome's tests: the dashboard's browser fixtures for the live preview test."""

from __future__ import annotations

# The dashboard's browser fixtures (Chromium, the whole stack on PostgreSQL and Redis) for this module's browser test.
from tests.web.browser.conftest import (  # noqa: F401
    browser,
    browser_storage,
    chromium,
    restore_discord_endpoints_module,
    stack,
)
