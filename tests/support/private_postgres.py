"""A private PostgreSQL server for fault tests: started under a temporary folder, which a test may stop at will.

The shared server (127.0.0.1:5432) is never touched. `initdb` refuses to run as root, so as root the server runs
as the `postgres` system user (its files are handed to that user first).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian's /usr/lib/postgresql/<version>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """`initdb` + `pg_ctl` in `root`, listening on 127.0.0.1:`port` with trust authentication.

    `root` must be reachable by the `postgres` user when running as root (pytest's tmp_path is not: it sits in a
    0700 folder), hence a folder of its own under the system temporary directory by default.
    """

    def __init__(self, root: Path | None = None) -> None:
        root = root or Path(tempfile.mkdtemp(prefix="wolaro-pg-"))
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")  # KeyError if there is no such user: nothing to run the server as
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_user, *args], capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.decode(errors='replace')}"
            )

    def init(self) -> None:
        """Create the cluster (user `postgres`, trust authentication, no fsync: it is thrown away)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_user:
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (`immediate`: like a crash; clients see their connections drop)."""
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private server, stopped and deleted afterwards."""
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
