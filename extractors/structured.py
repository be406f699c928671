"""One view of a page's schema.org data: JSON-LD, microdata and RDFa turned into plain JSON-LD-like dicts.

Shared by the product and review extractors: `nodes(document)` yields every typed node (nested ones too),
`types(node)` gives its short type names, `first`/`text` read property values whatever the syntax made of them.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from extractors.document import Document

SYNTAX = "@syntax"  # the key `roots` marks each top-level node with: "json-ld", "microdata" or "rdfa"
MAX_DEPTH = 12  # structured data nested deeper than this is not a product page's; it also stops reference cycles


def short_type(value: Any) -> str:
    """`https://schema.org/Product` -> `Product`, `schema:Offer` -> `Offer`."""
    text = str(value).strip()
    for sep in ("/", "#", ":"):
        text = text.rsplit(sep, 1)[-1]
    return text


def types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type", [])
    raw = raw if isinstance(raw, list) else [raw]
    return {short_type(t) for t in raw if t}


def _from_microdata(item: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        return None
    if isinstance(item, list):
        return [_from_microdata(i, depth + 1) for i in item]
    if not isinstance(item, dict):
        return item
    if "properties" not in item and "type" not in item:
        return {k: _from_microdata(v, depth + 1) for k, v in item.items()}
    node: dict[str, Any] = {}
    if item.get("type"):
        node["@type"] = item["type"]
    if item.get("id"):
        node["@id"] = item["id"]
    for key, value in (item.get("properties") or {}).items():
        node[key] = _from_microdata(value, depth + 1)
    if "value" in item and "properties" in item:
        node.setdefault("@value", item["value"])
    return node


def _from_rdfa(graph: list[Any]) -> list[dict[str, Any]]:
    """pyRdfa's flat graph (full property URIs, `{"@id"}` references) -> nested nodes, roots only."""
    by_id = {n.get("@id"): n for n in graph if isinstance(n, dict) and n.get("@id")}
    referenced: set[str] = set()

    def convert(node: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, values in node.items():
            if key == "@type":
                out["@type"] = values
                continue
            if key == "@id":
                out["@id"] = values
                continue
            name = short_type(key)
            items = []
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, dict) and "@value" in value:
                    items.append(value["@value"])
                elif isinstance(value, dict) and value.get("@id") in by_id and depth < MAX_DEPTH:
                    referenced.add(value["@id"])
                    items.append(convert(by_id[value["@id"]], depth + 1))
                elif isinstance(value, dict) and "@id" in value:
                    items.append(value["@id"])
                else:
                    items.append(value)
            out[name] = items[0] if len(items) == 1 else items
        return out

    converted = [(n.get("@id"), convert(n, 0)) for n in graph if isinstance(n, dict) and n.get("@type")]
    return [node for node_id, node in converted if node_id not in referenced]


def roots(document: Document) -> list[dict[str, Any]]:
    """Top-level schema.org nodes of every syntax, in the order JSON-LD, microdata, RDFa."""
    data = document.structured
    out: list[dict[str, Any]] = []
    for item in data.get("json-ld") or []:
        out.extend(_tagged(_flatten_graph(item), "json-ld"))
    for item in data.get("microdata") or []:
        node = _from_microdata(item)
        if isinstance(node, dict):
            out.extend(_tagged([node], "microdata"))
    out.extend(_tagged(_from_rdfa(data.get("rdfa") or []), "rdfa"))
    return out


def _tagged(nodes: Iterable[dict[str, Any]], syntax: str) -> Iterator[dict[str, Any]]:
    """Each top-level node marked with the syntax it came in (`SYNTAX`): where a price was read is recorded."""
    for node in nodes:
        node.setdefault(SYNTAX, syntax)
        yield node


def _flatten_graph(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, list):
        for i in item:
            yield from _flatten_graph(i)
    elif isinstance(item, dict):
        if "@graph" in item:
            yield from _flatten_graph(item["@graph"])
        if item.get("@type") or "@graph" not in item:
            yield item


def walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict inside `node`, outer first (depth-first, document order)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            yield from walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from walk(value, depth + 1)


def nodes(document: Document, wanted: set[str]) -> Iterator[dict[str, Any]]:
    """Every node (top-level or nested) whose type is in `wanted`."""
    for root in roots(document):
        for node in walk(root):
            if types(node) & wanted:
                yield node


def first(value: Any) -> Any:
    """The first of a list (or the value itself), skipping empties."""
    if isinstance(value, list):
        for item in value:
            if item not in (None, "", [], {}):
                return item
        return None
    return value


def text(value: Any) -> str | None:
    """A property as one clean string: names of nested nodes, `@value`s and numbers included."""
    value = first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("@id") or value.get("value")
        value = first(value)
        if isinstance(value, dict):
            return None
    if value is None or isinstance(value, bool):
        return None
    cleaned = " ".join(str(value).split())
    return cleaned or None


def opengraph(document: Document) -> dict[str, str]:
    """OpenGraph and product: tags as one flat dict (the first value of each property wins)."""
    out: dict[str, str] = {}
    for block in document.structured.get("opengraph") or []:
        for pair in block.get("properties") or [] if isinstance(block, dict) else []:
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[1] not in (None, ""):
                out.setdefault(str(pair[0]).lower(), str(pair[1]))
    return out
