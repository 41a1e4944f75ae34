"""A failing browser test leaves a screenshot and the HTML of each open page in a folder it names."""

import types

import pytest

from tests.browser import conftest

pytestmark = [pytest.mark.browser]


def test_a_failure_writes_screenshot_and_html_and_names_the_folder(browser, devidp, tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "ARTIFACTS_DIR", tmp_path)
    page = browser.new_context().new_page()
    page.goto(f"{devidp.base_url}/")
    sections = []
    item = types.SimpleNamespace(
        nodeid="tests/browser/test_x.py::test_y[a b]",
        funcargs={"browser": browser},
        add_report_section=lambda when, key, content: sections.append((when, key, content)),
    )
    failed = types.SimpleNamespace(when="call", excinfo=object())
    step = conftest.pytest_runtest_makereport(item, failed)
    next(step)  # the part before the report is built
    folder = tmp_path / "tests_browser_test_x.py_test_y_a_b_"
    # Every open page is saved (other tests' pages too, if one leaked a context): find ours.
    written = sorted(folder.iterdir())
    assert sections == [("call", "browser artifacts", f"browser artifacts ({len(written)} files): {folder}")]
    ours = [p for p in written if p.suffix == ".html" and p.read_text().startswith(f"<!-- {devidp.base_url}/ -->")]
    assert len(ours) == 1
    assert '<label for="email">Email</label>' in ours[0].read_text()
    assert ours[0].with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    page.context.close()


def test_a_passing_test_writes_nothing(browser, tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "ARTIFACTS_DIR", tmp_path)
    item = types.SimpleNamespace(nodeid="t::ok", funcargs={"browser": browser}, add_report_section=None)
    step = conftest.pytest_runtest_makereport(item, types.SimpleNamespace(when="call", excinfo=None))
    next(step)
    assert list(tmp_path.iterdir()) == []
