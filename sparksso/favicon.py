"""/favicon.ico: browsers ask for it on every page whatever the <link rel=icon> says; a 404 each time
filled the logs. The same small icon the pages link to, from the source tree."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ICON, content_type="image/x-icon")
