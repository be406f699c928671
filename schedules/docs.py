"""Reference docs made from the code (`python -m schedules.docs`): docs/cli.md from --help, docs/config.md from the schema."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from dossier import config as schema
from schedules.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs"
SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("top level", schema.DossierConfig), ("defaults", schema.Defaults), ("competitors[]", schema.Competitor),
    ("competitors[].sources[]", schema.Source), ("alerts", schema.Alerts), ("alerts.email", schema.EmailSettings),
    ("alerts.rules", schema.AlertRules), ("schedule", schema.Schedule),
]


def cli_reference() -> str:
    out = ["# Command line reference", "", "Generated from `dossier --help` by `python -m schedules.docs`; "
           "a test fails when it drifts.", ""]
    for title, command in _walk("dossier", cli):
        with click.Context(command, info_name=title, terminal_width=100, max_content_width=100) as ctx:
            out += [f"## {title}", "", "```", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(out)


def _walk(title: str, command: click.Command) -> list[tuple[str, click.Command]]:
    """A command and, for a group, each of its subcommands after it, in name order."""
    found = [(title, command)]
    for name in sorted(getattr(command, "commands", {})):
        found += _walk(f"{title} {name}", command.commands[name])
    return found


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        return "—"
    return f"`{field.default!r}`" if field.default is not None else "—"


def config_reference() -> str:
    out = ["# competitors.yaml reference", "",
           "Generated from `dossier/config.py` by `python -m schedules.docs`; a test fails when it drifts. "
           "A wrong or unknown field, or a key given twice in one mapping, stops `dossier run` with one line "
           "naming it (exit code 2).", ""]
    for title, model in SECTIONS:
        out += [f"## {title}", "", "| field | default | meaning |", "| --- | --- | --- |"]
        for name, field in model.model_fields.items():
            key = field.alias or name
            out.append(f"| `{key}` | {_default(field)} | {field.description or ''} |")
        out.append("")
    out += ["Secrets never go in the file: the database URL comes from `--db` or `DOSSIER_DATABASE_URL`, the SMTP "
            "server from `DOSSIER_SMTP_URL`, and `DOSSIER_CHROMIUM` names the browser for `render: js`.", ""]
    return "\n".join(out)


GENERATED = {"cli.md": cli_reference, "config.md": config_reference}


def main(check: bool = False) -> int:
    stale = []
    for name, make in GENERATED.items():
        text = make()
        path = DOCS / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale: {', '.join(stale)} (run python -m schedules.docs)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
