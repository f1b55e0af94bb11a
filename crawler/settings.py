"""Scrapy settings built from nianbao settings (the `crawl` section of the settings file)."""

from __future__ import annotations

from typing import Any

from nianbao.crawler.browser import CHROMIUM_LAUNCH_OPTIONS
from nianbao.settings import CrawlSettings


def scrapy_settings(crawl: CrawlSettings) -> dict[str, Any]:
    """The Scrapy settings dict for one crawl pass: every value of the crawl section is set here, so
    nothing downstream (spider, middlewares) needs a default of its own."""
    return {
        "BOT_NAME": "nianbao",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_domain_concurrency,
        "DOWNLOAD_DELAY": crawl.delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.per_domain_concurrency),
        "DOWNLOAD_MAXSIZE": crawl.max_download_size,
        "DOWNLOAD_WARNSIZE": min(crawl.warn_download_size, crawl.max_download_size),
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "NIANBAO_RETRY_BACKOFF": crawl.retry_backoff,
        "NIANBAO_MAX_DEPTH": crawl.max_depth,
        "NIANBAO_MAX_LIST_PAGES": crawl.max_list_pages,
        "NIANBAO_MAX_PAGES_PER_SITE": crawl.max_pages_per_site,
        "NIANBAO_MAX_BYTES_PER_SITE": crawl.max_bytes_per_site,
        "NIANBAO_BROWSER_RESTART_EVERY": crawl.browser_restart_pages,
        "NIANBAO_RECHECK_KNOWN_AFTER_DAYS": crawl.recheck_known_after_days,
        "NIANBAO_KNOWN_AGENCIES_PER_READ": crawl.known_agencies_per_read,
        "NIANBAO_KNOWN_AGENCIES_HELD": crawl.known_agencies_held,
        "NIANBAO_PAGER_CLICK_SETTLE": crawl.pager_click_settle,
        "NIANBAO_MAX_PICTURES_PER_PAGE": crawl.max_pictures_per_page,
        "NIANBAO_MAX_PICTURE_BYTES": crawl.max_picture_bytes,
        "NIANBAO_PRIVATE_ADDRESSES": crawl.private_addresses,
        # Names resolving off the public internet are refused (crawler.addresses).
        "TWISTED_DNS_RESOLVER": "nianbao.crawler.addresses.PublicNameResolver",
        "DEPTH_LIMIT": 0,  # the spider counts hops itself: pagination does not deepen a list
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_ITEMS": 8,
        "DOWNLOADER": "nianbao.crawler.downloader.PoliteDownloader",  # per-host concurrency that holds
        "SCHEDULER_PRIORITY_QUEUE": "nianbao.crawler.downloader.HostQueue",  # Scrapy's choice, without N² per pop
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
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": crawl.browser_timeout * 1000,
        "DOWNLOADER_MIDDLEWARES": {
            # First: nothing (robots.txt included) is asked of a host outside the agency's places.
            "nianbao.crawler.middlewares.ConfinementMiddleware": 50,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "nianbao.crawler.middlewares.CachedRobotsTxtMiddleware": 100,
            "nianbao.crawler.middlewares.BudgetMiddleware": 110,  # after robots: a refused page costs nothing
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "nianbao.crawler.middlewares.BackoffRetryMiddleware": 550,
            "nianbao.crawler.middlewares.BackoffDelayMiddleware": 560,
            "nianbao.crawler.middlewares.ConditionalRequestMiddleware": 580,
        },
        "ITEM_PIPELINES": {"nianbao.crawler.pipelines.StorePipeline": 300},
    }
