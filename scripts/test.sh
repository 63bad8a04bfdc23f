#!/usr/bin/env bash
# Install Wolaro with its test dependencies, then run the whole test suite.
# Outside CI, tests whose server (PostgreSQL, Redis, Chromium) is missing skip and say how to enable them;
# with CI=true the servers are started when down and nothing may skip for want of them.
set -euo pipefail
cd "$(dirname "$0")/.."

# Exactly the versions the suite was last run with (requirements/test.lock; ./scripts/lock.sh refreshes it).
python3 -m pip install --quiet --disable-pip-version-check -c requirements/test.lock -e '.[test]'

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
set +e
# --durations=15: the slowest tests, so whoever comes next sees what keeps CI slow
python3 -m pytest -q -p no:cacheprovider --durations=15 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
exit "$status"
