"""Container health check: exit 0 when this container's Wolaro process answers, 1 otherwise.

- METRICS_PORT set (bot and worker containers, see entrypoint.py): its metrics server answers.
- otherwise (API and `wolaro run`): `/api/health` on API_PORT answers 200 (503 = database down or a shard down).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def target(env: dict[str, str]) -> str:
    """The URL to ask."""
    metrics = env.get("METRICS_PORT", "").strip()
    if metrics:
        return f"http://127.0.0.1:{metrics}/metrics"
    return f"http://127.0.0.1:{env.get('API_PORT', '8080').strip() or '8080'}/api/health"


def main() -> int:
    """Ask once, with a short timeout."""
    url = target(dict(os.environ))
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
