"""Contact channels of a page: phones, e-mails, social profiles (also read by `extract_page`), and with
`extract_contacts` the ways a visitor is led to get in touch: messenger links, chat and callback widgets, forms,
special-offer banners and countdowns."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import phonenumbers
from lxml import etree, html

from extractors.conversion import MAX_SCAN_CHARS, Form, Promo, forms, promos
from extractors.document import Document, as_document
from extractors.records import Technology
from extractors.social import NOT_PROFILE_PATHS, SOCIAL_HOSTS
from extractors.technologies import detect_technologies

log = logging.getLogger(__name__)

MAX_ITEMS = 50
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}"
                    r"(?![\w-])")
_NOT_EMAIL_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "ico"})
# An international number (+49 621 1234-56), a Russian 8 (800) 555-35-35, or any number right after a phone label.
_PHONE = re.compile(
    r"(?<![\w+])(\+\d{1,3}[\s.\-]?\(?\d{1,5}\)?(?:[\s.\-]?\d{2,5}){1,4})(?!\d)"
    r"|(?<!\d)(8\s?\(\d{3,5}\)\s?\d{1,3}[\s\-]?\d{2}[\s\-]?\d{2})(?!\d)"
    r"|(?:tel|telefon|phone|fon|тел|телефон|hotline)\.?\s*:?\s*(\(?\d[\d\s()/.\-]{5,18}\d)",
    re.IGNORECASE,
)


def normalise_phone(raw: str) -> str | None:
    """`+49 (621) 123-45` -> `+4962112345`; None for fewer than 7 or more than 15 digits (not a phone)."""
    raw = unquote(raw).strip()
    digits = "".join(c for c in raw if c.isdigit())
    if not 7 <= len(digits) <= 15:
        return None
    if raw.startswith("+"):
        return "+" + digits
    if raw.startswith("00"):
        return "+" + digits[2:]
    return digits


def _add(items: list[str], value: str | None) -> None:
    if value and value not in items and len(items) < MAX_ITEMS:
        items.append(value)


def phones(tree: html.HtmlElement, visible_text: str) -> list[str]:
    found: list[str] = []
    for href in tree.xpath("//a[starts-with(translate(@href, 'TEL', 'tel'), 'tel:')]/@href")[:MAX_ITEMS]:
        _add(found, normalise_phone(str(href)[4:].split("?")[0]))
    for match in _PHONE.finditer(visible_text[:MAX_SCAN_CHARS]):
        _add(found, normalise_phone(next(g for g in match.groups() if g)))
    return found


def emails(tree: html.HtmlElement, visible_text: str) -> list[str]:
    found: list[str] = []
    for href in tree.xpath("//a[starts-with(translate(@href, 'MAILTO', 'mailto'), 'mailto:')]/@href")[:MAX_ITEMS]:
        address = unquote(str(href)[7:].split("?")[0]).strip().lower()
        if _EMAIL.fullmatch(address):
            _add(found, address)
    for match in _EMAIL.finditer(visible_text[:MAX_SCAN_CHARS]):
        address = match.group(0).lower()
        if address.rsplit(".", 1)[-1] not in _NOT_EMAIL_TLDS:
            _add(found, address)
    return found


def social_links(tree: html.HtmlElement, base_url: str) -> list[str]:
    found: list[str] = []
    for href in tree.xpath("//a/@href")[:20000]:
        try:
            link = urljoin(base_url, str(href).strip())
            parts = urlsplit(link)
        except ValueError:
            continue
        host = (parts.hostname or "").lower()
        for prefix in ("www.", "m.", "mobile.", "de.", "ru.", "en."):
            host = host.removeprefix(prefix)
        if parts.scheme not in ("http", "https") or host not in SOCIAL_HOSTS:
            continue
        path = parts.path.rstrip("/")
        if not path or path.startswith(NOT_PROFILE_PATHS) or path.endswith(".php"):
            continue
        _add(found, f"https://{host}{path}")
    return found


# --- extract_contacts: the record and its data tables -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MessengerLink:
    messenger: str  # "whatsapp" | "telegram" | "viber" | "vk" | "facebook_messenger"
    contact: str  # whom the link writes to: "+79161234567", "@kranrad_support", "club123456", "kranrad"
    url: str  # the link as the page has it, made absolute


@dataclass(frozen=True, slots=True)
class Widget:
    name: str  # the technology's name in extractors/data/technologies ("JivoChat", "Calltouch", "Marquiz")
    kind: str  # "chat" | "callback" | "call_tracking" | "quiz"
    evidence: str | None = None



@dataclass(frozen=True, slots=True)
class ContactChannels:
    phones: list[str] = field(default_factory=list)  # E.164 where the country is known, else the digits as written
    emails: list[str] = field(default_factory=list)
    messengers: list[MessengerLink] = field(default_factory=list)
    widgets: list[Widget] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    promos: list[Promo] = field(default_factory=list)
    region: str | None = None  # ISO 3166 country national numbers were read in (from the TLD, else the language)

    def entries(self) -> list[tuple[str, str, str]]:
        """The channels as (kind, value, label) rows: `value` is the identity a diff compares (a phone in E.164,
        "whatsapp:+49…", a widget's name, "callback form:3 fields"), `label` what a summary lists ("WhatsApp")."""
        rows = [("phone", phone, "phone") for phone in self.phones]
        rows += [("email", email, "e-mail") for email in self.emails]
        rows += [("messenger", f"{m.messenger}:{m.contact}", MESSENGER_NAMES.get(m.messenger, m.messenger))
                 for m in self.messengers]
        rows += [("widget", w.name, w.name) for w in self.widgets]
        rows += [("form", f"{f.purpose} form:{f.fields} fields", f"{f.purpose} form") for f in self.forms
                 if f.purpose in CHANNEL_FORMS]
        rows += [("promo", " ".join(COUNTDOWN_DIGITS.sub(" ", p.text).split()), p.deadline or p.kind)
                 for p in self.promos]
        return rows


# A countdown's ticking digits ("ends in 02:13:45:09"): not part of what the offer is, or it would be new each night.
COUNTDOWN_DIGITS = re.compile(r"\b\d{1,3}(?:\s*:\s*\d{2}){1,3}\b")
MESSENGER_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram", "viber": "Viber", "vk": "VK",
                   "facebook_messenger": "Messenger"}
