"""A small HTTP server for one demo site: pages from a dict, with ETag/Last-Modified and 304 answers."""

from __future__ import annotations

import hashlib
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class DemoSite:
    def __init__(self, name: str) -> None:
        self.name = name
        self.pages: dict[str, tuple[bytes, str, float]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def set(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        old = self.pages.get(path)
        # Last-Modified only moves when the bytes change, as on a real CMS.
        stamp = old[2] if old and old[0] == data else time.time()
        self.pages[path] = (data, content_type, stamp)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> DemoSite:
        handler = type("Handler", (_Handler,), {"site": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"demo-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the demo prints its own summary
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server API
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain", head)
        page = self.site.pages.get(path)
        if page is None:
            return self._send(404, b"<html><body>404</body></html>", "text/html; charset=utf-8", head)
        body, ctype, stamp = page
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self._not_modified(etag, stamp):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        return self._send(200, body, ctype, head, {"ETag": etag, "Last-Modified": formatdate(stamp, usegmt=True)})

    def _not_modified(self, etag: str, stamp: float) -> bool:
        if self.headers.get("If-None-Match"):
            return self.headers["If-None-Match"] == etag
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(stamp) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, body: bytes, ctype: str, head: bool, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)
