"""A cheap necessary test for a regex (the words it cannot match without, looked up in a page's word index),
so that of ~2,500 fingerprint regexes only the few a page could match are run on it."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from re import _constants as sre  # the stdlib's own regex parser: the one that reads patterns exactly as `re` does
from re import _parser as sre_parse

log = logging.getLogger(__name__)

WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
LOWER = bytes(b + 32 if 65 <= b <= 90 else b for b in range(256))  # ASCII lower-casing of UTF-8 bytes
# Every byte but a-z/0-9 separates words; A-Z are lower-cased on the way.
SEPARATE = bytes(LOWER[b] if LOWER[b] in WORD_BYTES else 0x20 for b in range(256))
WORD = re.compile(r"[a-z0-9]+")
KEY_CHARS = 4  # a pattern may be indexed under the first or last 4 characters of a word it needs
MIN_GATE_CHARS = 5  # shorter literals are in most pages: a substring test would cost without sparing the regex
# Words on nearly every page: a pattern is never indexed under one, and they count little in choosing a test.
COMMON_WORDS = frozenset(
    b"http https www com net org js css min html htm src href script div class link meta content name id type "
    b"text javascript rel stylesheet img span data static assets cdn api jquery the by".split()
)
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))
BOUNDARY_ATS = (sre.AT_BEGINNING, sre.AT_BEGINNING_LINE, sre.AT_BEGINNING_STRING, sre.AT_END, sre.AT_END_LINE,
                sre.AT_END_STRING, sre.AT_BOUNDARY, sre.AT_UNI_BOUNDARY)
NON_WORD_CATEGORIES = (sre.CATEGORY_SPACE, sre.CATEGORY_NOT_WORD, sre.CATEGORY_UNI_SPACE, sre.CATEGORY_UNI_NOT_WORD,
                       sre.CATEGORY_LINEBREAK, sre.CATEGORY_UNI_LINEBREAK)


class PageWords:
    """A text's distinct words (ASCII lower-cased), their 4-character starts and ends, and the words joined by
    spaces for prefix and suffix tests."""

    __slots__ = ("raw", "words", "joined", "starts", "ends", "_lowered")

    def __init__(self, text: str):
        self.raw = text.encode("utf-8", "replace")
        self.words = set(self.raw.translate(SEPARATE).split())
        self.joined = b" " + b" ".join(self.words) + b" "
        self.starts = {w[:KEY_CHARS] for w in self.words if len(w) >= KEY_CHARS}
        self.ends = {w[-KEY_CHARS:] for w in self.words if len(w) >= KEY_CHARS}
        self._lowered: bytes | None = None

    @property
    def lowered(self) -> bytes:
        if self._lowered is None:
            self._lowered = self.raw.translate(LOWER)
        return self._lowered


@dataclass(frozen=True, slots=True)
class Needle:
    """A word the text must hold: whole (`starts` and `ends` at separators), or as a word's start, end or part."""

    word: bytes
    starts: bool
    ends: bool

    @property
    def whole(self) -> bool:
        return self.starts and self.ends

    @property
    def probe(self) -> bytes:
        """What to look for in `PageWords.joined` when the word need not be whole."""
        return (b" " if self.starts else b"") + self.word + (b" " if self.ends else b"")

    @property
    def score(self) -> int:
        if self.word in COMMON_WORDS or len(self.word) <= 2:
            return 1
        return len(self.word) + (3 if self.whole else 0)


@dataclass(frozen=True, slots=True)
class Alternative:
    literal: str  # a run of literal characters the regex needs, lower-cased
    needles: tuple[Needle, ...]

    @property
    def score(self) -> int:
        return max((n.score for n in self.needles), default=0)


Requirement = tuple[Alternative, ...]  # any one of its alternatives must be found


@dataclass(frozen=True, slots=True)
class Prefilter:
    """All `requirements` must hold for the regex to match; `keys` index the pattern by what it needs."""

    requirements: tuple[Requirement, ...] = ()
    # ("word" | "start" | "end", bytes) for each alternative of one requirement: the pattern is worth testing
    # only on a page with one of them (a whole word, or a word starting or ending with the 4 bytes).
    keys: tuple[tuple[str, bytes], ...] = ()
    # Per requirement, alternatives of (whole words, probes of `joined`), for speed.
    checks: tuple[tuple[tuple[frozenset[bytes], tuple[bytes, ...]], ...], ...] = ()
    # Literals of the best requirement, searched in the page itself before a regex that has no literal prefix
    # (`<[^>]+…`) is run: such a regex costs milliseconds on a large page, a substring test microseconds.
    gate: tuple[bytes, ...] = ()

    def passes(self, page: PageWords) -> bool:
        words, joined = page.words, page.joined
        for alternatives in self.checks:
            for whole, probes in alternatives:
                if whole <= words and all(p in joined for p in probes):
                    break
            else:
                return False
        return not self.gate or any(literal in page.lowered for literal in self.gate)


