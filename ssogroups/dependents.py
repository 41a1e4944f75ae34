"""What goes with an SSO group when it is deleted (or stops while it is disabled), as higher layers
declare it: SCIM registers its tokens (ScimConfig.ready), so ssogroups counts them for the delete and
disable pages and the event without knowing SCIM."""

from collections.abc import Callable
from dataclasses import dataclass

from ssogroups.models import SSOGroup


@dataclass(frozen=True)
class Dependent:
    key: str  # its name in the sso_group_delete event's changes
    label: str  # singular noun for the delete page, e.g. "SCIM token"
    note: str  # what the delete page says happens to them
    count: Callable[[SSOGroup], int]
    disable_note: str = ""  # what the disable page says happens to them while the group is disabled


@dataclass(frozen=True)
class DependentCount:
    key: str
    label: str
    note: str
    count: int
    disable_note: str = ""


_dependents: list[Dependent] = []


def group_dependent_register(dependent: Dependent) -> None:
    """Registering the same key twice keeps the first."""
    if all(d.key != dependent.key for d in _dependents):
        _dependents.append(dependent)


def group_dependents(*, group: SSOGroup) -> list[DependentCount]:
    """Every registered dependent of ``group`` with its count, in registration order."""
    return [DependentCount(d.key, d.label, d.note, d.count(group), d.disable_note) for d in _dependents]


def group_dependent_counts(*, group: SSOGroup) -> dict[str, int]:
    """The counts by key, for the sso_group_delete event."""
    return {d.key: d.count for d in group_dependents(group=group)}
