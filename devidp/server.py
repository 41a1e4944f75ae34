"""Serve the dev IdP with the standard library's WSGI server, one thread per request.

Threads matter: a browser may hold an idle connection open while the IdP fetches the SP's metadata,
and the SP may fetch the IdP's metadata while a sign-in is in progress.
"""

import logging
import socketserver
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from devidp.app import DevIdP

HOST = "127.0.0.1"  # loopback only: this IdP signs anyone in who types an email address


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        logging.getLogger("devidp").info("%s %s", self.address_string(), format % args)


def server_make(
    *, port: int, state_dir: Path, slo: bool = False, require_signed_requests: bool = False
) -> tuple[WSGIServer, DevIdP]:
    """A bound server (``port`` 0 picks a free one) serving a DevIdP that knows its own URL."""
    server = make_server(HOST, port, None, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    app = DevIdP(
        base_url=f"http://{HOST}:{server.server_port}",
        state_dir=state_dir,
        slo=slo,
        require_signed_requests=require_signed_requests,
    )
    server.set_app(app)
    return server, app


def log_to_stderr() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="devidp: %(message)s")
