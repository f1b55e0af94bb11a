"""Polling for tests that watch another process (a daemon, a crawl child) reach a state."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], bool], seconds: float, what: str, *, every: float = 0.1) -> None:
    """Return once `condition()` is true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")
