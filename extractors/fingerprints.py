"""Wappalyzer-format fingerprints (extractors/data/technologies/), loaded and compiled once, lazily.
Their JavaScript regexes are translated to Python `re`; any that cannot be are counted and skipped."""
from __future__ import annotations

import json
import logging
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from extractors.prefilter import PageWords, Prefilter, build_prefilter

log = logging.getLogger(__name__)

DATA = files("extractors").joinpath("data", "technologies")

# Pattern types matched against one string per page (or one per item for script_src).
TEXT_TYPES = {"url": "url", "html": "html", "scripts": "scripts", "css": "css", "scriptSrc": "script_src"}
# Pattern types matched by name: header name, cookie name, meta name -> value patterns.
KEYED_TYPES = ("headers", "cookies", "meta")
# Fields of the format we do not evaluate: they need a browser, DNS or TLS (listed so a count can be logged).
UNSUPPORTED_TYPES = ("dom", "xhr", "dns", "certIssuer", "robots", "text", "magento")

# Upstream bounds `+` and `*` to 250 repetitions for speed (wappalyzer.js parsePattern); we keep its semantics.
MAX_REPEAT = 250
IDENTITY_ESCAPES_KEPT = set("dDwWsSbBfnrtv0123456789")
CLASS_ESCAPES = {"\\d", "\\D", "\\w", "\\W", "\\s", "\\S"}
QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")
HEX2 = re.compile(r"[0-9a-fA-F]{2}")
HEX4 = re.compile(r"[0-9a-fA-F]{4}")
# A js value pattern that only captures "some version" accepts any value; others test a specific value we cannot see.
GENERIC_VALUE = re.compile(r"^[\^$()?+*.\\d\[\]\-\s]*$")


def is_distinctive_global(name: str) -> bool:
    """A global name worth finding in inline script text: short plain words (`core`, `va`) are too often locals."""
    if "." in name:
        return True
    return len(name) >= 3 and not (name.isalpha() and name.islower() and len(name) < 6)


class UntranslatableRegex(ValueError):
    """A JavaScript regex with no Python equivalent (e.g. variable-width lookbehind)."""


def translate_js_regex(source: str) -> str:
    """Translate a JavaScript (non-unicode mode) regex to Python syntax, literals lower-cased.

    Patterns are compiled case-insensitive (upstream's `i` flag); lower-cased literals are what the word
    prefilter (extractors/prefilter.py) looks up.
    """
    out: list[str] = []
    i, n, in_class = 0, len(source), False
    while i < n:
        c = source[i]
        if c == "\\":
            if i + 1 >= n:
                out.append("\\\\")
                break
            d, i = source[i + 1], i + 2
            if d in IDENTITY_ESCAPES_KEPT:
                out.append("\\" + d)
            elif d == "x" and HEX2.match(source, i):
                out.append(re.escape(chr(int(source[i:i + 2], 16)).lower()))
                i += 2
            elif d == "u" and HEX4.match(source, i):
                out.append(re.escape(chr(int(source[i:i + 4], 16)).lower()))
                i += 4
            elif d == "c" and i < n and source[i].isascii() and source[i].isalpha():
                out.append(f"\\x{ord(source[i]) % 32:02x}")
                i += 1
            elif d == "k" and not in_class and source.startswith("<", i) and ">" in source[i:]:
                end = source.index(">", i)
                out.append(f"(?P={source[i + 1:end]})")
                i = end + 1
            else:  # an identity escape (\/, \., \-, or \i which JS reads as i)
                out.append(re.escape(d.lower()))
            continue
        if in_class:
            if c == "]":
                in_class = False
                out.append(c)
            elif c == "-" and (out[-1] in CLASS_ESCAPES or source[i + 1:i + 3] in CLASS_ESCAPES):
                out.append("\\-")  # JS reads `[\d-x]` with a literal `-`; Python calls it a bad range
            else:  # `[`, `&`, `~`, `|` inside a class are literal in JS but reserved for set operations in Python
                out.append("\\" + c if c in "[&~|" else c.lower())
            i += 1
            continue
        if c == "[":
            if source.startswith("[^]", i):
                out.append(r"[\s\S]")
                i += 3
            elif source.startswith("[]", i):
                out.append("(?!)")
                i += 2
            else:
                in_class = True
                out.append("[")
                i += 1
                if source.startswith("^", i):
                    out.append("^")
                    i += 1
            continue
        if c == "(" and source.startswith("(?<", i) and not source.startswith(("(?<=", "(?<!"), i):
            end = source.find(">", i)
            if end == -1:
                raise UntranslatableRegex(source)
            out.append(f"(?P<{source[i + 3:end]}>")
            i = end + 1
            continue
        if c == "{":
            m = QUANTIFIER.match(source, i)
            out.append(m.group() if m else "\\{")
            i = m.end() if m else i + 1
            continue
        if c == "+":
            out.append(f"{{1,{MAX_REPEAT}}}")
        elif c == "*":
            out.append(f"{{0,{MAX_REPEAT}}}")
        elif c == "}":
            out.append("\\}")
        else:
            out.append(c.lower())
        i += 1
    if in_class:
        raise UntranslatableRegex(source)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One parsed pattern: `regex` (None for the empty pattern, which matches anything) and its tags."""

    regex: re.Pattern[str] | None
    confidence: int = 100
    version: str = ""
    source: str = ""
    prefilter: Prefilter = Prefilter()

    def search(self, value: str) -> re.Match[str] | bool | None:
        return True if self.regex is None else self.regex.search(value)


@dataclass(slots=True)
class Fingerprint:
    name: str
    categories: list[str]
    category_ids: set[int]
    implies: list[tuple[str, int, str]] = field(default_factory=list)  # (name, confidence, version)
    excludes: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    requires_category: list[int] = field(default_factory=list)


@dataclass(slots=True)
class WordIndex:
    """Positions of a type's patterns by the word (or word start, or end) they need; `others` need none known."""

    word: dict[bytes, list[int]] = field(default_factory=dict)
    start: dict[bytes, list[int]] = field(default_factory=dict)
    end: dict[bytes, list[int]] = field(default_factory=dict)
    others: list[int] = field(default_factory=list)

    def add(self, position: int, prefilter: Prefilter) -> None:
        if not prefilter.keys:
            self.others.append(position)
        for kind, key in prefilter.keys:
            getattr(self, kind).setdefault(key, []).append(position)

    def candidates(self, page: PageWords) -> list[int]:
        """Positions of the patterns `page` may match (each still to be checked with its prefilter)."""
        found = set(self.others)
        for table, present in ((self.word, page.words), (self.start, page.starts), (self.end, page.ends)):
            for key in present:
                if positions := table.get(key):
                    found.update(positions)
        return sorted(found)


