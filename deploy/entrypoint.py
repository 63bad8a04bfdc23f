"""Container entrypoint: `wolaro <command>`, with the shards picked by a StatefulSet ordinal and a metrics port.

Shards from the pod's ordinal (Kubernetes StatefulSet): when SHARDS_PER_POD is set and SHARD_IDS is not, the
pod named `<name>-<ordinal>` (POD_NAME, else HOSTNAME) runs shards `ordinal * SHARDS_PER_POD` up to
`ordinal * SHARDS_PER_POD + SHARDS_PER_POD - 1`. SHARD_COUNT must be set (replicas x SHARDS_PER_POD), so every
pod agrees on the total and a pod beyond it refuses to start instead of running a shard that does not exist.

Metrics: `wolaro bot` and `wolaro worker` have no HTTP server of their own (the API serves `/metrics`). When
METRICS_PORT is set, this process serves prometheus_client's default registry (commands, command latency,
gateway events, process figures) on that port, for Prometheus inside the cluster network only.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, MutableMapping

ORDINAL = re.compile(r"-(\d+)$")


class ShardConfigError(ValueError):
    """The shard settings of this pod do not add up; the message says which and how to fix it."""


def pod_ordinal(pod_name: str) -> int:
    """The ordinal of a StatefulSet pod: `wolaro-bot-3` -> 3."""
    match = ORDINAL.search(pod_name.strip())
    if match is None:
        raise ShardConfigError(
            f"pod name {pod_name!r} does not end in -<number>: SHARDS_PER_POD needs a StatefulSet pod name "
            "(or set SHARD_IDS yourself)"
        )
    return int(match.group(1))


def shard_ids_for(ordinal: int, per_pod: int, shard_count: int) -> list[int]:
    """The shards pod `ordinal` runs when each pod runs `per_pod` of `shard_count`."""
    if per_pod < 1:
        raise ShardConfigError(f"SHARDS_PER_POD must be at least 1, not {per_pod}")
    first = ordinal * per_pod
    last = first + per_pod - 1
    if last >= shard_count:
        raise ShardConfigError(
            f"pod {ordinal} would run shards {first}-{last} but SHARD_COUNT is {shard_count} (shards 0 to "
            f"{shard_count - 1}): set SHARD_COUNT to replicas x SHARDS_PER_POD"
        )
    return list(range(first, last + 1))


def _whole(env: Mapping[str, str], name: str) -> int:
    raw = env.get(name, "").strip()
    if not raw.isdigit():
        raise ShardConfigError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def apply_ordinal_shards(env: MutableMapping[str, str]) -> list[int] | None:
    """Set SHARD_IDS from the pod's ordinal when SHARDS_PER_POD asks for it; the shards set, or None."""
    if not env.get("SHARDS_PER_POD", "").strip() or env.get("SHARD_IDS", "").strip():
        return None
    if not env.get("SHARD_COUNT", "").strip():
        raise ShardConfigError("SHARDS_PER_POD needs SHARD_COUNT: the total number of shards over all pods")
    name = env.get("POD_NAME") or env.get("HOSTNAME") or ""
    shards = shard_ids_for(pod_ordinal(name), _whole(env, "SHARDS_PER_POD"), _whole(env, "SHARD_COUNT"))
    env["SHARD_IDS"] = ",".join(str(shard) for shard in shards)
    return shards


def serve_metrics(env: Mapping[str, str]) -> int | None:
    """Serve the default Prometheus registry on METRICS_PORT when it is set; the port, or None."""
    raw = env.get("METRICS_PORT", "").strip()
    if not raw:
        return None
    port = _whole(env, "METRICS_PORT")
    from prometheus_client import start_http_server

    start_http_server(port, addr=env.get("METRICS_ADDR", "0.0.0.0"))
    return port


def main(argv: list[str]) -> None:
    """Prepare the environment, then run the `wolaro` command line in this process."""
    try:
        shards = apply_ordinal_shards(os.environ)
        port = serve_metrics(os.environ)
    except ShardConfigError as exc:
        print(f"Wolaro did not start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if shards is not None:
        print(f"entrypoint: this pod runs shards {os.environ['SHARD_IDS']}", file=sys.stderr)
    if port is not None:
        print(f"entrypoint: metrics on port {port}", file=sys.stderr)
    from wolaro.cli import app

    app(args=argv, prog_name="wolaro")


if __name__ == "__main__":
    main(sys.argv[1:])
