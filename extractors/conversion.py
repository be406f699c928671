"""Conversion elements of a page: its forms (what each asks for; "we call you back" forms) and its special offers
and countdowns, in Russian, German and English. Read by `extract_contacts` (extractors/contacts.py)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from urllib.parse import urljoin

from lxml import etree, html

from extractors.document import VISIBLE_TEXT_NODES

MAX_SCAN_CHARS = 300_000  # text and inline scripts read per page or element
MAX_FORMS = 50
MAX_FORMS_READ = 200  # a listing repeats one add-to-cart form per product: the first ones tell them all
MAX_PROMOS = 20
MAX_PROMO_CHARS = 160
MAX_BANNER_CHARS = 300  # an element with more text is a page section, not a banner
MIN_BANNER_CHARS = 12  # "-20%" or "Sale" on a product card is a badge, not an offer
CALLBACK_WORDS = re.compile(r"перезвон|обратн\w* звон|заказать звонок|звонок|rückruf|zurückruf|ruf\w* sie .{0,20}an|"
                            r"call ?back|call me|request a call|we.ll call")
NEWSLETTER_WORDS = re.compile(r"рассылк|подпис|newsletter|subscri|abonnier")
ORDER_WORDS = re.compile(r"заказ|заявк|купить|корзин|оформ|расчёт|рассчита|order|checkout|\bbuy\b|\bcart\b|quote|"
                         r"bestell|kaufen|warenkorb|kasse|anfrage|angebot")
CONTACT_WORDS = re.compile(r"сообщени|вопрос|связ|напишите|отзыв|message|question|contact|feedback|kontakt|"
                           r"nachricht|frage")
SEARCH_WORDS = re.compile(r"поиск|найти|search|suche|suchen")
PHONE_FIELD = re.compile(r"phone|\btel\b|tel[_\-\[]|телефон|телеф|номер|telefon|handy|mobil|rufnummer|whatsapp|"
                         r"\+\d[\s(]")
EMAIL_FIELD = re.compile(r"e-?mail|почт")
SEARCH_FIELD_NAMES = frozenset({"q", "s", "query", "search", "text", "keyword", "keywords", "searchterm", "term"})
NOT_A_FIELD = frozenset({"hidden", "submit", "button", "image", "reset", "checkbox"})
HIDDEN_CLASSES = frozenset({"hidden", "d-none", "honeypot", "is-hidden", "display-none", "invisible"})
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")

# Promo markup and wording.
COUNTDOWN_ATTRS = ("data-countdown", "data-deadline", "data-countdown-date", "data-end-date", "data-end", "data-date",
                   "data-time", "datetime")
COUNTDOWN_DATA_ATTRS = ("data-countdown", "data-deadline", "data-countdown-date")
COUNTDOWN_MARK = re.compile(r"count-?down|timer")  # in class or id
# Elements that carry a class or id to test in Python (a translate() per class in XPath is ten times slower).
MARKED = etree.XPath("//body//*[@class or @id or @data-countdown or @data-deadline or @data-countdown-date]")
MAX_REPEATS = 4  # a banner class on more elements than this marks a product grid's cards
NOT_SHOWN = frozenset({"script", "style", "noscript", "template", "head"})
VISIBLE_TEXT_IN = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript) "
                              "and not(ancestor::template)]")
BANNER_TOKENS = frozenset({"promo", "promos", "promotion", "banner", "banners", "announcement", "offer", "offers",
                           "special", "specials", "sale", "sales", "deal", "deals", "discount", "aktion", "aktionen",
                           "akcia", "akciya", "akcii", "aktsiya", "rabatt", "angebot", "angebote", "skidka", "skidki",
                           "specialoffer", "spec"})
NOT_BANNER_TOKENS = frozenset({"cookie", "cookies", "consent", "gdpr", "dsgvo"})
CLASS_TOKEN = re.compile(r"[a-z0-9]+")
OFFER_WORDS = re.compile(r"скидк|акци(?!онер)|спецпредложен|распродаж|выгод|подар|бесплатн|промокод|"
                         r"rabatt|aktion|angebot|\bsale\b|gratis|kostenlos|gutschein|\bspar|"
                         r"discount|% off|special offer|free shipping|\bdeal\b|\bsave\b|coupon|promo code|"
                         r"(?<![\d.,])\d{1,2}\s?%", re.IGNORECASE)  # "-20 %", not "100 % Qualität"
DEADLINE_WORDS = re.compile(
    r"до (?:конца|окончания) (?:акции|распродажи|предложения|скидки)|акция действует до|предложение действует до|"
    r"осталось \d+ (?:дн|час|мин)|только до \d|"
    r"nur noch (?:heute|bis|\d+\s*(?:tage?|stunden?|std|minuten|min)\b)|endet in|(?:angebot|aktion) gültig bis|"
    r"noch \d+ tage\b|nur bis (?:zum )?\d|"
    r"\bends in\b|(?:offer|sale|deal) ends|ends (?:tonight|today|soon)|only \d+ (?:days?|hours?) left|"
    r"limited time only", re.IGNORECASE)
# `$("#clock").countdown("2025/06/30")`, `$('.timer').FlipClock(...)`: a countdown a script draws into an element.
SCRIPT_COUNTDOWN = re.compile(r"""\$\(\s*['"]([#.][\w-]{1,60})['"]\s*\)\s*\.\s*(?:countdown|countDown|FlipClock|"""
                              r"""timer)\(\s*(?:['"]([^'"]{4,40})['"])?""")
CLOCK_DIGITS = re.compile(r"\d{1,3}\s*:\s*\d{1,2}\s*:\s*\d{1,2}(?:\s*:\s*\d{1,2})?")  # a timer's "00 : 00 : 00"


@dataclass(frozen=True, slots=True)
class Form:
    purpose: str  # "callback" | "newsletter" | "search" | "contact" | "order" | "login" | "other"
    fields: int  # fields a visitor fills in: not hidden, not buttons, not checkboxes; a radio group counts once
    action: str | None = None  # absolute URL the form submits to

    @property
    def is_callback(self) -> bool:
        """A "we call you back" form: a phone field and few others, or callback wording."""
        return self.purpose == "callback"


@dataclass(frozen=True, slots=True)
class Promo:
    kind: str  # "countdown" | "offer"
    text: str  # what the visitor reads, at most MAX_PROMO_CHARS
    deadline: str | None = None  # a countdown's end as the page gives it (data-countdown="2025-06-30 23:59")


# --- forms -------------------------------------------------------------------------------------------------------

def forms(tree: html.HtmlElement, base_url: str) -> list[Form]:
    """The page's forms in page order; alike ones (a listing's add-to-cart form per product) once."""
    found: dict[Form, None] = {}
    for form in islice(tree.iter("form"), MAX_FORMS_READ):
        if len(found) >= MAX_FORMS:
            break
        try:
            action = urljoin(base_url, form.get("action").strip()) if form.get("action", "").strip() else None
        except ValueError:
            action = None
        found.setdefault(Form(*_form_purpose(form), action=action))
    return list(found)


def _form_purpose(form: html.HtmlElement) -> tuple[str, int]:
    labels = {lab.get("for"): _text(lab) for lab in form.iter("label") if lab.get("for")}
    fields = 0
    radio_groups: set[str] = set()
    phone = email = password = textarea = search = False
    hints: list[str] = [form.get("id", ""), form.get("class", ""), form.get("name", ""), form.get("action", "")]
    for el in form.iter("input", "select", "textarea", "button"):
        kind = (el.get("type") or ("textarea" if el.tag == "textarea" else "text")).strip().lower()
        described = " ".join(_words(el.get(a, "")) for a in ("name", "id", "placeholder", "aria-label", "title",
                                                             "autocomplete", "value"))
        hints.append(described)
        if el.tag == "button" or kind in NOT_A_FIELD or not _visible(el, form):
            continue
        described = f"{described} {labels.get(el.get('id'), '')}".lower()
        if kind == "radio":
            if el.get("name") in radio_groups:
                continue
            radio_groups.add(el.get("name", ""))
        fields += 1
        phone = phone or kind == "tel" or bool(PHONE_FIELD.search(described))
        email = email or kind == "email" or bool(EMAIL_FIELD.search(described))
        password = password or kind == "password"
        textarea = textarea or el.tag == "textarea"
        search = search or kind == "search" or (el.tag == "input" and (el.get("name") or "").lower() in
                                                 SEARCH_FIELD_NAMES)
    context = " ".join(hints + [_text(form), _heading_before(form)]).lower()
    if password:
        return "login", fields
    if form.get("role") == "search" or (not phone and not email and not textarea and (
            search or (fields == 1 and SEARCH_WORDS.search(context)))):
        return "search", fields
    callback_words = bool(CALLBACK_WORDS.search(context))
    if phone and ((callback_words and fields <= 5) or (fields <= 3 and not email and not textarea)):
        return "callback", fields
    if email and fields <= 3 and not textarea and (NEWSLETTER_WORDS.search(context) or fields == 1):
        return "newsletter", fields
    if ORDER_WORDS.search(context):
        return "order", fields
    if textarea or CONTACT_WORDS.search(context) or (phone or email):
        return "contact", fields
    return "other", fields


def _visible(el: html.HtmlElement, form: html.HtmlElement) -> bool:
    """Neither the field nor a wrapper inside its form is hidden (a honeypot field is, for bots only); the form
    itself may be: a popup's form waits hidden until a visitor opens it."""
    node: html.HtmlElement | None = el
    while node is not None and node is not form:
        if (node.get("hidden") is not None or (node.get("aria-hidden") or "").lower() == "true"
                or HIDDEN_STYLE.search(node.get("style") or "")
                or HIDDEN_CLASSES.intersection((node.get("class") or "").lower().split())):
            return False
        node = node.getparent()
    return True


def _heading_before(form: html.HtmlElement) -> str:
    """The title a form is shown under: a short parent block's text, else the element just before the form."""
    parent = form.getparent()
    if parent is not None and parent.tag != "body":
        parent_text = _text(parent)
        if len(parent_text) <= 600:
            return parent_text
    previous = form.getprevious()
    return _text(previous)[:300] if previous is not None and isinstance(previous.tag, str) else ""


def _words(value: str | None) -> str:
    return " ".join(str(value or "").split())


# --- promos ------------------------------------------------------------------------------------------------------

def promos(tree: html.HtmlElement, visible: str) -> list[Promo]:
    """Countdown timers (markup, a script's target, or deadline wording) and special-offer banners; wording next to
    a timer or inside a banner already found is not reported again."""
    found: dict[str, Promo] = {}
    timers: list[html.HtmlElement] = []
    banners: list[html.HtmlElement] = []

    def add(kind: str, text: str, deadline: str | None = None) -> None:
        text = _short(text)
        if text and text.lower() not in found and len(found) < MAX_PROMOS:
            found[text.lower()] = Promo(kind, text, deadline)

    for el in MARKED(tree):
        marks = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
        if COUNTDOWN_MARK.search(marks) or any(el.get(a) is not None for a in COUNTDOWN_DATA_ATTRS):
            timers.append(el)
        elif (tokens := set(CLASS_TOKEN.findall(marks))) & BANNER_TOKENS and not tokens & NOT_BANNER_TOKENS:
            banners.append(el)
    timers = _outermost(_unrepeated(timers, keep_first=True))
    for el in timers[:MAX_PROMOS]:
        add("countdown", _promo_context(el), _deadline(el))
    for match in SCRIPT_COUNTDOWN.finditer(_inline_scripts(tree)):
        selector, deadline = match.groups()
        attr = "id" if selector[0] == "#" else "class"
        for el in tree.xpath(f"//*[contains(concat(' ', normalize-space(@{attr}), ' '), $name)]",
                             name=f" {selector[1:]} ")[:3]:
            timers.append(el)
            add("countdown", _promo_context(el), deadline or _deadline(el))
    for el in _outermost(_unrepeated(banners), accept=_is_offer):
        add("offer", _banner_text(el))
    if DEADLINE_WORDS.search(visible):
        for node in VISIBLE_TEXT_NODES(tree):
            if len(found) >= MAX_PROMOS:
                break
            if not DEADLINE_WORDS.search(node):
                continue
            el = node.getparent()
            if el is not None and node.is_tail:  # text after <strong>…</strong> belongs to the enclosing element
                el = el.getparent()
            if el is None or not _shown(el) or _near_timer(el, timers):
                continue
            text = _promo_context(el)
            if not any(text.lower() in seen or seen in text.lower() for seen in found):
                add("countdown", text)
    return list(found.values())


def _unrepeated(elements: list[html.HtmlElement], keep_first: bool = False) -> list[html.HtmlElement]:
    """Shown elements, less those whose class is on more than MAX_REPEATS of them: a grid's cards, not banners
    (`keep_first`: the first of them stays, a timer on every product card is still one countdown)."""
    counts = Counter(el.get("class") for el in elements if el.get("class"))
    seen: set[str] = set()
    kept = []
    for el in elements:
        cls = el.get("class")
        if cls and counts[cls] > MAX_REPEATS:
            if not keep_first or cls in seen:
                continue
            seen.add(cls)
        if _shown(el):
            kept.append(el)
    return kept


def _outermost(elements: list[html.HtmlElement], accept=lambda el: True) -> list[html.HtmlElement]:
    """Accepted elements in page order, none inside another accepted one (a banner and its own inner blocks)."""
    chosen: list[html.HtmlElement] = []
    chosen_set: set[html.HtmlElement] = set()
    for el in elements:
        if not any(a in chosen_set for a in el.iterancestors()) and accept(el):
            chosen.append(el)
            chosen_set.add(el)
    return chosen


def _near_timer(el: html.HtmlElement, timers: list[html.HtmlElement]) -> bool:
    """Deadline wording in the block of a timer already found ("До конца акции осталось:" beside the clock)."""
    parent = el.getparent()
    block = parent if parent is not None and parent.tag != "body" and len(_text(parent)) <= MAX_BANNER_CHARS else el
    return any(t is block or block in t.iterancestors() for t in timers)


def _is_offer(el: html.HtmlElement) -> bool:
    text = _banner_text(el)
    return MIN_BANNER_CHARS <= len(text) <= MAX_BANNER_CHARS and bool(OFFER_WORDS.search(text))


def _shown(el: html.HtmlElement) -> bool:
    return not any(isinstance(a.tag, str) and a.tag in NOT_SHOWN for a in el.iterancestors())


def _banner_text(el: html.HtmlElement) -> str:
    """What the banner says: its text, or its images' alt texts when it is a picture."""
    return _text(el) or _words(" ".join(str(alt) for alt in el.xpath(".//img/@alt")))


def _promo_context(el: html.HtmlElement) -> str:
    """A timer's digits are placeholders until a script runs ("00:00:00"): the label just before it, or the nearest
    enclosing block with words, says what ends."""
    own = CLOCK_DIGITS.sub(" ", _text(el))
    if _has_words(own):
        return _words(own)
    previous = el.getprevious()
    if previous is not None and isinstance(previous.tag, str) and _has_words(_text(previous)):
        return _text(previous)
    node: html.HtmlElement | None = el.getparent()
    for _ in range(2):
        if node is None or node.tag == "body":
            break
        if _has_words(text := _text(node)):
            return _words(CLOCK_DIGITS.sub(" ", text))
        node = node.getparent()
    return own or "countdown"


def _deadline(el: html.HtmlElement) -> str | None:
    for node in (el, *el.iterdescendants()):
        for attr in COUNTDOWN_ATTRS:
            value = _words(node.get(attr)) if isinstance(node.tag, str) else ""
            if value:
                return value[:40]
    return None


def _text(el: html.HtmlElement) -> str:
    """An element's visible text, words spaced (text_content() glues "Sale<br>-20%" into "Sale-20%")."""
    return _words(" ".join(VISIBLE_TEXT_IN(el)))[:MAX_SCAN_CHARS]


def _has_words(text: str) -> bool:
    return re.search(r"[^\W\d_]{3}", text) is not None


def _inline_scripts(tree: html.HtmlElement) -> str:
    return "\n".join(el.text for el in tree.iter("script") if el.text and not el.get("src"))[:MAX_SCAN_CHARS]


def _short(text: str) -> str:
    text = _words(text)
    if len(text) <= MAX_PROMO_CHARS:
        return text
    return text[:MAX_PROMO_CHARS].rsplit(" ", 1)[0] + "…"
