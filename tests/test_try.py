"""`dossier try`: every labelled page, fetched over HTTP as the crawl would, shows the values its labels give and
where each came from; `dossier check` gives a verdict per source. Each command runs in its own process (Scrapy's
reactor starts once per process)."""
from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fixtures.labelled import LABELLED_DIR
from fixtures.labelled.platform_pages import platform_dirs
from fixtures.server import FixtureSites
from crawlsites import Reply, Sites

ORIGINS = {"json-ld", "microdata", "rdfa", "opengraph", "selector", "label", "url", "visible", "context"}
PRODUCT_FIELDS = ("name", "price", "old_price", "currency", "availability", "sku", "gtin", "mpn")


def labelled_pages() -> dict[str, tuple[Path, dict]]:
    """Served path -> (file, its labels): each page at its label URL's path, under a folder per label set."""
    pages = {}
    generic = json.loads((LABELLED_DIR / "labels.json").read_text(encoding="utf-8"))
    for name, spec in generic["pages"].items():
        pages["/generic" + urlsplit(spec["url"]).path] = (LABELLED_DIR / name, spec)
    for directory in platform_dirs():
        labels = json.loads((directory / "labels.json").read_text(encoding="utf-8"))
        for name, spec in labels["pages"].items():
            pages[f"/{directory.name}" + urlsplit(spec["url"]).path] = (directory / name, spec)
    return pages


@pytest.fixture(scope="module")
def labelled_site():
    pages = labelled_pages()
    with Sites(labelled={path: Reply(file.read_bytes()) for path, (file, _spec) in pages.items()}) as sites:
        yield sites.base("labelled"), pages


