"""Settings for the portal, read from the environment (one module, no settings maze)."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# Every value is read through these: a wrong one stops the process with a sentence naming it.
from tenants.configuration import (
    env_bool,
    env_choice,
    env_database_url,
    env_datetime,
    env_file_text,
    env_float,
    env_int,
    env_list,
    env_redis_url,
    env_secret_list,
    env_str,
    env_url,
    json_logs,
    log_level,
)

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("PORTAL_TESTING", False)
# What the portal keeps on its own disk (the embedded database, stored files under STORAGE_BACKEND=local,
# the development keys) lives under VAR_DIR, `var/` unless told otherwise: each run of the suite has a
# directory of its own (tests/pytest_env.py), so that two runs on one machine never share a file.
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and (DEBUG or TESTING):
    SECRET_KEY = "insecure-development-key-never-use-in-production"
# With DEBUG off, a missing SECRET_KEY is named with every other missing piece (production_refusals).
# The keys it replaced, while they retire (docs/operations.md, rotating SECRET_KEY): what they signed
# (sessions, password-reset links, signed cookies and cursors) still opens; nothing is signed with them.
SECRET_KEY_FALLBACKS = env_secret_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" + (",testserver" if TESTING else ""))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

# --- Database -----------------------------------------------------------------------------------
# With DATABASE_URL: PostgreSQL. The URL names the owning role, used for migrations only; the web
# and the workers connect as the runtime role of APP_DATABASE_URL (default: the same server and
# database as user portal_app), which owns nothing and cannot bypass row-level security.
# Without it: an embedded SQLite file for a quick demo, with jobs run in-process.
# A process that never migrates (web, worker, beat in production) may get APP_DATABASE_URL alone.
DATABASE_URL = env_database_url("DATABASE_URL")
EMBEDDED = not DATABASE_URL and not env_str("APP_DATABASE_URL")
APP_DB_USER_DEFAULT = "portal_app"


def _runtime_url(owner_url: str) -> str:
    parts = urlsplit(owner_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{APP_DB_USER_DEFAULT}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


if EMBEDDED:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # SQLITE_PATH lets the suite try the demo mode on a file of its own.
            "NAME": env_str("SQLITE_PATH") or str(VAR_DIR / "portal.sqlite3"),
            "ATOMIC_REQUESTS": False,
        }
    }
    APP_DATABASE_URL = ""
else:
    APP_DATABASE_URL = env_database_url("APP_DATABASE_URL") or _runtime_url(DATABASE_URL)
    _role = env_choice("PORTAL_DB_ROLE", "app", ("app", "owner"))
    if _role == "owner" and not DATABASE_URL:
        raise ImproperlyConfigured(
            "This command runs as the owning role: set DATABASE_URL (only APP_DATABASE_URL is set)."
        )
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL if _role == "owner" else APP_DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    # Transactions are opened by tenants.middleware.CountryScopeMiddleware, which also sets the
    # country for row-level security inside them; ATOMIC_REQUESTS would open them too late.
    DATABASES["default"]["ATOMIC_REQUESTS"] = False
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications -------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    # Identity (tenants/identity/): sign-in, second factors, single sign-on, sessions.
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.usersessions",
    "tenants",
    "engagements",
    "governance",
    "training",
    "deployments",
    "gateway",
    "portal",
]

MIDDLEWARE = [
    "tenants.telemetry.RequestIdMiddleware",
    "portal.metrics.MetricsMiddleware",
    # Before anything reads the Host header: the probes are answered whatever it says.
    "portal.probes.ProbeMiddleware",
    # Its process_exception runs after those below (the country scope rolls back first).
    "portal.service_away.ServiceAwayMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "tenants.inputs.InputGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.CountryScopeMiddleware",
    "tenants.languages.middleware.ReadingMiddleware",  # account, country, browser: DESIGN §8
    "tenants.identity.middleware.SessionGuardMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
                "portal.context_processors.ledger_alerts",
            ],
            # Every page writes a moment one way: {{ value|moment }} (tenants/templatetags/times.py), and
            # `country|country_name` gives a country's name in the reader's language.
            "builtins": ["tenants.templatetags.times", "tenants.templatetags.countries"],
        },
    }
]

# Usernames stay case-sensitive (ModelBackend); allauth's own backend is only needed for sign-in by
# email address, which the portal does not offer.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "guardian.backends.ObjectPermissionBackend"]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors hold nothing

# Django's checks in the portal's words (tenants/identity/passwords.py), translated in its catalogue.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "tenants.identity.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "tenants.identity.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "tenants.identity.passwords.CommonPasswordValidator"},
    {"NAME": "tenants.identity.passwords.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
# DESIGN §8; names in each language's own words (the switcher shows them so).
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt", "Português"),
    ("ar", "العربية"),
    ("sw", "Kiswahili"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]  # .po committed, .mo compiled by `make run` / `make test`
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
TIME_ZONE = "UTC"
# Dates and times in each language's own format (portal/formats for en, ar and sw, Django's for the
# others); a language with none at all (none today) falls back to these.
FORMAT_MODULE_PATH = ["portal.formats"]
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even before collectstatic
# The design system (GOV.UK Frontend) is installed by the set-up into node_modules and compiled
# with our own typography into static/build; neither is committed.
STATICFILES_DIRS = [BASE_DIR / "static"]
_GOVUK_ASSETS = BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"
if _GOVUK_ASSETS.exists():
    STATICFILES_DIRS.append(("govuk", _GOVUK_ASSETS))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # see "Stored files" below
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")

# --- Stored files (tenants/files.py) ----------------------------------------------------------------
# Every file (evidence, reports, exports, subject-access zips) goes through STORAGES["default"],
# sealed under its country's key. "local" keeps them under MEDIA_ROOT (make run, one host);
# "s3" keeps them in an S3-compatible bucket (MinIO, AWS, any other) shared by every web process
# and worker. Files are never given a public URL: downloads are streamed through the portal after
# its access check, because only the portal can open them.
STORAGE_BACKEND = env_choice("STORAGE_BACKEND", "local", ("local", "s3"))
if STORAGE_BACKEND == "s3":
    if not env_str("S3_BUCKET"):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for MinIO).")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_url("S3_ENDPOINT_URL", example="https://s3.example.internal") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            "location": env_str("S3_PREFIX"),
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "max_memory_size": 8 * 1024 * 1024,
        },
    }
# Files stored before sealing are read as they are until `reseal_files` has sealed them; once it has,
# turn this off so that a file in the clear (put there behind the portal's back) never opens.
FILES_ACCEPT_UNSEALED = env_bool("FILES_ACCEPT_UNSEALED", True)
# A column an upgrade seals reads the plain values the release before still writes during the
# rollout, until `seal_plain_values` closes its window, or beat does this many hours after it opened
# (tenants.keys.windows).
SEALING_WINDOW_HOURS = env_int("SEALING_WINDOW_HOURS", 24, minimum=1)

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# Sessions live in the database and are read from the shared cache (tenants.identity.sessions); the
# embedded demo's cache is each process's own memory, so there they are read from the database.
SESSION_ENGINE = "django.contrib.sessions.backends.db" if EMBEDDED else "tenants.identity.sessions"
SESSION_CACHE_SECONDS = env_int("SESSION_CACHE_SECONDS", 600)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG and not TESTING)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Redis, cache and Celery --------------------------------------------------------------------
REDIS_URL = env_redis_url("REDIS_URL", "redis://127.0.0.1:6379/0")
# A Redis that does not answer at all (a host gone, not a refused port) fails a call in seconds, not
# never: every client of the portal's (the cache, the broker, beat's lease, policy publication) is
# bounded by these two (seconds).
REDIS_CONNECT_TIMEOUT = env_int("REDIS_CONNECT_TIMEOUT", 2)
REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 2)
if EMBEDDED:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "portal"),
            # A cache call fails within the web's timeout, so that it is answered (portal.service_away).
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "portal")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task is bounded: a soft limit (SoftTimeLimitExceeded, the job records a clear failure)
# then a hard one (the child is killed; acks_late delivers the job again). Tasks that may run
# longer name their own limits (a country's exit: 6 hours). The broker hands an unacknowledged job
# to another worker only after the visibility timeout, which must outlast the longest job, or a job
# still running would be run twice.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
CELERY_LONGEST_TASK_SECONDS = 6 * 3600 + 60  # tenants.country_exit_proceed's hard limit
# A request publishes its jobs after its commit (tenants/jobs/outbox.py): a broker that refuses
# connections, or takes them and never answers, fails that publish in seconds, once, and the relay
# publishes the job later (its row is committed). Without these, kombu retries the connection and
# waits on a silent broker for ever, and the person's request with it.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_LONGEST_TASK_SECONDS + 600,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
    "max_retries": 0,  # one attempt to connect where a channel is wanted (the worker's own loop retries)
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Scale-out: however many beats are started, one sends (portal/beat.py: a lease in Redis).
CELERY_BEAT_SCHEDULER = "portal.beat:SingleBeatScheduler"
BEAT_LOCK_KEY = env_str("BEAT_LOCK_KEY", "portal:beat-lock")
BEAT_LOCK_SECONDS = env_int("BEAT_LOCK_SECONDS", 30)
# beat writes a heartbeat on every tick (at least every BEAT_LOCK_SECONDS / 3); its probe fails past this.
BEAT_STALE_SECONDS = env_int("BEAT_STALE_SECONDS", 120)
CELERY_TIMEZONE = TIME_ZONE
# Seconds each provisioning step waits before it commits: lets the tests stop a worker mid-job.
PROVISIONING_STEP_DELAY = env_float("PROVISIONING_STEP_DELAY", 0.0)
# The same for each step of a compliance report (a worker killed mid-report).
REPORT_STEP_DELAY = env_float("REPORT_STEP_DELAY", 0.0)
# Which provisioner backend deployments use: "local" (the portal's own records) or "openai".
DEPLOYMENTS_PROVISIONER = env_choice("DEPLOYMENTS_PROVISIONER", "local", ("local", "openai"))
OPENAI_ADMIN_URL = env_url("OPENAI_ADMIN_URL", "https://api.openai.com/v1", example="https://api.openai.com/v1")
OPENAI_ADMIN_KEY = env_str("OPENAI_ADMIN_KEY", "")  # a secret: also from OPENAI_ADMIN_KEY_FILE

# --- The governed gateway (gateway/, DESIGN §8) ----------------------------------------------------
# The gateway is its own service (python -m gateway); the portal's workers publish each
# environment's policy to Redis under GATEWAY_REDIS_PREFIX and fold the gateway's counters back.
GATEWAY_PORT = env_int("GATEWAY_PORT", 8001)
GATEWAY_PUBLIC_URL = env_url(
    "GATEWAY_PUBLIC_URL", f"http://127.0.0.1:{GATEWAY_PORT}", example="https://gateway.portal.example.org"
).rstrip("/")
GATEWAY_REDIS_PREFIX = env_str("GATEWAY_REDIS_PREFIX", "gw")
# The upstream of every region (GATEWAY_UPSTREAM_URL) and of one region (GATEWAY_UPSTREAM_URL_EU_WEST
# for eu-west), each with its key (GATEWAY_UPSTREAM_KEY[_<REGION>], also from *_FILE). Keys are
# sealed into the policies for the gateway, never written to Redis in clear.
GATEWAY_UPSTREAM_URL = env_url("GATEWAY_UPSTREAM_URL", example="https://api.openai.com/v1")
# The networks, besides public addresses, where a country's own servers may be, its model server and
# its identity provider (comma-separated CIDR ranges, e.g. a country's VPN): the platform never
# calls them on its loopback, link-local or private addresses otherwise (tenants/networks.py). With
# DEBUG on, this machine's loopback, where development runs its stand-ins.
COUNTRY_NETWORKS = env_str("COUNTRY_NETWORKS", "127.0.0.0/8,::1/128" if DEBUG else "")
try:
    _country_networks = [
        ipaddress.ip_network(item.strip(), strict=False) for item in COUNTRY_NETWORKS.split(",") if item.strip()
    ]
except ValueError as _bad:
    raise ImproperlyConfigured(
        f"COUNTRY_NETWORKS must be comma-separated networks such as 10.20.0.0/16 ({_bad})."
    ) from None
GATEWAY_UPSTREAM_KEY = env_str("GATEWAY_UPSTREAM_KEY")
GATEWAY_UPSTREAMS = {
    name.removeprefix("GATEWAY_UPSTREAM_URL_").lower().replace("_", "-"): {
        "url": env_url(name, example="https://api.openai.com/v1"),
        "key": env_str(name.replace("_URL_", "_KEY_", 1)),
    }
    for name, value in sorted(os.environ.items())
    if name.startswith("GATEWAY_UPSTREAM_URL_") and not name.endswith("_FILE") and value.strip()
}
# How often a worker folds the gateway's counters into usage rows (seconds).
GATEWAY_USAGE_FOLD_SECONDS = env_int("GATEWAY_USAGE_FOLD_SECONDS", 15)

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
# Where the file-based backend writes each mail (the demo's, scripts/run_env.sh), relative paths
# from the project.
EMAIL_FILE_PATH = str(BASE_DIR / (env_str("EMAIL_FILE_PATH") or VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")
PORTAL_BASE_URL = env_url("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.identity.tokens.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "tenants.schema.PortalAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
    # UTF-8 only, refusals in the reader's language, the input guard's check on what was parsed
    # (tenants.parsers): for every view, ApiView's or not.
    "DEFAULT_PARSER_CLASSES": [
        "tenants.parsers.GuardedJSONParser",
        "tenants.parsers.GuardedFormParser",
        "tenants.parsers.GuardedMultiPartParser",
    ],
    # JSON, answers and errors alike (DESIGN §8): no browsable HTML pages, and no ?format= that
    # picks a renderer (?format=xml answered 404 on an endpoint that exists).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_THROTTLE_RATES": {"token": env_str("TOKEN_THROTTLE_RATE", "20/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many proxies in front set X-Forwarded-For; 0 trusts none, so the throttle cannot be dodged
    # by sending that header.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sovereign AI Onboarding Portal API",
    "DESCRIPTION": "Countries, their organisations and people, and everything they own, under /api/v1/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Summaries, documented errors, examples and links for every operation (tenants/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "tenants.schema.postprocess"],
    # One name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "SectorEnum": "engagements.models.Sector",
        "CapabilityEnum": "engagements.models.Capability",
        "RegionEnum": "tenants.models.Country.Region",
        "OrganisationKindEnum": "tenants.models.Organisation.Kind",
        "ReportKindEnum": "portal.models.ComplianceReport.Kind",
        "EngagementStateEnum": "engagements.models.Engagement.State",
    },
}

API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 12)
ENGAGEMENT_REVIEW_REMINDER_DAYS = env_int("ENGAGEMENT_REVIEW_REMINDER_DAYS", 3)
POLICY_ACK_VALIDITY_DAYS = env_int("POLICY_ACK_VALIDITY_DAYS", 365)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
FRAMEWORK_FILE_MAX_BYTES = env_int("FRAMEWORK_FILE_MAX_BYTES", 20 * 1024 * 1024)
TRAINING_CERTIFICATE_VALID_DAYS = env_int("TRAINING_CERTIFICATE_VALID_DAYS", 730)
TRAINING_REMINDER_DAYS = env_int("TRAINING_REMINDER_DAYS", 30)
# A completed impact assessment is reviewed this many months after completion, its people told
# ASSESSMENT_REVIEW_REMINDER_DAYS ahead.
ASSESSMENT_REVIEW_MONTHS = env_int("ASSESSMENT_REVIEW_MONTHS", 12)
ASSESSMENT_REVIEW_REMINDER_DAYS = env_int("ASSESSMENT_REVIEW_REMINDER_DAYS", 30)
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "portal-demo-2026")

# The debug page and error reports never show a credential, not even one inside a URL.
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.error_reports.CredentialMaskingFilter"

# Logs: one JSON line per event (structlog), with the request id of the request or task that
# caused it (tenants.telemetry); readable lines instead with LOG_FORMAT=console (DEBUG's default).
from tenants.telemetry import logging_config  # noqa: E402

LOG_FORMAT = "json" if json_logs() else "console"
LOGGING = logging_config(level=log_level(), json=LOG_FORMAT == "json")
# The worker and beat log through LOGGING too, at LOG_LEVEL, so their lines are JSON with the task's
# request id: portal.celery answers Celery's setup_logging, which leaves logging alone (and its `-l`
# unused) then; the root logger is not Celery's to take either way.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Prometheus metrics at /metrics, for the bearer of this token only (unset: the endpoint is absent).
METRICS_TOKEN = env_str("METRICS_TOKEN")
# The tokens it replaced, still accepted while the scrapers move to the new one (docs/operations.md,
# rotating the metrics token): until METRICS_TOKEN_FALLBACKS_UNTIL if set, else until removed.
METRICS_TOKEN_FALLBACKS = env_secret_list("METRICS_TOKEN_FALLBACKS")
METRICS_TOKEN_FALLBACKS_UNTIL = env_datetime("METRICS_TOKEN_FALLBACKS_UNTIL")
# The certificate keys a rotation retired are read by tenants.keys.certificates when first needed;
# a file named for them that cannot be read stops the start here, not a certificate's public check.
env_file_text("CERTIFICATE_KEY_FALLBACKS")

# Compliance report files are deleted this many days after they are built (the rows stay).
COMPLIANCE_REPORT_TTL_DAYS = env_int("COMPLIANCE_REPORT_TTL_DAYS", 30)

# --- Schedules (django-celery-beat copies these into its tables; run exactly one beat) ----------
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "ledger-chain-sweep": {"task": "tenants.record.tasks.ledger_chain_sweep", "schedule": 60.0},
    "ledger-checkpoints": {"task": "tenants.record.tasks.ledger_checkpoint_all", "schedule": 3600.0},
    "ledger-verification": {"task": "tenants.record.tasks.ledger_verify_all", "schedule": crontab(hour=2, minute=30)},
    "country-exports-expiry": {
        "task": "tenants.keys.tasks.country_exports_expire",
        "schedule": crontab(hour=3, minute=0),
    },
    "compliance-reports-expiry": {
        "task": "portal.tasks.compliance_reports_expire",
        "schedule": crontab(hour=3, minute=20),
    },
    "compliance-report-subscriptions": {
        "task": "portal.tasks.compliance_subscriptions_run",
        "schedule": crontab(day_of_month=1, hour=4, minute=0),
    },
    "governance-reminders": {"task": "governance.tasks.reminders_send_all", "schedule": crontab(hour=7, minute=0)},
    "training-certificate-reminders": {
        "task": "training.tasks.certificate_reminders_all",
        "schedule": crontab(hour=6, minute=0),
    },
    "engagement-activation": {
        "task": "engagements.tasks.engagement_activate_due",
        "schedule": crontab(hour=0, minute=15),
    },
    "outbox-relay": {"task": "tenants.outbox_relay", "schedule": 10.0},
    "mail-sweep": {"task": "tenants.mail_send_waiting", "schedule": 900.0},
    "password-reset-sweep": {"task": "tenants.password_reset_sweep", "schedule": 300.0},
    "jobs-sweep": {"task": "tenants.jobs_sweep", "schedule": 60.0},
    "sealing-windows": {"task": "tenants.sealing_windows_close_due", "schedule": crontab(minute=50)},
    "gateway-usage-fold": {"task": "gateway.usage_fold", "schedule": float(GATEWAY_USAGE_FOLD_SECONDS)},
    "gateway-capture-ingest": {"task": "gateway.capture_ingest", "schedule": float(GATEWAY_USAGE_FOLD_SECONDS)},
    "gateway-capture-purge": {"task": "gateway.capture_purge", "schedule": crontab(minute=40)},
    "gateway-policies-check": {"task": "deployments.policies_check", "schedule": 60.0},
    "deployments-recertification": {
        "task": "deployments.tasks.recertification_reminders_all",
        "schedule": crontab(hour=6, minute=30),
    },
    "engagement-review-reminders": {
        "task": "engagements.tasks.engagement_review_remind",
        "schedule": crontab(hour=8, minute=0),
    },
}

# --- Identity: sign-in, second factors, single sign-on, tokens, sessions, headers ----------------
# django-allauth does the sign-in, the second factors (TOTP, passkeys, recovery codes), the
# per-country OpenID Connect providers (rows of tenants.identity.models.IdentityProvider, listed by
# the adapter so their secrets stay sealed), the rate limits and the list of one's sessions.
ACCOUNT_ADAPTER = "tenants.identity.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "tenants.identity.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]  # sign-up is closed (adapter)
ACCOUNT_EMAIL_VERIFICATION = "none"  # addresses are proven by the invitation link or the country's provider
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset for an unknown address sends nothing, and says the same
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # the other sessions and every token are revoked instead
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# Asking for a password reset: per email address from one network address, and the mails one email
# address receives from everyone (tenants.identity.password_reset).
PASSWORD_RESET_LIMITS = {
    "pair": env_str("PASSWORD_RESET_PAIR_LIMIT", "3/15m"),
    "mail": env_str("PASSWORD_RESET_MAIL_LIMIT", "5/h"),
}
# Guessing: wrong passwords and second-factor codes (browser and POST /api/v1/auth/token/ together)
# are counted by tenants.identity.lockout, not by allauth's "login_failed" (which counted an address's
# failures for made-up names against everyone behind it): per account from one address, per account
# from every address (a much higher ceiling; the holder is mailed), per address (recorded only), and
# the failures of an address (the bound on a guesser trying many accounts from one place; right
# passwords never count, so a ministry behind one address is not held by its own sign-ins). A hold is
# recorded once on the platform chain. allauth's "login" limit counts every sign-in request of an
# address, right ones too, and is off unless LOGIN_RATE_LIMIT sets one.
LOGIN_FAILED_LIMITS = {
    "pair": env_str("LOGIN_FAILED_PAIR_LIMIT", "5/15m"),
    "account": env_str("LOGIN_FAILED_ACCOUNT_LIMIT", "50/15m"),
    "address": env_str("LOGIN_FAILED_ADDRESS_LIMIT", "20/15m"),
    "flood": env_str("LOGIN_FAILED_FLOOD_LIMIT", "300/15m"),
}
ACCOUNT_RATE_LIMITS = {
    "login": env_str("LOGIN_RATE_LIMIT", ""),
    "login_failed": "",  # see LOGIN_FAILED_LIMITS
    # Per network address only a flood guard, sized for a ministry behind one address: asking for a
    # reset is limited per (email address, network address) and its mails per email address
    # (PASSWORD_RESET_LIMITS), never per email address alone, which a stranger could use up.
    "reset_password": "60/m/ip",
    "reset_password_from_key": "60/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never sign in to an existing account by its email alone
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {
    "authenticate": "tenants.identity.stages.SecondFactorForm",
    "reauthenticate": "tenants.identity.stages.SecondFactorAgainForm",
    "authenticate_webauthn": "tenants.identity.stages.SecondFactorPasskeyForm",
    "reauthenticate_webauthn": "tenants.identity.stages.SecondFactorPasskeyAgainForm",
}
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "Sovereign AI Onboarding Portal"
# One 30-second step either side (RFC 6238 §5.2): a code read in the last seconds of its step still
# works while the request travels, as a person on a slow link types it. Each code is taken once.
MFA_TOTP_TOLERANCE = 1
MFA_TRUST_ENABLED = False
# WebAuthn needs a secure origin; http://localhost is allowed for development and the suite only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or TESTING
USERSESSIONS_TRACK_ACTIVITY = False  # sessions are listed from sign-in; no write on every request
# Minutes without a request after which a session ends (privileged roles: country admins, partner
# managers, auditors, platform admins).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_IDLE_MINUTES_PRIVILEGED = env_int("SESSION_IDLE_MINUTES_PRIVILEGED", 15)
PERSONAL_TOKEN_MAX_DAYS = 90
# The demo's second factor (DESIGN §8); seed_demo uses it only with DEBUG on.
DEMO_TOTP_SECRET = env_str("DEMO_TOTP_SECRET", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

# Content-Security-Policy: no inline script or style anywhere; scripts and styles from the portal only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "publickey-credentials-get": ["self"],
    "publickey-credentials-create": ["self"],
}
# Second factors are enforced (tenants.identity.middleware). Only the suite may switch this off, so
# that the tests of other features can sign people in with force_login(); the identity tests and
# the browser journeys switch it back on.
SECOND_FACTOR_ENFORCED = not TESTING or env_bool("SECOND_FACTOR_ENFORCED", False)
ACCOUNT_FORMS = {
    "login": "tenants.identity.forms.LoginForm",
    "reset_password": "tenants.identity.forms.ResetPasswordForm",
    "reset_password_from_key": "tenants.identity.forms.ResetPasswordKeyForm",
    "set_password": "tenants.identity.forms.SetPasswordForm",
}

# --- Production: refuse to start unsafe -------------------------------------------------------------
# Outside DEBUG (and outside the suite) the portal does not fall back to anything: no SQLite, no
# generated keys, no mail printed to a console, no default host list. Each missing piece stops the
# process at start with a message naming it; `manage.py check --deploy` then loads the keys and
# checks the database role and row-level security (portal.checks).
PRODUCTION = not DEBUG and not TESTING
# Probes of a load balancer or an orchestrator speak plain HTTP to the pod itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
NON_DELIVERING_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
REQUIRED_KEYS = ("PORTAL_MASTER_KEY", "LEDGER_SIGNING_KEY", "CERTIFICATE_KEY")


def production_refusals(config, environ=os.environ) -> list[str]:
    """What is missing for production in `config` (this module at start, django.conf.settings in
    portal.checks), each in a sentence an operator can act on."""
    problems = []
    if not config.SECRET_KEY:
        problems.append(
            "SECRET_KEY or SECRET_KEY_FILE must be set (python scripts/generate_secrets.py makes the file)."
        )
    if config.EMBEDDED or config.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must name a PostgreSQL database (the embedded SQLite demo needs DEBUG=true).")
    for name in REQUIRED_KEYS:
        if not (environ.get(name) or environ.get(f"{name}_FILE")):
            problems.append(f"{name} or {name}_FILE must be set (python scripts/generate_secrets.py makes the files).")
            continue
        try:  # a key file that is not there stops the start, not the first request that needs the key
            env_file_text(name, environ)
        except ImproperlyConfigured as unreadable:
            problems.append(str(unreadable))
    if config.EMAIL_BACKEND in NON_DELIVERING_MAIL_BACKENDS:
        problems.append(
            f"EMAIL_BACKEND {config.EMAIL_BACKEND} delivers no mail: use SMTP (EMAIL_HOST…) or another real backend."
        )
    if not environ.get("ALLOWED_HOSTS", "").strip():
        problems.append("ALLOWED_HOSTS must list the host names the portal answers to.")
    elif "*" in config.ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must not contain '*'.")
    return problems


if PRODUCTION and (_refusals := production_refusals(sys.modules[__name__])):
    if len(_refusals) == 1:
        raise ImproperlyConfigured(f"The portal will not start with DEBUG off: {_refusals[0]}")
    raise ImproperlyConfigured("The portal will not start with DEBUG off:\n  - " + "\n  - ".join(_refusals))
