"""Settings come from the environment (django-environ); every variable is documented in README.md."""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from sparksso.db import sqlite_options
from sparksso.hostport import host_port_parse
from sparksso.middleware import trusted_proxies_parse
from sparksso.startup import refuse
from sparksso.varfiles import private_dir, secret_key_file, sqlite_file_prepare

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SPARKSSO_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    SPARKSSO_MODE=(str, ""),
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, []),
    BASE_URL=(str, "http://127.0.0.1:8000"),
    SAML_CLOCK_SKEW_SECONDS=(int, 120),
    LOGIN_FAILURE_LIMIT=(int, 5),
    LOGIN_FAILURE_WINDOW_SECONDS=(int, 900),
    LOGIN_FAILURE_DELAY_MAX_SECONDS=(int, 120),
    SSO_LOGIN_START_LIMIT=(int, 30),
    SSO_LOGIN_START_WINDOW_SECONDS=(int, 300),
    SCIM_AUTH_FAILURE_LIMIT=(int, 20),
    SCIM_AUTH_FAILURE_WINDOW_SECONDS=(int, 300),
    SSO_ACS_FAILURE_LIMIT=(int, 20),
    SSO_ACS_GROUP_FAILURE_LIMIT=(int, 200),
    SSO_ACS_FAILURE_WINDOW_SECONDS=(int, 300),
    TRUSTED_PROXIES=(str, ""),
    REAUTH_MAX_AGE_SECONDS=(int, 600),
    EVENT_RETENTION_DAYS=(int, 365),
    SSO_LOGIN_FAILURE_RETENTION_DAYS=(int, 90),
    DNS_RESOLVER=(str, ""),
    DNS_TIMEOUT_SECONDS=(float, 3.0),
    ALLOW_INSECURE_BASE_URL=(bool, False),
)


def _mode() -> str:
    """SPARKSSO_MODE when set; unset, production whenever SECRET_KEY comes from the environment.

    Security-critical: a gunicorn or cron start that forgot SPARKSSO_MODE but carries a real key is
    a deployment, and must get the SSRF guard, HSTS and the other production defaults. Only a start
    with neither (a fresh clone: `make run`, the tests) is development, with a key generated in var/.
    """
    mode = env("SPARKSSO_MODE").strip()
    if not mode:
        return "production" if env.str("SECRET_KEY", default="") else "development"
    if mode not in ("development", "production"):
        refuse(f"SPARKSSO_MODE must be 'development' or 'production', not {mode!r}.")
    return mode


MODE = _mode()
PRODUCTION = MODE == "production"
# Said in refusals, so an operator who never set SPARKSSO_MODE learns why production rules apply.
_MODE_NOTE = "" if env("SPARKSSO_MODE").strip() else " (the default when SECRET_KEY is set)"
DEBUG = env("DEBUG")


SECRET_KEY_MIN_LENGTH = 50  # what `check --deploy` (security.W009) asks for, with 5 distinct characters
SECRET_KEY_MIN_UNIQUE = 5


def _secret_key() -> str:
    """In development a key is generated once into var/; production refuses a missing or short one."""
    key = env.str("SECRET_KEY", default="")
    if PRODUCTION and not key:
        refuse("SECRET_KEY must be set when SPARKSSO_MODE=production.")
    if PRODUCTION and (len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE):
        refuse(
            f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} random characters when SPARKSSO_MODE=production"
            f"{_MODE_NOTE}."
        )
    return key or secret_key_file(VAR_DIR)  # created 0600 in a 0700 var/ (sparksso/varfiles.py)


SECRET_KEY = _secret_key()

# Every absolute URL (SP entity id, ACS, SCIM locations) is built from BASE_URL, never from
# the request's Host header.
BASE_URL = env("BASE_URL").rstrip("/")
_base = urlsplit(BASE_URL)
if _base.scheme not in ("http", "https") or not _base.hostname:
    refuse("BASE_URL must be an absolute http(s) URL, e.g. https://sso.example.com")
ALLOWED_HOSTS = env("ALLOWED_HOSTS") or [_base.hostname, "127.0.0.1", "localhost"]
HTTPS = _base.scheme == "https"
# An http BASE_URL turns off Secure cookies, HSTS and the https redirect: in production only when
# the operator says so (a loopback smoke test, TLS ended by something that rewrites nothing).
ALLOW_INSECURE_BASE_URL = env("ALLOW_INSECURE_BASE_URL")
if PRODUCTION and not HTTPS and not ALLOW_INSECURE_BASE_URL:
    refuse(
        f"BASE_URL is http:// in production{_MODE_NOTE}, which sends session cookies without Secure; "
        "use https://, or set ALLOW_INSECURE_BASE_URL=true."
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sparksso.apps.SparkssoConfig",
    "accounts",
    "ssogroups",
    "scim",
    "console",
]

