"""Canonical URLs: one spelling per page, without tracking, cache-busting or session parameters.
Used to key pages and URL-keyed products, so that `?utm_source=…` or a new session id is not a new page."""
from __future__ import annotations

import re
from ipaddress import ip_address
from urllib.parse import (
    parse_qsl,
    quote,
    unquote,
    urlencode,
    urljoin,
    urlsplit,
    urlunsplit,
)

# Query parameters that never name a different page: tracking, cache-busting and session ids.
DROPPED_PARAMS = frozenset({
    "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid", "ysclid", "mc_cid", "mc_eid",
    "_ga", "_gl", "igshid", "v", "ver", "_", "cb", "cachebust", "cachebuster", "timestamp", "ts",
    "phpsessid", "jsessionid", "sid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken",
})
DROPPED_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
# ;jsessionid=… in the path (Java servlets) and similar matrix-parameter session ids
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid|sessionid)=[^/?#]*", re.I)
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_dropped(name: str) -> bool:
    lowered = name.lower()
    return lowered in DROPPED_PARAMS or lowered.startswith(DROPPED_PREFIXES)


def canonical_url(url: str) -> str:
    """The URL with scheme and host lower-cased, default port, fragment and noise parameters dropped, the rest
    of the query sorted. Anything that is not an absolute http(s) URL is returned unchanged (stripped)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    path = _PATH_SESSION.sub("", parts.path) or "/"
    path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~%")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_dropped(k))
    return urlunsplit((scheme, netloc, path, urlencode(query, quote_via=quote, safe="/:@!$'()*+,;-._~"), ""))


def origin(url: str) -> str:
    """scheme://host[:port] of a URL: where its robots.txt and sitemap.xml are."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_url_key(key: str) -> bool:
    """A product key that is its URL (no SKU, GTIN or MPN was read for it)."""
    return key[:7].lower() == "http://" or key[:8].lower() == "https://"


def canonical_key(key: str) -> str:
    """A product key as compared: a URL key canonicalised, a SKU or content hash as it is."""
    return canonical_url(key) if is_url_key(key) else key


def web_link(href: str | None, base: str) -> str | None:
    """`href` made absolute against `base` when it leads to a web page (http or https), else None: a scraped
    `JavaScript:…`, ` data:…` or `mailto:` link is no product URL, whatever its case or leading blanks."""
    if not href or not href.strip() or href.strip().startswith("#"):
        return None
    try:
        link = urljoin(base, href.strip())
        scheme = urlsplit(link).scheme.lower()
    except ValueError:
        return None
    return link if scheme in ("http", "https") else None


def site_domain(url: str) -> str | None:
    """What names a competitor's site in a link: its host; for an address (a loopback or private site, as in the
    demo) the address with its port, which alone tells such sites apart."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    try:
        ip_address(host)
    except ValueError:
        if host != "localhost":
            return host.removeprefix("www.")  # www.kranrad.de: kranrad.de and its every subdomain
    return f"{host}:{port}" if port else None  # a bare address or localhost names no one
