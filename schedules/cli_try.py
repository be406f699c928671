"""`dossier try URL` (what every extractor reads on one page, and where each value came from) and `dossier check`
(one verdict per configured source, from its start page)."""
from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dossier.errors import ConfigError, CrawlError, DossierError

if TYPE_CHECKING:  # Scrapy and the extractors are imported when a command runs, not for `dossier --help`
    from crawler.reading import PageReading, ProductReading

console = Console()
RENDER_CHOICES = ("static", "js", "auto")


@click.command(name="try")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--render", type=click.Choice(RENDER_CHOICES), default="auto", show_default=True,
              help="static: as Scrapy fetches it; js: rendered in Chromium; auto: both, and what rendering changed "
                   "(static only, with a note, when no Chromium is installed).")
@click.option("--wait-for", help="With js or auto, a CSS selector to wait for before reading the rendered page.")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="competitors.yaml whose `defaults` (User-Agent, timeout, max_bytes, delay) the fetch uses.")
@click.option("--allow-private", is_flag=True, help="Allow a private or loopback address (a test site on this machine).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables: a list, one object per URL "
              "(docs/cli.md describes it).")
@click.pass_context
def try_page(ctx: click.Context, urls: tuple[str, ...], render: str, wait_for: str | None, config_path: Path | None,
             allow_private: bool, as_json: bool) -> None:
    """Fetch pages as the crawl would (robots.txt, User-Agent, limits) and show what every extractor reads on
    each: products with where each value came from, reviews, page facts, technologies, contact channels, and
    selectors to paste when the page shows prices no rule read. Nothing is stored. Exit code 2 when a page cannot
    be fetched.

    With --json, a list with one object per URL: `url`, `render`, `static` and `rendered` (each a reading, or null
    when not fetched that way), `rendering_changed` (lines saying what the rendered page read that the static one
    did not) and `notes`. A reading holds `url`, `final_url`, `status`, `error`, `rendered`, `seconds`,
    `challenge`; `products`, each with `name`, `price`, `old_price`, `currency`, `availability`, `sku`, `gtin`,
    `mpn`, `url`, `price_source`, `confidence` and `fields` ({field: {value, origin, origin_label}}, the origin one
    of json-ld, microdata, rdfa, opengraph, selector, platform:NAME, label, url, visible, context);
    `prices_shown`, `prices_unread`, `proposed_selectors`; `reviews` (`aggregate_rating`, `review_count`,
    `reviews`); `page` (`title`, `h1`, `description`, `lang`, `canonical`, `headings`, `main_text_chars`);
    `technologies`; `contacts` (`kind`, `value`, `label`); `jobs`; `next_page`."""
    from crawler.browser import find_chromium
    from crawler.fetcher import FetchOptions, run_fetch_job
    from crawler.reading import read_page, reading_json, rendering_changes

    for url in urls:
        _check_url(url, allow_private)
    defaults = crawl_defaults(config_path)
    notes = []
    if render in ("js", "auto"):
        try:
            find_chromium()
        except CrawlError as exc:
            if render == "js":
                raise
            notes.append(f"not rendered: {exc}")
            render = "static"

    async def job(session):
        pages = []
        for url in urls:
            static = await session.fetch(url) if render in ("static", "auto") else None
            rendered = await session.fetch(url, "js", wait_for) if render in ("js", "auto") else None
            pages.append((static, rendered))
        return pages

    options = FetchOptions(defaults, allow_private=allow_private, render_hosts=urls if render != "static" else ())
    with _status(f"Reading {len(urls)} page{'s' if len(urls) > 1 else ''}…"):
        pages = run_fetch_job(job, options, verbose=ctx.obj["verbose"])
    out, failed = [], []
    for url, (static, rendered) in zip(urls, pages):
        readings = {"static": read_page(static) if static else None,
                    "rendered": read_page(rendered) if rendered else None}
        both = readings["static"] and readings["rendered"]
        changes = rendering_changes(readings["static"], readings["rendered"]) \
            if both and static.ok and rendered.ok else []
        if not any(r.fetched.ok for r in readings.values() if r is not None):
            failed.append((url, next(r.fetched.error for r in readings.values() if r is not None)))
        if as_json:
            out.append({"url": url, "render": render,
                        "static": reading_json(readings["static"]) if readings["static"] else None,
                        "rendered": reading_json(readings["rendered"]) if readings["rendered"] else None,
                        "rendering_changed": changes, "notes": notes})
            continue
        for note in notes:
            console.print(Text(f"note: {note}", style="yellow"))
        shown = readings["rendered"] if readings["rendered"] and (changes or not readings["static"]) \
            else readings["static"]
        print_reading(shown)
        if both:
            _print_rendering(changes, readings["static"], readings["rendered"])
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    for url, error in failed:
        click.echo(f"error: {url}: {error}", err=True)
    if failed:
        ctx.exit(DossierError.exit_code)


