"""Hotwave settings: one module, every deploy-varying value from the environment.

Embedded defaults give a working development setup (SQLite, eager Celery,
local-memory cache). Production (DEBUG off) refuses to start without SECRET_KEY.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)

# A secret key is required whenever DEBUG is off; development gets a fixed,
# clearly-marked insecure key so `make demo` works on a fresh machine.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set SECRET_KEY in the environment (or DEBUG=1 for development)."
        )
    SECRET_KEY = "django-insecure-hotwave-development-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

HOTWAVE_EVENTS_SECRET = env("HOTWAVE_EVENTS_SECRET", default="")
if not HOTWAVE_EVENTS_SECRET:
    if not DEBUG:
        raise ImproperlyConfigured(
            "HOTWAVE_EVENTS_SECRET is not set: the signed events endpoint needs a shared secret."
        )
    HOTWAVE_EVENTS_SECRET = "hotwave-development-events-secret"  # noqa: S105 - DEBUG only
HOTWAVE_EVENTS_MAX_BYTES = env.int("HOTWAVE_EVENTS_MAX_BYTES", default=5 * 1024 * 1024)
# Requests per client IP and window ("N/s", "N/m", "N/h", "N/d", "N/5m"; empty: no limit).
# Counted in Redis when REDIS_URL is set, else in the database (hotwave.ratelimit), so
# every worker process shares one budget; skipped, with a warning, while the store is down.
HOTWAVE_EVENTS_RATE = env("HOTWAVE_EVENTS_RATE", default="600/m")
try:
    from hotwave.ratelimit import parse_rate

    parse_rate(HOTWAVE_EVENTS_RATE)
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"HOTWAVE_EVENTS_RATE: {exc}") from None

# Tmall shops naming an operating account (准入中心), per shop and window.
OPERATING_DESIGNATE_RATE = env("OPERATING_DESIGNATE_RATE", default="10/h")
try:
    parse_rate(OPERATING_DESIGNATE_RATE)
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"OPERATING_DESIGNATE_RATE: {exc}") from None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_filters",
    "simple_history",
    "axes",
    "hotwave",
    "admission",
    "settlement",
    "notifications",
    "cooperation",
    "conversations",
    "workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hotwave.middleware.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hotwave.middleware.HtmxLoginRedirectMiddleware",
    "hotwave.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "hotwave.middleware.RejectNulQueryMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "hotwave.middleware.IdleSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hotwave.urls"
WSGI_APPLICATION = "hotwave.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotwave.context_processors.navigation",
                # Last: stands in for the CSRF token while a page is cached (hotwave.pagecache).
                "hotwave.pagecache.csrf",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
try:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
except Exception as exc:  # environ raises a bare ImproperlyConfigured/ValueError
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
if DATABASES["default"].get("ENGINE") not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured(
        "DATABASE_URL must be sqlite:///path or postgres://user@host:port/name "
        f"(got engine {DATABASES['default'].get('ENGINE')!r})."
    )
# Persistent connections: a new Postgres connection per request costs ~5× here.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait for each other, never fail: every transaction takes the
    # write lock when it begins (IMMEDIATE), so none has to upgrade a read lock later —
    # the upgrade is what failed at once with "database is locked" — and waits up to
    # ``timeout`` seconds for it. WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # PostgreSQL's JIT compiles any statement whose estimated cost passes
    # jit_above_cost (100 000): the pages' correlated subqueries are estimated that
    # high and run in 20-40 ms, then spend 60-260 ms compiling (docs/PERFORMANCE.md).
    # Off for Hotwave's connections; DATABASE_JIT=1 keeps the server's setting.
    if not env.bool("DATABASE_JIT", default=False):
        options = DATABASES["default"]["OPTIONS"]
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "admission.User"

# --- Cache and Celery --------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # The cache may live in another Redis database than the broker.
            "LOCATION": env("REDIS_CACHE_URL", default=REDIS_URL),
            # Short timeouts: a dead Redis must not hang a page (pages fall back).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": "hotwave",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # An in-process broker (eager mode never sends); the host part only keeps kombu
    # from warning "No hostname was supplied" on every first enqueue.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A signed-in user's unchanged page is answered from the cache (hotwave.pagecache): exact,
# keyed on the versions of every table the page read; off with PAGE_CACHE=0.
PAGE_CACHE = env.bool("PAGE_CACHE", default=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_ENABLE_UTC = True
# Time limits stay well below the broker's visibility timeout so a task that
# is still running is never handed to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 60 * 60,  # the limits above are checked against it
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT <= CELERY_TASK_TIME_LIMIT < 60 * 60:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT <= CELERY_TASK_TIME_LIMIT must stay below the broker's "
        f"visibility timeout (3600 s); got {CELERY_TASK_SOFT_TIME_LIMIT} and "
        f"{CELERY_TASK_TIME_LIMIT}: a task still running would be handed to a second worker"
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ACKS_LATE = False  # opted in per task, only where the work is idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks the nightly settlement is spread over (settlement.tasks; 1 = a single-process run).
SETTLEMENT_WORKERS = env.int("SETTLEMENT_WORKERS", default=2)
# Connections the nightly scorecard recompute is spread over (cooperation.tasks; 1 = one).
SCORECARD_WORKERS = env.int("SCORECARD_WORKERS", default=2)
# Threads (each with its own connection) that apply imported order events on PostgreSQL.
IMPORT_WRITERS = env.int("IMPORT_WRITERS", default=2)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Each app's periodic work is listed here, one place to read the clock.
    "settlement-nightly": {
        "task": "settlement.tasks.settle_yesterday",
        "schedule": crontab(hour=2, minute=0),
    },
    # Every time-driven rule of cooperation (expiry, auto-receipt, auto-completion,
    # deadline reminders and breaches, disputes past their answer time).
    "cooperation-tick": {
        "task": "cooperation.tasks.cooperation_tick",
        "schedule": crontab(minute="*/5"),
    },
    # 选品广场's 近 7 天订单 of every product (cooperation.services.sales: a page that
    # finds them older than 10 minutes counts them itself).
    "cooperation-product-sales": {
        "task": "cooperation.tasks.refresh_product_sales",
        "schedule": crontab(minute="*/5"),
    },
    # Every creator's and merchant's scorecard (issue 17), after the night's settlement.
    "cooperation-scorecards": {
        "task": "cooperation.tasks.recompute_scorecards",
        "schedule": crontab(hour=3, minute=30),
    },
    # 通知: emails left in the outbox (the broker was away, a sender died) and the
    # 每日摘要 of yesterday, at 08:00 Asia/Shanghai.
    "notifications-resume-outbox": {
        "task": "notifications.resume_outbox",
        "schedule": crontab(minute="*"),
    },
    "notifications-digests": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    "workbench-recount-todos": {
        "task": "workbench.tasks.recount_all_todos",
        "schedule": crontab(minute="*/5"),
    },
}

# 消息: messages one user may send ("N/m", "N/h"…; empty: no limit); over it the
# message is refused with the seconds to wait, nothing stored.
CONVERSATIONS_SEND_RATE = env("CONVERSATIONS_SEND_RATE", default="30/m")
# New direct threads a merchant may open per day (Asia/Shanghai) with creators it never worked with.
CONVERSATIONS_OUTREACH_PER_DAY = env.int("CONVERSATIONS_OUTREACH_PER_DAY", default=20)
try:
    parse_rate(CONVERSATIONS_SEND_RATE)
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"CONVERSATIONS_SEND_RATE: {exc}") from None

# --- Cooperation deadlines (SPEC §7) -------------------------------------------
# Defaults of every stage's deadline; the per-task ones are chosen on the invitation
# within the (min, max) bounds. Days are Asia/Shanghai days of 24 hours.
COOPERATION_DEADLINES = {
    "ship_days": {"default": 3, "min": 1, "max": 15},  # 待寄样: ship within, from acceptance
    "receipt_days": {"default": 10, "min": 3, "max": 20},  # 待签收: auto-receipt after shipping
    "live_grace_days": {"default": 2, "min": 0, "max": 7},  # 待直播: planned date + grace
}
# 待确认 completes by itself this many days after the live report.
COOPERATION_CONFIRM_DAYS = 7
# A reminder (待办事项 and the timeline) this many hours before a deadline.
COOPERATION_REMIND_HOURS = 24
# A missed deadline nobody acts on: the task is cancelled (escrow back to the merchant)
# this many days after it, so no slot fee waits forever.
COOPERATION_BREACH_AUTOCANCEL_DAYS = 7
# The other side of a dispute answers within this many days, or the opener's account stands.
COOPERATION_DISPUTE_ANSWER_DAYS = 3
# Who a task reference (HW-T-…) on an order event belongs to (settlement.task_refs).
HOTWAVE_TASK_REFERENCE_OWNERS = "cooperation.attribution.task_reference_creators"
# An order of a task's products by its creator belongs to it when paid this long after
# the reported live start.
COOPERATION_ATTRIBUTION_HOURS = 48
# A promotion plan's rate cut (or its end) takes effect this many hours after it is
# announced (SPEC §7: a rate cut never surprises anyone); a raise takes effect at once.
COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS = env.int("COOPERATION_PLAN_RATE_CUT_NOTICE_HOURS", 24)

# Upper bounds of what a form or service accepts (yuan): a slot fee (坑位费) and a
# product's price (商品价格). Anything above is refused with the bound in the message.
HOTWAVE_MAX_SLOT_FEE = env("HOTWAVE_MAX_SLOT_FEE", cast=Decimal, default=Decimal("500000.00"))
HOTWAVE_MAX_PRODUCT_PRICE = env(
    "HOTWAVE_MAX_PRODUCT_PRICE", cast=Decimal, default=Decimal("100000.00")
)
# The payment provider merchants top up through (充值, settlement.payments). The instant
# provider confirms at once (demo, tests); without DEBUG and without a provider named,
# top-ups are refused rather than credited with nothing behind them.
HOTWAVE_PAYMENT_PROVIDER = env("HOTWAVE_PAYMENT_PROVIDER", default="")
if not HOTWAVE_PAYMENT_PROVIDER:
    HOTWAVE_PAYMENT_PROVIDER = (
        "settlement.payments.InstantProvider" if DEBUG else "settlement.payments.NoProvider"
    )
# Settle an order only once it has been confirmed for this many days (absorbs late
# refunds, as the incumbents do); 0 keeps SPEC §4: the night after confirmation.
SETTLEMENT_HOLD_DAYS = env.int("SETTLEMENT_HOLD_DAYS", default=0)
if SETTLEMENT_HOLD_DAYS < 0:
    raise ImproperlyConfigured("SETTLEMENT_HOLD_DAYS must be 0 or more days")
# Days from a payout's business date to its expected arrival (exported the next
# morning; the provider pays the same day): shown as 预计 MM-DD 到账.
HOTWAVE_PAYOUT_ARRIVAL_DAYS = env.int("HOTWAVE_PAYOUT_ARRIVAL_DAYS", default=1)
# The smallest and largest single top-up (yuan).
HOTWAVE_TOP_UP_MIN = env("HOTWAVE_TOP_UP_MIN", cast=Decimal, default=Decimal("1.00"))
HOTWAVE_TOP_UP_MAX = env("HOTWAVE_TOP_UP_MAX", cast=Decimal, default=Decimal("1000000.00"))

# --- Auth ----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "login"
# Django's validators, saying what they check in our words (hotwave/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "hotwave.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "hotwave.passwords.MinimumLengthValidator"},
    {"NAME": "hotwave.passwords.CommonPasswordValidator"},
    {"NAME": "hotwave.passwords.NumericPasswordValidator"},
]
# A reset link works once, and for two hours.
PASSWORD_RESET_TIMEOUT = 2 * 60 * 60
# Reset requests per client IP ("N/m", "N/h"…; empty: no limit); over it nothing is sent.
HOTWAVE_PASSWORD_RESET_RATE = env("HOTWAVE_PASSWORD_RESET_RATE", default="5/h")
try:
    parse_rate(HOTWAVE_PASSWORD_RESET_RATE)
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"HOTWAVE_PASSWORD_RESET_RATE: {exc}") from None

# --- Email ----------------------------------------------------------------------
# Django 6.1's MAILERS, from EMAIL_URL (smtp://user:password@host:25,
# smtp+tls://…:587, smtp+ssl://…:465, consolemail://) or from EMAIL_HOST,
# EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL;
# neither: the console (development, `make demo`; `check --deploy` warns).


def _mailer() -> dict:
    url = env("EMAIL_URL", default="")
    if url:
        try:
            conf = environ.Env.email_url_config(url)
        except Exception as exc:  # environ raises several kinds for a bad URL
            raise ImproperlyConfigured(f"EMAIL_URL is not a valid email URL: {exc}") from None
    elif env("EMAIL_HOST", default=""):
        conf = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": env("EMAIL_HOST"),
            "EMAIL_PORT": env.int("EMAIL_PORT", default=25),
            "EMAIL_HOST_USER": env("EMAIL_HOST_USER", default=""),
            "EMAIL_HOST_PASSWORD": env("EMAIL_HOST_PASSWORD", default=""),
            "EMAIL_USE_TLS": env.bool("EMAIL_USE_TLS", default=False),
            "EMAIL_USE_SSL": env.bool("EMAIL_USE_SSL", default=False),
        }
    else:
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if not conf["EMAIL_BACKEND"].endswith(".smtp.EmailBackend"):
        return {"BACKEND": conf["EMAIL_BACKEND"]}
    return {
        "BACKEND": conf["EMAIL_BACKEND"],
        "OPTIONS": {
            "host": conf["EMAIL_HOST"],
            "port": conf["EMAIL_PORT"],
            "username": conf.get("EMAIL_HOST_USER") or None,
            "password": conf.get("EMAIL_HOST_PASSWORD") or None,
            "use_tls": bool(conf.get("EMAIL_USE_TLS")),
            "use_ssl": bool(conf.get("EMAIL_USE_SSL")),
            "timeout": env.int("EMAIL_TIMEOUT", default=10),
        },
    }


MAILERS = {"default": _mailer()}
# Links in emails (notifications) point here.
HOTWAVE_SITE_URL = env("HOTWAVE_SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Hotwave 热浪 <no-reply@hotwave.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failed logins per client IP and window, whatever the usernames (hotwave.views.LoginView):
# axes locks (username, IP) pairs; this stops one client trying many usernames.
LOGIN_FAILURES_PER_IP = env("LOGIN_FAILURES_PER_IP", default="20/15m")
try:
    parse_rate(LOGIN_FAILURES_PER_IP)
except ImproperlyConfigured as exc:
    raise ImproperlyConfigured(f"LOGIN_FAILURES_PER_IP: {exc}") from None
# Trusted reverse proxies in front of the app, each appending to X-Forwarded-For:
# the client is the PROXY_COUNT-th entry from the right (entries further left are
# the client's own and ignored); 0 means "no proxy, use REMOTE_ADDR, ignore the
# header". hotwave.clientip implements it for axes and the events rate limit
# (django-ipware, which axes' AXES_IPWARE_* settings need, is not installed).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "hotwave.clientip.client_ip"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)  # absolute
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=60 * 60 * 2)
SESSION_COOKIE_HTTPONLY = True

# --- Internationalisation ------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [env.path("HOTWAVE_LOCALE_DIR", default=str(BASE_DIR / "locale"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (product images) go through Django's storage API. The default is the
# file system under MEDIA_ROOT, served by Hotwave itself at MEDIA_URL (hotwave.views.media,
# DEBUG or not). MEDIA_STORAGE=s3 stores them in any S3-compatible bucket through
# django-storages (pip install '.[s3]'), whose own URLs the pages then use; the backend
# is named as a string, so boto3 is imported only when a file is really stored there.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("MEDIA_S3_BUCKET"),
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("MEDIA_S3_REGION", default=None),
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default=None),
            # A CDN or public bucket host: plain, cacheable URLs without signatures.
            "custom_domain": env.str("MEDIA_S3_CUSTOM_DOMAIN", default=None),
            "querystring_auth": env.bool("MEDIA_S3_SIGNED_URLS", default=False),
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
elif MEDIA_STORAGE == "filesystem":
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("MEDIA_STORAGE must be 'filesystem' or 's3'.")
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # The media bucket's host when product images live in an S3-compatible store.
    "img-src": [CSP.SELF, "data:", *env.list("MEDIA_IMG_SRC", default=[])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
HTTPS = env.bool("HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

DATA_UPLOAD_MAX_MEMORY_SIZE = HOTWAVE_EVENTS_MAX_BYTES

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}

TESTING = "pytest" in sys.modules
