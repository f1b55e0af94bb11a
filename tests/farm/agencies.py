"""Write a settings file and an agencies.yaml for the farm (crawl options fit for tests: short timeouts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Fast and still polite to our own loopback servers; the hanging site costs timeout * (retries + 1).
TEST_CRAWL: dict[str, Any] = {
    "concurrency": 16,
    "per_domain_concurrency": 4,
    "delay": 0,
    "autothrottle": False,
    "obey_robots": True,
    "timeout": 2,
    "retries": 1,
    "max_depth": 3,
}


def write_config(folder: Path, database_url: str, agencies: list[dict[str, Any]], **crawl: Any) -> Path:
    """nianbao.yaml (+ agencies.yaml beside it) in `folder`; blobs in folder/../blobs. Returns the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "database_url": database_url,
        "blob_dir": str(folder.parent / "blobs"),
        "outbox_dir": str(folder.parent / "outbox"),
        "agencies": "agencies.yaml",
        "crawl": {**TEST_CRAWL, **crawl},
    }
    (folder / "agencies.yaml").write_text(yaml.safe_dump({"agencies": agencies}, allow_unicode=True),
                                          encoding="utf-8")
    path = folder / "nianbao.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path
