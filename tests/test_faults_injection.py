"""Injection (issue 10, family 5), end to end on loopback: a competitor whose scraped text attacks whoever reads
Dossier's output (tests/crawlsites/hostile.py). Two nights crawled, each in its own process, into SQLite, so
that every kind of change carries a payload; then the night's digests (.eml), the HTML report and the CSV and
XLSX exports are read back as their readers would read them:

- HTML (the digest, the report's overview and competitor pages), parsed with lxml: no element, attribute or link
  that came from scraped text (no `<script>` but the report's own, no `on*` attribute, no `javascript:`,
  `data:` or `vbscript:` link), while the payloads show as text;
- the plain-text digest: every payload on one line, no line that a scraped CR LF started;
- the .eml, parsed with the email package: exactly Dossier's header set, one line each, no injected header,
  one recipient per digest;
- the exports: no cell a spreadsheet would run as a formula, none that XLSX refuses.

Unit tests already cover pieces of this (referenced, not repeated): tests/test_digest.py
(`test_script_in_every_field_is_escaped`, the link schemes, CR LF and controls in fields), tests/test_mailer.py
(addresses with CR LF refused, a stored subject with CR LF), tests/test_report.py (a hostile product name and
URL), tests/test_analyst.py (`test_csv_export_neutralises_formulas`).
"""
from __future__ import annotations

import csv
import email
import re
from email import policy
from email.utils import getaddresses
from pathlib import Path

import lxml.html
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from crawlsites import Sites, hostile, write_config
from crawlsites.hostile import ATTACKS, CRLF, FORMULAS, HYPERLINK, SCRIPT

import schedules.report
from dossier.config import parse_config
from dossier.errors import AlertError
from schedules.alerts import check_alerts, outbox_message
from schedules.cli import cli
from schedules.nightly import run_once
from schedules.report import CHART_JS, build_report
from storage import outbox
from storage.analyst import FORMULA_PREFIXES, neutralise_formulas
from storage.db import create_db_engine, upgrade
from storage.queries import list_changes
from storage.runs import start_run

TIMEOUT = 5
EVIL_NAME = f"Evil {SCRIPT} Wheels{CRLF}"  # the competitor's name in the config: reaches the digest's subject
TAB_NAME = "\t=1+1 Tab Co"  # a formula behind a tab, from the config
OPS = '"Ops; Bcc: victim@example.org" <ops@example.org>'  # a quoted display name: one recipient, not two
COMMA = '"Ops, Bcc: victim@example.org" <ops@example.org>'  # the same with a comma: still one recipient (test below)
HEADERS = ["Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type"]
EXPORTS = ["product", "latest_prices", "change", "review", "ad", "job_posting", "newsletter", "page_snapshot",
           "competitor"]
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
LINK_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "srcdoc", "background", "poster")
OWN_TEMPLATES = "".join(p.read_text(encoding="utf-8") for p in (Path(schedules.report.__file__).parent / "templates")
                        .rglob("*.j2"))  # an inline script of ours is in a template, verbatim
# elements no template of ours writes: if one is there, scraped text made it
FOREIGN = ("img", "iframe", "object", "embed", "svg", "math", "form", "base", "frame", "frameset", "audio", "video")


def catalog(url: str) -> dict:
    return {"kind": "catalog", "url": url, "selectors": {"product": ".product", "name": ".name", "price": ".price",
                                                         "sku": ".sku"}}


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults-injection")
    mbox = folder / "newsletters.mbox"
    with Sites(evil=hostile.site(1)) as sites:
        base = sites.base("evil")
        config = write_config(folder, [
            {"slug": "evil", "name": EVIL_NAME, "sources": [
                {"kind": "site", "url": f"{base}/", "max_depth": 1},
                catalog(f"{base}/shop/"),
                {"kind": "reviews", "url": f"{base}/reviews.html"},
                {"kind": "ads", "url": f"{base}/ads.json", "format": "meta_ad_library"},
                {"kind": "jobs", "url": f"{base}/jobs.html"},
                {"kind": "newsletter", "url": "mbox:newsletters.mbox", "senders": ["@evil.example"]}]},
            {"slug": "tab", "name": TAB_NAME, "sources": [{"kind": "site", "url": f"{base}/tab/"}]},
        ], timeout=TIMEOUT)
        text = config.read_text(encoding="utf-8")
        config.write_text(text + "alerts:\n  email:\n    from: dossier@example.org\n    to:\n"
                          "      - team@example.org\n"
                          f"      - address: '{OPS}'\n        competitors: [evil]\n"
                          "  rules:\n    price_change_pct: 0\n", encoding="utf-8")
        database_url = f"sqlite:///{folder / 'dossier.db'}"
        results = []
        for night in (1, 2):
            sites.routes["evil"] = hostile.site(night)
            mbox.write_bytes(hostile.newsletter_mbox(night))
            results.append(run_once(config, database_url, folder / f"outbox-{night}"))
    engine = create_db_engine(database_url)
    report = folder / "report"
    build_report(engine, report)
    exports = {}
    for name in EXPORTS:
        for fmt in ("csv", "xlsx"):
            out = folder / f"{name}.{fmt}"
            result = CliRunner().invoke(cli, ["export", "--format", fmt, "--table", name, "--out", str(out),
                                              "--db", database_url])
            exports[name, fmt] = (result.exit_code, result.output, out)
    yield Nights(results, engine, base, folder, report, exports)
    engine.dispose()


