"""Currency data: symbols and local spellings mapped to ISO 4217, and the currency a country domain or language implies.

Data only (as price-parser keeps `_currencies.py` apart from its parser); `extractors/prices.py` holds the logic.
"""
from __future__ import annotations

# ISO 4217 codes we accept verbatim when a page writes them (upper-case, as on a price tag).
ISO_CODES = frozenset("""
AED ARS AUD AZN BAM BDT BGN BHD BRL BYN CAD CHF CLP CNY COP CZK DKK DZD EGP EUR GBP GEL HKD HRK HUF IDR ILS INR IQD
IRR ISK JOD JPY KES KGS KRW KWD KZT LKR MAD MDL MKD MXN MYR NGN NOK NZD OMR PEN PHP PKR PLN QAR RON RSD RUB SAR SEK
SGD THB TND TRY TWD UAH USD UZS VND ZAR
""".split())

# Symbols and local spellings, longest first when matched (see prices.py). Keys are compared case-sensitively
# first, then lower-cased, so "руб." and "РУБ." both match. Ambiguous signs ("$", "kr", "R") are resolved
# by the page's context (AMBIGUOUS below).
SYMBOLS: dict[str, str] = {
    "€": "EUR", "euro": "EUR", "Euro": "EUR", "euros": "EUR", "eur": "EUR",
    "£": "GBP", "gbp": "GBP",
    "US$": "USD", "U$S": "USD", "USD$": "USD", "us dollars": "USD",
    "C$": "CAD", "CA$": "CAD", "CAD$": "CAD", "CAN$": "CAD",
    "A$": "AUD", "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "NT$": "TWD",
    "R$": "BRL",
    "MX$": "MXN",
    "₽": "RUB", "руб.": "RUB", "руб": "RUB", "рублей": "RUB", "рубля": "RUB", "рубль": "RUB", "р.": "RUB",
    "Р": "RUB", "р": "RUB", "rub": "RUB", "rur": "RUB",
    "₴": "UAH", "грн.": "UAH", "грн": "UAH", "Грн.": "UAH", "Грн": "UAH", "ГРН": "UAH", "гривень": "UAH",
    "гривні": "UAH", "гривня": "UAH", "гривна": "UAH", "гривен": "UAH",
    "Br": "BYN", "бел. руб.": "BYN", "byn": "BYN", "byr": "BYN",
    "тг.": "KZT", "тг": "KZT", "₸": "KZT", "тенге": "KZT",
    "сом": "KGS",
    "₼": "AZN", "₾": "GEL", "лв.": "BGN", "лв": "BGN", "ден.": "MKD", "дин.": "RSD", "din.": "RSD",
    "zł": "PLN", "Zł": "PLN", "ZŁ": "PLN", "zl": "PLN", "pln": "PLN", "złotych": "PLN", "złote": "PLN",
    "Kč": "CZK", "kč": "CZK", "KČ": "CZK", "Kc": "CZK", "czk": "CZK", "korun": "CZK",
    "Ft": "HUF", "ft": "HUF", "huf": "HUF",
    "Lei": "RON", "lei": "RON", "RON": "RON",
    "Kn": "HRK", "kn": "HRK",
    "CHF": "CHF", "Fr.": "CHF", "SFr.": "CHF",
    "₹": "INR", "Rs.": "INR", "Rs": "INR", "₨": "PKR", "rs": "INR",
    "₪": "ILS", "ש\"ח": "ILS", "ש״ח": "ILS",
    "¥": "JPY", "円": "JPY", "元": "CNY", "￥": "CNY", "rmb": "CNY",
    "₩": "KRW", "원": "KRW",
    "฿": "THB", "บาท": "THB",
    "₫": "VND", "đ": "VND",
    "₺": "TRY", "TL": "TRY",
    "₱": "PHP",
    "Rp": "IDR", "rp": "IDR",
    "RM": "MYR",
    "ر.س": "SAR", "ر.س.": "SAR", "ريال": "SAR", "sr": "SAR",
    "د.إ": "AED", "aed": "AED",
    "د.ك": "KWD", "ر.ق": "QAR", "ج.م": "EGP", "د.م.": "MAD",
    "₦": "NGN",
    "zar": "ZAR",
    "$": "USD", "kr": "SEK", "kr.": "DKK", ":-": "SEK",
}

# Signs shared by several currencies: resolved by the country domain when it names one of the candidates.
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "USD": ("USD", "CAD", "AUD", "NZD", "CLP", "ARS", "MXN", "COP", "TWD", "SGD", "HKD", "UYU"),  # "$"
    "SEK": ("SEK", "NOK", "DKK", "ISK"),  # "kr"
    "DKK": ("DKK", "SEK", "NOK", "ISK"),  # "kr."
    "INR": ("INR", "PKR", "LKR", "NPR"),  # "Rs"
    "RUB": ("RUB", "BYN"),  # "р." is also used in Belarus
    "JPY": ("JPY", "CNY"),
}
AMBIGUOUS_SIGNS = frozenset({"$", "kr", "kr.", "Rs", "Rs.", "rs", "р.", "р", "Р", "¥", "Br", ":-"})

