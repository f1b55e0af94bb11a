"""A farm of local government websites on 127.0.0.1 for crawl tests (and other rooms' tests, demo).

    farm = Farm(tmp_path).start()
    farm.sites["trs"].base_url            # each site: a SiteServer (pages, hit counters, mode)
    config = farm.write_config(database_url)   # nianbao.yaml + agencies.yaml for the farm
    farm.expected                        # {(agency_id, year)} of the reports the sites publish
    farm.change_report("gbk")            # publish a corrected edition (a new version on recrawl)
    farm.stop()

Working sites (one per CMS style) publish one report each; broken sites: 'down' (connection refused),
'error500', 'hang' (never answers), 'waf' (anti-bot 412 challenge). Sites in OPTIONAL_SPECS run only when
named in `only`: 'cms' publishes one report per link or attachment shape (sites.CMS_SHAPES).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.farm import documents as docs
from tests.farm import sites
from tests.farm.agencies import write_config
from tests.farm.server import SiteServer
from tests.farm.sites import SiteSpec

SPECS: tuple[SiteSpec, ...] = (
    SiteSpec("trs", "dongguan-tjj", "东莞市统计局", "/col/nb/index.html"),
    SiteSpec("jsonlist", "guangzhou-tjj", "广州市统计局", "/xxgk/nb/index.html"),
    SiteSpec("gbk", "shizhong-tjj", "济南市市中区统计局", "/"),  # fuzzy: documents say 市中区统计局
    SiteSpec("doc", "lishui-tjj", "丽水市统计局", "/ndbg/index.html"),
    SiteSpec("split", "wuzhong-tjj", "吴忠市利通区统计局", "/gk/nb/"),
    SiteSpec("down", "down-ju", "停机市统计局", "/nb/", mode="down"),
    SiteSpec("error500", "error-ju", "故障市统计局", "/nb/", mode="error500"),
    SiteSpec("hang", "hang-ju", "无响应市统计局", "/nb/", mode="hang"),
    SiteSpec("waf", "waf-ju", "防火墙市统计局", "/nb/", mode="challenge412"),
)
# Not part of the default farm (whose crawl tests count its reports): run when named in `only`.
OPTIONAL_SPECS: tuple[SiteSpec, ...] = (
    SiteSpec("cms", "guangzhou-cms", sites.CMS_AGENCY, "/"),
)
# Which seed each working site publishes, and the year of that report.
SEED_OF = {"trs": "dongguan", "jsonlist": "guangzhou", "gbk": "shizhong", "doc": "lishui", "split": "wuzhong",
           "cms": "guangzhou"}
BROKEN_KINDS = {"down-ju": "connection", "error-ju": "http_status", "hang-ju": "timeout", "waf-ju": "blocked"}


class Farm:
    def __init__(self, folder: Path, only: list[str] | None = None) -> None:
        self.folder = Path(folder)
        self.specs = [s for s in SPECS if only is None or s.key in only]
        self.specs += [s for s in OPTIONAL_SPECS if only is not None and s.key in only]
        self.sites: dict[str, SiteServer] = {}
        self.texts: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Farm:
        for spec in self.specs:
            self.sites[spec.key] = SiteServer(spec.key, spec.mode).start()
        for spec in self.specs:
            if spec.mode == "ok":
                self.texts[spec.key] = docs.seed_text(SEED_OF[spec.key])
                self._build(spec.key)
        return self

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()

    def __enter__(self) -> Farm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _build(self, key: str) -> None:
        site, text = self.sites[key], self.texts[key]
        if key == "trs":
            sites.build_trs(site, text)
        elif key == "jsonlist":
            sites.build_jsonlist(site, text, docs.seed_text("lishui"))
        elif key == "gbk":
            sites.build_gbk(site, text)
        elif key == "doc":
            offsite = self.sites["trs"].base_url + "/art/2021/copy.html" if "trs" in self.sites else "http://127.0.0.2/"
            sites.build_doc(site, text, offsite)
        elif key == "split":
            sites.build_split(site, text)
        elif key == "cms":
            sites.build_cms(site, text)

    # -- what the crawl should find --------------------------------------------------------------

    def spec(self, key: str) -> SiteSpec:
        return next(s for s in self.specs if s.key == key)

    def start_url(self, key: str) -> str:
        return self.sites[key].base_url + self.spec(key).start_path

    @property
    def expected(self) -> set[tuple[str, int]]:
        return {(s.agency_id, year) for s in self.specs if s.mode == "ok" for year in self._years(s.key)}

    @staticmethod
    def _years(key: str) -> list[int]:
        return list(sites.CMS_SHAPES.values()) if key == "cms" else [docs.SEEDS[SEED_OF[key]][2]]

    @property
    def broken(self) -> dict[str, str]:
        """agency id -> the site error kind its crawl must record."""
        return {s.agency_id: BROKEN_KINDS[s.agency_id] for s in self.specs if s.mode != "ok"}

    def agencies(self) -> list[dict[str, Any]]:
        """agencies.yaml entries for the farm's sites."""
        return [{
            "id": s.agency_id, "name": s.name, "region": "测试省/" + s.name[:3], "level": "city",
            "kind": s.kind, "start_urls": [self.start_url(s.key)], "render": s.render,
        } for s in self.specs]

    def write_config(self, database_url: str, folder: Path | None = None, **crawl: Any) -> Path:
        return write_config(folder or self.folder / "config", database_url, self.agencies(), **crawl)

    # -- changes between crawls ------------------------------------------------------------------

    def change_report(self, key: str, marker: str = "（本报告于发布后更正）") -> None:
        """Publish a corrected edition of the site's report (same URL, new bytes, new ETag)."""
        self.texts[key] = docs.changed_text(self.texts[key], marker)
        self._build(key)

    def reset_counters(self) -> None:
        for site in self.sites.values():
            site.reset_counters()

    def body_downloads(self) -> dict[str, dict[str, int]]:
        return {key: dict(site.body_downloads()) for key, site in self.sites.items()}


__all__ = ["Farm", "SiteServer", "SiteSpec", "write_config"]
