"""Crawl benchmark: `nianbao crawl` vs a bare Scrapy spider on a generated farm of sites served by nginx.

    python3 bench/crawl.py [--sites 200] [--list-pages 6] [--keep]

Each generated site is a TRS-style column: list pages with a createPageHTML pager, ten news items per page
(not reports: neither crawler follows them) and one annual report published as an HTML article. nginx
(Debian nginx-light, our own process: -p tmpdir, daemon off) serves every site on its own loopback port,
with ETag/Last-Modified and 304s. Printed: pages/s of both crawlers (the bare spider follows the same links,
chosen by the same crawler.discovery rules, and does nothing else), and the cost of an unchanged recrawl
relative to the first crawl (time, requests, bytes).
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
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

    from crawler import discovery as d

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--list-pages", type=int, default=6)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--bare-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_worker:
        bare_worker(*args.bare_worker)
        return

    from crawler.runner import child_env, run_crawl
    from crawler.settings import scrapy_settings
    from tests.farm.agencies import write_config
    from tests.farm.documents import seed_text

    tmp = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user
    seed = seed_text("dongguan")
    ports = free_ports(args.sites)
    roots, agencies = [], []
    for i, port in enumerate(ports):
        folder = tmp / "sites" / f"s{i}"
        name = generate_site(folder, i + 1, args.list_pages, seed)
        roots.append((port, folder))
        agencies.append({"id": f"site{i}", "name": name, "region": "测试省", "level": "city", "kind": "department",
                         "start_urls": [f"http://127.0.0.1:{port}/col/nb/index.html"], "render": "auto"})
    nginx = start_nginx(tmp, roots)
    crawl_options = {"concurrency": 32, "per_domain_concurrency": 4, "timeout": 20, "retries": 1}
    try:
        config = write_config(tmp / "config", f"sqlite:///{tmp / 'bench.db'}", agencies, **crawl_options)
        spec = {"start_urls": [a["start_urls"][0] for a in agencies],
                "scrapy_settings": scrapy_settings({**crawl_options, "delay": 0, "autothrottle": False,
                                                    "obey_robots": True})}
        (tmp / "bare.json").write_text(json.dumps(spec), encoding="utf-8")
        subprocess.run([sys.executable, __file__, "--bare-worker", str(tmp / "bare.json"), str(tmp / "bare.out")],
                       check=True, env=child_env(), stderr=subprocess.DEVNULL)
        bare = json.loads((tmp / "bare.out").read_text(encoding="utf-8"))
        first = run_crawl(config)
        again = run_crawl(config)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    if not (first.ok and again.ok):
        print(first.log[-3000:], again.log[-3000:])
        raise SystemExit("a crawl failed")
    report(args.sites, bare, first, again)
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


def report(sites: int, bare: dict[str, Any], first: Any, again: Any) -> None:
    bare_rate = bare["pages"] / bare["seconds"]
    rate = first.pages / first.crawl_seconds
    print(f"farm: {sites} sites (nginx), {first.pages} pages, {first.reports_new} reports found")
    print(f"bare scrapy spider : {bare['pages']} pages in {bare['seconds']:.1f}s = {bare_rate:.0f} pages/s")
    print(f"nianbao crawl      : {first.pages} pages in {first.crawl_seconds:.1f}s = {rate:.0f} pages/s "
          f"({rate / bare_rate:.2f}x bare; goal >= 0.8)")
    print(f"unchanged recrawl  : {again.crawl_seconds:.1f}s, {again.requests} requests ({again.not_modified} x 304), "
          f"{again.bytes} bytes; new {again.reports_new}, changed {again.reports_changed}, "
          f"unchanged {again.reports_unchanged}")
    print(f"recrawl cost / first crawl: time {again.crawl_seconds / first.crawl_seconds:.2f} (process {again.seconds / first.seconds:.2f}), "
          f"requests {again.requests / max(first.requests, 1):.2f}, bytes {again.bytes / max(first.bytes, 1):.2f} "
          f"(goal < 0.2)")


if __name__ == "__main__":
    main()
