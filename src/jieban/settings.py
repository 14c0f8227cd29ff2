"""Django settings, all read from the environment (see README, "Configuration")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from jieban.conf import (
    ConfigurationError,
    allowed_hosts,
    attachment_storage,
    data_directory,
    env_bool,
    env_choice,
    env_int,
    env_int_between,
    env_list,
    env_networks,
    env_positive_int,
    env_secret,
    env_str,
    secret_from_env_or_file,
)
from jieban.files import DIRECTORY_MODE, FILE_MODE, private_directory, private_file, tighten
from jieban.request_log import logging_config

PACKAGE_DIR = Path(__file__).resolve().parent
# Residents' data lives here: the directory is 0700 and every file in it 0600 (jieban.files).
DATA_DIR = private_directory(data_directory())

SECRET_KEY = secret_from_env_or_file("JIEBAN_SECRET_KEY", DATA_DIR / "secret_key")
DEBUG = env_bool("JIEBAN_DEBUG", False)
# The host names Jieban answers to; a request naming another Host is a 400. Behind a proxy,
# the proxy passes the public name on (README "Behind a proxy").
ALLOWED_HOSTS = allowed_hosts("JIEBAN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("JIEBAN_CSRF_TRUSTED_ORIGINS", [])
# The reverse proxies in front (docs/deploy.md): a request from one of them is from the client
# its X-Forwarded-For names, and HTTPS when its X-Forwarded-Proto says so (jieban.http).
JIEBAN_TRUSTED_PROXIES = env_networks("JIEBAN_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "axes",
    "auditlog",
    "jieban.org",
    "jieban.workcalendar",
    "jieban.tickets",
    "jieban.intake",
    "jieban.notify",
    "jieban.stats",
    "jieban.community",
    "jieban.mediation",
    "jieban.exchange",
    "jieban.suggestions",
    "jieban.ops",
    "jieban.worker",
    "jieban.demo",
    "jieban.api",
    "jieban.web",
]

MIDDLEWARE = [
    # First: everything after it reads the client's address and scheme, not the proxy's.
    "jieban.http.BehindTrustedProxies",
    # Then every request gets its id, its access line and its count in the metrics.
    "jieban.http.ObserveRequests",
    # /healthz and /metrics, answered before any middleware that reads the Host or a session:
    # a load balancer and Prometheus call a node by its address.
    "jieban.http.AnswerProbesFirst",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: the vendored static files keep their caching headers.
    "csp.middleware.CSPMiddleware",
    "jieban.http.NoStore",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before any view reads the path or the query (its message in the person's language).
    "jieban.http.RefuseNulInAddresses",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Changes to the tracked models are recorded as done by the request's person (the history).
    "jieban.http.RecordChangesAsTheRequestsPerson",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: a login refused for too many failures gets its answer (a 429) on the way out.
    "axes.middleware.AxesMiddleware",
]

# django-axes counts failed logins first, and refuses a locked-out login before the password
# is even checked (README, "Logins and lockouts").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "jieban.urls"
WSGI_APPLICATION = "jieban.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_config() -> dict[str, Any]:
    url = env_str("DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{DATA_DIR / 'jieban.sqlite3'}"
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=env_int("JIEBAN_DB_CONN_MAX_AGE", 60))
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = None if config["CONN_MAX_AGE"] else 0
        config["OPTIONS"] = {
            # WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged
            # commit durable across a power cut. IMMEDIATE takes the write lock at BEGIN so two
            # writers queue on busy_timeout instead of deadlocking on a lock upgrade.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        _private_sqlite_files(str(config["NAME"]))
    return config


def _private_sqlite_files(name: str) -> None:
    """The database file created 0600 before SQLite opens it: SQLite gives its WAL and
    shared-memory files the database file's mode, whatever the umask. Files an earlier
    version left more open are tightened."""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    database = Path(name)
    if not database.parent.is_dir():
        return  # SQLite will say the database cannot be opened; nothing to protect here
    private_file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(database.with_name(database.name + suffix))


def replica_config(url: str, primary: dict[str, Any]) -> dict[str, Any]:
    """The `replica` database (JIEBAN_REPLICA_DATABASE_URL): a PostgreSQL streaming replica of
    the primary, read by reports and statistics (`jieban.databases`). Its connections are
    read-only, so nothing can be written there by mistake; a test run reads it as the primary's
    own test database (MIRROR)."""
    if primary["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigurationError(
            "JIEBAN_REPLICA_DATABASE_URL needs DATABASE_URL on PostgreSQL: SQLite has no replica"
        )
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=env_int("JIEBAN_DB_CONN_MAX_AGE", 60))
    )
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ConfigurationError(
            f"JIEBAN_REPLICA_DATABASE_URL must be a postgres:// address, got {url.split(':')[0]}:…"
        )
    options = dict(config.get("OPTIONS", {}))
    config["OPTIONS"] = {
        **options,
        # A replica that does not answer costs a page a few seconds, not a minute: the
        # figures are then read from the primary.
        "connect_timeout": env_positive_int("JIEBAN_REPLICA_CONNECT_TIMEOUT", 3),
        "options": f"{options.get('options', '')} -c default_transaction_read_only=on".strip(),
    }
    config["TEST"] = {"MIRROR": "default"}
    return config


DATABASES = {"default": _database_config()}
if env_str("JIEBAN_REPLICA_DATABASE_URL", ""):
    DATABASES["replica"] = replica_config(
        env_str("JIEBAN_REPLICA_DATABASE_URL", ""), DATABASES["default"]
    )
# Reads of reports and statistics go to the replica when there is one; everything else, every
# write and every migration to the primary (`jieban.databases`, docs/deploy.md).
DATABASE_ROUTERS = ["jieban.databases.ReplicaRouter"]
# How long a read of figures waits for the replica to replay what the primary has committed
# (milliseconds) before it reads the primary instead.
JIEBAN_REPLICA_WAIT_MS = env_int("JIEBAN_REPLICA_WAIT_MS", 1000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("JIEBAN_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
MEDIA_ROOT = DATA_DIR / "attachments"
# Attachments and the directories made for them: for Jieban's user only, whatever the umask.
FILE_UPLOAD_PERMISSIONS = FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = DIRECTORY_MODE

# Limits on what a request may carry: a huge body is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("JIEBAN_MAX_BODY_BYTES", 1 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
JIEBAN_ATTACHMENT_MAX_BYTES = env_int("JIEBAN_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
JIEBAN_ATTACHMENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

JIEBAN_DEFAULT_DEADLINE_DAYS = env_int("JIEBAN_DEFAULT_DEADLINE_DAYS", 5)
JIEBAN_BUREAU_NAME = env_str("JIEBAN_BUREAU_NAME", "")
# The Open311 server's jurisdiction_id (README, "Open311 GeoReport v2"): empty, the parameter is
# ignored; set (e.g. the bureau's web site, "gaj.example.gov.cn"), another one is not found.
JIEBAN_OPEN311_JURISDICTION = env_str("JIEBAN_OPEN311_JURISDICTION", "")
# How pages, Excel and published reports round a rate to two decimals of a percent (the API
# gives exact fractions): the values of `jieban.stats.rates.Rounding`.
JIEBAN_RATE_ROUNDING = env_choice("JIEBAN_RATE_ROUNDING", "half_up", ("half_up", "truncate"))

# The pages run only the scripts and styles Jieban serves itself (the vendored htmx and
# ECharts, web/*.js): no inline script, style or event handler, nothing from elsewhere. A
# chart's figures travel as JSON in <script type="application/json">, which is not run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("JIEBAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# The logs (README, "Operating: health, metrics and logs"): JSON lines or text on stderr, each
# record with its request's id; `jieban serve` and `jieban worker` default to JSON (jieban.cli).
LOGGING = logging_config(
    log_format=env_choice("JIEBAN_LOG_FORMAT", "text", ("text", "json")),
    level=env_str("JIEBAN_LOG_LEVEL", "WARNING"),
    requests=env_bool("JIEBAN_LOG_REQUESTS", True),
)
# /healthz fails when no worker finished a sweep for this many seconds, or when a notification
# or a 12345 platform message has been due this long without being delivered.
JIEBAN_HEALTH_SWEEP_SECONDS = env_positive_int("JIEBAN_HEALTH_SWEEP_SECONDS", 300)
JIEBAN_HEALTH_OUTBOX_SECONDS = env_positive_int("JIEBAN_HEALTH_OUTBOX_SECONDS", 900)
# /metrics answers the addresses in these networks (a request a proxy forwarded is not taken
# for its proxy's address) and any request bearing the token; anyone else gets a 404.
JIEBAN_METRICS_ALLOW = env_networks("JIEBAN_METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])
JIEBAN_METRICS_TOKEN = env_secret("JIEBAN_METRICS_TOKEN")
# How often a worker counts the tickets by status for /metrics, at the most (jieban.ops.tally).
JIEBAN_METRICS_TICKETS_SECONDS = env_positive_int("JIEBAN_METRICS_TICKETS_SECONDS", 60)

# Attachments and signed scans: under MEDIA_ROOT, or in an S3-compatible bucket that every node
# shares (JIEBAN_STORAGE=s3; docs/deploy.md, "Object storage").
STORAGES = {
    "default": attachment_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve the vendored assets straight from the package: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Outbound notifications (see README, "Notifications"). Email goes through Django's backend;
# with no JIEBAN_EMAIL_HOST the email gateway is off. The webhook is off without a URL.
JIEBAN_EMAIL_ENABLED = bool(env_str("JIEBAN_EMAIL_HOST", ""))
EMAIL_BACKEND = env_str("JIEBAN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("JIEBAN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("JIEBAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("JIEBAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("JIEBAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("JIEBAN_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("JIEBAN_EMAIL_FROM", "jieban@localhost")
JIEBAN_WEBHOOK_URL = env_str("JIEBAN_WEBHOOK_URL", "")
JIEBAN_WEBHOOK_SECRET = env_str("JIEBAN_WEBHOOK_SECRET", "")
JIEBAN_WEBHOOK_TIMEOUT = env_int("JIEBAN_WEBHOOK_TIMEOUT", 5)
# Seconds a 12345 platform has to answer a delivered message or a pull (README, "The 12345
# platform link").
JIEBAN_EXCHANGE_TIMEOUT = env_int("JIEBAN_EXCHANGE_TIMEOUT", 10)

# The worker: how often it sweeps, and the new deadline (working days) of supervision orders.
JIEBAN_SWEEP_SECONDS = env_int("JIEBAN_SWEEP_SECONDS", 60)
# Tickets handled per transaction by the sweep; SIGTERM is honoured between batches.
JIEBAN_SWEEP_BATCH = env_int("JIEBAN_SWEEP_BATCH", 200)
# Dirty dates of the statistics' daily rollups each sweep rebuilds, at the most (~40 ms each at
# a million tickets); the rest wait for the next sweep, or for a reader who needs them.
JIEBAN_SWEEP_ROLLUP_DATES = env_int("JIEBAN_SWEEP_ROLLUP_DATES", 10)
# Freeze the reports of every day, week and month automatically once they end; after downtime
# the sweeps catch up on the missed ones, oldest first, this many a sweep (~0.3 s each at a
# million tickets), none before the first ticket nor wholly older than the horizon (days).
JIEBAN_AUTO_PUBLISH = env_bool("JIEBAN_AUTO_PUBLISH", True)
# The clocks before and after handling (DESIGN.md, "Clocks"): a new ticket is dispatched within
# these hours (the command centre works around the clock), a resolved one called back within
# these working days.
JIEBAN_DISPATCH_WITHIN_HOURS = env_int("JIEBAN_DISPATCH_WITHIN_HOURS", 2)
JIEBAN_VISIT_WITHIN_DAYS = env_int("JIEBAN_VISIT_WITHIN_DAYS", 2)
JIEBAN_PUBLISH_PER_SWEEP = env_int("JIEBAN_PUBLISH_PER_SWEEP", 3)
JIEBAN_PUBLISH_CATCH_UP_DAYS = env_int("JIEBAN_PUBLISH_CATCH_UP_DAYS", 400)
JIEBAN_SUPERVISION_DAYS = {
    "overdue": env_int("JIEBAN_SUPERVISION_DAYS_OVERDUE", 2),
    "dissatisfied": env_int("JIEBAN_SUPERVISION_DAYS_DISSATISFIED", 2),
    "manual": env_int("JIEBAN_SUPERVISION_DAYS_MANUAL", 2),
    "mediation_failed": env_int("JIEBAN_SUPERVISION_DAYS_MEDIATION_FAILED", 2),
    "platform": env_int("JIEBAN_SUPERVISION_DAYS_PLATFORM", 2),
}

# Backups (README, "Backups"): `jieban backup` writes into JIEBAN_BACKUP_DIR unless told
# otherwise; the worker takes one there each day at its first sweep after JIEBAN_BACKUP_HOUR
# (local time) and keeps the newest JIEBAN_BACKUP_KEEP of them.
JIEBAN_BACKUP_DIR = Path(env_str("JIEBAN_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
JIEBAN_BACKUP_DAILY = env_bool("JIEBAN_BACKUP_DAILY", True)
JIEBAN_BACKUP_HOUR = env_int_between("JIEBAN_BACKUP_HOUR", 2, 0, 23)
JIEBAN_BACKUP_KEEP = env_positive_int("JIEBAN_BACKUP_KEEP", 7)

# Guessing passwords (README, "Logins and lockouts"): django-axes records every failed login
# and every wrong API token. An account is locked after JIEBAN_LOGIN_FAILURES failed logins,
# an address after JIEBAN_LOGIN_FAILURES_PER_ADDRESS (higher: an office behind one NAT address
# shares it) failed logins or as many wrong tokens, each failure within JIEBAN_LOCKOUT_MINUTES
# of the one before; the lock lasts that long after the last failure, or until an
# administrator lifts it. The rule itself is `jieban.org.lockouts.LoginLimits`.
JIEBAN_LOGIN_FAILURES = env_positive_int("JIEBAN_LOGIN_FAILURES", 5)
JIEBAN_LOGIN_FAILURES_PER_ADDRESS = env_positive_int("JIEBAN_LOGIN_FAILURES_PER_ADDRESS", 20)
JIEBAN_LOCKOUT_MINUTES = env_positive_int("JIEBAN_LOCKOUT_MINUTES", 15)
# Residents following their case on /track/ (README, "Residents follow their case"): look-ups
# per client address and hour, so that ticket numbers cannot be enumerated.
JIEBAN_TRACK_TRIES_PER_HOUR = env_positive_int("JIEBAN_TRACK_TRIES_PER_HOUR", 10)
# Open311 (README, "Open311 GeoReport v2"): this many wrong api_key values from one client
# address within this many minutes, and its requests are refused (429) until the oldest ends.
JIEBAN_OPEN311_WRONG_KEYS = env_positive_int("JIEBAN_OPEN311_WRONG_KEYS", 10)
JIEBAN_OPEN311_WRONG_KEY_MINUTES = env_positive_int("JIEBAN_OPEN311_WRONG_KEY_MINUTES", 10)
# The tries are counted in the database (Django's database cache, its table made by the
# migration exchange 0002_track), which every web process and host shares; each process's
# own memory serves the rest.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "tries": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "jieban_track_tries",
        "TIMEOUT": 3600,
        # Expired tries are dropped first; this many live ones are far more than a county
        # sees in an hour.
        "OPTIONS": {"MAX_ENTRIES": 1_000_000},
    },
}
AXES_HANDLER = "jieban.org.lockouts.LoginLimits"
AXES_FAILURE_LIMIT = JIEBAN_LOGIN_FAILURES
AXES_COOLOFF_TIME = dt.timedelta(minutes=JIEBAN_LOCKOUT_MINUTES)
# For axes's logs and reset commands; the limits themselves are `LoginLimits`'s.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A successful login clears its account's failures (`LoginLimits.reset_user_attempts`).
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out are refused unchecked and do not prolong the lock: it ends
# JIEBAN_LOCKOUT_MINUTES after the last counted failure, as the message says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The login pages show the lockout on their form (`jieban.web.login`); this sets its status.
AXES_LOCKOUT_CALLABLE = "jieban.web.login.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# The history of changes (README, "The history of changes"): django-auditlog records who
# changed what, when, from what to what, for everything the back office edits and the calendar.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {
        "model": "org.User",
        # A login is not a change; a new password is recorded as changed, never its hash.
        "exclude_fields": ["last_login"],
        "mask_fields": ["password"],
        "m2m_fields": ["groups", "user_permissions"],
    },
    "org.Unit",
    {"model": "org.ApiToken", "exclude_fields": ["key_hash"]},
    {"model": "auth.Group", "m2m_fields": ["permissions"]},
    "tickets.Category",
    "workcalendar.CalendarOverride",
    "stats.Scorecard",
    "community.Town",
    "community.CommunityVersion",
    "mediation.Studio",
    "mediation.StudioMediator",
)
AUDITLOG_MASK_CALLABLE = "jieban.org.history.mask"
# A changed unit, person or category is recorded by its name, not its number.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
