"""Commands that check or refresh many things in turn (ssodomain_verify, ssogroups_refresh, ssogroups_check)."""

from collections.abc import Callable, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class BatchCommand(BaseCommand):
    """One line per item, on stdout when it worked and on stderr when not; one failure does not stop
    the rest, and the command exits 1 at the end when any failed (cron and operators read the code)."""

    # With {failed} and {total}: the last line when some items failed.
    failed_message = "{failed} of {total} failed"
    # A run over exactly one item that fails says only that item's line, as the command's error.
    single_failure_is_the_error = False

    def run_each(self, items: Sequence[Any], run_one: Callable[[Any], tuple[bool, str]]) -> None:
        """``run_one(item)`` gives (worked, line)."""
        failed = 0
        for item in items:
            worked, line = run_one(item)
            if worked:
                self.stdout.write(line)
            elif len(items) == 1 and self.single_failure_is_the_error:
                raise CommandError(line)
            else:
                failed += 1
                self.stderr.write(line)
        if failed:
            raise CommandError(self.failed_message.format(failed=failed, total=len(items)))
