"""Writes a competitor's block into competitors.yaml (for `dossier add`), keeping every other byte of the file.

ruamel.yaml reads the file into nodes that know where they start and end, and renders the new block in the file's
own indentation; the block is then spliced into the text, so that other competitors, comments, blank lines and
quoting stay exactly as written (a full round-trip dump would re-indent a file whose lists are indented unevenly).
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from dossier.config import load_config
from dossier.errors import ConfigError

logger = logging.getLogger(__name__)

Outcome = Literal["created", "added", "updated"]

HEADER = ("# The competitors Dossier watches and where it looks; every field is described in docs/config.md.\n"
          "# `dossier add URL --config FILE` writes a competitor's block here and keeps the rest of the file.\n")

# Line breaks as YAML readers count them (ruamel's marks and PyYAML both): \r\n is one.
_BREAKS = "\r\n\x85\u2028\u2029"
# What a YAML comment may hold (PyYAML's printable set, less the line breaks): anything else becomes "?".
_UNPRINTABLE = re.compile("[^\x09\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FIRST_KEYS = ("kind", "url")  # a source block starts with what it is


@dataclass(frozen=True, slots=True)
class ProposedSource:
    """A source as `dossier add` proposes it: kind, url and only the options that differ from the defaults."""

    settings: dict[str, Any]
    comment: str  # what the sample read, e.g. "sample: 3 listing pages, 24 products, all priced"


@dataclass(frozen=True, slots=True)
class ProposedCompetitor:
    slug: str
    name: str
    sources: list[ProposedSource]
    comment: str | None = None  # e.g. "added by `dossier add https://…` on 2026-12-06: WooCommerce shop"
    own: bool = False  # our own shop (`own: true`); kept when a competitor marked so is replaced


@dataclass(frozen=True, slots=True)
class _Style:
    """Indentation, in columns: `mapping` of a nested mapping's keys under their parent key; a list's dash at
    `offset` and its item's content at `sequence`, both counted from the list's key (ruamel's indent())."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2


@dataclass(frozen=True, slots=True)
class _Item:
    """Where one `- slug: …` item of `competitors:` lies in the text."""

    slug: Any
    start: int  # its own comment lines directly above its dash, else the dash's line
    end: int  # just past the line of its last content
    dash: int  # column of its dash
    content: int  # column of its first key


def competitor_block(proposal: ProposedCompetitor) -> str:
    """The YAML text of the competitor as it will be written (for showing it to the user before asking): one list
    item from column 0, in the layout of a new file; in a file, the same lines indented under `competitors:` as the
    file indents its lists."""
    return _render(proposal, _Style(), dash=0, content=2, newline="\n")


def write_competitor(path: Path, proposal: ProposedCompetitor, defaults: dict[str, Any] | None = None) -> Outcome:
    """Write the competitor into the file: created when missing (with `defaults:` when given, and a header comment
    pointing at docs/config.md); an existing competitor with the same slug is replaced in place (its old comments
    dropped), else the competitor is appended at the end of `competitors:`. Every other byte stays as it was. The
    result is checked with load_config before it replaces the file atomically; any problem is a one-line
    ConfigError and nothing is written. `defaults` is only used for a new file."""
    path = Path(path)
    target = Path(os.path.realpath(path))  # a symlinked config stays a symlink: its target is rewritten
    try:
        raw: bytes | None = target.read_bytes()
    except FileNotFoundError:
        raw = None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if raw is None:
        if not target.parent.is_dir():
            raise ConfigError(f"{path}: no such folder {path.parent}; create it or give --config another path")
        text, outcome = _new_file(proposal, defaults), "created"
    else:
        try:
            original = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 and add again") from None
        text, outcome = _edit(original, proposal, path)
    _install(path, target, text, keep_mode=raw is not None)
    logger.info("%s: %s competitor %s (%d sources)", path, outcome, proposal.slug, len(proposal.sources))
    return outcome


# --- rendering ---------------------------------------------------------------------------------------------------

def _render(proposal: ProposedCompetitor, style: _Style, dash: int, content: int, newline: str) -> str:
    """The competitor as a list item whose dash is at column `dash` and whose keys are at column `content`, each
    comment a `# …` line above what it describes, every line ended by `newline`."""
    if not proposal.sources:
        raise ConfigError(f"competitor {proposal.slug}: no source to write (a competitor needs at least one)")
    sources = [_source_settings(source.settings) for source in proposal.sources]
    identity = {"slug": _plain(proposal.slug), "name": _plain(proposal.name)} | ({"own": True} if proposal.own else {})
    head = _dump(identity, style)
    body = [*head, "sources:"]
    for source, settings in zip(proposal.sources, sources):
        body += [" " * style.offset + line for line in _comment_lines(source.comment)]
        body += _as_item(_dump(settings, style), style.offset, style.sequence - style.offset)
    lines = [" " * dash + line for line in _comment_lines(proposal.comment)]
    lines += [" " * dash + line if line else line for line in _as_item(body, 0, content - dash)]
    text = "\n".join(lines) + "\n"
    expected = [{**identity, "sources": sources}]
    if yaml.safe_load(text) != expected:  # PyYAML, as load_config reads it: a value must read back as given
        raise ConfigError(f"competitor {proposal.slug}: its settings do not read back unchanged as YAML; "
                          "check them for unusual characters")
    return text.replace("\n", newline)


def _as_item(lines: list[str], dash: int, width: int) -> list[str]:
    """Lines of a mapping made into a list item: a dash at column `dash` and the content `width` columns on."""
    first, *rest = lines
    return [" " * dash + "-" + " " * (width - 1) + first,
            *(" " * (dash + width) + line if line else line for line in rest)]


def _comment_lines(comment: str | None) -> list[str]:
    """A comment as `# …` lines: a line break in it starts a new comment line, never a line of YAML."""
    if not comment:
        return []
    return [f"# {line}" if line else "#"
            for line in (_UNPRINTABLE.sub("?", part).rstrip() for part in comment.splitlines())]


def _source_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """kind and url first, the rest in the order given; unset (None) options left out."""
    ordered = {key: settings[key] for key in _FIRST_KEYS if key in settings}
    ordered.update((key, value) for key, value in settings.items() if key not in ordered)
    return {str(key): _plain(value) for key, value in ordered.items() if value is not None}


def _plain(value: Any) -> Any:
    """Plain YAML data: lists for tuples, dicts for mappings, double quotes for a string with a character that a
    YAML 1.1 reader would take for a line break inside single quotes."""
    if isinstance(value, str):
        return DoubleQuotedScalarString(value) if re.search("[\x85\u2028\u2029]", value) else str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"cannot write a {type(value).__name__} into competitors.yaml: {value!r}")


