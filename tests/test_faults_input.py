"""Fault family 9, bad input (issue 10): whatever competitors.yaml or the command line holds, `dossier` answers
with one line on stderr and exit code 2, never a traceback, and writes nothing to the database.

tests/test_config.py fuzzes `parse_config` (the schema); this module goes through the whole command: the file is
written, read and validated by `dossier run --config FILE`, as a user's would be.
"""
from __future__ import annotations

import copy
import json

import click
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text

from schedules.cli import cli
from storage.db import create_db_engine, upgrade

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# .invalid never resolves (RFC 2606): were a bad config ever accepted, its crawl would end at once
GOOD = {
    "defaults": {"max_pages": 3, "timeout": 1, "download_delay": 0},
    "competitors": [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
        {"kind": "catalog", "url": "https://kranrad.invalid/produkte/", "follow": "/produkte/", "paginate": "a.next",
         "selectors": {"product": ".card", "name": "h2", "price": "//span[@class='preis']"},
         "ignore": [r"\d+ Besucher"]}]}],
    "alerts": {"email": {"to": ["team@example.org"], "from": "dossier@example.org"}, "rules": {"price_change_pct": 5}},
    "schedule": {"cron": "0 2 * * *", "timezone": "Europe/Berlin"},
}
SOURCE = ("competitors", 0, "sources", 0)
# (where, a value that is wrong there): the kinds of mistake issue 10 names, each in the field it belongs to
BAD_VALUES = [
    # wrong types
    (("competitors",), {"slug": "kranrad"}), (("competitors",), "kranrad"), (("competitors", 0), ["kranrad"]),
    (("competitors", 0, "sources"), {"kind": "site"}), ((*SOURCE, "max_pages"), "many"),
    ((*SOURCE, "max_pages"), [1]), ((*SOURCE, "sitemap"), {"yes": 1}), ((*SOURCE, "selectors"), ["h2"]),
    ((*SOURCE, "selectors"), {"name": 7}), ((*SOURCE, "ignore"), r"\d+"), (("defaults", "timeout"), "30s"),
    (("alerts", "email", "to"), "team@example.org"), (("schedule",), "0 2 * * *"), (("alerts", "rules"), [5]),
    # unknown fields
    ((*SOURCE, "max_page"), 5), (("competitors", 0, "homepage"), "https://kranrad.invalid/"), (("scedule",), {}),
    (("defaults", "user-agent"), "x"), ((*SOURCE, "sélecteurs"), {"name": "h2"}), (("alerts", "email", "cc"), []),
    # broken URLs
    ((*SOURCE, "url"), "kranrad.invalid/produkte/"), ((*SOURCE, "url"), "ftp://kranrad.invalid/"),
    ((*SOURCE, "url"), "https://"), ((*SOURCE, "url"), "https://kranrad.invalid:99999/"),
    ((*SOURCE, "url"), "https://kranrad.invalid:port/"), ((*SOURCE, "url"), "https://[::1/"),
    ((*SOURCE, "url"), "https://kran rad.invalid/"), ((*SOURCE, "url"), "https://kranrad.invalid/\x00"),
    ((*SOURCE, "url"), "https://" + "a" * 64 + ".invalid/"), ((*SOURCE, "url"), "http://127.0.0.1:8080/"),
    ((*SOURCE, "url"), ""), ((*SOURCE, "url"), None), ((*SOURCE, "allow_domains"), ["https://cdn.invalid/"]),
    # bad selectors, CSS and XPath
    ((*SOURCE, "selectors"), {"product": "div["}), ((*SOURCE, "selectors"), {"name": "h2::text("}),
    ((*SOURCE, "selectors"), {"price": "//span[@class='preis'"}), ((*SOURCE, "selectors"), {"price": "//x:span"}),
    ((*SOURCE, "selectors"), {"price": "(//span"}), ((*SOURCE, "selectors"), {"name": "   "}),
    ((*SOURCE, "paginate"), "a..next"), ((*SOURCE, "paginate"), "//a[@rel='next'"),
    ((*SOURCE, "render"), "chromium"),  # static, js or auto
    # bad cron and time zones
    (("schedule", "cron"), "61 2 * * *"), (("schedule", "cron"), "0 2 * *"), (("schedule", "cron"), "@nightly"),
    (("schedule", "cron"), "* * * * * * *"), (("schedule", "cron"), ""), (("schedule", "timezone"), "Mars/Olympus"),
    (("schedule", "timezone"), "../../etc/passwd"),
    # bad regexes
    ((*SOURCE, "follow"), "(unclosed"), ((*SOURCE, "deny"), "*.pdf"), ((*SOURCE, "ignore"), ["[a-"]),
    ((*SOURCE, "ignore"), [r"\d+", "(?P<x"]), ((*SOURCE, "follow"), "a{2,1}"),
    # huge, negative and not finite numbers
    (("defaults", "max_pages"), 10 ** 30), (("defaults", "max_bytes"), 2 ** 80), ((*SOURCE, "max_depth"), -1),
    (("defaults", "timeout"), float("inf")), (("defaults", "download_delay"), float("nan")),
    (("alerts", "rules", "price_change_pct"), float("inf")), (("alerts", "rules", "price_change_pct"), 10 ** 400),
    (("alerts", "rules", "review_max_rating"), 1e308), (("schedule", "stale_after_minutes"), 0),
    (("defaults", "concurrency_per_domain"), 10 ** 6),
    # unicode where it does not belong
    (("competitors", 0, "slug"), "кранрад"), (("competitors", 0, "slug"), "kranrad\u200b"),
    ((*SOURCE, "kind"), "каталог"), ((*SOURCE, "currency"), "€"), (("alerts", "email", "from"), "дoссье"),
    # addresses the digest cannot go to: found before the crawl, not after it
    (("alerts", "email", "from"), "not an address"), (("alerts", "email", "to"), ["team@"]),
    (("alerts", "email", "to"), ["Team <team@example.org>, boss@example.org"]),
]
UNICODE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def put(document: dict, where: tuple, value: object) -> dict:
    """A copy of the document with `value` at `where` (a key or an index per level)."""
    document = copy.deepcopy(document)
    target = document
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return document