# Forms that are a way to reach the competitor (a search or login form is not).
CHANNEL_FORMS = frozenset({"callback", "contact", "order", "newsletter"})
# Country-code TLDs that are sold as generic names (.io, .co, .me): they say nothing about the phone country.
GENERIC_CCTLDS = frozenset({"io", "co", "me", "tv", "ai", "ly", "fm", "gg", "to", "cc", "ws", "sh", "ac", "la", "so"})
TLD_REGIONS = {"uk": "GB", "su": "RU", "xn--p1ai": "RU", "xn--90ais": "BY", "xn--80ao21a": "KZ", "xn--j1amh": "UA"}
LANG_REGIONS = {"ru": "RU", "de": "DE", "uk": "UA", "be": "BY", "kk": "KZ", "pl": "PL", "cs": "CZ", "fr": "FR",
                "it": "IT", "es": "ES", "nl": "NL"}  # no "en": it names no country
# Technologies that are conversion widgets though not in the "Live chat" category (whose members are all chats).
WIDGET_KINDS = {"Calltouch": "call_tracking", "Comagic": "call_tracking", "CallbackHunter": "callback",
                "Envybox": "callback", "Marquiz": "quiz", "Bitrix24 Widget": "chat"}
CHAT_CATEGORY = "Live chat"
# A cheap first look at each link before it is parsed: every messenger link has one of these.
MESSENGER_HINT = re.compile(r"wa\.me|whatsapp|t\.me|telegram|tg:|viber|vk\.|m\.me|messenger\.com", re.IGNORECASE)
TELEGRAM_NOT_CONTACT = frozenset({"share", "iv", "addstickers", "addemoji", "proxy", "socks", "setlanguage"})

# Form wording, lower-cased stems, ru/de/en. Callback first: "заказать звонок" also contains an order word.
# Cloudflare's e-mail obfuscation: the address XOR-ed with the first byte, hex-encoded.
CFEMAIL_XPATH = etree.XPath("//*[@data-cfemail]/@data-cfemail | //a[contains(@href, '/cdn-cgi/l/email-protection#')]"
                            "/@href")


def extract_contacts(body: str | bytes | Document | None, url: str,
                     technologies: list[Technology] | None = None) -> ContactChannels:
    """How the page lets a visitor get in touch; `technologies` is what `detect_technologies` already found on it
    (detected here when not given). Never raises: bad input gives an empty record."""
    try:
        document = as_document(body, url)
        if document.tree is None:
            return ContactChannels()
        return _contacts(document, url or "", technologies)
    except Exception as exc:  # the contract: a hostile page gives an empty record, the crawl goes on
        log.debug("contact channels unreadable on %s: %r", url, exc)
        return ContactChannels()


def _contacts(document: Document, url: str, technologies: list[Technology] | None) -> ContactChannels:
    tree = document.tree
    text = document.visible_text  # computed once per page, shared with extract_page
    region = phone_region(tree, url)
    found_phones: list[str] = []
    for raw in phones(tree, text):
        _add(found_phones, to_e164(raw, region))
    found_emails = emails(tree, text)
    for encoded in CFEMAIL_XPATH(tree)[:MAX_ITEMS]:
        _add(found_emails, decode_cfemail(str(encoded).rsplit("#", 1)[-1]))
    if technologies is None:
        technologies = detect_technologies(document, url, document.headers)
    return ContactChannels(
        phones=found_phones,
        emails=found_emails,
        messengers=messenger_links(tree, url, region),
        widgets=widgets(technologies),
        forms=forms(tree, url),
        promos=promos(tree, text),
        region=region,
    )


# --- phones and e-mails ------------------------------------------------------------------------------------------

