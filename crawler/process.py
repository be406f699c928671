"""Running one crawl of a run in this process: settings from the config, then Scrapy until it is done.

The Twisted reactor starts once per process, so every crawl runs in a process of its own
(`python -m crawler`, started by crawler.launch).
"""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.browser import find_chromium
from crawler.order import CrawlOrder
from crawler.safety import BrowserGuard, host_resolver_rules
from crawler.pipelines import STORAGE_FAILED
from crawler.sources import SOURCE_KINDS, MissingSecret, SourcePlan, build_plans
from crawler.spider import CompetitorSpider
from dossier.config import Defaults
from dossier.errors import CrawlError, StorageError
from dossier.outcomes import FetchOutcome
from storage.db import create_db_engine
from storage.render_patterns import load_render_patterns
from storage.writer import RunWriter

log = logging.getLogger(__name__)

PAGES_PER_CONTEXT_ENV = "DOSSIER_BROWSER_PAGES_PER_CONTEXT"  # overrides the setting of the same name


def crawl_settings(defaults: Defaults, plans: list[SourcePlan], database_url: str, run_id: int,
                   verbose: bool = False) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="default")
    settings.setdict({
        "USER_AGENT": defaults.user_agent,
        "DOWNLOAD_DELAY": defaults.download_delay,
        "AUTOTHROTTLE_START_DELAY": defaults.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": defaults.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": defaults.timeout,
        "DOWNLOAD_MAXSIZE": defaults.max_bytes,
        "DOWNLOAD_WARNSIZE": min(default_settings.DOWNLOAD_WARNSIZE, defaults.max_bytes),
        "DOSSIER_DATABASE_URL": database_url,
        "DOSSIER_RUN_ID": run_id,
        "LOG_LEVEL": "INFO" if verbose else "WARNING",
    }, priority="project")
    if any(plan.may_render for plan in plans):
        settings.setdict({
            "DOWNLOAD_HANDLERS": default_settings.PLAYWRIGHT_DOWNLOAD_HANDLERS,
            "PLAYWRIGHT_BROWSER_TYPE": "chromium",
            "PLAYWRIGHT_LAUNCH_OPTIONS": {
                "executable_path": find_chromium(), "headless": True,
                # only the js and auto sources' hosts resolve: a redirect inside the browser cannot leave them
                "args": [*default_settings.CHROMIUM_ARGS, f"--host-resolver-rules={host_resolver_rules(plans)}"]},
            # images, fonts and media are never needed to read prices and texts; off-site and private
            # addresses are refused (crawler/safety.py)
            "PLAYWRIGHT_ABORT_REQUEST": BrowserGuard(plans, default_settings.PLAYWRIGHT_BLOCKED_RESOURCES),
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": defaults.timeout * 1000,  # milliseconds
            "DOSSIER_BROWSER_PAGES_PER_CONTEXT": _pages_per_context(),
        }, priority="project")
    return settings


def _pages_per_context() -> int:
    """$DOSSIER_BROWSER_PAGES_PER_CONTEXT when set (an operator's knob, docs/operations.md), else the default."""
    value = os.environ.get(PAGES_PER_CONTEXT_ENV, "").strip()
    if not value:
        return default_settings.DOSSIER_BROWSER_PAGES_PER_CONTEXT
    try:
        pages = int(value)
    except ValueError:
        pages = 0
    if pages < 1:
        raise CrawlError(f"{PAGES_PER_CONTEXT_ENV}={value}: must be a whole number of pages from 1 (unset it for "
                         f"the default, {default_settings.DOSSIER_BROWSER_PAGES_PER_CONTEXT})")
    return pages


def crawl(order: CrawlOrder, database_url: str, verbose: bool = False,
          overrides: dict[str, Any] | None = None) -> None:
    """Crawl the sources of `order` for its run, storing through the storage pipeline.

    `overrides` are Scrapy settings above the config's (benchmarks/crawl.py turns AutoThrottle off with it)."""
    engine = create_db_engine(database_url)
    plans = build_plans(list(order.sources), order.defaults)
    plans = _without_missing_secrets(plans, engine, order.run_id)
    plans = _without_unrenderable(plans, engine, order.run_id)
    plans = _with_render_patterns(plans, engine)
    engine.dispose()
    settings = crawl_settings(order.defaults, plans, database_url, order.run_id, verbose)
    settings.setdict(overrides or {}, priority="cmdline")
    if order.worker:
        settings.set("DOSSIER_WORKER", order.worker, priority="cmdline")
    for plan in {plan.kind: plan for plan in plans}.values():
        SOURCE_KINDS[plan.kind].prepare(plan)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(CompetitorSpider)
    process.crawl(crawler, plans=plans)
    process.start()
    failure = crawler.stats.get_value(STORAGE_FAILED)
    if failure:  # the database refused a write: what was stored is a part of the night, which must not pass
        raise StorageError(failure)


def _without_missing_secrets(plans: list[SourcePlan], engine, run_id: int) -> list[SourcePlan]:
    """A source whose secret is not in the environment (a VK source without DOSSIER_VK_TOKEN) fails alone: its start
    URL records why, nothing is requested for it; the rest crawl."""
    kept, writer = [], None
    for plan in plans:
        try:
            SOURCE_KINDS[plan.kind].request_headers(plan)
        except MissingSecret as exc:
            log.error("%s: %s: %s", plan.competitor_slug, plan.url, exc)
            writer = writer or RunWriter(engine, run_id)
            writer.record_fetch(plan.source_id, plan.url, None, str(exc), None, None, None,
                                outcome=FetchOutcome.FAILED)
        else:
            kept.append(plan)
    if writer is not None:
        writer.close()
    return kept


def _without_unrenderable(plans: list[SourcePlan], engine, run_id: int) -> list[SourcePlan]:
    """With no browser, render: js sources fail alone (their start URL records why); render: auto sources are read
    statically, with a warning in their report; the rest crawl as they are."""
    if not any(plan.may_render for plan in plans):
        return plans
    try:
        find_chromium()
    except CrawlError as exc:
        writer = RunWriter(engine, run_id)
        kept = []
        for plan in plans:
            if plan.render == "js":
                log.error("%s: %s", plan.url, exc)
                writer.record_fetch(plan.source_id, plan.url, None, str(exc), None, None, None,
                                    outcome=FetchOutcome.NO_BROWSER)
            elif plan.render == "auto":
                warning = f"render: auto read every page statically tonight: {exc}"
                log.warning("%s: %s", plan.url, warning)
                kept.append(replace(plan, render="static", warnings=(*plan.warnings, warning)))
            else:
                kept.append(plan)
        writer.close()
        return kept
    return plans


def _with_render_patterns(plans: list[SourcePlan], engine) -> list[SourcePlan]:
    """render: auto sources with what their URL patterns showed on the nights before (crawler/render_auto.py)."""
    known = load_render_patterns(engine, [plan.source_id for plan in plans if plan.render == "auto"])
    return [replace(plan, render_patterns=known[plan.source_id]) if plan.source_id in known else plan
            for plan in plans]