MIDDLEWARE = [
    # First, so every response (static files and security redirects too) has an id and a log line.
    "sparksso.middleware.RequestIdMiddleware",
    "sparksso.request_log.RequestLogMiddleware",
    "sparksso.outages.BackendOutageMiddleware",  # a lost database or cache: 503 + Retry-After, never 500
    "django.middleware.security.SecurityMiddleware",
    "sparksso.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sparksso.middleware.NoStoreMiddleware",
    "ssogroups.saml.middleware.SignInTransactionMiddleware",  # a sign-in in one commit, session included
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "sparksso.encoding.FormEncodingMiddleware",  # before CSRF, which reads the form body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


ROOT_URLCONF = "sparksso.urls"
WSGI_APPLICATION = "sparksso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["accounts.templatetags.ident"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.context_processors.navigation",  # base.html's links to every layer's pages
                "console.context_processors.group_tabs",  # an SSO group's tabs (overview, diagnostics, SCIM)
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = sqlite_options(DATABASES["default"].get("OPTIONS"))
    sqlite_file_prepare(DATABASES["default"], var_dir=VAR_DIR)  # 0600 from creation: password hashes
# Reusing connections saves 3-10 ms per request on PostgreSQL (docs/performance.md); production
# keeps them for a minute, with a health check before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL server that does not answer fails a request in seconds (a 503, sparksso/outages.py)
# instead of holding a worker for libpq's default of waiting forever.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The default cache lives in the database, so short-lived state (test sign-in reports) is shared
# by every worker and host. CACHE_URL (e.g. redis://127.0.0.1:6379/0) overrides it. Throttle
# counters are not in it: they have a table of their own (sparksso.models.FailureCounter).
CACHES = {
    "default": env.cache("CACHE_URL")
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sparksso_cache"}
}
# A Redis server that is down or hung costs a request at most a second per call (then a 503,
# sparksso/outages.py), never a worker: redis-py waits forever by default. CACHE_URL's query
# (?socket_timeout=…) overrides these.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", 1.0)
    _redis_options.setdefault("socket_timeout", 1.0)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.AccountUserBackend"]
# Usernames are unique per account (a database constraint), not globally, so USERNAME_FIELD
# is not unique; our backend looks users up by account-aware rules instead.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"

# Database sessions, minus the SELECT Django sends before inserting a new key (sparksso/sessions.py).
SESSION_ENGINE = "sparksso.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = HTTPS
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The client's address for throttles and events: empty = REMOTE_ADDR; a number N = N proxy hops
# (the Nth X-Forwarded-For entry from the right); or the proxies' CIDRs, comma-separated
# (X-Forwarded-For walked from the right past them, only when REMOTE_ADDR is one of them).
TRUSTED_PROXIES = env("TRUSTED_PROXIES")
try:
    trusted_proxies_parse(TRUSTED_PROXIES)
except ImproperlyConfigured as exc:
    refuse(str(exc))  # a malformed value stops the start, in one line
# X-Forwarded-Proto is as client-controlled as X-Forwarded-For: believed only behind our proxies.
if TRUSTED_PROXIES.strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if PRODUCTION and HTTPS:
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION and HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http

# Content-Security-Policy (sparksso.middleware): scripts and styles only from our static files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        # No form-action: sign-in forms end in a redirect (or a POST) to the account's IdP.
    ]
)

# Generating or revoking SCIM tokens, deleting a group, approving a certificate change and
# deactivating users need a sign-in (password or a fresh SSO round trip) this recent.
REAUTH_MAX_AGE_SECONDS = env("REAUTH_MAX_AGE_SECONDS")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Development serves straight from the source folders; production from collectstatic's output.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    private_dir(VAR_DIR)  # 0700, before staticfiles/ would create it 0755
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it even when using finders

# Password sign-in throttle (accounts/login_throttle.py): this many failures per identifier and
# client address (4x that per address) within the window; past it, further failures for an
# identifier from anywhere make it wait 1, 2, 4 ... seconds between attempts, at most the delay max.
LOGIN_FAILURE_LIMIT = env("LOGIN_FAILURE_LIMIT")
LOGIN_FAILURE_WINDOW_SECONDS = env("LOGIN_FAILURE_WINDOW_SECONDS")
LOGIN_FAILURE_DELAY_MAX_SECONDS = env("LOGIN_FAILURE_DELAY_MAX_SECONDS")

# Metadata URLs are never fetched from loopback, private or link-local addresses (SSRF guard)
# unless this is set, for an on-premises IdP on an internal network. Metadata URLs must be https
# unless SSO_METADATA_ALLOW_HTTP is set. Both default to on in development (the bundled dev IdP
# is http://127.0.0.1:8001/metadata) and off in production.
SSO_METADATA_ALLOW_PRIVATE_URLS = env.bool("SSO_METADATA_ALLOW_PRIVATE_URLS", default=not PRODUCTION)
SSO_METADATA_ALLOW_HTTP = env.bool("SSO_METADATA_ALLOW_HTTP", default=not PRODUCTION)

# SCIM bearer-token failures per client IP within the window before answering 429.
SCIM_AUTH_FAILURE_LIMIT = env("SCIM_AUTH_FAILURE_LIMIT")
SCIM_AUTH_FAILURE_WINDOW_SECONDS = env("SCIM_AUTH_FAILURE_WINDOW_SECONDS")