def _dump(data: dict[str, Any], style: _Style) -> list[str]:
    """A mapping in block style from column 0, as lines. Quoted by YAML 1.1's rules, which PyYAML (and so
    load_config) reads by: `yes`, `on` and `1:20` are quoted, or they would read back as true and 80."""
    writer = YAML()
    writer.version = (1, 1)
    writer.width = 1 << 16  # never fold a long URL or selector over two lines
    writer.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    out = io.StringIO()
    writer.dump(data, out)
    text = re.sub(r"\A%YAML 1\.1\n---\n", "", out.getvalue())
    return text.rstrip("\n").split("\n")


def _new_file(proposal: ProposedCompetitor, defaults: dict[str, Any] | None) -> str:
    style = _Style()
    text = HEADER + "\n"
    if defaults:
        text += "defaults:\n" + "".join(" " * style.mapping + line + "\n"
                                        for line in _dump(_plain(defaults), style)) + "\n"
    return text + "competitors:\n" + _render(proposal, style, dash=style.offset, content=style.sequence, newline="\n")


# --- editing an existing file -------------------------------------------------------------------------------------

def _edit(text: str, proposal: ProposedCompetitor, path: Path) -> tuple[str, Outcome]:
    """The file's text with the competitor added or replaced, and which of the two it was."""
    root = _compose(text, path)
    newline = "\r\n" if "\r\n" in text else "\n"
    if root is not None and (not isinstance(root, MappingNode) or root.flow_style):
        raise ConfigError(f"{path}: expected a block mapping with 'competitors:' at the top (docs/config.md); "
                          "fix the file or give --config a new one")
    entries = root.value if root is not None else []
    key_col = entries[0][0].start_mark.column if entries else 0
    found = [(key, value) for key, value in entries if isinstance(key, ScalarNode) and key.value == "competitors"]
    if not found:  # a file without competitors yet: the list goes at its end
        style = _detect_style(root, text, path)
        block = _render(proposal, style, key_col + style.offset, key_col + style.sequence, newline)
        lead = newline if text and text[-1] not in _BREAKS else ""
        lead += newline if text.strip() else ""
        return text + lead + " " * key_col + "competitors:" + newline + block, "added"
    key, value = found[0]
    if isinstance(value, SequenceNode) and not value.flow_style and value.value:
        return _splice(text, root, key, value, proposal, path, newline)
    empty_flow = isinstance(value, SequenceNode) and not value.value
    if not (empty_flow or _is_null(value)):
        shape = "a flow list [...]" if isinstance(value, SequenceNode) else "not a list"
        raise ConfigError(f"{path}: competitors: {shape}; write it as a block list, one `- slug: …` item per "
                          "competitor (docs/config.md), and add again")
    # `competitors:` with nothing, `~`, `null` or `[]` after it: that value goes, the list starts on the next line
    start = end = key.end_mark.index  # an empty value's marks point at whatever comes next
    if value.end_mark.index > value.start_mark.index and value.start_mark.line == key.start_mark.line:
        start, end = value.start_mark.index, value.end_mark.index
    style = _detect_style(root, text, path)
    column = key.start_mark.column
    block = _render(proposal, style, column + style.offset, column + style.sequence, newline)
    return text[:start] + text[end:_line_end(text, end)] + newline + block + text[_next_line(text, end):], "added"


