"""`dossier add URL --config FILE`: a competitor's sources discovered from its home page, shown, and written into
competitors.yaml (crawler/onboarding.py finds them; dossier/config_file.py writes them)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.syntax import Syntax

from dossier.config import SLUG
from dossier.errors import ConfigError, CrawlError

err = Console(stderr=True)


@click.command()
@click.argument("url")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="competitors.yaml to write the competitor into (created if missing; its `defaults` are used).")
@click.option("--slug", help="The competitor's slug (default: from the site's host name).")
@click.option("--name", help="The competitor's display name (default: the site's name, from its home page).")
@click.option("--yes", "-y", is_flag=True, help="Write without asking.")
@click.option("--allow-private", is_flag=True, help="Allow a private or loopback address (a test site on this "
              "machine); the sources written allow it too.")
@click.option("--own", is_flag=True, help="This is our own shop (`own: true`): crawled like the competitors, and "
              "the one their prices are compared with (docs/matching.md).")
@click.pass_context
def add(ctx: click.Context, url: str, config_path: Path, slug: str | None, name: str | None, yes: bool,
        allow_private: bool, own: bool) -> None:
    """Discover a competitor's sources from its home page (robots.txt and sitemaps, shop platform, category
    listings and their pagination, product pages, review pages and profiles, careers, social links), read a
    sample of each, and write the sources into the config, a comment on each saying what its sample read. The
    same competitor added again is updated, never doubled. Exit code 2 when the site cannot be fetched, robots.txt
    forbids it, or nothing on it can be read."""
    from crawler.browser import find_chromium
    from crawler.fetcher import FetchOptions, run_fetch_job
    from crawler.onboarding import propose, survey
    from dossier.config_file import competitor_block, write_competitor
    from schedules.cli_try import _check_url, crawl_defaults

    _check_url(url, allow_private)
    if slug is not None and not SLUG.match(slug):
        raise ConfigError(f"--slug {slug!r}: use lower-case letters, digits, - and _ (e.g. kranrad)")
    defaults = crawl_defaults(config_path)
    try:
        find_chromium()
        can_render = True
    except CrawlError as exc:
        err.print(f"note: pages are not rendered ({exc}): a price only JavaScript shows is not found")
        can_render = False
    status = err.status("Reading the home page…") if err.is_terminal else None

    def progress(line: str) -> None:
        if status is not None:
            status.update(f"Reading {line}…")

    options = FetchOptions(defaults, allow_private=allow_private, render_hosts=(url,) if can_render else ())
    if status is not None:
        status.start()
    try:
        found = run_fetch_job(lambda session: survey(session, url, can_render, progress), options,
                              verbose=ctx.obj["verbose"])
    finally:
        if status is not None:
            status.stop()
    proposal = propose(found, url, slug, name, allow_private)
    if own:
        proposal = replace(proposal, own=True)
    block = competitor_block(proposal)
    click.echo(f"Read {found.fetched} pages of {url}. Proposed for {config_path}:")
    out = Console()
    if out.is_terminal:
        out.print(Syntax(block, "yaml", theme="ansi_dark", background_color="default", word_wrap=True))
    else:
        click.echo(block)  # as written, never cut to a terminal's width
    if not yes:
        click.confirm(f"Write it into {config_path}?", default=True, abort=True)
    outcome = write_competitor(config_path, proposal)
    click.echo(f"{outcome} {proposal.slug} in {config_path} ({len(proposal.sources)} sources). Next: "
               f"`dossier check --config {config_path} --competitor {proposal.slug}`, then "
               f"`dossier run --config {config_path} --competitor {proposal.slug}`.")


COMMANDS = [add]
