"""ssogroup_import and ssogroups_refresh, through Django's command line (exit codes and output)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line

from accounts.models import Event
from ssogroups.models import SSOCertificate, SSOGroup
from ssogroups.trust import trust_change_get
from tests.ssogroups import samples as s
from tests.ssogroups.samples import cert_b64

pytestmark = pytest.mark.usefixtures("fixed_now")
# Django's command line closes every database connection when a command ends, which would end
# the test's wrapping transaction; these tests run outside one instead.
command_line = pytest.mark.django_db(transaction=True)


def run_import(*args: str) -> dict:
    out = StringIO()
    call_command("ssogroup_import", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_import_jumpcloud_export(account):
    result = run_import(
        "--account", str(account.pk), "--name", "JumpCloud", "--metadata", str(s.JUMPCLOUD), "--enable"
    )  # fmt: skip
    group = SSOGroup.objects.get(account=account)
    base = f"http://127.0.0.1:8000/api/v1/users/saml/{account.pk}/jumpcloud"
    assert result == {
        "id": group.pk,
        "slug": "jumpcloud",
        "sp_entity_id": f"{base}/metadata",
        "acs_url": f"{base}/consume",
        "login_url": f"{base}/login",
        "metadata_url": f"{base}/metadata",
        "idp_entity_id": "samlify",
        "sso_url": "https://sso.jumpcloud.com/saml2/samlify",
        "certificates": [{"sha256_fingerprint": s.JUMPCLOUD_FINGERPRINT, "not_after": "2027-08-04T11:57:54Z"}],
    }
    assert group.enabled is True and group.allow_idp_initiated is True
    assert "CN=JumpCloudSAMLUser" in group.certificates.get().subject
    event = Event.objects.get(event="sso_group_create")
    assert (event.account, event.actor, event.target) == (account, "ssogroup_import", "jumpcloud")


def test_import_with_slug_no_idp_initiated_and_expired_certificate(account, tmp_path):
    path = tmp_path / "md.xml"
    path.write_text(s.idp_metadata(cert_b64("Expired", days_left=-1)))
    result = run_import(
        "--account",
        str(account.pk),
        "--name",
        "Okta",
        "--slug",
        "okta-1",
        "--metadata",
        str(path),
        "--no-idp-initiated",
    )
    group = SSOGroup.objects.get(pk=result["id"])
    assert (group.slug, group.allow_idp_initiated) == ("okta-1", False)
    assert group.enabled is False  # an expired certificate cannot sign anyone in


def test_import_from_url(account, allow_private, metadata_server):
    result = run_import("--account", str(account.pk), "--name", "JC", "--metadata", metadata_server.url("/metadata"))
    group = SSOGroup.objects.get(pk=result["id"])
    assert group.idp_metadata_url == metadata_server.url("/metadata")
    assert result["idp_entity_id"] == "samlify"


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        pytest.param(
            str(s.PLACEHOLDER),
            "CommandError: The signing certificate is not valid: 'TODO' is not a base64-encoded X.509 certificate.",
            id="placeholder",
        ),
        pytest.param("/nonexistent/md.xml", "CommandError: metadata file not found: /nonexistent/md.xml", id="no-file"),
        pytest.param(
            "https://169.254.169.254/latest/meta-data",
            "CommandError: The metadata URL points to a private, loopback or link-local address (169.254.169.254); "
            "only public addresses are fetched.",
            id="ssrf",
        ),
        pytest.param(
            "http://idp.example.com/metadata",
            "CommandError: The metadata URL must use https://; plain http:// is refused (an attacker on the path "
            "could swap the IdP's certificate).",
            id="plain-http",
        ),
    ],
)
@command_line
def test_bad_import_exits_1_with_one_line_and_saves_nothing(account, metadata, reason, capsys):
    before = (SSOGroup.objects.count(), SSOCertificate.objects.count(), Event.objects.count())
    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(
            ["manage.py", "ssogroup_import", "--account", str(account.pk), "--name", "X", "--metadata", metadata]
        )
    assert exc.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == reason + "\n"
    assert "Traceback" not in captured.err
    assert (SSOGroup.objects.count(), SSOCertificate.objects.count(), Event.objects.count()) == before


@command_line
def test_import_refuses_duplicate_slug_and_unknown_account(account, capsys):
    run_import("--account", str(account.pk), "--name", "JumpCloud", "--metadata", str(s.JUMPCLOUD))
    for args, reason in [
        (
            ["--account", str(account.pk), "--slug", "jumpcloud"],
            "CommandError: This account already has an SSO group with the ID 'jumpcloud'.",
        ),
        (["--account", "999999"], "CommandError: no account with id 999999"),
    ]:
        with pytest.raises(SystemExit) as exc:
            execute_from_command_line(
                ["manage.py", "ssogroup_import", *args, "--name", "JumpCloud", "--metadata", str(s.JUMPCLOUD)]
            )
        assert exc.value.code == 1
        assert capsys.readouterr().err == reason + "\n"
    assert SSOGroup.objects.count() == 1


def test_import_makes_a_unique_slug_and_enables_only_when_asked(account):
    """Like the form: the ID made from the name gets -2 when taken, and nothing is enabled unasked."""
    first = run_import("--account", str(account.pk), "--name", "JumpCloud", "--metadata", str(s.JUMPCLOUD))
    second = run_import("--account", str(account.pk), "--name", "JumpCloud", "--metadata", str(s.JUMPCLOUD))
    assert (first["slug"], second["slug"]) == ("jumpcloud", "jumpcloud-2")
    assert list(SSOGroup.objects.order_by("slug").values_list("enabled", flat=True)) == [False, False]


@command_line
def test_refresh_command(account, allow_private, metadata_server, make_ssogroup, capsys):
    good = run_import(
        "--account", str(account.pk), "--name", "Good", "--metadata", metadata_server.url("/metadata"), "--enable"
    )  # fmt: skip
    metadata_server.serve("/broken", s.jumpcloud_bytes())
    broken = run_import(
        "--account", str(account.pk), "--name", "Broken", "--metadata", metadata_server.url("/broken"), "--enable"
    )  # fmt: skip
    make_ssogroup(account, slug="no-url")  # not URL-based: left alone
    rotated = s.idp_metadata(cert_b64("Rotated"), entity_id="samlify", location=s.JUMPCLOUD_SSO_URL)
    metadata_server.serve("/metadata", rotated.encode())
    metadata_server.serve("/broken", b"<html>maintenance</html>", headers={"Content-Type": "text/html"})
    metadata_server.hits.clear()

    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(["manage.py", "ssogroups_refresh"])
    assert exc.value.code == 1
    captured = capsys.readouterr()
    change = trust_change_get(group=SSOGroup.objects.get(pk=good["id"]))
    held = ", ".join([*change.values, "certificates"])  # the rotated document lists one endpoint, not two
    assert captured.out == (
        f"{account.pk}/good: refreshed; a change of {held} waits for approval ({change.version[:16]})\n"
    )
    assert captured.err == (
        f"{account.pk}/broken: failed: The metadata URL returned an HTML page, not SAML metadata (content type "
        "text/html). It may be a sign-in or error page: use the URL the IdP gives as its SAML metadata URL.\n"
        "CommandError: 1 of 2 group(s) could not be refreshed\n"
    )
    assert sorted(metadata_server.hits) == ["/broken", "/metadata"]
    good_group = SSOGroup.objects.get(pk=good["id"])
    assert good_group.certificates.get().sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT  # kept until approved
    assert good_group.pending_certificates.get().subject == "CN=Rotated"
    kept = SSOGroup.objects.get(pk=broken["id"])
    assert kept.certificates.get().sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT
    assert kept.metadata_refresh_error.startswith("The metadata URL returned an HTML page")
    assert kept.enabled is True
