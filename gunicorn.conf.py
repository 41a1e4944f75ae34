"""gunicorn settings: read by gunicorn whenever it starts from the repository root, so a plain
`gunicorn sparksso.wsgi` behaves as deploy/serve.sh's (which passes this file explicitly).
Where it listens and how many workers it runs come from serve.sh's BIND and WORKERS."""

# Load the application once in the master before forking workers: its backend check
# (sparksso/preflight.py) runs once, and a broken DATABASE_URL or CACHE_URL stops the start with
# one line. Without it every worker prints that line and gunicorn's arbiter ends in a traceback.
preload_app = True
# gunicorn's default control socket path is per user, not per instance: two instances on one
# host would share it.
control_socket_disable = True
# In-flight requests get this long to finish on SIGTERM (systemd's TimeoutStopSec is longer).
graceful_timeout = 20
# No access log: sparksso logs one JSON line per request itself (LOG_FORMAT=json).
accesslog = None
