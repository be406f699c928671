"""The change digest: subject wording, grouping and order, signs, hostile text, and golden renderings."""
from __future__ import annotations

import email
import os
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.digest import Digest, DigestItem, digest_subject, format_percent, render_digest, safe_url
from schedules.mailer import build_message

GOLDEN = Path(__file__).parent / "golden"
STARTED = datetime(2025, 3, 2, 2, 0, tzinfo=timezone.utc)
KRANRAD = ("kranrad", "Kranrad GmbH")
GRUZ = ("gruz", "ГрузТорг")
SHOP = ("shop", "Northwind Shop")


def item(competitor=KRANRAD, kind="price_up", title="LR 250", before=None, after=None, magnitude=None,
         severity="medium", url="https://kranrad.example/p/lr-250") -> DigestItem:
    return DigestItem(competitor[0], competitor[1], kind, title, before, after,
                      None if magnitude is None else Decimal(magnitude), severity, url)


def price(competitor, kind, pct, title="Wheel", severity="medium"):
    return item(competitor, kind, title, "100.00 EUR", "105.00 EUR", pct, severity)


def review(competitor, rating, severity="low"):
    return item(competitor, "review_new", "trustpilot: Ann", None, "Slow delivery", rating, severity)


def render(items, **kwargs) -> Digest:
    return render_digest(items, run_id=42, run_started=STARTED, **kwargs)


class Links(HTMLParser):
    """Every tag, every href and every on* attribute of an HTML document."""

    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction"):
                self.hrefs.append(value or "")
            if name.startswith("on"):
                self.handlers.append(name)


