"""Technologies a page uses (analytics, CMS, CDN, libraries), found with Wappalyzer-format fingerprints in
what the HTML, script tags, inline scripts, meta tags, headers and cookies show (no browser)."""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from extractors.document import Document, as_document
from extractors.fingerprints import Fingerprints, Pattern, load_fingerprints
from extractors.prefilter import PageWords
from extractors.records import Technology

log = logging.getLogger(__name__)

# Below this summed confidence a detection is a hint, not a fact (a single `\;confidence:25` pattern):
# reporting it would make technology_added/removed changes flap from night to night.
MIN_CONFIDENCE = 50
# HTML beyond this many characters is not scanned; head and tail are kept because trackers sit at both ends.
MAX_HTML_CHARS = 1_000_000
HTML_TAIL_CHARS = 250_000
MAX_SCRIPT_CHARS = 500_000
MAX_VERSION_CHARS = 15  # upstream ignores longer "versions" (timestamps, hashes)
MAX_EVIDENCE_CHARS = 160
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/x-javascript"}
# Loader snippets (Metrika, GTM, Meta Pixel, VK) inject their script from a URL written in the inline code.
LOADER_URL = re.compile(r"""["']((?:https?:)?//[^"'\s<>]{4,400})["']""")
JS_NOISE = re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""", re.S)
JS_CHAIN = re.compile(r"[\w$.]+", re.ASCII)  # cheap; member accesses (".x") and numbers are dropped after
JS_DECLARATION = re.compile(r"\b(?:var|let|const|function|class)\s+([A-Za-z_$][\w$]*)")
GLOBAL_OBJECTS = {"window", "self", "globalThis", "top", "parent"}
SET_COOKIE_PAIR = re.compile(r"(?:^|,)\s*([^=;,\s]+)=([^;,]*)")
LEADING_INT = re.compile(r"\d+")
LABELS = {"headers": "header", "cookies": "cookie", "meta": "meta"}


@dataclass(slots=True)
class PageSignals:
    """What a page shows; names (header, cookie, meta) lower-cased, values as sent (patterns ignore case)."""

    url: str = ""
    html: str = ""
    script_src: list[str] = field(default_factory=list)
    scripts: str = ""
    css: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)
    cookies: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)
    js_names: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Detection:
    confidence: int = 0
    version: str = ""
    evidence: str = ""


def detect_technologies(body: str | bytes | Document | None, url: str, headers: Mapping[str, object] | None = None
                        ) -> list[Technology]:
    """The technologies `body` (fetched from `url` with response `headers`) shows, sorted by name; [] on bad input."""
    fingerprints = load_fingerprints()
    try:
        doc = as_document(body, url or "", dict(headers or {}))
        # A shared Document may have been built without headers: the ones passed here win.
        signals = collect_signals(doc, url or doc.url, dict(headers) if headers else doc.headers)
        return resolve(fingerprints, match(fingerprints, signals))
    except Exception as exc:  # a hostile page must never stop a crawl: log it, report nothing for this page
        log.warning("technology detection failed on %s: %r", url, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return []


def collect_signals(doc: Document, url: str, headers: Mapping[str, object]) -> PageSignals:
    text = doc.text or ""
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS - HTML_TAIL_CHARS] + "\n" + text[-HTML_TAIL_CHARS:]
    signals = PageSignals(url=url or "", html=text)
    for name, value in headers.items():
        values = [header_text(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        signals.headers[str(name).lower()] = values
        if str(name).lower() == "set-cookie":
            for line in "\n".join(values).splitlines():
                for cookie_name, cookie_value in SET_COOKIE_PAIR.findall(line):
                    signals.cookies.setdefault(cookie_name.lower(), []).append(cookie_value.strip())
    tree = doc.tree if text.strip() else None
    if tree is None:
        return signals
    inline: list[str] = []
    styles: list[str] = []
    for el in tree.iter("script", "meta", "style"):
        if el.tag == "script":
            src = el.get("src")
            if src and src.strip():
                signals.script_src.append(src.strip())
            elif (el.get("type") or "").strip().lower() in JS_TYPES and el.text:
                inline.append(el.text)
        elif el.tag == "meta":
            key = el.get("name") or el.get("property")
            if key:
                signals.meta.setdefault(key.strip().lower(), []).append(el.get("content") or "")
        elif el.text:
            styles.append(el.text)
    script_text = "\n".join(inline)[:MAX_SCRIPT_CHARS]
    signals.scripts = script_text
    signals.css = "\n".join(styles)[:MAX_SCRIPT_CHARS]
    signals.script_src.extend(u for u in LOADER_URL.findall(signals.scripts) if ".js" in u or "/js" in u)
    signals.js_names = global_names(script_text)
    return signals


def header_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return "" if value is None else str(value)


def global_names(script_text: str) -> set[str]:
    """Dotted names the inline code refers to (`_fbq`, `VK.Retargeting.Init` and each prefix), strings removed."""
    names: set[str] = set()
    code = JS_NOISE.sub(" ", script_text)
    for chain in set(JS_CHAIN.findall(code)):
        if chain[0] == "." or chain[0].isdigit():
            continue
        parts = chain.split(".")[:6]
        if not all(parts):  # "a..b", "a."
            parts = parts[:parts.index("")]
        if parts[0] in GLOBAL_OBJECTS and len(parts) > 1:
            parts = parts[1:]
        for k in range(1, len(parts) + 1):
            names.add(".".join(parts[:k]))
    # A name the page declares itself (`var List = []`) is the page's own variable, not a library's global.
    return names.difference(JS_DECLARATION.findall(code))


class Matches:
    """Detections accumulated over a page: summed confidence, the best version, the first evidence."""

    def __init__(self) -> None:
        self.found: dict[str, Detection] = defaultdict(Detection)

    def add(self, tech: str, pattern: Pattern, m: re.Match[str] | bool, evidence: str) -> None:
        detection = self.found[tech]
        detection.confidence = min(100, detection.confidence + pattern.confidence)
        version = resolve_version(pattern.version, m)
        if better_version(version, detection.version):
            detection.version = version
        if not detection.evidence:
            detection.evidence = " ".join(evidence.split())[:MAX_EVIDENCE_CHARS]

    def add_first(self, tech: str, pattern: Pattern, values: Iterable[str], label: str) -> None:
        for value in values:
            if m := pattern.search(value):
                self.add(tech, pattern, m, f"{label}: {value}")
                return


def match(fp: Fingerprints, page: PageSignals) -> dict[str, Detection]:
    matches = Matches()
    for kind, value in (("url", page.url), ("html", page.html), ("scripts", page.scripts), ("css", page.css)):
        if not value:
            continue
        for tech, pattern in candidates(fp, kind, value):
            if m := pattern.search(value):
                matches.add(tech, pattern, m, f"{kind}: {matched_text(m, value)}")
    if page.script_src:
        joined = "\n".join(page.script_src)
        for tech, pattern in candidates(fp, "script_src", joined):
            if pattern.search(joined):  # one search over all srcs; then find which src it was
                matches.add_first(tech, pattern, page.script_src, "script")
    for kind, items in (("headers", page.headers), ("cookies", page.cookies), ("meta", page.meta)):
        index = fp.keyed[kind]
        for name, values in items.items():
            for tech, pattern in index.get(name, ()):
                matches.add_first(tech, pattern, values, f"{LABELS[kind]} {name}")
    for name, values in page.cookies.items():
        for prefix, tech, pattern in fp.cookie_prefixes:
            if name.startswith(prefix):
                matches.add_first(tech, pattern, values, f"cookie {name}")
    for name in page.js_names:
        for tech, pattern in fp.js.get(name, ()):
            matches.add(tech, pattern, True, f"js: {name}")
    return matches.found


def candidates(fp: Fingerprints, kind: str, value: str) -> list[tuple[str, Pattern]]:
    """The patterns of `kind` whose required words `value` has, in dataset order."""
    entries = fp.text[kind]
    words = PageWords(value)
    return [entries[p] for p in fp.word_index[kind].candidates(words) if entries[p][1].prefilter.passes(words)]


def matched_text(m: re.Match[str] | bool, value: str) -> str:
    if isinstance(m, re.Match):
        return m.group(0) or value[m.start():m.start() + 40]
    return value[:40]


def resolve_version(template: str, m: re.Match[str] | bool | None) -> str:
    """Fill a `\\;version:` template: `\\1` back-references and the `\\1?yes:no` ternary (wappalyzer.js rules)."""
    if not template:
        return ""
    groups = [m.group(0), *m.groups()] if isinstance(m, re.Match) else [""]
    resolved = template
    for index, group in enumerate(groups):
        ternary = re.search(re.escape(f"\\{index}") + r"\?([^:]+):(.*)$", resolved)
        if ternary:
            resolved = resolved.replace(ternary.group(0), ternary.group(1) if group else ternary.group(2), 1)
        resolved = resolved.strip().replace(f"\\{index}", group or "")
    return re.sub(r"\\\d", "", resolved).strip()


def better_version(candidate: str, current: str) -> bool:
    """Upstream keeps the longest plausible version: at most 15 characters and not a timestamp-like number."""
    if len(candidate) <= len(current) or len(candidate) > MAX_VERSION_CHARS:
        return False
    leading = LEADING_INT.match(candidate)
    return not leading or int(leading.group()) < 10000


def resolve(fp: Fingerprints, found: dict[str, Detection]) -> list[Technology]:
    """Apply requires, excludes and implies as wappalyzer.js does, then keep what is confident enough."""
    techs = fp.technologies
    found = {name: d for name, d in found.items() if name in techs}
    detected_categories = {c for name in found for c in techs[name].category_ids}
    for name in list(found):
        tech = techs[name]
        if any(r not in found for r in tech.requires) or (
                tech.requires_category and not detected_categories.intersection(tech.requires_category)):
            del found[name]
    for name in list(found):
        for excluded in techs[name].excludes if name in found else ():
            found.pop(excluded, None)
    pending = list(found)
    while pending:
        parent = pending.pop()
        for implied, confidence, version in techs[parent].implies:
            if implied in techs and implied not in found:
                found[implied] = Detection(min(found[parent].confidence, confidence), version,
                                           f"implied by {parent}")
                pending.append(implied)
    return [
        Technology(name=name, categories=list(techs[name].categories), version=d.version or None, evidence=d.evidence)
        for name, d in sorted(found.items(), key=lambda item: item[0].casefold())
        if d.confidence >= MIN_CONFIDENCE
    ]
