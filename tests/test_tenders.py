"""Tenders (extractors.tenders): the TED API v3 search answer and the EIS 44-FZ contract export parsed from bytes,
table-driven over the fixture files (fixtures/tenders), hostile bytes and hostile notices (hypothesis), the matching
of a competitor's legal names and tax ids, and the config of kind: tenders."""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dossier.config import parse_config
from dossier.errors import ConfigError
from extractors import Tender, TenderFeed, parse_tenders, ted_search_body, tenders
from extractors.tenders import TED_FIELDS, Notice, Party, normal_name, normal_tax_id

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tenders"
BASE = "http://127.0.0.1:8400"
TED = f"{BASE}/v3/notices/search?query=kranrad"
EIS = f"{BASE}/eis/contracts.xml"
KRANRAD = {"legal_names": ["Kranrad GmbH"], "tax_ids": ["DE 811 234 567"]}
GRUZOVOZ = {"legal_names": ["ООО «ГрузоВоз»"], "tax_ids": ["7709876543"]}


def served(night: str, path: str) -> bytes:
    """A fixture file as the server answers it: {base} filled in."""
    return (FIXTURES / night / path).read_bytes().replace(b"{base}", BASE.encode())


# (night, file, format, the notices' ids in document order, the competitor, what it is named in: id -> role)
CASES = [
    ("night1", "v3/notices/search.json", "ted", ["702215-2026", "615090-2026", "611872-2026", "604311-2026"], KRANRAD,
     {"702215-2026": "winner", "611872-2026": "winner", "604311-2026": "bidder"}),
    ("night2", "v3/notices/search.json", "ted",
     ["705530-2026", "702215-2026", "615090-2026", "611872-2026", "604311-2026"], KRANRAD,
     {"705530-2026": "bidder", "702215-2026": "winner", "611872-2026": "winner", "604311-2026": "bidder"}),
    ("night1", "eis/contracts.xml", "eis", ["2770123456726000118", "3500401234526000077"], GRUZOVOZ,
     {"2770123456726000118": "winner"}),
    ("night2", "eis/contracts.xml", "eis", ["1690212345626000203", "2770123456726000118", "3500401234526000077"],
     GRUZOVOZ, {"1690212345626000203": "winner", "2770123456726000118": "winner"}),
]


@pytest.mark.parametrize("night, path, fmt, ids, competitor, roles", CASES, ids=[f"{c[0]}/{c[1]}" for c in CASES])
def test_fixture_answers_are_read_notice_by_notice(night, path, fmt, ids, competitor, roles):
    answer = parse_tenders(served(night, path), TED if fmt == "ted" else EIS, fmt)
    assert answer.error is None
    assert [n.notice_id for n in answer.notices] == ids
    assert {t.notice_id: t.role for t in tenders(answer.notices, **competitor)} == roles


# Each field of one notice as the fixture writes it: (night, file, format, notice id, the Tender read)
RECORDS = [
    ("night2", "v3/notices/search.json", "ted", Tender(
        notice_id="702215-2026", fmt="ted", title="Deutschland – Kranlaufräder – Laufradsätze für Containerbrücken",
        buyer="Hafenbetriebsgesellschaft Rheinau mbH", value=Decimal("184000.00"), currency="EUR",
        published=date(2026, 11, 25), awarded=date(2026, 11, 18), url=f"{BASE}/notice/702215-2026/en",
        role="winner")),
    ("night1", "v3/notices/search.json", "ted", Tender(  # result-value-notice when there is no total-value
        notice_id="611872-2026", fmt="ted",
        title="Deutschland – Hebezeuge – Ersatzteile für Brückenkrane, Los 2: Laufradblöcke",
        buyer="Stadtwerke Beispielstadt AöR", value=Decimal("96500.00"), currency="EUR",
        published=date(2026, 10, 21), awarded=date(2026, 10, 9), url=f"{BASE}/notice/611872-2026/de",
        role="winner")),
    ("night2", "eis/contracts.xml", "eis", Tender(  # an older schema's supplier: organizationName and inn
        notice_id="1690212345626000203", fmt="eis",
        title="Перевозка грузов Москва — Казань автомобильным транспортом (фура 20 т)",
        buyer="ГОСУДАРСТВЕННОЕ КАЗЁННОЕ УЧРЕЖДЕНИЕ «ЦЕНТР ЛОГИСТИКИ РЕСПУБЛИКИ»", value=Decimal("2750000.00"),
        currency="RUB", published=date(2026, 11, 24), awarded=date(2026, 11, 21),
        url=f"{BASE}/epz/contract/contractCard/common-info.html?reestrNumber=1690212345626000203", role="winner")),
]


