"""fixtures/velo (the stand-in for "a shop the tests have never seen") over real HTTP: expected.json agrees with the
pages, the robots.txt and the sitemap, and the files are what make_site.py writes. No crawl."""
from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import pytest
from parsel import Selector
from protego import Protego

from fixtures.server import FIXTURES_DIR, NIGHTS, FixtureSites
from fixtures.velo import make_site

SITE = "velo"
EXPECTED = json.loads((FIXTURES_DIR / SITE / "expected.json").read_text(encoding="utf-8"))
PRODUCTS = [(night, product) for night in NIGHTS for product in EXPECTED["nights"][night]["products"]]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@pytest.fixture(scope="module")
def sites():
    with FixtureSites(sites=[SITE]) as running:
        yield running


def get(sites: FixtureSites, path: str, night: str) -> Answer:
    sites.night = night
    try:
        with urllib.request.urlopen(sites.base_url(SITE) + path, timeout=10) as answer:
            return Answer(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def visible_text(markup: str) -> str:
    """Tags, scripts and styles dropped, entities decoded, every kind of space (NBSP, narrow NBSP) made one space."""
    markup = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1>", " ", markup)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def french(price: str) -> str:
    """'1249.00' → '1 249,00 €' (plain spaces: compare with visible_text)."""
    whole, cents = price.split(".")
    return f"{int(whole):,}".replace(",", " ") + f",{cents} €"


def product_id(case: tuple[str, dict]) -> str:
    night, product = case
    return f"{night}-{product['url'].strip('/').rpartition('/')[2]}"


def product_links(selector: Selector) -> list[str]:
    return selector.css('a[href^="/produit/"]::attr(href)').getall()


# --- the files ----------------------------------------------------------------------------------------------

def test_files_are_what_make_site_writes(tmp_path):
    make_site.write(tmp_path)
    written = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    folder = FIXTURES_DIR / SITE
    stored = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
              if p.is_file() and (p.parts[len(folder.parts)] in NIGHTS or p.name == "expected.json")}
    assert sorted(written) == sorted(stored), "run `python fixtures/velo/make_site.py` after editing it"
    assert [name for name in written if written[name] != stored[name]] == []


def test_expected_holds_a_third_of_each_markup_and_one_javascript_price():
    for night in NIGHTS:
        products = EXPECTED["nights"][night]["products"]
        kinds = [product["price_markup"] for product in products]
        assert len(products) == 30
        assert kinds.count("javascript") == 1
        assert all(9 <= kinds.count(kind) <= 11 for kind in ("json-ld", "microdata", "visible"))
        assert len({product["url"] for product in products}) == len(products)
    night1, night2 = ({p["url"]: p for p in EXPECTED["nights"][night]["products"]} for night in NIGHTS)
    assert len(night1.keys() - night2.keys()) == 1 and len(night2.keys() - night1.keys()) == 1
    assert sum(night1[url]["price"] != night2[url]["price"] for url in night1.keys() & night2.keys()) == 4


# --- the product pages --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", PRODUCTS, ids=product_id)
def test_product_page_agrees_with_expected(sites, case):
    night, product = case
    answer = get(sites, product["url"], night)
    assert answer.status == 200
    page = Selector(answer.text)
    assert page.css("h1::text").get() == product["name"]
    text = visible_text(answer.text)
    shown = french(product["price"])
    ld_prices = [offer["price"] for block in page.css('script[type="application/ld+json"]::text').getall()
                 for offer in [json.loads(block).get("offers")] if offer]
    micro_prices = page.css('[itemprop="price"]::attr(content)').getall()
    kind = product["price_markup"]
    if kind == "javascript":
        assert shown.split(" €")[0] not in text and product["price"] not in answer.text
        assert ld_prices == [] and micro_prices == []
        assert page.css("#prix-produit::text").get() is None  # empty until the script has run
        api = f"/api/prix/{product['url'].strip('/').rpartition('/')[2]}.json"
        assert api in answer.text and "setTimeout" in answer.text
        feed = get(sites, api, night)
        assert feed.status == 200 and feed.headers["content-type"].startswith("application/json")
        assert json.loads(feed.body)["prix_ttc"] == product["price"]
        return
    assert shown in text
    assert (ld_prices, micro_prices) == {
        "json-ld": ([product["price"]], []),
        "microdata": ([], [product["price"]]),
        "visible": ([], []),
    }[kind]
    if product["old_price"]:
        assert page.css("del.prix-barre::text").get().replace("\u202f", " ").replace("\xa0", " ") == \
            french(product["old_price"])
    stock = "En stock" if product["availability"] == "in_stock" else "Rupture de stock"
    assert stock in page.css(".fiche__stock::text").get()


