"""Bearer tokens for the peer: request.user is the token's user, as django-scim2 expects."""

import hashlib

from django.contrib.auth.models import AnonymousUser
from scim_peer.models import Token


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        request.user = AnonymousUser()
        if scheme.lower() == "bearer" and credential:
            digest = hashlib.sha256(credential.strip().encode()).hexdigest()
            token = Token.objects.select_related("user").filter(digest=digest).first()
            if token is not None:
                request.user = token.user
        return self.get_response(request)
