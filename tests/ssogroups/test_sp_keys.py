"""The SP key store: generated once, sealed at rest, opened after a SECRET_KEY rotation, rotated with overlap."""

import json
import threading
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from accounts.models import Event
from sparksso import clock
from ssogroups import sp_key_rotation, sp_keys
from ssogroups.models import SPKey
from tests.support.keys import make_keypair
from tests.support.race_db import race_db  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
NEW_SECRET = "a brand new secret key for this deployment, long enough: 0123456789abcdef"


def events(name: str) -> list[tuple[str, str, str]]:
    return list(Event.objects.filter(event=name).order_by("id").values_list("outcome", "target", "reason"))


def test_first_use_generates_one_rsa_3072_key_with_its_certificate(real_sp_key_generation):
    first = sp_keys.sp_key_current()
    again = sp_keys.sp_key_current()
    assert first == again
    assert first.state == "current"
    key = serialization.load_pem_private_key(first.private_key_pem.encode(), password=None)
    assert key.key_size == 3072
    cert = x509.load_pem_x509_certificate(first.certificate_pem.encode())
    assert cert.public_key() == key.public_key()
    assert cert.not_valid_after_utc == first.not_after
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > timedelta(days=1800)
    assert SPKey.objects.count() == 1
    assert events("sp_key_create") == [("success", first.sha256_fingerprint, "")]
    assert sp_keys.sp_key_next() is None
    assert sp_keys.sp_keys_for_decryption() == [first]


def test_the_private_key_is_not_plaintext_in_the_database():
    pair = sp_keys.sp_key_current()
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key_encrypted, certificate_pem FROM ssogroups_spkey")
        ((stored, cert),) = cursor.fetchall()
    assert stored.startswith("v1.")
    body = "".join(line for line in pair.private_key_pem.splitlines() if "-----" not in line)
    assert "PRIVATE KEY" not in stored and body[:64] not in stored and body[-64:] not in stored
    assert cert == pair.certificate_pem  # the certificate is public: kept as it is


def test_secret_key_rotation_still_opens_the_key_with_the_old_secret_in_fallbacks(settings):
    pair = sp_keys.sp_key_current()
    old = settings.SECRET_KEY
    settings.SECRET_KEY = NEW_SECRET
    settings.SECRET_KEY_FALLBACKS = [old]
    assert sp_keys.sp_key_current() == pair
    assert sp_keys.sp_keys_for_decryption() == [pair]
    # Keys made after the rotation are sealed with the new secret: they open without the fallback.
    rotated = sp_key_rotation.sp_key_rotate(actor="test")
    settings.SECRET_KEY_FALLBACKS = []
    assert sp_keys.sp_key_next() == rotated


def test_without_the_old_secret_the_key_does_not_open_and_nothing_is_replaced(settings):
    pair = sp_keys.sp_key_current()
    settings.SECRET_KEY = NEW_SECRET
    settings.SECRET_KEY_FALLBACKS = ["some other secret"]
    with pytest.raises(sp_keys.SPKeyError) as caught:
        sp_keys.sp_key_current()
    assert caught.value.message == sp_keys.MSG_UNREADABLE.format(key_id=pair.id)
    assert list(SPKey.objects.values_list("sha256_fingerprint", flat=True)) == [pair.sha256_fingerprint]


def test_a_sealed_key_moved_to_another_certificate_does_not_open():
    pair = sp_keys.sp_key_current()
    sealed = SPKey.objects.get().private_key_encrypted
    with pytest.raises(ValueError):
        sp_keys.private_key_open(sealed, fingerprint="AA:" + pair.sha256_fingerprint[3:])


