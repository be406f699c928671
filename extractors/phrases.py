"""Phrase and hint tables (availability wording in en/de/ru/fr/it/es/pl/..., price and strike-through class hints).

Data only: adding a language is adding phrases here; `extractors/availability.py` and the heuristics read them.
"""
from __future__ import annotations

# schema.org ItemAvailability values (last path segment, lower-cased) -> our three states.
SCHEMA_AVAILABILITY: dict[str, str | None] = {
    "instock": "in_stock", "instoreonly": "in_stock", "onlineonly": "in_stock", "limitedavailability": "in_stock",
    "outofstock": "out_of_stock", "soldout": "out_of_stock", "discontinued": "out_of_stock",
    "preorder": "preorder", "presale": "preorder", "backorder": "preorder", "madetoorder": "in_stock",
    "in_stock": "in_stock", "out_of_stock": "out_of_stock", "instock_": "in_stock",
    "available": "in_stock", "in stock": "in_stock", "out of stock": "out_of_stock",
    "available for order": "in_stock", "preorder_": "preorder", "pending": None,
}

# Visible wording, lower-cased; negative phrases are tried first, since "not in stock" contains "in stock".
OUT_OF_STOCK_PHRASES: tuple[str, ...] = (
    "out of stock", "out-of-stock", "sold out", "currently unavailable", "not available", "no longer available",
    "temporarily unavailable", "not in stock", "unavailable",
    "нет в наличии", "нет на складе", "отсутствует", "товар закончился", "распродано", "недоступен",
    "под заказ нет",
    "nicht vorrätig", "nicht lieferbar", "nicht auf lager", "ausverkauft", "derzeit nicht verfügbar",
    "nicht verfügbar", "vergriffen",
    "rupture de stock", "en rupture", "épuisé", "indisponible", "non disponible",
    "esaurito", "non disponibile", "agotado", "sin stock", "no disponible", "esgotado", "indisponível",
    "brak w magazynie", "niedostępny", "wyprzedany", "není skladem", "vypredané", "nie je skladom",
    "niet op voorraad", "uitverkocht", "slutsåld", "udsolgt", "utsolgt", "loppuunmyyty", "stokta yok",
)
PREORDER_PHRASES: tuple[str, ...] = (
    "pre-order", "preorder", "pre order", "coming soon", "backorder", "back-order",
    "предзаказ", "под заказ", "ожидается",
    "vorbestellen", "vorbestellung", "demnächst verfügbar",
    "précommande", "pré-commande", "preordine", "reserva", "przedsprzedaż",
)
IN_STOCK_PHRASES: tuple[str, ...] = (
    "in stock", "in-stock", "available now", "ships today", "ready to ship", "only a few left", "add to cart",
    "add to basket", "add to bag", "buy now", "left in stock",
    "в наличии", "есть в наличии", "на складе", "в корзину", "купить",
    "auf lager", "lieferbar", "sofort lieferbar", "vorrätig", "verfügbar", "in den warenkorb",
    "en stock", "disponible", "ajouter au panier", "disponibile", "aggiungi al carrello", "en existencia",
    "añadir al carrito", "em estoque", "disponível", "dostępny", "w magazynie", "do koszyka", "skladem",
    "na sklade", "op voorraad", "in winkelwagen", "i lager", "på lager", "varastossa", "stokta",
)

# Attribute words (class, id, itemprop) that mark an element as a price / an old (crossed-out) price.
PRICE_HINTS: tuple[str, ...] = ("price", "preis", "prix", "prezzo", "precio", "preco", "cena", "цена", "cost",
                                "amount", "tariff", "tarif", "kaina", "hind", "fiyat")
# Class/id tokens (split on non-alphanumerics) and run-together words that mark an old (crossed-out) price.
OLD_PRICE_TOKENS = frozenset({"old", "was", "strike", "strikethrough", "striked", "crossed", "regular", "before",
                              "rrp", "uvp", "msrp", "compare", "original", "former", "prev", "previous", "retail",
                              "del", "linethrough"})
OLD_PRICE_WORDS: tuple[str, ...] = ("oldprice", "priceold", "wasprice", "listprice", "regularprice", "strikeprice",
                                    "originalprice", "compareatprice", "crossedprice", "linethrough", "pricebefore",
                                    "beforeprice", "prevprice", "pricewas", "fullprice", "initialprice",
                                    "preisalt", "altpreis", "streichpreis", "staraya", "oldcost")
# Attribute words of prices that are not the product's own (per unit, instalments, shipping, others' offers).
PRICE_NOISE_HINTS: tuple[str, ...] = ("unit", "per", "instal", "monthly", "shipping", "delivery", "related",
                                      "recommend", "similar", "carousel", "upsell", "cross", "bundle", "save",
                                      "saving", "discount", "economy", "coupon", "bonus", "points", "vat-amount")
# Class/id tokens of elements that name or title a product: a number in them ("Газель 3 м") is not its price.
NOT_PRICE_TOKENS = frozenset({"title", "name", "heading", "headline"})
# Tags whose content is struck through by default.
STRIKE_TAGS = frozenset({"s", "del", "strike"})

