"""Small web sites on 127.0.0.1 for the crawl tests: each a table of routes; every request is logged."""
from __future__ import annotations

import gzip
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from crawler.soft404 import PROBE_PREFIX

log = logging.getLogger(__name__)
HOST = "127.0.0.1"
UA = "DossierTestBot/1.0 (+https://example.org/bot)"
TRICKLE_LIMIT = 60.0  # seconds a trickling reply goes on at most  # robots.txt of the test sites name the DossierTestBot group


@dataclass(frozen=True)
class Reply:
    """One answer: a body ({base} stands for the site's base URL; bytes are sent as they are), a status, extra
    headers, a delay in seconds; `gzip` sends the body gzipped as a file (a sitemap.xml.gz: no Content-Encoding,
    the crawler must unpack it).

    Faults (tests/test_faults_*.py):
    - `reset`: the request is read, then the connection is reset (RST), no answer at all;
    - `content_length`: announced instead of the body's length; when larger, the body is cut short and the
      connection closed (a truncated body); `no_length` announces none and closes the connection to end the body;
    - `trickle`: seconds between chunks of `chunk` bytes; with `endless` the body is sent again and again until the
      client goes away or the sites stop (a body that never ends, at a trickle).
    """

    body: str | bytes = ""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    gzip: bool = False
    reset: bool = False
    content_length: int | None = None
    no_length: bool = False
    trickle: float = 0.0
    hold: float = 0.0  # seconds before answering, counted in flight (a page that takes a moment, not a fault)
    chunk: int = 1024
    endless: bool = False


@dataclass(frozen=True)
class Hit:
    site: str
    path: str  # with its query string
    user_agent: str | None
    in_flight: int  # requests being answered when this one arrived, itself included (slow replies not counted)
    at: float = 0.0  # time.monotonic() when it arrived


# A callable gets the path with its query (and ;params) and answers all of them; under a key ending in "*"
# it answers every path with that prefix.
Route = Reply | Callable[[str], Reply]


def page(title: str, *links: str, body: str = "") -> Reply:
    """An HTML page with a title and links to the given paths."""
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return Reply(f"<!doctype html><html lang='en'><head><title>{title}</title></head>"
                 f"<body><h1>{title}</h1><ul>{anchors}</ul>{body}</body></html>")


def redirect(location: str, status: int = 301) -> Reply:
    return Reply("", status=status, headers={"Location": location})


def urlset(*paths: str) -> Reply:
    urls = "".join(f"<url><loc>{{base}}{path}</loc></url>" for path in paths)
    return Reply(f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                 f"{urls}</urlset>", content_type="application/xml")


def gzipped(reply: Reply) -> Reply:
    return Reply(reply.body, content_type="application/gzip", gzip=True)


def sitemap_index(*paths: str) -> Reply:
    maps = "".join(f"<sitemap><loc>{{base}}{path}</loc></sitemap>" for path in paths)
    return Reply(f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                 f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>',
                 content_type="application/xml")


