"""Template mistakes Django renders silently instead of refusing."""

from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parent.parent / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_no_comment_spans_lines(path):
    """``{# … #}`` is a one-line comment: spread over lines, Django shows it on the page as text
    (use ``{% comment %}`` for more than one line)."""
    unclosed = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line.count("{#") > line.count("#}")]
    assert unclosed == [], f"{path}: a {{# comment #}} left open on lines {unclosed}"
