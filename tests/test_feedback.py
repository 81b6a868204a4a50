"""The three outcomes, how a wrong answer renders (in a kernel: see test_exercises.py), and the record."""
import json

import pytest

from helpers.feedback import CheckFailed, NotAttempted, Result, Wrong, checker


@checker("0.1")
def check_answer(answer):
    if answer is ...:
        raise NotAttempted
    if answer != 42:
        raise Wrong("that is not the answer")
    return "the answer is right"


def test_the_three_outcomes(capsys):
    check_answer(...)
    assert capsys.readouterr().out == ("… Exercise 0.1 not attempted yet — fill in the cell above, "
                                       "then run this check again.\n")
    check_answer(42)
    assert capsys.readouterr().out == "✓ Exercise 0.1 — the answer is right\n"
    with pytest.raises(CheckFailed) as failure:
        check_answer(41)
    assert str(failure.value) == "✗ Exercise 0.1 — that is not the answer"
    assert failure.value._render_traceback_() == ["✗ Exercise 0.1 — that is not the answer"]
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_checkers_are_registered_by_exercise():
    assert check_answer.exercise == "0.1"
    assert check_answer.exercise == "0.1"
    assert check_answer.evaluate(42) == Result("0.1", "correct", "the answer is right")


def test_outcomes_are_recorded_as_json_lines(tmp_path, monkeypatch):
    path = tmp_path / "results.jsonl"
    monkeypatch.setenv("BACKPROP_RESULTS", str(path))
    check_answer(...)
    check_answer(42)
    with pytest.raises(CheckFailed):
        check_answer(0)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["exercise"], r["outcome"]) for r in records] == [
        ("0.1", "not attempted"), ("0.1", "correct"), ("0.1", "wrong")]
    assert records[2]["message"] == "that is not the answer"


def test_an_unwritable_results_file_does_not_break_the_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BACKPROP_RESULTS", str(tmp_path / "missing-dir" / "r.jsonl"))
    check_answer(42)
    captured = capsys.readouterr()
    assert captured.out.startswith("✓") and "could not record" in captured.err


