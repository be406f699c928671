"""Legal forms of companies, as written after or before a name ("Kranrad GmbH", "ООО «ГрузоВоз»"): the words a
tenders source drops before comparing a bidder's name with the competitor's legal names (extractors.tenders).
Data only: a new country is a line here. Each form is written as the normaliser leaves it: lower case, dots and
quotes dropped, one space between words.
"""
from __future__ import annotations

LEGAL_FORMS: frozenset[str] = frozenset({
    # Germany, Austria, Switzerland
    "gmbh", "gmbh & co kg", "gmbh & co", "gmbh co kg", "co kg", "kg", "ag", "ohg", "gbr", "ug", "ug haftungsbeschränkt",
    "e k", "ek", "e v", "ev", "kgaa", "se", "mbh", "gesellschaft mit beschränkter haftung", "aktiengesellschaft",
    "kommanditgesellschaft", "offene handelsgesellschaft",
    # English-speaking
    "ltd", "limited", "llc", "l l c", "inc", "incorporated", "corp", "corporation", "co", "company", "plc", "llp",
    "lp",
    # France, Belgium, Luxembourg
    "sa", "sas", "sasu", "sarl", "eurl", "sci", "snc", "sca", "scs", "sprl", "srl", "bv", "nv", "asbl",
    # Italy, Spain, Portugal
    "spa", "s p a", "srls", "sl", "slu", "s l u", "sau", "lda",
    # Netherlands, Nordics
    "b v", "n v", "vof", "ab", "oy", "oyj", "as", "asa", "aps", "a/s", "hf", "ehf",
    # Poland, Czechia, Slovakia, Hungary, Romania
    "sp z oo", "sp z o o", "spółka z ograniczoną odpowiedzialnością", "sp k", "sro", "s r o", "as", "kft", "zrt",
    "nyrt", "bt",
    # Russia, Belarus, Kazakhstan, Ukraine (Cyrillic and Latin)
    "ооо", "оао", "зао", "пао", "ао", "нао", "ип", "тоо", "тов", "пп", "чуп", "оду", "ooo", "oao", "zao", "pao", "ao",
    "общество с ограниченной ответственностью", "акционерное общество", "публичное акционерное общество",
    "закрытое акционерное общество", "открытое акционерное общество", "непубличное акционерное общество",
    "индивидуальный предприниматель",
})
