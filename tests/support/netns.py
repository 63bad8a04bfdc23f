"""Several hosts on one machine: network namespaces joined by veth pairs on a bridge (needs root and `ip`).

`NetHosts(["data", "bot1"])` creates a bridge in the root namespace (the test process, and the Discord sandbox,
listen on its address) and one namespace per host, each with its own address on the bridge's /24. A host can be
cut from one address (`cut`: an `unreachable` route in its namespace, so its packets to it fail at once, as when
a link is down) and healed. Processes run inside a host with `prefix(host) + command`.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
from pathlib import Path

from tests.support.private_postgres import PrivatePostgres


def netns_problem() -> str | None:
    """Why hosts cannot be built here (not root, no `ip`, namespaces refused), or None."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    if shutil.which("ip") is None:
        return "needs iproute2's `ip`"
    probe = f"wprobe{secrets.token_hex(2)}"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False)
    if done.returncode != 0:
        return f"`ip netns add` refused: {done.stderr.decode(errors='replace').strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")


def _unused_network() -> str:
    """A `10.216.<n>` /24 no interface of this machine uses yet: parallel runs (pytest-xdist, other checkouts)
    each build their bridge on a network of their own, else their routes would collide."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False).stdout
    free = [n for n in range(1, 251) if f" 10.216.{n}." not in shown]
    return f"10.216.{random.choice(free or [random.randint(1, 250)])}"


class NetHosts:
    """A bridge and one namespace per host name; `address(name)` is the host's first address."""

    def __init__(self, names: list[str]) -> None:
        self.tag = secrets.token_hex(2)
        self.net = _unused_network()
        self.gateway = f"{self.net}.1"
        self.bridge = f"wb{self.tag}"
        self.namespaces = {name: f"wn{self.tag}{index}" for index, name in enumerate(names)}
        self.addresses: dict[str, list[str]] = {}
        self._next = 10

    def up(self) -> NetHosts:
        """Create the bridge and the hosts."""
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for index, (name, ns) in enumerate(self.namespaces.items()):
            outside, inside = f"wv{self.tag}{index}a", f"wv{self.tag}{index}b"
            _ip("netns", "add", ns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", ns)
            _ip("link", "set", outside, "master", self.bridge)
            _ip("link", "set", outside, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", inside, "up")
            self.addresses[name] = []
            self.add_address(name)
        return self

    def add_address(self, name: str) -> str:
        """Give host `name` one more address on the bridge's network; the address."""
        address = f"{self.net}.{self._next}"
        self._next += 1
        index = list(self.namespaces).index(name)
        _ip("-n", self.namespaces[name], "addr", "add", f"{address}/24", "dev", f"wv{self.tag}{index}b")
        self.addresses[name].append(address)
        return address

    def address(self, name: str) -> str:
        """Host `name`'s first address."""
        return self.addresses[name][0]

    def prefix(self, name: str) -> list[str]:
        """The command prefix that runs a program inside host `name`."""
        return ["ip", "netns", "exec", self.namespaces[name]]

    def cut(self, name: str, address: str, *, served_by: str) -> None:
        """Cut host `name` from `address` of host `served_by`, both ways; their other addresses still talk.

        `name`'s packets to `address` fail at once (an unreachable route); `served_by`'s packets from `address` to
        `name` too (a policy rule on the source address), so nothing sent from there arrives either.
        """
        _ip("-n", self.namespaces[name], "route", "add", "unreachable", f"{address}/32")
        for own in self.addresses[name]:
            _ip("-n", self.namespaces[served_by], "rule", "add", "from", address, "to", own, "unreachable")

    def heal(self, name: str, address: str, *, served_by: str) -> None:
        """Undo `cut`."""
        _ip("-n", self.namespaces[name], "route", "del", "unreachable", f"{address}/32")
        for own in self.addresses[name]:
            _ip("-n", self.namespaces[served_by], "rule", "del", "from", address, "to", own, "unreachable")

    def down(self) -> None:
        """Remove every host and the bridge (their veth pairs go with them)."""
        for ns in self.namespaces.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)


class HostPostgres(PrivatePostgres):
    """A private PostgreSQL run inside host `ns`, listening on `address`:5432."""

    def __init__(self, hosts: NetHosts, name: str, address: str, root: Path | None = None) -> None:
        super().__init__(root)
        self._as_user = [*hosts.prefix(name), *self._as_user]
        self.host = address
        self.port = 5432
        self.url = f"postgresql+asyncpg://postgres@{address}:5432/postgres"

    def init(self) -> None:
        """Create the cluster; the other hosts (the bridge's network) may connect, trusted as the local ones."""
        super().init()
        network = self.host.rsplit(".", 1)[0] + ".0/24"
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {network} trust\n")

    def start(self) -> None:
        """Start the server inside the host and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses={self.host} -k {self.root} -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )
