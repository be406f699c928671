"""Running one crawl of a run in this process: settings from the config, then Scrapy until it is done.

The Twisted reactor starts once per process, so every crawl runs in a process of its own
(`python -m crawler`, started by crawler.launch).
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.browser import find_chromium
from crawler.sources import SourcePlan, build_plans
from crawler.spider import CompetitorSpider
from dossier.config import DossierConfig, load_config
from dossier.errors import CrawlError
from storage.db import create_db_engine
from storage.runs import sync_sources
from storage.writer import RunWriter

log = logging.getLogger(__name__)


def _abort_heavy_resources(request: Any) -> bool:
    """Images, fonts and media are never needed to read prices and texts: the browser skips them."""
    return request.resource_type in default_settings.PLAYWRIGHT_BLOCKED_RESOURCES


def crawl_settings(config: DossierConfig, plans: list[SourcePlan], database_url: str, run_id: int,
                   verbose: bool = False) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="default")
    defaults = config.defaults
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
    if any(plan.render == "js" for plan in plans):
        settings.setdict({
            "DOWNLOAD_HANDLERS": default_settings.PLAYWRIGHT_DOWNLOAD_HANDLERS,
            "PLAYWRIGHT_BROWSER_TYPE": "chromium",
            "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": find_chromium(), "headless": True,
                                          "args": default_settings.CHROMIUM_ARGS},
            "PLAYWRIGHT_ABORT_REQUEST": _abort_heavy_resources,
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": defaults.timeout * 1000,  # milliseconds
        }, priority="project")
    return settings


def crawl(config_path: str, database_url: str, run_id: int, verbose: bool = False) -> None:
    """Crawl every source of the config for run `run_id`, storing through the storage pipeline."""
    config = load_config(config_path)
    engine = create_db_engine(database_url)
    refs = sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in config.competitors])
    plans = build_plans(refs, config.defaults)
    plans = _without_unrenderable(plans, engine, run_id)
    engine.dispose()
    process = CrawlerProcess(crawl_settings(config, plans, database_url, run_id, verbose))
    process.crawl(CompetitorSpider, plans=plans)
    process.start()


def _without_unrenderable(plans: list[SourcePlan], engine, run_id: int) -> list[SourcePlan]:
    """With no browser, render: js sources fail alone (their start URL records why); the rest still crawl."""
    js = [plan for plan in plans if plan.render == "js"]
    if not js:
        return plans
    try:
        find_chromium()
    except CrawlError as exc:
        writer = RunWriter(engine, run_id)
        for plan in js:
            log.error("%s: %s", plan.url, exc)
            writer.record_fetch(plan.source_id, plan.url, None, str(exc), None, None, None)
        writer.close()
        return [plan for plan in plans if plan.render != "js"]
    return plans
