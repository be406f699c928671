"""A category listing's product cards read by their shape when nothing else reads them (product_list.py)."""
from __future__ import annotations

from decimal import Decimal

from extractors import extract_products

URL = "https://sklep-nieznany.example/kategoria/czajniki/"


def card(n: int, price: str, old: str | None = None) -> str:
    old_html = f"<s class='tile__old'>{old} zł</s>" if old else ""
    return (f"<div class='tile tile--{n}'><a class='tile__link' href='/produkt/czajnik-{n}-{n}1{n}2{n}3/'>"
            f"<img src='/img/{n}.jpg' alt='Czajnik {n}'></a><h3 class='tile__heading'>Czajnik model {n}</h3>"
            f"<div class='tile__price'>{old_html}<span class='tile__price-now'>{price} zł</span></div>"
            f"<button class='tile__add-to-cart'>Do koszyka</button></div>")


def page(main: str) -> str:
    return f"<html lang='pl'><head><title>Sklep</title></head><body>{main}</body></html>"


def test_an_unknown_shops_listing_gives_its_cards_in_order():
    grid = "<div class='grid'>" + card(1, "199,00", "249,00") + card(2, "1 299,00") + card(3, "89,90") + "</div>"
    sidebar = "<aside class='filters'><span class='price-filter'>0,00 zł – 2 000,00 zł</span></aside>"
    products = extract_products(page(f"<h1>Czajniki</h1><div class='cols'>{sidebar}{grid}</div>"), URL)
    assert [(p.name, p.price, p.old_price, p.currency, p.url) for p in products] == [
        ("Czajnik model 1", Decimal("199.00"), Decimal("249.00"), "PLN",
         "https://sklep-nieznany.example/produkt/czajnik-1-111213/"),
        ("Czajnik model 2", Decimal("1299.00"), None, "PLN", "https://sklep-nieznany.example/produkt/czajnik-2-212223/"),
        ("Czajnik model 3", Decimal("89.90"), None, "PLN", "https://sklep-nieznany.example/produkt/czajnik-3-313233/"),
    ]
    assert products[0].sku == "111213"  # each card keyed by its own URL's item id, as its page will be


def test_a_product_page_with_related_cards_gives_its_own_product_first_and_only():
    main = ("<div class='product'><h1>Czajnik żeliwny Tetsubin</h1><p class='product-price'>349,00 zł</p>"
            "<button class='add-to-cart'>Dodaj do koszyka</button></div>")
    related = "<section class='more'><h2>Zobacz też</h2>" + card(1, "199,00") + card(2, "299,00") + "</section>"
    products = extract_products(page(main + related), "https://sklep-nieznany.example/produkt/tetsubin/")
    assert [(p.name, p.price) for p in products] == [("Czajnik żeliwny Tetsubin", Decimal("349.00"))]


def test_a_sold_out_product_page_with_related_cards_is_the_sold_out_product():
    main = "<div class='product'><h1>Czajnik Arare</h1><p class='stock'>Brak w magazynie</p></div>"
    related = "<section>" + card(1, "199,00") + card(2, "299,00") + "</section>"
    [product] = extract_products(page(main + related), "https://sklep-nieznany.example/produkt/arare/")
    assert (product.name, product.price, product.availability) == ("Czajnik Arare", None, "out_of_stock")


def _grid(cards: list[str], lang: str, h1: str) -> str:
    return f"<html lang='{lang}'><body><h1>{h1}</h1><ul class='grid'>{''.join(cards)}</ul></body></html>"


def _tile(slug: str, name: str, price_tag: str) -> str:
    return (f"<li class='cell'><article class='item'><a href='/p/{slug}/'><img src='/i/{slug}.png' alt=''>"
            f"<h3>{name}</h3></a><p class='item__preis'>{price_tag}</p></article></li>")


def test_a_sale_card_is_read_at_the_unstruck_price_shown_beside_the_struck_one():
    """One price tag shows both amounts (`<del>` old, then the sale price, unnamed): the struck one is the old."""
    cards = [_tile("a", "Kettenblatt 38 Z", "<del>49,90 €</del> <span>39,90 €</span>"),
             _tile("b", "Kettenblatt 42 Z", "<span>54,00 €</span>"),
             _tile("c", "Kettenblatt 44 Z", "<s>61,00 €</s><span>58,00 €</span>")]
    products = extract_products(_grid(cards, "de", "Kettenblätter"), "https://rad.example/kategorie/kette/")
    assert [(p.name, p.price, p.old_price) for p in products] == [
        ("Kettenblatt 38 Z", Decimal("39.90"), Decimal("49.90")), ("Kettenblatt 42 Z", Decimal("54.00"), None),
        ("Kettenblatt 44 Z", Decimal("58.00"), Decimal("61.00"))]


def test_a_card_whose_only_price_is_struck_keeps_it():
    """Nothing unstruck beside it: the struck tag is all the card shows (a template's styling, not a sale)."""
    cards = [_tile("a", "Cuaderno A5", "<s>3,50 €</s>"), _tile("b", "Cuaderno A4", "4,20 €")]
    products = extract_products(_grid(cards, "es", "Cuadernos"), "https://papel.example/categoria/cuadernos/")
    assert [(p.name, p.price) for p in products] == [("Cuaderno A5", Decimal("3.50")), ("Cuaderno A4", Decimal("4.20"))]


def test_a_listing_page_with_one_card_is_that_cards_product_not_the_category():
    page = _grid([_tile("tetsubin-7", "Czajnik Tetsubin", "349,00 zł")], "pl", "Czajniki")
    [product] = extract_products(page, "https://sklep-nieznany.example/kategoria/czajniki/?strona=3")
    assert (product.name, product.price, product.url) == (
        "Czajnik Tetsubin", Decimal("349.00"), "https://sklep-nieznany.example/p/tetsubin-7/")


def test_a_one_card_listing_with_the_cards_own_buy_button_is_still_a_listing():
    tile = _tile("kettle", "Чайник Арарэ", "4 990 ₽").replace("</article>", "<button>В корзину</button></article>")
    [product] = extract_products(_grid([tile], "ru", "Чайники"), "https://magazin.example/catalog/chainiki/")
    assert (product.name, product.price) == ("Чайник Арарэ", Decimal("4990"))
