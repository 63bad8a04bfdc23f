"""The dashboard: FastAPI REST API, WebSocket live updates, server-rendered pages (`create_app`)."""

from wolaro.web.app import create_app

__all__ = ["create_app"]
