"""The spider's side of discovery: the robots.txt and sitemap requests of a source and their callbacks (reading
the files is crawler/discovery.py). Discovery finds pages; it is not pages itself: no budget, no fetch row."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import scrapy
from scrapy.http import Response

from crawler import settings as default_settings
from crawler.accounting import describe_failure
from crawler.callbacks import some
from crawler.discovery import read_sitemap, sitemaps_in_robots
from crawler.safety import allowed_url
from crawler.sources import SourcePlan
from dossier.urls import origin
from extractors.audit import robots_facts

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.source_report import SourceReport

# These callbacks are the spider's own (a mixin of it): their lines keep the spider's logger name, which the JSON
# log records (schedules/logs.py) and which they had before they moved here.
log = logging.getLogger("crawler.spider")

MAX_REFUSED_LISTED = 20  # off-site URLs of a sitemap named one by one in the crawl report
MAX_ROBOTS_RULES = 200  # rules of a robots.txt kept in the crawl report (the site audit compares their hash)


class DiscoveryCallbacks:
    """Mixed into the spider (crawler/spider.py), whose plans, reports, settings, timeout and page_request it
    uses."""

    plans: dict[int, SourcePlan]
    reports: dict[int, SourceReport]
    settings: Settings
    timeout: float
    page_request: Callable[..., scrapy.Request | None]

    def robots_request(self, plan: SourcePlan) -> scrapy.Request | None:
        """robots.txt of the source's site, read for its Sitemap: lines and, for the site audit, its rules."""
        return self.discovery_request(plan, origin(plan.url) + "/robots.txt", self.parse_robots, nesting=0)

    def discovery_request(self, plan: SourcePlan, url: str, callback, nesting: int) -> scrapy.Request | None:
        """robots.txt and sitemaps: read to find pages, not pages themselves (no budget, no fetch row)."""
        report = self.reports[plan.source_id]
        if not allowed_url(plan, url):
            report.discovery.append({"url": url, "error": "neither on the source's site nor in its allow_domains: "
                                                         "not read"})
            return None
        if report.discovery_requests >= default_settings.SITEMAP_MAX_FILES:
            if not report.discovery_capped:
                report.discovery_capped = True
                report.discovery.append({"url": url, "error": f"more than {default_settings.SITEMAP_MAX_FILES} "
                                                             "sitemap files: this one and any further not read"})
            return None
        report.discovery_requests += 1
        meta = {"dossier_source_id": plan.source_id, "dossier_discovery": nesting}
        # robots.txt itself is answered by the robots.txt middleware from the copy it read the rules from (one
        # request a night, crawler/robots.py); sitemaps may be forbidden by those rules
        if not plan.obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=callback, errback=self.on_discovery_error, meta=meta)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        named = sitemaps_in_robots(response)
        facts = robots_facts(response.body)
        self.reports[plan.source_id].discovery.append({
            "url": response.url, "status": response.status, "sitemaps": len(named), "robots": True,
            "robots_hash": facts.content_hash, "rules": facts.rules[:MAX_ROBOTS_RULES]})
        for url in named or [origin(plan.url) + "/sitemap.xml"]:
            yield from some(self.discovery_request(plan, url, self.parse_sitemap, nesting=1))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        plan = self.plans[response.meta["dossier_source_id"]]
        nesting = response.meta["dossier_discovery"]
        read = read_sitemap(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
        self.reports[plan.source_id].discovery.append({
            "url": response.url, "status": response.status, "error": read.error,
            "pages": len(read.pages), "sitemaps": len(read.sitemaps)})
        if read.error:
            log.warning("%s: sitemap %s: %s", plan.competitor_slug, response.url, read.error)
        for url in read.sitemaps:
            if nesting >= default_settings.SITEMAP_MAX_NESTING:
                self.reports[plan.source_id].discovery.append(
                    {"url": url, "error": f"sitemap indexes nested deeper than {default_settings.SITEMAP_MAX_NESTING}"})
                break
            yield from some(self.discovery_request(plan, url, self.parse_sitemap, nesting + 1))
        if not plan.sitemap:
            return  # read for the site audit (its URL count), not to find pages
        refused = 0
        for url in read.pages:
            if allowed_url(plan, url):
                yield from some(self.page_request(plan, url, depth=1))
            else:  # a sitemap is the site's own word on its pages: one elsewhere is said, not silently dropped
                refused += 1
                if refused <= MAX_REFUSED_LISTED:
                    self.reports[plan.source_id].discovery.append({
                        "url": url, "error": f"listed in {response.url} but neither on the source's site nor in "
                                             "its allow_domains: not read"})
        if refused > MAX_REFUSED_LISTED:
            self.reports[plan.source_id].discovery.append({
                "url": response.url, "error": f"{refused - MAX_REFUSED_LISTED} more URLs off the source's site: "
                                              "not read"})

    def on_discovery_error(self, failure) -> Iterator[scrapy.Request]:
        request = failure.request
        plan = self.plans[request.meta["dossier_source_id"]]
        info = describe_failure(failure, self.timeout)
        log.info("%s: discovery of %s failed: %s", plan.competitor_slug, request.url, info.error)
        self.reports[plan.source_id].discovery.append({"url": request.url, "status": info.status, "error": info.error,
                                                      "robots": request.meta["dossier_discovery"] == 0})
        if request.meta["dossier_discovery"] == 0:  # no robots.txt to name sitemaps: try the usual place
            yield from some(self.discovery_request(plan, origin(plan.url) + "/sitemap.xml", self.parse_sitemap,
                                                   nesting=1))