def tables_snapshot(url: str) -> dict[str, list]:
    """Every row of every table: what a bad run must leave exactly as it was."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            names = [row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
            return {name: sorted(map(repr, connection.execute(text(f'SELECT * FROM "{name}"')))) for name in names}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """A dossier database made by `dossier init`, which no bad invocation may change."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'dossier.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    return url, tables_snapshot(url)


def assert_one_line_exit_2(result, database_url: str | None = None, snapshot: dict | None = None) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    if snapshot is not None:
        assert tables_snapshot(database_url) == snapshot


def run_config(tmp_path, content: str | bytes, database_url: str):
    config = tmp_path / "competitors.yaml"
    config.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return CliRunner().invoke(cli, ["run", "--config", str(config), "--db", database_url,
                                    "--outbox", str(tmp_path / "outbox")])


def test_the_good_config_of_these_tests_is_good(tmp_path):
    """The mutations below start from a config that loads: each one is wrong for the one reason it brings."""
    from dossier.config import load_config

    config = tmp_path / "competitors.yaml"
    config.write_text(yaml.safe_dump(GOOD, allow_unicode=True))
    assert load_config(config).competitors[0].sources[0].selectors["price"] == "//span[@class='preis']"


@pytest.mark.parametrize("where, value", BAD_VALUES, ids=[f"{'.'.join(map(str, w))}={v!r:.40}" for w, v in BAD_VALUES])
def test_each_kind_of_mistake_is_one_line_exit_2_and_no_database(tmp_path, where, value):
    result = run_config(tmp_path, yaml.safe_dump(put(GOOD, where, value), allow_unicode=True),
                        f"sqlite:///{tmp_path / 'dossier.db'}")
    assert_one_line_exit_2(result)
    assert not (tmp_path / "dossier.db").exists()  # nothing is created before the input is known to be good
    assert not (tmp_path / "outbox").exists()


@FUZZ
@given(st.sampled_from(BAD_VALUES), st.dictionaries(UNICODE.filter(lambda k: k not in GOOD), UNICODE, max_size=2),
       UNICODE, st.booleans())