def test_rotation_next_current_previous_retired(settings):
    settings.SP_KEY_ROLLOVER_DAYS = 14
    start = clock.now()
    first = sp_keys.sp_key_current()

    nxt = sp_key_rotation.sp_key_rotate(actor="sp_keys")
    assert nxt.state == "next" and nxt.sha256_fingerprint != first.sha256_fingerprint
    assert sp_keys.sp_key_current() == first  # the current key still signs
    assert sp_keys.sp_keys_published() == [first, nxt]
    assert sp_keys.sp_keys_for_decryption() == [first, nxt]

    with pytest.raises(sp_keys.SPKeyError) as early:
        sp_key_rotation.sp_key_promote(actor="sp_keys")
    assert early.value.message == sp_key_rotation.MSG_TOO_EARLY.format(days=0, wanted=14)
    assert sp_keys.sp_key_current() == first

    # Published for SP_KEY_ROLLOVER_DAYS: promoted without --force.
    promoted = _at(start + timedelta(days=14, minutes=1), lambda: sp_key_rotation.sp_key_promote(actor="sp_keys"))
    assert promoted.state == "current" and promoted.sha256_fingerprint == nxt.sha256_fingerprint
    assert sp_keys.sp_key_current().sha256_fingerprint == nxt.sha256_fingerprint
    assert sp_keys.sp_key_next() is None
    decrypting = sp_keys.sp_keys_for_decryption()
    assert [(k.state, k.sha256_fingerprint) for k in decrypting] == [
        ("current", nxt.sha256_fingerprint),
        ("previous", first.sha256_fingerprint),
    ]
    assert decrypting[1].private_key_pem == first.private_key_pem
    assert [k.sha256_fingerprint for k in sp_keys.sp_keys_published()] == [nxt.sha256_fingerprint]

    assert sp_key_rotation.sp_key_retire(actor="sp_keys") == [first.id]
    row = SPKey.objects.get(pk=first.id)
    assert (row.state, row.private_key_encrypted) == ("retired", "")
    assert row.certificate_pem == first.certificate_pem
    assert [k.sha256_fingerprint for k in sp_keys.sp_keys_for_decryption()] == [nxt.sha256_fingerprint]

    assert events("sp_key_rotate") == [("success", nxt.sha256_fingerprint, "")]
    assert events("sp_key_promote") == [
        ("failure", "", sp_key_rotation.MSG_TOO_EARLY.format(days=0, wanted=14)),
        ("success", nxt.sha256_fingerprint, ""),
    ]
    assert events("sp_key_retire") == [("success", first.sha256_fingerprint, "")]
    assert Event.objects.filter(event__startswith="sp_key").exclude(account=None).count() == 0


def _at(when, call):
    original = clock.now
    clock.now = lambda: when
    try:
        return call()
    finally:
        clock.now = original


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda: sp_key_rotation.sp_key_promote(actor="sp_keys"), sp_key_rotation.MSG_NO_NEXT),
        (lambda: sp_key_rotation.sp_key_retire(actor="sp_keys"), sp_key_rotation.MSG_NO_PREVIOUS),
    ],
)
def test_a_step_with_nothing_to_do_is_refused_and_changes_nothing(step, message):
    pair = sp_keys.sp_key_current()
    before = list(SPKey.objects.values_list("id", "state", "private_key_encrypted"))
    with pytest.raises(sp_keys.SPKeyError) as caught:
        step()
    assert caught.value.message == message
    assert list(SPKey.objects.values_list("id", "state", "private_key_encrypted")) == before
    assert Event.objects.filter(outcome="failure", reason=message).count() == 1
    assert sp_keys.sp_key_current() == pair


def test_a_second_rotation_is_refused_while_a_next_key_waits():
    sp_key_rotation.sp_key_rotate(actor="sp_keys")
    before = list(SPKey.objects.values_list("id", "state"))
    with pytest.raises(sp_keys.SPKeyError) as caught:
        sp_key_rotation.sp_key_rotate(actor="sp_keys")
    assert caught.value.message.startswith("A next key is already published")
    assert list(SPKey.objects.values_list("id", "state")) == before
    assert [o for o, _, _ in events("sp_key_rotate")] == ["success", "failure"]


def test_retiring_the_current_key_is_refused():
    pair = sp_keys.sp_key_current()
    with pytest.raises(sp_keys.SPKeyError) as caught:
        sp_key_rotation.sp_key_retire(actor="sp_keys", key_id=pair.id)
    assert caught.value.message == sp_key_rotation.MSG_NOT_PREVIOUS.format(key_id=pair.id, state="current")
    assert SPKey.objects.get().state == "current"


def test_operator_key_files_are_used_and_not_rotated(settings, tmp_path):
    pair = make_keypair("operator SP key")
    (tmp_path / "sp.key").write_text(pair.key_pem)
    (tmp_path / "sp.crt").write_text(pair.cert_pem)
    settings.SP_KEY_FILE, settings.SP_CERT_FILE = str(tmp_path / "sp.key"), str(tmp_path / "sp.crt")
    current = sp_keys.sp_key_current()
    assert (current.id, current.state, current.private_key_pem) == (0, "current", pair.key_pem)
    assert sp_keys.sp_key_next() is None and sp_keys.sp_keys_for_decryption() == [current]
    with pytest.raises(sp_keys.SPKeyError) as caught:
        sp_key_rotation.sp_key_rotate(actor="sp_keys")
    assert caught.value.message == sp_keys.MSG_FROM_FILES
    assert SPKey.objects.count() == 0

    (tmp_path / "sp.crt").write_text(make_keypair("someone else").cert_pem)  # not this key's certificate
    with pytest.raises(sp_keys.SPKeyError) as mismatch:
        sp_keys.sp_key_current()
    assert "is not the certificate's" in mismatch.value.message


