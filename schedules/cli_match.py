"""`dossier match`: the same product across competitors (storage/matching.py): list the matches, confirm or reject a
pair (kept across every run)."""
from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal

import click

from dossier.errors import ConfigError
from schedules.options import database_option


@click.group()
def match() -> None:
    """Products matched across competitors: by GTIN, part number, model number or title (docs/matching.md)."""


@match.command(name="list")
@database_option
@click.option("--competitor", help="Only pairs with a product of this competitor (slug).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def list_matches(database_url: str | None, competitor: str | None, as_json: bool) -> None:
    """The matched pairs, grouped (a group is one product across shops): ids, competitors, names, prices, how
    sure and by what."""
    from storage.db import open_database
    from storage.matching import list_matches as read

    engine = open_database(database_url, migrate=False)
    try:
        rows = read(engine, competitor)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([_as_json(row) for row in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no matched products (they come with the runs after products are listed by two competitors)")
        return
    group = None
    for row in rows:
        if row.group_id != group:
            group = row.group_id
            click.echo(f"group {group}")
        click.echo(f"  {row.product_id:>6} {row.competitor}:{row.product_key} {row.product} "
                   f"({_money(row.price, row.currency)})  =  {row.matched_product_id} "
                   f"{row.matched_competitor}:{row.matched_product_key} {row.matched_product} "
                   f"({_money(row.matched_price, row.matched_currency)})  [{row.method} {row.confidence:.2f}]")


def _as_json(row) -> dict:
    out = asdict(row)
    for name in ("price", "matched_price"):
        out[name] = str(out[name]) if out[name] is not None else None
    return out


def _money(price, currency) -> str:
    return f"{Decimal(price):.2f} {currency or ''}".strip() if price is not None else "no price"


def _decide(database_url: str | None, first_ref: str, second_ref: str, decision: str) -> None:
    from storage.db import open_database, session_scope
    from storage.matching import decide, product_by_reference, product_competitors

    engine = open_database(database_url, migrate=False)
    try:
        with session_scope(engine) as session:
            found = [int(ref) if ref.isdigit() else product_by_reference(session, ref) for ref in (first_ref, second_ref)]
        known = product_competitors(engine, [number for number in found if number is not None])
        missing = [ref for ref, number in zip((first_ref, second_ref), found) if number not in known]
        if missing:
            raise ConfigError(f"no product {', '.join(missing)} (give an id or SLUG:KEY as `dossier match list` shows "
                              "them, or see the `latest_prices` view)")
        first, second = found
        if first == second or known[first] == known[second]:
            raise ConfigError(f"products {first} and {second} are both {known[first]}'s: a match joins two "
                              "competitors' products")
        decide(engine, first, second, decision)  # applied now, and by every run from here on
    finally:
        engine.dispose()
    click.echo(f"{decision}: {first} ({known[first]}) and {second} ({known[second]}); kept across runs")


@match.command()
@database_option
@click.argument("first")
@click.argument("second")
def confirm(database_url: str | None, first: str, second: str) -> None:
    """Two products are the same: matched from now on, whatever their scores. Each is an id or SLUG:KEY (as
    `dossier match list` shows them); the config's `matches: confirm:` does the same at every run."""
    _decide(database_url, first, second, "confirmed")


@match.command()
@database_option
@click.argument("first")
@click.argument("second")
def reject(database_url: str | None, first: str, second: str) -> None:
    """Two products are not the same: never matched, whatever their scores. Each is an id or SLUG:KEY; the
    config's `matches: reject:` does the same at every run."""
    _decide(database_url, first, second, "rejected")


COMMANDS = [match]
