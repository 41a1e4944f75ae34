"""Failure counters: their own table, so nothing else stored can push them out.

Why not the cache: a cache may evict (the database cache culls a third of its rows past
MAX_ENTRIES, Redis under ``maxmemory``), and whoever can make it store many keys could then flush
the counters that throttle password guessing. Rows here leave only through ``manage.py prune``,
once their window has ended.
"""

from django.db import models


class FailureCounter(models.Model):
    """Failures (or a one-per-window marker) counted under ``key`` in the window starting at ``window_start``."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    # When the row is of no more use (the window's end, or a marker's lifetime): what prune deletes by.
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="sparksso_failurecounter_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%dT%H:%M:%S}: {self.count}"