@pytest.mark.parametrize("night, path, fmt, expected", RECORDS, ids=[r[3].notice_id for r in RECORDS])
def test_a_notice_keeps_its_title_buyer_value_dates_and_link(night, path, fmt, expected):
    answer = parse_tenders(served(night, path), TED if fmt == "ted" else EIS, fmt)
    competitor = KRANRAD if fmt == "ted" else GRUZOVOZ
    (found,) = [t for t in tenders(answer.notices, **competitor) if t.notice_id == expected.notice_id]
    assert found == expected


def test_a_competitor_is_named_by_its_tax_id_alone_or_its_name_alone():
    answer = parse_tenders(served("night2", "v3/notices/search.json"), TED, "ted")
    by_id = {t.notice_id for t in tenders(answer.notices, tax_ids=["DE811234567"])}
    by_name = {t.notice_id for t in tenders(answer.notices, legal_names=["Kranrad GmbH"])}
    assert by_id == {"702215-2026", "611872-2026", "604311-2026"}  # 705530 names it without an id
    # 705530 by "Kranrad GmbH", 611872 by "Kranrad Gesellschaft mit beschränkter Haftung", 702215 "Kranrad G.m.b.H."
    assert by_name == {"705530-2026", "702215-2026", "611872-2026", "604311-2026"}
    assert tenders(answer.notices, legal_names=["Radsatz Nord"], tax_ids=[]) != []
    assert tenders(answer.notices) == []  # no names and no ids name nobody


@pytest.mark.parametrize("written, competitor, same", [
    ("Kranrad GmbH", "Kranrad GmbH", True),
    ("KRANRAD G.m.b.H.", "Kranrad GmbH", True),
    ("Kranrad GmbH & Co. KG", "Kranrad", True),
    ("Kranrad", "Kranrad AG", True),
    ("Kranrad Gesellschaft mit beschränkter Haftung", "Kranrad GmbH", True),
    ("ООО «ГрузоВоз»", "ГрузоВоз", True),
    ('ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ "ГРУЗОВОЗ"', "ООО «ГрузоВоз»", True),
    ("Общество с ограниченной ответственностью «ГрузоВоз»", "ООО ГрузоВоз", True),
    ("АО «Грузовоз»", "ООО «ГрузоВоз»", True),  # the legal form is not part of the name compared
    ("ООО «Грузовозы Подмосковья»", "ООО «ГрузоВоз»", False),
    ("Kranradlager GmbH", "Kranrad GmbH", False),
    ("Kranrad Service GmbH", "Kranrad GmbH", False),  # another company of the group is another bidder
    ("Radsatz Nord GmbH", "Kranrad GmbH", False),
    ("Société Générale S.A.", "SOCIETE GENERALE", False),  # accents are part of a name
    ("Société Générale S.A.", "société générale", True),
    ("Acme Ltd.", "ACME LIMITED", True),
    ("GmbH", "GmbH", True),  # a name that is only a legal form stays itself
])
def test_names_are_compared_without_case_quotes_dots_or_legal_form(written, competitor, same):
    assert (normal_name(written) == normal_name(competitor)) is same


