"""`make progress`: each lesson of the workspace run headless, outcomes read from the checks' JSON lines.

Real kernels run here, so the notebooks are few and small: lesson 1 untouched and
solved, and tiny lessons made in temporary folders that use lesson 1's checkers.
"""
import asyncio
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.checks import registry
from helpers.feedback import CORRECT, NOT_ATTEMPTED, WRONG
from helpers.progress import NO_PYTHON, NOT_CHECKED, expected_exercises, format_table, progress
from helpers.workspace import main, setup

ROOT = Path(__file__).resolve().parents[1]
LESSON_1 = "01_derivatives.ipynb"
LOOP_LIMIT = 4     # seconds: the time limit for the endless-loop lesson.  Its cells before the loop (the
                  # import and one check) take about 1 s on a busy two-core machine; the rest is waiting

IMPORTS = "from helpers.checks.lesson1 import check_numerical_derivative, check_prediction, " \
          "check_product_partials, check_relu_grad"


def declared(lessons):
    """Return a stand-in for the registry of the synthetic lessons below: {lesson number: [exercise ids]}.

    The scenarios here are about running lessons that go wrong, so each declares
    the exercises its own small notebooks call; the real registry's wiring is
    tested by test_lesson_1_exercises_come_from_the_registry and the runs of
    real lessons.
    """
    checks = {e.id: e.check for e in registry()}

    def expected(lesson):
        return [(exercise, checks[exercise]) for exercise in lessons.get(lesson, ())]
    return expected


def notebook(*cells):
    """Return a notebook: a str is a code cell, a str starting with '#' a Markdown cell."""
    return new_notebook(cells=[new_markdown_cell(c) if c.startswith("#") else new_code_cell(c) for c in cells],
                        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                 "language": "python"}})


def write(path, nb):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def outcomes(lesson):
    return {row.exercise: row.outcome for row in lesson.rows}


def reasons(lesson):
    return {row.exercise: row.reason for row in lesson.rows}


# ---------------------------------------------------------------------------- which exercises
def test_lesson_1_exercises_come_from_the_registry():
    exercises = expected_exercises(1)
    assert [exercise for exercise, _ in exercises] == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    assert ("1.5", "check_relu_grad") in exercises


# ---------------------------------------------------------------------------- (a) untouched, (b) solved
@pytest.fixture
def course_with_lesson_1(tmp_path):
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / LESSON_1, course / "notebooks" / LESSON_1)
    return course


