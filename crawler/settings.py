"""Scrapy settings built from nianbao settings (the `crawl` section of the settings file)."""

from __future__ import annotations

from typing import Any

from nianbao.crawler.browser import CHROMIUM_LAUNCH_OPTIONS

USER_AGENT = "nianbao/0.1 (annual report monitor)"

# Defaults used when the crawl section leaves a value out. Polite: few requests per site at a time.
DEFAULTS: dict[str, Any] = {
    "concurrency": 16,  # requests in flight overall
    "user_agent": USER_AGENT,
    "per_domain": 4,  # requests in flight per site
    "delay": 0.0,  # seconds between requests to one site (AutoThrottle adapts from here)
    "autothrottle": True,
    "robots": True,
    "max_bytes": 50 * 1024 * 1024,
    "warn_bytes": 20 * 1024 * 1024,
    "timeout": 30.0,
    "retries": 2,
    "retry_backoff": 1.0,
    "max_depth": 3,
    "max_list_pages": 50,
    "browser_restart_every": 50,
    "browser_timeout": 30.0,
    "recheck_known_after_days": 7.0,  # see crawler.known
}


def crawl_option(crawl: Any, name: str, *aliases: str) -> Any:
    """Read one option from the settings' crawl section (an object or a dict), tolerating synonyms."""
    for key in (name, *aliases):
        value = crawl.get(key) if isinstance(crawl, dict) else getattr(crawl, key, None)
        if value is not None:
            return value
    return DEFAULTS[name]


def scrapy_settings(crawl: Any) -> dict[str, Any]:
    """The Scrapy settings dict for one crawl pass."""
    opt = lambda name, *aliases: crawl_option(crawl, name, *aliases)  # noqa: E731 - local shorthand
    timeout = float(opt("timeout", "timeout_s", "download_timeout"))
    return {
        "BOT_NAME": "nianbao",
        "USER_AGENT": str(opt("user_agent")),
        "ROBOTSTXT_OBEY": bool(opt("robots", "obey_robots")),
        "CONCURRENT_REQUESTS": int(opt("concurrency", "concurrent_requests")),
        "CONCURRENT_REQUESTS_PER_DOMAIN": int(opt("per_domain", "per_domain_concurrency")),
        "DOWNLOAD_DELAY": float(opt("delay", "download_delay")),
        "AUTOTHROTTLE_ENABLED": bool(opt("autothrottle")),
        "AUTOTHROTTLE_START_DELAY": max(float(opt("delay", "download_delay")), 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(opt("per_domain", "per_domain_concurrency")),
        "DOWNLOAD_MAXSIZE": int(opt("max_bytes", "max_download_size")),
        "DOWNLOAD_WARNSIZE": min(int(opt("warn_bytes")), int(opt("max_bytes", "max_download_size"))),
        "DOWNLOAD_TIMEOUT": timeout,
        "RETRY_TIMES": int(opt("retries", "retry_times")),
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "NIANBAO_RETRY_BACKOFF": float(opt("retry_backoff")),
        "NIANBAO_MAX_DEPTH": int(opt("max_depth", "depth_limit", "depth")),
        "NIANBAO_MAX_LIST_PAGES": int(opt("max_list_pages")),
        "NIANBAO_BROWSER_RESTART_EVERY": int(opt("browser_restart_every", "browser_restart_pages")),
        "NIANBAO_RECHECK_KNOWN_AFTER_DAYS": float(opt("recheck_known_after_days")),
        "DEPTH_LIMIT": 0,  # the spider counts hops itself: pagination does not deepen a list
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_ITEMS": 8,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        # Pages that need JavaScript go through Chromium; everything else stays on plain HTTP.
        "DOWNLOAD_HANDLERS": {
            "http": "nianbao.crawler.handlers.LazyBrowserHandler",
            "https": "nianbao.crawler.handlers.LazyBrowserHandler",
        },
        # Only the extensions a crawl uses. Replacing the base list, not disabling entries in EXTENSIONS:
        # Scrapy imports every listed class, and RemoteControl alone imports aiohttp (~0.4 s per start).
        "EXTENSIONS_BASE": {f"scrapy.extensions.{name}": 0 for name in (
            "corestats.CoreStats", "logcount.LogCount", "memusage.MemoryUsage", "closespider.CloseSpider",
            "logstats.LogStats", "throttle.AutoThrottle")},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": CHROMIUM_LAUNCH_OPTIONS,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 2,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": float(opt("browser_timeout")) * 1000,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "nianbao.crawler.middlewares.CachedRobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "nianbao.crawler.middlewares.BackoffRetryMiddleware": 550,
            "nianbao.crawler.middlewares.BackoffDelayMiddleware": 560,
            "nianbao.crawler.middlewares.ConditionalRequestMiddleware": 580,
        },
        "ITEM_PIPELINES": {"nianbao.crawler.pipelines.StorePipeline": 300},
    }
