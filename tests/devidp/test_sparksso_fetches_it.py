"""sparksso fetches the running dev IdP's plain-http loopback metadata URL when development mode's
defaults allow it (set explicitly here), and the production profile refuses it."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devidp.server import server_make
from ssogroups.fetch import MSG_PRIVATE
from ssogroups.models import SSOGroup


@pytest.fixture
def running_idp(state_dir):
    server, app = server_make(port=0, state_dir=state_dir)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app
    server.shutdown()
    server.server_close()


def _import(account, url: str) -> dict:
    out = StringIO()
    call_command("ssogroup_import", "--account", str(account.pk), "--name", "Dev IdP", "--metadata", url, stdout=out)
    return json.loads(out.getvalue())


def test_development_profile_imports_the_dev_idp_from_its_url(settings, account, running_idp):
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True
    settings.SSO_METADATA_ALLOW_HTTP = True
    result = _import(account, f"{running_idp.base_url}/metadata")
    assert (result["slug"], result["idp_entity_id"], result["sso_url"]) == (
        "dev-idp",
        f"{running_idp.base_url}/metadata",
        f"{running_idp.base_url}/sso",
    )
    group = SSOGroup.objects.get(account=account)
    assert group.idp_metadata_url == f"{running_idp.base_url}/metadata"
    assert group.certificates.get().pem.split() == running_idp.keys.cert_file.read_text().split()


def test_production_profile_refuses_the_dev_idp_url(settings, account, running_idp):
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = False
    settings.SSO_METADATA_ALLOW_HTTP = False
    with pytest.raises(CommandError) as refused:
        _import(account, f"{running_idp.base_url}/metadata")
    # Either guard may answer first (plain http, or a loopback address); neither lets it through.
    assert "https" in str(refused.value) or MSG_PRIVATE.format(address="127.0.0.1") in str(refused.value)
    assert not SSOGroup.objects.exists()
