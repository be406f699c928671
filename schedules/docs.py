"""Reference docs made from the code (`python -m schedules.docs`): docs/cli.md from the commands' options and help, docs/config.md from the schema."""
from __future__ import annotations

import inspect
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
    ("alerts.rules", schema.AlertRules), ("alerts.channels[]", schema.Channel), ("schedule", schema.Schedule),
]


def cli_reference() -> str:
    """docs/cli.md from the commands' own parameters and help (click's info dicts), not from click's help layout.

    The page's text depends only on our code: a click release that words or wraps `--help` differently (8.5 printed
    `[COMMAND]` where 8.4 printed `COMMAND`) must not make the reference stale on a fresh machine.
    """
    out = ["# Command line reference", "", "Generated from the commands' options and help by `python -m schedules.docs`; "
           "a test fails when it drifts. Every command also takes `--help`.", ""]
    for title, command in _walk("dossier", cli):
        with click.Context(command, info_name=title) as ctx:
            info = command.to_info_dict(ctx)
        out += [f"## {title}", "", f"`{title} {_usage(command, info)}`", "", _help_text(info.get("help")), ""]
        options = [param for param in info["params"]
                   if param["param_type_name"] == "option" and not param["hidden"] and param["opts"] != ["--help"]]
        if options:
            out += ["| option | value | default | meaning |", "| --- | --- | --- | --- |"]
            out += [_option_row(option) for option in options]
            out.append("")
        subcommands = getattr(command, "commands", {})
        if subcommands:
            out += ["| command | what it does |", "| --- | --- |"]
            out += [f"| `{name}` | {_first_paragraph(subcommands[name].help)} |" for name in sorted(subcommands)]
            out.append("")
    return "\n".join(out)


def _walk(title: str, command: click.Command) -> list[tuple[str, click.Command]]:
    """A command and, for a group, each of its subcommands after it, in name order."""
    found = [(title, command)]
    for name in sorted(getattr(command, "commands", {})):
        found += _walk(f"{title} {name}", command.commands[name])
    return found


def _usage(command: click.Command, info: dict[str, Any]) -> str:
    words = ["[OPTIONS]"]
    for param in info["params"]:
        if param["param_type_name"] == "argument":
            word = param["name"].upper() + ("..." if param["nargs"] == -1 else "")
            words.append(word if param["required"] else f"[{word}]")
    if isinstance(command, click.Group):
        words.append("[COMMAND] [ARGS]..." if command.invoke_without_command else "COMMAND [ARGS]...")
    return " ".join(words)


def _help_text(help_text: str | None) -> str:
    return inspect.cleandoc(help_text or "").split("\f")[0].replace("\b\n", "").strip()


def _first_paragraph(help_text: str | None) -> str:
    return " ".join(_help_text(help_text).split("\n\n")[0].split())


def _option_row(option: dict[str, Any]) -> str:
    names = ", ".join(f"`{name}`" for name in option["opts"] + option["secondary_opts"])
    kind = option["type"]
    if option["is_flag"]:
        value, default = "flag", "—"
    else:
        if "choices" in kind:
            value = " \\| ".join(str(choice) for choice in kind["choices"])
        else:
            value = kind["name"].removesuffix(" range").upper()
            bounds = [f"{'>' if kind.get(side + '_open') else '≥'} {kind[side]}" if side == "min"
                      else f"{'<' if kind.get(side + '_open') else '≤'} {kind[side]}"
                      for side in ("min", "max") if kind.get(side) is not None]
            value += f" ({', '.join(bounds)})" if bounds else ""
        if option["multiple"]:
            value += ", repeatable"
        default = option["default"]
        default = "—" if default in (None, (), []) or callable(default) else f"`{default}`"
    meaning = " ".join((option["help"] or "").split()).replace("|", "\\|")
    return f"| {names} | {value} | {default} | {meaning} |"


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
            "server from `DOSSIER_SMTP_URL`, the VK API's access token for `social` sources on VK from "
            "`DOSSIER_VK_TOKEN` (a VK app's service key), and `DOSSIER_CHROMIUM` names the browser for rendered "
            "pages (`render: js` and `auto`).", ""]
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
