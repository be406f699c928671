"""The competitors.yaml schema (pydantic) and its loader; every field's description feeds docs/config.md."""
from __future__ import annotations

import ipaddress
import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal
from urllib.parse import parse_qs, urlsplit

import yaml
from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator,
)

from dossier.errors import ConfigError
from dossier.severity import SEVERITIES
from dossier.urls import site_domain

SourceKind = Literal["site", "catalog", "reviews", "ads", "marketplace", "jobs", "newsletter", "mentions", "tenders",
                     "social"]
SocialNetwork = Literal["telegram", "youtube", "vk"]
# the address a VK community is read from (the VK API; its token from DOSSIER_VK_TOKEN)
VK_WALL_URL = "https://api.vk.com/method/wall.get?domain=NAME&extended=1&fields=members_count&count=20&v=5.199"
# the kinds whose hosts are the competitor's own sites: a feed item linking to one mentions it (kind: mentions)
SITE_KINDS = ("site", "catalog", "jobs")
MAX_NAME = 120  # characters of a name a mentions source looks for
MAILBOX_SCHEMES = ("imaps", "maildir", "mbox")
AD_FORMATS = ("meta_ad_library", "html")
TENDER_FORMATS = ("ted", "eis")
# a tenders source's format where its host says it (any other host, a mirror or the demo's, names it)
TENDER_HOSTS = {"api.ted.europa.eu": "ted", "ted.europa.eu": "ted", "zakupki.gov.ru": "eis"}
MAX_TAX_ID = 20  # characters of a tax id (INN, VAT number, SIREN…) without its spaces, dots and dashes
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # .inf is no threshold


class Defaults(_Strict):
    max_pages: int = Field(500, ge=1, le=1_000_000, description="Pages a source may fetch in one run at most.")
    max_depth: int = Field(5, ge=0, le=100, description="Link depth from the start URL a crawl may follow.")
    render: Literal["static", "js", "auto"] = Field("auto", description=(
        "`static` fetches with Scrapy; `js` renders every page in Chromium; `auto` fetches statically and renders a "
        "page in Chromium only when its static read lacks what the source is read for (a price, reviews, postings, "
        "a page's text), learnt per URL pattern and remembered per source across nights (docs/crawling.md). "
        "Without Chromium, `auto` sources are read statically, with a warning."))
    user_agent: str = Field("DossierBot/0.1 (+https://github.com/dossier-crawler/dossier)",
                            description="The honest User-Agent sent to competitors, with a contact URL.")
    download_delay: float = Field(1.0, ge=0, le=600, description="Seconds between requests to one domain.")
    concurrency_per_domain: int = Field(2, ge=1, le=64, description="Parallel requests to one domain at most.")
    timeout: float = Field(30, gt=0, le=600, description="Seconds before a request is given up.")
    obey_robots: bool = Field(True, description="Obey robots.txt; a per-source `false` is logged as a warning.")
    max_bytes: int = Field(16 * 1024 * 1024, ge=1024, le=1024 ** 3,
                           description="Largest response body read, in bytes; a bigger one is a failed fetch.")


