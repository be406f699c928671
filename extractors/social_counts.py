"""Data of counts as social networks print them ("1.2K", "12,3 тыс.", "1,5 Mio."): multiplier words and the
counter names of a Telegram channel's preview. Data only; `extractors/social_channels.py` holds the logic."""
from __future__ import annotations

# a word after the number, folded (lower case, trailing dot removed) -> its multiplier
MULTIPLIERS: dict[str, int] = {
    "k": 1_000, "thousand": 1_000, "tsd": 1_000, "tausend": 1_000, "тыс": 1_000, "тысяч": 1_000, "тысячи": 1_000,
    "m": 1_000_000, "mln": 1_000_000, "million": 1_000_000, "millionen": 1_000_000, "mio": 1_000_000,
    "млн": 1_000_000, "миллион": 1_000_000, "миллиона": 1_000_000, "миллионов": 1_000_000,
    "b": 1_000_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000, "mrd": 1_000_000_000,
    "млрд": 1_000_000_000,
}
# the counter of a Telegram preview's header that holds its audience ("1.2K subscribers"; a group: "members")
AUDIENCE_COUNTERS = frozenset({"subscriber", "subscribers", "member", "members", "подписчик", "подписчика",
                               "подписчиков", "участник", "участника", "участников", "abonnenten", "mitglieder"})