def parse_html(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    parser.close()
    return parser


# --- subject ------------------------------------------------------------------------------------------------------

SUBJECTS = [
    ("one competitor, as DESIGN's example",
     [price(KRANRAD, "price_up", "4.7"), price(KRANRAD, "price_up", "2.1"), price(KRANRAD, "price_down", "-5.28"),
      item(KRANRAD, "product_removed", before="489.00 EUR")],
     "Dossier: 2 price rises, 1 price drop, 1 removed product at Kranrad GmbH"),
    ("three competitors, a negative review",
     [*[price(KRANRAD, "price_up", "3")] * 2, *[price(GRUZ, "price_up", "3")] * 2,
      *[price(SHOP, "price_down", "-3")] * 3, review(SHOP, "1", "high")],
     "Dossier: 4 price rises, 3 price drops, 1 negative review — 3 competitors"),
    ("singular and plural, kind order not input order",
     [item(kind="technology_added", title="Yandex.Metrika"), item(kind="product_added"), item(kind="product_added"),
      item(kind="out_of_stock")],
     "Dossier: 2 new products, 1 product out of stock, 1 new technology at Kranrad GmbH"),
    ("a 4-star review is not negative, a 2-star one is",
     [review(GRUZ, "4"), review(GRUZ, "2", "high"), review(GRUZ, "1.5", "high"), review(GRUZ, None)],
     "Dossier: 2 negative reviews, 2 new reviews at ГрузТорг"),
    ("an unreachable source before lesser changes",
     [item(kind="page_added"), item(kind="source_unreachable", title="https://kranrad.example/", severity="high")],
     "Dossier: 1 unreachable source, 1 new page at Kranrad GmbH"),
    ("two competitors",
     [item(kind="ad_new", title="Spring sale"), item(GRUZ, "ad_stopped", title="Winter"), item(GRUZ, "text_changed")],
     "Dossier: 1 new ad, 1 stopped ad, 1 text change — 2 competitors"),
    ("the issue's example",
     [*[price(KRANRAD, "price_down", "-3")] * 3, review(KRANRAD, "1", "high"), review(KRANRAD, "5")][::-1],
     "Dossier: 3 price drops, 1 negative review, 1 new review at Kranrad GmbH"),
    ("a currency change is not a price change",
     [item(kind="currency_changed", before="100.00 EUR", after="110.00 USD")],
     "Dossier: 1 currency change at Kranrad GmbH"),
    ("nothing", [], "Dossier: no changes"),
]


@pytest.mark.parametrize("items, expected", [case[1:] for case in SUBJECTS], ids=[case[0] for case in SUBJECTS])
def test_subject_counts_kinds_in_plain_words(items, expected):
    assert digest_subject(items) == expected
    assert render(items).subject == expected


def test_long_subject_stays_short_and_counts_the_rest():
    kinds = ["price_up", "price_down", "product_removed", "product_added", "out_of_stock", "back_in_stock",
             "rating_changed", "ad_new", "ad_stopped", "text_changed", "page_added", "page_removed",
             "technology_added", "technology_removed"]
    items = [item((f"c{n}", f"Competitor {n}"), kind) for n, kind in enumerate(kinds)]
    subject = digest_subject(items)
    assert len(subject) <= 120
    assert subject.startswith("Dossier: 1 price rise, 1 price drop, 1 removed product")
    assert subject.endswith(" more changes — 14 competitors")
    shown = sum(int(part.split()[0]) for part in subject[len("Dossier: "):].split(" — ")[0].split(", "))
    assert shown == len(items)


def test_a_very_long_competitor_name_is_cut():
    subject = digest_subject([item(("x", "Very Long Name " * 20), "price_up")])
    assert len(subject) <= 120
    assert subject.startswith("Dossier: 1 price rise at Very Long Name")
    assert subject.endswith("…")


# --- body: grouping, order, signs -----------------------------------------------------------------------------------

def test_groups_by_competitor_most_severe_first():
    items = [
        item(SHOP, "page_added", title="https://shop.example/new", severity="low"),
        item(KRANRAD, "text_changed", title="h1 of https://kranrad.example/", before="Old", after="New",
             severity="low"),
        item(KRANRAD, "price_up", title="LR 250", before="489.00 EUR", after="512.00 EUR", magnitude="4.70"),
        item(KRANRAD, "price_down", title="LR 300", before="100.00 EUR", after="80.00 EUR", magnitude="-20.00",
             severity="high"),
        item(KRANRAD, "product_added", title="LR 400", after="700.00 EUR"),
    ]
    text = render(items).text
    order = [text.index(marker) for marker in (
        "== Kranrad GmbH", "[HIGH] Price drop: LR 300", "[MEDIUM] Price rise: LR 250",
        "[MEDIUM] Product added: LR 400", "[LOW] Text changed: h1 of", "== Northwind Shop", "[LOW] Page added")]
    assert order == sorted(order)
    html = render(items).html
    assert html.index("Kranrad GmbH") < html.index("Northwind Shop")
    assert html.index("LR 300") < html.index("LR 250") < html.index("LR 400")


def test_before_after_and_signed_percent():
    items = [item(kind="price_up", before="489.00 EUR", after="512.00 EUR", magnitude="4.70"),
             item(kind="price_down", title="LR 300", before="512.00 EUR", after="485.00 EUR", magnitude="-5.28")]
    digest = render(items)
    assert "489.00 EUR → 512.00 EUR (+4.70 %)" in digest.text
    assert "512.00 EUR → 485.00 EUR (\u22125.28 %)" in digest.text
    assert "+4.70 %" in digest.html and "\u22125.28 %" in digest.html


def test_an_uncertain_price_change_says_so_and_a_certain_one_does_not():
    from dataclasses import replace
    certain = item(kind="price_down", before="100.00 EUR", after="80.00 EUR", magnitude="-20.00", severity="high")
    doubtful = replace(item(kind="price_down", title="LR 300", before="100.00 EUR", after="80.00 EUR",
                            magnitude="-20.00", severity="low"), uncertain=True)
    digest = render([certain, doubtful])
    note = "Uncertain: tonight's price was read from a less reliable part of the page than last night's"
    assert digest.text.count(note) == 1 and digest.html.count(note) == 1
    assert digest.text.index("LR 300") < digest.text.index(note)  # under the uncertain item, not the certain one


@pytest.mark.parametrize("value, expected", [
    ("4.7", "+4.70 %"), ("-5.28", "\u22125.28 %"), ("0", "0.00 %"), ("12.345", "+12.35 %"), ("-0.001", "0.00 %"),
    ("100", "+100.00 %"),
])
def test_format_percent(value, expected):
    assert format_percent(Decimal(value)) == expected


def test_text_diff_is_shown_line_by_line():
    diff = "-We build crane wheels since 1952.\n+We build crane wheels and rails since 1952."
    digest = render([item(kind="text_changed", title="main text of https://kranrad.example/", after=diff,
                          severity="low")])
    assert "    | -We build crane wheels since 1952.\n    | +We build crane wheels and rails since 1952." in digest.text
    assert '<span style="color:#067647;">+We build crane wheels and rails since 1952.</span>' in digest.html


def test_ratings_and_removed_items_read_naturally():
    digest = render([review(GRUZ, "1", "high"), item(kind="product_removed", before="489.00 EUR"),
                     item(GRUZ, "rating_changed", title="yandex", before="4.5 (10 reviews)",
                          after="4.1 (12 reviews)", magnitude="-0.40")])
    assert "says: Slow delivery (1 ★ of 5)" in digest.text
    assert "last price: 489.00 EUR" in digest.text
    assert "4.5 (10 reviews) → 4.1 (12 reviews) (\u22120.40 ★)" in digest.text


def test_naive_run_start_is_utc_and_aware_one_is_converted():
    naive = render_digest([item()], run_id=1, run_started=datetime(2025, 3, 2, 2, 0))
    berlin = render_digest([item()], run_id=1, run_started=datetime(2025, 3, 2, 3, 0,
                                                                     tzinfo=timezone(timedelta(hours=1))))
    assert "started 2025-03-02 02:00 UTC" in naive.text
    assert "started 2025-03-02 02:00 UTC" in berlin.text


def test_empty_digest_has_no_items():
    digest = render([])
    assert digest.item_count == 0
    assert digest.subject == "Dossier: no changes"
    assert "No changes in this run." in digest.text and "No changes in this run." in digest.html


def test_unknown_kind_and_severity_do_not_break_the_digest():
    digest = render([item(kind="price_exploded", severity="urgent")])
    assert digest.item_count == 1
    assert "1 other change" in digest.subject
    assert "[LOW] price_exploded: LR 250" in digest.text


def test_dashboard_note_is_shown():
    digest = render([item()], dashboard_note="Full report: dossier report --out report/")
    assert "Full report: dossier report --out report/" in digest.text
    assert "Full report: dossier report --out report/" in digest.html


# --- hostile text ---------------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_script_in_every_field_is_escaped():
    hostile = DigestItem("evil", SCRIPT, "price_up", SCRIPT, SCRIPT, '"><img src=x onerror=alert(1)>',
                         Decimal("1"), "high", "https://evil.example/\"onmouseover=\"alert(1)")
    html = render([hostile], dashboard_note=SCRIPT).html
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    links = parse_html(html)
    assert links.tags.isdisjoint({"script", "img", "iframe", "object", "embed", "link", "style", "form"})
    assert links.handlers == []


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox(1)", "//evil.example/x",
    "/relative/path", "ftp://files.example/x", "https://", "http://exa mple.org/", "https://ok.example/\u202egnp.exe",
])
def test_only_http_links_become_hrefs(url):
    html = render([item(url=url)]).html
    links = parse_html(html)
    assert links.hrefs == []
    assert safe_url(url) is None
    if url.strip().lower().startswith("javascript:"):
        assert "alert(1) (not a web link)" in html