@pytest.mark.parametrize("written, competitor, same", [
    ("DE 811 234 567", "DE811234567", True),
    ("811234567", "DE811234567", True),  # a VAT number without its country prefix
    ("7709876543", "7709876543", True),  # an INN
    ("7709-876-543", "7709876543", True),
    ("FR 40 303 265 045", "40303265045", True),
    ("ATU12345678", "U12345678", True),  # Austria's U belongs to the number
    ("7709876543", "770987654", False),  # exactly, not a prefix
    ("DE811234568", "DE811234567", False),
])
def test_tax_ids_are_compared_exactly_without_spacing_or_vat_prefix(written, competitor, same):
    assert (normal_tax_id(written) == normal_tax_id(competitor)) is same


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_normalising_any_name_or_tax_id_never_raises_and_is_stable(text):
    assert normal_name(normal_name(text)) == normal_name(text)
    assert "\n" not in normal_name(text) and normal_name(text) == normal_name(text).strip()
    assert re.fullmatch(r"[0-9A-Z]*", normal_tax_id(text))


def test_winner_beats_bidder_when_a_notice_names_the_competitor_as_both():
    notice = Notice("1-2026", "ted", "t", "b", None, None, None, None, None,
                    (Party("Kranrad GmbH", None, False), Party(None, "DE811234567", True)))
    assert [t.role for t in tenders([notice], **KRANRAD)] == ["winner"]


@pytest.mark.parametrize("body, fmt, said", [
    (b"<!doctype html><html><head><title>Wartung</title></head><body><h1>503</h1></body></html>", "ted",
     "not a TED API v3 search answer (JSON) (it answered an HTML page)"),
    ("<!doctype html><html><body>Ошибка</body></html>".encode(), "eis",
     "not an EIS (zakupki.gov.ru) 44-FZ export document (XML) (it answered an HTML page)"),
    (b'{"message": "Syntax error in expert query at line 1, col 8", "error": {"type": "QUERY_SYNTAX_ERROR"}}', "ted",
     "the TED API answered an error (QUERY_SYNTAX_ERROR): Syntax error in expert query at line 1, col 8"),
    (b'{"results": []}', "ted", "not a TED API v3 search answer (JSON) (JSON without a \"notices\" list)"),
    (b'[1, 2]', "ted", "JSON without \"notices\""),
    (b'{"notices": [], "timedOut": true}', "ted", "the TED API timed out on this search"),
    (b'{"notices": [{"notice-title": {"eng": "x"}}]}', "ted", "notice 1 of the TED answer has no publication-number"),
    (b'{"notices": ["604311-2026"]}', "ted", "notice 1 of the TED answer is not an object"),
    (b"", "ted", "answered nothing"),
    (b"\x00\xff\xfe binary", "ted", "not a TED API v3 search answer (JSON) (it answered something else)"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "eis", "its root is <rss>, not <export>"),
    (b'<?xml version="1.0"?><export xmlns="http://zakupki.gov.ru/oos/export/1"><fcsNotificationEF/></export>', "eis",
     "an EIS export without a <contract> (it holds <fcsNotificationEF>)"),
    (b'<?xml version="1.0"?><export><contract><regNum>2770123456726000118</regNum><customer>', "eis",
     "an EIS document that is not well-formed XML: nothing of it was stored"),
    (b'<?xml version="1.0"?><export><contract><number>1</number></contract></export>', "eis",
     "contract 1 of the EIS export has no registry number (regNum)"),
    (b'{"notices": []}', "csv", "format 'csv' is not read: give format: ted or eis"),
], ids=["ted-html", "eis-html", "ted-error", "ted-other-json", "ted-list", "ted-timed-out", "ted-no-number",
        "ted-not-object", "empty", "binary", "eis-rss", "eis-notification", "eis-cut-short", "eis-no-regnum",
        "bad-format"])
def test_what_is_not_the_format_is_one_line_naming_the_url_and_no_notices(body, fmt, said):
    answer = parse_tenders(body, "https://tenders.example/a", fmt)
    assert answer.notices == []
    assert said in answer.error and "\n" not in answer.error
    assert fmt == "csv" or answer.error.startswith("https://tenders.example/a")


def test_an_external_entity_is_never_read():
    body = (b'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<export><contract><regNum>2770123456726000118</regNum><products><product><name>&x;</name></product>'
            b'</products></contract></export>')
    answer = parse_tenders(body, EIS, "eis")
    assert all("root:" not in (n.title or "") for n in answer.notices)