def test_mistakes_among_unicode_and_unknown_fields_leave_the_database_untouched(initialised, tmp_path_factory,
                                                                                 mistake, extra, name, flow):
    database_url, snapshot = initialised
    where, value = mistake
    document = put(put(GOOD, ("competitors", 0, "name"), name), where, value)  # any name is a good name
    document.update(extra)
    result = run_config(tmp_path_factory.mktemp("fuzz"),
                        yaml.safe_dump(document, allow_unicode=True, default_flow_style=flow), database_url)
    assert_one_line_exit_2(result, database_url, snapshot)


YAML_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10 ** 40), max_value=10 ** 40)
                | st.floats(allow_nan=True, allow_infinity=True) | UNICODE | st.dates())


@FUZZ
@given(st.recursive(YAML_SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["competitors", "sources", "slug", "name", "kind", "url",
                                                       "defaults", "alerts", "schedule", "selectors", "email"])
                                      | UNICODE, inner, max_size=4), max_leaves=25))
def test_random_yaml_structures_are_one_line_exit_2(initialised, tmp_path_factory, document):
    database_url, snapshot = initialised
    result = run_config(tmp_path_factory.mktemp("fuzz"), yaml.safe_dump(document, allow_unicode=True), database_url)
    assert_one_line_exit_2(result, database_url, snapshot)


@FUZZ
@given(st.binary(max_size=300) | UNICODE.map(lambda t: "competitors:\n  - " + t)
       | st.sampled_from(["competitors: [", "\tcompetitors: []", "competitors: *nowhere", "!!python/object:os.system",
                          "a: &a [*a]", "[" * 10_000 + "]" * 10_000, "{" * 10_000, "competitors:\n" + "  - " * 5_000,
                          "\ufeff\x00competitors: []", "competitors: !!binary aGVsbG8=", "%YAML 9.9\n---\n"]))
def test_files_that_are_not_yaml_or_not_text_are_one_line_exit_2(initialised, tmp_path_factory, content):
    database_url, snapshot = initialised
    result = run_config(tmp_path_factory.mktemp("fuzz"), content, database_url)
    assert_one_line_exit_2(result, database_url, snapshot)


def test_a_config_that_is_a_folder_or_unreadable_is_one_line(initialised, tmp_path):
    database_url, snapshot = initialised
    result = CliRunner().invoke(cli, ["run", "--config", str(tmp_path), "--db", database_url])
    assert_one_line_exit_2(result, database_url, snapshot)
    assert "cannot read" in result.stderr


@pytest.mark.parametrize("outbox", ["a-file", "a-file/below"])
def test_an_outbox_that_cannot_be_a_folder_stops_the_run_before_it_starts(initialised, tmp_path, outbox):
    """Found at alert time, after the crawl, it would fail a whole night's run (issue 10's bad input found that)."""
    database_url, snapshot = initialised
    (tmp_path / "a-file").write_text("not a folder")
    config = tmp_path / "competitors.yaml"
    config.write_text(yaml.safe_dump(GOOD))
    result = CliRunner().invoke(cli, ["run", "--config", str(config), "--db", database_url,
                                      "--outbox", str(tmp_path / outbox)])
    assert_one_line_exit_2(result, database_url, snapshot)
    assert "--outbox" in result.stderr


