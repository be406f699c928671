"""Discovering a competitor's sources from its home page (`dossier add`): robots.txt and sitemaps, the shop
platform, the category listings and how they paginate, the product pages' URL pattern, review pages (its own and
the review platforms' profiles it links to), the careers page, social and messenger links, the newsletter
sign-up. A sample of pages of each kind is read as the crawl would read it; a source is proposed only when its
sample reads what its kind holds, with a comment saying what that was.

`survey` is the job a FetchSession runs (crawler/fetcher.py); `propose` turns what it found into the
competitor's block of competitors.yaml. Every fetch obeys robots.txt: a page it forbids is never requested.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response
from scrapy.utils.sitemap import sitemap_urls_from_robots

from crawler.discovery import read_sitemap
from crawler.fetcher import Fetched, FetchSession
from crawler.link_kinds import CAREER_WORDS, CATALOG_WORDS, REVIEW_WORDS, is_review_platform, names_any
from crawler.reading import PageReading, read_page
from crawler.render_auto import runs_scripts
from crawler.safety import same_site
from crawler.url_patterns import follow_pattern, page_param
from dossier.errors import CrawlError
from dossier.urls import origin
from dossier.config_file import ProposedCompetitor, ProposedSource

log = logging.getLogger(__name__)

MAX_SITEMAP_FILES = 5
MAX_CANDIDATES = 16  # same-site pages sampled to find listings (catalog words first)
MAX_ITEMS = 8  # product pages sampled from the listings' cards
MAX_REVIEW_PAGES = 4
MAX_CAREER_PAGES = 3
MAX_EXTRA_PAGES = 4  # priced pages the catalog's pattern leaves out, proposed as sources of their own
Progress = Callable[[str], None]


class NothingToRead(CrawlError):
    """The home page could not be fetched, robots.txt forbids it, or nothing on it could be read."""


@dataclass(slots=True)
class Link:
    url: str
    text: str


@dataclass(slots=True)
class Sample:
    """A page read for the survey: static, and rendered when the static page lacked a price rendering gives."""

    url: str
    static: PageReading
    rendered: PageReading | None = None

    @property
    def best(self) -> PageReading:
        return self.rendered if self.rendered is not None and self.needs_js else self.static

    @property
    def needs_js(self) -> bool:
        return self.rendered is not None and bool(self.rendered.priced) and not self.static.priced

    @property
    def ok(self) -> bool:
        return self.static.fetched.ok


@dataclass(slots=True)
class Survey:
    home: PageReading
    robots: bool = False  # robots.txt was there
    sitemaps: list[str] = field(default_factory=list)
    sitemap_urls: int = 0
    listings: list[Sample] = field(default_factory=list)
    items: list[Sample] = field(default_factory=list)
    extra: list[Sample] = field(default_factory=list)  # priced pages outside the listings' pattern
    reviews: list[Sample] = field(default_factory=list)
    careers: list[Sample] = field(default_factory=list)
    careers_unread: list[str] = field(default_factory=list)
    fetched: int = 0


async def survey(session: FetchSession, url: str, can_render: bool, progress: Progress = lambda _line: None) -> Survey:
    progress(f"home page {url}")
    home_fetched = await session.fetch(url)
    if not home_fetched.ok:
        raise NothingToRead(f"{url}: {home_fetched.error}")
    home = read_page(home_fetched)
    if home.challenge:
        raise NothingToRead(f"{url}: blocked: the site answered with a challenge page ({home.challenge})")
    if not (home.facts.title or home.facts.h1 or home.facts.main_text or home.products):
        raise NothingToRead(f"{url}: nothing could be read on the page (no title, heading, text or product)")
    site = home_fetched.final_url
    result = Survey(home)
    await _read_robots_and_sitemaps(session, site, result, progress)
    links = _links(home, site)
    same = [link for link in links if same_site(link.url, site)]
    other = [link for link in links if not same_site(link.url, site)]

    candidates = _ranked(same, CATALOG_WORDS)[:MAX_CANDIDATES]
    progress(f"{len(candidates)} pages linked from the home page, looking for listings")
    hinted = {link.url for link in candidates if names_any(link.url, link.text, CATALOG_WORDS)}
    sampled = await _sample(session, [link.url for link in candidates], can_render, hinted)
    result.listings = [s for s in sampled if _is_listing(s)]
    if not result.listings:  # a shop whose home page links to its catalog's overview, and that to the categories
        deeper = _ranked([link for s in sampled if s.url in hinted for link in _links(s.static, s.url)
                          if same_site(link.url, site) and link.url not in {x.url for x in sampled}],
                         CATALOG_WORDS)
        deeper = _dedupe([link.url for link in deeper if names_any(link.url, link.text, CATALOG_WORDS)])
        if deeper:
            progress(f"{min(len(deeper), MAX_CANDIDATES)} pages one step further, looking for listings")
            more = await _sample(session, deeper[:MAX_CANDIDATES], can_render, set(deeper))
            sampled += more
            result.listings = [s for s in sampled if _is_listing(s)]
    if not result.listings and _is_listing(Sample(site, home)):  # a shop of one page: its home is the listing
        result.listings = [Sample(site, home)]
    card_urls = _dedupe([p.product.url for s in result.listings for p in s.best.priced
                         if p.product.url and same_site(p.product.url, site)
                         and _page(p.product.url) != _page(s.url)])
    card_urls = [u for u in card_urls if u not in {s.url for s in sampled}][:MAX_ITEMS]
    if card_urls:
        progress(f"{len(card_urls)} product pages from the listings")
    result.items = [s for s in await _sample(session, card_urls, can_render) if _is_item(s)]
    result.listings += await _more_listing_pages(session, result.listings, can_render)
    linked_items = [s for s in sampled if _is_item(s)]  # product pages the home page links to itself
    if result.listings or result.items:
        pattern = follow_pattern([s.url for s in result.listings], [s.url for s in result.items])
        result.items += [s for s in linked_items if pattern and re.search(pattern, s.url)]
    else:
        result.items = linked_items

    reviews = _ranked([l for l in same if names_any(l.url, l.text, REVIEW_WORDS)], REVIEW_WORDS) + \
        [l for l in other if is_review_platform(l.url) or names_any(l.url, l.text, REVIEW_WORDS)]
    reviews = reviews[:MAX_REVIEW_PAGES]
    if reviews:
        progress(f"{len(reviews)} review pages")
    already = {s.url: s for s in sampled}
    samples = [already.get(l.url) or Sample(l.url, read_page(await session.fetch(l.url))) for l in reviews]
    result.reviews = [s for s in samples if s.ok and (s.static.reviews.reviews or
                                                      s.static.reviews.aggregate_rating is not None)]
    careers = [l for l in same if names_any(l.url, l.text, CAREER_WORDS)][:MAX_CAREER_PAGES]
    for link in careers:
        sample = already.get(link.url) or Sample(link.url, read_page(await session.fetch(link.url)))
        if sample.ok and sample.static.jobs:
            result.careers.append(sample)
        else:
            result.careers_unread.append(link.url)
    covered = {s.url for s in result.listings + result.items + result.reviews + result.careers}
    result.extra = [s for s in sampled if s.url not in covered and s.best.priced][:MAX_EXTRA_PAGES]
    result.fetched = session.fetched
    return result


async def _read_robots_and_sitemaps(session: FetchSession, site: str, result: Survey, progress: Progress) -> None:
    base = origin(site)
    robots = await session.fetch(base + "/robots.txt")
    named: list[str] = []
    if robots.ok:
        result.robots = True
        named = list(sitemap_urls_from_robots(robots.body, base_url=base + "/"))
    queue = named or [base + "/sitemap.xml"]
    read = 0
    while queue and read < MAX_SITEMAP_FILES:
        url = queue.pop(0)
        fetched = await session.fetch(url)
        read += 1
        if not fetched.ok:
            continue
        parsed = read_sitemap(Response(fetched.final_url, body=fetched.body, headers=fetched.headers),
                              16 * 1024 * 1024)
        if parsed.error:
            continue
        result.sitemaps.append(url)
        result.sitemap_urls += len(parsed.pages)
        queue += parsed.sitemaps
    if result.sitemaps:
        progress(f"sitemaps: {len(result.sitemaps)}, {result.sitemap_urls} URLs")


async def _sample(session: FetchSession, urls: list[str], can_render: bool,
                  catalog_like: set[str] = frozenset()) -> list[Sample]:
    """Each page read statically; one that reads no price but looks like it lacks one is rendered too: a product
    without a price, prices shown yet unread, or a page a catalog link leads to whose scripts may draw it."""
    fetched = await session.fetch_all(urls)
    samples = [Sample(f.url, read_page(f)) for f in fetched if f.ok]
    if can_render:
        for sample in samples:
            static = sample.static
            document = static.fetched.document()
            if not static.priced and (static.products or static.prices_shown or (
                    sample.url in catalog_like and document is not None and runs_scripts(document))):
                sample.rendered = read_page(await session.fetch(sample.url, "js"))
    return samples


async def _more_listing_pages(session: FetchSession, listings: list[Sample], can_render: bool) -> list[Sample]:
    """The second page of each listing that has one (its next-page link): how the listing paginates, and its
    URL for the pattern."""
    seen = {s.url for s in listings}
    following = _dedupe([s.best.next_page for s in listings if s.best.next_page and s.best.next_page not in seen])
    return [s for s in await _sample(session, following[:MAX_CANDIDATES // 4], can_render) if _is_listing(s)]


def _own(sample: Sample, product) -> bool:
    """The product is the page's own (no link, or a link to the page itself), not another page's card."""
    return not product.url or _page(product.url) == _page(sample.url)


def _is_listing(sample: Sample) -> bool:
    """Two priced products or more: cards linking to their pages, or a price list of products without pages
    (distinct names); not a product page with its variants or related products after its own."""
    priced = [p.product for p in sample.best.priced]
    if len(priced) < 2 or (_own(sample, priced[0]) and not all(_own(sample, p) for p in priced)):
        return False
    return all(_own(sample, p) for p in priced) and len({p.name for p in priced}) == len(priced) or \
        sum(not _own(sample, p) for p in priced) >= 2


def _is_item(sample: Sample) -> bool:
    """A product page: its first product is priced and is the page's own."""
    priced = sample.best.priced
    return bool(priced) and not _is_listing(sample) and _own(sample, priced[0].product)


