"""The `dossier` command line through click's runner: exit codes and the exact one-line errors."""
from __future__ import annotations


import click
import pytest
from click.testing import CliRunner

from schedules import docs
from schedules.cli import cli, parse_since
from dossier.errors import ConfigError


@pytest.fixture
def runner():
    return CliRunner()


def invoke(runner, *args):
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_missing_config_file_is_exit_2_and_one_line(runner, tmp_path):
    code, out, err = invoke(runner, "run", "--config", str(tmp_path / "nope.yaml"), "--db", f"sqlite:///{tmp_path}/d.db")
    assert code == 2
    assert err == f"error: {tmp_path / 'nope.yaml'}: no such file (give --config the path of your competitors.yaml)\n"


def test_a_wrong_field_is_exit_2_and_names_it(runner, tmp_path):
    config = tmp_path / "competitors.yaml"
    config.write_text("competitors:\n  - slug: k\n    name: K\n    sources:\n      - kind: site\n        url: ftp://k.example/\n")
    code, _, err = invoke(runner, "run", "--config", str(config), "--db", f"sqlite:///{tmp_path}/d.db")
    assert (code, err) == (2, "error: competitors.yaml: competitors[0].sources[0].url: not an http(s) URL, "
                              "e.g. https://competitor.example/\n")
    assert not (tmp_path / "d.db").exists()  # nothing is created before the input is known to be good


def test_an_unreachable_database_is_exit_2_and_one_line(runner, tmp_path, pick_port):
    url = f"postgresql://dossier:secret@127.0.0.1:{pick_port()}/dossier"
    code, _, err = invoke(runner, "init", "--db", url)
    assert code == 2
    assert err.startswith("error: database postgresql+psycopg://dossier:***@127.0.0.1:") and "unreachable" in err
    assert err.count("\n") == 1 and "secret" not in err


def test_init_creates_and_changes_reads_an_empty_database(runner, tmp_path):
    db = f"sqlite:///{tmp_path}/d.db"
    code, out, _ = invoke(runner, "init", "--db", db)
    assert code == 0 and "is at schema revision" in out
    assert invoke(runner, "changes", "--db", db, "--json")[:2] == (0, "[]\n")


def test_changes_refuses_an_uninitialised_database(runner, tmp_path):
    code, _, err = invoke(runner, "changes", "--db", f"sqlite:///{tmp_path}/empty.db")
    assert code == 2 and err.endswith("does not exist: run `dossier init` (or fix --db)\n")
    assert not (tmp_path / "empty.db").exists()


def test_a_bad_since_is_exit_2(runner, tmp_path):
    code, _, err = invoke(runner, "changes", "--since", "a week", "--db", f"sqlite:///{tmp_path}/d.db")
    assert (code, err) == (2, "error: --since: 'a week' is not a duration or date (use 3y, 7d, 24h, 30m or 2026-11-01)\n")


@pytest.mark.parametrize("value", ["7d", "24h", "30m", "2026-11-01", "2026-11-01T02:00:00+01:00"])
def test_since_forms(value):
    assert parse_since(value).tzinfo is not None


def test_since_rejects_nonsense():
    with pytest.raises(ConfigError):
        parse_since("yesterday-ish")


def test_demo_refuses_a_folder_it_did_not_make(runner, tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    code, _, err = invoke(runner, "demo", "--dir", str(tmp_path))
    assert code == 2 and "not empty and not made by `dossier demo`" in err
    assert (tmp_path / "thesis.tex").read_text() == "precious"


def test_the_reference_docs_are_in_step_with_the_code():
    assert docs.main(check=True) == 0, "run: python -m schedules.docs"


def test_the_cli_reference_does_not_depend_on_clicks_help_layout(monkeypatch):
    # click 8.5 printed `[COMMAND]` where 8.4 printed `COMMAND`, and the reference went stale on every fresh machine:
    # the page is made from the commands' parameters, so click's formatter may change as it likes
    def layout_changed(*args, **kwargs):
        raise AssertionError("the CLI reference used click's help layout")

    monkeypatch.setattr(click.Command, "get_help", layout_changed)
    monkeypatch.setattr(click.Command, "format_help", layout_changed)
    monkeypatch.setattr(click.Command, "get_usage", layout_changed)
    text = docs.cli_reference()
    assert "`dossier runs [OPTIONS] [COMMAND] [ARGS]...`" in text
    assert "| `--limit` | INTEGER (≥ 1, ≤ 10000) | `20` | Show this many runs, newest first. |" in text


def test_every_command_is_in_the_readme_or_docs():
    text = (docs.DOCS / "cli.md").read_text()
    for name in cli.commands:
        assert f"## dossier {name}" in text


def test_a_bad_smtp_url_stops_the_run_before_anything_is_stored(runner, tmp_path, monkeypatch):
    config = tmp_path / "competitors.yaml"
    config.write_text("competitors:\n  - slug: k\n    name: K\n    sources:\n      - kind: site\n"
                      "        url: https://k.example/\n")
    monkeypatch.setenv("DOSSIER_SMTP_URL", "http://user:hunter2@mail.example")
    code, _, err = invoke(runner, "run", "--config", str(config), "--db", f"sqlite:///{tmp_path}/d.db")
    assert code == 2 and err.startswith("error: DOSSIER_SMTP_URL") and err.count("\n") == 1
    assert "hunter2" not in err
    assert not (tmp_path / "d.db").exists()


def test_since_in_years_is_calendar_years_back():
    from datetime import datetime, timezone

    def back(moment: datetime, years: int) -> datetime:
        return moment.replace(year=moment.year - years, day=28 if (moment.month, moment.day) == (2, 29) else moment.day)

    before = datetime.now(timezone.utc)
    moment = parse_since("3y")
    after = datetime.now(timezone.utc)
    assert back(before, 3) <= moment <= back(after, 3)
    with pytest.raises(ConfigError, match=r"--since: '5000y' reaches before the year 1"):
        parse_since("5000y")
