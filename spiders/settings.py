"""Scrapy settings for every Newswatch crawl.

Rules, as in Scrapy's ``default_settings.py``: names in alphabetical order, the enabling flag
first in each group, units in comments. A caller overrides any of them through
``crawl_site(settings=...)``; a site spider through its ``custom_settings``; one request through
its ``meta``.

Newswatch's own settings:

``NEWSWATCH_ALLOW_PRIVATE``    reach any address, loopback and private ones too (a site's
                               ``allow_private``); otherwise see :mod:`spiders.address_guard`
``NEWSWATCH_CONDITIONAL_ENABLED``  ask for feeds, sitemaps and section pages conditionally
                               (ETag / Last-Modified kept in the database; needs the URL below)
``NEWSWATCH_CONTACT``          URL (http(s) or mailto:) where site owners reach the operator; it
                               goes into ``USER_AGENT`` unless that is set explicitly
``NEWSWATCH_DATABASE_URL``     skip article URLs already stored there (None: fetch everything)
``NEWSWATCH_MAX_AGE``          ignore feed and sitemap entries older than this (0: keep all);
                               a site's ``max_age`` wins
``NEWSWATCH_MAX_ERRORS``       failure lines kept in the crawl's stats
``NEWSWATCH_MAX_PAGES``        listing pages and article requests one crawl of one site may make
                               (stored articles not counted); a site's ``max_pages`` wins
``NEWSWATCH_MAX_SITEMAP_DEPTH``  sitemap indexes followed this many levels below a configured
                               one, no deeper (see ``spiders.budget``)
``NEWSWATCH_MIN_BODY_CHARS``   shortest body that makes a page an article when the page does not
                               say it is one (a Chinese character counts as four)
``NEWSWATCH_OWN_HOSTS``        host names and addresses that may be reached though they are not
                               public: the site's own (spiders.crawl sets them from its URLs)
``NEWSWATCH_OUTPUT``           JSON-lines file the articles are written to (None: not written)
``NEWSWATCH_PROGRESS``         file the crawl's progress is written to while it runs (None: not)
``NEWSWATCH_PROGRESS_INTERVAL``  how often that file is rewritten, in seconds
``NEWSWATCH_STOP_GRACE``       seconds a crawl past its time limit (``CLOSESPIDER_TIMEOUT``,
                               set from the run's ``timeout``) has to stop before it is killed
``NEWSWATCH_STORED_LOOKUP``    factory of the stored-URL check, given the database URL
``NEWSWATCH_VALIDATOR_STORE``  factory of the feed validator store, given the database URL
"""

__all__ = [
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "CLOSESPIDER_TIMEOUT",
    "CONCURRENT_ITEMS",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "COOKIES_ENABLED",
    "DNS_TIMEOUT",
    "DOWNLOADER_MIDDLEWARES",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_WARNSIZE",
    "EXTENSIONS",
    "ITEM_PIPELINES",
    "LOG_INSTALL_ROOT_HANDLER",
    "LOG_LEVEL",
    "MEMUSAGE_CHECK_INTERVAL_SECONDS",
    "MEMUSAGE_ENABLED",
    "MEMUSAGE_LIMIT_MB",
    "NEWSWATCH_ALLOW_PRIVATE",
    "NEWSWATCH_CONDITIONAL_ENABLED",
    "NEWSWATCH_CONTACT",
    "NEWSWATCH_DATABASE_URL",
    "NEWSWATCH_MAX_AGE",
    "NEWSWATCH_MAX_ERRORS",
    "NEWSWATCH_MAX_PAGES",
    "NEWSWATCH_MAX_SITEMAP_DEPTH",
    "NEWSWATCH_MIN_BODY_CHARS",
    "NEWSWATCH_OUTPUT",
    "NEWSWATCH_OWN_HOSTS",
    "NEWSWATCH_PROGRESS",
    "NEWSWATCH_PROGRESS_INTERVAL",
    "NEWSWATCH_STOP_GRACE",
    "NEWSWATCH_STORED_LOOKUP",
    "NEWSWATCH_VALIDATOR_STORE",
    "REDIRECT_MAX_TIMES",
    "REMOTE_CONTROL_ENABLED",
    "RETRY_ENABLED",
    "RETRY_TIMES",
    "ROBOTSTXT_OBEY",
    "TELNETCONSOLE_ENABLED",
    "TWISTED_DNS_RESOLVER",
    "USER_AGENT",
]

