"""Event names come from one enum type, and the README's table is generated from it."""

from pathlib import Path

import pytest

from accounts.event_types import AccountEvent, EventType, event_names, event_types, events_table_markdown
from accounts.events import event_record
from accounts.management.commands.events_table import END, START, readme_with_table
from accounts.models import Event

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_event_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert readme_with_table(text) == text, "run: python manage.py events_table --write README.md"
    table = text.split(START, 1)[1].split(END, 1)[0]
    assert table == events_table_markdown()


def test_every_layer_declares_its_events():
    enums = {enum.__name__ for enum in event_types()}
    assert {"AccountEvent", "SSOGroupEvent", "ScimEvent"} <= enums
    names = [member.value for enum in event_types() for member in enum]
    assert len(names) == len(set(names)), "an event name is declared twice"
    for enum in event_types():
        for member in enum:
            assert member.description.endswith("."), member
            assert member.area, member


def test_a_member_is_its_name():
    assert AccountEvent.LOGOUT == "logout"
    assert str(AccountEvent.LOGOUT) == "logout"
    assert isinstance(AccountEvent.LOGOUT, EventType)
    assert "sso_login_failure" in event_names()


@pytest.mark.django_db
def test_an_undeclared_event_is_refused_and_nothing_is_written(account):
    before = Event.objects.count()
    with pytest.raises(ValueError, match="unknown event 'user_creat'"):
        event_record(account=account, event="user_creat", actor="x")
    assert Event.objects.count() == before


@pytest.mark.django_db
def test_an_event_is_stored_by_its_name(account):
    event = event_record(account=account, event=AccountEvent.USER_IMPORT, actor="x")
    event.refresh_from_db()
    assert event.event == "user_import"
    assert type(event.event) is str
