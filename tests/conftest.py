"""Shared test helpers: run a check without printing, and assert what it concluded."""
import os
from pathlib import Path

import pytest

from helpers.feedback import CORRECT, NOT_ATTEMPTED, WRONG

collect_ignore = ["kernel_without_debugger"]            # not tests: a stand-in package for the tests' kernels


def assert_correct(check, *answers):
    result = check.evaluate(*answers)
    assert result.outcome == CORRECT, result.text


def assert_not_attempted(check, *answers):
    result = check.evaluate(*answers)
    assert result.outcome == NOT_ATTEMPTED, result.text


def assert_wrong(check, *answers, says):
    """Assert the check rejects the answers and its message contains every phrase in ``says``."""
    result = check.evaluate(*answers)
    assert result.outcome == WRONG, f"accepted a wrong answer: {result.text}"
    phrases = [says] if isinstance(says, str) else says
    for phrase in phrases:
        assert phrase in result.message, f"expected {phrase!r} in: {result.message}"
    return result


@pytest.fixture(autouse=True)
def _no_results_file(monkeypatch):
    """Checks must not write progress records during unit tests unless a test asks."""
    monkeypatch.delenv("BACKPROP_RESULTS", raising=False)


def pytest_configure(config):
    """Under pytest-xdist, give each worker its own Hypothesis folder, so no two write the same files.

    (Each worker already has its own tmp_path folders; pytest's cache is off in pyproject.toml.)
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(Path(config.rootpath) / ".hypothesis" / f"worker-{worker}")