def needle_key(alt: Alternative) -> tuple[str, bytes] | None:
    """The most selective index key of an alternative: a whole uncommon word, else a word's start or end."""
    whole = [n.word for n in alt.needles if n.whole and n.score > 1]
    if whole:
        return ("word", max(whole, key=len))
    starts = [n.word for n in alt.needles if n.starts and len(n.word) >= KEY_CHARS]
    if starts:
        return ("start", max(starts, key=len)[:KEY_CHARS])
    ends = [n.word for n in alt.needles if n.ends and len(n.word) >= KEY_CHARS]
    if ends:
        return ("end", max(ends, key=len)[-KEY_CHARS:])
    return None


def index_keys(reqs: list[Requirement]) -> tuple[tuple[str, bytes], ...]:
    for req in reqs:
        keys = [needle_key(alt) for alt in req]
        if all(keys):
            return tuple(dict.fromkeys(keys))  # type: ignore[arg-type]
    return ()


def literal_needles(literal: str, starts: bool, ends: bool) -> tuple[Needle, ...]:
    return tuple(Needle(m.group().encode(), starts or m.start() > 0, ends or m.end() < len(literal))
                 for m in WORD.finditer(literal))


def requirement_score(req: Requirement) -> int:
    return min((alt.score for alt in req), default=0)


def is_separator_op(op: object, av: object) -> bool:
    """Whether this regex item can only match a non-word character (or a text edge)."""
    if op is sre.AT:
        return av in BOUNDARY_ATS
    if op is sre.LITERAL:
        return av not in WORD_BYTES
    if op is sre.IN:
        for item_op, item_av in av:
            if item_op is sre.LITERAL and item_av not in WORD_BYTES:
                continue
            if item_op is sre.RANGE and not any(item_av[0] <= b <= item_av[1] for b in WORD_BYTES):
                continue
            if item_op is sre.CATEGORY and item_av in NON_WORD_CATEGORIES:
                continue
            return False  # a word character, or NEGATE
        return True
    return False


def sequence_requirements(items: Iterable[tuple[object, object]]) -> list[Requirement]:
    """What a regex sequence needs, as requirements that must all hold; optional parts need nothing."""
    reqs: list[Requirement] = []
    run: list[str] = []
    run_starts = previous_separates = False

    def flush(ends: bool) -> None:
        if run:
            literal = "".join(run)
            if needles := literal_needles(literal, run_starts, ends):
                reqs.append((Alternative(literal, needles),))
            run.clear()

    for op, av in items:
        if op is sre.LITERAL:
            if not run:
                run_starts = previous_separates
            run.append(chr(av))
            previous_separates = av not in WORD_BYTES
            continue
        separates = is_separator_op(op, av)
        flush(separates)
        previous_separates = separates
        if op is sre.SUBPATTERN:
            reqs.extend(sequence_requirements(av[-1]))
        elif op in REPEATS and av[0] >= 1:
            reqs.extend(sequence_requirements(av[2]))
        elif op is getattr(sre, "ATOMIC_GROUP", None):
            reqs.extend(sequence_requirements(av))
        elif op is sre.BRANCH:
            alternatives: list[Alternative] = []
            for branch in av[1]:
                branch_reqs = sequence_requirements(branch)
                if not branch_reqs:  # a branch that needs nothing: the whole alternation needs nothing
                    alternatives = []
                    break
                alternatives.extend(max(branch_reqs, key=requirement_score))
            if alternatives:
                reqs.append(tuple(alternatives))
    flush(False)
    return reqs


def build_prefilter(python_regex: str, max_requirements: int = 3) -> Prefilter:
    """The prefilter of a translated, lower-cased regex; an empty one (always passes) when nothing is required."""
    try:
        parsed = sre_parse.parse(python_regex)
    except (re.error, RecursionError, OverflowError) as exc:
        log.debug("no prefilter for %r: %s", python_regex, exc)
        return Prefilter()
    every = sorted(sequence_requirements(parsed.data), key=requirement_score, reverse=True)
    reqs = [r for r in every if requirement_score(r) > 0][:max_requirements]
    if not reqs:
        return Prefilter()
    checks = tuple(
        tuple((frozenset(n.word for n in alt.needles if n.whole),
               tuple(n.probe for n in alt.needles if not n.whole)) for alt in req)
        for req in reqs
    )
    data = parsed.data
    literal_prefix = len(data) >= 2 and data[0][0] is sre.LITERAL and data[1][0] is sre.LITERAL
    gate: tuple[bytes, ...] = ()
    if not literal_prefix:
        gate = gate_literals(every)
    return Prefilter(tuple(reqs), index_keys(reqs), checks, gate)


def gate_literals(reqs: list[Requirement]) -> tuple[bytes, ...]:
    """The literals of the requirement most worth a substring test: long, and not just common markup."""
    def strength(req: Requirement) -> int:  # a literal that is one common word (`href=`, `<link`) is worthless
        return min(0 if len(alt.needles) == 1 and alt.needles[0].score == 1 else len(alt.literal) for alt in req)

    usable = [r for r in reqs if all(alt.literal.isascii() for alt in r)]
    best = max(usable, key=strength, default=None)
    if best is None or strength(best) < MIN_GATE_CHARS:
        return ()
    return tuple(dict.fromkeys(alt.literal.encode() for alt in best))
