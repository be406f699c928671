"""Faulty answers for the fault-injection suite (tests/test_faults_*.py), built on crawlsites' Reply.

Everything is made in memory at test time and served on loopback: no large file is committed, and the hostile
bodies are only as large as they need to be to prove a limit (a 2 GB body is announced, never sent).
"""
from __future__ import annotations

import threading
import zlib
from collections import Counter

from crawlsites import Reply, page

NOT_FOUND_TEXT = "Sorry, the page you were looking for was not found."


class Burst:
    """A route that answers `fault` to the first `times` requests of each path, then `then`: a 503 burst, or a
    429 that lifts after its Retry-After. `times=None` answers `fault` for ever."""

    def __init__(self, fault: Reply, then: Reply, times: int | None):
        self.fault, self.then, self.times = fault, then, times
        self.asked: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, path: str) -> Reply:
        with self._lock:
            self.asked[path] += 1
            count = self.asked[path]
        return self.fault if self.times is None or count <= self.times else self.then


def reset() -> Reply:
    return Reply(reset=True)


def truncated(reply: Reply, missing: int = 50_000) -> Reply:
    """The reply's body announced `missing` bytes longer than it is: the connection closes before the end."""
    body = reply.body.encode() if isinstance(reply.body, str) else reply.body
    return Reply(body, content_length=len(body) + missing)


def gzip_bomb(expanded: int, member: int = 1024 * 1024) -> bytes:
    """A gzip body that unpacks to `expanded` bytes of zeros: one gzip member of `member` zeros (about 1 KB
    compressed) repeated, which gzip readers concatenate. 1 GB costs about 1 MB on the wire and a second to make."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip member with header and trailer
    one = compressor.compress(bytes(member)) + compressor.flush()
    return one * -(-expanded // member)


def nested_divs(depth: int, title: str = "Deep") -> str:
    return (f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
            + "<div>" * depth + "deep inside" + "</div>" * depth + "</body></html>")


def soft_404(path: str) -> Reply:
    """A site's answer for any path it does not have: 200 and a 'not found' page that names the path and links
    to two more pages that do not exist either (as a catch-all route with a "related pages" box does)."""
    stem = path.split("?", 1)[0].rstrip("/")
    return page("Page not found", f"{stem}/similar/", f"{stem}-2/",
                body=f"<p>{NOT_FOUND_TEXT}</p><p>Requested: {path}</p>")
