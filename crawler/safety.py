"""Where a source may send requests: its own site and the hosts it allows, never a private address unless allowed.

Checked before any connection: for Scrapy's own downloads in `SafetyMiddleware` (redirects included, since every
redirect is a new request through the middlewares), for the browser in `BrowserGuard` (every request a page
makes) and by Chromium's host resolver rules (redirects inside the browser, which no route handler sees).
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError

from crawler.accounting import Refused
from dossier.outcomes import FetchOutcome

if TYPE_CHECKING:
    from crawler.sources import SourcePlan

log = logging.getLogger(__name__)

Resolve = Callable[[str], Awaitable[list[str]]]


@lru_cache(maxsize=4096)  # the source's own URL, asked for on every check
def site_of(url: str) -> tuple[str, int | None] | None:
    """(host without www., explicit non-default port): http and https of one host are one site."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port out of range in a scraped link
        return None
    if not parts.hostname:
        return None
    return parts.hostname.removeprefix("www."), None if port in (80, 443) else port


def same_site(url: str, start_url: str) -> bool:
    """Inside the source's site: the same host (with or without www.) and the same port."""
    site = site_of(url)
    return site is not None and site == site_of(start_url)


def in_domains(host: str, domains: Iterable[str]) -> bool:
    """The host is one of the domains or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def allowed_url(plan: SourcePlan, url: str) -> bool:
    """A URL the source may request: on its own site, or on a host it explicitly allows."""
    if urlsplit(url).scheme not in ("http", "https"):
        return False
    if same_site(url, plan.url):
        return True
    host = urlsplit(url).hostname
    return bool(host and plan.allow_domains and in_domains(host, plan.allow_domains))


def address_kind(address: str) -> str | None:
    """'loopback', 'private', 'link-local', … for an address no crawl should reach by default; None when public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if flag:
            return kind
    return None if ip.is_global else "non-public"  # e.g. 100.64.0.0/10, shared by carriers


def literal_address(host: str) -> str | None:
    """The host when it is an IP address (brackets of an IPv6 literal removed), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def refusal(plan: SourcePlan, url: str, resolve: Resolve) -> Refused | None:
    """Why the source may not request this URL (its message one line; its outcome off_site or private_address),
    or None when it may."""
    if not allowed_url(plan, url):
        host = urlsplit(url).netloc or url
        return Refused(f"off-site: {host} is neither the source's site nor in its allow_domains: not requested",
                       FetchOutcome.OFF_SITE)
    if plan.allow_private:
        return None
    host = urlsplit(url).hostname or ""
    literal = literal_address(host)
    try:
        addresses = [literal] if literal else await resolve(host)
    except (DNSLookupError, OSError):
        return None  # unresolvable: the download itself fails and records the DNS error
    for address in addresses:
        kind = address_kind(address)
        if kind:
            shown = host if literal else f"{host} ({address})"
            return Refused(f"refused: {shown} is a {kind} address; set allow_private: true on the source "
                           "if it is really meant to be crawled", FetchOutcome.PRIVATE_ADDRESS)
    return None


async def _twisted_resolve(host: str) -> list[str]:
    """The address Scrapy will connect to: its own (caching) resolver answers, so the check and the connection
    see the same address."""
    from twisted.internet import reactor

    return [await maybe_deferred_to_future(reactor.resolve(host))]


class SafetyMiddleware:
    """Refuses a page request (a redirect included) outside the source's sites, or to a private address unless
    the source allows it, before robots.txt is asked for and before any connection; and a redirect of robots.txt
    that no source of its site may follow."""

    def __init__(self, crawler: Any, resolve: Resolve = _twisted_resolve):
        self.crawler = crawler
        self.resolve = resolve

    @classmethod
    def from_crawler(cls, crawler: Any) -> SafetyMiddleware:
        return cls(crawler)

    async def process_request(self, request: Any) -> None:
        source_id = request.meta.get("dossier_source_id")
        chain = request.meta.get("redirect_urls")
        if source_id is None:
            if chain:  # robots.txt redirected: where it leads is a request like any other
                await self._robots_redirect(request, chain)
            return  # robots.txt: asked for by RobotsTxtMiddleware for a request this middleware already let by
        plan = self.crawler.spider.plans[source_id]
        why = await refusal(plan, request.url, self.resolve)
        if why is None:
            return
        if chain and why.outcome is FetchOutcome.OFF_SITE:
            why = Refused(f"off-site redirect from {chain[-1]} not followed: {urlsplit(request.url).netloc} is neither "
                          "the source's site nor in its allow_domains", FetchOutcome.OFF_SITE)
        self._count(why)
        log.warning("%s: %s: %s", plan.competitor_slug, request.url, why)
        raise why

    async def _robots_redirect(self, request: Any, chain: list[str]) -> None:
        """A redirect of Scrapy's robots.txt request (which carries no source) is followed only where a source
        whose site or allow_domains holds that robots.txt may go; else it is refused before any connection, and
        crawler/robots.py takes the site's rules for unreadable tonight."""
        plans = [plan for plan in self.crawler.spider.plans.values() if allowed_url(plan, chain[0])]
        reasons = [await refusal(plan, request.url, self.resolve) for plan in plans]
        if plans and None in reasons:
            return
        why = next((reason for reason in reasons if reason and reason.outcome is not FetchOutcome.OFF_SITE), None)
        if why is None:
            why = Refused(f"off-site redirect from {chain[-1]} not followed: {urlsplit(request.url).netloc} is neither "
                          "the site of a source nor in its allow_domains", FetchOutcome.OFF_SITE)
        self._count(why)
        log.warning("robots.txt %s: %s", chain[0], why)
        raise why

    def _count(self, refused: Refused) -> None:
        self.crawler.stats.inc_value("dossier/refused/" + ("off_site" if refused.outcome is FetchOutcome.OFF_SITE
                                                            else "private"))


