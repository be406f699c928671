"""An event's title, written from its typed facts (storage/event_rules.py) in English, German or Russian: a
message catalogue with CLDR plural forms, numbers and money formatted by Babel for the language. No language
model: the same facts give the same sentence."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from storage.event_rules import fold

LANGUAGES = ("en", "de", "ru")
TITLE_MAX = 300
NAMES_SHOWN = 3
QUOTE_MAX = 80
POST_QUOTE_MAX = 48  # a social post's text is long and its channel is named too: a shorter quote

# msgid -> language -> text, or CLDR plural category (one, few, many, other) -> text
MESSAGES: dict[str, dict[str, Any]] = {
    "added_one": {"en": "New product {name} at {price}", "de": "Neues Produkt {name} für {price}",
                  "ru": "Новый товар {name} за {price}"},
    "added_one_unpriced": {"en": "New product {name}", "de": "Neues Produkt {name}", "ru": "Новый товар {name}"},
    "added_many": {"en": {"one": "{n} new product: {names}", "other": "{n} new products: {names}"},
                   "de": {"one": "{n} neues Produkt: {names}", "other": "{n} neue Produkte: {names}"},
                   "ru": {"one": "{n} новый товар: {names}", "few": "{n} новых товара: {names}",
                          "many": "{n} новых товаров: {names}", "other": "{n} нового товара: {names}"}},
    "removed_one": {"en": "{name} discontinued (last {price})", "de": "{name} nicht mehr im Sortiment "
                    "(zuletzt {price})", "ru": "снято с продажи: {name} (последняя цена {price})"},
    "removed_one_unpriced": {"en": "{name} discontinued", "de": "{name} nicht mehr im Sortiment",
                             "ru": "снято с продажи: {name}"},
    "removed_many": {"en": {"one": "{n} product discontinued: {names}", "other": "{n} products discontinued: {names}"},
                     "de": {"one": "{n} Produkt nicht mehr im Sortiment: {names}",
                            "other": "{n} Produkte nicht mehr im Sortiment: {names}"},
                     "ru": {"one": "{n} товар снят с продажи: {names}", "few": "{n} товара сняты с продажи: {names}",
                            "many": "{n} товаров сняты с продажи: {names}",
                            "other": "{n} товара сняты с продажи: {names}"}},
    "announced": {"en": "announced in {where}", "de": "angekündigt in {where}", "ru": "объявлено в {where}"},
    "where_news": {"en": "the news", "de": "den News", "ru": "новостях"},
    "where_newsletter": {"en": "a newsletter", "de": "einem Newsletter", "ru": "рассылке"},
    "where_ad": {"en": "an ad", "de": "einer Anzeige", "ru": "рекламе"},
    "where_promotion": {"en": "a promotion", "de": "einer Aktion", "ru": "акции"},
    "where_site": {"en": "the site's text", "de": "den Texten der Website", "ru": "тексте сайта"},
    "and": {"en": " and ", "de": " und ", "ru": " и "},
    "more": {"en": "+{n} more", "de": "+{n} weitere", "ru": "ещё {n}"},
    "in_category": {"en": " in {category}", "de": " in {category}", "ru": " в категории «{category}»"},
    "up_one": {"en": "{name} up {pct}: {before} → {after}", "de": "{name}: Preis um {pct} erhöht ({before} → {after})",
               "ru": "{name}: цена выросла на {pct} ({before} → {after})"},
    "down_one": {"en": "{name} down {pct}: {before} → {after}",
                 "de": "{name}: Preis um {pct} gesenkt ({before} → {after})",
                 "ru": "{name}: цена снизилась на {pct} ({before} → {after})"},
    "up_many": {"en": {"one": "{n} price{where} up {pct} on average", "other": "{n} prices{where} up {pct} on average"},
                "de": {"one": "{n} Preis{where} um durchschnittlich {pct} gestiegen",
                       "other": "{n} Preise{where} um durchschnittlich {pct} gestiegen"},
                "ru": {"one": "{n} цена{where} выросла в среднем на {pct}",
                       "few": "{n} цены{where} выросли в среднем на {pct}",
                       "many": "{n} цен{where} выросли в среднем на {pct}",
                       "other": "{n} цены{where} выросли в среднем на {pct}"}},
    "down_many": {"en": {"one": "{n} price{where} down {pct} on average",
                         "other": "{n} prices{where} down {pct} on average"},
                  "de": {"one": "{n} Preis{where} um durchschnittlich {pct} gesunken",
                         "other": "{n} Preise{where} um durchschnittlich {pct} gesunken"},
                  "ru": {"one": "{n} цена{where} снизилась в среднем на {pct}",
                         "few": "{n} цены{where} снизились в среднем на {pct}",
                         "many": "{n} цен{where} снизились в среднем на {pct}",
                         "other": "{n} цены{where} снизились в среднем на {pct}"}},
    "undercut_one": {"en": "{name} undercuts our {ours}: {price} against our {our_price} ({pct} cheaper)",
                     "de": "{name} unterbietet unser {ours}: {price} gegenüber unseren {our_price} ({pct} günstiger)",
                     "ru": "{name} дешевле нашего {ours}: {price} против нашей цены {our_price} (на {pct})"},
    "undercut_moved": {"en": "{name} undercuts our {ours}: down {move} to {price}, against our {our_price}",
                       "de": "{name} unterbietet unser {ours}: um {move} gesenkt auf {price}, gegenüber unseren "
                             "{our_price}",
                       "ru": "{name} дешевле нашего {ours}: цена снизилась на {move} до {price} против нашей "
                             "{our_price}"},
    "undercut_many": {"en": {"one": "{n} product now cheaper than ours: {names}",
                             "other": "{n} products now cheaper than ours: {names}"},
                      "de": {"one": "{n} Produkt jetzt günstiger als unseres: {names}",
                             "other": "{n} Produkte jetzt günstiger als unsere: {names}"},
                      "ru": {"one": "{n} товар теперь дешевле нашего: {names}",
                             "few": "{n} товара теперь дешевле наших: {names}",
                             "many": "{n} товаров теперь дешевле наших: {names}",
                             "other": "{n} товара теперь дешевле наших: {names}"}},
    "gap_one": {"en": "{name}: price against ours {before} → {after}",
                "de": "{name}: Preis gegenüber unserem {before} → {after}",
                "ru": "{name}: цена относительно нашей {before} → {after}"},
    "gap_many": {"en": {"one": "price gap to ours moved on {n} product", "other": "price gap to ours moved on {n} products"},
                 "de": {"one": "Preisabstand zu uns bei {n} Produkt verändert",
                        "other": "Preisabstand zu uns bei {n} Produkten verändert"},
                 "ru": {"one": "разница с нашими ценами изменилась у {n} товара",
                        "few": "разница с нашими ценами изменилась у {n} товаров",
                        "many": "разница с нашими ценами изменилась у {n} товаров",
                        "other": "разница с нашими ценами изменилась у {n} товара"}},
    "out_of_stock": {"en": "out of stock: {names}", "de": "nicht lieferbar: {names}", "ru": "нет в наличии: {names}"},
    "back_in_stock": {"en": "back in stock: {names}", "de": "wieder lieferbar: {names}",
                      "ru": "снова в наличии: {names}"},
    "anomalies": {"en": {"one": "{n} implausible price held back", "other": "{n} implausible prices held back"},
                  "de": {"one": "{n} unplausibler Preis zurückgehalten",
                         "other": "{n} unplausible Preise zurückgehalten"},
                  "ru": {"one": "{n} неправдоподобная цена отложена", "few": "{n} неправдоподобные цены отложены",
                         "many": "{n} неправдоподобных цен отложено", "other": "{n} неправдоподобной цены отложено"}},
    "currency": {"en": "currency changed on {n} product(s)", "de": "Währung bei {n} Produkt(en) geändert",
                 "ru": "сменилась валюта у товаров: {n}"},
    "reviews": {"en": {"one": "{n} new review", "other": "{n} new reviews"},
                "de": {"one": "{n} neue Bewertung", "other": "{n} neue Bewertungen"},
                "ru": {"one": "{n} новый отзыв", "few": "{n} новых отзыва", "many": "{n} новых отзывов",
                       "other": "{n} нового отзыва"}},
    "negative_one": {"en": {"one": "one {stars}-star: {quote}", "other": "one {stars}-star: {quote}"},
                     "de": {"one": "eine mit {stars} Stern: {quote}", "other": "eine mit {stars} Sternen: {quote}"},
                     "ru": {"one": "один на {stars} ★: {quote}", "few": "один на {stars} ★: {quote}",
                            "many": "один на {stars} ★: {quote}", "other": "один на {stars} ★: {quote}"}},
    "negative_many": {"en": "{n} negative, e.g. {quote}", "de": "{n} negative, z. B. {quote}",
                      "ru": "негативных: {n}, например {quote}"},
    "rating": {"en": "rating {before} → {after}", "de": "Bewertung {before} → {after}",
               "ru": "рейтинг {before} → {after}"},
    "headline": {"en": "{field} on {page}: {before} → {after}", "de": "{field} auf {page}: {before} → {after}",
                 "ru": "{field} на {page}: {before} → {after}"},
    "field_h1": {"en": "Headline", "de": "Überschrift", "ru": "Заголовок"},
    "field_title": {"en": "Page title", "de": "Seitentitel", "ru": "Заголовок страницы"},
    "home_page": {"en": "the home page", "de": "der Startseite", "ru": "главной странице"},
    "promos": {"en": {"one": "new promotion {quote}", "other": "{n} new promotions, e.g. {quote}"},
               "de": {"one": "neue Aktion {quote}", "other": "{n} neue Aktionen, z. B. {quote}"},
               "ru": {"one": "новая акция {quote}", "few": "{n} новые акции, например {quote}",
                      "many": "{n} новых акций, например {quote}", "other": "{n} новой акции, например {quote}"}},
    "promos_ended": {"en": "{n} promotion(s) ended", "de": "{n} Aktion(en) beendet", "ru": "акций завершено: {n}"},
    "ads_new": {"en": {"one": "new ad {quote}", "other": "{n} new ads, e.g. {quote}"},
                "de": {"one": "neue Anzeige {quote}", "other": "{n} neue Anzeigen, z. B. {quote}"},
                "ru": {"one": "новое объявление {quote}", "few": "{n} новых объявления, например {quote}",
                       "many": "{n} новых объявлений, например {quote}",
                       "other": "{n} нового объявления, например {quote}"}},
    "ads_stopped": {"en": "{n} ad(s) stopped", "de": "{n} Anzeige(n) beendet", "ru": "объявлений снято: {n}"},
    "content": {"en": {"one": "new article {quote}", "other": "{n} new articles, e.g. {quote}"},
                "de": {"one": "neuer Beitrag {quote}", "other": "{n} neue Beiträge, z. B. {quote}"},
                "ru": {"one": "новая публикация {quote}", "few": "{n} новые публикации, например {quote}",
                       "many": "{n} новых публикаций, например {quote}",
                       "other": "{n} новой публикации, например {quote}"}},
    "newsletters": {"en": {"one": "newsletter {quote}", "other": "{n} newsletters, e.g. {quote}"},
                    "de": {"one": "Newsletter {quote}", "other": "{n} Newsletter, z. B. {quote}"},
                    "ru": {"one": "рассылка {quote}", "few": "{n} рассылки, например {quote}",
                           "many": "{n} рассылок, например {quote}", "other": "{n} рассылки, например {quote}"}},
    "mentions": {"en": {"one": "new mention {quote}", "other": "{n} new mentions, e.g. {quote}"},
                 "de": {"one": "neue Erwähnung {quote}", "other": "{n} neue Erwähnungen, z. B. {quote}"},
                 "ru": {"one": "новое упоминание {quote}", "few": "{n} новых упоминания, например {quote}",
                        "many": "{n} новых упоминаний, например {quote}",
                        "other": "{n} нового упоминания, например {quote}"}},
    # {details}: " – the buyer, the value" as the notice gives them (storage/event_titles._tender_details)
    "tenders_won": {"en": {"one": "won a tender: {quote}{details}", "other": "won {n} tenders, e.g. {quote}{details}"},
                    "de": {"one": "Ausschreibung gewonnen: {quote}{details}",
                           "other": "{n} Ausschreibungen gewonnen, z. B. {quote}{details}"},
                    "ru": {"one": "выиграл тендер {quote}{details}", "few": "выиграл {n} тендера, например {quote}{details}",
                           "many": "выиграл {n} тендеров, например {quote}{details}",
                           "other": "выиграл {n} тендера, например {quote}{details}"}},
    "tenders_new": {"en": {"one": "bidder in a tender: {quote}{details}",
                           "other": "bidder in {n} tenders, e.g. {quote}{details}"},
                    "de": {"one": "Bieter in einer Ausschreibung: {quote}{details}",
                           "other": "Bieter in {n} Ausschreibungen, z. B. {quote}{details}"},
                    "ru": {"one": "участник тендера {quote}{details}",
                           "few": "участник {n} тендеров, например {quote}{details}",
                           "many": "участник {n} тендеров, например {quote}{details}",
                           "other": "участник {n} тендера, например {quote}{details}"}},
    "social_channel": {"en": "{channel}: {what}", "de": "{channel}: {what}", "ru": "{channel}: {what}"},
    "social_posts": {"en": {"one": "new post {quote}", "other": "{n} new posts, e.g. {quote}"},
                     "de": {"one": "neuer Beitrag {quote}", "other": "{n} neue Beiträge, z. B. {quote}"},
                     "ru": {"one": "новый пост {quote}", "few": "{n} новых поста, например {quote}",
                            "many": "{n} новых постов, например {quote}",
                            "other": "{n} нового поста, например {quote}"}},
    "social_subscribers": {"en": "subscribers {before} → {after} ({pct})",
                           "de": "Abonnenten {before} → {after} ({pct})",
                           "ru": "подписчики {before} → {after} ({pct})"},
    "social_cadence_up": {"en": "posting more often, {before} → {after} a week",
                          "de": "postet häufiger, {before} → {after} pro Woche",
                          "ru": "публикует чаще, {before} → {after} в неделю"},
    "social_cadence_down": {"en": "posting less often, {before} → {after} a week",
                            "de": "postet seltener, {before} → {after} pro Woche",
                            "ru": "публикует реже, {before} → {after} в неделю"},
    "text_on": {"en": "new text on {page}: {quote}", "de": "neuer Text auf {page}: {quote}",
                "ru": "новый текст на {page}: {quote}"},
    "texts": {"en": {"one": "text changed on {n} page", "other": "text changed on {n} pages"},
              "de": {"one": "Text auf {n} Seite geändert", "other": "Text auf {n} Seiten geändert"},
              "ru": {"one": "изменён текст на {n} странице", "few": "изменён текст на {n} страницах",
                     "many": "изменён текст на {n} страницах", "other": "изменён текст на {n} страницах"}},
    "rotating": {"en": "{n} text(s) rotating between versions", "de": "{n} Text(e) wechselt zwischen Versionen",
                 "ru": "чередуются версии текста: {n}"},
    "jobs_posted": {"en": {"one": "{n} new job posting: {names}", "other": "{n} new job postings: {names}"},
                    "de": {"one": "{n} neue Stelle: {names}", "other": "{n} neue Stellen: {names}"},
                    "ru": {"one": "{n} новая вакансия: {names}", "few": "{n} новые вакансии: {names}",
                           "many": "{n} новых вакансий: {names}", "other": "{n} новой вакансии: {names}"}},
    "jobs_closed": {"en": {"one": "{n} closed: {names}", "other": "{n} closed: {names}"},
                    "de": {"one": "{n} geschlossen: {names}", "other": "{n} geschlossen: {names}"},
                    "ru": {"one": "{n} закрыта: {names}", "few": "{n} закрыты: {names}", "many": "{n} закрыто: {names}",
                           "other": "{n} закрыто: {names}"}},
    "unreachable": {"en": "unreachable: {names}", "de": "nicht erreichbar: {names}", "ru": "недоступно: {names}"},
    "channels_added": {"en": "new contact channels: {names}", "de": "neue Kontaktwege: {names}",
                       "ru": "новые каналы связи: {names}"},
    "channels_removed": {"en": "contact channels removed: {names}", "de": "Kontaktwege entfernt: {names}",
                         "ru": "убраны каналы связи: {names}"},
    "tech_added": {"en": "technologies added: {names}", "de": "neue Technik: {names}",
                   "ru": "новые технологии: {names}"},
    "tech_removed": {"en": "technologies removed: {names}", "de": "Technik entfernt: {names}",
                     "ru": "убраны технологии: {names}"},
    "robots": {"en": "robots.txt changed", "de": "robots.txt geändert", "ru": "изменён robots.txt"},
    "sitemap": {"en": "sitemap grew {pct}", "de": "Sitemap um {pct} gewachsen", "ru": "карта сайта выросла на {pct}"},
    "broken": {"en": {"one": "{n} more broken link", "other": "{n} more broken links"},
               "de": {"one": "{n} defekter Link mehr", "other": "{n} defekte Links mehr"},
               "ru": {"one": "битых ссылок больше на {n}", "few": "битых ссылок больше на {n}",
                      "many": "битых ссылок больше на {n}", "other": "битых ссылок больше на {n}"}},
    "pages_added": {"en": "{n} new page(s)", "de": "{n} neue Seite(n)", "ru": "новых страниц: {n}"},
    "pages_removed": {"en": "{n} page(s) removed", "de": "{n} Seite(n) entfernt", "ru": "удалено страниц: {n}"},
    "other": {"en": "other changes: {names}", "de": "weitere Änderungen: {names}", "ru": "другие изменения: {names}"},
    "nothing": {"en": "Changes", "de": "Änderungen", "ru": "Изменения"},
}
QUOTES = {"en": ("“", "”"), "de": ("„", "“"), "ru": ("«", "»")}


def event_title(kind: str, facts: dict[str, Any], language: str = "en") -> str:
    """One sentence (or a few, joined by '; ') saying what the event is, most telling part first."""
    say = _Writer(language if language in LANGUAGES else "en")
    parts = PARTS.get(kind, _site)(facts, say)
    if kind in ("assortment", "prices") and facts.get("announced") and parts:
        where = say.join([say("where_" + w) for w in facts["announced"] if "where_" + w in MESSAGES])
        # after the part naming an announced product, else after the first
        named = [fold(name) for name in facts.get("announced_names", [])]
        at = next((i for i, part in enumerate(parts) if any(name in fold(part) for name in named)), 0)
        parts[at] = f"{parts[at]}, {say('announced', where=where)}"
    text = "; ".join(p for p in parts if p) or say("nothing")
    text = text[:1].upper() + text[1:]
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1].rstrip() + "…"


class _Writer:
    """Messages of one language: plural forms by CLDR (Babel), numbers and money as the language writes them."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)

    def __call__(self, msgid: str, n: int | None = None, **values: Any) -> str:
        message = MESSAGES[msgid][self.language]
        if isinstance(message, dict):
            form = self.locale.plural_form(n if n is not None else 1)
            message = message.get(form, message["other"])
        return message.format(n=n, **values)

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + self("and") + items[-1]

    def names(self, names: list[str | None]) -> str:
        shown = [_short(n) for n in names[:NAMES_SHOWN] if n]
        rest = len(names) - NAMES_SHOWN
        return ", ".join(shown + ([self("more", n=rest)] if rest > 0 else []))

    def quote(self, text: str | None) -> str:
        left, right = QUOTES[self.language]
        return f"{left}{_short(text, QUOTE_MAX)}{right}"

    def money(self, text: str | None) -> str | None:
        """'2150.00 EUR' (as change rows keep prices) as the language writes it: '€2,150.00', '2.150,00 €'."""
        amount, _, currency = (text or "").partition(" ")
        try:
            value = Decimal(amount)
        except (InvalidOperation, ValueError):
            return text or None
        if currency and len(currency) == 3 and currency.isalpha():
            if get_currency_symbol(currency, locale=self.locale) == currency:  # no symbol: '4,900.00 RUB'
                return format_currency(value, currency, format="#,##0.00\u00a0¤", locale=self.locale,
                                       currency_digits=False)
            return format_currency(value, currency, locale=self.locale)
        return format_decimal(value, locale=self.locale)

    def page(self, url: str) -> str:
        """A page as a title names it: 'the home page', else its path."""
        path = urlsplit(url).path or "/"
        return self("home_page") if path == "/" else path

    def percent(self, value: Any) -> str:
        """A move of 5.28 (percent) as '5.3%', '5,3 %': one decimal, as the language writes percent."""
        share = (abs(Decimal(str(value))) / 100).quantize(Decimal("0.001"))
        return format_percent(share, locale=self.locale, decimal_quantization=False)

    def signed_percent(self, value: Any) -> str:
        """A gap of −4.2 (percent) as '−4.2%', '+12,5 %': signed, one decimal."""
        share = (Decimal(str(value or 0)) / 100).quantize(Decimal("0.001"))
        text = format_percent(share, locale=self.locale, decimal_quantization=False)
        return text if share < 0 else "+" + text

    def number(self, value: Any) -> str:
        return format_decimal(Decimal(str(value)), locale=self.locale)


