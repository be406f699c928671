"""The Internet Archive's CDX index read (extractors/archive.py): answers parsed table-driven over the files of
tests/samples/cdx (each NAME.cdx beside NAME.expected.json: its captures, or the error it raises) and the fixture
archive's index; hostile bytes as property tests; captures picked per month and quarter; the archive client's
politeness (crawler/archive.py) against a loopback server that answers 429 and 503."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.archive import ArchiveClient, ArchiveError
from extractors.archive import (
    CDX_FIELDS, Capture, CdxUnreadable, capture_url, cdx_query, parse_cdx, parse_timestamp, period_of, plan_periods,
)

SAMPLES = Path(__file__).resolve().parent / "samples" / "cdx"
FIXTURE_INDEX = Path(__file__).resolve().parent.parent / "fixtures" / "archive" / "night1" / "cdx" / "search" / "cdx.json"


def as_json(capture: Capture) -> dict:
    return {"timestamp": capture.timestamp.isoformat(), "original": capture.original, "mimetype": capture.mimetype,
            "status": capture.status, "digest": capture.digest, "length": capture.length, "good": capture.good}


@pytest.mark.parametrize("sample", sorted(p.stem for p in SAMPLES.glob("*.cdx")))
def test_cdx_answers(sample):
    body = (SAMPLES / f"{sample}.cdx").read_bytes()
    expected = json.loads((SAMPLES / f"{sample}.expected.json").read_text(encoding="utf-8"))
    if isinstance(expected, dict):
        with pytest.raises(CdxUnreadable) as raised:
            parse_cdx(body)
        assert expected["error"] in str(raised.value)
        assert "\n" not in str(raised.value)  # one line for the user
    else:
        assert [as_json(c) for c in parse_cdx(body)] == expected


def test_the_fixture_archive_index():
    captures = parse_cdx(FIXTURE_INDEX.read_bytes())
    good = [c for c in captures if c.good]
    assert len(captures) == 13 and len(good) == 10
    assert {c.original for c in good} == {"https://kranrad.example/", "https://kranrad.example/produkte/",
                                          "https://kranrad.example/impressum/"}
    # the redirect, the revisit and the robots.txt (not HTML)
    assert [(c.status, c.mimetype) for c in captures if not c.good] == [
        (301, "text/html"), (None, "warc/revisit"), (200, "text/plain")]


def test_a_robots_txt_capture_is_not_a_page():
    capture = Capture(parse_timestamp("20240312100950"), "https://kranrad.example/robots.txt", "text/plain", 200)
    assert not capture.good


@pytest.mark.parametrize("stamp, iso", [
    ("2024", "2024-01-01T00:00:00+00:00"),
    ("202405", "2024-05-01T00:00:00+00:00"),
    ("20240517", "2024-05-17T00:00:00+00:00"),
    ("20240517231559", "2024-05-17T23:15:59+00:00"),
])
def test_timestamps_are_padded_with_the_earliest(stamp, iso):
    assert parse_timestamp(stamp).isoformat() == iso


@pytest.mark.parametrize("stamp", ["", "24", "2024-05-17", "202413", "20240230", "202405172315599", "２０２４"])
def test_a_bad_timestamp_is_unreadable(stamp):
    with pytest.raises(CdxUnreadable):
        parse_timestamp(stamp)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("moment, per, label, start, end", [
    (utc(2024, 5, 17, 8), "month", "2024-05", utc(2024, 5, 1), utc(2024, 6, 1)),
    (utc(2024, 12, 31, 23, 59), "month", "2024-12", utc(2024, 12, 1), utc(2025, 1, 1)),
    (utc(2024, 5, 17), "quarter", "2024-Q2", utc(2024, 4, 1), utc(2024, 7, 1)),
    (utc(2024, 11, 2), "quarter", "2024-Q4", utc(2024, 10, 1), utc(2025, 1, 1)),
    (utc(2025, 1, 1), "quarter", "2025-Q1", utc(2025, 1, 1), utc(2025, 4, 1)),
])
def test_periods(moment, per, label, start, end):
    period = period_of(moment, per)
    assert (period.label, period.start, period.end) == (label, start, end)
    assert moment in period


def capture(stamp: str, url: str = "https://kranrad.example/", digest: str = "D", status: int = 200,
            mimetype: str = "text/html") -> Capture:
    return Capture(parse_timestamp(stamp), url, mimetype, status, digest)


def test_the_last_good_capture_of_each_page_per_period_and_older_ones_carried_forward():
    home, catalog = "https://kranrad.example/", "https://kranrad.example/produkte/"
    captures = {
        home: [capture("20240301"), capture("20240320", digest="E"), capture("20240325", status=404),
               capture("20240910", mimetype="warc/revisit")],
        catalog: [capture("20240302", catalog), capture("20240915", catalog, digest="F")],
    }
    plans = plan_periods(captures, "month")
    assert [p.period.label for p in plans] == ["2024-03", "2024-09"]
    march, september = plans
    assert [(url, c.stamp) for url, c in march.captures] == [(home, "20240320000000"), (catalog, "20240302000000")]
    assert march.fresh == 2 and march.first == utc(2024, 3, 2) and march.last == utc(2024, 3, 20)
    # the home page was not captured well in September: March's capture stands for it
    assert [(url, c.stamp) for url, c in september.captures] == [(home, "20240320000000"),
                                                                 (catalog, "20240915000000")]
    assert september.fresh == 1 and september.first == september.last == utc(2024, 9, 15)
    assert [p.period.label for p in plan_periods(captures, "quarter")] == ["2024-Q1", "2024-Q3"]
    assert [p.period.label for p in plan_periods(captures, "month", since=utc(2024, 4, 1))] == ["2024-09"]


def test_urls_of_the_index_and_of_a_capture():
    query = cdx_query("http://127.0.0.1:8000/", "https://kranrad.example/?a=1&b=2", 2023)
    assert query.startswith("http://127.0.0.1:8000/cdx/search/cdx?url=https%3A%2F%2Fkranrad.example%2F%3Fa%3D1%26b%3D2")
    assert "output=json" in query and "from=2023" in query and "filter=statuscode%3A200" in query
    assert "collapse=timestamp%3A8" in query  # one capture a day at most
    assert capture_url("https://web.archive.org", capture("20240320101500")) == \
        "https://web.archive.org/web/20240320101500id_/https://kranrad.example/"


# -- hostile input -------------------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_are_captures_or_one_line_unreadable(body):
    try:
        captures = parse_cdx(body)
    except CdxUnreadable as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert all(isinstance(c, Capture) and c.timestamp.tzinfo is timezone.utc for c in captures)


json_text = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner,
                                                                                     max_size=3), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(json_text)
def test_any_json_is_captures_or_unreadable(value):
    try:
        captures = parse_cdx(json.dumps(value).encode())
    except CdxUnreadable as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(captures, list)


moments = st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2099, 12, 31),
                       timezones=st.just(timezone.utc)).map(lambda m: m.replace(microsecond=0))
rows = st.tuples(moments, st.sampled_from(["https://kranrad.example/", "http://a.example/x?y=1"]),
                 st.sampled_from(["text/html", "warc/revisit", "text/plain"]), st.sampled_from(["200", "301", "-"]),
                 st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=1, max_size=32),
                 st.integers(0, 10**7).map(str))


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, max_size=20), st.booleans())
def test_an_index_written_reads_back(written, plain):
    lines = [["k", m.strftime("%Y%m%d%H%M%S"), url, mime, status, digest, length]
             for m, url, mime, status, digest, length in written]
    body = "\n".join(" ".join(line) for line in lines) if plain else json.dumps([list(CDX_FIELDS), *lines])
    captures = parse_cdx(body.encode())
    assert [(c.timestamp, c.original, c.mimetype, c.status, c.digest, c.length) for c in captures] == [
        (m, url, mime, None if status == "-" else int(status), digest, int(length))
        for m, url, mime, status, digest, length in written]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["https://a.example/", "https://a.example/b", "https://a.example/c"]),
                       st.lists(st.tuples(moments, st.sampled_from([200, 404]), st.sampled_from("XYZ")), max_size=8),
                       max_size=3),
       st.sampled_from(["month", "quarter"]))
def test_plans_hold_one_capture_per_page_none_after_the_period(found, per):
    captures = {url: [Capture(m, url, "text/html", status, digest) for m, status, digest in seen]
                for url, seen in found.items()}
    plans = plan_periods(captures, per)
    assert [p.period.index for p in plans] == sorted({p.period.index for p in plans})
    good = {(url, c.timestamp) for url, cs in captures.items() for c in cs if c.good}
    assert {p.period.label for p in plans} == {period_of(m, per).label for _, m in good}
    for plan in plans:
        urls = [url for url, _ in plan.captures]
        assert len(urls) == len(set(urls)) and plan.fresh >= 1
        for url, chosen in plan.captures:
            assert chosen.good and chosen.timestamp < plan.period.end
            # the newest good capture of the page up to the period's end
            assert chosen.timestamp == max(m for u, m in good if u == url and m < plan.period.end)


# -- the client's politeness ---------------------------------------------------------------------------------------

class _Busy(BaseHTTPRequestHandler):
    """Answers 429 (with Retry-After), then 503, then the index; records the User-Agent of each request."""

    answers: list[int] = []
    agents: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).agents.append(self.headers.get("User-Agent", ""))
        status = type(self).answers.pop(0) if type(self).answers else 200
        body = (b'[["timestamp","original","mimetype","statuscode"],["20240312101000","https://kranrad.example/",'
                b'"text/html","200"],["20240312101000","https://other.example/","text/html","200"]]')
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def busy_archive():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_busy_answers_are_retried_with_back_off_and_the_delay_kept(busy_archive):
    _Busy.answers, _Busy.agents = [429, 503], []
    slept: list[float] = []
    client = ArchiveClient(busy_archive, "DossierBot/test", delay=2.0, backoff=5.0, sleep=slept.append)
    captures = client.captures("https://kranrad.example/")
    assert [c.original for c in captures] == ["https://kranrad.example/"]  # another URL's row is left out
    assert client.requests == 3 and _Busy.agents == ["DossierBot/test"] * 3
    waits = [round(s) for s in slept]
    assert 7 in waits and 10 in waits  # Retry-After of the 429, then the back-off doubled after the 503
    assert len([s for s in slept if 0 < s <= 2.0]) >= 1  # the delay between two requests


def test_busy_for_too_long_is_one_line(busy_archive):
    _Busy.answers, _Busy.agents = [503, 503, 503], []
    client = ArchiveClient(busy_archive, "DossierBot/test", delay=0, retries=2, sleep=lambda s: None)
    with pytest.raises(ArchiveError) as raised:
        client.captures("https://kranrad.example/")
    assert "HTTP 503" in str(raised.value) and "still busy" in str(raised.value) and "\n" not in str(raised.value)


def test_an_unreachable_archive_is_one_line():
    client = ArchiveClient("http://127.0.0.1:9", "DossierBot/test", delay=0, sleep=lambda s: None)
    with pytest.raises(ArchiveError) as raised:
        client.captures("https://kranrad.example/")
    assert str(raised.value).startswith("archive http://127.0.0.1:9 unreachable")


def test_an_answer_larger_than_max_bytes_is_refused(busy_archive):
    _Busy.answers, _Busy.agents = [], []
    client = ArchiveClient(busy_archive, "DossierBot/test", delay=0, max_bytes=50, sleep=lambda s: None)
    with pytest.raises(ArchiveError) as raised:
        client.captures("https://kranrad.example/")
    assert "is larger than 50 bytes (defaults.max_bytes of the config)" in str(raised.value)
