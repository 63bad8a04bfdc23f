"""The dashboard API's fixtures (defined in `tests.support.web`, with the helpers the web tests import)."""

from tests.support.web import env, sandbox, web_backend, web_settings, world

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]
