"""A review list read by its shape when no structured data, selector or platform row reads it (review_list.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

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