def test_http_links_are_linked_and_escaped():
    url = "https://kranrad.example/p?a=1&b=<2>"
    links = parse_html(render([item(url=url)]).html)
    assert set(links.hrefs) == {url}


def test_crlf_in_a_title_cannot_reach_the_headers():
    hostile = item(("kranrad", "Kranrad\r\nBcc: victim@example.org"), "price_up",
                   "Wheel\r\nBcc: victim@example.org\r\nX-Evil: 1")
    digest = render([hostile])
    assert "\r" not in digest.subject and "\n" not in digest.subject
    raw = build_message(digest, "dossier@example.org", ["team@example.org"]).as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed.get_all("To") == ["team@example.org"]
    assert parsed["Subject"] == digest.subject


def test_control_characters_never_reach_the_text():
    digest = render([item(title="Wheel\x00\x1b[31m red\x07\u2028line", before="1\r\n2", after="3\x0b4")])
    body = digest.text.replace("\n", "")
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in body)
    assert "Wheel [31m red line" in digest.text


@settings(max_examples=150, deadline=None)
@given(title=st.text(), name=st.text(max_size=60), url=st.text(max_size=80))
def test_any_text_stays_inert(title, name, url):
    digest = render_digest([DigestItem("x", name, "price_up", title, title, title, Decimal("1"), "high", url)],
                           run_id=1, run_started=STARTED)
    assert not any(ord(c) < 32 for c in digest.subject)
    assert len(digest.subject) <= 120
    links = parse_html(digest.html)
    assert links.tags <= {"html", "head", "meta", "title", "body", "table", "tr", "td", "div", "h1", "h2", "span",
                          "strong", "a", "p", "pre"}
    assert all(h.startswith(("http://", "https://")) for h in links.hrefs)
    assert links.handlers == []


