"""Passwords in connection URLs (database, SMTP, Redis): checked before a parser can misread them, never echoed.

A password holding `/`, `?` or `#` that is not percent-encoded ends the URL's authority early: a parser then
takes the rest of it for the port, the path or the query, and its error message would show that part.
"""
from __future__ import annotations

MASK = "***"
SPILLING = "/?#"  # characters that end a URL's authority


def _userinfo(url: str) -> tuple[str, str, str] | None:
    """(scheme, user:password, what follows the last '@') of a URL with an authority and a '@', else None."""
    scheme, separator, rest = url.partition("://")
    if not separator or rest.startswith("/") or "@" not in rest:
        return None
    userinfo, _, after = rest.rpartition("@")
    return scheme, userinfo, after


def hide_password(url: str) -> str:
    """The URL with everything between `user:` and the last '@' replaced by ***; made to be shown, not used.

    Cruder than a parser on purpose: a URL a parser misreads is masked all the same."""
    parts = _userinfo(url)
    if parts is None:
        return f"{MASK}@{url.rpartition('@')[2]}" if "@" in url and "://" not in url else url
    scheme, userinfo, after = parts
    user, colon, _ = userinfo.partition(":")
    if not colon:
        return url if not any(ch in userinfo for ch in SPILLING + "@") else f"{scheme}://{MASK}@{after}"
    return f"{scheme}://{user}:{MASK}@{after}"


def unencoded_userinfo(url: str, also: str = "") -> str | None:
    """Why the user or password of the URL would be misread (a '/', '?' or '#', or one of `also`, not
    percent-encoded), as a phrase naming the fix; None when it is fine or there is none."""
    parts = _userinfo(url)
    if parts is None:
        return None
    found = sorted({ch for ch in parts[1] if ch in SPILLING + also})
    if not found:
        return None
    codes = ", ".join(f"{ch!r} as %{ord(ch):02X}" for ch in found)
    return f"the user or password holds {' and '.join(repr(ch) for ch in found)}: percent-encode it ({codes})"
