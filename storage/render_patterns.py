"""render: auto, what each source's URL patterns showed on the nights before (table render_pattern), read when a
crawl starts; the crawl's writer stores tonight's (storage.writer.RunWriter.add_render_patterns)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select

from storage import models
from storage.db import session_scope

COUNTS = ("static_complete", "render_gained", "render_no_gain")


def load_render_patterns(engine: Engine, source_ids: Iterable[int]) -> dict[int, dict[str, dict[str, int]]]:
    """{source id: {pattern: {count name: value}}} of the given sources; a source with none is absent."""
    ids = sorted(set(source_ids))
    if not ids:
        return {}
    known: dict[int, dict[str, dict[str, int]]] = {}
    with session_scope(engine) as session:
        for row in session.scalars(select(models.RenderPattern).where(models.RenderPattern.source_id.in_(ids))):
            known.setdefault(row.source_id, {})[row.pattern] = {name: getattr(row, name) for name in COUNTS}
    return known
