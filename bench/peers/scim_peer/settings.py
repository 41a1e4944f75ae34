"""The django-scim2 peer: a minimal Django project set up as django-scim2's README says.

Production shape (DEBUG off, persistent connections, no session or CSRF middleware: a SCIM
API needs neither), and the same SQLite pragmas as sparksso, so the comparison is between the
two applications and not between two database configurations. Single tenant, as the README's
setup is: sparksso also scopes every query to the token's account.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-peer-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_scim",
    "scim_peer",
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "scim_peer.auth.BearerTokenMiddleware",
]
ROOT_URLCONF = "scim_peer.urls"
WSGI_APPLICATION = "scim_peer.wsgi.application"
AUTH_USER_MODEL = "scim_peer.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

_pg = os.environ.get("PEER_PG_NAME")
if _pg:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _pg,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PEER_SQLITE_PATH", str(BASE_DIR / "peer.sqlite3")),
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "timeout": 5,
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [
        {"type": "oauthbearertoken", "name": "Bearer token", "description": "A bearer token in a database row"}
    ],
    "GROUP_MODEL": "scim_peer.models.Group",
    # The one addition to the README's setup: `emails[value eq]`, which JumpCloud sends.
    "USER_FILTER_PARSER": "scim_peer.filters.UserFilterQuery",
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
