"""Exercise generation: placeholders, markers, notebooks/ in step with solutions/, no leaks."""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tools.exercises import BEGIN, END, MarkerError, main, make_exercise, placeholder, render, strip_solutions

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


# ---------------------------------------------------------------- placeholders
@pytest.mark.parametrize("region, expected", [
    ("dx = y * dout\ndy = x * dout", "dx = ...  # YOUR CODE HERE\ndy = ...  # YOUR CODE HERE"),
    ("dx, dy = y * dout, x * dout", "dx = ...  # YOUR CODE HERE\ndy = ...  # YOUR CODE HERE"),
    ("dx += 2 * dout", "dx = ...  # YOUR CODE HERE"),
    ("out = x * y\nreturn out", "out = ...  # YOUR CODE HERE\nreturn ...  # YOUR CODE HERE"),
    ("for i in range(3):\n    total = total + i", "total = ...  # YOUR CODE HERE"),
    ("grad[mask] = 0.0", "...  # YOUR CODE HERE"),
    ("def f(a):\n    b = a\n    return b", "b = ...  # YOUR CODE HERE"),
])
def test_placeholder_names_what_to_compute_but_not_how(region, expected):
    assert placeholder(region) == expected


def test_placeholder_keeps_the_indentation():
    assert placeholder("    return x * y", "    ") == "    return ...  # YOUR CODE HERE"


def test_strip_solutions_replaces_only_the_region():
    source = f"x, y = cache\n    {BEGIN}\n    dx = y * dout\n    {END}\nreturn dx"
    assert strip_solutions(source) == "x, y = cache\n    dx = ...  # YOUR CODE HERE\nreturn dx"


def test_markdown_regions_become_an_invitation():
    text = strip_solutions(f"Why?\n{BEGIN}\nBecause gradients add.\n{END}", markdown=True)
    assert "Because" not in text and "Your answer here" in text


@pytest.mark.parametrize("source, says", [
    (f"{BEGIN}\nx = 1", "never closed"),
    (f"{END}\nx = 1", "without a"),
    (f"{BEGIN}\n{BEGIN}\nx = 1\n{END}\n{END}", "inside another"),
    (f"{BEGIN}\nx = (\n{END}", "not valid Python"),
])
def test_broken_markers_are_explained(source, says):
    with pytest.raises(MarkerError, match=says):
        strip_solutions(source)


def test_make_exercise_clears_outputs_and_drops_solution_only_cells():
    solution = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell(f"{BEGIN}\nanswer = 42\n{END}", execution_count=3)
    code.outputs = [nbformat.v4.new_output("stream", text="42\n")]
    solution.cells = [nbformat.v4.new_markdown_cell("# Title"), code,
                      nbformat.v4.new_code_cell("assert answer == 42", metadata={"tags": ["solution-only"]})]
    exercise = make_exercise(solution)
    assert [c.cell_type for c in exercise.cells] == ["markdown", "code"]
    assert exercise.cells[1].source == "answer = ...  # YOUR CODE HERE"
    assert exercise.cells[1].outputs == [] and exercise.cells[1].execution_count is None
    assert render(make_exercise(solution)) == render(exercise)    # same text every time


def test_check_mode_reports_a_stale_exercise(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    solution = nbformat.v4.new_notebook()
    solution.cells = [nbformat.v4.new_code_cell(f"{BEGIN}\nx = 1\n{END}")]
    nbformat.write(solution, tmp_path / "solutions" / "01_a.ipynb")
    args = ["--solutions", str(tmp_path / "solutions"), "--notebooks", str(tmp_path / "notebooks")]
    assert main(args + ["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(args) == 0
    assert main(args + ["--check"]) == 0


# ---------------------------------------------------------------- the course's own notebooks
def test_every_solution_has_an_exercise_and_vice_versa():
    assert SOLUTIONS, "no solution notebooks found"
    assert [p.name for p in SOLUTIONS] == [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_notebook_is_up_to_date(solution):
    expected = render(make_exercise(nbformat.read(solution, as_version=4)))
    actual = (ROOT / "notebooks" / solution.name).read_text(encoding="utf-8")
    assert actual == expected, f"notebooks/{solution.name} is out of date: run `make exercises`"


def solution_lines(notebook):
    """Return (lines inside solution regions, lines outside them) of a notebook's code cells."""
    inside, outside = set(), set()
    for cell in notebook.cells:
        region = False
        for line in cell.source.split("\n"):
            stripped = line.strip()
            if stripped in (BEGIN, END):
                region = stripped == BEGIN
                continue
            (inside if region else outside).add(stripped)
    return inside, outside


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_no_solution_text_leaks_into_the_exercise(solution):
    inside, outside = solution_lines(nbformat.read(solution, as_version=4))
    secret = {line for line in inside - outside if len(line) >= 6 and not line.startswith("#")}
    exercise = nbformat.read(ROOT / "notebooks" / solution.name, as_version=4)
    text = "\n".join(cell.source for cell in exercise.cells)
    leaked = sorted(line for line in secret if line in text)
    assert not leaked, f"solution lines visible in notebooks/{solution.name}: {leaked}"
    assert BEGIN not in text and END not in text


@pytest.mark.parametrize("exercise", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_notebooks_start_clean(exercise):
    notebook = nbformat.read(exercise, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert any("YOUR CODE HERE" in cell.source for cell in notebook.cells)


def test_no_notebook_edits_sys_path():  # helpers is installed (pip install -e .), never path-hacked
    for path in SOLUTIONS + NOTEBOOKS:
        assert not re.search(r"sys\.path", path.read_text(encoding="utf-8")), path


def test_a_broken_solution_fails_its_check_in_one_short_line_and_an_untouched_check_runs_clean():
    """Lesson 1's solution in a kernel, one answer broken: its check cell fails with one ✗ line (no traceback),
    and a check given the untouched placeholder only says it is not attempted."""
    notebook = nbformat.read(ROOT / "solutions" / "01_derivatives.ipynb", as_version=4)
    broken = next((i for i, cell in enumerate(notebook.cells) if "dfdy = 4.0" in cell.source), None)
    assert broken is not None, "lesson 1 no longer has the line this test breaks"
    notebook.cells[broken].source = notebook.cells[broken].source.replace("dfdy = 4.0", "dfdy = -4.0")
    check = next(i for i, cell in enumerate(notebook.cells)
                 if i > broken and "check_product_partials(" in cell.source)
    notebook.cells = [*notebook.cells[:check + 1], nbformat.v4.new_code_cell("check_product_partials(..., ...)")]
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "solutions")}}).execute()
    errors = {i: out for i, cell in enumerate(notebook.cells) for out in cell.get("outputs", [])
              if out["output_type"] == "error"}
    assert list(errors) == [check], errors                         # the broken answer's check, and only it
    assert errors[check]["ename"] == "CheckFailed" and len(errors[check]["traceback"]) == 1   # one line
    assert errors[check]["traceback"][0].startswith("✗ Exercise 1.2 — ")
    assert "dfdy has the wrong sign" in errors[check]["traceback"][0]
    untouched = notebook.cells[-1].outputs                 # one print, but a busy kernel may send it in pieces
    assert {out["output_type"] for out in untouched} == {"stream"}, untouched
    assert "".join(out["text"] for out in untouched).startswith("… Exercise 1.2 not attempted yet")