def phone_region(tree: html.HtmlElement, url: str) -> str | None:
    """The country a national number on this page is dialled in: a country TLD, else the page's language."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    region = TLD_REGIONS.get(tld) or (tld.upper() if len(tld) == 2 and tld not in GENERIC_CCTLDS else None)
    if region in phonenumbers.SUPPORTED_REGIONS:
        return region
    lang = tree.get("lang") or tree.get("xml:lang") or ""
    if not lang:
        found = tree.xpath("//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')="
                           "'content-language']/@content")
        lang = str(found[0]) if found else ""
    primary, _, subtag = lang.strip().replace("_", "-").partition("-")
    subtag = subtag.split("-")[0].upper()
    if len(subtag) == 2 and subtag in phonenumbers.SUPPORTED_REGIONS:
        return subtag
    return LANG_REGIONS.get(primary.lower())


def to_e164(number: str | None, region: str | None) -> str | None:
    """`88005553535` read in RU -> `+78005553535`; None when it is no valid number of that country. A national
    number on a page of unknown country is kept as written (digits), since its country cannot be told."""
    if not number:
        return None
    if not number.startswith("+") and region is None:
        return number
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def international(digits: str, region: str | None) -> str:
    """A messenger's number (written without "+", sometimes in national form: wa.me/89161234567) as E.164."""
    national = to_e164(digits, region) if region else None
    return to_e164("+" + digits, None) or national or "+" + digits


def decode_cfemail(encoded: str) -> str | None:
    try:
        data = bytes.fromhex(encoded)
    except ValueError:
        return None
    if len(data) < 2:
        return None
    address = bytes(b ^ data[0] for b in data[1:]).decode("utf-8", "replace").lower()
    return address if _EMAIL.fullmatch(address) else None


# --- messengers --------------------------------------------------------------------------------------------------

def messenger_links(tree: html.HtmlElement, base_url: str, region: str | None) -> list[MessengerLink]:
    found: dict[tuple[str, str], MessengerLink] = {}
    for href in tree.xpath("//a/@href")[:20000]:
        if not MESSENGER_HINT.search(href):
            continue
        try:
            link = urljoin(base_url, str(href).strip())
            found_link = messenger_link(link, region)
        except ValueError:
            continue
        if found_link and len(found) < MAX_ITEMS:
            found.setdefault((found_link.messenger, found_link.contact), found_link)
    return list(found.values())


def messenger_link(link: str, region: str | None = None) -> MessengerLink | None:
    """The messenger chat a link opens, or None: wa.me, api.whatsapp.com, t.me, tg://, viber://, vk.me, m.me."""
    parts = urlsplit(link)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix) and host.count(".") > 1:  # m.vk.com is vk.com, m.me stays m.me
            host = host[len(prefix):]
    segments = [unquote(s) for s in parts.path.split("/") if s]
    first = segments[0] if segments else ""
    query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
    digits = "".join(c for c in query.get("phone") or query.get("number") or "" if c.isdigit())

    def chat(messenger: str, contact: str) -> MessengerLink | None:
        return MessengerLink(messenger, contact, link) if contact else None

    if host == "wa.me" or scheme == "whatsapp" or (host in ("api.whatsapp.com", "web.whatsapp.com") and
                                                   first == "send"):
        number = first if host == "wa.me" and first.isdigit() else digits
        if number and 7 <= len(number) <= 15:
            return chat("whatsapp", international(number, region))
        return chat("whatsapp", "/".join(segments)) if host == "wa.me" else None
    if host in ("t.me", "telegram.me", "telegram.dog") and first.lower() not in TELEGRAM_NOT_CONTACT:
        if first.startswith("+") or first.lower() == "joinchat":
            return chat("telegram", "/".join(segments))
        return chat("telegram", "@" + first.lower()) if re.fullmatch(r"\w{4,32}", first) else None
    if scheme == "tg" and query.get("domain"):
        return chat("telegram", "@" + query["domain"].lower())
    if scheme == "viber":
        if digits:
            return chat("viber", international(digits, region))
        return chat("viber", query.get("chaturi", ""))
    if host == "vk.me":
        return chat("vk", first.lower())
    if host in ("vk.com", "vk.ru"):  # vk.com/im?sel=-123 and vk.com/write-123 write to community 123
        target = (query.get("sel", "") if first == "im" else first[5:] if first.startswith("write") else "").strip()
        if re.fullmatch(r"-?\d+", target):
            return chat("vk", f"club{target[1:]}" if target.startswith("-") else f"id{target}")
        return None
    if host == "m.me" or (host == "messenger.com" and first == "t" and len(segments) > 1):
        return chat("facebook_messenger", (segments[1] if host == "messenger.com" else first).lower())
    return None


# --- widgets -----------------------------------------------------------------------------------------------------

def widgets(technologies: list[Technology]) -> list[Widget]:
    """The chat, callback and quiz widgets among the page's technologies (the fingerprints are the one list)."""
    found: list[Widget] = []
    for tech in technologies:
        kind = WIDGET_KINDS.get(tech.name) or ("chat" if CHAT_CATEGORY in tech.categories else None)
        if kind:
            found.append(Widget(tech.name, kind, tech.evidence))
    return found

