"""Shared Chromium launch options (Debian's chromium; `playwright install` cannot work offline), and what the
crawler does in a rendered page: click a script pager to its next page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

CHROMIUM_EXECUTABLE = "/usr/bin/chromium"

CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

CHROMIUM_LAUNCH_OPTIONS: dict[str, Any] = {
    "executable_path": CHROMIUM_EXECUTABLE,
    "args": CHROMIUM_ARGS,
    "headless": True,
}


# Clicks the control that leads from page `current` to the next: the number current+1 first (a 下一页 that a
# script never updates would lead to page 2 again and again), else a forward word. Marks the document, so
# that a new one (the script set location) is told from the old one rewritten in place (an XHR).
CLICK_NEXT_JS = """({next, words, decorations}) => {
  const strip = (s) => (s || '').replace(/\\s+/g, '');
  const bare = (s) => strip(s).split('').filter((c) => !decorations.includes(c)).join('');
  const controls = [...document.querySelectorAll(
    'a, [onclick], button, input[type=button], input[type=submit]')].filter((el) =>
      !/disabled/i.test(el.className || '') && !el.disabled);
  const label = (el) => el.tagName === 'INPUT' ? el.value : el.innerText;
  const target = controls.find((el) => strip(label(el)) === String(next))
    || controls.find((el) => words.includes(strip(label(el))) || words.includes(bare(label(el))));
  if (!target) return false;
  window.__nianbaoPage = next;
  target.click();
  return true;
}"""

STATE_JS = "() => [window.__nianbaoPage === undefined, document.readyState, document.body ? document.body.innerText : '']"


async def click_next(page: Any, current: int, words: Sequence[str], decorations: str, timeout: float,
                     settle: float) -> bool:
    """Click the page's control to page current+1 and wait for what it loads, in place or as a new
    document; False when there is no such control, or nothing changed within `timeout` seconds, or for
    `settle` seconds the click left no request in flight and the page as it was (a dead control)."""
    from playwright.async_api import Error as PlaywrightError  # only crawls that render import Playwright

    before = await page.evaluate("() => document.body ? document.body.innerText : ''")
    in_flight: set[Any] = set()

    # Playwright reads each listener's signature, which built-in methods (set.add) do not have.
    def started(request: Any) -> None:
        in_flight.add(request)

    def ended(request: Any) -> None:
        in_flight.discard(request)

    listeners = {"request": started, "requestfinished": ended, "requestfailed": ended}
    for event, listener in listeners.items():
        page.on(event, listener)
    try:
        try:
            if not await page.evaluate(CLICK_NEXT_JS, {"next": current + 1, "words": list(words),
                                                       "decorations": decorations}):
                return False
        except PlaywrightError:
            pass  # the click navigated before the script returned: a new document is on its way
        if not await _changed(page, before, in_flight, timeout, settle):
            return False
    finally:
        for event, listener in listeners.items():
            page.remove_listener(event, listener)
    with contextlib.suppress(PlaywrightError):  # a page that never goes quiet is read as it is
        await page.wait_for_load_state("networkidle", timeout=timeout * 1000)
    return True


async def _changed(page: Any, before: str, in_flight: set[Any], timeout: float, settle: float) -> bool:
    """Whether a new document loaded or the text changed in place after the click, within `timeout`; given
    up sooner when the old document stays unchanged with no request in flight for `settle` seconds."""
    from playwright.async_api import Error as PlaywrightError

    loop = asyncio.get_running_loop()
    deadline = quiet_since = loop.time()
    deadline += timeout
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        try:
            fresh, ready, text = await page.evaluate(STATE_JS)
        except PlaywrightError:
            quiet_since = loop.time()
            continue  # between two documents
        if (fresh and ready == "complete") or (not fresh and text != before):
            return True
        if fresh or in_flight:
            quiet_since = loop.time()  # a new document still loading, or an answer still awaited
        elif loop.time() - quiet_since >= settle:
            return False
    return False
