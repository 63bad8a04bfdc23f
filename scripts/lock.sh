#!/usr/bin/env bash
# Refresh requirements/test.lock: the exact versions `scripts/test.sh` installs, resolved from pyproject.toml.
# Run it after changing a dependency in pyproject.toml, then run the tests and commit both files.
# uv is used only to resolve (for every platform and Python >= 3.11); it lives in a throwaway venv under .cache/.
set -euo pipefail
cd "$(dirname "$0")/.."
tool_venv=.cache/lock-venv
if ! [ -x "$tool_venv/bin/uv" ]; then
  python3 -m venv "$tool_venv"
  "$tool_venv/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi
"$tool_venv/bin/uv" pip compile pyproject.toml --extra test --universal --python-version 3.11 \
  --upgrade --quiet -o requirements/test.lock
echo "requirements/test.lock refreshed; run ./scripts/test.sh, then commit pyproject.toml and the lock together"
