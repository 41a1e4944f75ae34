"""/healthz for a load balancer: 200 only when the database and the cache answer, else 503.

It names no host, version or error (those go to the log), reads no session and sets no cookie, so
it is safe to expose and cheap to poll. The only write is the cache probe's own short-lived key.
"""

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from sparksso.backends import cache_problem, database_problem
from sparksso.outages import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Probe both backends on every call: a cached verdict would hide an outage from the balancer."""
    problems = {"database": database_problem(), "cache": cache_problem()}
    failing = [name for name, problem in problems.items() if problem]
    for name in failing:
        logger.warning("healthz: %s", problems[name])
    if failing:
        response = JsonResponse({"status": "unavailable", "failing": failing}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)  # as every other outage answer says
        return response
    return JsonResponse({"status": "ok"})