def test_values_that_are_no_amount_are_dropped_not_guessed():
    def value_of(raw):
        body = json.dumps({"notices": [{"publication-number": "1-2026", **raw}]}).encode()
        (notice,) = parse_tenders(body, TED, "ted").notices
        return notice.value, notice.currency
    assert value_of({"total-value": "1 250 000.5", "total-value-cur": ["eur"]}) == (Decimal("1250000.50"), "EUR")
    assert value_of({"total-value": -5, "total-value-cur": "EUR"}) == (None, None)
    assert value_of({"total-value": "NaN", "total-value-cur": "EUR"}) == (None, None)
    assert value_of({"total-value": 1e20, "total-value-cur": "EUR"}) == (None, None)
    assert value_of({"total-value": True}) == (None, None)
    assert value_of({"total-value": 10, "total-value-cur": "Euro"}) == (Decimal("10.00"), None)


# -- hostile input: whatever the bytes, a feed or one line, never an exception ----------------------------------
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["ted", "eis"]))
def test_any_bytes_give_notices_or_one_line(body, fmt):
    answer = parse_tenders(body, "https://tenders.example/a", fmt)
    assert isinstance(answer, TenderFeed) and all(isinstance(n, Notice) for n in answer.notices)
    assert answer.error is None or (answer.notices == [] and "\n" not in answer.error)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                 max_size=4), max_leaves=20)
ANY_TED_FIELD = st.sampled_from(TED_FIELDS)  # the fields the reader reads, and so asks TED for


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(ANY_TED_FIELD, JSON, max_size=8), max_size=4))
def test_ted_notices_of_any_shape_never_raise(notices):
    for notice in notices:
        notice.setdefault("publication-number", "123456-2026")
    answer = parse_tenders(json.dumps({"notices": notices}).encode(), TED, "ted")
    assert answer.error is None or "\n" not in answer.error
    for found in tenders(answer.notices, **KRANRAD):
        assert found.role in ("winner", "bidder") and (found.value is None or found.value >= 0)


EIS_TAGS = st.sampled_from(["regNum", "publishDate", "signDate", "customer", "fullName", "priceInfo", "price",
                            "currency", "code", "products", "product", "name", "suppliers", "supplier", "inn", "INN",
                            "organizationName", "href"])
ELEMENT = st.recursive(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
                       lambda inner: st.tuples(EIS_TAGS, st.lists(inner, max_size=3)), max_leaves=12)


def _xml(node) -> str:
    from xml.sax.saxutils import escape
    if isinstance(node, str):
        return escape(node)
    tag, children = node
    return f"<{tag}>{''.join(_xml(c) for c in children)}</{tag}>"


@settings(max_examples=200, deadline=None)
@given(st.lists(ELEMENT, max_size=6))
def test_eis_contracts_of_any_shape_never_raise(children):
    body = ('<?xml version="1.0" encoding="utf-8"?><export xmlns="http://zakupki.gov.ru/oos/export/1"><contract>'
            f"<regNum>2770123456726000118</regNum>{''.join(_xml(c) for c in children)}</contract></export>")
    answer = parse_tenders(body.encode("utf-8"), EIS, "eis")
    assert answer.error is None or "\n" not in answer.error
    assert all(t.role == "winner" for t in tenders(answer.notices, **GRUZOVOZ))


# -- the config of kind: tenders --------------------------------------------------------------------------------
def config(**source):
    return {"competitors": [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
        {"kind": "site", "url": "https://www.kranrad.example/"},
        {"kind": "tenders", **source}]}]}


@pytest.mark.parametrize("url, fmt", [
    ("https://api.ted.europa.eu/v3/notices/search?query=x", "ted"),
    ("https://zakupki.gov.ru/epz/contract/printForm/viewXml.html?contractReestrNumber=1", "eis"),
])
def test_the_format_is_inferred_from_teds_and_the_eiss_hosts(url, fmt):
    source = parse_config(config(url=url, tax_ids=["7709876543"])).competitors[0].sources[1]
    assert source.format == fmt and source.tax_ids == ["7709876543"]


