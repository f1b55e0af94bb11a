"""Crawl benchmark: `nianbao crawl` vs a bare Scrapy spider on a generated farm of sites served by nginx.

    python3 bench/crawl.py [--sites 200] [--list-pages 6] [--rounds 3] [--keep]

Each generated site is a TRS-style column: list pages with a createPageHTML pager, ten news items per page
(not reports: neither crawler follows them) and one annual report published as an HTML article. nginx
(Debian nginx-light, our own process: -p tmpdir, daemon off) serves every site on its own loopback port,
with ETag/Last-Modified and 304s. Printed: pages/s of both crawlers (the bare spider follows the same links,
chosen by the same crawler.discovery rules, and does nothing else), and the cost of an unchanged recrawl
relative to the first crawl (time, requests, bytes). Times: "crawl" is Scrapy's spider open to close;
"process" is what the caller waits for (Python start, imports, the database, the crawl, the exit).
Needs Debian's nginx-light.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIGITS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    return "".join(DIGITS[int(c)] for c in str(n))


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


# --- the farm -------------------------------------------------------------------------------------


def generate_site(folder: Path, index: int, list_pages: int, seed: str) -> str:
    """One site; returns the agency name."""
    from tests.farm.documents import html_article
    from tests.farm.sites import NEWS, list_page

    name = f"测{chinese(index)}市统计局"
    title = f"{name}2020年政府信息公开工作年度报告"
    col = folder / "col" / "nb"
    (folder / "art").mkdir(parents=True, exist_ok=True)
    col.mkdir(parents=True, exist_ok=True)
    for page in range(list_pages):
        items = [(f"{name}召开第{chinese(page * 10 + k)}次工作会议", f"/art/n{page}_{k}.html") for k in range(10)]
        if page == list_pages - 1:
            items[3] = (title, "/art/report2020.html")
        pager = f"<script>createPageHTML({list_pages}, {page}, \"index\", \"html\");</script>"
        filename = "index.html" if page == 0 else f"index_{page}.html"
        (col / filename).write_text(list_page("年报", items, pager), encoding="utf-8")
        for text, href in items[:1]:
            (folder / href.lstrip("/")).write_text(NEWS.format(t=html.escape(text)), encoding="utf-8")
    (folder / "art" / "report2020.html").write_text(
        html_article(title, seed.replace("东莞市统计局", name)), encoding="utf-8")
    return name


NGINX_CONF = """worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  types {{ text/html html; application/pdf pdf; text/plain txt; }}
  default_type application/octet-stream;
  charset utf-8;
  access_log off;
  sendfile on;
  keepalive_requests 10000;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
{servers}
}}
"""


def start_nginx(tmp: Path, roots: list[tuple[int, Path]]) -> subprocess.Popen[bytes]:
    servers = "\n".join(f"  server {{ listen 127.0.0.1:{port}; root {root}; }}" for port, root in roots)
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, servers=servers), encoding="utf-8")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # bounded wait for the last port to answer
        try:
            socket.create_connection(("127.0.0.1", roots[-1][0]), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"nginx did not start: {(tmp / 'error.log').read_text(errors='replace')[-2000:]}")


# --- the bare spider (runs in its own process: one reactor per process) ---------------------------


def bare_worker(spec_path: Path, out_path: Path) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from nianbao.crawler import discovery as d

    spec = json.loads(spec_path.read_text(encoding="utf-8"))

    class BareSpider(scrapy.Spider):
        """Follows the same links as the nianbao spider (same rules), and does nothing else."""

        name = "bare"

        async def start(self) -> Any:
            for url in spec["start_urls"]:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: Any) -> Any:
            if not hasattr(response, "css"):
                return
            base = response.url.split("/", 3)[:3]
            for a in response.css("a"):
                href = a.attrib.get("href")
                if not href:
                    continue
                url = response.urljoin(href)
                text = d.normalize_text(a.attrib.get("title") or "".join(a.css("::text").getall()))
                if url.split("/", 3)[:3] != base:
                    continue
                if d.classify_title(text).is_report or d.is_pagination_text(text):
                    yield scrapy.Request(url, callback=self.parse)
            for url in d.create_page_html_urls(response.text, response.url):
                yield scrapy.Request(url, callback=self.parse)

    settings = {k: v for k, v in spec["scrapy_settings"].items()
                if k not in ("DOWNLOAD_HANDLERS", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES")}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    started = time.monotonic()
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    out_path.write_text(json.dumps({"pages": stats.get("response_received_count", 0),
                                    "seconds": stats.get("elapsed_time_seconds", time.monotonic() - started)}),
                        encoding="utf-8")


# --- main ----------------------------------------------------------------------------------------


@dataclass
class Round:
    bare_pages: int
    bare_seconds: float  # spider open to close
    bare_wall: float  # the whole process
    first: Any  # CrawlSummary of a crawl on an empty database
    first_wall: float  # run_crawl() as the caller waits for it: process start, imports, crawl, exit
    again: Any  # the unchanged recrawl right after it
    again_wall: float


def build_farm(tmp: Path, sites: int, list_pages: int) -> tuple[list[tuple[int, Path]], list[dict[str, Any]]]:
    from tests.farm.documents import seed_text

    seed = seed_text("dongguan")
    roots, agencies = [], []
    for i, port in enumerate(free_ports(sites)):
        folder = tmp / "sites" / f"s{i}"
        name = generate_site(folder, i + 1, list_pages, seed)
        roots.append((port, folder))
        agencies.append({"id": f"site{i}", "name": name, "region": "测试省", "level": "city", "kind": "department",
                         "start_urls": [f"http://127.0.0.1:{port}/col/nb/index.html"], "render": "auto"})
    return roots, agencies


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    """fn(*args) and the wall time it took."""
    started = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - started


def one_round(tmp: Path, number: int, agencies: list[dict[str, Any]], crawl_options: dict[str, Any]) -> Round:
    from nianbao.crawler.runner import child_env, run_crawl
    from tests.farm.agencies import write_config

    worker = [sys.executable, __file__, "--bare-worker", str(tmp / "bare.json"), str(tmp / "bare.out")]
    _, bare_wall = timed(lambda: subprocess.run(worker, check=True, env=child_env(), stderr=subprocess.DEVNULL))
    bare = json.loads((tmp / "bare.out").read_text(encoding="utf-8"))
    folder = tmp / f"round{number}"  # a fresh database and blob store: the first crawl finds everything
    config = write_config(folder / "config", f"sqlite:///{folder / 'bench.db'}", agencies, **crawl_options)
    first, first_wall = timed(run_crawl, config)
    again, again_wall = timed(run_crawl, config)
    if not (first.ok and again.ok):
        print(first.log[-3000:], again.log[-3000:])
        raise SystemExit("a crawl failed")
    return Round(bare["pages"], bare["seconds"], bare_wall, first, first_wall, again, again_wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--list-pages", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3, help="bare, first crawl, recrawl; medians are printed")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--bare-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_worker:
        bare_worker(*args.bare_worker)
        return
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        raise SystemExit("nginx is needed: apt-get install nginx-light")

    from nianbao.crawler.settings import scrapy_settings
    from nianbao.settings import CrawlSettings

    tmp = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user
    roots, agencies = build_farm(tmp, args.sites, args.list_pages)
    nginx = start_nginx(tmp, roots)
    crawl_options = {"concurrency": 32, "per_domain_concurrency": 4, "timeout": 20, "retries": 1}
    spec = {"start_urls": [a["start_urls"][0] for a in agencies],
            "scrapy_settings": scrapy_settings(CrawlSettings(**crawl_options, delay=0, autothrottle=False,
                                                             obey_robots=True))}
    (tmp / "bare.json").write_text(json.dumps(spec), encoding="utf-8")
    try:
        # Interleaved rounds: on a shared machine the load changes; each round compares like with like.
        rounds = [one_round(tmp, n, agencies, crawl_options) for n in range(args.rounds)]
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    report(args.sites, rounds)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


def report(sites: int, rounds: list[Round]) -> None:
    first, again = rounds[0].first, rounds[0].again
    bare_rate = median(r.bare_pages / r.bare_seconds for r in rounds)
    rate = median(r.first.pages / r.first.crawl_seconds for r in rounds)
    print(f"farm: {sites} sites (nginx), {first.pages} pages, {first.reports_new} reports found; "
          f"{len(rounds)} rounds, medians; load average {os.getloadavg()[0]:.1f}")
    print(f"bare scrapy spider : {bare_rate:.0f} pages/s, crawl {median(r.bare_seconds for r in rounds):.2f}s, "
          f"process {median(r.bare_wall for r in rounds):.2f}s")
    print(f"nianbao crawl      : {rate:.0f} pages/s ({median(ratio(r) for r in rounds):.2f}x bare; goal >= 0.8), "
          f"crawl {median(r.first.crawl_seconds for r in rounds):.2f}s, process {median(r.first_wall for r in rounds):.2f}s"
          f"; CPU s: crawl process {median(r.first.cpu_seconds for r in rounds):.1f}, "
          f"store process {median(r.first.store_cpu_seconds for r in rounds):.1f}")
    print(f"unchanged recrawl  : crawl {median(r.again.crawl_seconds for r in rounds):.2f}s, "
          f"process {median(r.again_wall for r in rounds):.2f}s; {again.requests} requests "
          f"({again.not_modified} x 304), {again.skipped_known} known pages not asked, {again.bytes} bytes; "
          f"new {again.reports_new}, changed {again.reports_changed}, unchanged {again.reports_unchanged}")
    print(f"recrawl cost / first crawl: crawl time {median(r.again.crawl_seconds / r.first.crawl_seconds for r in rounds):.2f}, "
          f"process wall time {median(r.again_wall / r.first_wall for r in rounds):.2f}, "
          f"requests {again.requests / max(first.requests, 1):.2f}, bytes {again.bytes / max(first.bytes, 1):.2f} "
          f"(goal < 0.2)")


def ratio(r: Round) -> float:
    return (r.first.pages / r.first.crawl_seconds) / (r.bare_pages / r.bare_seconds)


if __name__ == "__main__":
    main()
