"""What a test that needs something the machine lacks does: it skips, saying why (Trio
tests too), except in CI (``CI`` set), where a missing browser fails the run instead of
passing it untested."""

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


def test_a_trio_test_skips_with_its_reason(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\ntrio_mode = true\n")
    pytester.makepyfile(
        """
        import pytest
        import trio

        async def test_in_the_body():
            pytest.skip("reason one")

        @pytest.fixture
        async def needs_a_server():
            pytest.skip("reason two")
            yield

        async def test_in_an_async_fixture(needs_a_server):
            pass

        async def test_in_a_nursery_task():
            async def task():
                pytest.skip("reason three")

            async with trio.open_nursery() as nursery:
                nursery.start_soon(task)

        async def test_an_xfail():
            pytest.xfail("reason four")
        """
    )
    result = pytester.runpytest_subprocess("-rsx")
    result.assert_outcomes(skipped=3, xfailed=1)
    result.stdout.fnmatch_lines_random(
        [
            "SKIPPED * test_a_trio_test_skips_with_its_reason.py:5: reason one",
            "SKIPPED * reason two",
            "SKIPPED * test_a_trio_test_skips_with_its_reason.py:17: reason three",
            "XFAIL * reason four",
        ]
    )
    result.stdout.no_fnmatch_line("*: Skipped")
