"""`dossier run --competitor SLUG [--source KIND]`: one competitor's sources are crawled and compared; the other
competitors' history is not touched (no source_crawl row, no change, no removal), and their next full run still
compares with their own last crawl."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fixtures.server import FixtureSites
from schedules.nightly import Scope, run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes
from dossier.errors import ConfigError

CONFIG = """
defaults:
  download_delay: 0
  render: static
competitors:
  - slug: kranrad
    name: Kranrad GmbH
    sources:
      - {{kind: jobs, url: "{kranrad}/karriere/", allow_private: true}}
      - {{kind: catalog, url: "{kranrad}/produkte/", follow: "/produkte/", allow_private: true}}
  - slug: gruzovoz
    name: ГрузоВоз
    sources:
      - {{kind: catalog, url: "{gruzovoz}/tarify/", allow_private: true}}
"""


def crawled(engine, run_id: int) -> set[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(select(models.Competitor.slug, models.Source.kind)
                               .join(models.Source, models.Source.competitor_id == models.Competitor.id)
                               .join(models.SourceCrawl, models.SourceCrawl.source_id == models.Source.id)
                               .where(models.SourceCrawl.run_id == run_id)).all()
    return {tuple(row) for row in rows}


@pytest.mark.slow
def test_a_run_of_one_competitor_leaves_the_others_history_alone(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    config = tmp_path / "competitors.yaml"
    with FixtureSites(sites=["kranrad", "gruzovoz"]) as sites:
        config.write_text(CONFIG.format(**sites.urls()), encoding="utf-8")
        first = run_once(config, database_url, tmp_path / "outbox")
        sites.night = "night2"  # prices move at both competitors
        kranrad_only = run_once(config, database_url, tmp_path / "outbox", scope=Scope("kranrad"))
        catalog_only = run_once(config, database_url, tmp_path / "outbox", scope=Scope("kranrad", "catalog"))
        full = run_once(config, database_url, tmp_path / "outbox")
    engine = create_db_engine(database_url)
    try:
        assert crawled(engine, first.run_id) == {("kranrad", "jobs"), ("kranrad", "catalog"), ("gruzovoz", "catalog")}
        assert crawled(engine, kranrad_only.run_id) == {("kranrad", "jobs"), ("kranrad", "catalog")}
        assert crawled(engine, catalog_only.run_id) == {("kranrad", "catalog")}
        changed = {c.competitor_slug for c in list_changes(engine, run_id=kranrad_only.run_id)}
        assert changed == {"kranrad"}  # gruzovoz's prices moved too, but it was not part of the run
        assert {(c.kind, c.title) for c in list_changes(engine, run_id=kranrad_only.run_id)} >= {
            ("price_up", "Laufrad LR 200"), ("product_removed", "Laufrad LR 400")}
        assert list_changes(engine, run_id=catalog_only.run_id) == []  # compared with the scoped run before it
        # the next full run compares gruzovoz with its own last crawl (the first run): its price change is there
        gruzovoz = {(c.kind, c.title) for c in list_changes(engine, run_id=full.run_id)
                    if c.competitor_slug == "gruzovoz"}
        assert ("price_up", "Газель до 1,5 т") in gruzovoz
        assert not any(c.competitor_slug == "kranrad" and c.kind.startswith("price")
                       for c in list_changes(engine, run_id=full.run_id))
        with session_scope(engine) as session:
            stats = session.get(models.CrawlRun, kranrad_only.run_id).stats
            sources = session.scalar(select(func.count()).select_from(models.Source)
                                     .where(models.Source.active.is_(True)))
        assert stats["scope"] == {"competitor": "kranrad", "source": None}
        assert sources == 3  # a scoped run deactivates no source of the config
    finally:
        engine.dispose()


def test_a_scope_the_config_does_not_have_is_one_line_before_anything_is_stored(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    config = tmp_path / "competitors.yaml"
    config.write_text(CONFIG.format(kranrad="http://127.0.0.1:9", gruzovoz="http://127.0.0.1:9"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^--competitor: no competitor 'nosuch' in the config \(its slugs: "
                                          r"kranrad, gruzovoz\)$"):
        run_once(config, database_url, tmp_path / "outbox", scope=Scope("nosuch"))
    with pytest.raises(ConfigError, match=r"^--source: gruzovoz has no 'reviews' source \(its kinds: catalog\)$"):
        run_once(config, database_url, tmp_path / "outbox", scope=Scope("gruzovoz", "reviews"))
    assert not (tmp_path / "dossier.db").exists()
