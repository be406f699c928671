"""The spider's side of the soft-404 check (the fingerprints are crawler/soft404.py): the probe asked for before a
source's start page, its callbacks, and the check of each page against the probe's answer."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from crawler.accounting import describe_failure
from crawler.callbacks import asked_url, some
from crawler.soft404 import fingerprint, probe_url
from crawler.sources import SourcePlan

if TYPE_CHECKING:
    from crawler.source_report import SourceReport


class Soft404Probe:
    """Mixed into the spider (crawler/spider.py), whose plans, reports, frontier, `not_found` cache, timeout and
    start_request it uses."""

    plans: dict[int, SourcePlan]
    reports: dict[int, SourceReport]
    frontier: Any
    not_found: dict[int, str]
    timeout: float
    start_request: Callable[[SourcePlan], scrapy.Request | None]

    def probe_request(self, plan: SourcePlan) -> scrapy.Request:
        """A URL of the source's site that cannot exist (crawler/soft404.py): discovery, like robots.txt (no
        budget, no fetch row); its answer says whether the site answers missing pages with a page."""
        meta: dict[str, Any] = {"dossier_source_id": plan.source_id, "dont_retry": True}
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(probe_url(plan.url), callback=self.parse_probe, errback=self.on_probe_error, meta=meta,
                              dont_filter=True)

    def parse_probe(self, response: Response) -> Iterator[Any]:
        plan = self.plans[response.meta["dossier_source_id"]]
        soft = 200 <= response.status < 300
        if soft:
            self.frontier.set_not_found_page(plan.source_id, _fingerprint(response))
        self.reports[plan.source_id].discovery.append({"url": response.url, "status": response.status,
                                                      "soft_404": soft})
        yield from some(self.start_request(plan))

    def on_probe_error(self, failure) -> Iterator[Any]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout)
        self.reports[plan.source_id].discovery.append({"url": request.url, "status": info.status,
                                                      "soft_404": False})
        yield from some(self.start_request(plan))

    def soft_404(self, plan: SourcePlan, response: Response) -> bool:
        """Whether the page is the site's answer for a URL that does not exist. When the start page itself is,
        the site answers everything alike: the check is off for the source, with a warning."""
        known = self.not_found.get(plan.source_id)
        if known is None:  # the probe answered before any other page of the source was asked for
            known = self.not_found[plan.source_id] = self.frontier.not_found_page(plan.source_id) or ""
        if not known:
            return False
        if _fingerprint(response) != known:
            return False
        if response.meta.get("dossier_depth") == 0 and asked_url(response) == plan.url:
            self.not_found[plan.source_id] = ""
            self.frontier.set_not_found_page(plan.source_id, "")
            self.reports[plan.source_id].warnings.append(
                "the start page looks like the site's answer for a URL that does not exist: soft 404s are not "
                "detected for this source")
            return False
        return True


def _fingerprint(response: Response) -> str:
    """The response's body with every URL it was asked under (its redirects' too) taken out, hashed."""
    return fingerprint(response.body, response.request.url, response.url, *(response.meta.get("redirect_urls") or []))
