#!/usr/bin/env bash
# Install Wolaro with its test dependencies, then run the whole test suite.
# Outside CI, tests whose server (PostgreSQL, Redis, Chromium) is missing skip and say how to enable them;
# with CI=true the servers are started when down and nothing may skip for want of them.
set -euo pipefail
cd "$(dirname "$0")/.."

# Exactly the versions the suite was last run with (requirements/test.lock; ./scripts/lock.sh refreshes it).
# The example third-party module too (tests/examples): installed before any test, so no parallel worker or bot
# subprocess ever sees it half-installed.
python3 -m pip install --quiet --disable-pip-version-check -c requirements/test.lock -e '.[test]' \
  -e examples/wolaro-counting

if [ "${CI:-}" = "true" ]; then
  bash scripts/services.sh
fi
if ! [ -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "chromium could not be installed: browser tests will skip" >&2
fi
# the deploy kit's checks (tests/deploy): promtool (Debian's prometheus) and docker-compose when no `docker compose`
if { ! command -v promtool >/dev/null || ! { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; }; } \
  && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's prometheus (promtool) and docker-compose for the deploy checks" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    prometheus docker-compose >/dev/null) || echo "promtool/docker-compose could not be installed" >&2
fi

# static checks: lint, formatting, types
python3 -m ruff check wolaro tests benchmarks examples
python3 -m ruff format --check wolaro tests benchmarks examples
python3 -m mypy wolaro
# the layers (.importlinter): data < core < modules; product and sandbox apart; modules meet through public.py
lint-imports
# Test files run in parallel (pytest-xdist, one file per worker at a time): the suite mostly waits on subprocesses,
# sandboxes and sockets, so more workers than cores pay. WOLARO_TEST_WORKERS sets their number (0: one process).
# Tests marked `serial` time themselves against the wall clock: they run afterwards, alone. A worker that dies ends
# the run with its test named (a replaced worker can crash pytest-xdist's file scheduler, losing the summary).
# --durations=15: the slowest tests, so whoever comes next sees what keeps CI slow
workers="${WOLARO_TEST_WORKERS:-4}"
set +e
python3 -m pytest -q -p no:cacheprovider --durations=15 -n "$workers" --dist loadfile \
  --max-worker-restart=0 -m "not serial" "$@"
status=$?
python3 -m pytest -q -p no:cacheprovider --durations=15 -m serial "$@"
serial_status=$?
set -e
# 5: that run collected no test (a path given with no `serial` test in it, say)
if [ "$status" -eq 5 ] && [ "$serial_status" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
[ "$status" -eq 5 ] && status=0
[ "$serial_status" -eq 5 ] && serial_status=0
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
exit "$serial_status"
