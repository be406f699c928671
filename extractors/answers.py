"""What a remote answer is, by its first bytes: for the one line that says a feed, an API answer or an export was
something else ("it answered an HTML page"). Pure: bytes in, a phrase out."""
from __future__ import annotations

SNIFFED = 512  # bytes looked at: enough for a doctype, an XML declaration and a root element


def what_it_is(data: bytes) -> str:
    """"an HTML page", "JSON", "XML", "nothing" or "something else", for "it answered …"."""
    head = data[:SNIFFED].lstrip().lower()
    if not head:
        return "nothing"
    if b"<html" in head or b"<!doctype html" in head:
        return "an HTML page"
    if head[:1] in (b"{", b"["):
        return "JSON"
    if head[:1] == b"<":
        return "XML"
    return "something else"