# --- golden files ---------------------------------------------------------------------------------------------------

def representative_items() -> list[DigestItem]:
    return [
        item(KRANRAD, "price_up", "Kranrad LR 250", "489.00 EUR", "512.00 EUR", "4.70", "medium",
             "https://kranrad.example/produkte/lr-250"),
        item(KRANRAD, "price_down", "Kranrad LR 315", "1,200.00 EUR", "1,136.64 EUR", "-5.28", "high",
             "https://kranrad.example/produkte/lr-315"),
        item(KRANRAD, "product_removed", "Kranrad LR 160", "310.00 EUR", None, None, "medium",
             "https://kranrad.example/produkte/lr-160"),
        item(KRANRAD, "text_changed", "main text of https://kranrad.example/", None,
             "-Crane wheels since 1952.\n+Crane wheels and rails since 1952.", None, "low",
             "https://kranrad.example/"),
        item(GRUZ, "review_new", "otzovik: Иван, 1★", None, "Груз опоздал на неделю", "1", "high",
             "https://reviews.example/gruz#r-981"),
        item(GRUZ, "technology_added", "Yandex.Metrika", None, "Yandex.Metrika", None, "low", "https://gruz.example/"),
        item(SHOP, "source_unreachable", "https://shop.example/catalog", "https://shop.example/catalog",
             "HTTP 500", None, "high", "https://shop.example/catalog"),
        item(SHOP, "ad_new", f"Spring sale {SCRIPT}", None, "20 % off all boots", None, "medium",
             "javascript:alert(1)"),
    ]


@pytest.mark.parametrize("name", ["digest.html", "digest.txt"])
def test_golden_rendering(name):
    digest = render(representative_items(), dashboard_note="Open the full dossier: dossier report --out report/")
    rendered = digest.html if name.endswith(".html") else digest.text
    path = GOLDEN / name
    if os.environ.get("DOSSIER_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered.encode("utf-8"))
    assert path.exists(), f"{path} missing: run with DOSSIER_UPDATE_GOLDEN=1 and review the result"
    assert rendered == path.read_bytes().decode("utf-8"), \
        f"{name} differs from {path}; if the change is intended, rerun with DOSSIER_UPDATE_GOLDEN=1 and review"
    assert digest.subject == \
        "Dossier: 1 price rise, 1 price drop, 1 negative review, 1 removed product, 4 more changes — 3 competitors"
