"""Consolidated county portals (政府网站集约化): several agencies' columns on one host.

`start_portals(hosts, per_host)` serves `hosts` sites; agency j of host h lists its report under
/d{j}/nb/index.html. Each agency publishes one seed report, marked with its host and column so that every
agency's bytes differ. Returns the servers and the agencies.yaml entries.
"""

from __future__ import annotations

from typing import Any

from tests.farm import documents as docs
from tests.farm.server import SiteServer
from tests.farm.sites import list_page

SEED_KEYS = tuple(docs.SEEDS)


def build_portal(site: SiteServer, h: int, per_host: int) -> list[dict[str, Any]]:
    entries = []
    for j in range(per_host):
        key = SEED_KEYS[(h * per_host + j) % len(SEED_KEYS)]
        _, name, year = docs.SEEDS[key]
        title = f"{name}{year}年政府信息公开工作年度报告"
        text = docs.changed_text(docs.seed_text(key), f"（门户{h}栏目{j}）")
        site.set_page(f"/d{j}/nb/index.html", list_page("政府信息公开年报", [(title, f"/d{j}/art/report.html")]))
        site.set_page(f"/d{j}/art/report.html", docs.html_article(title, text))
        entries.append({"id": f"p{h}-d{j}", "name": name, "region": "广东省/某市", "level": "county",
                        "kind": "department", "start_urls": [f"{site.base_url}/d{j}/nb/index.html"]})
    return entries


def start_portals(hosts: int, per_host: int) -> tuple[list[SiteServer], list[dict[str, Any]]]:
    servers, entries = [], []
    for h in range(hosts):
        site = SiteServer(f"portal{h}").start()
        servers.append(site)
        entries += build_portal(site, h, per_host if h < hosts - 2 else 1)  # the last two: one agency each
    return servers, entries
