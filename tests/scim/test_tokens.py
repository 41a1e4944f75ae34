"""SCIM token services and `manage.py scim_token_create`."""

import hashlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, Event
from scim.models import ScimToken
from scim.tokens import scim_token_authenticate, scim_token_create, scim_token_revoke, token_actor

PLAN_MESSAGE = (
    "SCIM provisioning is available on the Premier and Enterprise plans. Your account is on the Starter plan; "
    "upgrade it to connect an identity provider."
)


def test_create_returns_a_prefixed_256_bit_token_stored_only_as_a_digest(account, admin, make_ssogroup):
    group = make_ssogroup(account)
    token, plaintext = scim_token_create(account=account, sso_group=group, label=" JumpCloud ", created_by=admin)

    assert re.fullmatch(r"sso_scim_[A-Za-z0-9_-]{43}", plaintext)  # 32 random bytes, urlsafe base64
    assert token.prefix == plaintext[:13]
    assert token.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert (token.label, token.created_by, token.sso_group, token.revoked_at) == ("JumpCloud", admin, group, None)
    event = Event.objects.get(event="scim_token_generate")
    assert (event.actor, event.target, event.changes) == (admin.username, token.prefix,
                                                          {"label": "JumpCloud", "sso_group": group.slug})  # fmt: skip
    assert token_actor(token) == f"scim:{token.prefix}"
    assert scim_token_authenticate(plaintext=plaintext) == token


def test_two_tokens_never_collide(account, admin, make_ssogroup):
    group = make_ssogroup(account)
    tokens = {scim_token_create(account=account, sso_group=group, label="", created_by=admin)[1] for _ in range(5)}
    assert len(tokens) == 5


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("foreign", "That SSO group does not belong to this account."),
        ("disabled", "SCIM tokens provision into an enabled SSO group; enable the group first."),
        (
            "starter",
            PLAN_MESSAGE,
        ),
        ("label", "The label must be at most 100 characters."),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(make_account, make_ssogroup, setup, message):
    account, admin = make_account(plan=Account.Plan.STARTER if setup == "starter" else Account.Plan.PREMIER)
    other, _ = make_account()
    group = make_ssogroup(other if setup == "foreign" else account, enabled=setup != "disabled")
    with pytest.raises(ValidationError) as caught:
        scim_token_create(account=account, sso_group=group, label="x" * 101 if setup == "label" else "",
                          created_by=admin)  # fmt: skip
    assert caught.value.messages == [message]
    assert ScimToken.objects.count() == 0
    assert not Event.objects.filter(event="scim_token_generate").exists()


def test_revoke_is_immediate_recorded_and_idempotent(account, admin, make_ssogroup):
    token, plaintext = scim_token_create(account=account, sso_group=make_ssogroup(account), label="", created_by=admin)
    scim_token_revoke(token=token, actor=admin.username)
    scim_token_revoke(token=token, actor=admin.username)

    assert scim_token_authenticate(plaintext=plaintext) is None
    assert Event.objects.filter(event="scim_token_revoke", target=token.prefix).count() == 1


@pytest.mark.parametrize("plaintext", ["", "sso_scim_", "not_a_scim_token", "sso_scim_" + "a" * 300])
def test_authenticate_rejects_garbage(db, plaintext):
    assert scim_token_authenticate(plaintext=plaintext) is None


def test_command_prints_only_the_token(account, make_ssogroup):
    group = make_ssogroup(account, slug="jumpcloud")
    out, err = io.StringIO(), io.StringIO()
    call_command("scim_token_create", "--account", str(account.pk), "--label", "cli", stdout=out, stderr=err)

    plaintext = out.getvalue().strip()
    assert re.fullmatch(r"sso_scim_[A-Za-z0-9_-]{43}", plaintext)
    assert out.getvalue() == plaintext + "\n" and err.getvalue() == ""
    token = ScimToken.objects.get()
    assert (token.sso_group, token.label, token.created_by) == (group, "cli", None)
    assert scim_token_authenticate(plaintext=plaintext) == token

    call_command("scim_token_create", "--account", str(account.pk), "--group", "jumpcloud", stdout=io.StringIO())
    assert ScimToken.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "999999"], "no account with id 999999"),
        (["--account", "{id}", "--group", "nope"], "account {id} has no SSO group 'nope'"),
        (["--account", "{id}"], "--group is required: account {id} has these enabled SSO groups: a, b"),
        (["--account", "{id}", "--group", "off"], "SCIM tokens provision into an enabled SSO group; enable the group "
         "first."),
    ],
)  # fmt: skip
def test_command_bad_arguments_fail_with_one_line(account, make_ssogroup, args, message):
    make_ssogroup(account, slug="a")
    make_ssogroup(account, slug="b")
    make_ssogroup(account, slug="off", enabled=False)
    args = [a.format(id=account.pk) for a in args]
    with pytest.raises(CommandError) as caught:
        call_command("scim_token_create", *args, stdout=io.StringIO())
    assert str(caught.value) == message.format(id=account.pk)
    assert ScimToken.objects.count() == 0


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--account", "abc"], "CommandError: Error: argument --account: invalid int value: 'abc'"),
        ([], "CommandError: Error: the following arguments are required: --account"),
    ],
)
def test_command_argument_errors_exit_1_with_one_line_from_the_shell(argv, line, tmp_path):
    env = {**os.environ, "SPARKSSO_VAR_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "manage.py", "scim_token_create", *argv], capture_output=True, text=True,
                         check=False, timeout=60, env=env, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert (run.returncode, run.stdout, run.stderr) == (1, "", line + "\n")