# Class/id tokens of containers that list other products (carousels, "customers also bought", related items):
# a price inside one is another product's. Split on non-alphanumerics like OLD_PRICE_TOKENS.
LISTING_TOKENS = frozenset({"carousel", "related", "releate",
                            "recommended", "recommendation", "recommendations", "recommend", "similar", "upsell",
                            "upsells", "crosssell", "crosssells", "recently", "viewed", "p13n", "sims",
                            "bought", "also", "teaser", "teasers", "rr", "reco", "recs"})
LISTING_WORDS: tuple[str, ...] = ("carousel", "recommend", "related", "upsell", "crosssell", "alsobought",
                                  "alsoviewed", "recentlyviewed", "similarproducts", "youmayalso", "youmightalso")
# Class/id words of a buy button (add to cart / basket / bag), in the languages above.
BUY_BUTTON_HINTS: tuple[str, ...] = ("addtocart", "add-to-cart", "add_to_cart", "addtobasket", "add-to-basket",
                                     "addtobag", "add-to-bag", "buy-now", "buynow", "buy_now", "btn-buy", "buy-button",
                                     "buybutton", "btn-cart", "tocart", "to-cart", "basket-btn", "cart-button",
                                     "product-buy", "warenkorb", "korzin", "add-cart", "addcart")
# Attribute/class tokens that mark a button disabled (a sold-out product's button is often greyed out).
DISABLED_TOKENS = frozenset({"disabled", "is-disabled", "btn-disabled", "inactive", "soldout", "sold-out",
                             "unavailable", "out-of-stock", "outofstock"})

# Challenge and bot-wall pages (extractors/challenge.py): a 200 that is no page of the site. Lower-cased.
# Markers only anti-bot services put in their own challenge or block pages, with the service's name.
CHALLENGE_PLATFORM_MARKERS: tuple[tuple[str, str], ...] = (
    ("/cdn-cgi/challenge-platform/", "Cloudflare challenge"), ("cf_chl_opt", "Cloudflare challenge"),
    ("cf-chl-", "Cloudflare challenge"), ("cf-browser-verification", "Cloudflare challenge"),
    ("cf-error-details", "Cloudflare block page"),
    ("captcha-delivery.com", "DataDome captcha"), ("_incapsula_resource", "Imperva Incapsula"),
    ("incapsula incident id", "Imperva Incapsula"), ("px-captcha", "PerimeterX (HUMAN) challenge"),
    ("/showcaptcha", "Yandex captcha"), ("captcha.awswaf.com", "AWS WAF captcha"),
    ("awswafcookiedomainlist", "AWS WAF challenge"), ("ddos-guard", "DDoS-Guard check"),
    ("sucuri_cloudproxy", "Sucuri firewall"), ("sucuri website firewall", "Sucuri firewall"),
)
# Captcha widgets: also found in ordinary contact and login forms, so they count only beside a robot phrase.
CAPTCHA_WIDGET_MARKERS: tuple[tuple[str, str], ...] = (
    ("g-recaptcha", "reCAPTCHA"), ("google.com/recaptcha", "reCAPTCHA"), ("recaptcha/api.js", "reCAPTCHA"),
    ("h-captcha", "hCaptcha"), ("hcaptcha.com", "hCaptcha"), ("smartcaptcha", "Yandex SmartCaptcha"),
    ("smart-captcha", "Yandex SmartCaptcha"), ("cf-turnstile", "Cloudflare Turnstile"),
    ("challenges.cloudflare.com/turnstile", "Cloudflare Turnstile"),
)
# Titles (and first headings) of challenge and block pages, en/de/ru/fr/es/pl; "…" is compared as "...".
BLOCK_TITLE_PHRASES: tuple[str, ...] = (
    "just a moment...", "attention required", "access denied", "access to this page has been denied",
    "request blocked", "request unsuccessful", "you have been blocked", "pardon our interruption",
    "are you a robot", "are you human", "verify you are human", "human verification", "robot check", "bot check",
    "checking your browser", "security check", "one more step", "ddos protection", "captcha",
    "доступ запрещён", "доступ запрещен", "доступ ограничен", "вы не робот", "вы робот", "я не робот",
    "проверка браузера", "проверка безопасности", "защита от ботов", "подтвердите, что вы человек",
    "zugriff verweigert", "zugang verweigert", "kein roboter", "sicherheitsüberprüfung", "anfrage blockiert",
    "accès refusé", "acceso denegado", "dostęp zabroniony",
)
# What a challenge page asks in its text, beside a captcha widget (a contact form does not ask this).
ROBOT_PHRASES: tuple[str, ...] = (
    "not a robot", "are you a robot", "are you human", "verify you are human", "verify that you are human",
    "prove you are human", "unusual traffic", "automated queries", "automated requests",
    "не робот", "вы робот", "подтвердите, что вы человек", "подозрительный трафик", "автоматические запросы",
    "kein roboter", "automatisierte anfragen", "pas un robot", "no soy un robot", "nie jestem robotem",
)
