"""Crawl benchmark: N product pages served on 127.0.0.1, fetched side by side by a bare Scrapy spider and by
Dossier's whole crawl (spider, extraction, storage writer), with the same politeness settings.

    python -m benchmarks.crawl [--pages N] [--kind catalog|site] [--render static|js|mixed] [--concurrency 8]
                               [--rounds 1] [--db URL] [--no-autothrottle] [--pipeline-only]

`--render static` (default, 1,000 pages): plain HTML fetched by Scrapy's HTTP client.
`--render js` (default 200 pages): the same pages, but the price (the visible one and the JSON-LD) is written by a
small inline script; the Dossier source is `render: js` with `wait_for: "main[data-ready]"`, and the bare spider
uses scrapy-playwright with the same Chromium, the same launch flags (crawler/settings.py CHROMIUM_ARGS) and the
same PageMethod wait.
`--render mixed` (default 200 pages): every page runs a site script, and every tenth product page sets its price
only by JavaScript, a moment after it loads (the HTML has the product's name, no price). No bare spider: Dossier's
crawl with `render: auto` against the same crawl with `render: js` for every page, neither with a wait_for (the
generic wait: network idle, then the DOM quiet); prints the pages/s of each, their ratio (the target of issue 21:
auto >= 5x js) and the prices each stored.

Prints pages/s of each and their ratio (the target of issue 4: the pipeline at >= 70 % of the bare spider), and
the peak resident memory of each crawl process (the target of issue 8: <= 400 MB for 20,000 static pages).
Both crawls run in processes of their own (Twisted's reactor starts once per process); pages/s is counted over
the crawl itself (Scrapy's elapsed_time_seconds: first request to the last item stored), and over the process's
wall time, start-up included. Peak RSS is the crawl process's ru_maxrss (wait4); "tree" is the largest sum of the
proportional set sizes (PSS) of the crawl process and all its descendants (Playwright's driver and Chromium),
sampled every 0.2 s from /proc. The pages are made on request from one template, so 20,000 of them cost the
server neither files nor much memory. Nothing here is imported by the project.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "fixtures" / "toolshop" / "night1" / "products" / "laser-level-24ft.html"
UA = "DossierBench/1.0 (+https://example.org/bench)"
WAIT_FOR = "main[data-ready]"  # the js pages' script marks <main> once the price is written
RSS_TARGET_MB = 400
RSS_TARGET_PAGES = 20_000
DEFAULT_PAGES = {"static": 1000, "js": 200, "mixed": 200}
AUTO_TARGET = 5.0  # issue 21: render: auto at >= 5x the pages/s of render: js on the mixed site
JS_EVERY = 10  # mixed: every tenth product page needs JavaScript for its price

# -- the site ----------------------------------------------------------------------------------------------------

# The js pages: no price in the HTML as served; this script writes the visible price and the JSON-LD, then marks
# <main>. Its literals are the template's, so the per-page replacements below give every page its own values.
PRICE_SCRIPT = """<script id="price-js">
(function () {
  var item = {name: "Laser Level 24ft", sku: "NW-LVL-24", price: "59.00", currency: "USD"};
  document.querySelector('p.price').textContent = '$' + item.price;
  var ld = document.createElement('script');
  ld.type = 'application/ld+json';
  ld.text = JSON.stringify({"@context": "https://schema.org/", "@type": "Product", "name": item.name,
    "sku": item.sku, "url": location.href, "brand": {"@type": "Brand", "name": "Northwind"},
    "offers": {"@type": "Offer", "price": item.price, "priceCurrency": item.currency,
               "availability": "https://schema.org/InStock", "url": location.href}});
  document.head.appendChild(ld);
  document.getElementById('main').setAttribute('data-ready', '1');
})();
</script>
"""
READY_SCRIPT = "<script>document.getElementById('main').setAttribute('data-ready', '1');</script>"
SITE_SCRIPT = '<script src="/site.js"></script>'  # mixed: every page runs one, as on any shop


def _late(page: str) -> str:
    """A js page whose script waits a moment after the load event before it writes the price (mixed)."""
    return page.replace("(function () {", "window.addEventListener('load', () => setTimeout(function () {", 1) \
        .replace("})();\n</script>", "}, 150));\n</script>", 1)


def _scripted(template: str) -> str:
    """The product page with its price left to PRICE_SCRIPT (and no off-site script: loopback only)."""
    page = re.sub(r'<script type="application/ld\+json">.*?</script>', "", template, flags=re.DOTALL)
    page = re.sub(r'<script async src="https?://[^"]*"></script>', "", page)
    page = re.sub(r'<p class="price">.*?</p>', '<p class="price"></p>', page, count=1, flags=re.DOTALL)
    assert "59.00" not in page and "ld+json" not in page, "the template changed: adapt _scripted"
    return page.replace("</body>", PRICE_SCRIPT + "</body>", 1)


class Site:
    """/products/ listing every product page; each page a real WooCommerce product page (JSON-LD, nav, footer),
    made from the toolshop fixture's page on request with its own name, SKU and price."""

    def __init__(self, pages: int, render: str, base: str) -> None:
        template = TEMPLATE.read_text(encoding="utf-8").replace("{base}", base)
        self.template = _scripted(template) if render == "js" else template
        self.render = render
        if render == "mixed":
            self.template = template.replace("</head>", SITE_SCRIPT + "</head>", 1)
            self.js_template = _late(_scripted(template)).replace("</head>", SITE_SCRIPT + "</head>", 1)
        self.pages = pages
        links = "\n".join(f'<li><a href="/products/{_slug(n)}.html">Laser Level {n}</a></li>'
                          for n in range(1, pages + 1))
        self.listing = ("<!doctype html><html><head><title>Shop</title></head><body><main id=\"main\"><h1>Shop</h1>"
                        f"<ul>{links}</ul></main>{READY_SCRIPT if render == 'js' else ''}</body></html>").encode()

    def get(self, path: str) -> bytes | None:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n"
        if path == "/site.js":
            return b"window.shop = {ready: true};"
        if path in ("/products/", "/products/index.html"):
            return self.listing
        match = re.fullmatch(r"/products/item-(\d+)\.html", path)
        if match and 1 <= int(match[1]) <= self.pages and match[1] == _slug(int(match[1]))[5:]:
            return self.product(int(match[1]))
        return None

    def product(self, n: int) -> bytes:
        price = Decimal(19) + Decimal(n) / 4
        template = self.js_template if self.render == "mixed" and n % JS_EVERY == 0 else self.template
        return (template.replace("laser-level-24ft", _slug(n)).replace("Laser Level 24ft", f"Laser Level {n}")
                .replace("NW-LVL-24", f"NW-{n:04}").replace("59.00", f"{price:.2f}")).encode()


