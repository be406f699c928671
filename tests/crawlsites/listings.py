"""Listings for the `marketplace` and `jobs` source kinds.

BAZAAR is a marketplace: the seller page of Northwind Tools over three pages, linked by `a.next` (the last page
shows the link disabled, as a span), each offer a card without structured data, beside a carousel of other
sellers' sponsored offers that the source's `product` selector must leave out.

CAREERS is a competitor's job page, numbered by `?seite=N`: two postings, then one, then an empty page
("no open positions"), where the listing ends; every further page would answer the same empty page.
"""
from __future__ import annotations

import json

from crawlsites import Reply

OFFERS = [  # (offer id, title, shown price, stock badge)
    ("B-1001", "Northwind Cordless Drill 18V", "$124.99", "In stock"),
    ("B-1002", "Northwind Impact Driver 20V", "$144.00", "In stock"),
    ("B-1003", "Northwind Circular Saw 7-1/4in", "$97.50", "Only 2 left"),
    ("B-1004", "Northwind Laser Level 24ft", "$57.00", "In stock"),
    ("B-1005", "Northwind Pro Tool Kit", "$239.00", "Out of stock"),
    ("B-1006", "Northwind Bit Set 40pc", "$19.95", "In stock"),
    ("B-1007", "Northwind Work Light LED", "$34.90", "In stock"),
    ("B-1008", "Northwind Tape Measure 25ft", "$12.49", "In stock"),
    ("B-1009", "Northwind Rolling Tool Case", "$79.00", "In stock"),
]
PER_PAGE = 4
MARKETPLACE_SELECTORS = {"product": ".seller-offers .offer", "name": ".offer-title", "price": ".offer-price",
                         "sku": "::attr(data-offer-id)", "availability": ".stock"}
SPONSORED = ('<aside class="carousel"><h2>Sponsored</h2>'
             '<div class="offer" data-offer-id="X-9001"><a class="offer-title" href="/offer/X-9001">'
             'Acme Drill</a><span class="offer-price">$99.00</span></div></aside>')


def seller_page(number: int) -> Reply:
    offers = OFFERS[(number - 1) * PER_PAGE:number * PER_PAGE]
    cards = "".join(
        f'<li class="offer" data-offer-id="{offer_id}"><a href="/offer/{offer_id}">'
        f'<h3 class="offer-title">{title}</h3></a><span class="offer-price">{price}</span>'
        f'<span class="stock">{stock}</span><button>Add to cart</button></li>'
        for offer_id, title, price, stock in offers)
    last = number * PER_PAGE >= len(OFFERS)
    following = ('<span class="next disabled">Next</span>' if last else
                 f'<a class="next" rel="next" href="/seller/northwind/?page={number + 1}">Next</a>')
    previous = f'<a class="prev" href="/seller/northwind/?page={number - 1}">Previous</a>' if number > 1 else ""
    return Reply(f"<!doctype html><html lang='en'><head><title>Northwind Tools – seller on Bazaar, page {number}"
                 f"</title></head><body><nav><a href='/'>Bazaar</a> <a href='/seller/acme/'>Acme</a> "
                 f"<a href='/category/tools/'>Tools</a></nav><h1>Northwind Tools</h1>{SPONSORED}"
                 f"<ul class='seller-offers'>{cards}</ul><nav class='pager'>{previous} {following}</nav>"
                 f"</body></html>")


BAZAAR = {
    "/seller/northwind/": seller_page(1),
    **{f"/seller/northwind/?page={n}": seller_page(n) for n in (1, 2, 3)},
    "/seller/acme/": Reply("<h1>Acme</h1>"),
}

JOBS = [  # (title, city, posted)
    ("Vertriebsingenieur (m/w/d)", "Dortmund", "2026-10-02"),
    ("Industriemechaniker (m/w/d)", "Dortmund", "2026-10-15"),
    ("Projektleiter Kranbau (m/w/d)", "Hamburg", "2026-11-01"),
]


def careers_page(number: int, jobs: list[tuple[str, str, str]]) -> Reply:
    blocks = "".join(
        '<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "JobPosting", "title": title, "datePosted": posted,
            "url": f"{{base}}/karriere/{title.split()[0].lower()}.html",
            "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": city,
                                                           "addressCountry": "DE"}},
            "hiringOrganization": {"@type": "Organization", "name": "Kranrad GmbH"}}) + "</script>"
        for title, city, posted in jobs)
    listing = "".join(f"<li><a href='/karriere/{title.split()[0].lower()}.html'>{title}</a> – {city}</li>"
                      for title, city, _ in jobs) or "<p>Zurzeit keine offenen Stellen.</p>"
    return Reply(f"<!doctype html><html lang='de'><head><title>Karriere – Seite {number}</title>{blocks}</head>"
                 f"<body><h1>Karriere bei Kranrad</h1><ul>{listing}</ul></body></html>")


def careers(path: str) -> Reply:
    number = int(path.rpartition("seite=")[2]) if "seite=" in path else 1
    return careers_page(number, {1: JOBS[:2], 2: JOBS[2:]}.get(number, []))


CAREERS = {"/karriere/": careers}
