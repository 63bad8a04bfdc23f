"""The example third-party module `examples/wolaro-counting`, installed into this interpreter's environment.

`pip install --no-deps -e examples/wolaro-counting` (once: later runs find it installed), then the running process
is told about it (the new `.pth` path, importlib's and the registry's discovery caches), exactly as a server admin
would `pip install` a published module. Once installed it is visible to every later test of the run: a third-party
module coexists with the built-ins. The dashboard fixtures come from `tests.support.web`.
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.metadata
import site
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.core import registry

__all__ = ["counting_installed", "env", "sandbox", "web_backend", "web_settings", "world"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wolaro-counting"


#: Held while installing, so parallel workers (pytest-xdist) install the example once, one after the other.
INSTALL_LOCK = Path(tempfile.gettempdir()) / "wolaro-example-counting-install.lock"


def _entry_point_installed() -> bool:
    points = importlib.metadata.entry_points(group=registry.ENTRY_POINT_GROUP)
    return any(point.value == "wolaro_counting.module:SPEC" for point in points)


@pytest.fixture(scope="session", autouse=True)
def counting_installed() -> None:
    """The example module installed and discovered (installs it on the first run)."""
    if not _entry_point_installed():
        with INSTALL_LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            importlib.invalidate_caches()  # another worker may have installed it while this one waited
            if not _entry_point_installed():
                subprocess.run(
                    [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(EXAMPLE)],
                    check=True,
                    timeout=300,
                )
        site.addsitedir(sysconfig.get_paths()["purelib"])  # the editable install's .pth, for this process
        importlib.invalidate_caches()  # importlib.metadata's path caches: the new dist-info is seen
    registry.installed.cache_clear()
    assert "counting" in registry.discover_specs(), registry.module_problems()