def _links(reading: PageReading, base: str) -> list[Link]:
    document = reading.fetched.document()
    if document is None or document.tree is None:
        return []
    out: dict[str, Link] = {}
    for anchor in document.tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url = urljoin(base, href).split("#")[0]
        if urlsplit(url).scheme not in ("http", "https") or _page(url) == _page(base):
            continue
        text = " ".join(anchor.text_content().split())[:200]
        if url in out:
            out[url].text = f"{out[url].text} {text}".strip()
        else:
            out[url] = Link(url, text)
    return list(out.values())


def _ranked(links: list[Link], words: tuple[str, ...]) -> list[Link]:
    """Links naming the kind first, then the others in page order."""
    return sorted(links, key=lambda link: 0 if names_any(link.url, link.text, words) else 1)


def _dedupe(urls: list[str | None]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


def _page(url: str) -> str:
    return url.split("#")[0].rstrip("/")



# -- the proposal --------------------------------------------------------------------------------------------------

def propose(result: Survey, url: str, slug: str | None, name: str | None, allow_private: bool,
            today: date | None = None) -> ProposedCompetitor:
    site = result.home.fetched.final_url
    private = {"allow_private": True} if allow_private else {}
    sources = [ProposedSource({"kind": "site", "url": site, **({"sitemap": True} if result.sitemaps else {}),
                               **private}, _site_comment(result))]
    catalog = _catalog(result, site)
    if catalog is not None:
        sources.append(ProposedSource({**catalog[0], **private}, catalog[1]))
    for sample in result.extra:
        settings = {"kind": "catalog", "url": sample.url, **({"render": "auto"} if sample.needs_js else {})}
        js = ": its price shows only with JavaScript" if sample.needs_js else ""
        sources.append(ProposedSource({**settings, **private}, "priced page outside the listings: "
                                      + _products_line([sample]) + js))
    for sample in result.reviews:
        page = sample.static.reviews
        settings = {"kind": "reviews", "url": sample.url, **private}
        where = "review platform" if not same_site(sample.url, site) else "own review page"
        rating = f", rating {page.aggregate_rating:g}" if page.aggregate_rating is not None else ""
        pages = ", paginates by its next-page link" if sample.static.next_page else ""
        sources.append(ProposedSource(settings, f"{where}: sample read {_count(len(page.reviews), 'review')}"
                                                f"{rating}{pages}"))
    for sample in result.careers:
        sources.append(ProposedSource({"kind": "jobs", "url": sample.url, **private},
                                      f"careers page: sample read {_count(len(sample.static.jobs), 'job posting')}"))
    when = (today or date.today()).isoformat()
    return ProposedCompetitor(slug or default_slug(site), name or default_name(result.home, site), sources,
                              f"added by `dossier add {url}` on {when}" + _platform_note(result.home))


def _catalog(result: Survey, site: str) -> tuple[dict, str] | None:
    if not result.listings and not result.items:
        return None
    listing_urls = _dedupe([s.url for s in result.listings])
    item_urls = _dedupe([s.url for s in result.items])
    follow = follow_pattern(listing_urls, item_urls) if item_urls else None
    start = _start(listing_urls, follow, site)
    settings: dict = {"kind": "catalog", "url": start}
    if follow:
        settings["follow"] = follow
    documents = [s.best.fetched for s in result.listings]
    numbered = page_param([link for f in documents for link in _hrefs(f)]) if not any(
        s.best.next_page for s in result.listings) else None
    if numbered:
        settings["page_param"] = numbered
    needs_js = [s for s in result.listings + result.items if s.needs_js]
    if needs_js and len(needs_js) == len(result.listings + result.items):
        settings["render"] = "js"
    elif needs_js:
        settings["render"] = "auto"
    parts = []
    if result.listings:
        parts.append(f"{_count(len(result.listings), 'listing page')} ({_products_line(result.listings)})")
    if result.items:
        parts.append(f"{_count(len(result.items), 'product page')} ({_products_line(result.items)})")
    if any(s.best.next_page for s in result.listings):
        parts.append("paginates by its next-page link")
    elif numbered:
        parts.append(f"paginates by ?{numbered}=N")
    if needs_js:
        parts.append(f"{_count(len(needs_js), 'sampled page')} showed the price only with JavaScript")
    return settings, "sample read " + "; ".join(parts)


def _start(listings: list[str], follow: str | None, site: str) -> str:
    """The listing whose path is the common folder of the others (`/produkte/` of `/produkte/seite-2.html`),
    else the only listing, else the home page (the crawl follows the pattern from there)."""
    if len(listings) == 1:
        return listings[0]
    for url in sorted(listings, key=lambda u: len(urlsplit(u).path)):
        path = urlsplit(url).path
        if path.endswith("/") and all(urlsplit(other).path.startswith(path) for other in listings):
            return url
    return site


def _hrefs(fetched: Fetched) -> list[str]:
    document = fetched.document()
    if document is None or document.tree is None:
        return []
    return [urljoin(fetched.final_url, a.get("href") or "") for a in document.tree.iter("a") if a.get("href")]


def _products_line(samples: list[Sample]) -> str:
    products = [p for s in samples for p in s.best.priced]
    sources = Counter(p.product.price_source or "?" for p in products)
    by = ", ".join(f"{source} {count}" for source, count in sources.most_common())
    return _count(len(products), "priced product") + (f": {by}" if by else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _site_comment(result: Survey) -> str:
    facts = result.home.facts
    parts = [f"home page: {facts.h1 or facts.title or 'read'}"[:120]]
    if result.sitemaps:
        parts.append(f"sitemap lists {result.sitemap_urls} URLs")
    channels = result.home.contacts.entries()
    social = [link for link in result.home.facts.social_links][:6]
    messengers = [value for kind, value, _label in channels if kind == "messenger"]
    if social:
        parts.append("social: " + ", ".join(social))
    if messengers:
        parts.append("messengers: " + ", ".join(messengers))
    if any(kind == "form" and value.startswith("newsletter") for kind, value, _label in channels):
        parts.append("newsletter sign-up on the home page: subscribe a mailbox and add a `newsletter` source "
                     "(docs/config.md)")
    if result.careers_unread:
        parts.append(f"careers page {result.careers_unread[0]} read no job posting")
    return "; ".join(parts)


def _platform_note(home: PageReading) -> str:
    shops = [t.name for t in home.technologies if any(c in ("Ecommerce", "E-commerce") for c in t.categories)]
    return f": {', '.join(shops)} shop" if shops else ""


def default_slug(site: str) -> str:
    """The site's name as a slug: kranrad for https://www.kranrad.de/, site-8080 for an address without one."""
    host = (urlsplit(site).hostname or "").removeprefix("www.")
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return f"site-{urlsplit(site).port or 80}"
    labels = host.split(".")
    name = labels[-2] if len(labels) >= 2 else labels[0]
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:63]
    return slug if slug and slug[0].isalnum() else f"site-{slug}".strip("-")


def default_name(home: PageReading, site: str) -> str:
    """og:site_name, else the title's part after its last separator (`Produkte | Kranrad GmbH`), else the host."""
    document = home.fetched.document()
    if document is not None and document.tree is not None:
        found = document.tree.xpath("//meta[@property='og:site_name']/@content")
        if found and str(found[0]).strip():
            return str(found[0]).strip()
    title = home.facts.title or ""
    for separator in (" | ", " – ", " — ", " - ", " · ", " :: "):
        if separator in title:
            return title.rsplit(separator, 1)[1].strip() or title
    return title.strip() or (urlsplit(site).hostname or site)
