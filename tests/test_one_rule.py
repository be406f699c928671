"""One rule, one place (issue 23, item 3): the last good crawl of a source, the tables counted as a run's items, the
negative-review threshold and the order of severities are each written once. Each is tested for what it does and
for the copies that drifted before: a test here fails when one comes back."""
from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from dossier.severity import SEVERITIES, at_least, known, rank, strongest
from extractors.records import Newsletter, Review
from schedules.alerts import digest_items
from schedules.digest import render_digest
from storage import models
from storage.compare import Rules
from storage.db import session_scope
from storage.events import list_events, record_events
from storage.history import competitor_counts
from storage.queries import list_changes
from storage.runs import ITEM_MODELS, finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter
from tests.test_storage import night, product

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dossier", "crawler", "extractors", "storage", "schedules")


def sources(*, without: str = "") -> list[tuple[Path, str]]:
    """(path, text) of the project's Python modules, but `without` (a path relative to the root)."""
    return [(path, path.read_text(encoding="utf-8")) for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.parts and path.relative_to(ROOT).as_posix() != without]


def test_the_good_crawl_rule_is_written_once():
    places = [path.relative_to(ROOT).as_posix() for path, text in sources()
              for _ in range(text.count('SourceCrawl.status == "succeeded"'))]
    assert places == ["storage/runs.py"]  # storage.runs.good_crawls; the diff and the outcomes ask it


def test_severities_are_ranked_in_one_place():
    copies = []
    for path, text in sources(without="dossier/severity.py"):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                names = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if names == set(SEVERITIES):
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert copies == []
    assert [rank(s) for s in ("high", "medium", "low", "critical", None)] == [0, 1, 2, 2, 2]  # unknown: the lowest
    assert at_least("high", "medium") and at_least("medium", "medium") and not at_least("low", "medium")
    assert known("urgent") == "low" and strongest(["low", "high", "medium"]) == "high" and strongest([]) == "low"


def test_no_module_compares_a_rating_with_a_threshold_of_its_own():
    copies = []
    for path, text in sources(without="storage/compare.py"):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.LtE, ast.Lt)) for op in node.ops):
                falling = all(isinstance(c, ast.Constant) and c.value == 0 for c in node.comparators)  # a drop
                if "rating" in ast.unparse(node.left).casefold() and not falling:
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert copies == []


def test_a_review_under_the_configured_threshold_is_negative_in_the_diff_the_digest_and_the_events(engine):
    rules = Rules(review_max_rating=3.0)  # alerts.rules.review_max_rating: 3
    night(engine, [product("A", "489")], rating=4.4, reviews=[Review("r1", "Eva", 5.0, text="gut")], rules=rules)
    second = night(engine, [product("A", "489")], rating=4.0, rules=rules,
                   reviews=[Review("r1", "Eva", 5.0, text="gut"), Review("r2", "Jens", 3.0, text="geht so")])
    record_events(engine, second)
    (review,) = [c for c in list_changes(engine, run_id=second) if c.kind == "review_new"]
    assert review.severity == "high"
    digest = render_digest(digest_items(list_changes(engine, run_id=second)), run_id=second,
                           run_started=datetime.now(timezone.utc))
    assert "Negative review" in digest.text  # not by a threshold of the digest's own (it said 2 stars)
    (event,) = [e for e in list_events(engine, run_id=second) if e.kind == "reviews"]
    assert "one 3-star: “geht so”" in event.title


def test_a_runs_items_are_counted_from_one_list_of_tables(engine):
    assert models.Newsletter in ITEM_MODELS and models.JobPosting in ITEM_MODELS
    copies = [path.relative_to(ROOT).as_posix() for path, text in sources()
              if "models.ReviewObservation, models.AdObservation" in text]
    assert copies == ["storage/runs.py"]
    competitors = [{"slug": "k", "name": "K", "sources": [
        {"kind": "catalog", "url": "https://k.example/p/"},
        {"kind": "newsletter", "url": "mbox:/tmp/k.mbox", "senders": ["@k.example"]}]}]
    catalog, letters = sync_sources(engine, competitors)
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(catalog.source_id, catalog.url, 200, None, 1, 1, "h")
    writer.add_products(catalog.source_id, catalog.competitor_id, [product("A", "1"), product("B", "2")], catalog.url)
    writer.add_newsletters(letters.source_id, letters.competitor_id,
                           [Newsletter("<1@k.example>", "news@k.example", "Sale", datetime.now(timezone.utc))])
    writer.close()
    record_source_outcomes(engine, run_id, [catalog, letters])
    finish_run(engine, run_id, "succeeded")
    with session_scope(engine) as session:
        per_source = sum(session.scalars(select(models.SourceCrawl.items).where(models.SourceCrawl.run_id == run_id)))
    (counts,) = competitor_counts(engine, run_id)
    assert counts.items == per_source == 3  # two products and a newsletter, the same in `dossier runs` and per source