def test_operator_key_files_are_checked_once_per_contents(settings, tmp_path, monkeypatch):
    """Loading (and so checking) an RSA key is slow: the same files are checked once, new contents again."""
    loads = []
    real = sp_keys.serialization.load_pem_private_key
    monkeypatch.setattr(
        sp_keys.serialization, "load_pem_private_key", lambda data, **kw: loads.append(data) or real(data, **kw)
    )
    first, second = make_keypair("operator SP key"), make_keypair("operator SP key, renewed")
    settings.SP_KEY_FILE, settings.SP_CERT_FILE = str(tmp_path / "sp.key"), str(tmp_path / "sp.crt")
    (tmp_path / "sp.key").write_text(first.key_pem)
    (tmp_path / "sp.crt").write_text(first.cert_pem)
    assert [sp_keys.sp_key_current().private_key_pem for _ in range(3)] == [first.key_pem] * 3
    assert len(loads) == 1

    (tmp_path / "sp.key").write_text(second.key_pem)
    (tmp_path / "sp.crt").write_text(second.cert_pem)
    assert sp_keys.sp_key_current().certificate_pem.strip() == second.cert_pem.strip()
    assert len(loads) == 2


def test_command_show_rotate_promote_retire(capsys, settings):
    call_command("sp_keys", "show")
    shown = json.loads(capsys.readouterr().out)
    (current,) = shown["keys"]
    assert shown["from_files"] is False and current["state"] == "current"
    assert "private" not in json.dumps(shown).lower()

    call_command("sp_keys", "rotate")
    rotated = json.loads(capsys.readouterr().out)["rotated"]
    assert rotated["state"] == "next"
    with pytest.raises(CommandError, match="SP_KEY_ROLLOVER_DAYS"):
        call_command("sp_keys", "promote")
    call_command("sp_keys", "promote", "--force")
    assert json.loads(capsys.readouterr().out)["promoted"]["id"] == rotated["id"]
    call_command("sp_keys", "retire", "--id", str(current["id"]))
    assert json.loads(capsys.readouterr().out) == {"retired": [current["id"]]}
    with pytest.raises(CommandError, match="There is no previous key to retire"):
        call_command("sp_keys", "retire")
    assert Event.objects.get(event="sp_key_promote", outcome="success").changes["forced"] is True


@pytest.mark.django_db(transaction=True)
def test_first_use_from_two_workers_at_once_makes_one_key(race_db):  # noqa: F811
    barrier = threading.Barrier(2)
    got: list = []
    errors: list = []

    def first_use():
        try:
            barrier.wait(timeout=10)
            got.append(sp_keys.sp_key_current())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(got) == 2 and got[0] == got[1]
    assert SPKey.objects.count() == 1
    assert Event.objects.filter(event="sp_key_create").count() == 1


def test_the_daily_check_promotes_the_next_key_once_it_has_been_published_long_enough(settings, capsys):
    settings.SP_KEY_ROLLOVER_DAYS = 14
    start = clock.now()
    first = sp_keys.sp_key_current()
    nxt = sp_key_rotation.sp_key_rotate(actor="sp_keys")

    _at(start + timedelta(days=13, hours=23), lambda: call_command("ssogroups_check"))
    assert "promoted" not in capsys.readouterr().out
    assert sp_keys.sp_key_current() == first
    assert not Event.objects.filter(event="sp_key_promote").exists()  # not due: nothing to record

    _at(start + timedelta(days=14, minutes=1), lambda: call_command("ssogroups_check"))
    assert f"sp key {nxt.sha256_fingerprint}: promoted to current" in capsys.readouterr().out
    assert sp_keys.sp_key_current().sha256_fingerprint == nxt.sha256_fingerprint
    assert list(Event.objects.filter(event="sp_key_promote").values_list("actor", "outcome")) == [
        ("ssogroups_check", "success")
    ]
    _at(start + timedelta(days=15), lambda: call_command("ssogroups_check"))
    assert Event.objects.filter(event="sp_key_promote").count() == 1
