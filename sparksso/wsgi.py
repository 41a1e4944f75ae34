"""The WSGI application gunicorn serves. In production it first proves the database and cache
answer (sparksso.preflight), so a misconfigured backend stops the start with one line."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparksso.settings")

if settings.PRODUCTION:
    from sparksso.preflight import backends_require

    backends_require()  # before Django loads the models, which import the database driver

application = get_wsgi_application()
