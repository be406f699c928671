"""A review list read by its shape when no structured data, selector or platform row reads it (review_list.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from extractors import extract_reviews

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
URL = "https://sklep-nieznany.example/opinie/"


def page(body: str, lang: str = "pl") -> str:
    return f"<html lang='{lang}'><head><title>Opinie</title></head><body><h1>Opinie klientów</h1>{body}</body></html>"


def review(author: str, stars: int, when: str, text: str, extra: str = "") -> str:
    return (f"<div class='opinion-card'{extra}><div class='opinion-card__head'><span class='opinion-card__author'>"
            f"Od {author}</span><span class='opinion-card__stars' aria-label='{stars} z 5'>"
            + "<i class='icon-star'></i>" * stars + f"</span></div><div class='opinion-card__date'>{when}</div>"
            f"<p class='opinion-card__text'>{text}</p></div>")


def test_an_unknown_shops_review_list_is_read_with_author_rating_date_and_text():
    body = ("<section class='histogram'>" + "".join(
        f"<div class='histogram-row'><span class='rating' data-rating='{n}'></span><span>{n * 3}</span></div>"
        for n in range(5, 0, -1)) + "</section><div class='opinions'>"
        + review("Anna K.", 5, "3 marca 2026", "Bardzo dobra jakość, przesyłka szybka, polecam każdemu.")
        + review("Piotr", 2, "12.02.2026", "Po tygodniu pękła rączka, sprzedawca nie odpisuje na maile.",
                 " data-review-id='op-77'")
        + review("Ewa", 4, "2 dni temu", "Solidny produkt, tylko instrukcja mogłaby być po polsku.") + "</div>")
    found = extract_reviews(page(body), URL, now=NOW)
    got = [(r.author, r.rating, r.published, r.text) for r in found.reviews]
    assert got == [
        ("Anna K.", 5.0, date(2026, 3, 3), "Bardzo dobra jakość, przesyłka szybka, polecam każdemu."),
        ("Piotr", 2.0, date(2026, 2, 12), "Po tygodniu pękła rączka, sprzedawca nie odpisuje na maile."),
        ("Ewa", 4.0, date(2026, 11, 18), "Solidny produkt, tylko instrukcja mogłaby być po polsku."),
    ]
    assert found.reviews[1].id == "op-77"  # the platform's own id where the block carries one
    assert found.reviews[0].id == extract_reviews(page(body), URL, now=NOW).reviews[0].id  # stable without one


def test_product_cards_with_stars_are_not_reviews():
    cards = "".join(
        f"<li class='product-tile'><a href='/p/{n}'>Czajnik model {n} ze stali nierdzewnej, 1,7 l</a>"
        f"<span class='rating' data-rating='4.{n}'></span><span class='price'>{n}99,00 zł</span>"
        f"<span class='date'>12.0{n}.2026</span></li>" for n in range(1, 6))
    assert extract_reviews(page(f"<ul class='tiles'>{cards}</ul>"), URL, now=NOW).reviews == []


def test_a_rating_histogram_alone_is_no_review_list():
    rows = "".join(f"<div class='histogram-row'><span class='rating' data-rating='{n}'></span>"
                   f"<span class='count'>{n} opinii</span></div>" for n in range(5, 0, -1))
    assert extract_reviews(page(rows), URL, now=NOW).reviews == []


def test_structured_reviews_get_the_stars_only_the_page_draws():
    """schema.org reviews without reviewRating: the ratings the list shows fill them, matched by text."""
    texts = ["Bardzo dobra jakość, przesyłka szybka, polecam każdemu.",
             "Po tygodniu pękła rączka, sprzedawca nie odpisuje na maile."]
    ld = ("<script type='application/ld+json'>{\"@context\": \"https://schema.org\", \"@type\": \"Product\", "
          "\"name\": \"Czajnik\", \"review\": [" + ", ".join(
              f"{{\"@type\": \"Review\", \"author\": \"{a}\", \"reviewBody\": \"{t}\"}}"
              for a, t in zip(("Anna K.", "Piotr"), texts)) + "]}</script>")
    body = ld + "<div>" + review("Anna K.", 5, "3 marca 2026", texts[0]) + review("Piotr", 2, "12.02.2026", texts[1])
    found = extract_reviews(page(body + "</div>"), URL, now=NOW)
    assert [(r.author, r.rating, r.published) for r in found.reviews] == [
        ("Anna K.", 5.0, date(2026, 3, 3)), ("Piotr", 2.0, date(2026, 2, 12))]


def _reviews_of(widget: str, lang: str, dates: tuple[str, str, str]) -> list:
    """Three reviews in a plain hand-made list whose rating widget is `widget` formatted with the stars."""
    texts = ("Lorem ipsum dolor sit amet, consectetur.", "Sed do eiusmod tempor incididunt ut labore.",
             "Ut enim ad minim veniam, quis nostrud exercitation.")
    items = "".join(f"<li class='item'><b class='who'>X{i}</b><time datetime='{d}'>{d}</time>"
                    + widget.format(n=n, stars="★" * n + "☆" * (5 - n)) + f"<p>{t}</p></li>"
                    for i, (n, d, t) in enumerate(zip((5, 2, 4), dates, texts)))
    body = f"<html lang='{lang}'><body><h1>—</h1><ul class='list'>{items}</ul></body></html>"
    return [r.rating for r in extract_reviews(body, URL, now=NOW).reviews]


DATES = ("2026-03-01", "2026-02-01", "2026-01-01")


@pytest.mark.parametrize(("lang", "widget"), [
    ("fr", "<span class='etoiles' aria-label='{n} sur 5'>{stars}</span>"),  # a French class name and label
    ("de", "<div class='sterne' title='{n} von 5 Sternen'></div>"),
    ("ru", "<span aria-label='Оценка: {n} из 5'></span>"),  # an unnamed element labelled with a rating word
    ("pl", "<span class='gwiazdki' data-value='{n}'></span>"),
    ("tr", "<span aria-label='5 üzerinden {n}'>{stars}</span>"),  # the scale first
    ("es", "<span class='valoracion'>{n} de 5</span>"),
    ("it", "<span aria-label='{n} su 5 stelle'></span>"),
    ("cs", "<span class='hodnoceni' aria-label='{n} z 5'></span>"),
    ("pt", "<span>{stars}</span>"),  # nothing but a row of star glyphs
])
def test_a_rating_widget_is_told_in_other_languages(lang: str, widget: str) -> None:
    assert _reviews_of(widget, lang, DATES) == [5.0, 2.0, 4.0]


def test_a_carousels_slide_labels_are_no_ratings() -> None:
    """"1 / 5" labels each slide of a testimonial carousel (Swiper's default): a whole slide is no rating widget."""
    slides = "".join(
        f"<div class='slide' role='group' aria-label='{i} / 5'><p>Lorem ipsum dolor sit amet, consectetur "
        f"adipiscing elit, sed do eiusmod tempor.</p><time datetime='2026-0{i}-01'>2026-0{i}-01</time></div>"
        for i in range(1, 6))
    body = f"<html lang='en'><body><h1>Clients</h1><div class='carousel'>{slides}</div></body></html>"
    assert extract_reviews(body, URL, now=NOW).reviews == []


@pytest.mark.parametrize(("text", "expected"), [
    ("★★★★☆", 4.0), ("★★☆☆☆", 2.0), ("⭐⭐⭐", 3.0), ("★★★★★★★☆☆☆", 3.5), ("☆☆☆☆☆", None), ("★★★ great", None),
])
def test_star_glyphs_are_counted(text: str, expected: float | None) -> None:
    from extractors.ratings import count_glyphs
    assert count_glyphs(text) == expected


@pytest.mark.parametrize(("lang", "block", "author", "title", "text", "when"), [
    ("de", "bewertung", "autor", "titel", "inhalt", "datum"),
    ("ru", "otzyv", "avtor", "zagolovok", "tekst", "data"),
    ("tr", "yorum-kart", "yazar", "baslik", "metin", "tarih"),
    ("fr", "avis", "auteur", "titre", "texte", "date"),
])
def test_a_reviews_parts_named_in_its_pages_language_are_read(lang, block, author, title, text, when):
    """Templates name a review's parts in their own language ("avis__auteur", "otzyv__avtor"): the author and the
    title are read as well as the rating, the date and the text."""
    items = "".join(
        f"<li class='{block}'><span class='{block}__{author}'>Kunde {n}</span>"
        f"<span class='{block}__stars' aria-label='{n} / 5'>{'★' * n}</span>"
        f"<time class='{block}__{when}' datetime='2026-0{n}-1{n}'>1{n}.0{n}.2026</time>"
        f"<p class='{block}__{title}'><strong>Headline {n}</strong></p>"
        f"<p class='{block}__{text}'>A long enough text about the order number {n} and its delivery.</p></li>"
        for n in (3, 4, 5))
    found = extract_reviews(page(f"<ol class='{block}-list'>{items}</ol>", lang), "https://shop.example/reviews/")
    assert [(r.author, r.title, r.rating, r.published) for r in found.reviews] == [
        (f"Kunde {n}", f"Headline {n}", float(n), date(2026, n, 10 + n)) for n in (3, 4, 5)]
    assert all(r.text.startswith("A long enough text") for r in found.reviews)