def test_untouched_lessons_are_all_not_attempted(course_with_lesson_1, capsys):
    course = course_with_lesson_1
    setup(course)
    before = (course / "my-work" / LESSON_1).read_bytes()
    assert main(["--course", str(course), "progress", "--timeout", "120"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] 01_derivatives  5 exercises: 0 ✓  0 ✗  5 …" in out          # a line while it runs
    assert out.count("… not attempted") == 5
    assert "Total: 0 of 5 exercises correct · 0 wrong · 5 not attempted · 0 not checked" in out
    assert (course / "my-work" / LESSON_1).read_bytes() == before           # progress writes nothing


def test_the_solutions_are_all_correct(course_with_lesson_1):
    course = course_with_lesson_1
    workspace = course / "my-work"
    workspace.mkdir()
    shutil.copy(ROOT / "solutions" / LESSON_1, workspace / LESSON_1)
    [lesson] = progress(course, workspace, timeout=120, stream=io.StringIO())
    assert outcomes(lesson) == {e: CORRECT for e in ("1.1", "1.2", "1.3", "1.4", "1.5")}
    assert lesson.problems == []
    assert "✓ correct" in format_table([lesson])


# ---------------------------------------------------------------------------- (c) a mixed workspace
# The scenarios below each run several kernels; pytest-xdist keeps each scenario's tests on one worker
# (--dist loadgroup), so its module-scoped run happens once, while the scenarios run side by side.
MIXED, LOOP, FLOOD = (pytest.mark.xdist_group(name) for name in ("progress-mixed", "progress-loop", "progress-flood"))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Run progress once on a workspace with every kind of trouble; return (lessons, table, seconds, files)."""
    root = tmp_path_factory.mktemp("mixed")
    course, workspace = root / "course" / "notebooks", root / "course" / "my-work"
    partials = ["### Exercise 1.2 — partials", "dfdx = ...  # YOUR CODE HERE\ndfdy = ...  # YOUR CODE HERE",
                "check_product_partials(dfdx, dfdy)"]
    prediction = ["### Exercise 1.3 — predict", "f_predicted = ...  # YOUR CODE HERE", "check_prediction(f_predicted)"]
    derivative = ["### Exercise 1.1 — centred difference",
                  "def numerical_derivative(f, x, h=1e-5):\n    return ...  # YOUR CODE HERE",
                  "check_numerical_derivative(numerical_derivative)"]
    relu = ["### Exercise 1.5 — relu", "def relu_grad(x):\n    return ...  # YOUR CODE HERE",
            "check_relu_grad(relu_grad)"]
    lessons = {                                   # name: (the course's version, the learner's version)
        "01_crash.ipynb": (
            notebook("# Crash", IMPORTS, *partials),
            notebook("# Crash", IMPORTS, partials[0], "import os\nos._exit(1)", partials[2])),
        "02_corrupted.ipynb": (notebook("# Corrupted", IMPORTS, *partials), None),
        "03_answers.ipynb": (                     # after a crash and a corrupted notebook: still run
            notebook("# Answers", IMPORTS, *partials, *derivative, *prediction, *relu),
            notebook("# Answers", IMPORTS,
                     partials[0], "dfdx = 4.0\ndfdy = -3.0", partials[2],                     # wrong: swapped
                     derivative[0], "def numerical_derivative(f, x, h=1e-5):\n"
                                    "    return (f(x + h) - f(x - h) / (2 * h)", derivative[2],  # syntax error
                     prediction[0], "f_predicted = -12.0 + 0.01 * -3.0 + 0.02 * 4.0",        # check deleted
                     relu[0], "def relu_grad(x):\n    return (x > 0).astype(float)", relu[2])),  # right
        "04_not_copied_yet.ipynb": (notebook("# New", IMPORTS, *partials), None),
    }
    for name, (theirs, mine) in lessons.items():
        write(course / name, theirs)
        if mine is not None:
            write(workspace / name, mine)
    (workspace / "02_corrupted.ipynb").write_text('{"cells": [{"cell_type": "code", "sou', encoding="utf-8")
    write(workspace / "scratch.ipynb", notebook("while True:\n    pass"))      # not a lesson: never run
    files = {p.name: p.read_bytes() for p in workspace.iterdir()}
    stream = io.StringIO()
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("helpers.progress.expected_exercises",
                      declared({1: ["1.2"], 2: ["1.2"], 3: ["1.1", "1.2", "1.3", "1.5"], 4: ["1.2"]}))
        result = progress(course.parent, workspace, timeout=120, stream=stream)
    seconds = time.monotonic() - started
    lines = stream.getvalue().splitlines()
    return {lesson.name: lesson for lesson in result}, format_table(result), seconds, files, workspace, lines


@MIXED
def test_mixed_wrong_answer_syntax_error_missing_check_and_right_answer(mixed):
    lesson = mixed[0]["03_answers.ipynb"]
    assert outcomes(lesson) == {"1.2": WRONG, "1.1": NOT_CHECKED, "1.3": NOT_CHECKED, "1.5": CORRECT}
    why = reasons(lesson)
    assert "multiply swaps" in why["1.2"]                                       # the checker's reason
    assert "SyntaxError" in why["1.1"] and "the exercise cell raised" in why["1.1"]
    assert why["1.3"] == "its check cell is missing from your notebook"
    assert lesson.problems == [] and not lesson.stopped          # the rows already explain the errors


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """Run progress on a lesson that never ends; return its LessonProgress."""
    course = tmp_path_factory.mktemp("loop") / "course"
    partials = ["### Exercise 1.2 — partials", "dfdx, dfdy = -3.0, 4.0", "check_product_partials(dfdx, dfdy)"]
    prediction = ["### Exercise 1.3 — predict", "f_predicted = ...  # YOUR CODE HERE", "check_prediction(f_predicted)"]
    write(course / "notebooks" / "02_loop.ipynb", notebook("# Loop", IMPORTS, *partials, *prediction))
    write(course / "my-work" / "02_loop.ipynb",
          notebook("# Loop", IMPORTS, *partials, prediction[0], "import time\nwhile True:\n    time.sleep(0.05)",
                   prediction[2]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("helpers.progress.expected_exercises", declared({2: ["1.2", "1.3"]}))
        [lesson] = progress(course, course / "my-work", timeout=LOOP_LIMIT, stream=io.StringIO())
    return lesson


@LOOP
def test_endless_loop_times_out_after_what_came_before_it(loop):
    lesson = loop
    assert outcomes(lesson) == {"1.2": CORRECT, "1.3": NOT_CHECKED}
    assert reasons(lesson)["1.3"] == "the run stopped before this check (timed out)"
    assert lesson.stopped == f"timed out after {LOOP_LIMIT} s"
    assert any("Exercise 1.3" in p and "endless loop" in p for p in lesson.problems)


@MIXED
def test_mixed_kernel_crash_is_reported(mixed):
    lesson = mixed[0]["01_crash.ipynb"]
    assert outcomes(lesson) == {"1.2": NOT_CHECKED}
    assert reasons(lesson)["1.2"] == "the run stopped before this check (kernel died)"
    assert lesson.stopped == "the kernel died" and lesson.stopped != NO_PYTHON


@MIXED
def test_mixed_corrupted_notebook_is_reported_not_run(mixed):
    lesson = mixed[0]["02_corrupted.ipynb"]
    assert outcomes(lesson) == {"1.2": NOT_CHECKED}
    assert "broken JSON at line 1" in lesson.problems[0]
    assert "make reset LESSON=2 saves it in backups/" in lesson.problems[0]


@MIXED
def test_mixed_later_lessons_still_run(mixed):
    assert outcomes(mixed[0]["03_answers.ipynb"])["1.5"] == CORRECT       # it ran, after the crash
    missing = mixed[0]["04_not_copied_yet.ipynb"]
    assert outcomes(missing) == {"1.2": NOT_ATTEMPTED}
    assert "make workspace" in missing.problems[0]


@MIXED
def test_mixed_table_and_total(mixed):
    table = mixed[1]
    assert "✗ wrong — " in table and "multiply swaps" in table
    assert "! not checked — the exercise cell raised SyntaxError" in table
    assert table.splitlines()[-1] == "Total: 1 of 7 exercises correct · 1 wrong · 1 not attempted · 4 not checked"


@MIXED
def test_mixed_leaves_the_workspace_as_it_was(mixed):
    _, _, seconds, files, workspace, lines = mixed
    assert {p.name: p.read_bytes() for p in workspace.iterdir()} == files
    assert "scratch.ipynb" not in mixed[0]
    assert any("not run: scratch.ipynb" in line for line in lines)
    assert len([line for line in lines if line.startswith("[")]) == 4        # a line per lesson


# ---------------------------------------------------------------------------- the tool itself fails
def test_when_python_cannot_start_the_command_fails(course_with_lesson_1, monkeypatch, capsys):
    import nbclient

    def refuse(self, **kwargs):
        raise RuntimeError("no Python kernel here")
    monkeypatch.setattr(nbclient.NotebookClient, "start_new_kernel", refuse)
    setup(course_with_lesson_1)
    assert main(["--course", str(course_with_lesson_1), "progress"]) == 1
    out = capsys.readouterr().out
    assert "could not start Python to run it (RuntimeError: no Python kernel here)" in out
    assert out.count("! not checked — Python could not start") == 5


# ---------------------------------------------------------------------------- a lesson that prints without end
FLOODING = "while True:\n    print('x' * 1000)"


PEAK = """import resource, subprocess, sys
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
print(run.returncode, peak, file=sys.stderr)
sys.stdout.write(run.stdout); sys.stderr.write(run.stderr)
"""


@FLOOD
@pytest.mark.skipif(os.name == "nt", reason="measures memory with the resource module (Linux and macOS)")
def test_a_flooding_lesson_is_stopped_with_bounded_memory_and_a_clear_report(tmp_path):
    """Once, all of it was kept: 0.68 GB after 15 s, 2.55 GB at the 120 s limit."""
    course = tmp_path / "course"
    partials = ["### Exercise 1.2 — partials", "dfdx, dfdy = -3.0, 4.0", "check_product_partials(dfdx, dfdy)"]
    flood = ["### Exercise 1.3 — predict", FLOODING, "check_prediction(-12.0)"]
    write(course / "notebooks" / "01_flood.ipynb", notebook("# Flood", IMPORTS, *partials, *flood))
    after = ["### Exercise 2.5 — predict", "dfdx, dfdy, dfdz, dfdw = -12.0, 9.0, 3.0, 0.0",
             "check_pattern_prediction(dfdx, dfdy, dfdz, dfdw)"]
    write(course / "notebooks" / "02_after.ipynb",
          notebook("# After", "from helpers.checks.lesson2 import check_pattern_prediction", *after))
    setup(course)
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "helpers.workspace", "progress",
                            "--timeout", "100"], cwd=course, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - started
    first, _, err = child.stderr.partition("\n")
    status, peak = map(int, first.split())
    out = child.stdout
    assert status == 0, err
    assert peak < 400e6, f"make progress (or its kernel) grew to {peak / 1e6:.0f} MB"
    assert "[1/2] 01_flood  5 exercises: 1 ✓  0 ✗  0 …  4 not checked" in out and "printed too much" in out
    assert "printed more than 10 MB of output, so the run was stopped there" in out
    assert "the run stopped before this check (printed too much)" in out
    assert "[2/2] 02_after  5 exercises: 1 ✓  0 ✗  0 …  4 not checked" in out   # the next lesson still runs
    assert seconds < 100, "stopped by the time limit, not by the output limit"
    assert err == ""


def test_the_kept_output_is_bounded_and_the_kernel_interrupted_once(monkeypatch):
    """The accounting behind the flood test, message by message: past the limit nothing more is kept."""
    from helpers.progress import _BoundedClient, output_size
    monkeypatch.setattr("helpers.progress.OUTPUT_LIMIT", 50_000)
    interrupts = []

    class Kernel:
        def interrupt_kernel(self):
            interrupts.append(1)

    def printed(text):
        return {"msg_type": "stream", "parent_header": {"msg_id": "run"}, "header": {"msg_type": "stream"},
                "content": {"name": "stdout", "text": text}}

    async def flood():
        client = _BoundedClient(nbformat.v4.new_notebook(), km=Kernel())
        client.reset_execution_trackers()                    # as nbclient does before a run ...
        client.clear_before_next_output = False              # ... and before each cell
        outs, sizes = [], []
        for _ in range(100):                                 # 100 messages of about 1 kB: twice the limit
            sizes.append(output_size(printed("x" * 1000)))
            client.output(outs, printed("x" * 1000), None, 3)
        await client._interrupting
        return client, outs, sizes

    client, outs, sizes = asyncio.run(flood())
    kept = sum(sizes[:len(outs)])
    assert client.flooded == 3 and interrupts == [1]        # the cell that flooded; interrupted once, not per message
    assert 50_000 - sizes[0] < kept <= 50_000 < kept + sizes[0]     # kept up to the limit, and not one message more
    assert all(out["text"] == "x" * 1000 for out in outs)
