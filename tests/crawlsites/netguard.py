"""Proofs for the scope tests (tests/test_faults_scope.py) that a crawl did not connect where it must not.

- `Listener`: TCP sockets on loopback addresses, one port, that count every connection they accept (a
  connection, not a request: one closed before it says anything counts too) and close it at once.
- `socket_guard`: an environment for the crawl's child process (`python -m crawler`) whose `sitecustomize`
  installs an audit hook (PEP 578). The hook writes every socket connect and every name lookup of the process to
  a log, and refuses, before any packet leaves, a connect to an address outside 127.0.0.0/8 and ::1 and a lookup
  of any name but `localhost` (answered by /etc/hosts) or a loopback address: a product defect can then fail a
  test, never reach the network.
"""
from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

LOG_ENV = "DOSSIER_TEST_SOCKET_LOG"

SITECUSTOMIZE = '''\
"""Written by tests/crawlsites/netguard.py for a crawl under test: logs and fences the process's sockets."""
import json
import os
import sys

_LOG = os.environ.get("__ENV__")


def _loopback(host):
    host = str(host).strip("[]").split("%", 1)[0].lower()
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")


def _write(entry):
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(entry) + "\\n").encode())
    finally:
        os.close(fd)


def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if not isinstance(address, tuple):  # a Unix socket
            return
        host = address[0]
        _write({"event": "connect", "host": host, "port": address[1]})
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        host = args[0]
        if host is None:
            return
        host = host.decode() if isinstance(host, bytes) else str(host)
        _write({"event": "lookup", "host": host})
    else:
        return
    if not _loopback(host):
        raise PermissionError(f"test guard: {event} to {host!r} refused (loopback only)")


if _LOG:
    sys.addaudithook(_hook)
'''.replace("__ENV__", LOG_ENV)


@dataclass(frozen=True)
class SocketUse:
    event: str  # connect | lookup
    host: str
    port: int | None = None


def socket_guard(folder: Path) -> tuple[dict[str, str], Path]:
    """(environment variables for the crawl's child process, the log it writes). The folder holds the
    sitecustomize module; PYTHONPATH puts it first, ahead of any other."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = folder / "sockets.jsonl"
    log.touch()
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, LOG_ENV: str(log)}, log


def socket_uses(log: Path) -> list[SocketUse]:
    return [SocketUse(**json.loads(line)) for line in log.read_text(encoding="utf-8").splitlines() if line]


class Listener:
    """Sockets on one port of several loopback addresses (IPv6 ::1 when the machine has it), counting the
    connections each accepts."""

    def __init__(self, hosts: tuple[str, ...] = ("127.0.0.2",), ipv6: bool = True):
        for host in hosts:
            if not host.startswith("127."):
                raise ValueError(f"a test listener listens on loopback only, not {host}")
        self.hosts, self.ipv6 = hosts, ipv6
        self.accepted: dict[str, int] = {}
        self.has_ipv6 = False
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def __enter__(self) -> Listener:
        for _ in range(50):  # one free port on every address
            try:
                self._bind_all()
                break
            except OSError:
                self._close()
        else:
            raise OSError(f"no port free on all of {self.hosts}")
        for sock in self._sockets:
            threading.Thread(target=self._accept, args=(sock,), daemon=True, name="listener").start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._close()

    @property
    def connections(self) -> int:
        with self._lock:
            return sum(self.accepted.values())

    def _bind_all(self) -> None:
        first = self._bound(socket.AF_INET, self.hosts[0], 0)
        self.port = first.getsockname()[1]
        for host in self.hosts[1:]:
            self._bound(socket.AF_INET, host, self.port)
        if self.ipv6 and socket.has_ipv6:
            try:
                self._bound(socket.AF_INET6, "::1", self.port)
                self.has_ipv6 = True
            except OSError as exc:
                if exc.errno == 98:  # EADDRINUSE: try another port
                    raise
                self.has_ipv6 = False  # no IPv6 loopback on this machine

    def _bound(self, family: int, host: str, port: int) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        self._sockets.append(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(16)
        sock.settimeout(0.2)
        return sock

    def _accept(self, sock: socket.socket) -> None:
        host = sock.getsockname()[0]
        while not self._stop.is_set():
            try:
                connection, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            with self._lock:
                self.accepted[host] = self.accepted.get(host, 0) + 1
            connection.close()

    def _close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