# Country-code top-level domain -> local currency (the last resort when a page names no currency).
TLD_CURRENCY: dict[str, str] = {
    "ru": "RUB", "рф": "RUB", "su": "RUB", "by": "BYN", "kz": "KZT", "ua": "UAH", "kg": "KGS", "uz": "UZS",
    "am": "AMD", "az": "AZN", "ge": "GEL", "md": "MDL",
    "de": "EUR", "at": "EUR", "fr": "EUR", "it": "EUR", "es": "EUR", "pt": "EUR", "nl": "EUR", "be": "EUR",
    "ie": "EUR", "fi": "EUR", "gr": "EUR", "sk": "EUR", "si": "EUR", "ee": "EUR", "lv": "EUR", "lt": "EUR",
    "lu": "EUR", "mt": "EUR", "cy": "EUR", "hr": "EUR",
    "uk": "GBP", "ch": "CHF", "li": "CHF", "pl": "PLN", "cz": "CZK", "hu": "HUF", "ro": "RON", "bg": "BGN",
    "rs": "RSD", "mk": "MKD", "ba": "BAM", "se": "SEK", "no": "NOK", "dk": "DKK", "is": "ISK", "tr": "TRY",
    "us": "USD", "ca": "CAD", "au": "AUD", "nz": "NZD", "mx": "MXN", "br": "BRL", "ar": "ARS", "cl": "CLP",
    "co": "COP", "pe": "PEN", "uy": "UYU",
    "in": "INR", "pk": "PKR", "lk": "LKR", "bd": "BDT", "cn": "CNY", "hk": "HKD", "tw": "TWD", "jp": "JPY",
    "kr": "KRW", "sg": "SGD", "my": "MYR", "id": "IDR", "th": "THB", "vn": "VND", "ph": "PHP",
    "il": "ILS", "sa": "SAR", "ae": "AED", "qa": "QAR", "kw": "KWD", "eg": "EGP", "ma": "MAD", "za": "ZAR",
    "ng": "NGN", "ke": "KES",
}

# Language (html lang / og:locale) -> currency, only where a language is spoken mainly in one currency area.
LANG_CURRENCY: dict[str, str] = {
    "ru": "RUB", "uk": "UAH", "be": "BYN", "kk": "KZT", "pl": "PLN", "cs": "CZK", "hu": "HUF", "ro": "RON",
    "bg": "BGN", "tr": "TRY", "ja": "JPY", "ko": "KRW", "th": "THB", "vi": "VND", "he": "ILS", "da": "DKK",
    "sv": "SEK", "nb": "NOK", "no": "NOK", "is": "ISK", "fi": "EUR", "et": "EUR", "lv": "EUR", "lt": "EUR",
    "sk": "EUR", "sl": "EUR", "el": "EUR", "it": "EUR", "de": "EUR", "fr": "EUR", "nl": "EUR", "hr": "EUR",
    "en-gb": "GBP", "en-us": "USD", "en-ca": "CAD", "en-au": "AUD", "en-nz": "NZD", "en-in": "INR",
    "de-ch": "CHF", "fr-ch": "CHF", "pt-br": "BRL", "es-mx": "MXN", "es-ar": "ARS", "es-cl": "CLP",
    "de-de": "EUR", "de-at": "EUR", "ru-ru": "RUB", "ru-by": "BYN", "ru-kz": "KZT",
    "pt-pt": "EUR", "es-es": "EUR", "nl-be": "EUR", "fr-be": "EUR", "fr-ca": "CAD", "it-ch": "CHF",
}

# The decimal separator of a locale's numbers (CLDR, as Babel's `get_decimal_symbol` gives it): a price whose one
# separator is followed by three digits ("1,299", "1.299") is read by it — "1,299 €" on a French page is 1.299,
# "1.299 TL" on a Turkish one 1299. Language (html lang) first, then the country domain's main language.
DECIMAL_COMMA = ","
DECIMAL_POINT = "."
LANG_DECIMAL: dict[str, str] = {
    **dict.fromkeys(("ru", "uk", "be", "kk", "pl", "cs", "sk", "sl", "hr", "bg", "ro", "hu", "de", "fr", "it", "es",
                     "pt", "nl", "tr", "da", "sv", "nb", "no", "fi", "et", "lv", "lt", "el", "is", "vi", "id",
                     "de-at", "de-de", "fr-be", "fr-ca", "fr-ch", "nl-be", "pt-br", "pt-pt", "es-es", "es-ar", "es-cl",
                     "es-co", "es-uy", "en-za", "ru-ru", "ru-by", "ru-kz"), DECIMAL_COMMA),
    **dict.fromkeys(("en", "en-us", "en-gb", "en-ca", "en-au", "en-nz", "en-ie", "en-in", "en-sg", "de-ch", "de-li",
                     "it-ch", "es-mx", "es-us", "es-419", "es-pe", "ja", "ko", "zh", "he", "th", "hi", "ms", "ar"),
                    DECIMAL_POINT),
}
TLD_DECIMAL: dict[str, str] = {
    **dict.fromkeys(("ru", "рф", "su", "by", "kz", "ua", "kg", "uz", "am", "az", "ge", "md", "de", "at", "fr", "it",
                     "es", "pt", "nl", "be", "fi", "gr", "sk", "si", "ee", "lv", "lt", "lu", "cy", "hr", "pl", "cz",
                     "hu", "ro", "bg", "rs", "mk", "ba", "se", "no", "dk", "is", "tr", "br", "ar", "cl", "co", "uy",
                     "id", "vn", "za"), DECIMAL_COMMA),
    **dict.fromkeys(("ie", "mt", "uk", "ch", "li", "us", "ca", "au", "nz", "mx", "pe", "in", "pk", "lk", "bd", "cn",
                     "hk", "tw", "jp", "kr", "sg", "my", "th", "ph", "il", "sa", "ae", "qa", "kw", "eg", "ng", "ke"),
                    DECIMAL_POINT),
}
