"""Fuzzing IdP metadata: mutated JumpCloud exports through the parser and through the admin form.

Properties: the parser returns metadata or raises MetadataError (never anything else); the
create form answers 302 or 400 (never a 500), and a 400 writes nothing.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Event
from sparksso import clock
from ssogroups.metadata import IdPMetadata, MetadataError, parse_metadata
from ssogroups.models import SSOCertificate, SSODomain, SSOGroup
from tests.fuzz.mutations import xml_mutations
from tests.ssogroups import samples

ORIGINAL = samples.jumpcloud_bytes()


def _parse(data: bytes) -> IdPMetadata | MetadataError:
    try:
        return parse_metadata(data, now=clock.now())
    except MetadataError as exc:
        return exc


def test_the_unmutated_document_parses():
    """Guard: the fuzzers start from a document the parser accepts."""
    assert _parse(ORIGINAL).entity_id == samples.JUMPCLOUD_ENTITY_ID


@settings(max_examples=150)
@given(data=st.one_of(xml_mutations(ORIGINAL), st.binary(max_size=200)))
def test_parser_returns_metadata_or_a_metadata_error(data):
    result = _parse(data)
    assert isinstance(result, IdPMetadata | MetadataError)
    if isinstance(result, MetadataError):
        assert result.message and "\n" not in result.message.strip()
    else:
        assert result.entity_id and len(result.entity_id) <= 1024


def _writes() -> tuple[int, ...]:
    return (
        SSOGroup.objects.count(),
        SSOCertificate.objects.count(),
        SSODomain.objects.count(),
        Event.objects.exclude(outcome=Event.Outcome.FAILURE).count(),
    )


@settings(max_examples=25)
@given(data=xml_mutations(ORIGINAL))
def test_create_form_never_500_and_a_refusal_writes_nothing(client, admin, data):
    client.force_login(admin)
    before = _writes()
    form = {
        "name": "Fuzzed",
        "slug": f"fuzzed-{before[0]}",
        "metadata_xml": data.decode("utf-8", "replace").replace("\x00", ""),
        "allow_idp_initiated": "on",
        "default_role": "reporting",
        "signature_requirement": "either",
    }
    response = client.post("/account/sso/new", form)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert "Nothing was saved" in response.content.decode()
        assert _writes() == before
    else:
        assert _writes()[0] == before[0] + 1
