"""What an intake command (ssogroup_import, ssogroup_update) says when it fails: one line, no traceback."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from ssogroups.fetch import MetadataFetchError
from ssogroups.metadata import MetadataError
from ssogroups.trust import ProposalChanged


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded: a command's error is one line."""
    return " ".join(text.split())


@contextmanager
def intake_errors(*, reading: str) -> Iterator[None]:
    """Turn each error the intake raises into a CommandError of one line; ``reading`` names what an
    OSError was reading (a metadata file or URL)."""
    try:
        yield
    except (MetadataError, MetadataFetchError, ProposalChanged) as exc:
        raise CommandError(one_line(exc.message)) from exc
    except ValidationError as exc:
        raise CommandError(one_line(" ".join(exc.messages))) from exc
    except OSError as exc:
        raise CommandError(f"cannot read {reading}: {exc.strerror or exc}") from exc
