"""Start-up refusals: one line on stderr naming the setting, then exit, never a traceback.

Settings and the backend probe (sparksso.preflight) both stop a start this way, so an operator
reads ``sparksso cannot start: BASE_URL is http:// in production; …`` in the journal, and gunicorn
halts instead of respawning workers forever.
"""

import sys
from typing import NoReturn

# gunicorn's arbiter halts (instead of respawning workers forever) when the application exits
# with this status while loading: "App failed to load."
EXIT_APP_LOAD_ERROR = 4


def refuse(message: str) -> NoReturn:
    """Print ``sparksso cannot start: <message>`` as one line and exit with EXIT_APP_LOAD_ERROR."""
    print(f"sparksso cannot start: {message}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_APP_LOAD_ERROR)
