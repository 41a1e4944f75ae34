"""The one clock every validity window reads, so tests can move time without sleeping."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """Current aware UTC time; tests monkeypatch ``sparksso.clock.now``."""
    return timezone.now()


def default_now() -> datetime:
    """Model defaults point here rather than at ``now``: it looks ``now`` up at call time, so a test
    that moves ``sparksso.clock.now`` moves the timestamps of the rows it creates too."""
    return now()