# -- wrong arguments, for every command -----------------------------------------------------------------------------
def every_command(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found.extend(every_command(command, (*path, name)))
    return found


def wrong_invocations() -> list[tuple[str, ...]]:
    """For each command: an unknown option, an extra argument, and per option a value of the wrong type, a
    missing value, or a choice that is not one; derived from the commands, so a new one is covered at once."""
    calls: list[tuple[str, ...]] = [("--no-such-option",), ("no-such-command",), ("--log-format", "xml", "runs"),
                                    ("--log-file",)]
    for path, command in every_command():
        calls.append((*path, "--no-such-option"))
        if not isinstance(command, click.Group):
            calls.append((*path, *(["1"] * (1 + sum(isinstance(p, click.Argument) for p in command.params))),
                          "surplus"))
        for param in command.params:
            if not isinstance(param, click.Option) or param.name == "help":
                continue
            flag = param.opts[0]
            if param.is_flag:
                calls.append((*path, f"{flag}=yes"))
                continue
            calls.append((*path, flag))  # the value missing
            if isinstance(param.type, click.Choice):
                calls.append((*path, flag, "nope"))
            elif isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
                calls.append((*path, flag, "many"))
                if isinstance(param.type, click.types._NumberRangeBase):
                    calls.append((*path, flag, "-1"))
    return calls


WRONG_CALLS = wrong_invocations()


@pytest.mark.parametrize("args", WRONG_CALLS, ids=[" ".join(call) for call in WRONG_CALLS])
def test_wrong_arguments_are_one_line_exit_2(initialised, args):
    database_url, snapshot = initialised
    result = CliRunner().invoke(cli, list(args), env={"DOSSIER_DATABASE_URL": database_url})
    assert_one_line_exit_2(result, database_url, snapshot)


def test_every_command_is_among_the_wrong_calls():
    called = {call[: len(path)] for call in WRONG_CALLS for path, _ in every_command()}
    assert all(path in called for path, _ in every_command())
    assert len(every_command()) >= 14


@pytest.mark.parametrize("args, says", [
    (("changes", "--since", "a week"), "--since"),
    (("runs", "show", "999"), "no run with this id"),
    (("alerts", "list", "--limit", "-1"), "--limit"),
    (("sql", "--limit", "-5", "SELECT 1"), "--limit"),
    (("sql", "DELETE FROM crawl_run"), ""),
    (("sql", "SELEC 1"), ""),
    (("export", "--format", "csv", "--out", "{tmp}/x.csv", "--table", "no_such_table"), "no_such_table"),
    (("export", "--format", "csv", "--out", "{tmp}/missing/dir/x.csv"), ""),
    (("report", "--out", "{tmp}/a-file"), ""),
    (("--log-file", "{tmp}/a-file/x.log", "runs"), "--log-file"),
    (("crawl", "--worker"), "PostgreSQL"),
    (("demo", "--dir", "{tmp}/a-file"), "--dir"),
    (("alerts", "retry"), "DOSSIER_SMTP_URL"),
    (("alerts", "retry", "--config", "{tmp}/missing.yaml"), "missing.yaml: no such file"),  # the config is read first: it may hold channels
    (("schedule", "--config", "{tmp}/missing.yaml"), "no such file"),
    (("run", "--config", "{tmp}/missing.yaml"), "no such file"),
])
def test_wrong_values_are_one_line_exit_2(initialised, tmp_path, monkeypatch, args, says):
    database_url, snapshot = initialised
    monkeypatch.delenv("DOSSIER_DATABASE_URL", raising=False)
    monkeypatch.delenv("DOSSIER_SMTP_URL", raising=False)
    (tmp_path / "a-file").write_text("not a folder")
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    if args[0] not in ("crawl", "demo", "--log-file") and "--db" not in args:
        args += ["--db", database_url]
    result = CliRunner().invoke(cli, args)
    assert_one_line_exit_2(result, database_url, snapshot)
    assert says in result.stderr


@pytest.mark.parametrize("url", [
    "sqlite:////no/such/folder/dossier.db", "sqlite://host/dossier.db", "postgres ql://u@h/db", "postgresql:/u@h/db",
    "postgresql://u@127.0.0.1:port/db", "postgresql://u@[::1/db", "mysql://u@127.0.0.1/db", "", "dossier.db",
    "postgresql://u:pa/ss@127.0.0.1/db", json.dumps({"url": "x"}),
])
@pytest.mark.parametrize("command", [("init",), ("runs",), ("changes",), ("sql", "SELECT 1"), ("alerts", "list"),
                                     ("report", "--out", "r"), ("export", "--format", "csv", "--out", "x.csv")])
def test_a_wrong_database_url_is_one_line_exit_2_for_every_command(tmp_path, monkeypatch, command, url):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*command, "--db", url] if url else [*command],
                                env={"DOSSIER_DATABASE_URL": url or "sqlite:////no/such/folder/x.db"})
    assert_one_line_exit_2(result)
    assert list(tmp_path.iterdir()) == []
