"""The `follow` of a proposed source from sample URLs: the shortest regular expression of their paths that a
person can read and that keeps the crawl within the pages of that kind (`dossier add`)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit


def segments(url: str) -> list[str]:
    return [part for part in urlsplit(url).path.split("/") if part]


def directory(url: str, is_item: bool) -> list[str]:
    """The folder a page sits in: an item's page (a product, `/produit/velo-x/` or `/p/lr-200.html`) in its
    parent; a listing whose path ends in `/` is a folder itself (`/produkte/`)."""
    parts = segments(url)
    return parts if not is_item and urlsplit(url).path.endswith("/") else parts[:-1]


def common_prefix(paths: list[list[str]]) -> list[str]:
    if not paths:
        return []
    common = paths[0]
    for path in paths[1:]:
        length = 0
        while length < min(len(common), len(path)) and common[length] == path[length]:
            length += 1
        common = common[:length]
    return common


def follow_pattern(listings: list[str], items: list[str]) -> str | None:
    """A regex (searched in each link's URL, as `follow` is) matching the paths of the sample listing pages and
    item pages: their common folder (`/produkte/`), else each first path segment (`/(?:categorie|produit)/`),
    with root-level item pages by their shared file extension; None when the URLs share nothing a pattern could
    keep apart from the rest of the site."""
    urls = [url for url in listings + items if segments(url)]
    if not urls:
        return None
    common = common_prefix([directory(url, url in items) for url in urls])
    if common:
        return "/" + "/".join(re.escape(part) for part in common) + "/"
    folders = {url: directory(url, url in items) for url in urls}
    firsts = sorted({folder[0] for folder in folders.values() if folder})
    rooted = [url for url, folder in folders.items() if not folder]
    parts = []
    if firsts:
        parts.append(("/" + re.escape(firsts[0]) + "/") if len(firsts) == 1
                     else "/(?:" + "|".join(re.escape(name) for name in firsts) + ")/")
    if rooted:
        names = [segments(url)[-1] for url in rooted]
        extensions = {name.rpartition(".")[2] for name in names if "." in name}
        if len(extensions) != 1 or not all("." in name for name in names):
            return None  # root-level pages without a shared extension: nothing tells them from the rest
        parts.append(r"^[a-z]+://[^/]+/[^/?#]+\." + re.escape(extensions.pop()) + r"(?:[?#]|$)")
    return parts[0] if len(parts) == 1 else "|".join(f"(?:{part})" for part in parts)


def page_param(links: list[str]) -> str | None:
    """The query parameter numbering a listing's pages, when its links carry one with the value 2."""
    for link in links:
        query = urlsplit(link).query
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if value == "2" and re.fullmatch(r"(?:page|p|pg|seite|strana|stranica|pagina|sayfa|PAGEN_\d+)", name):
                return name
    return None
