"""A source that fails on night2 on the fixture sites: source_unreachable, the run partial, nothing removed from it."""
from __future__ import annotations

import pytest

from fixtures.server import FixtureSites
from schedules.nightly import run_once
from storage.db import create_db_engine
from storage.queries import list_changes

CONFIG = """
defaults:
  download_delay: 0
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - kind: catalog
        url: "{kranrad}/produkte/"
        follow: "/produkte/"
        paginate: "a.next"
        allow_private: true
      - kind: catalog
        url: "{kranrad}/aktionen/"
        allow_private: true
"""


@pytest.fixture(scope="module")
def nights(tmp_path_factory, module_database_url):
    folder = tmp_path_factory.mktemp("failed-source")
    database_url = module_database_url
    config_path = folder / "competitors.yaml"
    with FixtureSites(sites=["kranrad"]) as sites:
        config_path.write_text(CONFIG.format(**sites.urls()), encoding="utf-8")
        first = run_once(config_path, database_url, folder / "outbox")
        sites.night = "night2"  # /aktionen/ answers 503 tonight
        second = run_once(config_path, database_url, folder / "outbox")
    engine = create_db_engine(database_url)
    yield first, second, engine
    engine.dispose()


def test_the_run_is_partial_and_names_the_failed_source(nights):
    first, second, _ = nights
    assert first.status == "succeeded"
    assert second.status == "partial"
    assert len(second.failed_sources) == 1 and "/aktionen/" in second.failed_sources[0]


def test_source_unreachable_and_no_removal_of_its_products(nights):
    _, second, engine = nights
    changes = list_changes(engine, run_id=second.run_id)
    unreachable = [c for c in changes if c.kind == "source_unreachable"]
    assert len(unreachable) == 1 and "/aktionen/" in (unreachable[0].url or unreachable[0].entity)
    assert unreachable[0].severity == "high"
    removed = {c.title for c in changes if c.kind == "product_removed"}
    assert removed == {"Laufrad LR 400"}  # the complete catalog still reports its real removal
