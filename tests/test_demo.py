"""What `dossier demo` leaves behind: the config it ran, which says, atop the file and in the demo's output, that
its sites stopped with the demo. (The demo's crawls themselves: tests/test_end_to_end.py.)"""
from __future__ import annotations

from click.testing import CliRunner

import schedules.demo
from dossier.config import load_config
from schedules.cli import cli
from schedules.demo import CONFIG_HEADER
from schedules.nightly import RunResult
from storage.db import open_database

CONFIG_LINE = ("Config:   {path} (the config the demo ran, for the record: its sites are stopped now; "
               "run `dossier demo` again to crawl them)\n")


def test_the_config_the_demo_leaves_says_it_cannot_be_run_again(tmp_path, monkeypatch):
    crawled: list[list[str]] = []

    def night(config_path, database_url, outbox_dir, **_options) -> RunResult:
        """Stands in for a night's run (two real ones take a minute: tests/test_end_to_end.py runs them); the
        config is read by the real loader, as the run reads it."""
        config = load_config(config_path)
        crawled.append([source.url for competitor in config.competitors for source in competitor.sources])
        open_database(database_url).dispose()
        return RunResult(len(crawled), "succeeded")

    monkeypatch.setattr(schedules.demo, "run_once", night)
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    config = tmp_path / "demo" / "competitors.yaml"
    assert result.stdout.endswith(CONFIG_LINE.format(path=config))
    text = config.read_text(encoding="utf-8")
    assert text.startswith(CONFIG_HEADER) and "placeholder" not in text  # the template's own comment is not left
    assert "`dossier run` with this file finds every source unreachable" in CONFIG_HEADER
    assert "run `dossier demo` again" in CONFIG_HEADER
    # what is left is what both nights ran: the demo's servers on 127.0.0.1 and its temporary mailbox
    [first, second] = crawled
    assert first == second == [source.url for competitor in load_config(config).competitors
                                for source in competitor.sources]
    assert all(url.startswith(("http://127.0.0.1:", "mbox:")) for url in first)