def _splice(text: str, root: MappingNode, key: Node, competitors: SequenceNode, proposal: ProposedCompetitor,
            path: Path, newline: str) -> tuple[str, Outcome]:
    items = _items(text, key, competitors, path)
    style = _detect_style(root, text, path, items)
    first = items[0]
    block = _render(proposal, style, first.dash, first.content, newline)
    for item in items:
        if item.slug == proposal.slug:
            if not proposal.own and _marked_own(competitors, proposal.slug):  # our shop stays ours when updated
                block = _render(replace(proposal, own=True), style, first.dash, first.content, newline)
            if item.end == len(text) and text[-1:] not in _BREAKS:
                block = block.removesuffix(newline)
            return text[:item.start] + block + text[item.end:], "updated"
    last = items[-1]
    lead = newline if last.end == len(text) and text[-1:] not in _BREAKS else ""
    separated = len(items) == 1 or any(
        _has_blank_line(text[before.end:after.start]) for before, after in zip(items, items[1:]))
    if separated:
        lead += newline
    return text[:last.end] + lead + block + text[last.end:], "added"


def _marked_own(competitors: SequenceNode, slug: str) -> bool:
    """Whether the file's competitor `slug` says `own: true` (YAML 1.1's true, as load_config reads it)."""
    for item in competitors.value:
        if isinstance(item, MappingNode):
            settings = {key.value: value.value for key, value in item.value
                        if isinstance(key, ScalarNode) and isinstance(value, ScalarNode)}
            if settings.get("slug") == slug:
                return str(settings.get("own", "")).lower() in ("true", "yes", "on", "y")
    return False


def _compose(text: str, path: Path) -> Node | None:
    try:
        return YAML().compose(text)
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply); fix the file or give --config a new one") \
            from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f": line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"{path}{where}: not valid YAML ({' '.join(str(problem).split())}); fix it, or give "
                          "--config a new file") from None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":null")


def _items(text: str, key: Node, competitors: SequenceNode, path: Path) -> list[_Item]:
    items: list[_Item] = []
    floor = _next_line(text, key.end_mark.index)  # the first item's comments may sit above the list's first dash
    for index, node in enumerate(competitors.value):
        if node.start_mark.index < key.end_mark.index:  # an alias to a node further up: its marks are not this item's
            raise ConfigError(f"{path}: competitors[{index}] is a YAML alias; write it out in full to let dossier "
                              "add edit the list")
        dash_line, dash = _dash(text, node, path, index)
        start = dash_line
        while (above := _previous_line(text, start)) is not None and above >= floor:
            line = text[above:_line_end(text, above)]
            if line[:dash].strip() or not line[dash:].startswith("#"):
                break
            start = above
        end = max(_end_of_nodes(text, node), _end_before(text, node.end_mark.index))
        items.append(_Item(slug=_slug_of(node), start=start, end=end, dash=dash, content=node.start_mark.column))
        floor = end
    return items


def _slug_of(node: Node) -> Any:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == "slug" and isinstance(value, ScalarNode):
                return value.value
    return None


def _dash(text: str, node: Node, path: Path, index: int) -> tuple[int, int]:
    """Start of the line holding the item's dash, and the dash's column."""
    start = _line_start(text, node.start_mark.index)
    before = text[start:node.start_mark.index].rstrip()
    if before.endswith("-"):
        return start, len(before) - 1
    if not before.strip():  # `-` alone on a line (or with a comment), the item's content below it
        line_start = _previous_line(text, start)
        while line_start is not None:
            code = text[line_start:_line_end(text, line_start)].split("#", 1)[0].rstrip()
            if code.strip() == "-":
                return line_start, len(code) - 1
            if code.strip():
                break
            line_start = _previous_line(text, line_start)
    raise ConfigError(f"{path}: cannot tell where competitors[{index}] starts; write it as `- slug: …` and add again")