async def _getaddrinfo(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


class BrowserGuard:
    """PLAYWRIGHT_ABORT_REQUEST: the browser loads nothing heavy (images, fonts, media), nothing outside the
    sites of the crawl's js and auto sources and their allow_domains, and no private address a source does not allow."""

    def __init__(self, plans: Iterable[SourcePlan], blocked_types: Iterable[str], resolve: Resolve = _getaddrinfo):
        self.plans = [plan for plan in plans if plan.may_render]
        self.blocked_types = frozenset(blocked_types)
        self._resolve = resolve
        self._resolved: dict[str, list[str]] = {}  # a page asks for many resources of few hosts

    async def resolve(self, host: str) -> list[str]:
        if host not in self._resolved:
            self._resolved[host] = await self._resolve(host)
        return self._resolved[host]

    async def __call__(self, request: Any) -> bool:
        if request.resource_type in self.blocked_types:
            return True
        url = request.url
        if urlsplit(url).scheme in ("data", "blob", "about"):
            return False
        for plan in self.plans:
            if await refusal(plan, url, self.resolve) is None:
                return False
        log.info("browser: refused %s (off-site or a private address)", url)
        return True


def host_resolver_rules(plans: Iterable[SourcePlan]) -> str:
    """Chromium's --host-resolver-rules: only the hosts of the js and auto sources (and their allow_domains)
    resolve, so a redirect inside the browser to any other host fails before a connection (route handlers never see
    it)."""
    hosts: set[str] = set()
    for plan in plans:
        if not plan.may_render:
            continue
        host = urlsplit(plan.url).hostname or ""
        hosts |= {host, f"www.{host.removeprefix('www.')}", host.removeprefix("www.")}
        for domain in plan.allow_domains:
            hosts |= {domain, f"*.{domain}"}
    excluded = ", ".join(f"EXCLUDE {host}" for host in sorted(hosts) if host)
    return f"MAP * ~NOTFOUND, {excluded}" if excluded else "MAP * ~NOTFOUND"
