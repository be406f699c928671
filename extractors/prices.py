"""Price strings and structured amounts -> Decimal, and currency signs -> ISO 4217 (resolved by page context)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urlsplit

from price_parser import Price

from extractors.currencies import (AMBIGUOUS, AMBIGUOUS_SIGNS, ISO_CODES, LANG_CURRENCY, LANG_DECIMAL, SYMBOLS,
                                   TLD_CURRENCY, TLD_DECIMAL)

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("1e12")  # beyond this a "price" is an id, a phone number or a year run together
PLAIN_NUMBER = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,6})?)\s*$")
THOUSANDS_ONLY = re.compile(r"^\s*\d{1,3}(?:\.\d{3})+\s*$")
# An amount whose one separator is followed by three digits: a thousands group ("1.299 TL") or decimals ("1,299 €"
# on a French page); price-parser takes it for a group, the page's locale decides (Context.decimal_separator).
ONE_GROUP = re.compile(r"^(\d{1,3})([.,])\d{3}$")
_SIGNS_BY_LENGTH = sorted(SYMBOLS, key=len, reverse=True)
_CODE_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(ISO_CODES)) + r")(?![A-Za-z])")
# Lower-case spellings that are also common words or units ("5 ft") are only mapped, never searched for.
_UNSEARCHED = frozenset({"ft", "sr", "rp", "rs", "tl", "eur", "pln", "czk", "huf", "rub", "rur", "gbp", "aed",
                         "zar", "rmb", "byn", "byr"})


def _sign_pattern(sign: str) -> str:
    return (r"(?<!\w)" if sign[0].isalnum() else "") + re.escape(sign) + (r"(?!\w)" if sign[-1].isalnum() else "")


_SIGN_RE = re.compile("|".join(_sign_pattern(s) for s in _SIGNS_BY_LENGTH if s not in _UNSEARCHED))


@dataclass(frozen=True, slots=True)
class ParsedPrice:
    amount: Decimal | None
    currency: str | None  # ISO 4217
    sign: str | None  # as written, e.g. "руб." or "$"


def _sane(amount: Decimal | None) -> Decimal | None:
    if amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        return None
    return amount


def to_decimal(value: object, decimal_separator: str | None = None) -> Decimal | None:
    """A structured amount (`489`, `489.0`, `"489.00"`, `"1.249,00"`) as Decimal; never goes through float maths."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _sane(Decimal(value))
    if isinstance(value, float):
        return _sane(Decimal(repr(value)))  # repr is the shortest round-trip text: 489.99, not 489.990000001
    text = str(value)
    match = PLAIN_NUMBER.match(text)
    # schema.org amounts use a decimal point; only "1.249" under a "," source is a thousands group
    if match and not (decimal_separator == "," and THOUSANDS_ONLY.match(text)):
        return _sane(Decimal(match.group(1)))
    return parse_price(text, decimal_separator=decimal_separator).amount


def parse_price(text: str | None, currency_hint: str | None = None, decimal_separator: str | None = None,
                context: Context | None = None) -> ParsedPrice:
    """Amount and currency of a visible price string (`1 299,00 ₽`, `12,99 €`, `US$ 5`)."""
    if not text:
        return ParsedPrice(None, None, None)
    text = text[:300]
    try:
        price = Price.fromstring(text, currency_hint=currency_hint, decimal_separator=decimal_separator)
        separator = _locale_decimal(price.amount_text, context) if decimal_separator is None else None
        if separator:
            price = Price.fromstring(text, currency_hint=currency_hint, decimal_separator=separator)
    except (ValueError, InvalidOperation, ArithmeticError) as exc:
        log.debug("price unreadable: %r: %r", text, exc)
        return ParsedPrice(None, None, None)
    sign = price.currency
    if sign and not (_stands_alone(sign, text) or (currency_hint and _stands_alone(sign, currency_hint))):
        sign = None  # a letter inside a word ("Р" of "ГРН", "р" of "гривень") is no currency sign
    sign = sign or find_sign(text)
    if currency_hint and not sign:
        sign = find_sign(currency_hint)
    return ParsedPrice(_sane(price.amount), iso_currency(sign, context), sign)