def dossier(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedules", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def no_delay_config(folder: Path) -> Path:
    path = folder / "competitors.yaml"
    path.write_text("defaults:\n  download_delay: 0\n", encoding="utf-8")
    return path


def _same(field: str, wanted, got) -> bool:
    if wanted is None or got is None:
        return wanted == got
    if field in ("price", "old_price"):
        return Decimal(str(wanted)) == Decimal(str(got))
    return str(wanted) == str(got)


@pytest.fixture(scope="module")
def tried(labelled_site, tmp_path_factory):
    base, pages = labelled_site
    folder = tmp_path_factory.mktemp("try")
    result = dossier("try", "--render", "static", "--json", "--allow-private", "--config",
                     str(no_delay_config(folder)), *(base + path for path in pages), cwd=folder)
    assert result.returncode == 0, result.stderr[-2000:]
    readings = json.loads(result.stdout)
    return {urlsplit(r["url"]).path: r["static"] for r in readings}, pages


def test_try_shows_the_labelled_values_of_every_page_with_their_origin(tried):
    readings, pages = tried
    assert len(readings) == len(pages) == 71
    checked, wrong = 0, []
    for path, (file, spec) in pages.items():
        reading = readings[path]
        assert reading["status"] == 200 and reading["error"] is None, path
        wanted_products = [spec["product"]] if "product" in spec else spec.get("listing", [])
        for index, wanted in enumerate(wanted_products):
            got = reading["products"][index] if index < len(reading["products"]) else None
            for field, value in wanted.items():
                if field not in PRODUCT_FIELDS:
                    continue  # a listed product's URL is the labelled site's, not this server's
                checked += 1
                shown = got["fields"].get(field) if got else None
                if value is None and got is not None:  # labelled as absent: none may be shown
                    if shown is not None:
                        wrong.append(f"{file.parent.name}/{file.name} product[{index}].{field}: shown "
                                     f"{shown['value']!r}, labelled absent")
                    continue
                if shown is None or not _same(field, value, shown["value"]):
                    wrong.append(f"{file.parent.name}/{file.name} product[{index}].{field}: {value!r} != "
                                 f"{shown['value'] if shown else None!r}")
                    continue
                # every value says where it came from, in the words the table prints
                assert shown["origin"].split(":")[0] in ORIGINS | {"platform"}, (path, field, shown)
                assert shown["origin_label"], (path, field)
        if "reviews" in spec:
            for field in ("aggregate_rating", "review_count"):
                if field in spec["reviews"]:
                    checked += 1
                    if spec["reviews"][field] != reading["reviews"][field]:
                        wrong.append(f"{file.name} reviews.{field}: {spec['reviews'][field]} != "
                                     f"{reading['reviews'][field]}")
            checked += 1
            if len(spec["reviews"].get("reviews", [])) != len(reading["reviews"]["reviews"]):
                wrong.append(f"{file.name} reviews.count")
    # the same bar as the extractors' own labelled tests (tests/test_labelled.py, tests/test_platforms.py): the
    # page read through the crawl's fetch must not lose what the extractor reads from the file
    assert checked > 600
    assert len(wrong) <= checked * 0.03, "\n".join(wrong)
    print(f"{checked} labelled values, {len(wrong)} not shown:", *wrong, sep="\n")


def test_try_names_the_structured_syntax_and_the_visible_text_as_origins(tried):
    readings, pages = tried
    origins = {field["origin"].split(":")[0] for reading in readings.values() for product in reading["products"]
               for field in product["fields"].values()}
    assert {"json-ld", "microdata", "rdfa", "opengraph", "visible", "platform"} <= origins
    shopware = readings["/generic" + urlsplit(json.loads((LABELLED_DIR / "labels.json").read_text())["pages"]
                                             ["de_shopware_graph.html"]["url"]).path]
    assert shopware["products"][0]["fields"]["price"]["origin"] == "json-ld"
    assert shopware["products"][0]["confidence"] == 0.9


def test_try_proposes_selectors_when_prices_are_shown_but_not_read(tmp_path):
    page = ("<html lang='ru'><body><h1>Тарифы</h1><div class='grid'>"
            + "".join(f"<div class='tile'><a href='/t/{n}'><h3 class='tile-title'>Тариф {n}</h3></a>"
                      f"<span class='amt'>{n} 299,00 ₽</span></div>" for n in (1, 2, 3))
            + "</div></body></html>").encode()

    with Sites(shop={"/tarify/": Reply(page)}) as sites:
        result = dossier("try", "--render", "static", "--allow-private", sites.base("shop") + "/tarify/",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "The page shows 3 prices, but no rule read a product price." in result.stdout
    assert "product: div.tile" in result.stdout and "price: span.amt" in result.stdout
    assert "name: h3.tile-title" in result.stdout


def test_try_refuses_a_private_address_unless_allowed(tmp_path):
    result = dossier("try", "http://127.0.0.1:9/", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: URL 'http://127.0.0.1:9/': 127.0.0.1 is a private or loopback address; "
                                     "add --allow-private if you mean it")
    result = dossier("try", "ftp://example.org/", cwd=tmp_path)
    assert result.returncode == 2 and "not an http(s) URL" in result.stderr


def test_try_obeys_robots_txt_and_says_so(tmp_path):
    with FixtureSites(sites=["kranrad"], night="night2") as sites:  # night2's robots.txt disallows /intern/
        url = sites.base_url("kranrad") + "/intern/preise.html"
        result = dossier("try", "--render", "static", "--allow-private", url, cwd=tmp_path)
    assert result.returncode == 2
    assert f"error: {url}: Forbidden by robots.txt" in result.stderr


@pytest.mark.slow
def test_try_auto_says_what_rendering_changed(tmp_path):
    with FixtureSites(sites=["toolshop"]) as sites:
        url = sites.base_url("toolshop") + "/deals.html"
        result = dossier("try", "--json", "--allow-private", "--wait-for", ".deal-price[data-ready]", url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [reading] = json.loads(result.stdout)
    assert reading["static"]["products"] == [] or all(p["price"] is None for p in reading["static"]["products"])
    assert reading["rendered"]["products"][0]["price"] == "249.00"
    assert reading["rendering_changed"] == ["products: 1 price only in the rendered page"]


@pytest.mark.slow
def test_check_gives_a_verdict_per_source_and_exit_1_when_one_reads_nothing(tmp_path):
    with FixtureSites(sites=["kranrad", "reviewhub", "toolshop"]) as sites:
        urls = sites.urls()
        config = tmp_path / "competitors.yaml"
        config.write_text(f"""
defaults:
  download_delay: 0
  render: static
competitors:
  - slug: kranrad
    name: Kranrad
    sources:
      - {{kind: catalog, url: "{urls['kranrad']}/produkte/", allow_private: true}}
      - {{kind: reviews, url: "{urls['reviewhub']}/firma/kranrad/", allow_private: true}}
      - {{kind: jobs, url: "{urls['kranrad']}/karriere/", allow_private: true}}
      - {{kind: catalog, url: "{urls['kranrad']}/kontakt/", allow_private: true}}
  - slug: toolshop
    name: Toolshop
    sources:
      - {{kind: catalog, url: "{urls['toolshop']}/deals.html", allow_private: true}}
      - {{kind: catalog, url: "{urls['toolshop']}/nosuch/", allow_private: true}}
""", encoding="utf-8")
        result = dossier("check", "--config", str(config), "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    verdicts = {(row["competitor"], urlsplit(row["url"]).path): (row["verdict"], row["detail"])
                for row in json.loads(result.stdout)}
    assert verdicts[("kranrad", "/produkte/")] == ("reads", "reads products: 4, 4 priced")
    assert verdicts[("kranrad", "/firma/kranrad/")][0] == "reads"
    assert verdicts[("kranrad", "/firma/kranrad/")][1].startswith("reads reviews: ")
    assert verdicts[("kranrad", "/karriere/")] == ("reads", "reads jobs: 2")
    assert verdicts[("kranrad", "/kontakt/")][0] == "nothing"
    assert verdicts[("toolshop", "/deals.html")][0] == "needs_js"
    assert verdicts[("toolshop", "/nosuch/")] == ("unreachable", "unreachable: HTTP 404")
