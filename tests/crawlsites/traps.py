"""A site full of crawler traps, as real sites have them by accident:

- an endless calendar: every month links the next (`a.next`, followed as pagination), the previous one and its
  events.ics, which answers 500 for even months, so the crawl has failed URLs to name;
- session ids in URLs: every answer of the shop links it again under a new `;jsessionid=` and `?PHPSESSID=`;
- ever-growing query strings: a search that links itself with one more `q=` and a filter with one more parameter;
- a relative link that nests without end: /docs/more/ → /docs/more/more/ → …
"""
from __future__ import annotations

import itertools
from urllib.parse import parse_qsl, urlsplit

from crawlsites import Reply, page

_session = itertools.count(1)


def calendar(path: str) -> Reply:
    """/calendar/YYYY/MM/: a month with links to the previous and the next one, forever."""
    parts = path.split("?")[0].strip("/").split("/")
    try:
        year, month = int(parts[1]), int(parts[2])
    except (IndexError, ValueError):
        return Reply("<h1>Not found</h1>", status=404)
    if parts[3:] == ["events.ics"]:
        if month % 2 == 0:
            return Reply("<h1>Calendar service unavailable</h1>", status=500)
        return Reply("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", content_type="text/calendar")
    prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    next_year, next_month = (year, month + 1) if month < 12 else (year + 1, 1)
    return Reply(f"<!doctype html><html><head><title>Events {year}-{month:02}</title></head><body>"
                 f"<h1>Events in {year}-{month:02}</h1><p>No events this month.</p>"
                 f'<a class="prev" href="/calendar/{prev_year}/{prev_month:02}/">previous month</a> '
                 f'<a href="events.ics">subscribe</a> '
                 f'<a class="next" href="/calendar/{next_year}/{next_month:02}/">next month</a></body></html>')


def shop(path: str) -> Reply:
    """Every answer names a new session, in the path and in the query."""
    session = next(_session)
    return page("Shop", f"/shop;jsessionid=S{session:04}", f"/shop?PHPSESSID=P{session:04}",
                f"/shop?utm_source=trap&utm_campaign=c{session}")


def search(path: str) -> Reply:
    """Links itself with one more q= every time: ?q=drill&q=drill&q=drill…"""
    query = urlsplit(path).query
    return page("Search results", f"/search?{query}&q=drill")


def filtered(path: str) -> Reply:
    """Links itself with one more filter parameter: ?f1=1&f2=1&f3=1…"""
    count = len(parse_qsl(urlsplit(path).query))
    return page("Filtered", f"{path}&f{count + 1}=1")


def docs(path: str) -> Reply:
    """Any path under /docs/ answers the same page with a relative link one level deeper."""
    return page("Docs", "more/")


TRAPS = {
    "/": page("Trap Co", "/calendar/2026/11/", "/shop;jsessionid=S0000", "/search?q=drill", "/filter?f1=1",
              "/docs/"),
    "/calendar/*": calendar,
    "/shop": shop,
    "/search": search,
    "/filter": filtered,
    "/docs/*": docs,
}
