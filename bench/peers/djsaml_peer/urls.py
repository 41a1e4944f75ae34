"""djangosaml2's ACS view at sparksso's ACS path (the responses are addressed to it), and its URLs."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import include, path
from djangosaml2.views import AssertionConsumerServiceView

urlpatterns = [
    path(urlsplit(settings.PEER["acs_url"]).path.lstrip("/"), AssertionConsumerServiceView.as_view()),
    path("saml2/", include("djangosaml2.urls")),
]
