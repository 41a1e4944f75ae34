"""The floor: a bare Django project answering each measured call with fixed bytes.

No middleware, no installed apps, no database, no sessions, no templates: what Django itself
costs under gunicorn to route a request to a view and send bytes back. The bytes are sparksso's
own replies to the same calls (recorded by the benchmark in ``FLOOR_RESPONSES``), so the floor
sends exactly as much as sparksso does.
"""

import os

SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-floor-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "floor.urls"
WSGI_APPLICATION = "floor.wsgi.application"
DATABASES: dict = {}
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
