"""Where an agency's crawl may go: one rule for links, every redirect hop and every request Chromium makes.

An agency's places are the host:port of each start URL, and each allowed domain (with its subdomains) on
the ports of the web (80, 443) or of the start URLs. An address host (127.0.0.1, 10.0.0.5) matches only
itself on the start URL's port: another port on the same machine is another server (a database, a cache),
never the agency's site. Loopback and private addresses are therefore reachable only when the agency's own
start URL is one; a name that is no allowed domain (localhost, an intranet name) is refused as any other.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

# The public suffix list bundled with tldextract (a Scrapy dependency); never fetched over the network.
_PSL = tldextract.TLDExtract(suffix_list_urls=())
WEB_PORTS = frozenset({80, 443})
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Places:
    """The host:ports one agency's crawl may reach."""

    exact: frozenset[tuple[str, int]]  # (host, port) of the start URLs
    domains: frozenset[str]  # allowed domains: the name and its subdomains
    domain_ports: frozenset[int]  # the ports an allowed domain may be reached on

    def allows(self, url: str) -> bool:
        """True when `url` is on one of the agency's places (http and https only)."""
        place = host_port(url)
        if place is None:
            return False
        if place in self.exact:
            return True
        host, port = place
        if is_address(host) or port not in self.domain_ports:
            return False
        return any(host == domain or host.endswith("." + domain) for domain in self.domains)


class AnyPlace:
    """The places of many agencies at once: allows what one of them allows, in one look-up. Requests of no
    agency (robots.txt) may go to any agency's places; asking each agency in turn cost a shard of N hosts
    N² checks (a tenth of a second per robots.txt at 600 hosts)."""

    def __init__(self, many: Iterable[Places]) -> None:
        many = list(many)
        self.exact: frozenset[tuple[str, int]] = frozenset().union(*(p.exact for p in many))
        # Each allowed domain, with the ports any agency that allows it allows it on.
        self.domain_ports: dict[str, set[int]] = {}
        for place in many:
            for domain in place.domains:
                self.domain_ports.setdefault(domain, set()).update(place.domain_ports)

    def allows(self, url: str) -> bool:
        """True when `url` is on the places of one of the agencies (the same answer as asking each)."""
        place = host_port(url)
        if place is None:
            return False
        if place in self.exact:
            return True
        host, port = place
        if is_address(host):
            return False
        # The host and each domain it is a subdomain of (a.b.gov.cn: a.b.gov.cn, b.gov.cn, gov.cn, cn).
        labels = host.split(".")
        return any(port in self.domain_ports.get(".".join(labels[i:]), ()) for i in range(len(labels)))


def places(start_urls: Iterable[str], allowed_domains: Iterable[str] = ()) -> Places:
    exact = frozenset(p for p in map(host_port, start_urls) if p is not None)
    # http -> https of the same site (a site on the web ports moves between them), addresses included.
    exact |= frozenset((host, port) for host, start_port in exact if start_port in WEB_PORTS for port in WEB_PORTS)
    # The host names of the start URLs are domains too: a name, never an address, widens to its subdomains.
    domains = frozenset(d.strip().lower().rstrip(".") for d in allowed_domains if d.strip())
    named = [host for host, _ in exact if not is_address(host)]
    # www.x.gov.cn and x.gov.cn are one site (sites redirect between the two either way); never widened to
    # a public suffix (www.gov.cn does not allow every *.gov.cn).
    bare = (host.removeprefix("www.") for host in named if host.startswith("www."))
    domains |= frozenset(named) | frozenset(host for host in bare if _PSL(host).domain)
    return Places(exact, domains, WEB_PORTS | {port for _, port in exact})


def host_port(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the port made explicit; None for other schemes or a bad URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


@lru_cache(maxsize=4096)  # asked for every link and request of a crawl, of a few hundred hosts per shard
def is_address(host: str) -> bool:
    """True for an IP address (IPv4, or IPv6 with or without its brackets), not a host name."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