def _status(text: str):
    """A spinner on stderr while pages are fetched, when stderr is a terminal."""
    err = Console(stderr=True)
    return err.status(text) if err.is_terminal else nullcontext()


def _check_url(url: str, allow_private: bool) -> None:
    """The URL as a source's would be checked (docs/config.md), the fix named as this command's option."""
    from dossier.config import Source

    try:
        Source(kind="site", url=url, allow_private=allow_private)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ").removeprefix("url: ")
        message = message.replace("add allow_private: true", "add --allow-private")
        raise ConfigError(f"URL {url!r}: {message}") from None


def crawl_defaults(config_path: Path | None):
    """The crawl defaults of a competitors.yaml (its `defaults:` alone: the file may list no competitor yet), or
    the built-in ones without a file."""
    from dossier.config import Defaults, parse_config

    if config_path is None or not config_path.exists():
        return Defaults()
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{config_path}: cannot read its defaults ({' '.join(str(exc).split())[:200]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{config_path}: expected a mapping with 'competitors:' at the top")
    placeholder = [{"slug": "x", "name": "x", "sources": [{"kind": "site", "url": "https://example.org/"}]}]
    return parse_config({"defaults": data.get("defaults") or {}, "competitors": placeholder},
                        origin=config_path.name).defaults


# -- printing ------------------------------------------------------------------------------------------------------

def print_reading(reading: PageReading, out: Console | None = None) -> None:
    out = out or console
    fetched = reading.fetched
    how = "rendered in Chromium" if fetched.rendered else "static"
    moved = f" → {fetched.final_url}" if fetched.final_url != fetched.url else ""
    status = f"HTTP {fetched.status}" if fetched.status else "not fetched"
    out.print(Text(f"{fetched.url}{moved}: {status}, {how}, {fetched.seconds:.2f} s", style="bold"))
    if not fetched.ok:
        out.print(Text(f"  not read: {fetched.error}", style="red"))
        return
    if reading.challenge:
        out.print(Text(f"  blocked: the site answered with a challenge page: {reading.challenge}", style="red"))
        return
    _print_products(reading, out)
    _print_reviews(reading, out)
    facts = reading.facts
    page = Table(title="Page", show_header=False)
    for name, value in (("title", facts.title), ("h1", facts.h1), ("description", facts.description),
                        ("language", facts.lang), ("canonical", facts.canonical),
                        ("headings", str(len(facts.headings))), ("main text", f"{len(facts.main_text or '')} characters"),
                        ("next page", reading.next_page)):
        if value:
            page.add_row(name, Text(_short(value, 100)))
    out.print(page)
    if reading.technologies:
        out.print(Text("Technologies: " + ", ".join(t.name + (f" {t.version}" if t.version else "")
                                                     for t in reading.technologies)))
    entries = reading.contacts.entries()
    if entries:
        out.print(Text("Contact channels: " + "; ".join(
            f"{name}: {value.split(':', 1)[1] if kind in ('messenger', 'form') else value}"
            for kind, value, name in entries)))
    if reading.jobs:
        out.print(Text(f"Jobs: {len(reading.jobs)} (" + "; ".join(j.title for j in reading.jobs[:5]) + ")"))


def _print_products(reading: PageReading, out: Console) -> None:
    from extractors.provenance import label

    if not reading.products:
        out.print("Products: none read")
    elif len(reading.products) <= 3:
        for item in reading.products:
            out.print(_product_table(item))
    else:
        table = Table(title=f"Products ({len(reading.products)}, {len(reading.priced)} priced)")
        for column in ("Name", "Price", "Old", "Currency", "Availability", "SKU", "Price from", "Confidence"):
            table.add_column(column, overflow="fold")
        for item in reading.products:
            p = item.product
            table.add_row(*(Text(_short(str(v), 60) if v is not None else "") for v in (
                p.name, p.price, p.old_price, p.currency, p.availability, p.sku or p.gtin,
                label(item.origins["price"]) if "price" in item.origins else None,
                f"{item.confidence:.2f}" if item.confidence else None)))
        out.print(table)
    if reading.prices_unread:
        out.print(Text(f"The page shows {reading.prices_shown} price{'s' if reading.prices_shown != 1 else ''}, "
                       "but no rule read a product price.", style="yellow"))
        if reading.proposal:
            out.print("Selectors that read them (paste under the source's `selectors:` in competitors.yaml):")
            out.print(Text(yaml.safe_dump({"selectors": reading.proposal}, allow_unicode=True, sort_keys=False)))
        else:
            out.print("No selector could be proposed that reads them: see docs/config.md on `selectors`.")


def _product_table(item: ProductReading) -> Table:
    from extractors.provenance import label

    p = item.product
    title = p.name or "Product"
    if item.confidence:
        title += f" (price confidence {item.confidence:.2f})"
    table = Table(title=_short(title, 80))
    table.add_column("Field")
    table.add_column("Value", overflow="fold")
    table.add_column("From")
    for name in ("name", "price", "old_price", "currency", "availability", "sku", "gtin", "mpn", "brand"):
        value = getattr(p, name)
        if value is not None:
            table.add_row(name.replace("_", " "), Text(_short(str(value), 80)), label(item.origins.get(name, "visible")))
    if p.url:
        table.add_row("url", Text(p.url), "")
    return table


def _print_reviews(reading: PageReading, out: Console) -> None:
    page = reading.reviews
    if not page.reviews and page.aggregate_rating is None:
        return
    head = f"Reviews: {len(page.reviews)} on the page"
    if page.aggregate_rating is not None:
        head += f", rating {page.aggregate_rating:g}/5" + (f" from {page.review_count}" if page.review_count else "")
    out.print(Text(head))
    for review in page.reviews[:5]:
        stars = f"{review.rating:g}/5" if review.rating is not None else "no rating"
        when = review.published.isoformat() if review.published else "no date"
        out.print(Text(f"  {stars}  {when}  {review.author or '—'}: {_short(review.text or review.title or '', 70)}"))


def _print_rendering(changes: list[str], static: PageReading, rendered: PageReading) -> None:
    if not static.fetched.ok or not rendered.fetched.ok:
        which = "rendered" if static.fetched.ok else "static"
        console.print(Text(f"Rendering: the {which} page could not be read, nothing to compare", style="yellow"))
        return
    if not changes:
        console.print("Rendering in Chromium changed nothing that was read: `render: static` (or the default "
                      "`auto`) reads this page.")
        return
    console.print(Text("Rendering in Chromium changed what was read (the tables above are the rendered page's):",
                       style="yellow"))
    for line in changes:
        console.print(Text(f"  {line}"))
    console.print("Pages like this need JavaScript: `render: auto` (the default) renders them when the static page "
                  "lacks what rendering adds; `render: js` renders every page of the source.")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command()
@click.option("--config", "config_path", required=True, type=click.Path(path_type=Path),
              help="competitors.yaml (see docs/config.md).")
@click.option("--competitor", help="Only this competitor (slug).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def check(ctx: click.Context, config_path: Path, competitor: str | None, as_json: bool) -> None:
    """Read each source's start page once, as the crawl would, and give a verdict per source: reads products,
    reads reviews (jobs, ads, the page), reads nothing, blocked, needs JavaScript or unreachable. Nothing is
    stored. Exit code 1 when a source reads nothing."""
    from crawler.fetcher import FetchOptions, run_fetch_job
    from crawler.browser import find_chromium
    from crawler.reading import Verdict, read_page, source_verdict
    from crawler.order import order_for
    from crawler.sources import SOURCE_KINDS, Unreadable, build_plans
    from dossier.config import load_config
    from storage.runs import SourceRef

    config = load_config(config_path)
    competitors = [c for c in config.competitors if competitor in (None, c.slug)]
    if not competitors:
        raise ConfigError(f"--competitor: no competitor {competitor!r} in {config_path.name} (its slugs: "
                          f"{', '.join(c.slug for c in config.competitors)})")
    sources = [(c, source) for c in competitors for source in c.sources]
    refs = [SourceRef(number, 0, c.slug, c.name, source.kind, source.url, source.model_dump(mode="json"))
            for number, (c, source) in enumerate(sources, start=1)]
    plans = build_plans(order_for(config, 0, refs).sources, config.defaults)
    skipped = [r for r in refs if r.kind not in SOURCE_KINDS]  # a newsletter's mailbox is no page
    try:
        find_chromium()
        browser = True
    except CrawlError:
        browser = False
    # every page source may be rendered: a static one too, to tell "needs JavaScript" from "reads nothing"
    render_plans = tuple(plan for plan in plans if SOURCE_KINDS[plan.kind].html) if browser else ()

    from crawler.safety import allowed_url

    async def job(session):
        results = []
        for plan in plans:
            kind = SOURCE_KINDS[plan.kind]
            static = rendered = None
            if plan.render != "js":
                static = await session.fetch(plan.url, plan=plan)
            reads_static = static is not None and _reads_anything(kind, plan, static)
            if browser and not reads_static and (static is None or static.ok) and kind.html:
                rendered = await session.fetch(plan.url, "js", plan.wait_for, plan=plan)
            # the pages the crawl reads beside the start page (a YouTube feed's channel page, for the subscribers)
            asides = [await session.fetch(url, plan=plan) for url in
                      (kind.asides(plan, _observations(kind, plan, static)) if reads_static else [])
                      if allowed_url(plan, url)]
            results.append((plan, static, rendered, asides))
        return results

    options = FetchOptions(config.defaults, render_plans=render_plans)
    with _status(f"Checking {len(plans)} sources…"):
        results = run_fetch_job(job, options, verbose=ctx.obj["verbose"])
    rows = []
    for plan, static, rendered, asides in results:
        kind = SOURCE_KINDS[plan.kind]
        pairs = [(f, _observations(kind, plan, f)) if f is not None else None for f in (static, rendered)]
        first = static or rendered
        reading = read_page(first, plan.selectors or None, plan.currency, plan.decimal_separator) \
            if first is not None and kind.html else None
        verdict = source_verdict(plan.kind, plan.render, pairs[0], pairs[1], reading)
        if not verdict.reads and first is not None and first.ok and not kind.html:
            try:
                _observations(kind, plan, first, strict=True)
            except Unreadable as exc:  # a feed URL answering a page: the one line the crawl would store
                verdict = Verdict("nothing", f"reads nothing: {exc}")
        if verdict.reads and asides:
            verdict = replace(verdict, line=(verdict.line + _asides_read(kind, plan, asides))[:300])
        if plan.render == "js" and not browser:
            verdict = Verdict("unreachable", "cannot render: no Chromium found (apt-get install chromium, or set "
                              "DOSSIER_CHROMIUM)")
        rows.append((plan, verdict))
    if as_json:
        click.echo(json.dumps(
            [{"competitor": plan.competitor_slug, "kind": plan.kind, "url": plan.url, "render": plan.render,
              "verdict": verdict.status, "detail": verdict.line, "rendered": verdict.rendered,
              "proposed_selectors": verdict.proposal} for plan, verdict in rows]
            + [{"competitor": r.competitor_slug, "kind": r.kind, "url": r.url, "verdict": "not_checked",
                "detail": "a mailbox: read by `dossier run`"} for r in skipped], ensure_ascii=False, indent=2))
    else:
        table = Table(title=f"Sources of {config_path.name}")
        for column in ("Competitor", "Kind", "URL", "Verdict"):
            table.add_column(column, overflow="fold")
        styles = {"reads": "green", "needs_js": "yellow"}
        for plan, verdict in rows:
            table.add_row(plan.competitor_slug, plan.kind, Text(plan.url),
                          Text(verdict.line, style=styles.get(verdict.status, "red")))
        for ref in skipped:
            table.add_row(ref.competitor_slug, ref.kind, Text(ref.url), Text("not checked: a mailbox, read by "
                                                                              "`dossier run`"))
        console.print(table)
        for plan, verdict in rows:
            if verdict.proposal:
                console.print(f"{plan.competitor_slug} {plan.kind} {plan.url}: selectors that read its prices:")
                console.print(Text(yaml.safe_dump({"selectors": verdict.proposal}, allow_unicode=True,
                                                  sort_keys=False)))
    ctx.exit(0 if all(verdict.reads for _plan, verdict in rows) else 1)


def _observations(kind, plan, fetched, strict: bool = False) -> list:
    """What the source kind reads of the page; a page it cannot read at all (crawler.sources.Unreadable) reads
    nothing, or, `strict`, raises."""
    from crawler.sources import Unreadable

    document = fetched.document()
    if document is None:
        return []
    try:
        return list(kind.extract(plan, document, document.headers))
    except Unreadable:
        if strict:
            raise
        return []


def _asides_read(kind, plan, asides) -> str:
    """What the pages read beside the start page add to its verdict: their subscribers, or why not (the crawl's
    warning): ", 1050 subscribers (its channel page)"."""
    from crawler.observations import SocialRead
    from crawler.sources import NotRead

    said = []
    for fetched in asides:
        document = fetched.document() if fetched.ok else None
        if document is None:
            said.append(f"; {fetched.url} (read beside it) failed: {fetched.error or f'HTTP {fetched.status}'}")
            continue
        try:
            observations = list(kind.read_aside(plan, document, document.headers))
        except NotRead as exc:
            said.append(f"; {exc}")
            continue
        said += [f", {o.snapshot.subscribers} subscribers (its channel page)" for o in observations
                 if isinstance(o, SocialRead) and o.snapshot.subscribers is not None]
    return "".join(said)


def _reads_anything(kind, plan, fetched) -> bool:
    from crawler.reading import source_verdict

    return source_verdict(plan.kind, plan.render, (fetched, _observations(kind, plan, fetched)), None).reads


COMMANDS = [try_page, check]