@dataclass(slots=True)
class Fingerprints:
    """The compiled dataset, indexed by what a page offers."""

    technologies: dict[str, Fingerprint] = field(default_factory=dict)
    # type ("url", "html", "scripts", "css", "script_src") -> [(technology, pattern)]
    text: dict[str, list[tuple[str, Pattern]]] = field(default_factory=lambda: {t: [] for t in TEXT_TYPES.values()})
    # type ("headers", "cookies", "meta") -> lower-cased name -> [(technology, pattern)]
    keyed: dict[str, dict[str, list[tuple[str, Pattern]]]] = field(default_factory=lambda: {t: {} for t in KEYED_TYPES})
    cookie_prefixes: list[tuple[str, str, Pattern]] = field(default_factory=list)  # "_ga_*" style names
    js: dict[str, list[tuple[str, Pattern]]] = field(default_factory=dict)  # global name (case-sensitive) -> ...
    # type -> index of its patterns by the words they need, see `WordIndex`
    word_index: dict[str, WordIndex] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)


def parse_pattern(raw: Any, kind: str, stats: Counter[str]) -> Pattern | None:
    """Split `regex\\;confidence:50\\;version:\\1` and compile the regex; None when it cannot be compiled."""
    text = str(raw)
    regex_source, *tags = text.split("\\;")
    attrs = dict(tag.split(":", 1) for tag in tags if ":" in tag)
    try:
        confidence = int(attrs.get("confidence", 100))
    except ValueError:
        confidence = 100
    regex = None
    prefilter = Prefilter()
    if regex_source:
        flags = re.IGNORECASE | (re.MULTILINE if kind == "script_src" else 0)  # srcs are searched newline-joined
        try:
            translated = translate_js_regex(regex_source)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # FutureWarning on odd character classes; the pattern still works
                regex = re.compile(translated, flags)
        except (re.error, UntranslatableRegex, OverflowError, ValueError) as exc:
            stats["untranslatable"] += 1
            log.debug("skipping %s pattern %r: %s", kind, regex_source, exc)
            return None
        if kind in TEXT_TYPES.values():
            prefilter = build_prefilter(translated)
    stats["patterns"] += 1
    return Pattern(regex, confidence, attrs.get("version", ""), text, prefilter)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def merge_entries(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Add our extra patterns to an upstream entry: lists are concatenated, keyed patterns merged."""
    merged = dict(base)
    for key, value in extra.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = {**merged[key], **{k: as_list(merged[key].get(k)) + as_list(v) for k, v in value.items()}}
        elif key in ("cats", "implies", "excludes", "requires", "requiresCategory") or key in TEXT_TYPES:
            merged[key] = as_list(merged[key]) + [v for v in as_list(value) if v not in as_list(merged[key])]
        else:
            merged[key] = value
    return merged


def read_json(name: str) -> Any:
    return json.loads(DATA.joinpath(*name.split("/")).read_text(encoding="utf-8"))


def load_raw() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The upstream technologies (all per-letter files) with our `extra.json` merged in, and the categories."""
    technologies: dict[str, dict[str, Any]] = {}
    for item in sorted(DATA.joinpath("technologies").iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            technologies.update(json.loads(item.read_text(encoding="utf-8")))
    for name, entry in read_json("extra.json").items():
        technologies[name] = merge_entries(technologies.get(name, {}), entry)
    return technologies, read_json("categories.json")


def compile_fingerprints(raw: dict[str, dict[str, Any]], categories: dict[str, Any]) -> Fingerprints:
    fp = Fingerprints()
    stats = fp.skipped
    category_names = {int(k): v.get("name", k) for k, v in categories.items()}
    for name, entry in raw.items():
        cat_ids = [int(c) for c in as_list(entry.get("cats")) if str(c).isdigit()]
        tech = Fingerprint(name, [category_names.get(c, str(c)) for c in cat_ids], set(cat_ids))
        for raw_implied in as_list(entry.get("implies")):
            implied_name, *tags = str(raw_implied).split("\\;")
            attrs = dict(tag.split(":", 1) for tag in tags if ":" in tag)
            confidence = int(attrs["confidence"]) if attrs.get("confidence", "").isdigit() else 100
            tech.implies.append((implied_name, confidence, attrs.get("version", "")))
        tech.excludes = [str(x).split("\\;")[0] for x in as_list(entry.get("excludes"))]
        tech.requires = [str(x).split("\\;")[0] for x in as_list(entry.get("requires"))]
        tech.requires_category = [int(x) for x in as_list(entry.get("requiresCategory")) if str(x).isdigit()]
        fp.technologies[name] = tech

        for field_name, kind in TEXT_TYPES.items():
            for raw_pattern in as_list(entry.get(field_name)):
                if (pattern := parse_pattern(raw_pattern, kind, stats)) is not None:
                    fp.text[kind].append((name, pattern))
        for kind in KEYED_TYPES:
            keyed = entry.get(kind)
            if not isinstance(keyed, dict):
                continue
            for key, raw_patterns in keyed.items():
                for raw_pattern in as_list(raw_patterns):
                    if (pattern := parse_pattern(raw_pattern, kind, stats)) is None:
                        continue
                    key_l = key.lower()
                    if kind == "cookies" and key_l.endswith("*"):
                        fp.cookie_prefixes.append((key_l.rstrip("*"), name, pattern))
                    else:
                        fp.keyed[kind].setdefault(key_l, []).append((name, pattern))
        for key, raw_patterns in (entry.get("js") or {}).items():
            if not is_distinctive_global(key):
                stats["js_generic_name"] += 1
                continue
            for raw_pattern in as_list(raw_patterns):  # a list once extra.json adds to a name
                if not GENERIC_VALUE.match(str(raw_pattern).split("\\;")[0]):
                    stats["js_value_test"] += 1  # needs the runtime value, which a static page does not show
                elif (pattern := parse_pattern(raw_pattern, "js", stats)) is not None:
                    fp.js.setdefault(key, []).append((name, pattern))
        for kind in UNSUPPORTED_TYPES:
            if entry.get(kind):
                stats[f"unsupported_{kind}"] += 1
    for kind, entries in fp.text.items():
        index = fp.word_index[kind] = WordIndex()
        for position, (_, pattern) in enumerate(entries):
            index.add(position, pattern.prefilter)
        stats[f"unindexed_{kind}"] = len(index.others)
    return fp


@cache
def load_fingerprints() -> Fingerprints:
    """Read and compile the shipped dataset once per process."""
    fp = compile_fingerprints(*load_raw())
    log.debug("technology fingerprints: %d technologies, %s", len(fp.technologies), dict(fp.skipped))
    return fp
