"""conftest.py's rules for the notebooks in one `make test` session, tried on two tiny notebooks.

An exercise notebook (notebooks/) passes when its cells run, whatever they print; a solution notebook
(solutions/) fails when a cell prints something other than its saved output; an error fails either.  The
cells of one notebook carry one `xdist_group` of their own, since they share a kernel, and groups come
first.  That pytest-xdist keeps each group on one worker (`--dist loadgroup`) is tried on its own, on plain
tests: no notebooks, so no kernels.
"""
import importlib.util
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

pytest_plugins = ["pytester"]

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
def test_exercise_notebooks_must_run_and_solution_notebooks_must_also_print_what_they_saved(pytester):
    shutil.copy(ROOT / "conftest.py", pytester.path)
    cells = [("print(2)", "1\n"), ("print(1)", "1\n"), ("x = 1", ""), ("1 / 0", "")]
    write_notebook(pytester.path / "notebooks" / "lesson.ipynb", *cells)
    write_notebook(pytester.path / "solutions" / "lesson.ipynb", *cells)
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")        # collected first, run last
    # in this process, without pytest-xdist: only the two kernels start
    run = pytester.inline_run("-p", "no:xdist", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
                              "test_unit.py", "notebooks", "solutions")
    items = run.getcall("pytest_collection_finish").session.items
    outcome = {report.nodeid: report.outcome for report in run.getreports("pytest_runtest_logreport")
               if report.when == "call"}
    assert len(outcome) == 9, outcome
    assert [outcome[f"notebooks/lesson.ipynb::Cell {n}"] for n in range(4)] == ["passed"] * 3 + ["failed"]
    assert [outcome[f"solutions/lesson.ipynb::Cell {n}"] for n in range(4)] == ["failed", "passed", "passed",
                                                                                  "failed"]
    groups = [item.get_closest_marker("xdist_group") for item in items]
    names = [group.args[0] if group else None for group in groups]
    assert names == ["notebook notebooks/lesson.ipynb"] * 4 + ["notebook solutions/lesson.ipynb"] * 4 + [None]


GROUPED_TESTS = '''
import os
from pathlib import Path

import pytest

{mark}


def record(group):
    with open(Path(__file__).parent / "ran.txt", "a") as file:
        file.write(f"{{group}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")


@pytest.mark.parametrize("n", range(4))
{decorator}def test_grouped(n):
    record("{group}")


@pytest.mark.parametrize("n", range(4))
def test_alone(n):
    record("-")
'''


@pytest.mark.xdist_group("xdist-groups")              # handed out early too: three Pythons start
def test_xdist_keeps_each_group_on_one_worker(tmp_path):
    """Catch a pytest or pytest-xdist update that ignores xdist_group (pytest 9.2 did: pytest-xdist#1386).

    One group is marked on its test functions, the other on their module's collector, as conftest.py
    marks a notebook.  Without groups, tests are dealt out in turn, so each group would be split.
    """
    (tmp_path / "test_functions.py").write_text(
        GROUPED_TESTS.format(mark="", decorator='@pytest.mark.xdist_group("functions")\n', group="functions"))
    (tmp_path / "test_module.py").write_text(
        GROUPED_TESTS.format(mark='pytestmark = pytest.mark.xdist_group("module")', decorator="", group="module"))
    lean = ["-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:hypothesispytest", "-p", "no:anyio"]  # quick start
    done = subprocess.run([sys.executable, "-m", "pytest", *lean, "-n", "2", "--dist", "loadgroup", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    workers = defaultdict(list)
    for line in (tmp_path / "ran.txt").read_text().splitlines():
        group, worker = line.split()
        workers[group].append(worker)
    assert sorted(map(len, workers.values())) == [4, 4, 8], workers
    for group in ("functions", "module"):
        assert len(set(workers[group])) == 1, f"the tests of group {group} ran on {set(workers[group])}: split"
    assert len({*workers["-"], *workers["functions"], *workers["module"]}) == 2, "only one worker ran tests"


def test_a_notebook_kernel_that_dies_while_starting_is_started_again():
    spec = importlib.util.spec_from_file_location("course_conftest", ROOT / "conftest.py")
    rules = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rules)
    tries = []

    def dies_twice(kernel_name):
        tries.append(kernel_name)
        if len(tries) < 3:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "manager", "client"
    assert rules._start_kernel(dies_twice)(kernel_name="python3") == ("manager", "client")
    assert tries == ["python3"] * 3

    def always_dies(kernel_name):
        tries.append(kernel_name)
        raise RuntimeError("Kernel died before replying to kernel_info")
    tries.clear()
    with pytest.raises(RuntimeError, match="Kernel died"):
        rules._start_kernel(always_dies)(kernel_name="python3")
    assert len(tries) == rules.KERNEL_STARTS