def test_a_removed_product_answers_404_and_an_added_one_only_in_its_night(sites):
    night1, night2 = ({p["url"] for p in EXPECTED["nights"][night]["products"]} for night in NIGHTS)
    (removed,), (added,) = night1 - night2, night2 - night1
    assert get(sites, removed, "night2").status == 404
    assert get(sites, added, "night1").status == 404


# --- listings, robots.txt, sitemap --------------------------------------------------------------------------

@pytest.mark.parametrize("night", NIGHTS)
def test_the_listings_reach_every_product_with_a_price_but_the_javascript_one(sites, night):
    expected = EXPECTED["nights"][night]
    by_url = {product["url"]: product for product in expected["products"]}
    home = Selector(get(sites, "/", night).text)
    categories = [href for href in home.css("nav.menu a::attr(href)").getall() if href.startswith("/categorie/")]
    assert categories == [f"/categorie/{slug}/" for slug in expected["listings"]]
    seen: set[str] = set()
    for category, pages in expected["listings"].items():
        path, visited = f"/categorie/{category}/", []
        while path and path not in visited:  # follow the pager as a crawler would: rel=next, else the next number
            visited.append(path)
            answer = get(sites, path, night)
            assert answer.status == 200
            listing = Selector(answer.text)
            for card in listing.css("main .grille .carte-produit"):
                url = card.css("a::attr(href)").get()
                price = visible_text(card.css(".carte-produit__prix").get())
                if by_url[url]["price_markup"] == "javascript":
                    assert price == ""
                else:
                    assert price.endswith(french(by_url[url]["price"]))
                seen.add(url)
            numbered = listing.css("nav.pagination a.pagination__page::attr(href)").getall()
            following = listing.css('nav.pagination a[rel="next"]::attr(href)').get()
            later = [href for href in numbered if href not in visited]
            path = following or (later[0] if later else None)
        assert visited == pages
        has_next = bool(Selector(get(sites, pages[0], night).text).css('a[rel="next"]'))
        assert has_next == (len(pages) > 1 and category != "transmission")  # transmission: numbers only
    assert seen == set(by_url)


def test_robots_txt_forbids_the_cart_the_account_the_search_and_sorting(sites):
    robots = get(sites, "/robots.txt", "night1")
    assert robots.status == 200
    base = sites.base_url(SITE)
    parser = Protego.parse(robots.text)
    for path in EXPECTED["robots"]["disallow"]:
        assert f"Disallow: {path}" in robots.text
    for path in EXPECTED["robots"]["disallowed_examples"]:
        assert not parser.can_fetch(base + path, "dossier"), path
    for night in NIGHTS:
        for product in EXPECTED["nights"][night]["products"]:
            assert parser.can_fetch(base + product["url"], "dossier")
    assert parser.can_fetch(base + "/api/prix/roue-arriere-vtt-29-boost-rhodanie-trail.json", "dossier")
    assert list(parser.sitemaps) == [base + EXPECTED["robots"]["sitemap"]]


def test_pages_link_to_what_robots_txt_forbids(sites):
    """So that a crawler that ignored robots.txt would request them."""
    home = Selector(get(sites, "/", "night1").text)
    links = {urlsplit(urljoin("/", href)).path for href in home.css("a::attr(href)").getall()}
    assert {"/panier/", "/compte/connexion/", "/recherche/"} <= links
    listing = Selector(get(sites, "/categorie/freinage/", "night1").text)
    assert any("?tri=" in href for href in listing.css("a::attr(href)").getall())


@pytest.mark.parametrize("night", NIGHTS)
def test_sitemap_lists_every_product_and_no_price_feed(sites, night):
    base = sites.base_url(SITE)
    sitemap = get(sites, EXPECTED["robots"]["sitemap"], night)
    assert sitemap.status == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    products = {loc.removeprefix(base) for loc in locations if "/produit/" in loc}
    assert products == {product["url"] for product in EXPECTED["nights"][night]["products"]}
    assert all(loc.startswith(base + "/") for loc in locations)
    assert not any("/api/" in loc for loc in locations)
    assert {base + "/", base + "/avis/", base + "/recrutement/"} <= set(locations)


