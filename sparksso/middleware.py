"""Give every request an id that events record and the response echoes (X-Request-ID)."""

import uuid


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def client_ip(request) -> str | None:
    """The connecting address. Proxies' X-Forwarded-For is not trusted: it is client-controlled."""
    return request.META.get("REMOTE_ADDR") or None
