"""One log line per request (request id, method, path, status, duration) for a log pipeline.

Security-critical: only the path is logged. Query strings can carry secrets (SAMLRequest, a
`next` URL), and headers and bodies (Authorization bearer tokens, SAMLResponse) are never read
here. The request id is the one events record (event_record) and X-Request-ID echoes.
"""

import json
import logging
import time

from sparksso.middleware import client_ip

logger = logging.getLogger("sparksso.request")


class RequestLogMiddleware:
    """Placed right after RequestIdMiddleware so every response, static files included, is logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        if logger.isEnabledFor(logging.INFO):
            # json.dumps quotes the path so a %0A in it cannot forge a second line in text logs.
            logger.info(
                "%s %s %s",
                request.method,
                json.dumps(request.path),
                response.status_code,
                extra={
                    "request_id": getattr(request, "request_id", ""),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "ip": client_ip(request),
                },
            )
        return response
