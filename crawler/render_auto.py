"""render: auto, decided per URL pattern: which pages are read statically, which are rendered in Chromium.

Pure: no Scrapy, no browser, no database. A page is fetched statically first and rendered only when its static
read is incomplete (a catalog page without a priced product, a review page without reviews, ...) and its pattern's
samples say rendering may add something. What each pattern's samples showed is kept per source across nights
(storage table `render_pattern`), and checked again every night: the first page of a pattern rendered directly is
also fetched statically, and the first incomplete page of a pattern left static is also rendered.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crawler.observations import JobsRead, PageRead, ProductsRead, ReviewsRead, of_type

MAX_PATTERN = 300  # characters of a pattern kept (storage: render_pattern.pattern)
SAMPLES = 3  # pages of one pattern that must agree before the pattern is rendered directly, or left static
MIN_MAIN_TEXT = 200  # characters: a site page with less main text (and no h1) reads as an empty shell
MORE_TEXT = 1.2  # a rendered site page adds when its main text is this much longer (and MIN_MAIN_TEXT more)

# A rendered page without a wait_for is read once the network is idle and then its DOM has not changed for
# DOM_QUIET_MS (a script writing a price after a timer or a late fetch), or after DOM_QUIET_MAX_SECONDS at most
# (never past the timeout): a page that never stops changing is read as it is then, not failed.
DOM_QUIET_MS = 300
DOM_QUIET_MAX_SECONDS = 5
DOM_QUIET_SCRIPT = """({quiet, max}) => new Promise((resolve) => {
  let timer = null, cap = null, observer = null;
  const done = () => { if (observer) observer.disconnect(); clearTimeout(timer); clearTimeout(cap); resolve(true); };
  observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
  observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  timer = setTimeout(done, quiet);
  cap = setTimeout(done, max);
})"""

SAMPLE, JS, STATIC = "sample", "js", "static"  # the decisions
DECISIONS = (SAMPLE, JS, STATIC)

# A path segment that names one item rather than a section: digits in it, a slug of several words, a long token.
_VARIABLE = re.compile(r"\d|[A-Za-z][-_+][A-Za-z0-9]|^[0-9a-fA-F]{12,}$|^.{24,}$")
_EXTENSION = re.compile(r"(\.[A-Za-z0-9]{1,5})$")


def url_pattern(url: str) -> str:
    """The URL's template: variable path segments as `*` (their file extension kept), query keys without values.

    `https://shop.example/products/laser-level-24ft.html?ref=3` -> `/products/*.html?ref`; the host is not part
    of it: patterns are kept per source."""
    parts = urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        if segment and _VARIABLE.search(segment):
            extension = _EXTENSION.search(segment)
            segment = "*" + (extension.group(1).lower() if extension and extension.start() > 0 else "")
        segments.append(segment)
    path = "/".join(segments) or "/"
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return (path + ("?" + "&".join(keys) if keys else ""))[:MAX_PATTERN]


# -- what a page's observations read -------------------------------------------------------------------------------

def _priced(observations: Iterable[Any]) -> int:
    return sum(1 for read in of_type(observations, ProductsRead) for p in read.products if p.price is not None)


def _reviews(observations: Iterable[Any]) -> int:
    return sum(len(read.page.reviews) + (read.page.aggregate_rating is not None)
               for read in of_type(observations, ReviewsRead))


def _jobs(observations: Iterable[Any]) -> int:
    return sum(len(read.jobs) for read in of_type(observations, JobsRead))


def _text(observations: Iterable[Any]) -> tuple[bool, int]:
    """(an h1, characters of main text) of a site page."""
    facts = [read.facts for read in of_type(observations, PageRead)]
    return any(f.h1 for f in facts), max((len(f.main_text or "") for f in facts), default=0)


def _site_read(observations: Iterable[Any]) -> int:
    heading, text = _text(observations)
    return text + (MIN_MAIN_TEXT if heading else 0)


# kind -> how much a page's observations read; a page reading 0 is incomplete
_READS = {"catalog": _priced, "marketplace": _priced, "reviews": _reviews, "jobs": _jobs}


def incomplete(kind: str, observations: Iterable[Any]) -> bool:
    """The static read lacks what the kind is read for: catalog and marketplace no priced product, reviews no
    review and no rating, jobs no posting, site no h1 and little main text. A kind not read from HTML pages
    (ads) is never incomplete: it is never rendered."""
    observations = list(observations)
    if kind == "site":
        heading, text = _text(observations)
        return not heading and text < MIN_MAIN_TEXT
    read = _READS.get(kind)
    return read is not None and read(observations) == 0


def rendering_adds(kind: str, static: Iterable[Any], rendered: Iterable[Any]) -> bool:
    """Rendering read more than the static page: more priced products, reviews or postings; for a site page an
    h1 the static page lacked, or clearly more main text."""
    static, rendered = list(static), list(rendered)
    if kind == "site":
        (had, before), (has, after) = _text(static), _text(rendered)
        return (has and not had) or (after >= before * MORE_TEXT and after - before >= MIN_MAIN_TEXT)
    read = _READS.get(kind)
    return read is not None and read(rendered) > read(static)


# Script types a browser runs; JSON-LD and other data blocks are read statically all the same.
_SCRIPT_TYPES = ("", "text/javascript", "application/javascript", "module", "text/ecmascript",
                 "application/ecmascript")


def runs_scripts(document: Any) -> bool:
    """The page has a script a browser would run (or an onload handler): without one, rendering adds nothing."""
    tree = getattr(document, "tree", None)
    if tree is None:
        return False
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower().split(";")[0] in _SCRIPT_TYPES:
            return True
    return bool(tree.xpath("//*[@onload]"))


# -- per pattern ------------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class PatternStats:
    """What the pages of one URL pattern of one source showed, over nights: pages complete statically, incomplete
    pages that rendering read more of, and incomplete pages it did not. The two flags are tonight's only: a page
    of the pattern was read statically, or rendered (a re-check of a `js` or a `static` pattern is due when not)."""

    static_complete: int = 0
    render_gained: int = 0
    render_no_gain: int = 0
    read_static: bool = False
    rendered: bool = False

    def decision(self) -> str:
        """`js`: render directly (SAMPLES pages all gained, none complete statically); `static`: leave incomplete
        pages static (SAMPLES pages where rendering never gained); else `sample`: render pages read incomplete."""
        if self.render_gained >= SAMPLES and not self.static_complete and not self.render_no_gain:
            return JS
        if self.render_no_gain >= SAMPLES and not self.render_gained:
            return STATIC
        return SAMPLE

    def render_directly(self) -> bool:
        """Fetch a page of the pattern in the browser at once. Not the first of a `js` pattern each night: that one
        is fetched statically too, in case the site no longer needs the browser."""
        if self.decision() != JS:
            return False
        if not self.read_static:
            self.read_static = True
            return False
        self.rendered = True
        return True

    def after_static(self, complete: bool) -> bool:
        """A page of the pattern was read statically: whether to render it as well. A complete read sends a `js`
        pattern back to sampling; an incomplete one is rendered unless the pattern is `static` (then only the
        night's first, as a re-check)."""
        decision = self.decision()
        self.read_static = True
        if complete:
            if decision == JS:
                self._reset()
            self.static_complete += 1
            return False
        if decision == STATIC and self.rendered:
            return False
        self.rendered = True
        return True

    def after_render(self, gained: bool, complete: bool, direct: bool = False) -> None:
        """A page of the pattern was rendered: after its static read (`gained`: rendering read more), or directly
        (`direct`: nothing to compare). A rendered page reading nothing sends a `js` pattern back to sampling, a
        gain sends a `static` one back."""
        decision = self.decision()
        if direct:
            if not complete:
                self._reset()
            return
        if (decision == JS and not complete) or (decision == STATIC and gained):
            self._reset()
        if gained:
            self.render_gained += 1
        else:
            self.render_no_gain += 1

    def _reset(self) -> None:
        self.static_complete = self.render_gained = self.render_no_gain = 0

    def counts(self) -> dict[str, int]:
        return {"static_complete": self.static_complete, "render_gained": self.render_gained,
                "render_no_gain": self.render_no_gain}


class RenderMemory:
    """The patterns of one source: loaded from the nights before, updated by tonight's pages."""

    def __init__(self, known: dict[str, dict[str, int]] | None = None) -> None:
        self.patterns: dict[str, PatternStats] = {
            pattern: PatternStats(**{key: int(counts.get(key) or 0) for key in
                                     ("static_complete", "render_gained", "render_no_gain")})
            for pattern, counts in (known or {}).items()}
        self.touched: set[str] = set()  # patterns with pages tonight: the ones stored again

    def stats(self, pattern: str) -> PatternStats:
        """The pattern's (url_pattern of a page's URL)."""
        self.touched.add(pattern)
        return self.patterns.setdefault(pattern, PatternStats())

    def changed(self) -> dict[str, PatternStats]:
        """The patterns of tonight's pages that have shown something (a page of a pattern never read complete,
        nor rendered, tells nothing)."""
        return {pattern: self.patterns[pattern] for pattern in sorted(self.touched)
                if any(self.patterns[pattern].counts().values())}