def _short(text: str | None, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _assortment(facts: dict[str, Any], say: _Writer) -> list[str]:
    parts = []
    added, removed = facts.get("added", []), facts.get("removed", [])
    if len(added) == 1:
        price = say.money(added[0]["after"])
        parts.append(say("added_one", name=added[0]["name"], price=price) if price
                     else say("added_one_unpriced", name=added[0]["name"]))
    elif added:
        parts.append(say("added_many", n=len(added), names=say.names([p["name"] for p in added])))
    if len(removed) == 1:
        price = say.money(removed[0]["before"])
        parts.append(say("removed_one", name=removed[0]["name"], price=price) if price
                     else say("removed_one_unpriced", name=removed[0]["name"]))
    elif removed:
        parts.append(say("removed_many", n=len(removed), names=say.names([p["name"] for p in removed])))
    won, bid = facts.get("tenders_won", []), facts.get("tenders_new", [])
    if won:  # after what the competitor launched or dropped, as the tag (Assortment) promises
        parts.append(say("tenders_won", n=len(won), quote=say.quote(won[0]["title"]),
                         details=_tender_details(won[0], say)))
    if bid:
        parts.append(say("tenders_new", n=len(bid), quote=say.quote(bid[0]["title"]),
                         details=_tender_details(bid[0], say)))
    return parts


def _tender_details(notice: dict[str, Any], say: _Writer) -> str:
    """" – Hafen Duisburg AG, 184.000,00 €": the buyer and the value, each where the notice gives it."""
    shown = [_short(notice.get("buyer")) if notice.get("buyer") else None, say.money(notice.get("value"))]
    shown = [part for part in shown if part]
    return " – " + ", ".join(shown) if shown else ""


def _prices(facts: dict[str, Any], say: _Writer) -> list[str]:
    parts = []
    undercuts = facts.get("undercut", [])
    if len(undercuts) == 1:
        gap = undercuts[0]
        move = next((m for m in facts.get("down", []) if m["name"] == gap["name"]), None)
        if move is not None:  # the drop that did it, told once
            parts.append(say("undercut_moved", name=gap["name"], ours=gap["our_product"] or "",
                             move=say.percent(move["pct"] or 0), price=say.money(gap["price"]),
                             our_price=say.money(gap["our_price"])))
        else:
            parts.append(say("undercut_one", name=gap["name"], ours=gap["our_product"] or "",
                             price=say.money(gap["price"]), our_price=say.money(gap["our_price"]),
                             pct=say.percent(gap["gap"] or 0)))
    elif undercuts:
        parts.append(say("undercut_many", n=len(undercuts), names=say.names([g["name"] for g in undercuts])))
    where = say("in_category", category=facts["category"]) if facts.get("category") else ""
    undercut_names = {gap["name"] for gap in undercuts}  # their new price is told with the undercut
    for direction in ("down", "up"):
        moves = [move for move in facts.get(direction, []) if move["name"] not in undercut_names]
        if len(moves) == 1:
            move = moves[0]
            parts.append(say(f"{direction}_one", name=move["name"], pct=say.percent(move["pct"] or 0),
                             before=say.money(move["before"]), after=say.money(move["after"])))
        elif moves:
            mean = sum(abs(Decimal(m["pct"] or 0)) for m in moves) / len(moves)
            parts.append(say(f"{direction}_many", n=len(moves), where=where, pct=say.percent(mean)))
    moved = facts.get("gap_moved", [])
    if len(moved) == 1:
        parts.append(say("gap_one", name=moved[0]["name"], before=say.signed_percent(moved[0]["gap_before"]),
                         after=say.signed_percent(moved[0]["gap"])))
    elif moved:
        parts.append(say("gap_many", n=len(moved)))
    if facts.get("out_of_stock"):
        parts.append(say("out_of_stock", names=say.names(facts["out_of_stock"])))
    if facts.get("back_in_stock"):
        parts.append(say("back_in_stock", names=say.names(facts["back_in_stock"])))
    if facts.get("currency"):
        parts.append(say("currency", n=facts["currency"]))
    if facts.get("anomalies"):
        parts.append(say("anomalies", n=facts["anomalies"]))
    return parts


def _reviews(facts: dict[str, Any], say: _Writer) -> list[str]:
    parts = []
    if facts.get("new"):
        text = say("reviews", n=facts["new"])
        negative = facts.get("negative", [])
        if len(negative) == 1:
            stars = negative[0]["stars"]
            text += ", " + say("negative_one", n=int(stars or 0), stars=say.number(stars) if stars is not None else "?",
                               quote=say.quote(negative[0]["text"]))
        elif negative:
            text += ", " + say("negative_many", n=len(negative), quote=say.quote(negative[0]["text"]))
        parts.append(text)
    rating = facts.get("rating")
    if rating and rating.get("before") and rating.get("after"):
        parts.append(say("rating", before=say.number(rating["before"]), after=say.number(rating["after"])))
    return parts


def _marketing(facts: dict[str, Any], say: _Writer) -> list[str]:
    parts = []
    for headline in facts.get("headlines", []):
        parts.append(say("headline", field=say("field_" + headline["field"]), page=say.page(headline["page"]),
                         before=say.quote(headline["before"]), after=say.quote(headline["after"])))
    for key in ("promos", "ads_new", "content", "newsletters"):
        items = facts.get(key, [])
        if items:
            parts.append(say(key, n=len(items), quote=say.quote(items[0])))
    pages = facts.get("text_pages", [])
    if len(pages) == 1 and pages[0].get("added"):
        parts.append(say("text_on", page=say.page(pages[0]["page"]), quote=say.quote(pages[0]["added"])))
        facts = {**facts, "texts": 0}
    for key in ("promos_ended", "ads_stopped", "texts", "rotating"):
        if facts.get(key):
            parts.append(say(key, n=facts[key]))
    parts += _social(facts.get("social") or [], say)
    if facts.get("mentions"):  # what others wrote about the competitor, after what it did itself
        parts.append(say("mentions", n=len(facts["mentions"]), quote=say.quote(facts["mentions"][0])))
    return parts


def _social(channels: list[dict[str, Any]], say: _Writer) -> list[str]:
    """One part per channel: its new posts, its audience, its rhythm (storage/event_rules._social_facts)."""
    parts = []
    for channel in channels:
        what = []
        if channel.get("posts"):
            what.append(say("social_posts", n=len(channel["posts"]),
                            quote=say.quote(_short(channel["posts"][0], POST_QUOTE_MAX))))
        audience = channel.get("subscribers")
        if audience and audience.get("before") and audience.get("after"):
            what.append(say("social_subscribers", before=say.number(audience["before"]),
                            after=say.number(audience["after"]), pct=say.signed_percent(audience["pct"] or 0)))
        rhythm = channel.get("cadence")
        if rhythm and rhythm.get("direction") in ("up", "down"):
            what.append(say(f"social_cadence_{rhythm['direction']}", before=say.number(rhythm["before"]),
                            after=say.number(rhythm["after"])))
        if what:
            parts.append(say("social_channel", channel=channel["channel"], what=", ".join(what)))
    return parts


def _hiring(facts: dict[str, Any], say: _Writer) -> list[str]:
    parts = []
    if facts.get("posted"):
        parts.append(say("jobs_posted", n=len(facts["posted"]), names=say.names(facts["posted"])))
    if facts.get("closed"):
        parts.append(say("jobs_closed", n=len(facts["closed"]), names=say.names(facts["closed"])))
    if not parts and facts.get("pages"):
        parts.append(say("texts", n=facts["pages"]))
    return parts


def _site(facts: dict[str, Any], say: _Writer) -> list[str]:
    parts = []
    for key in ("unreachable", "channels_added", "channels_removed", "tech_added", "tech_removed"):
        if facts.get(key):
            parts.append(say(key, names=say.names(facts[key])))
    if facts.get("robots"):
        parts.append(say("robots"))
    if facts.get("sitemap_pct"):
        parts.append(say("sitemap", pct=say.percent(facts["sitemap_pct"])))
    if facts.get("broken"):
        parts.append(say("broken", n=facts["broken"]))
    for key in ("pages_added", "pages_removed", "texts"):
        if facts.get(key):
            parts.append(say(key, n=facts[key]))
    if facts.get("other"):
        parts.append(say("other", names=say.names(facts["other"])))
    return parts


PARTS = {"assortment": _assortment, "prices": _prices, "reviews": _reviews, "marketing": _marketing,
         "hiring": _hiring, "site": _site}
