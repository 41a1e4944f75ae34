"""Event names come from one enum type, and the README's table is generated from it."""

import ast
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


PRODUCT = ("accounts", "ssogroups", "scim", "console", "sparksso")


def _literal_event_names(path: Path, names: frozenset[str], root: Path = README.parent) -> list[str]:
    """String literals in ``path`` that spell an event name, except URL names (``name=``, ``reverse``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.keyword) and parent.arg == "name":
            continue  # a URL pattern's name that happens to equal an event's
        if isinstance(parent, ast.Call) and getattr(parent.func, "id", "") in ("reverse", "redirect", "path"):
            continue
        found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    return found


def test_product_code_names_events_only_through_the_enums():
    """No free strings: a name is written once, in its layer's event_types module."""
    names = event_names()
    root = README.parent
    found = []
    for app in PRODUCT:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts or path.name == "event_types.py":
                continue
            found += _literal_event_names(path, names)
    assert found == []


def test_the_literal_check_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('event_record(account=None, event="logout")\npath("x", v, name="logout")\n')
    assert _literal_event_names(probe, event_names(), root=tmp_path) == ["probe.py:1: 'logout'"]
