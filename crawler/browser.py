"""Shared Chromium launch options (Debian's chromium; `playwright install` cannot work offline)."""

from __future__ import annotations

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
