"""docs/security.md names the test that proves each defence: every name must exist, so a renamed or
deleted test cannot leave the threat model pointing at nothing."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
# `tests/x.py::test_a`, then `::test_b` for more tests of the same file.
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(test_\w+)`")


def referenced() -> list[tuple[str, str]]:
    found, current = [], None
    for path, name in REFERENCE.findall(DOC.read_text()):
        current = path or current
        assert current, f"::{name} has no file before it"
        found.append((current, name))
    return found


def test_every_test_the_threat_model_names_exists():
    references = referenced()
    assert len(references) > 40
    missing = []
    for path, name in references:
        tree = ast.parse((ROOT / path).read_text())
        names = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        if name not in names:
            missing.append(f"{path}::{name}")
    assert missing == []
