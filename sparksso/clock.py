"""The one clock every validity window reads, so tests can move time without sleeping."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """Current aware UTC time; tests monkeypatch ``sparksso.clock.now``."""
    return timezone.now()
