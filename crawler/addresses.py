"""Names that resolve off the public internet are refused: a lapsed agency domain pointed at an intranet, or
DNS rebinding (a name answered first with a public address, then with 127.0.0.1 or 10.x), would otherwise let a
crawl of "the agency's host" read this machine's or its network's servers and store them as reports.

Confinement (crawler.confine) decides by name and port; this decides by the address a name resolves to, for
every request Scrapy makes (the resolver below, installed on the reactor: links, redirects, robots.txt) and
for Chromium's own requests (`public_name`, asked by the browser's route before a request goes out; Chromium
resolves again itself, so there it is a check, not a pin). An address written as such in a start URL
(http://10.0.0.5/) is the registry's own choice and is not refused; `crawl.private_addresses: true` (an
intranet deployment) turns the check off.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from nianbao.crawler.confine import is_address

# Host -> why it was refused, for the spider's error record: Twisted turns a failed resolution into its own
# "no results for hostname lookup", and Chromium into ERR_BLOCKED_BY_CLIENT, each without the reason. One
# crawl per process; a name found public again is taken out.
_refused: dict[str, str] = {}


def refused(url: str) -> str | None:
    """Why the host of `url` was refused (None: it was not)."""
    host = urlsplit(url).hostname
    return _refused.get(host) if host else None


def is_public(address: str) -> bool:
    """True for an address of the public internet (not loopback, private, link-local, shared or reserved)."""
    return ipaddress.ip_address(address).is_global


def _judged(name: str, addresses: list[str]) -> bool:
    """True when every address of `name` is public; else the refusal is kept for the error record."""
    private = [address for address in addresses if not is_public(address)]
    if private:
        _refused[name] = f"域名 {name} 解析到非公网地址 {private[0]}（本机、内网或保留地址），已拒绝连接"
    else:
        _refused.pop(name, None)
    return not private


class PublicNameResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, failing a name whose address is not public (a DNS lookup error whose text
    the spider finds the reason of with `refused`). Scrapy builds it from the process's settings (NIANBAO_PRIVATE_ADDRESSES)."""

    allow_private = False

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> PublicNameResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("NIANBAO_PRIVATE_ADDRESSES")
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:  # noqa: N802 - Twisted's name
        found = super().getHostByName(name, timeout)
        if self.allow_private or is_address(name):
            return found
        return found.addCallback(self._checked, name)

    @staticmethod
    def _checked(address: str, name: str) -> str:
        if not _judged(name, [address]):
            raise DNSLookupError(_refused[name])
        return address


async def public_name(host: str, cache: dict[str, bool]) -> bool:
    """For the browser: True when `host` is an address, or a name whose every address is public (a name
    that does not resolve is left to Chromium, which fails it as it would)."""
    if is_address(host):
        return True
    if host not in cache:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return True
        cache[host] = _judged(host, [str(entry[4][0]) for entry in found])
    return cache[host]