class Nights:
    def __init__(self, results, engine, base, folder, report, exports):
        self.results, self.engine, self.base, self.folder = results, engine, base, folder
        self.report, self.exports = report, exports
        self.changes = list_changes(engine, run_id=results[1].run_id)
        self.emls = {path.name: email.message_from_bytes(path.read_bytes(), policy=policy.default)
                     for path in sorted((folder / "outbox-2").glob("*.eml"))}

    def eml(self, who: str):
        return next(message for name, message in self.emls.items() if who in name)

    def pages(self) -> dict[str, str]:
        return {path.name: path.read_text(encoding="utf-8") for path in sorted(self.report.glob("*.html"))}


def _visible(tree) -> str:
    return " ".join(tree.text_content().split())


def hostile_markup(text: str) -> list[str]:
    """What in an HTML document came from scraped text rather than our template: foreign elements, event
    handlers, links with a script or data scheme, more <script> elements than the template's own."""
    tree = lxml.html.document_fromstring(text)
    found = []
    scripts = tree.xpath("//script")
    ours = [s for s in scripts if s.get("src") == f"static/{CHART_JS}" or s.get("type") == "application/json"
            or (s.text and s.text.strip() and s.text.strip() in OWN_TEMPLATES)]
    found += [f"<script>{lxml.html.tostring(s, encoding='unicode')[:80]}" for s in scripts if s not in ours]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in FOREIGN:
            found.append(f"<{element.tag}>")
        if element.tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"<{element.tag} {name}=…>")
            squashed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.lower() in LINK_ATTRIBUTES and squashed.startswith(BAD_SCHEMES):
                found.append(f"<{element.tag} {name}={value[:40]!r}>")
    return found


def test_the_two_nights_ran_and_the_second_has_a_change_of_every_kind_the_payloads_ride(nights):
    assert [r.status for r in nights.results] == ["succeeded", "succeeded"]
    kinds = {c.kind for c in nights.changes}
    assert {"price_up", "product_added", "page_added", "text_changed", "review_new", "ad_new", "job_posted",
            "newsletter_new"} <= kinds, kinds
    titles = " ".join(c.title or "" for c in nights.changes)
    assert SCRIPT in titles and HYPERLINK in titles  # the payloads reached the changes as they were scraped


# -- the digest ------------------------------------------------------------------------------------------------
def test_each_recipient_got_one_digest(nights):
    assert len(nights.emls) == 2 and all(name.startswith("run-00002-") for name in nights.emls)


@pytest.mark.parametrize("who", ["team_at", "ops_at"])
def test_the_digest_html_holds_no_markup_from_scraped_text(nights, who):
    html = nights.eml(who).get_body(("html",)).get_content()
    assert hostile_markup(html) == []
    visible = _visible(lxml.html.document_fromstring(html))
    for payload in ATTACKS:
        assert payload in visible  # shown as text, where the reader can see what the competitor wrote


@pytest.mark.parametrize("who", ["team_at", "ops_at"])
def test_the_digest_links_only_http_urls(nights, who):
    tree = lxml.html.document_fromstring(nights.eml(who).get_body(("html",)).get_content())
    hrefs = [a.get("href") for a in tree.xpath("//a[@href]")]
    assert hrefs and all(href.startswith((nights.base + "/", "https://")) for href in hrefs), hrefs


@pytest.mark.parametrize("who", ["team_at", "ops_at"])
def test_the_plain_text_digest_keeps_each_payload_on_its_line(nights, who):
    text = nights.eml(who).get_body(("plain",)).get_content()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)  # no control character, no CR
    lines = text.splitlines()
    assert not [line for line in lines if line.lstrip().lower().startswith(("bcc:", "x-injected:"))]
    assert any(SCRIPT in line for line in lines)


@pytest.mark.parametrize("who", ["team_at", "ops_at"])
def test_the_eml_has_dossiers_headers_and_no_other(nights, who):
    message = nights.eml(who)
    assert list(message.keys()) == HEADERS
    for name in HEADERS:
        assert "\r" not in str(message[name]) and "\n" not in str(message[name])
    raw = (nights.folder / "outbox-2" / next(n for n in nights.emls if who in n)).read_bytes()
    head = raw.split(b"\n\n", 1)[0].decode("ascii")  # headers are ASCII: any other text is an encoded word
    for line in head.split("\n"):
        assert line[:1] in (" ", "\t") or line.split(":", 1)[0] in HEADERS, line


def test_the_subject_names_the_competitor_on_one_line(nights):
    subject = str(nights.eml("ops_at")["Subject"])
    assert subject.startswith("Dossier: ") and " at Evil <script>alert(1)</script> Wheels" in subject
    assert "Bcc" not in subject[:subject.index(" at Evil")]  # the name is cut to 40 characters: no header in it


