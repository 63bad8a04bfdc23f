"""The baseline for benchmarks/sync_latency.py: a one-route FastAPI app under the same server as `wolaro api`.

Same uvicorn options (`wolaro.web.server.uvicorn_config`) and event loop (uvloop via `wolaro.cli.run_fast`), so
the ratio `wolaro / baseline` measures what Wolaro's request path costs, not the machine or the client.
Usage: python benchmarks/_baseline_api.py PORT
"""

from __future__ import annotations

import sys

from fastapi import FastAPI

from wolaro.cli import run_fast
from wolaro.settings import Settings
from wolaro.web.server import EmbeddedServer, uvicorn_config

app = FastAPI()
BODY = {"prefix": "!", "language": "en", "languages": ["en", "fr"], "blacklisted": False}


@app.get("/api/guilds/{guild_id}/settings")
async def settings(guild_id: int) -> dict[str, object]:
    return BODY


async def main(port: int) -> None:
    settings = Settings(_env_file=None, api_host="127.0.0.1", api_port=port)  # type: ignore[call-arg]
    server = EmbeddedServer(uvicorn_config(app, settings))
    await server.serve()


if __name__ == "__main__":
    run_fast(main(int(sys.argv[1])))
