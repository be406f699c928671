"""Crawl defaults in one place (as Scrapy's default_settings.py): each says why it has its value."""
from __future__ import annotations

# Politeness: robots.txt obeyed; AutoThrottle adapts the delay to the competitor's response times.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # per competitor host; the config's concurrency_per_domain overrides it
DOWNLOAD_DELAY = 1.0  # the config's download_delay overrides it (the demo sets 0 on loopback)
DOWNLOAD_TIMEOUT = 30  # the config's timeout overrides it; render: js waits (navigation, wait_for) use it too
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # a page larger than this is not a page we want in memory (config: max_bytes)
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2  # a flaky 503 gets two more tries before the URL is recorded as failed
# Retries back off (crawler/retries.py): 1 s before the first, 2 s before the second, never sooner than the
# answer's Retry-After; a site that asks for more than RETRY_AFTER_MAX is not waited for (the URL fails at once).
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 60.0
REDIRECT_MAX_TIMES = 5  # a longer chain is a loop or a trap; it ends as a failed fetch row
COOKIES_ENABLED = False  # every night starts clean: no session carried from one run into the next
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's HTTP control server would run code sent to it: not in a nightly crawl
LOG_LEVEL = "WARNING"  # Scrapy's own log; `dossier run --verbose` raises it
# Each source keeps its own dupe filter: the same URL may belong to two sources (site and catalog).
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.SourceRequestFingerprinter"
ITEM_PIPELINES = {"crawler.pipelines.StoragePipeline": 300}
# Speed (benchmarks/crawl.py). The storage pipeline is synchronous (it only buffers rows for the writer), so
# Scrapy's 100 parallel item workers per response were 100 asyncio tasks a page doing nothing in parallel.
CONCURRENT_ITEMS = 4
# Scrapy's check for `return value` in generator callbacks re-parses the callback's source on every response
# (its cache is keyed by the bound method, a new object each time): 2 ms a page for parse_page.
WARN_ON_GENERATOR_RETURN_VALUE = False
# HTTP error responses reach the errback with their status, so every URL gets a fetch row.
HTTPERROR_ALLOW_ALL = False

# Discovery (sources with sitemap: true): sitemaps are not pages and cost no page budget, so a site's sitemap
# indexes are bounded here instead: how deep indexes may nest, and how many sitemap files one source reads.
SITEMAP_MAX_NESTING = 3
SITEMAP_MAX_FILES = 50

# Traps (crawler/traps.py): a discovered URL of a shape only a generator makes is not followed. Real catalog and
# filter URLs stay well inside these; an endless calendar of plain URLs is bounded by max_depth and max_pages.
TRAP_MAX_URL_LENGTH = 1024
TRAP_MAX_QUERY_PARAMS = 12
TRAP_MAX_REPEATS = 3  # the same path segment or query parameter more often than this
TRAP_EXAMPLES = 20  # skipped trap URLs named per source in crawl_run.stats (all are counted)

# Safety (crawler/safety.py): checked before robots.txt is asked for and before any connection.
DOWNLOADER_MIDDLEWARES = {
    "crawler.safety.SafetyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,  # replaced by the one that backs off
    "crawler.retries.BackoffRetryMiddleware": 550,
    # robots.txt as RFC 9309 reads it (crawler/robots.py): a 5xx or unreachable robots.txt disallows the host for
    # the night, where Scrapy's own middleware would allow everything
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.StrictRobotsTxtMiddleware": 100,
}

# render: js — scrapy-playwright's handler is installed only for crawls with such a source.
# scrapy-playwright's handler, recycling each competitor's browser context (contexts.py)
PLAYWRIGHT_DOWNLOAD_HANDLERS = {
    "http": "crawler.contexts.RecyclingPlaywrightHandler",
    "https": "crawler.contexts.RecyclingPlaywrightHandler",
}
# A competitor's rendered pages share one browser context for this many pages, then go to a fresh one and the old
# one is closed: a context keeps its cache, cookies and renderer memory until it closes, which over thousands of
# pages grows, while a fresh one costs only its empty cache. Not scrapy-playwright's
# PLAYWRIGHT_MAX_PAGES_PER_CONTEXT, which bounds the pages open at once. The environment variable of the same name
# overrides it (crawler/process.py; docs/operations.md).
DOSSIER_BROWSER_PAGES_PER_CONTEXT = 200
# Flags needed to run Chromium as root in a container and keep it from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
PLAYWRIGHT_BLOCKED_RESOURCES = frozenset({"image", "font", "media"})  # speed: prices are text

# `dossier backfill` (crawler/archive.py): the Internet Archive, asked one request at a time.
ARCHIVE_URL = "https://web.archive.org"  # a Wayback Machine with its CDX API (--archive)
ARCHIVE_DELAY = 1.0  # seconds between two requests: the archive asks about one a second of a CDX client (--delay)
ARCHIVE_RETRIES = 3  # tries after a 429 or 503 ...
ARCHIVE_BACKOFF = 5.0  # ... waiting this long (or the answer's Retry-After), then twice as long each time
ARCHIVE_RETRY_AFTER_MAX = 120.0  # a longer Retry-After is capped
ARCHIVE_TIMEOUT = 60.0
ARCHIVE_CACHE = "~/.cache/dossier/archive"  # captures kept by digest, so a rerun does not fetch them (--cache)
BACKFILL_MAX_PAGES = 50  # pages of a source asked of the archive, each costing one index query (--max-pages)