# Failed posts to a group's ACS per client address, and per group, within the window before 429.
# Past the address limit a post is refused unread; past the group limit failures stop being
# written (one throttle event), so a flood cannot fill the diagnostics or lock out valid sign-ins.
SSO_ACS_FAILURE_LIMIT = env("SSO_ACS_FAILURE_LIMIT")
SSO_ACS_GROUP_FAILURE_LIMIT = env("SSO_ACS_GROUP_FAILURE_LIMIT")
SSO_ACS_FAILURE_WINDOW_SECONDS = env("SSO_ACS_FAILURE_WINDOW_SECONDS")
# Sign-in starts (GET of a group's /login) per client address and group within the window before 429.
SSO_LOGIN_START_LIMIT = env("SSO_LOGIN_START_LIMIT")
SSO_LOGIN_START_WINDOW_SECONDS = env("SSO_LOGIN_START_WINDOW_SECONDS")

# Retention, applied by `manage.py prune` (schedule it; nothing is pruned per request).
EVENT_RETENTION_DAYS = env("EVENT_RETENTION_DAYS")
SSO_LOGIN_FAILURE_RETENTION_DAYS = env("SSO_LOGIN_FAILURE_RETENTION_DAYS")

# Domain verification reads TXT records through this DNS server (`host` or `host:port`, IPv6 as
# `[::1]:53`); empty: the system resolver (/etc/resolv.conf). Each check gives up after the timeout.
DNS_RESOLVER = env("DNS_RESOLVER").strip()
if DNS_RESOLVER:
    try:
        host_port_parse(DNS_RESOLVER, default_port=53, name="DNS_RESOLVER")
    except ValueError as exc:
        refuse(str(exc))
DNS_TIMEOUT_SECONDS = env("DNS_TIMEOUT_SECONDS")
if not 0 < DNS_TIMEOUT_SECONDS <= 30:
    refuse("DNS_TIMEOUT_SECONDS must be more than 0 and at most 30.")

# Allowed clock difference between us and an IdP when checking assertion validity windows.
SAML_CLOCK_SKEW_SECONDS = env("SAML_CLOCK_SKEW_SECONDS")

# Email: ssogroups_check's warnings to account admins. EMAIL_URL (django-environ: smtp://, smtp+tls://,
# smtps://, consolemail://) or EMAIL_HOST and its companions; with neither, development prints mail
# to the console and production hands it to an SMTP server on localhost:25.
if env.str("EMAIL_URL", default=""):
    try:
        globals().update(env.email_url("EMAIL_URL"))
    except ImproperlyConfigured:
        refuse("EMAIL_URL must start with smtp://, smtp+tls://, smtps://, consolemail:// or filemail://.")
else:
    _smtp = PRODUCTION or bool(env.str("EMAIL_HOST", default=""))
    EMAIL_BACKEND = f"django.core.mail.backends.{'smtp' if _smtp else 'console'}.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST", default="") or "localhost"  # EMAIL_HOST= (empty) is unset too
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or f"sparksso <noreply@{_base.hostname}>"

# Production logs one JSON object per line (sparksso.jsonlog), including one line per request
# (sparksso.request_log); development keeps plain text and leaves request lines to runserver.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
if LOG_FORMAT not in ("json", "text"):
    refuse("LOG_FORMAT must be 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "sparksso.jsonlog.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    # An outage's log record keeps one line, without the traceback (sparksso/outages.py).
    "filters": {"outage_tracebacks": {"()": "sparksso.outages.OutageTracebackFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["outage_tracebacks"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"sparksso.request": {"level": "INFO" if PRODUCTION else "WARNING"}},
}

# SP key pairs (ssogroups.sp_keys): the SP signs AuthnRequests and decrypts assertions with the
# current key. SP_KEY_FILE/SP_CERT_FILE (PEM) let the operator provide it; otherwise it is generated
# and kept in the database, encrypted with a key derived from SECRET_KEY (any of
# SECRET_KEY_FALLBACKS still decrypts it after the secret is rotated).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
SP_KEY_FILE = env.str("SP_KEY_FILE", default="")
SP_CERT_FILE = env.str("SP_CERT_FILE", default="")
if bool(SP_KEY_FILE) != bool(SP_CERT_FILE):
    refuse("SP_KEY_FILE and SP_CERT_FILE are set together or not at all.")
# How long a next key is published beside the current one before `sp_keys promote` may promote it.
SP_KEY_ROLLOVER_DAYS = env.int("SP_KEY_ROLLOVER_DAYS", default=14)
# Validity of the self-signed certificates sparksso makes for its keys.
SP_KEY_CERT_DAYS = env.int("SP_KEY_CERT_DAYS", default=1825)
# The SCIM request log (scim/request_log.py): every SCIM request and answer, secrets removed, on the
# group's "SCIM requests" tab; kept SCIM_LOG_RETENTION_DAYS (0: forever), pruned by `manage.py prune`.
SCIM_REQUEST_LOG = env.bool("SCIM_REQUEST_LOG", default=True)
SCIM_LOG_RETENTION_DAYS = env.int("SCIM_LOG_RETENTION_DAYS", default=30)