def _slug(n: int) -> str:
    return f"item-{n:04}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        body = self.site.get(path)
        if body is None:
            self.send_response(404)
            body = b"not found"
        else:
            self.send_response(200)
        kind = {".txt": "text/plain", ".js": "text/javascript"}.get(path[path.rfind("."):], "text/html; charset=utf-8")
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A browser closing its connection early (a page it no longer needs) is no error of the site."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(pages: int, port: int, render: str) -> None:
    """Serve the site on 127.0.0.1:port until killed."""
    _Handler.site = Site(pages, render, f"http://127.0.0.1:{port}")
    server = _Server(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the two crawlers ----------------------------------------------------------------------------------------------

def _config(base: str, kind: str, pages: int, concurrency: int, render: str) -> dict:
    source = {"kind": kind, "url": f"{base}/products/", "allow_private": True, "max_pages": pages + 10,
              "max_depth": 1}
    if kind == "catalog":
        source["follow"] = "/products/item-"
    else:  # a site source follows every link of its site: keep it to the same pages as the bare spider
        source["deny"] = r"^http://[^/]+/(?!products/item-)"
    if render == "js":
        source.update(render="js", wait_for=WAIT_FOR)
    elif render in ("auto", "js-every-page"):  # mixed: no wait_for, the generic wait
        source.update(render="auto" if render == "auto" else "js")
    else:
        source.update(render="static")
    return {"defaults": {"user_agent": UA, "download_delay": 0, "concurrency_per_domain": concurrency,
                         "timeout": 30, "max_pages": pages + 10},
            "competitors": [{"slug": "bench", "name": "Bench", "sources": [source]}]}


def _overrides(autothrottle: bool) -> dict:
    """--no-autothrottle: both crawls as fast as the CPU allows (AutoThrottle aims at ~1 request in flight)."""
    return {} if autothrottle else {"AUTOTHROTTLE_ENABLED": False}


def blocked_resource(request) -> bool:
    """The bare spider's PLAYWRIGHT_ABORT_REQUEST: the same resource types Dossier blocks, without Dossier's
    per-request site and address checks (crawler/safety.py BrowserGuard)."""
    from crawler.settings import PLAYWRIGHT_BLOCKED_RESOURCES

    return request.resource_type in PLAYWRIGHT_BLOCKED_RESOURCES


def bare_crawl(config_path: str, out: str, autothrottle: bool = True) -> None:
    """A Scrapy spider that only follows the same links: the same settings (politeness included, and for js the
    same browser, launch flags and wait) as Dossier's crawl, without Dossier's spider logic, extraction,
    middlewares and storage."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy_playwright.page import PageMethod

    from crawler.process import crawl_settings
    from crawler.sources import SourcePlan
    from dossier.config import load_config

    config = load_config(config_path)
    source = config.competitors[0].sources[0]
    js = source.setting("render", config.defaults) == "js"
    # crawl_settings only reads a plan's render, url and allow_domains: Dossier's Playwright settings as they are
    plans = [SourcePlan(source_id=0, competitor_id=0, competitor_slug="bench", kind=source.kind, url=source.url,
                        max_pages=source.setting("max_pages", config.defaults), max_depth=1, render="js",
                        wait_for=source.wait_for, allow_private=True)] if js else []
    settings = crawl_settings(config.defaults, plans, "", 0)
    settings.setdict({"ITEM_PIPELINES": {}, "DOWNLOADER_MIDDLEWARES": {},
                      "REQUEST_FINGERPRINTER_CLASS": "scrapy.utils.request.RequestFingerprinter"}, priority="cmdline")
    if js:
        settings.set("PLAYWRIGHT_ABORT_REQUEST", blocked_resource, priority="cmdline")
    settings.setdict(_overrides(autothrottle), priority="cmdline")
    start = source.url
    timeout_ms = config.defaults.timeout * 1000
    meta = {}
    if js:
        meta = {"playwright": True, "playwright_context": "bench", "playwright_page_methods": [
            PageMethod("wait_for_selector", source.wait_for, state="attached", timeout=timeout_ms)]}

    class BareSpider(scrapy.Spider):
        name = "bare"
        pages = 0

        async def start(self):
            yield scrapy.Request(start, meta=meta)

        def parse(self, response):
            BareSpider.pages += 1
            for href in response.css('a[href*="/products/item-"]::attr(href)').getall():
                yield response.follow(href, callback=self.parse_page, meta=meta)

        def parse_page(self, response):
            BareSpider.pages += 1

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    Path(out).write_text(json.dumps({"pages": BareSpider.pages,
                                     "elapsed": crawler.stats.get_value("elapsed_time_seconds")}))


def pipeline_crawl(config_path: str, database_url: str, run_id: str, autothrottle: bool = True) -> None:
    """Dossier's crawl as `dossier run` starts it (crawler.process.crawl), with the benchmark's overrides."""
    from crawler.order import order_for
    from crawler.process import crawl
    from dossier.config import load_config
    from storage.db import create_db_engine
    from storage.runs import sync_sources

    config = load_config(config_path)
    engine = create_db_engine(database_url)
    refs = sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in config.competitors])
    engine.dispose()
    crawl(order_for(config, int(run_id), refs), database_url, overrides=_overrides(autothrottle))


# -- measuring a crawl process ------------------------------------------------------------------------------------

class _TreeSampler(threading.Thread):
    """The largest sum of PSS (kB) over a process and its descendants, sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in _tree(self.pid)))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _measured(command: list[str]) -> dict:
    """Run the command; its wall seconds, its peak RSS (ru_maxrss from wait4, MB) and its tree's peak PSS (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT)
    sampler = _TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "tree_mb": sampler.peak_kb / 1024,
            "cpu": usage.ru_utime + usage.ru_stime}


def _run_bare(config_path: Path, folder: Path, autothrottle: bool) -> dict:
    out = folder / "bare.json"
    measured = _measured([sys.executable, "-m", "benchmarks.crawl", "--bare", str(config_path), str(out),
                          *([] if autothrottle else ["--no-autothrottle"])])
    return {**json.loads(out.read_text()), **measured}


def _run_pipeline(config_path: Path, database_url: str, autothrottle: bool) -> dict:
    from sqlalchemy import func, select

    from dossier.config import load_config
    from storage.db import create_db_engine, open_database, session_scope
    from storage.models import CrawlRun, Fetch, PriceObservation
    from storage.runs import start_run, sync_sources

    config = load_config(config_path)
    engine = open_database(database_url)
    sync_sources(engine, [c.model_dump(mode="json", by_alias=True) for c in config.competitors])
    run_id = start_run(engine)
    engine.dispose()
    measured = _measured([sys.executable, "-m", "benchmarks.crawl", "--pipeline", str(config_path), database_url,
                          str(run_id), *([] if autothrottle else ["--no-autothrottle"])])
    engine = create_db_engine(database_url)
    with session_scope(engine) as session:
        pages = session.scalar(select(func.count()).select_from(Fetch).where(
            Fetch.run_id == run_id, Fetch.status == 200))
        priced = session.scalar(select(func.count()).select_from(PriceObservation).where(
            PriceObservation.run_id == run_id, PriceObservation.price.is_not(None)))
        crawl = session.get(CrawlRun, run_id).stats["crawl"]
    engine.dispose()
    return {"pages": pages, "elapsed": crawl["elapsed_time_seconds"], "items": crawl.get("item_scraped_count"),
            "priced": priced, "rendered": crawl.get("playwright/page_count", 0), **measured}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawl", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, help="product pages (default: 1000 static, 200 js)")
    parser.add_argument("--kind", choices=("catalog", "site"), default="catalog",
                        help="catalog: products extracted; site: page facts and technologies")
    parser.add_argument("--render", choices=("static", "js", "mixed"), default="static",
                        help="js: prices written by an inline script, crawled in Chromium by both spiders; mixed: "
                             "one product page in ten needs JavaScript, render: auto against render: js")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrency_per_domain of both crawls")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two crawls this many times")
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--no-autothrottle", action="store_true",
                        help="turn AutoThrottle off in both crawls: CPU-bound, the hardest comparison")
    parser.add_argument("--pipeline-only", action="store_true",
                        help="skip the bare spider (e.g. a 20,000-page run for peak memory only)")
    parser.add_argument("--serve", nargs=3, metavar=("PAGES", "PORT", "RENDER"), help=argparse.SUPPRESS)
    parser.add_argument("--bare", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--pipeline", nargs=3, metavar=("CONFIG", "DB", "RUN_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), int(args.serve[1]), args.serve[2])
        return 0
    if args.bare:
        bare_crawl(*args.bare, autothrottle=not args.no_autothrottle)
        return 0
    if args.pipeline:
        pipeline_crawl(*args.pipeline, autothrottle=not args.no_autothrottle)
        return 0
    args.pages = args.pages or DEFAULT_PAGES[args.render]

    with tempfile.TemporaryDirectory(prefix="dossier-bench-") as tmp:
        folder = Path(tmp)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "benchmarks.crawl", "--serve", str(args.pages), str(port),
                                   args.render], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            base = f"http://127.0.0.1:{port}"
            if args.render == "mixed":
                _compare_renders(args, folder, base)
                return 0
            config_path = folder / "competitors.yaml"
            config_path.write_text(yaml.safe_dump(_config(base, args.kind, args.pages, args.concurrency,
                                                          args.render)))
            bare, full = [], []
            for number in range(args.rounds):
                line = f"round {number + 1}:"
                if not args.pipeline_only:
                    bare.append(_run_bare(config_path, folder, not args.no_autothrottle))
                    line += f" bare {bare[-1]['pages']} pages in {bare[-1]['elapsed']:.2f} s,"
                database_url = args.db or f"sqlite:///{folder / f'bench-{number}.db'}"
                full.append(_run_pipeline(config_path, database_url, not args.no_autothrottle))
                print(f"{line} pipeline {full[-1]['pages']} pages in {full[-1]['elapsed']:.2f} s, "
                      f"peak RSS {full[-1]['rss_mb']:.0f} MB", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=10)
    _report(args, bare, full)
    return 0


def _compare_renders(args, folder: Path, base: str) -> None:
    """The mixed site crawled by Dossier with render: auto and with render: js, alternately, `rounds` times."""
    runs: dict[str, list[dict]] = {"auto": [], "js-every-page": []}
    for number in range(args.rounds):
        for render, done in runs.items():
            config_path = folder / f"competitors-{render}.yaml"
            config_path.write_text(yaml.safe_dump(_config(base, args.kind, args.pages, args.concurrency, render)))
            database_url = f"sqlite:///{folder / f'bench-{render}-{number}.db'}"
            done.append(_run_pipeline(config_path, database_url, not args.no_autothrottle))
            print(f"round {number + 1}: render {render}: {done[-1]['pages']} pages in {done[-1]['elapsed']:.2f} s, "
                  f"{done[-1]['priced']} prices, {done[-1]['rendered']} pages rendered", flush=True)

    def rate(render: str, key: str) -> float:
        return statistics.median(run["pages"] / run[key] for run in runs[render])

    throttle = "off" if args.no_autothrottle else "on"
    print(f"\n{args.pages} product pages (one in {JS_EVERY} priced only by JavaScript) and their listing on "
          f"127.0.0.1, concurrency_per_domain {args.concurrency}, AutoThrottle {throttle}, {args.rounds} round(s), "
          f"{os.cpu_count()} CPU(s); medians")
    print(f"{'':<16}{'pages':>7}{'rendered':>10}{'crawl s':>9}{'pages/s':>9}{'wall s':>8}{'pages/s':>9}"
          f"{'prices':>8}{'tree MB':>9}")
    for render, done in runs.items():
        print(f"{'render: ' + render.split('-')[0]:<16}{done[0]['pages']:>7}{done[0]['rendered']:>10}"
              f"{statistics.median(r['elapsed'] for r in done):>9.2f}{rate(render, 'elapsed'):>9.1f}"
              f"{statistics.median(r['wall'] for r in done):>8.2f}{rate(render, 'wall'):>9.1f}"
              f"{min(r['priced'] for r in done):>8}{max(r['tree_mb'] for r in done):>9.0f}")
    ratio = rate("auto", "elapsed") / rate("js-every-page", "elapsed")
    wall_ratio = rate("auto", "wall") / rate("js-every-page", "wall")
    every_price = all(run["priced"] == args.pages for done in runs.values() for run in done)
    verdict = "met" if ratio >= AUTO_TARGET and every_price else "NOT met"
    print(f"ratio auto/js: {ratio:.1f}x over the crawl, {wall_ratio:.1f}x over wall time (target >= {AUTO_TARGET:g}x "
          f"with every price read): {verdict}; every price read: {'yes' if every_price else 'NO'}")


def _report(args, bare: list[dict], full: list[dict]) -> None:
    def rate(runs: list[dict], key: str) -> float:
        return statistics.median(run["pages"] / run[key] for run in runs)

    def median(runs: list[dict], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    throttle = "off" if args.no_autothrottle else "on"
    what = "static" if args.render == "static" else f"js-rendered (wait_for {WAIT_FOR})"
    print(f"\n{args.pages} {what} product pages on 127.0.0.1, kind {args.kind}, concurrency_per_domain "
          f"{args.concurrency}, AutoThrottle {throttle}, {args.rounds} round(s), {os.cpu_count()} CPU(s); medians")
    print(f"{'':<20}{'pages':>7}{'crawl s':>9}{'pages/s':>9}{'wall s':>8}{'pages/s':>9}{'CPU s':>8}"
          f"{'peak RSS MB':>12}{'tree MB':>9}")
    for name, runs in (("bare Scrapy spider", bare), ("Dossier pipeline", full)):
        if not runs:
            continue
        print(f"{name:<20}{runs[0]['pages']:>7}{median(runs, 'elapsed'):>9.2f}{rate(runs, 'elapsed'):>9.1f}"
              f"{median(runs, 'wall'):>8.2f}{rate(runs, 'wall'):>9.1f}{median(runs, 'cpu'):>8.1f}"
              f"{max(r['rss_mb'] for r in runs):>12.0f}{max(r['tree_mb'] for r in runs):>9.0f}")
    if args.kind == "catalog":
        print(f"prices stored by the pipeline: {full[0]['priced']} (of {args.pages} product pages)")
    if bare:
        ratio = rate(full, "elapsed") / rate(bare, "elapsed")
        wall_ratio = rate(full, "wall") / rate(bare, "wall")
        verdict = ("met" if ratio >= 0.70 else "NOT met") if args.render == "static" else \
            "issue 4's target is for static pages; for reference"
        print(f"ratio pipeline/bare: {ratio:.2f} over the crawl, {wall_ratio:.2f} over wall time "
              f"(target >= 0.70): {verdict}")
    peak = max(r["rss_mb"] for r in full)
    if args.render == "static":
        verdict = ("met" if peak <= RSS_TARGET_MB else "NOT met") if args.pages >= RSS_TARGET_PAGES else \
            f"the target is for {RSS_TARGET_PAGES:,} pages"
        print(f"peak RSS of the pipeline crawl process: {peak:.0f} MB (target <= {RSS_TARGET_MB} MB at "
              f"{RSS_TARGET_PAGES:,} static pages): {verdict}")


if __name__ == "__main__":
    sys.exit(main())
