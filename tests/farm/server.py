"""One threaded HTTP server per farm site: pages from a dict, ETag/Last-Modified/304, request counters.

Behaviours of broken sites are modes of the same server: 'ok', 'error500', 'hang' (accepts and never
answers), 'challenge412' (an anti-bot challenge page), 'captcha' (200 with a captcha page). A 'down' site
has no server at all: a port that was bound once and released, so connections are refused.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

CHALLENGE_PAGE = (
    "<html><head><title>安全验证</title><script>var _0x1=document.cookie;"
    "setTimeout(function(){location.reload()},1500);</script></head><body>请开启JavaScript并刷新该页</body></html>"
)


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    last_modified: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Content-Disposition of a download script

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Hit:
    path: str
    status: int
    body_bytes: int


class SiteServer:
    """A site on 127.0.0.1:<free port>. `pages` may be changed while it runs (set_page)."""

    def __init__(self, name: str, mode: str = "ok") -> None:
        self.name = name
        self.mode = mode
        self.pages: dict[str, Resource] = {}
        self.redirects: dict[str, str] = {}  # path -> Location of a 301 (e.g. a column moved to https)
        self.redirect_status = 301
        # path -> text the form must contain: answered to POST only (GET: 405), as Hanweb's dataproxy.jsp
        self.post_only: dict[str, str] = {}
        self.hits: list[Hit] = []
        self.on_request: Callable[[SiteServer, str], None] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.latency = 0.0  # seconds each answer waits (a slow real server)
        self.in_flight = 0  # requests being answered now, and the most ever at once (politeness checks)
        self.max_in_flight = 0

    # -- content ---------------------------------------------------------------------------------

    def set_page(self, path: str, body: bytes | str, content_type: str | None = None,
                 encoding: str = "utf-8", headers: dict[str, str] | None = None) -> None:
        """`path` is decoded ("/附件/a b.pdf"), or a path with a query as the client sends it
        ("/down.jsp?name=%C4%EA"): that page answers only that query (a download script)."""
        # Characters outside GBK become &#NNNN; references, as GBK CMSs publish them.
        data = body.encode(encoding, errors="xmlcharrefreplace") if isinstance(body, str) else body
        ctype = content_type or f"text/html; charset={encoding}"
        self.pages[path] = Resource(data, ctype, time.time(), dict(headers or {}))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- counters --------------------------------------------------------------------------------

    def record(self, path: str, status: int, body_bytes: int) -> None:
        with self._lock:
            self.hits.append(Hit(path, status, body_bytes))

    def count(self, path: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for h in self.hits if (path is None or h.path == path)
                       and (status is None or h.status == status))

    def body_downloads(self) -> Counter[str]:
        """Paths served with a full body (status 200): what an incremental crawl must avoid."""
        with self._lock:
            return Counter(h.path for h in self.hits if h.status == 200)

    def reset_counters(self) -> None:
        with self._lock:
            self.hits.clear()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> SiteServer:
        if self.mode == "down":
            self.port = free_port()  # released at once: nothing listens there
            return self
        handler = type("Handler", (_Handler,), {"site": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"farm-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def hang_until_stopped(self, max_seconds: float = 120.0) -> None:
        self._stop.wait(max_seconds)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        return  # clients that give up (timeouts, a killed crawl) reset connections: expected here


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
        return

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        site = self.site
        with site._lock:
            site.in_flight += 1
            site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            if site.latency:
                time.sleep(site.latency)
            self._answer()
        finally:
            with site._lock:
                site.in_flight -= 1

    def do_POST(self) -> None:
        path = unquote(urlsplit(self.path).path)
        length = min(int(self.headers.get("Content-Length") or 0), 65536)
        form = unquote(self.rfile.read(length).decode("utf-8", errors="replace"))
        needed = self.site.post_only.get(path)
        if needed is None or needed not in form:
            self._send(404, b"<html><body>404 Not Found</body></html>", "text/html", path)
            return
        self._serve_page(path)

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        if unquote(parts.path) in self.site.post_only:
            self._send(405, b"<html><body>Method Not Allowed</body></html>", "text/html", unquote(parts.path))
            return
        path = unquote(parts.path) or "/"
        if parts.query and f"{path}?{parts.query}" in self.site.pages:
            path = f"{path}?{parts.query}"
        if self.site.on_request is not None:
            self.site.on_request(self.site, path)
        mode = self.site.mode
        if mode == "hang":
            self.site.record(path, 0, 0)
            self.site.hang_until_stopped()
            return
        if mode == "error500":
            self._send(500, b"<html><body>Internal Server Error</body></html>", "text/html", path)
        elif mode == "challenge412":
            self._send(412, CHALLENGE_PAGE.encode(), "text/html; charset=utf-8", path)
        elif mode == "captcha":
            page = "<html><head><title>访问验证</title></head><body><form>请输入验证码<img src='/captcha.jpg'></form></body></html>"
            self._send(200, page.encode(), "text/html; charset=utf-8", path)
        else:
            self._serve_page(path)

    def _serve_page(self, path: str) -> None:
        if path in self.site.redirects:
            self._send(self.site.redirect_status, b"<html><body>Moved</body></html>", "text/html", path,
                       {"Location": self.site.redirects[path]})
            return
        resource = self.site.pages.get(path)
        if resource is None and path.endswith("/"):
            resource = self.site.pages.get(path + "index.html")
        if resource is None:
            self._send(404, b"<html><body>404 Not Found</body></html>", "text/html", path)
            return
        if self._not_modified(resource):
            self.send_response(304)
            self.send_header("ETag", resource.etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.site.record(path, 304, 0)
            return
        headers = {"ETag": resource.etag, "Last-Modified": formatdate(resource.last_modified, usegmt=True),
                   **resource.headers}
        self._send(200, resource.body, resource.content_type, path, headers)

    def _not_modified(self, resource: Resource) -> bool:
        etag = self.headers.get("If-None-Match")
        if etag is not None:
            return etag == resource.etag
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return parsedate_to_datetime(since).timestamp() >= int(resource.last_modified)
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, ctype: str, path: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.site.record(path, status, len(body))
