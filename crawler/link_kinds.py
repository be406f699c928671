"""What a link of a competitor's site leads to, from its words and its address: the catalog, the shop's own
reviews, a review platform's profile of it, its careers page. Used by `dossier add` to choose which pages to
sample; a page becomes a source only when the sample reads what its kind holds.

The words are stems that menus, footers and URL slugs use for these pages in the languages we serve (en, de, ru
first; fr, pl, tr, es, it, nl next), lower-case, matched as substrings of the link's text and path.
"""
from __future__ import annotations

from urllib.parse import urlsplit

CATALOG_WORDS = (
    "product", "shop", "catalog", "store", "collection", "categor", "price", "tarif", "offer",  # en
    "produkt", "katalog", "sortiment", "preise", "angebot", "kategorie",  # de
    "каталог", "товар", "продукц", "цены", "прайс", "тариф", "магазин", "katalog", "tovar", "tseny", "ceny",  # ru
    "produit", "boutique", "categorie", "prix", "tarifs",  # fr
    "sklep", "produkty", "cennik", "oferta",  # pl
    "urun", "ürün", "magaza", "mağaza", "fiyat", "kategori",  # tr
    "producto", "tienda", "precio", "prodotti", "negozio", "listino", "winkel", "assortiment",  # es, it, nl
)
REVIEW_WORDS = (
    "review", "testimonial", "rating",  # en
    "bewertung", "erfahrung", "kundenmeinung", "rezension",  # de
    "отзыв", "otzyv", "otzivy", "otzyvy",  # ru
    "avis", "temoignage", "témoignage",  # fr
    "opini", "recenzj",  # pl, es
    "yorum", "degerlendirme", "değerlendirme",  # tr
    "recension", "beoordeling", "reseña",  # it, nl, es
)
CAREER_WORDS = (
    "career", "jobs", "job-", "/job", "vacanc", "join-us", "work-with-us", "hiring",  # en
    "karriere", "stellen", "jobangebot",  # de
    "ваканс", "карьер", "работа-у-нас", "vakansi", "karera", "rabota",  # ru
    "recrutement", "emploi", "carriere", "carrière", "nous-rejoindre",  # fr
    "praca", "kariera", "rekrutacja",  # pl
    "kariyer", "is-ilan", "iş-ilan", "insan-kaynak",  # tr
    "empleo", "trabaja", "lavora", "carriere", "vacature", "werken-bij",  # es, it, nl
)
# Review platforms whose public page about a business a shop links to ("our reviews on …"): the address alone
# says it is a review profile. kununu and Glassdoor review employers, not shops: not here.
REVIEW_PLATFORMS = (
    "trustpilot.", "trustedshops.", "feefo.com", "reviews.io", "ekomi", "provenexpert.com", "shopvote.",
    "idealo.", "ceneo.pl", "opineo.pl", "otzovik.com", "irecommend.ru", "flamp.ru", "yell.ru", "sitejabber.com",
    "avis-verifies.com", "verified-reviews.", "judge.me/reviews", "yotpo.com", "reviewcentre.", "bbb.org",
    "yandex.ru/maps/org", "yandex.com/maps/org", "2gis.ru/firm", "google.com/maps/place",
)


def _words(url: str, text: str) -> str:
    parts = urlsplit(url)
    return f"{text} {parts.path} {parts.query}".lower()


def names_any(url: str, text: str, words: tuple[str, ...]) -> bool:
    haystack = _words(url, text)
    return any(word in haystack for word in words)


def is_review_platform(url: str) -> bool:
    parts = urlsplit(url)
    where = f"{parts.hostname or ''}{parts.path}".lower().removeprefix("www.")
    return any(platform in where for platform in REVIEW_PLATFORMS)
