"""Challenge and bot-wall pages: a 200 whose body is a captcha, a "Just a moment…" check or an "Access denied"
template instead of the page asked for. Reading one as the page would store an empty catalog or a changed text.

A page is taken for one only when it is thin (little visible text, as such templates are) and shows one of: a
marker that only anti-bot services put in their own pages, a block phrase in its title or first heading, or a
captcha widget beside a robot phrase (a widget alone is an ordinary contact form). The phrase tables live in
`extractors/phrases.py`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import lxml.etree

from extractors.document import Document, as_document
from extractors.phrases import (
    BLOCK_TITLE_PHRASES, CAPTCHA_WIDGET_MARKERS, CHALLENGE_PLATFORM_MARKERS, ROBOT_PHRASES,
)

log = logging.getLogger(__name__)

MAX_CHALLENGE_CHARS = 512 * 1024  # challenge templates are small; a larger page is a page
THIN_TEXT_CHARS = 2000  # visible text of a challenge page at most (Cloudflare's: ~300, Yandex's captcha: ~600)
_TITLE = lxml.etree.XPath("string((//title)[1])")
_HEADING = lxml.etree.XPath("string((//h1 | //h2)[1])")


@dataclass(frozen=True, slots=True)
class Challenge:
    """Why a page is taken for a challenge: `evidence` names the service, widget or title seen
    (`Cloudflare challenge, "Just a moment..."`); `captcha` says it asks to prove a human is there."""

    evidence: str
    captcha: bool

    def describe(self) -> str:
        return f"{self.evidence} ({'captcha' if self.captcha else 'bot-wall'} page)"


def challenge_page(body: str | bytes | Document | None, url: str = "") -> Challenge | None:
    """What shows that the page is a challenge or bot wall, or None for an ordinary page. Never raises on bad
    input."""
    try:
        document = as_document(body, url)
        if document.tree is None or len(document.text) > MAX_CHALLENGE_CHARS:
            return None
        return _evidence(document)
    except (ValueError, TypeError, lxml.etree.LxmlError) as exc:  # the contract of extractors: bad input, no answer
        log.debug("challenge check failed on %s: %r", url, exc)
        return None


def _evidence(document: Document) -> Challenge | None:
    tree = document.tree
    lowered = document.text.lower()
    platform = next((name for marker, name in CHALLENGE_PLATFORM_MARKERS if marker in lowered), None)
    title = _fold(str(_TITLE(tree))) or _fold(str(_HEADING(tree)))
    phrase = next((p for p in BLOCK_TITLE_PHRASES if p in title.lower()), None)
    widget = next((name for marker, name in CAPTCHA_WIDGET_MARKERS if marker in lowered), None)
    if platform is None and phrase is None and widget is None:
        return None
    text = _fold(document.visible_text)
    if len(text) > THIN_TEXT_CHARS:
        return None  # a real page that happens to carry a captcha form or mention one
    asks = any(p in text.lower() for p in ROBOT_PHRASES)
    if platform is None and phrase is None and not asks:
        return None  # a captcha widget on a small page that does not ask whether we are a robot: a form
    widget = widget if (asks or phrase or platform) else None
    evidence = [name for name in (platform, widget) if name]
    if phrase is not None:
        evidence.append(f'"{title[:80]}"')
    captcha = bool(widget or asks or (platform and "captcha" in platform.lower()) or "captcha" in title.lower()
                   or (platform or "").startswith("Cloudflare challenge"))
    return Challenge(", ".join(dict.fromkeys(evidence)), captcha)


def _fold(text: str) -> str:
    return " ".join(text.replace("\u2026", "...").split())