def _locale_decimal(amount_text: str | None, context: Context | None) -> str | None:
    """The separator of "1,299" / "1.299" when it is the decimal one: after a leading 0 always ("0,299 €"), else
    when it is the decimal separator of the page's locale ("1,299 €" on a French page; "1.299 TL" stays 1299)."""
    match = ONE_GROUP.match((amount_text or "").strip())
    if not match:
        return None
    separator = match.group(2)
    if match.group(1) == "0":
        return separator
    return separator if context is not None and context.decimal_separator() == separator == "," else None


def _stands_alone(sign: str, text: str) -> bool:
    """`sign` is written in `text` not run into letters: "1 299 Kč", "R$5", "TL'den", but not the "р" of "гривень"."""
    if not (sign[0].isalpha() or sign[-1].isalpha()):
        return sign in text
    return _alone_re(sign).search(text) is not None


@lru_cache(maxsize=512)
def _alone_re(sign: str) -> re.Pattern[str]:
    return re.compile((r"(?<![^\W\d_])" if sign[0].isalpha() else "") + re.escape(sign)
                      + (r"(?![^\W\d_])" if sign[-1].isalpha() else ""))


@dataclass(frozen=True, slots=True)
class Context:
    """What a page says about its currency besides the price string: used for bare or ambiguous signs."""

    declared: str | None = None  # ISO from structured data (priceCurrency, product:price:currency)
    tld: str | None = None  # country-code domain
    lang: str | None = None  # html lang, lower-cased

    @classmethod
    def of(cls, url: str, declared: str | None = None, lang: str | None = None) -> Context:
        host = (urlsplit(url).hostname or "") if url else ""
        tld = host.rsplit(".", 1)[-1].lower() if "." in host else None
        return cls(declared=declared, tld=tld, lang=(lang or "").lower().replace("_", "-") or None)

    def fallback(self) -> str | None:
        """The currency of a price with no sign at all: declared, else the domain's, else the language's."""
        if self.declared:
            return self.declared
        if self.tld and self.tld in TLD_CURRENCY:
            return TLD_CURRENCY[self.tld]
        if self.lang:
            return LANG_CURRENCY.get(self.lang) or LANG_CURRENCY.get(self.lang.split("-")[0])
        return None

    def decimal_separator(self) -> str | None:
        """The decimal separator of the page's locale (CLDR): its language's, else its country domain's."""
        if self.lang:
            found = LANG_DECIMAL.get(self.lang) or LANG_DECIMAL.get(self.lang.split("-")[0])
            if found:
                return found
        return TLD_DECIMAL.get(self.tld or "")


def find_sign(text: str | None) -> str | None:
    """The first currency code or sign written in `text`, as written."""
    if not text:
        return None
    match = _CODE_RE.search(text[:300])
    if match:
        return match.group(1)
    match = _SIGN_RE.search(text[:300])
    return match.group(0) if match else None


def iso_currency(sign: str | None, context: Context | None = None) -> str | None:
    """`€` -> EUR, `руб.` -> RUB, `$` on a .ca site -> CAD; None when `sign` is no currency we know."""
    if not sign:
        return None
    sign = sign.strip()
    upper = sign.upper().rstrip(".")
    if upper in ISO_CODES:
        return upper
    iso = SYMBOLS.get(sign) or SYMBOLS.get(sign.lower()) or SYMBOLS.get(sign.lower().rstrip("."))
    if iso is None:
        return None
    if context is not None and (sign in AMBIGUOUS_SIGNS or sign.lower() in AMBIGUOUS_SIGNS):
        candidates = AMBIGUOUS.get(iso, (iso,))
        for guess in (context.declared, TLD_CURRENCY.get(context.tld or "")):
            if guess in candidates:
                return guess
    return iso
