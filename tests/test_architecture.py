"""The layers point one way (sparksso <- accounts <- ssogroups <- scim) and modules stay small.

Read with ``ast`` from the source, so the rule holds for every import, at any depth in a module.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["sparksso", "accounts", "ssogroups", "scim"]
MAX_LINES = 400


def _product_modules() -> list[Path]:
    return sorted(path for layer in LAYERS for path in (ROOT / layer).rglob("*.py") if "migrations" not in path.parts)


def _imported_top_levels(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


def test_the_project_has_the_four_layers():
    assert sorted(p.name for p in ROOT.iterdir() if p.name in LAYERS and p.is_dir()) == sorted(LAYERS)
    assert len(_product_modules()) > 40


@pytest.mark.parametrize("path", _product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_from_a_layer_above_its_own(path):
    own = LAYERS.index(path.relative_to(ROOT).parts[0])
    upward = sorted(f"line {line}: {name}" for name, line in _imported_top_levels(path) if name in LAYERS[own + 1 :])
    assert upward == [], f"{path.relative_to(ROOT)} imports from a layer above its own"


@pytest.mark.parametrize("path", _product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_product_module_is_over_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_layer_check_catches_an_upward_import(tmp_path):
    """The check itself can fail: an accounts module importing ssogroups is found."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from ssogroups.models import SSOGroup\n    return SSOGroup\n")
    assert ("ssogroups", 2) in _imported_top_levels(module)