class Source(_Strict):
    kind: SourceKind = Field(description="What the source holds: site, catalog, reviews, ads, marketplace, jobs, "
                             "newsletter, mentions (an RSS or Atom feed the user subscribes to, read for the items "
                             "naming the competitor), tenders (public procurement notices naming it as a bidder or "
                             "winner: a TED API v3 search or an EIS 44-FZ export) or social (a public Telegram "
                             "channel, YouTube channel or VK community: its audience and posts).")
    url: str = Field(description="Start URL (http or https); for kind: mentions, the feed's own URL; for kind: "
                     "tenders, the address answering a TED API v3 search (JSON) or an EIS 44-FZ export (XML), "
                     "a TED search's query, fields and limit given as its parameters (posted as TED asks: docs/architecture.md, "
                     "Tenders); for kind: "
                     "social, the channel's public address: `https://t.me/s/NAME` (Telegram's web preview) or "
                     "`https://www.youtube.com/feeds/videos.xml?channel_id=UC...` (a YouTube channel's feed; its page, "
                     "/channel/UC... on the same host, is read too, for the subscriber count) or "
                     f"`{VK_WALL_URL}` (a VK community through the VK API, with the token from DOSSIER_VK_TOKEN); "
                     "for kind: "
                     "newsletter, the mailbox: "
                     "`imaps://host[:port]/FOLDER` (user and password from DOSSIER_IMAP_USER and "
                     "DOSSIER_IMAP_PASSWORD), `maildir:PATH` or `mbox:PATH`.")
    name: str | None = Field(None, max_length=80, description="What changes call the source, e.g. the review "
                             "platform's name (`Trustpilot`, `Отзовик`); default: its host.")
    senders: list[str] = Field(default_factory=list, description="For kind: newsletter, the competitor's sender "
                               "addresses (`news@competitor.example`) or domains (`@competitor.example`): only "
                               "their mail in the mailbox is read.")
    names: list[str] | None = Field(None, description="For kind: mentions, other spellings of the competitor's "
                                    "name to look for (`Gruzovoz` beside `ГрузоВоз`), added to its `name` and "
                                    "its `names`; each matches as a whole word, in any case.")
    domains: list[str] = Field(default_factory=list, description="For kind: mentions, the competitor's domains: a "
                               "feed item linking to one (subdomains included) or naming it mentions the "
                               "competitor. The hosts of its site, catalog and jobs sources are added.")
    network: SocialNetwork | None = Field(None, description="For kind: social, the network the channel is on: "
                                          "telegram, youtube or vk. Needed only when the url's host is not t.me, "
                                          "youtube.com or api.vk.com.")
    max_pages: int | None = Field(None, ge=1, le=1_000_000, description="Overrides defaults.max_pages.")
    max_depth: int | None = Field(None, ge=0, le=100, description="Overrides defaults.max_depth.")
    render: Literal["static", "js", "auto"] | None = Field(None, description="Overrides defaults.render.")
    wait_for: str | None = Field(None, description="With render: js or auto, a CSS selector to wait for before "
                                 "reading a rendered page (without it: until the network is idle and the page "
                                 "has stopped changing).")
    sitemap: bool = Field(False, description="Also read the site's sitemap.xml (and those robots.txt names).")
    follow: str | None = Field(None, description="Follow only links whose path matches this regular expression.")
    deny: str | None = Field(None, description="Never follow links whose URL matches this regular expression.")
    paginate: str | None = Field(None, description=(
        "CSS selector of the 'next page' link. Without it (and without page_param), a catalog, marketplace, "
        "reviews or jobs source follows the page's own next-page link: rel=next, its shop platform's or review "
        "widget's pagination, or a 'Next' link in a pager."))
    page_param: str | None = Field(None, description="Query parameter numbering a listing's pages (e.g. `page`): "
                                   "?page=2, 3, … are fetched until a page brings no new items or fails, "
                                   "within max_pages.")
    selectors: dict[str, str] | None = Field(None, description=(
        "CSS/XPath selectors used when a page has no structured data (`product`, `name`, `price`, `sku`, "
        "`availability`, `old_price`, `currency`: the element showing the currency, `gtin`, `mpn`, `url`), each "
        "checked when the config is read. The source's options `currency` and `decimal_separator` stand beside "
        "`selectors:`, not in it."))
    currency: str | None = Field(None, description="ISO 4217 currency assumed when a price shows none.")
    decimal_separator: Literal[",", "."] | None = Field(None, description="Decimal separator of the source's "
                                                        "prices, for amounts that could be read either way: with "
                                                        "`\",\"` 3.350 is 3350 and 3,35 is 3.35; with `\".\"` "
                                                        "3.350 is 3.35. Overrides the competitor's; without either, "
                                                        "each price is read as written (3.350 as 3350).")
    format: str | None = Field(None, description="For kind: ads, the feed format: meta_ad_library or html. For "
                               "kind: tenders, `ted` (a TED API v3 search answer, JSON) or `eis` (an EIS "
                               "zakupki.gov.ru 44-FZ contract export, XML); inferred for api.ted.europa.eu and "
                               "zakupki.gov.ru.")
    legal_names: list[str] = Field(default_factory=list, description="For kind: tenders, the competitor's legal "
                                   "names as notices write them (`Kranrad GmbH`, `ООО «ГрузоВоз»`): compared "
                                   "without case, quotes, dots and the legal form (GmbH, ООО, Ltd…).")
    tax_ids: list[str] = Field(default_factory=list, description="For kind: tenders, the competitor's tax ids "
                               "(INN, VAT number, SIREN…): compared exactly, without spaces, dots, dashes or a VAT "
                               "number's country prefix. A tenders source needs legal_names, tax_ids or both.")
    allow_private: bool = Field(False, description="Allow private or loopback addresses (the demo and tests only).")
    allow_domains: list[str] = Field(default_factory=list, description="Other hosts this source may request "
                                     "besides its own site (subdomains included), e.g. a CDN serving its prices; "
                                     "redirects elsewhere are not followed.")
    obey_robots: bool | None = Field(None, description="Overrides defaults.obey_robots (false is logged as a warning).")
    ignore: list[str] = Field(default_factory=list, description="Regular expressions of text to ignore when diffing.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        parts = urlsplit(value)
        if info.data.get("kind") == "newsletter":
            return _mailbox_url(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL, e.g. https://competitor.example/")
        if re.search(r"[\s\x00-\x1f\x7f]", value):
            raise ValueError("white space or a control character in the URL; percent-encode it")
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked for it)
            parts.hostname.encode("idna")
        except (ValueError, UnicodeError) as exc:
            raise ValueError(f"not an http(s) URL ({exc or 'bad host name'})") from None
        return value

    @field_validator("selectors", "paginate")
    @classmethod
    def _selectors(cls, value: dict[str, str] | str | None) -> dict[str, str] | str | None:
        from extractors.selectors import option_among_selectors, selector_error  # parsel: only with selectors

        queries = value.items() if isinstance(value, dict) else [("", value)] if value is not None else []
        for key, query in queries:
            problem = option_among_selectors(key, query) or selector_error(query)
            if problem:
                raise ValueError(f"{key}: {problem}" if key else problem)
        return value

    @field_validator("follow", "deny")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
        return value

    @field_validator("ignore")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for value in values:
            cls._regex(value)
        return values

    @field_validator("allow_domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
                raise ValueError(f"{value!r} is not a host name such as cdn.competitor.example (no scheme, no path)")
        return [value.lower() for value in values]

    @model_validator(mode="before")
    @classmethod
    def _social_network(cls, data: Any) -> Any:
        """A social source on t.me or youtube.com is on that network: `network` is filled in (as stored)."""
        if isinstance(data, dict) and data.get("kind") == "social" and data.get("network") is None \
                and isinstance(data.get("url"), str):
            from extractors.social_channels import network_of

            network = network_of(data["url"])
            if network is not None:
                return {**data, "network": network}
        return data

    @field_validator("names")
    @classmethod
    def _names(cls, values: list[str] | None) -> list[str] | None:
        return _name_list(values)

    @field_validator("domains")
    @classmethod
    def _mention_domains(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?", value):
                raise ValueError(f"{value!r} is not a domain such as competitor.example (no scheme, no path)")
        return list(dict.fromkeys(value.lower() for value in values))

    @field_validator("legal_names")
    @classmethod
    def _legal_names(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.strip() or len(value) > MAX_NAME or re.search(r"[\x00-\x1f\x7f]", value):
                raise ValueError(f"{value!r} is not a company name (one line, 1 to {MAX_NAME} characters)")
        return list(dict.fromkeys(value.strip() for value in values))

    @field_validator("tax_ids")
    @classmethod
    def _tax_ids(cls, values: list[str]) -> list[str]:
        for value in values:
            bare = re.sub(r"[\s.\-/]", "", value)
            if not re.fullmatch(rf"[A-Za-z0-9]{{4,{MAX_TAX_ID}}}", bare) or not re.search(r"\d", bare):
                raise ValueError(f"{value!r} is not a tax id such as 7701234567 (INN) or DE123456789 (VAT)")
        return list(dict.fromkeys(value.strip() for value in values))

    @model_validator(mode="before")
    @classmethod
    def _tender_format_from_host(cls, data: Any) -> Any:
        """A tenders source on TED's or the EIS's own host needs no `format`: the host says it."""
        if isinstance(data, dict) and data.get("kind") == "tenders" and data.get("format") is None \
                and isinstance(data.get("url"), str):
            try:
                host = (urlsplit(data["url"]).hostname or "").rstrip(".")
            except ValueError:
                return data
            fmt = next((f for h, f in TENDER_HOSTS.items() if host == h or host.endswith("." + h)), None)
            if fmt:
                return {**data, "format": fmt}
        return data

    @field_validator("page_param")
    @classmethod
    def _page_param(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+", value):
            raise ValueError("a query parameter name such as page or p")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("an ISO 4217 code such as EUR, RUB or USD")
        return value

    @field_validator("senders")
    @classmethod
    def _senders(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.fullmatch(r"[^@\s]*@?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value) or "." not in value:
                raise ValueError(f"{value!r} is neither an address (news@competitor.example) nor a domain "
                                 "(@competitor.example)")
        return [value.lower() for value in values]

    @model_validator(mode="after")
    def _kind_rules(self) -> Source:
        if self.kind == "newsletter":
            if not self.senders:
                raise ValueError("senders: a newsletter source needs the competitor's sender addresses or domains, "
                                 "e.g. senders: [\"@competitor.example\"]")
        elif self.senders:
            raise ValueError("senders: only for kind: newsletter")
        if self.kind == "mentions" and not self.names:
            raise ValueError("names: a mentions source needs the names the competitor goes by (its `name` is one)")
        if self.kind != "mentions" and (self.names is not None or self.domains):
            raise ValueError(f"{'names' if self.names is not None else 'domains'}: only for kind: mentions")
        if self.kind == "tenders":
            if self.format not in TENDER_FORMATS:
                raise ValueError(f"format: a tenders source needs format: {' or '.join(TENDER_FORMATS)} (inferred "
                                 "only for api.ted.europa.eu and zakupki.gov.ru)")
            if not self.legal_names and not self.tax_ids:
                raise ValueError("legal_names: a tenders source needs the competitor's legal names or its tax_ids "
                                 "(or both), e.g. legal_names: [\"Kranrad GmbH\"]")
            if self.format == "ted" and _ted_search_without_query(self.url):
                raise ValueError("url: a TED search needs its expert query as a parameter, e.g. "
                                 "https://api.ted.europa.eu/v3/notices/search?query=organisation-name-tenderer%3D"
                                 "%22Kranrad%20GmbH%22 (docs/crawling.md)")
        elif self.legal_names or self.tax_ids:
            raise ValueError(f"{'legal_names' if self.legal_names else 'tax_ids'}: only for kind: tenders")
        if self.kind == "social":
            _check_social(self.url, self.network)
        elif self.network is not None:
            raise ValueError("network: only for kind: social")
        if self.kind == "ads" and self.format not in AD_FORMATS:
            raise ValueError(f"format: ads sources need format: {' or '.join(AD_FORMATS)}")
        if self.wait_for and self.render == "static":
            raise ValueError("wait_for: only with render: js or auto")
        host = urlsplit(self.url).hostname or ""
        if not self.allow_private and _is_literal_private(host):
            raise ValueError(f"url: {host} is a private or loopback address; add allow_private: true if you mean it")
        return self

    def setting(self, name: str, defaults: Defaults) -> Any:
        """The source's own value, else the config's default."""
        own = getattr(self, name, None)
        return own if own is not None else getattr(defaults, name)


def _ted_search_without_query(url: str) -> bool:
    """A TED API v3 search address (which is asked by POST of its query) without its `query` parameter."""
    from extractors.tenders import TED_SEARCH_PATH, ted_search_body  # the search's shape, with its reader
    return urlsplit(url).path.rstrip("/").endswith(TED_SEARCH_PATH) and ted_search_body(url) is None


def _check_social(url: str, network: str | None) -> None:
    """A social source's network is the one its host says (t.me, youtube.com: filled in by
    Source._social_network), else the one given; its address must be the one the crawl reads (Telegram's /s/
    preview, a YouTube channel's feed)."""
    from extractors.social_channels import network_of  # data of the hosts, with the readers

    by_host = network_of(url)
    if by_host is not None and network != by_host:
        raise ValueError(f"network: the url is a {by_host} address, not {network}; leave network out")
    if network is None:
        raise ValueError("network: the url's host is not t.me, youtube.com or api.vk.com: say which network the "
                         "channel is on, network: telegram, youtube or vk")
    parts = urlsplit(url)
    if network == "vk":
        _check_vk_url(parts)
    if by_host == "telegram" and not re.fullmatch(r"/s/[A-Za-z0-9_]{3,64}/?", parts.path):
        raise ValueError("url: a Telegram channel is read from its public preview, https://t.me/s/NAME (with /s/)")
    if by_host == "youtube" and (parts.path != "/feeds/videos.xml" or "channel_id=" not in parts.query):
        raise ValueError("url: a YouTube channel is read from its feed, "
                         "https://www.youtube.com/feeds/videos.xml?channel_id=UC... (the id is on the channel's "
                         "page, as channelId; the page itself is read beside the feed)")


def _check_vk_url(parts) -> None:
    """A VK community is read through the VK API's wall.get, with extended=1 (the community's name and members come
    with its posts) and an API version; the token comes from DOSSIER_VK_TOKEN, never from the url."""
    query = parse_qs(parts.query, keep_blank_values=True)
    if any(name.casefold() == "access_token" for name in query):
        raise ValueError("url: the VK token never goes in the url (nor in the config): remove access_token=… and "
                         "set DOSSIER_VK_TOKEN in the environment instead")
    if not parts.path.rstrip("/").endswith("/method/wall.get") or not (query.get("domain") or query.get("owner_id")) \
            or query.get("extended") != ["1"] or not query.get("v"):
        raise ValueError(f"url: a VK community is read through the VK API, as {VK_WALL_URL} (NAME: the community's "
                         "short name, or owner_id=-ID for its id; the token from DOSSIER_VK_TOKEN)")


def _name_list(values: list[str] | None) -> list[str] | None:
    """Names a mentions source looks for: none empty, and an empty list given is a mistake, not "no filter"."""
    if values is None:
        return None
    if not values:
        raise ValueError("an empty list: give the names the competitor goes by, e.g. [\"Gruzovoz\"], or leave it out")
    for value in values:
        if not value.strip() or len(value) > MAX_NAME or re.search(r"[\x00-\x1f\x7f]", value):
            raise ValueError(f"{value!r} is not a name (one line, 1 to {MAX_NAME} characters)")
    return list(dict.fromkeys(value.strip() for value in values))


def _mailbox_url(value: str) -> str:
    """A newsletter source's mailbox: imaps://host[:port]/FOLDER (no password: it comes from the environment),
    maildir:PATH or mbox:PATH."""
    scheme, _, rest = value.partition(":")
    if scheme not in MAILBOX_SCHEMES or not rest.strip("/"):
        raise ValueError("a mailbox such as imaps://imap.example.org/INBOX, maildir:mail/newsletters or "
                         "mbox:newsletters.mbox")
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError("a control character in the mailbox URL")
    if scheme == "imaps":
        parts = urlsplit(value)
        if parts.password is not None:
            raise ValueError("no password in the mailbox URL: set DOSSIER_IMAP_PASSWORD in the environment")
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when asked for it)
        except ValueError as exc:
            raise ValueError(f"not an imaps:// URL ({exc})") from None
        if not parts.hostname:
            raise ValueError("imaps:// URL without a host, e.g. imaps://imap.example.org/INBOX")
    return value


class Competitor(_Strict):
    slug: str = Field(description="Short unique id: lower-case letters, digits, - and _.")
    name: str = Field(description="Display name.")
    sources: list[Source] = Field(min_length=1, description="Where to look: at least one source.")
    decimal_separator: Literal[",", "."] | None = Field(None, description="Decimal separator of the competitor's "
                                                        "prices (`\",\"` or `\".\"`), for each of its sources that "
                                                        "does not give its own.")
    own: bool = Field(False, description="Our own shop: crawled like the competitors, and the one their prices are "
                      "compared with where the same product is matched (at most one competitor).")
    names: list[str] | None = Field(None, description="Other spellings of the name (`Kranrad`, `Gruzovoz`) that its "
                                    "mentions sources look for beside `name`.")

    @field_validator("names")
    @classmethod
    def _names(cls, values: list[str] | None) -> list[str] | None:
        return _name_list(values)

    @model_validator(mode="before")
    @classmethod
    def _mentions_know_the_competitor(cls, data: Any) -> Any:
        """Each mentions source is given (as stored, so the crawl sees it) the names to look for, the competitor's
        `name` and `names` with its own, and the domains of the competitor's sites (site, catalog, jobs)."""
        if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
            return data
        sources = data["sources"]
        if not any(isinstance(s, dict) and s.get("kind") == "mentions" for s in sources):
            return data
        own_names = data.get("names") if isinstance(data.get("names"), list) else []
        base = [data["name"]] if isinstance(data.get("name"), str) and data["name"].strip() else []
        domains = [d for s in sources if isinstance(s, dict) and s.get("kind") in SITE_KINDS
                   and isinstance(s.get("url"), str) for d in [site_domain(s["url"])] if d]
        filled = []
        for source in sources:
            if isinstance(source, dict) and source.get("kind") == "mentions":
                names = source.get("names")
                if names is None or (isinstance(names, list) and names):  # an empty list stays: one error line
                    names = [n for n in base + own_names + list(names or []) if isinstance(n, str)]
                    source = {**source, "names": list(dict.fromkeys(names))}
                given = source.get("domains") if isinstance(source.get("domains"), list) else []
                if isinstance(source.get("domains", []), list):
                    source = {**source, "domains": list(dict.fromkeys([*given, *domains]))}
            filled.append(source)
        return {**data, "sources": filled}

    @model_validator(mode="before")
    @classmethod
    def _sources_inherit(cls, data: Any) -> Any:
        """The competitor's decimal separator goes to each source without one (as stored, so the crawl sees it)."""
        if not isinstance(data, dict) or data.get("decimal_separator") not in (",", ".") \
                or not isinstance(data.get("sources"), list):
            return data
        sources = [{**source, "decimal_separator": data["decimal_separator"]}
                   if isinstance(source, dict) and source.get("decimal_separator") is None else source
                   for source in data["sources"]]
        return {**data, "sources": sources}

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lower-case letters, digits, - and _ (e.g. kranrad)")
        return value


ChangeKind = Literal[
    "price_up", "price_down", "currency_changed", "product_added", "product_removed", "out_of_stock",
    "back_in_stock", "review_new", "rating_changed", "text_changed", "page_added", "page_removed",
    "technology_added", "technology_removed", "ad_new", "ad_stopped", "source_unreachable", "price_anomaly",
    "robots_changed", "sitemap_grew", "broken_links_up", "channel_added", "channel_removed", "promo_new",
    "promo_ended", "content_new", "job_posted", "job_closed", "newsletter_new", "text_rotating", "undercut",
    "price_gap_changed", "mention_new", "tender_new", "tender_won", "post_new", "subscribers_changed",
    "cadence_changed"]
Severity = Literal[SEVERITIES]  # dossier/severity.py


class Recipient(_Strict):
    address: str = Field(description="E-mail address (or `Name <address>`).")
    kinds: list[ChangeKind] | None = Field(None, description="Only these change kinds (default: all).")
    competitors: list[str] | None = Field(None, description="Only these competitors (slugs; default: all).")
    min_severity: Severity = Field("low", description="Only changes of at least this severity.")


class EmailSettings(_Strict):
    to: list[Recipient] = Field(
        min_length=1, description="Recipients of the digest, one e-mail each: an address, or a subscription "
        "`{address, kinds, competitors, min_severity}` receiving only the changes it asks for.")
    from_: str = Field(alias="from", description="Sender address of the digest.")
    send_empty: bool = Field(False, description="Send a digest even when nothing changed.")

    @field_validator("to", mode="before")
    @classmethod
    def _plain_addresses(cls, value: Any) -> Any:
        """A plain address is a subscription to everything."""
        if isinstance(value, list):
            return [{"address": item} if isinstance(item, str) else item for item in value]
        return value


class AlertRules(_Strict):
    price_change_pct: float = Field(0, ge=0, description="Report price changes of at least this percent.")
    review_max_rating: float = Field(2, ge=1, le=5, description="Reviews rated at most this are high severity.")
    removed_after_runs: int = Field(1, ge=1, le=100, description="Report a product as removed once it is absent "
                                    "from this many consecutive complete crawls of its source.")
    price_gap_points: float = Field(5, ge=0, description="Report a competitor's price gap to ours on a matched "
                                    "product (`price_gap_changed`) when it moves by at least this many "
                                    "percentage points (needs a competitor with `own: true`).")
    subscribers_change_pct: float = Field(5, ge=0, description="Report a social channel's audience "
                                          "(`subscribers_changed`) when it moves by at least this percent between "
                                          "two good crawls.")
    cadence_factor: float = Field(2, ge=1, le=100, description="Report a social channel's posting rhythm "
                                  "(`cadence_changed`) when its posts per week over the last 4 weeks are this "
                                  "factor above or below those of the 4 weeks before.")
    kinds: list[ChangeKind] | None = Field(None, description="Alert only on these change kinds (default: all).")
    competitors: list[str] | None = Field(None, description="Alert only on these competitors (slugs; default: all).")


class Channel(_Strict):
    name: str = Field(description="Short unique name of the channel (lower-case letters, digits, - and _), as "
                      "`dossier alerts list` shows it.")
    url: str = Field(description="Where to post, as an Apprise URL: `slack://TokenA/TokenB/TokenC`, "
                     "`tgram://bottoken/chatid`, `workflows://host/workflow/signature` (Microsoft Teams), "
                     "`matrixs://user:password@host/#room`, or "
                     "`json://host/path` (`jsons://` over HTTPS) for a generic JSON webhook. Write a secret as "
                     "`${NAME}`, read from the environment variable NAME when the config is loaded.")
    kinds: list[ChangeKind] | None = Field(None, description="Only these change kinds (default: all).")
    competitors: list[str] | None = Field(None, description="Only these competitors (slugs; default: all).")
    min_severity: Severity = Field("low", description="Only changes of at least this severity.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lower-case letters, digits, - and _ (e.g. team-slack)")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = channel_url_problem(expand_environment(value))
        if problem:
            raise ValueError(problem)
        return value

    def service_url(self) -> str:
        """The URL to send to, its `${NAME}` secrets filled in from the environment: to be used, never shown."""
        return expand_environment(self.url)


ENVIRONMENT_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CHANNEL_EXAMPLES = "json://127.0.0.1:8080/hook, slack://TokenA/TokenB/TokenC or tgram://bottoken/chatid"


def expand_environment(value: str) -> str:
    """The value with each `${NAME}` replaced by the environment variable NAME; a ValueError naming the first one
    that is not set."""
    missing = [name for name in ENVIRONMENT_REFERENCE.findall(value) if name not in os.environ]
    if missing:
        raise ValueError(f"${{{missing[0]}}} is not set in the environment: export {missing[0]} before running")
    return ENVIRONMENT_REFERENCE.sub(lambda match: os.environ[match.group(1)], value)


def channel_url_problem(url: str) -> str | None:
    """Why Apprise cannot send to the URL, in words that show none of it but its scheme; None when it can."""
    import apprise  # only for configs with channels: `dossier --help` stays quick

    scheme = urlsplit(url).scheme if "://" in url else ""
    if not scheme:
        return f"not an Apprise URL; e.g. {CHANNEL_EXAMPLES}"
    with quiet_apprise():  # its own reasons would print the URL (masked, but on lines of their own)
        service = apprise.Apprise.instantiate(url)
    if service is None:
        return (f"Apprise cannot send to this {scheme}:// URL (an unknown service, or a part of it missing or "
                f"malformed: see docs/alerts.md); e.g. {CHANNEL_EXAMPLES}")
    return None


@contextmanager
def quiet_apprise() -> Iterator[list[str]]:
    """Within the block, Apprise's log lines (warnings and errors) are collected in the yielded list instead of
    reaching the log: the caller says in its own line what went wrong, with no secret of the URL."""
    said: list[str] = []
    handler = _Collect(said)
    logger = logging.getLogger("apprise")
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield said
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class Alerts(_Strict):
    email: EmailSettings | None = Field(None, description="Digest e-mail; without it digests only go to the outbox.")
    rules: AlertRules = Field(default_factory=AlertRules, description="Alert thresholds.")
    language: Literal["en", "de", "ru"] = Field("en", description="Language of the events' titles in the digest, "
                                                "`dossier changes` and the report: en, de or ru.")
    channels: list[Channel] = Field(default_factory=list, description=(
        "Chat and webhook channels (Slack, Telegram, Microsoft Teams, Matrix, JSON webhooks, through Apprise), each "
        "a `{name, url, kinds, competitors, min_severity}` receiving one message per run with the changes it asks "
        "for (docs/alerts.md)."))

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: list[Channel]) -> list[Channel]:
        first: dict[str, int] = {}
        for index, channel in enumerate(channels):
            if channel.name in first:
                raise ValueError(f"channels[{index}].name '{channel.name}' is used twice (first by "
                                 f"channels[{first[channel.name]}]): give each channel its own name")
            first[channel.name] = index
        return channels


class Schedule(_Strict):
    cron: str = Field("0 2 * * *", description="Crontab expression of the nightly run (minute hour day month "
                      "weekday), read by `dossier schedule`.")
    timezone: str = Field("UTC", description="IANA time zone of the cron expression, e.g. Europe/Berlin.")
    misfire_grace_hours: float = Field(6, gt=0, le=168, description="A run missed while the scheduler was down "
                                       "still starts, once, if the scheduler is back within this many hours.")
    stale_after_minutes: int = Field(10, ge=1, le=1440, description="A run whose process sent no heartbeat for "
                                     "this long is taken for dead: the next run marks it failed and goes ahead "
                                     "(a dead process on the same host is noticed at once).")
    log_file: str | None = Field(None, description="Also log to this file (JSON lines, rotated at 10 MB, 5 kept); "
                                 "`--log-file` overrides it.")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"not a crontab expression such as '0 2 * * *' ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone such as Europe/Berlin or UTC") from None
        return value


def _product_reference(value: str) -> str:
    slug, _, key = value.partition(":")
    if not SLUG.match(slug) or not key.strip():
        raise ValueError(f"'{value}': write SLUG:KEY, a competitor's slug and the product's key (its SKU, else its "
                         "URL), e.g. kranrad:KR-LR-250")
    return f"{slug}:{key.strip()}"


ProductRef = Annotated[str, AfterValidator(_product_reference)]


class MatchDecisions(_Strict):
    confirm: list[tuple[ProductRef, ProductRef]] = Field(
        default_factory=list, description="Pairs that are the same product, each `[SLUG:KEY, SLUG:KEY]` (a "
        "product's key is its SKU, else its URL, as `dossier match list` shows it): matched whatever their score.")
    reject: list[tuple[ProductRef, ProductRef]] = Field(
        default_factory=list, description="Pairs that are not the same product, as in `confirm`: never matched.")

    def decisions(self) -> list[tuple[str, str, str]]:
        """(reference, reference, 'confirmed' | 'rejected') for each pair, in the file's order."""
        return ([(a, b, "confirmed") for a, b in self.confirm] + [(a, b, "rejected") for a, b in self.reject])


class DossierConfig(_Strict):
    defaults: Defaults = Field(default_factory=Defaults, description="Crawl defaults for every source.")
    competitors: list[Competitor] = Field(min_length=1, description="The competitors to watch.")
    alerts: Alerts = Field(default_factory=Alerts, description="Change alerts.")
    schedule: Schedule = Field(default_factory=Schedule, description="When `dossier schedule` starts the nightly run, and how runs are guarded and logged.")
    matches: MatchDecisions = Field(default_factory=MatchDecisions, description="The analyst's word on product "
                                    "matches, applied by every run (as `dossier match confirm|reject`).")

    @model_validator(mode="after")
    def _unique_slugs(self) -> DossierConfig:
        seen: set[str] = set()
        for index, competitor in enumerate(self.competitors):
            if competitor.slug in seen:
                raise ValueError(f"competitors: competitors[{index}].slug '{competitor.slug}' is used twice")
            seen.add(competitor.slug)
        return self

    @model_validator(mode="after")
    def _one_own_shop(self) -> DossierConfig:
        own = [competitor.slug for competitor in self.competitors if competitor.own]
        if len(own) > 1:
            raise ValueError(f"competitors: own: true is set on {', '.join(own)}; only one competitor can be our own "
                             "shop")
        return self

    @model_validator(mode="after")
    def _decided_pairs_name_competitors(self) -> DossierConfig:
        slugs = {competitor.slug for competitor in self.competitors}
        for field_name, pairs in (("confirm", self.matches.confirm), ("reject", self.matches.reject)):
            for index, pair in enumerate(pairs):
                first, second = (reference.partition(":")[0] for reference in pair)
                for slug in (first, second):
                    if slug not in slugs:
                        raise ValueError(f"matches: matches.{field_name}[{index}]: no competitor '{slug}' (write "
                                         "SLUG:KEY with a competitor's slug)")
                if first == second:
                    raise ValueError(f"matches: matches.{field_name}[{index}]: both products are {first}'s; a match "
                                     "joins two competitors' products")
        return self

    @model_validator(mode="after")
    def _wait_for_renders(self) -> DossierConfig:
        if self.defaults.render != "static":
            return self
        for index, competitor in enumerate(self.competitors):
            for number, source in enumerate(competitor.sources):
                if source.wait_for and source.render is None:
                    raise ValueError(f"competitors: competitors[{index}].sources[{number}].wait_for: only with render: "
                                     "js or auto (defaults.render is static: set render on the source)")
        return self


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = "from" if part == "from_" else str(part)
            # a key of the user's file, shown as it can be read on one line: "\n" or " " as a quoted string
            out += ("." if out else "") + (name if name.isprintable() and name.strip() == name and name
                                           else repr(name))
    return out


def parse_config(data: Any, origin: str = "config") -> DossierConfig:
    """Validate a loaded YAML document; the first error becomes one line naming the field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping with 'competitors:' at the top")
    try:
        return DossierConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = _location(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see docs/config.md)"
        elif error["type"] == "missing":
            message = "required field is missing"
        elif field := re.match(r"^([a-z_]+): ", message):  # a model-level rule that names its field
            where = f"{where}.{field.group(1)}" if where else field.group(1)
            message = message[field.end():]
        return_line = f"{origin}: {where}: {message}" if where else f"{origin}: {message}"
        raise ConfigError(return_line) from None


class _UniqueKeysLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (YAML 1.2 says keys are
    unique; PyYAML would keep the last silently, and a second `sources:` would drop the first one's sources). A key
    a merge (`<<: *defaults`) brings in may be overridden, as YAML means it."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the safe loader's own error says so below
                    continue
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice in one mapping (first on line "
                        f"{first.start_mark.line + 1}): merge the two or remove one", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path) -> DossierConfig:
    """Read and validate competitors.yaml; every problem is a ConfigError of one line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (give --config the path of your competitors.yaml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeysLoader)  # a SafeLoader: no Python objects
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f": line {mark.line + 1}" if mark else ""
        # a ReaderError (a control character) has no problem, and its text spans lines
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or exc
        raise ConfigError(f"{path}{where}: not valid YAML ({' '.join(str(problem).split())})") from None
    return parse_config(data, origin=path.name)


def _is_literal_private(host: str) -> bool:
    """A private address written in the config itself (no DNS look-up at load time)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
