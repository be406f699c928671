"""`dossier demo`: the bundled competitor sites served on 127.0.0.1, night1 then night2, no setup needed."""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from dossier.errors import ConfigError
from fixtures.server import FixtureSites
from schedules.nightly import RunResult, run_once

log = logging.getLogger(__name__)

MARKER = ".dossier-demo"  # only a folder the demo made itself is ever cleared by the next demo
NIGHTS = ("night1", "night2")
CONFIG_NAME = "competitors.yaml"
# Atop the config the demo leaves: its URLs name ports that close when the demo ends, its mailbox is deleted then.
CONFIG_HEADER = """\
# The config `dossier demo` ran its two nights with, kept for the record.
# Its URLs are the ports on 127.0.0.1 of that demo's own servers, and its newsletter mailbox was a temporary
# copy: both went away when the demo ended, so `dossier run` with this file finds every source unreachable.
# To crawl the demo sites again, run `dossier demo` again (it replaces this folder's files). To try
# `dossier run` or `dossier schedule` on them, serve them with `python -m fixtures.server --config`, which prints
# a config with its ports. For your own competitors, start from fixtures/demo.yaml (docs/config.md).
"""


@dataclass(frozen=True, slots=True)
class DemoResult:
    folder: Path
    database_url: str
    runs: list[RunResult]
    eml_files: list[Path]
    config_path: Path  # the config the runs used, its header saying it cannot be run again


def prepare_folder(folder: Path) -> None:
    """Create the demo folder, or clear the previous demo's files from it; never touch a folder it did not make."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--dir {folder}: is a file; give a folder for the demo")
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise ConfigError(f"--dir {folder}: not empty and not made by `dossier demo`; choose another folder")
        for name in ("dossier.db", "dossier.db-wal", "dossier.db-shm", CONFIG_NAME):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "outbox", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by `dossier demo`; the next demo may clear this folder\n")


def run_demo(folder: str | Path = "dossier-demo", smtp_url: str | None = None, verbose: bool = False,
             database_url: str | None = None) -> DemoResult:
    """Both nights into the folder's SQLite file, or into database_url (an empty database) when given."""
    folder = Path(folder).resolve()
    prepare_folder(folder)
    database_url = database_url or f"sqlite:///{folder / 'dossier.db'}"
    config_path = folder / CONFIG_NAME
    runs = []
    with FixtureSites(night=NIGHTS[0]) as sites:
        config_path.write_text(CONFIG_HEADER + _without_header(sites.render_config()), encoding="utf-8")
        for night in NIGHTS:
            sites.night = night
            log.info("demo: %s", night)
            runs.append(run_once(config_path, database_url, folder / "outbox", smtp_url=smtp_url, verbose=verbose))
    return DemoResult(folder, database_url, runs, sorted((folder / "outbox").glob("*.eml")), config_path)


def _without_header(config: str) -> str:
    """The rendered template without its opening comment, which is about the template's placeholders."""
    lines = config.splitlines(keepends=True)
    start = next((number for number, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[start:]).lstrip("\n")
