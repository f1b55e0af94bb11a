"""Downloads of the WARC evidence of a report or of an agency (storage/warc.py builds it from the stored
captures and blobs). Spooled to a temporary file: an agency's reports can be tens of megabytes."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable, Iterator
from typing import IO

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from nianbao.dashboard.context import Dashboard, read_only
from nianbao.storage.models import Agency, Report

_SPOOL = 16 * 1024 * 1024  # kept in memory below this size
_CHUNK = 256 * 1024


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
    finally:
        spool.close()


def _warc_response(dash: Dashboard, filename: str, title: str, **which: int | str) -> Response:
    """The WARC (filename ending .warc.gz) or the WACZ (.wacz) of a report or an agency."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115  # closed by _chunks
    wacz = filename.endswith(".wacz")
    try:
        if wacz:
            dash.store.write_wacz(spool, title=title, **which)  # type: ignore[arg-type]
        else:
            dash.store.write_warc(spool, filename=filename, **which)  # type: ignore[arg-type]
    except BaseException:
        spool.close()
        raise
    return StreamingResponse(_chunks(spool), media_type="application/wacz" if wacz else "application/warc",
                             headers={"content-disposition": f'attachment; filename="{filename}"'})


FORMATS = ("warc.gz", "wacz")


def report_download(fmt: str) -> Callable[[Request], Awaitable[Response]]:
    def handler(request: Request, dash: Dashboard, session: Session) -> Response:
        report = session.get(Report, request.path_params["report_id"])
        if report is None:
            raise HTTPException(404, "没有这份报告。")
        filename = f"nianbao-{report.agency_id}-{report.year}.{fmt}"
        return _warc_response(dash, filename, f"{report.agency_id} {report.year}", report_id=report.id)

    return read_only(handler)


def agency_download(fmt: str) -> Callable[[Request], Awaitable[Response]]:
    def handler(request: Request, dash: Dashboard, session: Session) -> Response:
        agency = session.get(Agency, request.path_params["agency_id"])
        if agency is None:
            raise HTTPException(404, "没有这个机关。")
        return _warc_response(dash, f"nianbao-{agency.id}.{fmt}", agency.name, agency_id=agency.id)

    return read_only(handler)
