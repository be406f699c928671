"""What the crawl knows about a source beyond its fetch rows, kept per source by the spider (crawl_run.stats)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class SourceReport:
    """What the crawl knows about a source beyond its fetch rows: budget, discovery and warnings (crawl_run.stats)."""

    requested: int = 0
    cut_by_max_pages: bool = False
    discovery_requests: int = 0
    discovery_capped: bool = False
    discovery: list[dict[str, Any]] = field(default_factory=list)  # robots.txt, sitemaps
    warnings: list[str] = field(default_factory=list)
    traps_skipped: int = 0  # discovered URLs not followed because they look generated (crawler/traps.py)
    trap_examples: list[dict[str, str]] = field(default_factory=list)
    soft_404s: int = 0  # pages that answered like the site's page for a URL that does not exist (crawler/soft404.py)
    blocked: int = 0  # 200s that were a captcha or bot wall, not the page (extractors/challenge.py)
    rendered: int = 0  # render: auto, pages rendered in Chromium (after their static reading, or directly)
    render_gained: int = 0  # ... of which the rendered reading read more than the static one

    def as_json(self) -> dict[str, Any]:
        return {"requested": self.requested, "cut_by_max_pages": self.cut_by_max_pages,
                "discovery": self.discovery, "warnings": self.warnings,
                "traps_skipped": self.traps_skipped, "trap_examples": self.trap_examples,
                "soft_404s": self.soft_404s, "blocked": self.blocked,
                "rendered": self.rendered, "render_gained": self.render_gained}