def _end_of_nodes(text: str, node: Node) -> int:
    """Just past the line holding the last character of the node's scalars and flow collections."""
    last = 0
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ScalarNode) or getattr(current, "flow_style", False):
            end = current.end_mark.index
            while end > current.start_mark.index and text[end - 1] in " \t" + _BREAKS:  # a block scalar's tail
                end -= 1
            if end > current.start_mark.index:
                last = max(last, _next_line(text, end - 1))
        elif isinstance(current, MappingNode):
            stack += [part for pair in current.value for part in pair]
        elif isinstance(current, SequenceNode):
            stack += current.value
    return last


def _end_before(text: str, index: int) -> int:
    """Just past the last line before `index` (where the next item or key starts) holding more than blanks and
    comments."""
    line_start = _line_start(text, index)
    head = text[line_start:index].strip()
    if head and not head.startswith("#"):  # `index` is mid-line: after a flow collection, or at the text's end
        return _next_line(text, index - 1)
    if not head:
        line_start = _previous_line(text, line_start)
    while line_start is not None:
        line = text[line_start:_line_end(text, line_start)].strip()
        if line and not line.startswith("#"):
            return _next_line(text, line_start)
        line_start = _previous_line(text, line_start)
    return 0


def _detect_style(root: MappingNode | None, text: str, path: Path, items: list[_Item] | None = None) -> _Style:
    """The file's own indentation: of its competitors' `sources:` lists, else of its `competitors:` list, else of
    any list under a key; of its nested mappings; the demo's layout where the file shows none."""
    mapping = None
    sources: list[tuple[int, int]] = []  # (offset, sequence) of block lists under a key
    others: list[tuple[int, int]] = []
    stack: list[Node] = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop(0)
        if id(node) in seen:  # an alias: its node was looked at where its anchor is
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack += node.value
        if not isinstance(node, MappingNode) or node.flow_style:
            continue
        for key, value in node.value:
            stack.append(value)
            if getattr(value, "flow_style", True) or not value.value or value.start_mark.index < key.start_mark.index:
                continue  # a flow or empty collection, a scalar, or an alias to one further up
            column = key.start_mark.column
            if isinstance(value, MappingNode) and mapping is None:
                mapping = value.value[0][0].start_mark.column - column
            elif isinstance(value, SequenceNode) and not (items and node is root and key.value == "competitors"):
                with contextlib.suppress(ConfigError):
                    dash = _dash(text, value.value[0], path, 0)[1]
                    pair = (dash - column, value.value[0].start_mark.column - column)
                    (sources if key.value == "sources" else others).append(pair)
    if items:
        column = next(key for key, _ in root.value if key.value == "competitors").start_mark.column
        sources.append((items[0].dash - column, items[0].content - column))
    offset, sequence = next(((o, s) for o, s in sources + others if o >= 0 and s - o >= 2), (2, 4))
    return _Style(mapping=mapping if mapping and mapping > 0 else 2, sequence=sequence, offset=offset)


def _has_blank_line(gap: str) -> bool:
    """Whether a gap of whole lines holds a blank one."""
    return any(not line.strip() for line in re.split("\r\n|[" + _BREAKS + "]", gap)[:-1])


# --- lines, as YAML counts them -----------------------------------------------------------------------------------

def _line_start(text: str, index: int) -> int:
    while index > 0 and text[index - 1] not in _BREAKS:
        index -= 1
    return index


def _line_end(text: str, index: int) -> int:
    """Where the line holding `index` ends, before its line break."""
    while index < len(text) and text[index] not in _BREAKS:
        index += 1
    return index


def _next_line(text: str, index: int) -> int:
    """Just past the line break ending the line that holds `index` (the text's length on its last line)."""
    end = _line_end(text, index)
    return end + 2 if text.startswith("\r\n", end) else min(end + 1, len(text))


def _previous_line(text: str, line_start: int) -> int | None:
    """Start of the line above the line starting at `line_start`."""
    if line_start <= 0:
        return None
    end = line_start - 1
    if text[end] == "\n" and end > 0 and text[end - 1] == "\r":
        end -= 1
    return _line_start(text, end)


# --- writing ------------------------------------------------------------------------------------------------------

def _install(path: Path, target: Path, text: str, keep_mode: bool) -> None:
    """Check the new text with load_config, then put it in place with one rename: a crash leaves the old file or
    the new one, never half of one. The staged copy has the file's own name, so that errors name the field as the
    user will see it."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write into {path.parent}: {exc.strerror or exc}") from None
    staged = folder / target.name
    try:
        with open(staged, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        if keep_mode:
            shutil.copymode(target, staged)
        try:
            load_config(staged)
        except ConfigError as exc:
            raise ConfigError(f"{str(exc).replace(str(staged), str(path))} (nothing written)") from None
        os.replace(staged, target)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            staged.unlink(missing_ok=True)
            folder.rmdir()
    with contextlib.suppress(OSError):  # the rename itself survives a power cut only once the folder is synced
        folder_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
