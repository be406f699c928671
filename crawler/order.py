"""What a crawl process is asked to crawl: the run, its sources as the config validated them, and the defaults.

`dossier run` reads and validates the config once; the crawl process (`python -m crawler`, on this machine or a
worker's) gets this order on its standard input and rebuilds the same models from it, without the YAML file, the
config's other sections or a second write of the sources to the database. No Scrapy here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from dossier.config import Defaults, DossierConfig, Source
from dossier.errors import ConfigError


@dataclass(frozen=True, slots=True)
class OrderedSource:
    """A configured source with the ids it is stored under."""

    source_id: int
    competitor_id: int
    competitor_slug: str
    source: Source


@dataclass(frozen=True, slots=True)
class CrawlOrder:
    run_id: int
    defaults: Defaults
    sources: tuple[OrderedSource, ...]
    worker: str | None = None  # the worker of a distributed run that crawls it (its report is kept by this name)

    def only(self, source_ids: Iterable[int]) -> CrawlOrder:
        """The same order for some of its sources (one host's, for a worker)."""
        wanted = set(source_ids)
        return CrawlOrder(self.run_id, self.defaults, tuple(s for s in self.sources if s.source_id in wanted))

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "worker": self.worker, "defaults": self.defaults.model_dump(mode="json"),
                "sources": [{"source_id": s.source_id, "competitor_id": s.competitor_id,
                             "competitor_slug": s.competitor_slug, "source": s.source.model_dump(mode="json")}
                            for s in self.sources]}

    def to_text(self) -> str:
        return json.dumps(self.as_json(), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: Any) -> CrawlOrder:
        """The order a run handed over (its models validated again: the models are the contract, not the JSON)."""
        try:
            return cls(int(data["run_id"]), Defaults.model_validate(data["defaults"]),
                       tuple(OrderedSource(int(s["source_id"]), int(s["competitor_id"]), str(s["competitor_slug"]),
                                           Source.model_validate(s["source"])) for s in data["sources"]),
                       data.get("worker"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"the crawl order is not one `dossier run` wrote ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_text(cls, text: str) -> CrawlOrder:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"the crawl order is not JSON ({exc})") from None
        return cls.from_json(data)


def order_for(config: DossierConfig, run_id: int, refs: Iterable[Any]) -> CrawlOrder:
    """The crawl order of run `run_id` for the stored sources `refs` (storage.runs.SourceRef), each paired with
    its validated Source of `config`."""
    by_key = {(competitor.slug, source.kind, source.url): source
              for competitor in config.competitors for source in competitor.sources}
    return CrawlOrder(run_id, config.defaults, tuple(
        OrderedSource(ref.source_id, ref.competitor_id, ref.competitor_slug,
                      by_key[(ref.competitor_slug, ref.kind, ref.url)]) for ref in refs))