def test_each_digest_goes_to_its_one_recipient(nights):
    assert [a for _, a in getaddresses([str(nights.eml("team_at")["To"])])] == ["team@example.org"]
    ops = nights.eml("ops_at")["To"]
    assert [a for _, a in getaddresses([str(ops)])] == ["ops@example.org"]
    assert ops.addresses[0].display_name == "Ops; Bcc: victim@example.org"  # a quoted name, not a second address


def test_a_recipient_whose_quoted_name_holds_a_comma_gets_its_digest(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        run_id = start_run(engine)
        entry = outbox.store_digest(engine, run_id, [COMMA], "Dossier: 1 price rise", "text", "<p>html</p>")
        assert entry.recipients == [COMMA]
        message = outbox_message(engine, entry, "dossier@example.org")  # the stored list read back as addresses
        assert [a for _, a in getaddresses([str(message["To"])])] == ["ops@example.org"]
    finally:
        engine.dispose()


def test_a_recipient_or_sender_with_cr_lf_is_refused_before_the_run(tmp_path):
    """tests/test_mailer.py refuses such addresses in the mailer; here the run's up-front check does."""
    for field, value in (("to", ["Team\r\nBcc: victim@example.org <team@example.org>"]),
                         ("from", "dossier@example.org\r\nBcc: victim@example.org")):
        email_settings = {"to": ["team@example.org"], "from": "dossier@example.org", field: value}
        config = parse_config({"competitors": [{"slug": "a", "name": "A", "sources": [
            {"kind": "site", "url": "https://a.example/"}]}], "alerts": {"email": email_settings}})
        with pytest.raises(AlertError) as raised:
            check_alerts(config, tmp_path)
        assert "\n" not in str(raised.value) and "\r" not in str(raised.value)
        assert str(raised.value).startswith(f"alerts.email.{field}: ")


# -- the report ------------------------------------------------------------------------------------------------
def test_the_report_pages_hold_no_markup_from_scraped_text(nights):
    pages = nights.pages()
    assert sorted(pages) == ["evil.html", "index.html", "tab.html"]
    for name, text in pages.items():
        assert hostile_markup(text) == [], name


def test_the_report_shows_the_payloads_as_text(nights):
    pages = nights.pages()
    visible = _visible(lxml.html.document_fromstring(pages["evil.html"]))
    for payload in (*ATTACKS, HYPERLINK):
        assert payload in visible, payload
    assert SCRIPT in _visible(lxml.html.document_fromstring(pages["index.html"]))


def test_the_reports_chart_data_cannot_end_its_script_element(nights):
    checked = set()
    for name, text in nights.pages().items():
        tree = lxml.html.document_fromstring(text)
        for data in tree.xpath("//script[@type='application/json']"):
            assert "<" not in data.text_content(), name  # "<" travels as \u003c: no "</script>" in the data
            checked.add(data.get("id"))
    assert checked == {"price-data", "index-data", "rating-data", "timeline-data"}  # every chart's data looked at


# -- the exports -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", EXPORTS)
def test_the_csv_export_has_no_cell_a_spreadsheet_would_run(nights, name):
    code, output, out = nights.exports[name, "csv"]
    assert code == 0, output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) > 1
    running = [cell for row in rows[1:] for cell in row if cell.startswith(FORMULA_PREFIXES)]
    assert running == []


@pytest.mark.parametrize("name", EXPORTS)
def test_the_xlsx_export_is_written_and_has_no_formula(nights, name):
    code, output, out = nights.exports[name, "xlsx"]
    assert code == 0, output
    sheet = openpyxl.load_workbook(out).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert cells and not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not [cell.value for cell in cells if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES)]


def test_the_formulas_are_kept_as_text_behind_an_apostrophe(nights):
    _, _, out = nights.exports["product", "csv"]
    with out.open(newline="", encoding="utf-8") as handle:
        names = {row["name"] for row in csv.DictReader(handle)}
    assert {"'" + formula for formula in FORMULAS} <= names
    _, _, out = nights.exports["competitor", "xlsx"]
    names = {row[0].value for row in openpyxl.load_workbook(out).active.iter_rows(min_row=2)
             for row in [[c for c in row if isinstance(c.value, str) and "Tab Co" in c.value]] if row}
    assert names == {"'\t=1+1 Tab Co"}


def test_control_characters_do_not_stop_the_xlsx_export(nights):
    """XLSX (XML 1.0) cannot hold most C0 controls: they are dropped from the cells, the rest of the text kept."""
    _, _, out = nights.exports["product", "xlsx"]
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    names = {row[header.index("name")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "Rad[31m rot" in names


@pytest.mark.parametrize("value", ["\t=1+1", "\r=1+1", "\r\n@SUM(A1)", "\t+cmd"])
def test_a_formula_behind_a_tab_or_cr_is_neutralised(value):
    """Scraped names reach the database with their white space folded, so these come from elsewhere (a config
    name, a page's text): the rule is the same."""
    assert neutralise_formulas(pd.DataFrame({"a": [value]}))["a"].tolist() == ["'" + value]
