"""The three outcomes, how a wrong answer looks in a notebook, and the structured record."""
import json

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

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


def test_a_wrong_answer_shows_in_a_notebook_as_one_short_line(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from helpers.checks.lesson1 import check_product_partials"),
        nbformat.v4.new_code_cell("check_product_partials(..., ...)"),
        nbformat.v4.new_code_cell("check_product_partials(4.0, -3.0)"),
    ]
    NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True).execute()
    untouched, wrong = notebook.cells[1].outputs, notebook.cells[2].outputs
    assert [o["output_type"] for o in untouched] == ["stream"]
    assert untouched[0]["text"].startswith("… Exercise 1.2 not attempted yet")
    assert [o["output_type"] for o in wrong] == ["error"]
    assert wrong[0]["ename"] == "CheckFailed"
    assert len(wrong[0]["traceback"]) == 1
    assert wrong[0]["traceback"][0].startswith("✗ Exercise 1.2 — dfdx is wrong")
