"""concurrency_per_domain over a real crawl: pages that take a moment to answer overlap only when it allows."""
from __future__ import annotations

from dataclasses import replace

from crawlsites import Sites, page, write_config
from schedules.nightly import run_once

PAGES = [f"/p{i}.html" for i in range(6)]
HOLD = {"/": page("Hold", *PAGES), **{path: replace(page(path), hold=0.25) for path in PAGES}}


def most_in_flight(tmp_path, concurrency: int) -> int:
    with Sites(hold=HOLD) as sites:
        config = write_config(tmp_path, [{"slug": "hold", "name": "Hold", "sources": [
            {"kind": "site", "url": f"{sites.base('hold')}/", "max_depth": 1}]}], concurrency_per_domain=concurrency)
        result = run_once(config, f"sqlite:///{tmp_path / 'dossier.db'}", tmp_path / "outbox")
        assert result.status == "succeeded", result.failed_sources
        assert {hit.path for hit in sites.hits} >= set(PAGES)
        return max(hit.in_flight for hit in sites.hits)


def test_one_request_at_a_time_per_domain_when_the_config_says_one(tmp_path):
    assert most_in_flight(tmp_path, 1) == 1


def test_the_check_sees_requests_overlap_when_the_config_allows_them(tmp_path):
    """The counterpart that shows the check above can fail: with three allowed, the slow pages overlap."""
    assert most_in_flight(tmp_path, 3) >= 2
