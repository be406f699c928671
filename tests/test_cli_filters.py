"""`dossier changes` filters check their values (one line listing the valid ones, exit code 2), and every Δ carries
its unit, in the change table and in the digest alike (schedules.units.format_delta)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import get_args

import pytest
from click.testing import CliRunner

from dossier.config import ChangeKind
from schedules.cli import cli
from schedules.digest import DigestItem, render_digest
from schedules.units import MEASURED_KINDS, format_delta
from storage import models
from storage.db import create_db_engine, session_scope, upgrade
from storage.runs import finish_run, start_run, sync_sources

SLUGS = ("toolshop", "kranrad", "gruzovoz")  # synced out of order: the error lists them sorted
NEWER_KIND = "warranty_changed"  # a kind a newer Dossier stored: this version has no unit for it
CHANGES = [  # (competitor, kind, title, before, after, magnitude)
    ("kranrad", "price_up", "LR 250", "489.00 EUR", "526.65 EUR", "7.70"),
    ("kranrad", "price_down", "LR 300", "100.00 EUR", "80.00 EUR", "-20.00"),
    ("kranrad", "review_new", "otzovik: Ivan, 1★", None, "late", "1.00"),
    ("gruzovoz", "rating_changed", "yandex", "4.5 (10 reviews)", "3.6 (12 reviews)", "-0.90"),
    ("gruzovoz", "sitemap_grew", "sitemap URLs", "800", "900", "12.50"),
    ("toolshop", "broken_links_up", "broken internal links", "2", "5", "3"),
    ("toolshop", "product_added", "Drill D1", None, "99.00 EUR", None),
    ("toolshop", NEWER_KIND, "Drill D1", "2 years", "3 years", "1"),
]


def stock(url: str) -> str:
    """A dossier at `url`: three competitors and one run holding the changes of CHANGES."""
    engine = create_db_engine(url)
    upgrade(engine)
    refs = sync_sources(engine, [{"slug": slug, "name": slug.title(),
                                  "sources": [{"kind": "site", "url": f"https://{slug}.example/"}]} for slug in SLUGS])
    competitor_id = {ref.competitor_slug: ref.competitor_id for ref in refs}
    run_id = start_run(engine)
    with session_scope(engine) as session:
        session.add_all(models.Change(run_id=run_id, competitor_id=competitor_id[slug], kind=kind,
                                      entity=f"{kind}:{title}", title=title, before=before, after=after,
                                      magnitude=None if magnitude is None else Decimal(magnitude),
                                      severity="medium") for slug, kind, title, before, after, magnitude in CHANGES)
    finish_run(engine, run_id, "succeeded")
    engine.dispose()
    return url


@pytest.fixture
def db(tmp_path):
    return stock(f"sqlite:///{tmp_path / 'dossier.db'}")


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_an_unknown_competitor_is_exit_2_and_one_line_listing_the_known(db):
    assert invoke("changes", "--competitor", "nosuch", "--db", db) == (
        2, "", "error: --competitor: no competitor 'nosuch' in the database; known: gruzovoz, kranrad, toolshop\n")


def test_an_unknown_kind_is_exit_2_and_one_line_listing_every_kind(database_url):
    code, out, err = invoke("changes", "--kind", "price_dwon", "--db", stock(database_url))
    assert (code, out) == (2, "")
    prefix = "error: --kind: 'price_dwon' is not a change kind; choose one of: "
    assert err.startswith(prefix) and err.endswith("\n") and err.count("\n") == 1
    listed = err[len(prefix):].strip().split(", ")
    # this version's kinds and the kind a newer version stored, sorted
    assert listed == sorted(set(get_args(ChangeKind)) | {NEWER_KIND})


def test_a_filter_value_is_quoted_so_a_control_character_stays_on_its_line(db):
    code, _, err = invoke("changes", "--competitor", "kran\nrad\x1b[2J", "--db", db)
    assert code == 2 and err.count("\n") == 1 and "\x1b" not in err
    assert err.startswith("error: --competitor: no competitor 'kran\\nrad\\x1b[2J' in the database; known: ")


def test_an_empty_database_says_no_competitor_is_known_yet(tmp_path):
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert invoke("init", "--db", db)[0] == 0
    assert invoke("changes", "--competitor", "kranrad", "--db", db) == (
        2, "", "error: --competitor: no competitor 'kranrad' in the database; known: (none yet)\n")


def test_valid_filters_still_filter(db):
    code, out, _ = invoke("changes", "--competitor", "kranrad", "--kind", "price_up", "--db", db, "--json")
    assert code == 0
    assert [(c["competitor_slug"], c["kind"], c["title"]) for c in json.loads(out)] == [
        ("kranrad", "price_up", "LR 250")]
    code, out, _ = invoke("changes", "--competitor", "gruzovoz", "--db", db, "--json")
    assert sorted(c["kind"] for c in json.loads(out)) == ["rating_changed", "sitemap_grew"]


def test_a_kind_known_but_without_changes_matches_nothing_quietly(db):
    assert invoke("changes", "--kind", "job_posted", "--db", db) == (0, "no changes match\n", "")


def test_a_kind_only_a_newer_version_knows_is_accepted(db):
    code, out, _ = invoke("changes", "--kind", NEWER_KIND, "--db", db, "--json")
    assert code == 0 and [c["title"] for c in json.loads(out)] == ["Drill D1"]


def test_the_change_table_shows_each_delta_with_its_unit(db):
    code, out, _ = invoke("changes", "--db", db)
    assert code == 0
    # the change table: event number, run, competitor, kind, what, before → after, Δ (the event table has 6 columns)
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.count("│") == 8]
    rows = {kind: delta for _event, _run, _slug, kind, _what, _before_after, delta in cells if kind}  # first lines
    assert rows == {"price_up": "+7.70 %", "price_down": "\u221220.00 %", "review_new": "1 ★",
                    "rating_changed": "\u22120.90 ★", "sitemap_grew": "+12.50 %", "broken_links_up": "+3 links",
                    "product_added": "", NEWER_KIND: "+1.00"}


DELTAS = [  # (kind, magnitude, shown): what storage/compare.py stores as magnitude, kind by kind
    ("price_up", "7.7", "+7.70 %"),  # percent(old price, new price)
    ("price_down", "-5.28", "\u22125.28 %"),
    ("price_anomaly", "99900.00", "+99900.00 %"),
    ("price_up", "0.004", "0.00 %"),
    ("sitemap_grew", "12.5", "+12.50 %"),  # percent(sitemap URLs before, after)
    ("review_new", "1.00", "1 ★"),  # the review's own stars
    ("review_new", "4.50", "4.5 ★"),
    ("review_negative", "2", "2 ★"),  # the digest's name for a review of 1–2 stars
    ("rating_changed", "-0.9", "\u22120.90 ★"),  # new aggregate rating minus the old
    ("rating_changed", "0.30", "+0.30 ★"),
    ("broken_links_up", "1", "+1 link"),  # broken internal links after minus before
    ("broken_links_up", "3", "+3 links"),
    ("undercut", "-2.71", "\u22122.71 % vs ours"),  # percent(our price, their price): theirs is below
    ("price_gap_changed", "6.07", "+6.07 pp vs ours"),  # the gap to ours now minus before, in points
    ("price_up", None, ""),
    ("product_added", None, ""),
    (NEWER_KIND, "1", "+1.00"),  # a kind this version does not know: its unit is unknown, the number is bare
]


@pytest.mark.parametrize("kind, magnitude, shown", DELTAS)
def test_format_delta(kind, magnitude, shown):
    assert format_delta(kind, None if magnitude is None else Decimal(magnitude)) == shown


def test_every_kind_that_has_a_magnitude_has_a_unit():
    """Adding a kind whose diff sets magnitude means adding its unit to schedules/units.py (and a case above)."""
    known = set(get_args(ChangeKind))
    assert MEASURED_KINDS - {"review_negative"} <= known
    assert {kind for kind, magnitude, _ in DELTAS if magnitude is not None} - {NEWER_KIND} == MEASURED_KINDS


def digest_text(kind: str, magnitude: str, before: str | None = "1", after: str | None = "2") -> str:
    item = DigestItem("kranrad", "Kranrad GmbH", kind, "t", before, after, Decimal(magnitude), "medium", None)
    return render_digest([item], run_id=1, run_started=datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)).text


def test_the_digest_measures_with_the_same_units():
    assert "1 → 2 (+4.70 %)" in digest_text("price_up", "4.70")
    assert "4.5 (10 reviews) → 3.6 (12 reviews) (\u22120.90 ★)" in digest_text(
        "rating_changed", "-0.90", "4.5 (10 reviews)", "3.6 (12 reviews)")
    assert "800 → 900 (+12.50 %)" in digest_text("sitemap_grew", "12.50", "800", "900")
    assert "2 → 5 (+3 links)" in digest_text("broken_links_up", "3", "2", "5")
    assert "(1 ★ of 5)" in digest_text("review_new", "1", None, "late")
