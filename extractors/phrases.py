"""Phrase and hint tables (availability wording in en/de/ru/uk/pl/fr/es/it/nl/pt/tr/cs/..., price and strike-through
class hints, next-page words, identifier labels).

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

# Visible availability wording: one row per phrase, (language, phrase lower-cased, state it states:
# "in_stock" | "out_of_stock" | "preorder"). A phrase shared by languages has a row in each. Matched whole-word and
# case-blind; negative wording wins over positive ("not in stock" contains "in stock", "niedostępny" is not
# "dostępny"), then pre-order over in stock ("dostępny wkrótce", "brzy skladem"): extractors/availability.py.
AVAILABILITY_PHRASES: tuple[tuple[str, str, str], ...] = (
    # English
    ("en", "out of stock", "out_of_stock"), ("en", "out-of-stock", "out_of_stock"), ("en", "sold out", "out_of_stock"),
    ("en", "currently unavailable", "out_of_stock"), ("en", "not available", "out_of_stock"),
    ("en", "no longer available", "out_of_stock"), ("en", "temporarily unavailable", "out_of_stock"),
    ("en", "not in stock", "out_of_stock"), ("en", "unavailable", "out_of_stock"),
    ("en", "pre-order", "preorder"), ("en", "preorder", "preorder"), ("en", "pre order", "preorder"),
    ("en", "coming soon", "preorder"), ("en", "backorder", "preorder"), ("en", "back-order", "preorder"),
    ("en", "in stock", "in_stock"), ("en", "in-stock", "in_stock"), ("en", "available now", "in_stock"),
    ("en", "ships today", "in_stock"), ("en", "ready to ship", "in_stock"), ("en", "only a few left", "in_stock"),
    ("en", "add to cart", "in_stock"), ("en", "add to basket", "in_stock"), ("en", "add to bag", "in_stock"),
    ("en", "buy now", "in_stock"), ("en", "left in stock", "in_stock"),
    # Russian
    ("ru", "нет в наличии", "out_of_stock"), ("ru", "нет на складе", "out_of_stock"),
    ("ru", "отсутствует", "out_of_stock"), ("ru", "товар закончился", "out_of_stock"),
    ("ru", "распродано", "out_of_stock"), ("ru", "недоступен", "out_of_stock"), ("ru", "под заказ нет", "out_of_stock"),
    ("ru", "предзаказ", "preorder"), ("ru", "под заказ", "preorder"), ("ru", "ожидается", "preorder"),
    ("ru", "в наличии", "in_stock"), ("ru", "есть в наличии", "in_stock"), ("ru", "на складе", "in_stock"),
    ("ru", "в корзину", "in_stock"), ("ru", "купить", "in_stock"),
    # German
    ("de", "nicht vorrätig", "out_of_stock"), ("de", "nicht lieferbar", "out_of_stock"),
    ("de", "nicht auf lager", "out_of_stock"), ("de", "ausverkauft", "out_of_stock"),
    ("de", "derzeit nicht verfügbar", "out_of_stock"), ("de", "nicht verfügbar", "out_of_stock"),
    ("de", "vergriffen", "out_of_stock"),
    ("de", "vorbestellen", "preorder"), ("de", "vorbestellung", "preorder"), ("de", "demnächst verfügbar", "preorder"),
    ("de", "auf lager", "in_stock"), ("de", "lieferbar", "in_stock"), ("de", "sofort lieferbar", "in_stock"),
    ("de", "vorrätig", "in_stock"), ("de", "verfügbar", "in_stock"), ("de", "in den warenkorb", "in_stock"),
    # Ukrainian
    ("uk", "немає в наявності", "out_of_stock"), ("uk", "немає на складі", "out_of_stock"),
    ("uk", "відсутній", "out_of_stock"), ("uk", "відсутня", "out_of_stock"), ("uk", "закінчився", "out_of_stock"),
    ("uk", "товар закінчився", "out_of_stock"), ("uk", "недоступний", "out_of_stock"),
    ("uk", "розпродано", "out_of_stock"), ("uk", "повідомити про наявність", "out_of_stock"),
    ("uk", "передзамовлення", "preorder"), ("uk", "під замовлення", "preorder"), ("uk", "очікується", "preorder"),
    ("uk", "незабаром у продажу", "preorder"), ("uk", "скоро у продажу", "preorder"),
    ("uk", "в наявності", "in_stock"), ("uk", "є в наявності", "in_stock"), ("uk", "на складі", "in_stock"),
    ("uk", "купити", "in_stock"), ("uk", "в кошик", "in_stock"), ("uk", "у кошик", "in_stock"),
    ("uk", "додати в кошик", "in_stock"), ("uk", "додати до кошика", "in_stock"),
    ("uk", "готовий до відправки", "in_stock"), ("uk", "закінчується", "in_stock"),
    # Polish
    ("pl", "brak w magazynie", "out_of_stock"), ("pl", "niedostępny", "out_of_stock"),
    ("pl", "niedostępna", "out_of_stock"), ("pl", "niedostępne", "out_of_stock"), ("pl", "wyprzedany", "out_of_stock"),
    ("pl", "wyprzedane", "out_of_stock"), ("pl", "wyprzedano", "out_of_stock"), ("pl", "brak towaru", "out_of_stock"),
    ("pl", "brak na stanie", "out_of_stock"), ("pl", "brak produktu", "out_of_stock"),
    ("pl", "powiadom o dostępności", "out_of_stock"),
    ("pl", "przedsprzedaż", "preorder"), ("pl", "w przedsprzedaży", "preorder"), ("pl", "na zamówienie", "preorder"),
    ("pl", "wkrótce dostępny", "preorder"), ("pl", "dostępny wkrótce", "preorder"),
    ("pl", "wkrótce w sprzedaży", "preorder"),
    ("pl", "dostępny", "in_stock"), ("pl", "produkt dostępny", "in_stock"), ("pl", "w magazynie", "in_stock"),
    ("pl", "na stanie", "in_stock"), ("pl", "do koszyka", "in_stock"), ("pl", "dodaj do koszyka", "in_stock"),
    ("pl", "kup teraz", "in_stock"), ("pl", "dostępny od ręki", "in_stock"),
    # French
    ("fr", "rupture de stock", "out_of_stock"), ("fr", "en rupture", "out_of_stock"), ("fr", "épuisé", "out_of_stock"),
    ("fr", "épuisée", "out_of_stock"), ("fr", "indisponible", "out_of_stock"), ("fr", "non disponible", "out_of_stock"),
    ("fr", "plus disponible", "out_of_stock"), ("fr", "hors stock", "out_of_stock"),
    ("fr", "victime de son succès", "out_of_stock"),
    ("fr", "précommande", "preorder"), ("fr", "pré-commande", "preorder"), ("fr", "précommander", "preorder"),
    ("fr", "bientôt disponible", "preorder"), ("fr", "disponible prochainement", "preorder"),
    ("fr", "prochainement", "preorder"), ("fr", "sur commande", "preorder"),
    ("fr", "en stock", "in_stock"), ("fr", "disponible", "in_stock"), ("fr", "ajouter au panier", "in_stock"),
    ("fr", "acheter", "in_stock"), ("fr", "acheter maintenant", "in_stock"),
    # Spanish
    ("es", "agotado", "out_of_stock"), ("es", "agotada", "out_of_stock"), ("es", "sin stock", "out_of_stock"),
    ("es", "no disponible", "out_of_stock"), ("es", "fuera de stock", "out_of_stock"),
    ("es", "sin existencias", "out_of_stock"), ("es", "no hay existencias", "out_of_stock"),
    ("es", "avísame cuando esté disponible", "out_of_stock"),
    ("es", "reserva", "preorder"), ("es", "reservar", "preorder"), ("es", "preventa", "preorder"),
    ("es", "pre-venta", "preorder"), ("es", "próximamente", "preorder"), ("es", "bajo pedido", "preorder"),
    ("es", "por encargo", "preorder"),
    ("es", "en stock", "in_stock"), ("es", "disponible", "in_stock"), ("es", "en existencia", "in_stock"),
    ("es", "hay existencias", "in_stock"), ("es", "añadir al carrito", "in_stock"),
    ("es", "agregar al carrito", "in_stock"), ("es", "añadir a la cesta", "in_stock"), ("es", "comprar", "in_stock"),
    ("es", "comprar ahora", "in_stock"), ("es", "últimas unidades", "in_stock"),
    # Italian
    ("it", "esaurito", "out_of_stock"), ("it", "esaurita", "out_of_stock"), ("it", "non disponibile", "out_of_stock"),
    ("it", "non più disponibile", "out_of_stock"), ("it", "avvisami quando disponibile", "out_of_stock"),
    ("it", "preordine", "preorder"), ("it", "pre-ordine", "preorder"), ("it", "preordina", "preorder"),
    ("it", "prossimamente", "preorder"), ("it", "in arrivo", "preorder"), ("it", "su ordinazione", "preorder"),
    ("it", "disponibile", "in_stock"), ("it", "disponibilità immediata", "in_stock"),
    ("it", "in magazzino", "in_stock"), ("it", "pronta consegna", "in_stock"),
    ("it", "aggiungi al carrello", "in_stock"), ("it", "metti nel carrello", "in_stock"),
    ("it", "acquista", "in_stock"), ("it", "acquista ora", "in_stock"), ("it", "compra ora", "in_stock"),
    # Dutch
    ("nl", "niet op voorraad", "out_of_stock"), ("nl", "uitverkocht", "out_of_stock"),
    ("nl", "niet leverbaar", "out_of_stock"), ("nl", "niet meer leverbaar", "out_of_stock"),
    ("nl", "niet beschikbaar", "out_of_stock"), ("nl", "niet voorradig", "out_of_stock"),
    ("nl", "voorbestellen", "preorder"), ("nl", "binnenkort verkrijgbaar", "preorder"),
    ("nl", "binnenkort beschikbaar", "preorder"), ("nl", "binnenkort leverbaar", "preorder"),
    ("nl", "op bestelling", "preorder"),
    ("nl", "op voorraad", "in_stock"), ("nl", "voorradig", "in_stock"), ("nl", "leverbaar", "in_stock"),
    ("nl", "direct leverbaar", "in_stock"), ("nl", "beschikbaar", "in_stock"), ("nl", "in winkelwagen", "in_stock"),
    ("nl", "in winkelmand", "in_stock"), ("nl", "in de winkelwagen", "in_stock"),
    ("nl", "in mijn winkelwagen", "in_stock"), ("nl", "toevoegen aan winkelwagen", "in_stock"),
    ("nl", "morgen in huis", "in_stock"),
    # Portuguese (Brazil and Portugal)
    ("pt", "esgotado", "out_of_stock"), ("pt", "esgotada", "out_of_stock"), ("pt", "indisponível", "out_of_stock"),
    ("pt", "sem estoque", "out_of_stock"), ("pt", "sem stock", "out_of_stock"),
    ("pt", "fora de estoque", "out_of_stock"),
    ("pt", "não disponível", "out_of_stock"), ("pt", "avise-me", "out_of_stock"),
    ("pt", "pré-venda", "preorder"), ("pt", "pré-encomenda", "preorder"), ("pt", "em breve", "preorder"),
    ("pt", "sob encomenda", "preorder"),
    ("pt", "em estoque", "in_stock"), ("pt", "em stock", "in_stock"), ("pt", "disponível", "in_stock"),
    ("pt", "adicionar ao carrinho", "in_stock"), ("pt", "adicionar ao cesto", "in_stock"),
    ("pt", "comprar", "in_stock"), ("pt", "comprar agora", "in_stock"), ("pt", "pronta entrega", "in_stock"),
    # Turkish
    ("tr", "stokta yok", "out_of_stock"), ("tr", "stok yok", "out_of_stock"), ("tr", "tükendi", "out_of_stock"),
    ("tr", "stokta kalmadı", "out_of_stock"), ("tr", "stokta bulunmuyor", "out_of_stock"),
    ("tr", "satışta değil", "out_of_stock"), ("tr", "mevcut değil", "out_of_stock"),
    ("tr", "temin edilemiyor", "out_of_stock"), ("tr", "gelince haber ver", "out_of_stock"),
    ("tr", "ön sipariş", "preorder"), ("tr", "ön satış", "preorder"), ("tr", "yakında", "preorder"),
    ("tr", "çok yakında", "preorder"),
    ("tr", "stokta", "in_stock"), ("tr", "stokta var", "in_stock"), ("tr", "stokta mevcut", "in_stock"),
    ("tr", "sepete ekle", "in_stock"), ("tr", "hemen al", "in_stock"), ("tr", "satın al", "in_stock"),
    ("tr", "şimdi al", "in_stock"), ("tr", "tükenmek üzere", "in_stock"),
    # Czech
    ("cs", "není skladem", "out_of_stock"), ("cs", "vyprodáno", "out_of_stock"), ("cs", "nedostupné", "out_of_stock"),
    ("cs", "nedostupný", "out_of_stock"), ("cs", "není k dispozici", "out_of_stock"),
    ("cs", "hlídat dostupnost", "out_of_stock"), ("cs", "nelze koupit", "out_of_stock"),
    ("cs", "prodej ukončen", "out_of_stock"),
    ("cs", "předobjednávka", "preorder"), ("cs", "předprodej", "preorder"), ("cs", "předobjednat", "preorder"),
    ("cs", "připravujeme", "preorder"), ("cs", "na objednávku", "preorder"), ("cs", "očekáváme", "preorder"),
    ("cs", "brzy v prodeji", "preorder"), ("cs", "brzy skladem", "preorder"),
    ("cs", "skladem", "in_stock"), ("cs", "na skladě", "in_stock"), ("cs", "k dispozici", "in_stock"),
    ("cs", "do košíku", "in_stock"), ("cs", "přidat do košíku", "in_stock"), ("cs", "vložit do košíku", "in_stock"),
    ("cs", "koupit", "in_stock"), ("cs", "ihned k odeslání", "in_stock"),
    # Slovak, Swedish, Danish, Norwegian, Finnish
    ("sk", "vypredané", "out_of_stock"), ("sk", "nie je skladom", "out_of_stock"), ("sk", "na sklade", "in_stock"),
    ("sv", "slutsåld", "out_of_stock"), ("sv", "i lager", "in_stock"),
    ("da", "udsolgt", "out_of_stock"), ("da", "på lager", "in_stock"),
    ("no", "utsolgt", "out_of_stock"), ("no", "på lager", "in_stock"),
    ("fi", "loppuunmyyty", "out_of_stock"), ("fi", "varastossa", "in_stock"),
)
AVAILABILITY_STATES: tuple[str, ...] = ("out_of_stock", "preorder", "in_stock")  # the order wording is tried in

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
                                    "preisalt", "altpreis", "streichpreis", "staraya", "oldcost",
                                    "nonsale")  # BigCommerce Stencil's "price--non-sale": the regular price
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

# The words of a "next page" link (its text, aria-label or title), one row per phrase with its language.
# Compared whole, lower-cased, after arrows and spaces are stripped ("Next ›", "Weiter »").
NEXT_PAGE_PHRASES: tuple[tuple[str, str], ...] = (
    ("en", "next"), ("en", "next page"), ("en", "older posts"), ("en", "more reviews"),
    ("de", "weiter"), ("de", "nächste"), ("de", "nächste seite"), ("de", "vor"),
    ("ru", "далее"), ("ru", "следующая"), ("ru", "следующая страница"), ("ru", "вперед"), ("ru", "вперёд"),
    ("uk", "далі"), ("uk", "наступна"), ("uk", "наступна сторінка"), ("uk", "вперед"),
    ("pl", "następna"), ("pl", "następna strona"), ("pl", "dalej"),
    ("fr", "suivant"), ("fr", "suivante"), ("fr", "page suivante"),
    ("es", "siguiente"), ("es", "página siguiente"),
    ("it", "successiva"), ("it", "successivo"), ("it", "pagina successiva"), ("it", "avanti"),
    ("nl", "volgende"), ("nl", "volgende pagina"),
    ("pt", "próxima"), ("pt", "próximo"), ("pt", "seguinte"), ("pt", "próxima página"),
    ("tr", "sonraki"), ("tr", "sonraki sayfa"), ("tr", "ileri"),
    ("cs", "další"), ("cs", "další stránka"), ("cs", "následující"),
    ("pl", "następne"), ("pl", "kolejna strona"), ("fr", "suiv"), ("es", "sig"), ("es", "próxima"),
    ("it", "prossima"), ("it", "prossima pagina"), ("pt", "avançar"), ("cs", "další strana"),
    ("cs", "následující strana"),
)

# Labels shops write before a product's identifier ("Artikelnummer: 4711", "Артикул: ZP-800"): one row per phrase,
# (language, phrase as written lower-case without the colon, what it names: "sku" | "gtin" | "mpn").
IDENTIFIER_LABELS: tuple[tuple[str, str, str], ...] = (
    ("en", "sku", "sku"), ("en", "item number", "sku"), ("en", "item no", "sku"), ("en", "item #", "sku"),
    ("en", "product code", "sku"), ("en", "article number", "sku"), ("en", "model", "mpn"),
    ("en", "model number", "mpn"), ("en", "part number", "mpn"), ("en", "mpn", "mpn"), ("en", "ean", "gtin"),
    ("en", "upc", "gtin"), ("en", "gtin", "gtin"), ("en", "isbn", "gtin"), ("en", "barcode", "gtin"),
    ("en", "style", "sku"), ("en", "product id", "sku"), ("en", "item model number", "mpn"),
    ("de", "artikelnummer", "sku"), ("de", "art.-nr", "sku"), ("de", "artikel-nr", "sku"), ("de", "art-nr", "sku"),
    ("de", "bestellnummer", "sku"), ("de", "herstellernummer", "mpn"), ("de", "hersteller-nr", "mpn"),
    ("de", "modellnummer", "mpn"), ("de", "ean-code", "gtin"),
    ("ru", "артикул", "sku"), ("ru", "код товара", "sku"), ("ru", "код", "sku"), ("ru", "модель", "mpn"),
    ("ru", "штрихкод", "gtin"), ("ru", "штрих-код", "gtin"), ("ru", "артикул производителя", "mpn"),
    ("uk", "артикул", "sku"), ("uk", "код товару", "sku"), ("uk", "код", "sku"), ("uk", "модель", "mpn"),
    ("uk", "артикул виробника", "mpn"), ("uk", "код виробника", "mpn"), ("uk", "штрихкод", "gtin"),
    ("uk", "штрих-код", "gtin"),
    ("pl", "kod produktu", "sku"), ("pl", "kod towaru", "sku"), ("pl", "symbol produktu", "sku"),
    ("pl", "symbol", "sku"), ("pl", "indeks", "sku"), ("pl", "numer katalogowy", "mpn"),
    ("pl", "kod producenta", "mpn"), ("pl", "model", "mpn"), ("pl", "kod ean", "gtin"), ("pl", "ean", "gtin"),
    ("fr", "référence", "sku"), ("fr", "réf.", "sku"), ("fr", "réf", "sku"), ("fr", "ref.", "sku"),
    ("fr", "code article", "sku"), ("fr", "code produit", "sku"), ("fr", "référence fabricant", "mpn"),
    ("fr", "modèle", "mpn"), ("fr", "code ean", "gtin"), ("fr", "code-barres", "gtin"), ("fr", "ean", "gtin"),
    ("es", "referencia", "sku"), ("es", "ref.", "sku"), ("es", "código", "sku"), ("es", "código de producto", "sku"),
    ("es", "código de artículo", "sku"), ("es", "referencia del fabricante", "mpn"), ("es", "modelo", "mpn"),
    ("es", "código de barras", "gtin"), ("es", "ean", "gtin"),
    ("it", "codice articolo", "sku"), ("it", "codice prodotto", "sku"), ("it", "cod. articolo", "sku"),
    ("it", "cod. prodotto", "sku"), ("it", "codice produttore", "mpn"), ("it", "modello", "mpn"),
    ("it", "codice ean", "gtin"), ("it", "codice a barre", "gtin"), ("it", "ean", "gtin"),
    ("nl", "artikelnummer", "sku"), ("nl", "artikelcode", "sku"), ("nl", "artikelnr", "sku"),
    ("nl", "productcode", "sku"), ("nl", "fabrikantcode", "mpn"), ("nl", "typenummer", "mpn"), ("nl", "model", "mpn"),
    ("nl", "ean-code", "gtin"), ("nl", "ean", "gtin"), ("nl", "streepjescode", "gtin"),
    ("pt", "referência", "sku"), ("pt", "ref.", "sku"), ("pt", "código", "sku"), ("pt", "código do produto", "sku"),
    ("pt", "cód.", "sku"), ("pt", "modelo", "mpn"), ("pt", "código de barras", "gtin"), ("pt", "ean", "gtin"),
    ("tr", "ürün kodu", "sku"), ("tr", "stok kodu", "sku"), ("tr", "model kodu", "mpn"), ("tr", "model", "mpn"),
    ("tr", "üretici kodu", "mpn"), ("tr", "barkod", "gtin"),
    ("cs", "kód produktu", "sku"), ("cs", "kód zboží", "sku"), ("cs", "kód", "sku"), ("cs", "objednací číslo", "sku"),
    ("cs", "katalogové číslo", "mpn"), ("cs", "kód výrobce", "mpn"), ("cs", "ean", "gtin"),
    ("cs", "čárový kód", "gtin"),
    ("sk", "kód produktu", "sku"), ("sk", "katalógové číslo", "mpn"),
    ("hr", "šifra", "sku"), ("hr", "šifra proizvoda", "sku"), ("hr", "šifra artikla", "sku"),
    ("sl", "šifra", "sku"), ("sl", "šifra izdelka", "sku"), ("sr", "šifra", "sku"), ("sr", "šifra artikla", "sku"),
)

# The word review templates write before an author's name ("By Anna", "Od Tereza K.", "von Jürgen"): one row per
# phrase with its language, lower-case; dropped from a name read by its shape (extractors/review_list.py).
AUTHOR_PREFIXES: tuple[tuple[str, str], ...] = (
    ("en", "by"), ("de", "von"), ("ru", "от"), ("uk", "від"), ("pl", "od"), ("cs", "od"), ("fr", "par"),
    ("es", "por"), ("pt", "por"), ("it", "di"), ("it", "da"), ("nl", "door"),
)

# Rating widgets (extractors/review_list.py finds a review list by them, extractors/ratings.py reads them).
# Class/id tokens that name an element a rating widget, one row per word with its language: as templates write
# them, lower-case ASCII without accents ("etoiles", "gwiazdki"; Cyrillic ones transliterated or not), compared
# with whole tokens of the attribute split on non-letters. Words that name a whole review ("avis", "bewertung",
# "opinia", "отзыв", "recensione") are not here: a block named so holds the rating, and its text, date and author.
# Name words (class, id, itemprop tokens, folded as RATING_NAME_WORDS) of a review's parts beside its rating, by
# language: (language, part, word), the part one of author, title, text, date. Shop templates name them in their
# own language as often as in English ("avis__auteur", "otzyv__avtor", "bewertung-text", "yorum-tarih").
REVIEW_PART_WORDS: tuple[tuple[str, str, str], ...] = (
    ("de", "author", "autor"), ("de", "author", "verfasser"), ("de", "author", "kunde"),
    ("de", "title", "titel"), ("de", "title", "uberschrift"), ("de", "text", "inhalt"),
    ("de", "text", "kommentar"), ("de", "text", "meinung"), ("de", "date", "datum"),
    ("ru", "author", "avtor"), ("ru", "author", "автор"), ("ru", "author", "imya"), ("ru", "author", "имя"),
    ("ru", "title", "zagolovok"), ("ru", "title", "заголовок"), ("ru", "text", "tekst"), ("ru", "text", "текст"),
    ("ru", "text", "kommentariy"), ("ru", "text", "комментарий"), ("ru", "date", "data"), ("ru", "date", "дата"),
    ("fr", "author", "auteur"), ("fr", "author", "nom"), ("fr", "author", "client"), ("fr", "title", "titre"),
    ("fr", "text", "texte"), ("fr", "text", "contenu"), ("fr", "text", "commentaire"), ("fr", "date", "date"),
    ("pl", "author", "autor"), ("pl", "author", "uzytkownik"), ("pl", "title", "tytul"), ("pl", "text", "tresc"),
    ("pl", "text", "komentarz"), ("pl", "date", "data"),
    ("tr", "author", "yazar"), ("tr", "author", "kullanici"), ("tr", "title", "baslik"), ("tr", "text", "metin"),
    ("tr", "text", "icerik"), ("tr", "date", "tarih"),
    ("es", "author", "autor"), ("es", "author", "nombre"), ("es", "title", "titulo"), ("es", "text", "texto"),
    ("es", "text", "contenido"), ("es", "text", "comentario"), ("es", "date", "fecha"),
    ("it", "author", "autore"), ("it", "author", "nome"), ("it", "title", "titolo"), ("it", "text", "testo"),
    ("it", "text", "commento"), ("it", "date", "data"),
    ("nl", "author", "auteur"), ("nl", "author", "naam"), ("nl", "title", "titel"), ("nl", "text", "tekst"),
    ("nl", "text", "inhoud"), ("nl", "date", "datum"),
    ("pt", "author", "autor"), ("pt", "author", "nome"), ("pt", "title", "titulo"), ("pt", "text", "texto"),
    ("pt", "text", "comentario"), ("pt", "date", "data"),
)
RATING_NAME_WORDS: tuple[tuple[str, str], ...] = (
    ("en", "rating"), ("en", "stars"), ("en", "star"), ("en", "score"), ("en", "rate"), ("en", "ratingvalue"),
    ("en", "reviewrating"),
    ("fr", "etoiles"), ("fr", "etoile"), ("fr", "note"), ("fr", "notation"),
    ("de", "sterne"), ("de", "sternen"), ("de", "stern"), ("de", "sternebewertung"),
    ("ru", "zvezdy"), ("ru", "zvezdi"), ("ru", "reyting"), ("ru", "reiting"), ("ru", "rejting"), ("ru", "ocenka"),
    ("ru", "otsenka"), ("ru", "звезды"), ("ru", "рейтинг"), ("ru", "оценка"),
    ("uk", "zirky"), ("uk", "zirki"), ("uk", "otsinka"), ("uk", "ocinka"), ("uk", "зірки"), ("uk", "оцінка"),
    ("pl", "gwiazdki"), ("pl", "gwiazdy"), ("pl", "ocena"),
    ("es", "estrellas"), ("es", "estrella"), ("es", "valoracion"), ("es", "puntuacion"), ("es", "calificacion"),
    ("it", "stelle"), ("it", "stella"), ("it", "stelline"), ("it", "voto"), ("it", "punteggio"),
    ("nl", "sterren"), ("nl", "ster"), ("nl", "beoordeling"), ("nl", "waardering"),
    ("pt", "estrelas"), ("pt", "estrela"), ("pt", "avaliacao"), ("pt", "nota"), ("pt", "classificacao"),
    ("tr", "yildiz"), ("tr", "yildizlar"), ("tr", "puan"), ("tr", "degerlendirme"),
    ("cs", "hvezdicky"), ("cs", "hvezdy"), ("cs", "hodnoceni"),
    ("sv", "stjarnor"), ("sv", "betyg"), ("da", "stjerner"), ("no", "stjerner"), ("fi", "tahdet"),
)
# Words a rating's label (aria-label, title, alt: "4 von 5 Sternen", "Оценка 4 из 5", "5 üzerinden 4 yıldız")
# starts one of its words with, lower-case, accents kept (they are compared with and without them). A label with
# such a word and a digit is a rating's; stems of 5 letters or more match as a word's start, shorter ones whole.
RATING_LABEL_WORDS: tuple[tuple[str, str], ...] = (
    ("en", "star"), ("en", "stars"), ("en", "rating"), ("en", "rated"),
    ("fr", "étoile"), ("fr", "note"), ("fr", "noté"), ("fr", "notée"),
    ("de", "stern"), ("de", "sterne"), ("de", "sternen"), ("de", "bewertung"), ("de", "bewertet"),
    ("ru", "звезд"), ("ru", "звёзд"), ("ru", "оценк"), ("ru", "рейтинг"),
    ("uk", "зірк"), ("uk", "оцінк"), ("uk", "рейтинг"),
    ("pl", "gwiazd"), ("pl", "ocena"), ("pl", "ocen"), ("pl", "oceniono"),
    ("es", "estrella"), ("es", "valoración"), ("es", "calificación"), ("es", "puntuación"),
    ("it", "stella"), ("it", "stelle"), ("it", "valutazion"), ("it", "voto"), ("it", "punteggio"),
    ("nl", "ster"), ("nl", "sterren"), ("nl", "beoordeling"), ("nl", "waardering"),
    ("pt", "estrela"), ("pt", "avaliação"), ("pt", "nota"), ("pt", "classificação"),
    ("tr", "yıldız"), ("tr", "puan"), ("tr", "değerlendirme"),
    ("cs", "hvězd"), ("cs", "hodnocení"),
    ("sv", "stjärn"), ("sv", "betyg"), ("da", "stjerne"), ("no", "stjerne"), ("fi", "tähte"), ("fi", "tähti"),
)
# "N out of 5" as each language writes it: (language, the words between, order). "value-first": "4 sur 5",
# "4 von 5", "4 из 5", "4 z 5", "4 de 5", "4 su 5"; "best-first": Turkish "5 üzerinden 4" (also "5 yıldız
# üzerinden 4"), Japanese "5つ星のうち4". "/" is every language's.
RATING_OUT_OF: tuple[tuple[str, str, str], ...] = (
    ("en", "out of", "value-first"), ("en", "of", "value-first"), ("en", "/", "value-first"),
    ("fr", "sur", "value-first"), ("de", "von", "value-first"), ("ru", "из", "value-first"),
    ("uk", "з", "value-first"), ("uk", "із", "value-first"), ("pl", "z", "value-first"), ("pl", "na", "value-first"),
    ("cs", "z", "value-first"), ("cs", "ze", "value-first"), ("es", "de", "value-first"),
    ("pt", "de", "value-first"), ("it", "su", "value-first"), ("nl", "van", "value-first"),
    ("nl", "uit", "value-first"), ("sv", "av", "value-first"),
    ("no", "av", "value-first"), ("da", "af", "value-first"), ("bg", "от", "value-first"),
    ("tr", "üzerinden", "best-first"), ("ja", "のうち", "best-first"),
)
# Star glyphs a rating may be drawn with (`★★★★☆`): filled, half, empty.
STAR_GLYPHS: dict[str, float] = {"★": 1.0, "⭐": 1.0, "✭": 1.0, "✮": 1.0, "✯": 1.0, "✬": 1.0, "✫": 1.0,
                                 "⯨": 0.5, "⯪": 0.5, "⯫": 0.5, "☆": 0.0, "✩": 0.0}