@pytest.mark.parametrize("source, said", [
    ({"url": "https://mirror.example/ted.json", "legal_names": ["Kranrad GmbH"]},
     "competitors[0].sources[1].format: a tenders source needs format: ted or eis (inferred only for "
     "api.ted.europa.eu and zakupki.gov.ru)"),
    ({"url": "https://mirror.example/ted.json", "format": "meta_ad_library", "legal_names": ["Kranrad GmbH"]},
     "format: a tenders source needs format: ted or eis"),
    ({"url": "https://api.ted.europa.eu/v3/notices/search"},
     "legal_names: a tenders source needs the competitor's legal names or its tax_ids (or both)"),
    ({"url": "https://api.ted.europa.eu/v3/notices/search", "tax_ids": ["DE-?"]},
     "competitors[0].sources[1].tax_ids: 'DE-?' is not a tax id such as 7701234567 (INN) or DE123456789 (VAT)"),
    ({"url": "https://api.ted.europa.eu/v3/notices/search", "tax_ids": ["ABCDEF"]}, "'ABCDEF' is not a tax id"),
    ({"url": "https://api.ted.europa.eu/v3/notices/search", "legal_names": [" "]},
     "competitors[0].sources[1].legal_names: ' ' is not a company name"),
], ids=["no-format", "ads-format", "neither", "bad-tax-id", "letters-only", "blank-name"])
def test_a_bad_tenders_source_is_one_line(source, said):
    with pytest.raises(ConfigError) as error:
        parse_config(config(**source))
    assert said in str(error.value) and "\n" not in str(error.value)


def test_a_ted_search_without_its_query_is_one_line_naming_the_url():
    with pytest.raises(ConfigError) as error:
        parse_config(config(url="https://api.ted.europa.eu/v3/notices/search?limit=50", tax_ids=["DE811234567"]))
    assert "competitors[0].sources[1].url: a TED search needs its expert query" in str(error.value)
    saved = config(url="https://mirror.example/ted/answer.json", format="ted", tax_ids=["DE811234567"])
    assert parse_config(saved).competitors[0].sources[1].format == "ted"  # a saved answer: asked with GET


# -- TED's v3 search is a POST of its query (docs.ted.europa.eu, "TED Search API") --------------------------------
@pytest.mark.parametrize("url, expected", [
    ("https://api.ted.europa.eu/v3/notices/search?query=organisation-name-tenderer%3DKranrad",
     {"query": "organisation-name-tenderer=Kranrad", "fields": list(TED_FIELDS), "limit": 250, "page": 1,
      "paginationMode": "PAGE_NUMBER"}),
    ("https://api.ted.europa.eu/v3/notices/search/?query=winner-identifier%3DDE811234567&fields=publication-number,"
     "%20winner-name&limit=50&page=2&scope=ACTIVE",
     {"query": "winner-identifier=DE811234567", "fields": ["publication-number", "winner-name"], "limit": 50,
      "page": 2, "paginationMode": "PAGE_NUMBER", "scope": "ACTIVE"}),
    ("https://api.ted.europa.eu/v3/notices/search?query=x&limit=-5&page=zero",
     {"query": "x", "fields": list(TED_FIELDS), "limit": 250, "page": 1, "paginationMode": "PAGE_NUMBER"}),
    ("https://api.ted.europa.eu/v3/notices/search?limit=10", None),  # no query: no search to post
    ("https://api.ted.europa.eu/v3/notices/search?query=%20", None),
    ("https://mirror.example/ted/answer.json?query=x", None),  # a saved answer: a GET
])
def test_a_ted_search_url_is_the_json_body_of_its_post(url, expected):
    body = ted_search_body(url)
    assert (json.loads(body) if body is not None else None) == expected


@given(st.text(max_size=200))
def test_any_query_text_is_posted_as_given(query):
    body = ted_search_body("https://api.ted.europa.eu/v3/notices/search?" + urlencode({"query": query}))
    assert body is None if not query.strip() else json.loads(body)["query"] == query.strip()


def test_legal_names_and_tax_ids_belong_to_tenders_sources_only():
    data = config(url="https://api.ted.europa.eu/v3/notices/search", tax_ids=["DE811234567"])
    data["competitors"][0]["sources"][0]["tax_ids"] = ["DE811234567"]
    with pytest.raises(ConfigError, match="tax_ids: only for kind: tenders"):
        parse_config(data)