# Politeness: AutoThrottle adapts the delay to each site's latency, never below DOWNLOAD_DELAY.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30  # s
AUTOTHROTTLE_START_DELAY = 1  # s
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # requests in flight per site

# The crawl's time limit; spiders.crawl sets it from the run's timeout (0: none).
CLOSESPIDER_TIMEOUT = 0  # s

# Items a response's output is handled with at once. Scrapy starts this many asyncio tasks for
# every response, however few items it yields; the default of 100 cost a quarter of a crawl's
# CPU, and our pipelines finish each item before the next would start anyway.
CONCURRENT_ITEMS = 1

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2

# Articles need no session; consent cookies would only change what the furniture says.
COOKIES_ENABLED = False

DNS_TIMEOUT = 15  # s

DOWNLOADER_MIDDLEWARES = {
    # First of all, before robots.txt asks the same host: no private address is ever asked.
    "spiders.address_guard.PrivateAddressMiddleware": 50,
    # Before robots.txt and the download: a stored article costs no request at all.
    "spiders.middlewares.StoredArticleMiddleware": 90,
    # Just after it: a stored article costs no part of the crawl's max_pages either.
    "spiders.budget.PageBudgetMiddleware": 95,
    # Below RetryMiddleware (550), so it sees each request's final outcome, not every attempt.
    "spiders.outcomes.PageOutcomeMiddleware": 540,
    # Also below RetryMiddleware: a listing is trusted as "seen" only when the articles it led
    # to were all fetched, judged on each request's final attempt.
    "spiders.conditional.ConditionalRequestMiddleware": 530,
}

DOWNLOAD_DELAY = 0.5  # s, per site
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # 10 MiB; larger responses are cancelled
DOWNLOAD_TIMEOUT = 30  # s
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # 2 MiB

EXTENSIONS = {
    "spiders.progress.ProgressFile": 500,
}

ITEM_PIPELINES = {
    "spiders.pipelines.JsonLinesPipeline": 300,
}

# The child process configures logging itself; a library must not take over the root logger.
LOG_INSTALL_ROOT_HANDLER = False
LOG_LEVEL = "INFO"

# A crawl past this much memory stops (finish reason memusage_exceeded) and fails.
MEMUSAGE_ENABLED = True
MEMUSAGE_CHECK_INTERVAL_SECONDS = 5  # s
MEMUSAGE_LIMIT_MB = 1024  # MiB, the crawl process's peak resident size

NEWSWATCH_ALLOW_PRIVATE = False
NEWSWATCH_CONDITIONAL_ENABLED = True
NEWSWATCH_CONTACT = None
NEWSWATCH_DATABASE_URL = None
NEWSWATCH_MAX_AGE = 3 * 24 * 60 * 60  # s (3 days)
NEWSWATCH_MAX_ERRORS = 50  # lines
NEWSWATCH_MAX_PAGES = 2000  # requests per crawl of one site
NEWSWATCH_MAX_SITEMAP_DEPTH = 3  # levels of sitemap indexes
NEWSWATCH_MIN_BODY_CHARS = 120  # characters, weighed by script (spiders.extract.text_weight)
NEWSWATCH_OUTPUT = None
NEWSWATCH_OWN_HOSTS: list[str] = []
NEWSWATCH_PROGRESS = None
NEWSWATCH_PROGRESS_INTERVAL = 5  # s
NEWSWATCH_STOP_GRACE = 15  # s
NEWSWATCH_STORED_LOOKUP = "spiders.middlewares.database_lookup"
NEWSWATCH_VALIDATOR_STORE = "spiders.validators.database_validators"

REDIRECT_MAX_TIMES = 5

# Scrapy 2.13+ serves a remote-control API; a crawl child needs none.
REMOTE_CONTROL_ENABLED = False

RETRY_ENABLED = True
RETRY_TIMES = 1  # one retry after the first attempt

ROBOTSTXT_OBEY = True

TELNETCONSOLE_ENABLED = False

# Every connection asks it for its address, and it hands out none that the crawl may not reach.
TWISTED_DNS_RESOLVER = "spiders.address_guard.GuardedResolver"

# Honest: says what it is; spiders.crawl.build_settings adds NEWSWATCH_CONTACT when given.
USER_AGENT = "Newswatch/0.1 (+https://github.com/newswatch/newswatch)"
