"""Public procurement notices naming a competitor as a bidder or winner (kind: tenders), from two public formats:
the TED API v3 search answer (JSON, `https://api.ted.europa.eu/v3/notices/search`: eForms business-term fields per
notice) and the Russian EIS's (zakupki.gov.ru) 44-FZ contract export (XML, `export/contract`). `parse_tenders`
reads the bytes into notices with their parties; `tenders` keeps those naming the competitor by a legal name or a
tax id. No I/O: bytes and a URL in, frozen records out.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from dossier.urls import web_link
from extractors.answers import what_it_is
from extractors.legal_forms import LEGAL_FORMS
from extractors.records import Tender

log = logging.getLogger(__name__)

FORMATS = ("ted", "eis")
FORMAT_NAMES = {"ted": "a TED API v3 search answer (JSON)",
                "eis": "an EIS (zakupki.gov.ru) 44-FZ export document (XML)"}
MAX_TEXT = 500  # characters of a title or buyer kept
MAX_NOTICES = 10_000  # notices read from one answer at most; the rest are not read (a page of TED's answer is 250)
MAX_VALUE = Decimal("999999999999.99")  # larger is a mistake in the notice (and would not fit storage's MONEY)
TED_NOTICE_URL = "https://ted.europa.eu/en/notice/-/detail/{}"
TED_NUMBER = re.compile(r"^\d{1,8}-\d{4}$")  # a publication number: 123456-2026
EIS_NUMBER = re.compile(r"^\d{10,25}$")  # a contract's registry number (regNum), a purchase's notification number
CURRENCY = re.compile(r"^[A-Z]{3}$")
EIS_CURRENCY = "RUB"  # 44-FZ prices are in roubles unless priceInfo/currency/code says otherwise


@dataclass(frozen=True, slots=True)
class Party:
    """A company a notice names: as a winner (awarded, the contract's supplier) or only as a tenderer."""

    name: str | None
    tax_id: str | None
    winner: bool


@dataclass(frozen=True, slots=True)
class Notice:
    """One procurement notice (TED) or contract (EIS) with every party it names."""

    notice_id: str
    fmt: str
    title: str | None
    buyer: str | None
    value: Decimal | None
    currency: str | None
    published: date | None
    awarded: date | None
    url: str | None
    parties: tuple[Party, ...] = ()


@dataclass(frozen=True, slots=True)
class TenderFeed:
    """An answer read: its notices, or `error` (one line) with none when the bytes are not the format."""

    notices: list[Notice] = field(default_factory=list)
    error: str | None = None


class _NotTheFormat(ValueError):
    """Raised inside a parser; `parse_tenders` turns it into TenderFeed.error."""


def parse_tenders(body: bytes | str | None, url: str, fmt: str) -> TenderFeed:
    """The notices of a TED search answer (`fmt` "ted") or an EIS 44-FZ export (`fmt` "eis"), in document order.
    Bytes that are not that format (an HTML error page, other JSON or XML, a document cut short, a notice without
    its number) give no notices and a one-line `error`: nothing of such an answer is half read. Never raises."""
    if fmt not in FORMATS:
        return TenderFeed(error=f"format {fmt!r} is not read: give format: {' or '.join(FORMATS)}")
    if body is None or not body:
        return TenderFeed(error=f"{url} answered nothing, not {FORMAT_NAMES[fmt]}")
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        notices = _ted(data, url) if fmt == "ted" else _eis(data, url)
    except _NotTheFormat as exc:
        return TenderFeed(error=f"{url}: {exc}")
    except (RecursionError, MemoryError) as exc:  # a document nested or sized to exhaust the parser
        return TenderFeed(error=f"{url} could not be read as {FORMAT_NAMES[fmt]} ({type(exc).__name__})")
    unique: dict[str, Notice] = {}
    for notice in notices:
        unique.setdefault(notice.notice_id, notice)
    return TenderFeed(notices=list(unique.values()))


# -- TED API v3's search is a POST of its query, fields and limit (docs.ted.europa.eu, "TED Search API") --------
TED_SEARCH_PATH = "/v3/notices/search"
# the fields _ted reads, asked for when the source's URL names none
TED_FIELDS = ("publication-number", "publication-date", "notice-type", "notice-title", "buyer-name", "winner-name",
              "winner-identifier", "winner-decision-date", "organisation-name-tenderer",
              "organisation-identifier-tenderer", "total-value", "total-value-cur", "result-value-notice",
              "result-value-cur-notice", "links")
TED_LIMIT = 250  # notices a page of TED's answer holds at most


def ted_search_body(url: str) -> bytes | None:
    """The JSON body of the POST a TED API v3 search URL stands for: its parameters `query` (TED's expert query,
    required), `fields` (comma-separated; default the fields read here), `limit`, `page` and `scope` as TED's
    search takes them. None when the URL is no TED search with a query (a saved answer, another address: asked with
    GET)."""
    split = urlsplit(url)
    if not split.path.rstrip("/").endswith(TED_SEARCH_PATH):
        return None
    params = dict(parse_qsl(split.query))
    query = params.get("query", "").strip()
    if not query:
        return None
    fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()] or list(TED_FIELDS)
    body: dict[str, Any] = {"query": query, "fields": fields, "limit": _whole(params.get("limit"), TED_LIMIT),
                            "page": _whole(params.get("page"), 1), "paginationMode": "PAGE_NUMBER"}
    if params.get("scope"):
        body["scope"] = params["scope"]
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _whole(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else default


# -- TED API v3: {"notices": [{"publication-number": ..., "buyer-name": {"deu": [...]}, ...}], "totalNoticeCount"} --
def _ted(data: bytes, url: str) -> list[Notice]:
    try:
        answer = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _NotTheFormat(f"not {FORMAT_NAMES['ted']} (it answered {what_it_is(data)})") from None
    if not isinstance(answer, dict):
        raise _NotTheFormat(f"not {FORMAT_NAMES['ted']} (JSON without \"notices\")")
    if "notices" not in answer and isinstance(answer.get("message"), str):  # the API's own error answer
        kind = answer.get("error", {}).get("type") if isinstance(answer.get("error"), dict) else None
        raise _NotTheFormat(f"the TED API answered an error{f' ({kind})' if isinstance(kind, str) else ''}: "
                            f"{_one_line(answer['message'])}")
    notices = answer.get("notices")
    if not isinstance(notices, list):
        raise _NotTheFormat(f"not {FORMAT_NAMES['ted']} (JSON without a \"notices\" list)")
    if answer.get("timedOut") is True:  # TED gave up part-way: what came back may be half of it
        raise _NotTheFormat("the TED API timed out on this search (\"timedOut\": true): nothing of it was stored; "
                            "narrow the query")
    read = []
    for position, raw in enumerate(notices[:MAX_NOTICES], start=1):
        if not isinstance(raw, dict):
            raise _NotTheFormat(f"notice {position} of the TED answer is not an object")
        number = raw.get("publication-number")
        number = number[0] if isinstance(number, list) and number else number
        if not isinstance(number, str) or not TED_NUMBER.match(number.strip()):
            raise _NotTheFormat(f"notice {position} of the TED answer has no publication-number (e.g. 123456-2026): "
                                "ask for the field in the search's \"fields\"")
        number = number.strip()
        value, currency = _ted_value(raw)
        parties = (_ted_parties(raw, "winner-name", "winner-identifier", winner=True)
                   + _ted_parties(raw, "organisation-name-tenderer", "organisation-identifier-tenderer", winner=False))
        read.append(Notice(
            notice_id=number, fmt="ted", title=_text(_first_language(raw.get("notice-title"))),
            buyer=_text(_first_language(raw.get("buyer-name"))), value=value, currency=currency,
            published=_date(raw.get("publication-date")), awarded=_date(raw.get("winner-decision-date")),
            url=_ted_link(raw.get("links"), url) or TED_NOTICE_URL.format(number), parties=parties))
    return read


def _first_language(value: Any) -> Any:
    """A multilingual field ({"deu": [...], "eng": [...]}) in its first language, as the answer orders them."""
    if isinstance(value, dict):
        return next(iter(value.values()), None)
    return value


def _all_languages(value: Any) -> list[list[str]]:
    """Each language's list of names of a multilingual field (its names in the same order in each language)."""
    lists = value.values() if isinstance(value, dict) else [value]
    return [_strings(names) for names in lists]


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _ted_parties(raw: dict, names_field: str, ids_field: str, winner: bool) -> tuple[Party, ...]:
    """The organisations of one role: names (per language) and identifiers pair by position, as TED lists them."""
    ids = _strings(raw.get(ids_field))
    languages = [names for names in _all_languages(raw.get(names_field)) if names]
    parties = [Party(name=None, tax_id=i, winner=winner) for i in ids] if not languages else []
    for names in languages:
        for position in range(max(len(names), len(ids))):
            parties.append(Party(name=names[position] if position < len(names) else None,
                                 tax_id=ids[position] if position < len(ids) else None, winner=winner))
    return tuple(dict.fromkeys(parties))


def _ted_value(raw: dict) -> tuple[Decimal | None, str | None]:
    for value_field, currency_field in (("total-value", "total-value-cur"),
                                        ("result-value-notice", "result-value-cur-notice")):
        value = _decimal(_single(raw.get(value_field)))
        currency = _single(raw.get(currency_field))
        if value is not None:
            currency = currency.strip().upper() if isinstance(currency, str) else None
            return value, currency if currency and CURRENCY.match(currency) else None
    return None, None


def _ted_link(links: Any, base: str) -> str | None:
    html = links.get("html") if isinstance(links, dict) else None
    if not isinstance(html, dict):
        return None
    for language in ("ENG", *html):
        candidate = html.get(language)
        link = web_link(candidate, base) if isinstance(candidate, str) else None
        if link:
            return link
    return None


# -- EIS 44-FZ export: <export><contract><regNum/><customer/><priceInfo/><suppliers/>...</contract></export> -------
def _eis(data: bytes, url: str) -> list[Notice]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        what = what_it_is(data)
        raise _NotTheFormat(f"not {FORMAT_NAMES['eis']} (it answered {what})" if what != "XML" else
                            "an EIS document that is not well-formed XML: nothing of it was stored") from None
    if root is None or _local(root) != "export":
        raise _NotTheFormat(f"not {FORMAT_NAMES['eis']} (its root is <{_local(root) if root is not None else ''}>, "
                            "not <export>)")
    contracts = [child for child in root if _local(child) == "contract"]
    if not contracts and len(root):
        raise _NotTheFormat(f"an EIS export without a <contract> (it holds <{_local(root[0])}>): only 44-FZ "
                            "contracts are read")
    read = []
    for position, contract in enumerate(contracts[:MAX_NOTICES], start=1):
        number = _child_text(contract, "regNum")
        if number is None or not EIS_NUMBER.match(number):
            raise _NotTheFormat(f"contract {position} of the EIS export has no registry number (regNum)")
        price = _child(contract, "priceInfo")
        value = _decimal(_child_text(price, "price")) if price is not None else None
        code = _path_text(price, "currency", "code") if price is not None else None
        currency = code.upper() if code and CURRENCY.match(code.upper()) else (EIS_CURRENCY if value is not None
                                                                                else None)
        customer = _child(contract, "customer")
        title = _path_text(contract, "products", "product", "name")  # the first product's, as the registry's card
        parties = tuple(dict.fromkeys(_eis_supplier(s) for s in contract.iter()
                                      if isinstance(s.tag, str) and _local(s) in ("supplier", "supplierInfo")))
        read.append(Notice(
            notice_id=number, fmt="eis", title=_text(title),
            buyer=_text(_child_text(customer, "fullName")) if customer is not None else None,
            value=value, currency=currency, published=_date(_child_text(contract, "publishDate")),
            awarded=_date(_child_text(contract, "signDate")),
            url=web_link(_child_text(contract, "href"), url),
            parties=tuple(p for p in parties if p.name or p.tax_id)))
    return read


def _eis_supplier(element) -> Party:
    """A supplier: its full name (a legal entity's fullName, an older schema's organizationName) and INN."""
    name = None
    for tag in ("fullName", "organizationName", "shortName"):
        name = _descendant_text(element, tag)
        if name:
            break
    inn = next((_clean(e.text) for e in element.iter() if isinstance(e.tag, str) and _local(e).lower() == "inn"
                and _clean(e.text)), None)
    return Party(name=_text(name), tax_id=inn, winner=True)


def _local(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rpartition("}")[2]


def _child(element, name: str):
    return next((c for c in element if _local(c) == name), None) if element is not None else None


def _child_text(element, name: str) -> str | None:
    child = _child(element, name)
    return _clean(child.text) if child is not None else None


def _path_text(element, *names: str) -> str | None:
    for name in names:
        element = _child(element, name)
        if element is None:
            return None
    return _clean(element.text)


def _descendant_text(element, name: str) -> str | None:
    return next((_clean(e.text) for e in element.iter() if isinstance(e.tag, str) and _local(e) == name
                 and _clean(e.text)), None)


def _clean(text: str | None) -> str | None:
    return " ".join(text.split()) or None if isinstance(text, str) else None


# -- values shared by both formats --------------------------------------------------------------------------------
def _single(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value).strip().replace(" ", ""))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0 or number > MAX_VALUE:
        return None
    return number.quantize(Decimal("0.01"))


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _date(value: Any) -> date | None:
    """The calendar date a notice gives ("2026-11-20+01:00", "2026-11-20T10:00:00+03:00"): as written, in the
    publisher's own time zone, which is the day the notice names."""
    value = _single(value)
    match = _DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    value = _single(value)
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return (text[:MAX_TEXT - 1].rstrip() + "…" if len(text) > MAX_TEXT else text) or None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


# -- which notices name the competitor ----------------------------------------------------------------------------
_QUOTES = re.compile(r"[«»\"'„“”‚‘’`]")
_SEPARATORS = re.compile(r"[\s,;:()\[\]/]+")


def normal_name(name: str) -> str:
    """A company name compared without case, quotes, dots or its legal form at either end: "ООО «ГрузоВоз»" and
    "Грузовоз" are one name, as are "Kranrad GmbH" and "KRANRAD G.m.b.H."."""
    text = _QUOTES.sub(" ", name.casefold().replace("ё", "е")).replace(".", "")
    words = [w for w in _SEPARATORS.split(text) if w]
    changed = True
    while changed and len(words) > 1:
        changed = False
        for size in range(min(5, len(words) - 1), 0, -1):
            if " ".join(words[-size:]) in LEGAL_FORMS:
                words, changed = words[:-size], True
                break
            if " ".join(words[:size]) in LEGAL_FORMS:
                words, changed = words[size:], True
                break
    return " ".join(words)


_NOT_ID = re.compile(r"[^0-9A-Z]")
_VAT_PREFIX = re.compile(r"^[A-Z]{2}(?=[0-9A-Z]*\d)")


def normal_tax_id(value: str) -> str:
    """A tax id compared without spaces, dots, dashes or a VAT number's country prefix: "DE 123 456 789" is
    "123456789"."""
    text = _NOT_ID.sub("", value.upper())
    return _VAT_PREFIX.sub("", text)


def tenders(notices: Iterable[Notice], legal_names: Sequence[str] = (), tax_ids: Sequence[str] = ()) -> list[Tender]:
    """The notices naming the competitor: a party whose tax id equals one of `tax_ids` or whose name equals one of
    `legal_names` (both normalised). Its role is winner when a matching party is a winner, else bidder."""
    names = {normal_name(n) for n in legal_names if n and normal_name(n)}
    ids = {normal_tax_id(t) for t in tax_ids if t and normal_tax_id(t)}
    found = []
    for notice in notices:
        matching = [p for p in notice.parties
                    if (p.tax_id and normal_tax_id(p.tax_id) in ids) or (p.name and normal_name(p.name) in names)]
        if not matching:
            continue
        found.append(Tender(
            notice_id=notice.notice_id, fmt=notice.fmt, title=notice.title, buyer=notice.buyer, value=notice.value,
            currency=notice.currency, published=notice.published, awarded=notice.awarded, url=notice.url,
            role="winner" if any(p.winner for p in matching) else "bidder"))
    return found