class Sites:
    """One server per site on a free port of 127.0.0.1 (or of another loopback address named in `hosts`);
    `routes[site]` may be changed between crawls."""

    def __init__(self, hosts: dict[str, str] | None = None, **routes: dict[str, Route]):
        self.routes = routes
        self.hosts = hosts or {}
        self.hits: list[Hit] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._servers: dict[str, _Server] = {}

    def __enter__(self) -> Sites:
        for name in self.routes:
            server = _Server(self, name, self.hosts.get(name, HOST))
            threading.Thread(target=server.serve_forever, name=f"crawlsite-{name}", daemon=True).start()
            self._servers[name] = server
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stopping.set()  # slow replies stop waiting
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def base(self, site: str) -> str:
        host, port = self._servers[site].server_address[:2]
        return f"http://{host}:{port}"

    def paths(self, site: str, probes: bool = False) -> list[str]:
        """Every path (with query) the site was asked for, in order, repeats included; without the crawl's
        soft-404 probes (crawler/soft404.py: one a source, asked before its start page) unless `probes`."""
        return [hit.path for hit in self.hits if hit.site == site and (probes or PROBE_PREFIX not in hit.path)]

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    def _reply(self, site: str, path: str) -> Reply:
        route = self.routes[site].get(path)
        if route is None and callable(fallback := self.routes[site].get(path.split("?", 1)[0].split(";", 1)[0])):
            route = fallback  # a callable route answers every query of its path
        if route is None:  # "/calendar/*": a callable answering every path under /calendar/
            route = next((r for key, r in self.routes[site].items()
                          if key.endswith("*") and callable(r) and path.startswith(key[:-1])), None)
        if route is None:
            return Reply("<h1>Not found</h1>", status=404)
        return route(path) if callable(route) else route

    def _enter(self, site: str, path: str, user_agent: str | None, slow: bool) -> None:
        with self._lock:
            if not slow:
                self._in_flight += 1
            self.hits.append(Hit(site, path, user_agent, self._in_flight, time.monotonic()))

    def _leave(self, slow: bool) -> None:
        if not slow:
            with self._lock:
                self._in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sites: Sites, name: str, host: str = HOST):
        if not host.startswith("127."):
            raise ValueError(f"test sites listen on loopback only, not {host}")
        self.sites = sites
        self.name = name
        super().__init__((host, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler closing a kept-alive connection is no error of the test site: logged, not printed."""
        log.debug("%s: connection from %s ended abruptly", self.name, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        sites = self.server.sites
        reply = sites._reply(self.server.name, self.path)
        slow = reply.delay > 0 or reply.trickle > 0
        sites._enter(self.server.name, self.path, self.headers.get("User-Agent"), slow)
        left = False
        try:
            if reply.delay > 0 and sites.stopping.wait(reply.delay):
                return
            if reply.hold > 0 and sites.stopping.wait(reply.hold):
                return
            if reply.reset:
                self._reset()
                return
            body = reply.body if isinstance(reply.body, bytes) else reply.body.replace(
                "{base}", sites.base(self.server.name)).encode()
            if reply.gzip:
                body = gzip.compress(body)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.no_length:
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(reply.content_length if reply.content_length is not None
                                                       else len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value.replace("{base}", sites.base(self.server.name)))
            if not slow:
                # answered: counted out before its first byte goes. The client may be done with it as soon as the
                # headers arrive (a Content-Length past max_bytes) and send its next request before this thread
                # gets back from writing: two "in flight" that never were.
                sites._leave(slow)
                left = True
            self.end_headers()
            if reply.trickle > 0:
                self._trickle(reply, body)
            else:
                self.wfile.write(body)
            if reply.no_length or (reply.content_length is not None and reply.content_length != len(body)):
                self.close_connection = True  # the body ends (or is cut short) where the connection ends
        except (BrokenPipeError, ConnectionResetError) as exc:  # the crawler gave up first (a timeout)
            log.debug("%s %s: client gone: %s", self.server.name, self.path, exc)
            self.close_connection = True
        finally:
            if not left:
                sites._leave(slow)

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER with a zero timeout makes close() send RST instead of FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _trickle(self, reply: Reply, body: bytes) -> None:
        sent, started = 0, time.monotonic()
        while not self.server.sites.stopping.is_set():
            offset = sent % len(body) if reply.endless else sent
            piece = body[offset:offset + reply.chunk]
            if not piece:
                return
            self.wfile.write(piece)
            sent += len(piece)
            if self.server.sites.stopping.wait(reply.trickle):
                return
            if time.monotonic() - started > TRICKLE_LIMIT:  # a crawler that never gives up must not hang the tests
                log.warning("%s %s: still reading after %s s: the trickle stops", self.server.name, self.path,
                            TRICKLE_LIMIT)
                return

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (signature of the base class)
        log.debug("%s: %s", self.server.name, format % args)


def write_config(folder: Path, competitors: list[dict[str, Any]], **defaults: Any) -> Path:
    """A competitors.yaml for the test sites (loopback allowed on every source, the test User-Agent, no delay)."""
    for competitor in competitors:
        for source in competitor["sources"]:
            source.setdefault("allow_private", True)
    config = {"defaults": {"user_agent": UA, "download_delay": 0, **defaults}, "competitors": competitors}
    path = folder / "competitors.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