@pytest.mark.parametrize("night", NIGHTS)
def test_every_page_a_polite_crawler_reaches_answers_and_so_does_what_it_loads(sites, night):
    """Walk every link robots.txt allows from the home page: no broken link, no missing image, style or script."""
    base = sites.base_url(SITE)
    parser = Protego.parse(get(sites, "/robots.txt", night).text)
    queue, seen, loaded = ["/"], {"/"}, set()
    while queue:
        path = queue.pop()
        answer = get(sites, path, night)
        assert answer.status == 200, path
        if not answer.headers["content-type"].startswith("text/html"):
            continue
        page = Selector(answer.text)
        loaded.update(page.css("img::attr(src), script::attr(src), link[rel=stylesheet]::attr(href), "
                               "link[rel=icon]::attr(href)").getall())
        for href in page.css("a::attr(href)").getall():
            url = urljoin(base + path, href)
            target = urlsplit(url)
            if url.startswith(base) and parser.can_fetch(url, "dossier") and target.path not in seen:
                seen.add(target.path)
                queue.append(target.path)
    products = {product["url"] for product in EXPECTED["nights"][night]["products"]}
    assert products <= seen
    for asset in loaded:
        assert get(sites, urlsplit(urljoin(base, asset)).path, night).status == 200, asset


# --- reviews, jobs, headers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("night", NIGHTS)
def test_reviews_page_agrees_with_expected(sites, night):
    expected = EXPECTED["nights"][night]["reviews"]
    answer = get(sites, expected["url"], night)
    page = Selector(answer.text)
    reviews = page.css("li.avis")
    assert len(reviews) == expected["count"] == len(expected["items"])
    for review, truth in zip(reviews, expected["items"], strict=True):
        assert review.attrib["id"] == truth["id"]
        assert review.css(".avis__auteur::text").get() == truth["author"]
        assert review.css("time::attr(datetime)").get() == truth["date"]
        assert review.css(".etoiles::attr(aria-label)").get() == f"{truth['rating']} sur 5"
        assert review.css(".etoiles::text").get().count("★") == truth["rating"]
    mean = sum(Decimal(item["rating"]) for item in expected["items"]) / len(expected["items"])
    assert mean.quantize(Decimal("0.1")) == Decimal(expected["aggregate_rating"])
    assert f"{expected['aggregate_rating'].replace('.', ',')} /5" in visible_text(answer.text)
    store = json.loads(page.css('script[type="application/ld+json"]::text').get())
    assert store["aggregateRating"]["ratingValue"] == expected["aggregate_rating"]
    assert store["aggregateRating"]["reviewCount"] == expected["count"]


def test_a_new_review_in_night2():
    ids = [{item["id"] for item in EXPECTED["nights"][night]["reviews"]["items"]} for night in NIGHTS]
    assert ids[0] < ids[1] and len(ids[1] - ids[0]) == 1


def test_jobs_and_links_from_home(sites):
    home = Selector(get(sites, "/", "night1").text)
    hrefs = home.css("a::attr(href)").getall()
    assert "/avis/" in hrefs and "/recrutement/" in hrefs and "/contact/" in hrefs
    assert any("instagram.com" in href for href in hrefs) and any("facebook.com" in href for href in hrefs)
    assert home.css('form[action="/newsletter/inscription/"] input[type="email"]')
    jobs = Selector(get(sites, "/recrutement/", "night1").text)
    postings = [json.loads(block) for block in jobs.css('script[type="application/ld+json"]::text').getall()]
    assert [(p["title"], p["datePosted"]) for p in postings] == \
        [(job["title"], job["date_posted"]) for job in EXPECTED["nights"]["night1"]["jobs"]]


def test_server_header_and_base_substitution(sites):
    answer = get(sites, "/", "night1")
    assert answer.headers["server"].startswith("Apache/")
    assert "{base}" not in answer.text
    assert f'<link rel="canonical" href="{sites.base_url(SITE)}/">' in answer.text
