"""A module's dashboard additions come from its spec: its API router mounted under its name, its panel templates."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from wolaro.core.registry import ModuleSpec, Panel
from wolaro.web.app import _include_module_routers, template_environment


def test_a_modules_router_is_mounted_under_its_name() -> None:
    router = APIRouter()

    @router.get("/score")
    async def score(guild_id: str) -> dict[str, str]:
        return {"guild": guild_id}

    spec = ModuleSpec(name="counting", description="x", version="1", api=router)
    app = FastAPI()
    _include_module_routers(app, {"counting": spec})
    assert TestClient(app).get("/api/guilds/42/modules/counting/score").json() == {"guild": "42"}


def test_a_modules_templates_are_found_under_its_name(tmp_path: Path) -> None:
    (tmp_path / "panel.html").write_text("<p>{{ count }} counted</p>")
    spec = ModuleSpec(
        name="counting", description="x", version="1", templates=tmp_path, panels=(Panel("Score", "panel.html"),)
    )
    env = template_environment({"counting": spec})
    assert env.get_template("counting/panel.html").render(count="<b>3</b>") == "<p>&lt;b&gt;3&lt;/b&gt; counted</p>"
    assert env.get_template("module.html") is not None  # the dashboard's own templates stay first
