"""conftest.py's rules for the notebooks in one `make test` session, tried on two tiny notebooks.

An exercise notebook (notebooks/) passes when its cells run, whatever they print; a solution notebook
(solutions/) fails when a cell prints something other than its saved output; an error fails either; and the
cells of one notebook stay in one worker (their `xdist_group`), since they share a kernel.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def write_notebook(path, *cells):
    """Write a notebook of code cells given as (source, saved printed text)."""
    notebook = nbformat.v4.new_notebook()
    for number, (source, printed) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=number)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)] if printed else []
        notebook.cells.append(cell)
    path.parent.mkdir(exist_ok=True)
    nbformat.write(notebook, path)


@pytest.mark.xdist_group("notebook-rules")            # a group is handed out early: this test takes seconds
def test_exercise_notebooks_must_run_and_solution_notebooks_must_also_print_what_they_saved(tmp_path):
    shutil.copy(ROOT / "conftest.py", tmp_path)
    cells = [("print(2)", "1\n"), ("print(1)", "1\n"), ("x = 1", ""), ("1 / 0", "")]
    write_notebook(tmp_path / "notebooks" / "lesson.ipynb", *cells)
    write_notebook(tmp_path / "solutions" / "lesson.ipynb", *cells)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup",
                           "--nbval", "--nbval-current-env", "-v", "notebooks", "solutions"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    ran = {}                                     # ("notebooks", 0) -> ("gw1", "PASSED")
    for match in re.finditer(r"^\[(gw\d+)\] \[ *\d+%\] (PASSED|FAILED) (\w+)/lesson\S* ?::Cell (\d)",
                             done.stdout, re.MULTILINE):
        ran[match.group(3), int(match.group(4))] = match.group(1), match.group(2)
    outcome = {cell: result for cell, (worker, result) in ran.items()}
    assert len(ran) == 8, done.stdout
    assert [outcome["notebooks", n] for n in range(4)] == ["PASSED", "PASSED", "PASSED", "FAILED"]
    assert [outcome["solutions", n] for n in range(4)] == ["FAILED", "PASSED", "PASSED", "FAILED"]
    for folder in ("notebooks", "solutions"):
        workers = {ran[folder, n][0] for n in range(4)}
        assert len(workers) == 1, f"the cells of {folder}/lesson.ipynb ran in {workers}: a kernel was split"
