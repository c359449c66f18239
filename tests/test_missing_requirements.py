"""What a test that needs something the machine lacks does: it skips, saying why, except in
CI (``CI`` set), where a missing browser fails the run instead of passing it untested."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A one-test session whose test lacks a requirement, with the suite's own conftest."""
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(
        """
        from conftest import missing

        def test_needs_a_browser():
            missing("no browser on this machine")
        """
    )
    return pytester


def test_it_skips_with_its_reason(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest_subprocess("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * no browser on this machine"])


def test_in_ci_it_fails_with_its_reason(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest_subprocess("-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["FAILED * no browser on this machine (CI is set: required there)"])
