"""Run the learner's lessons headless and show, exercise by exercise, where they stand.

:func:`progress` runs each lesson of the workspace in a fresh Python kernel
(nbclient), top to bottom, the way "Restart Kernel and Run All Cells" would.
A wrong answer raises an error in its check cell, so errors are allowed and the
later cells still run.  Each check records its outcome as a JSON line in the
file named by ``BACKPROP_RESULTS`` (see :mod:`helpers.feedback`); those lines,
not the printed text, are the outcomes.

Which exercises a lesson has comes from the registry of declared exercises
(:func:`helpers.checks.registry`), not from the learner's notebook.  So an
exercise whose check cell the learner deleted, or that never ran because the
notebook timed out or the kernel died, still shows up, as *not checked*, with
the reason.

Nothing is written into the learner's notebooks.  ``make progress`` prints a
line per lesson while it runs, then the table made by :func:`format_table`.
"""
import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async

from helpers.feedback import CORRECT, NOT_ATTEMPTED, RESULTS_ENV, WRONG
from helpers.lessons import WorkspaceError, course_notebooks, lesson_number, notebook_problem, reset_command

__all__ = ["NOT_CHECKED", "NO_PYTHON", "Row", "LessonProgress", "expected_exercises", "run_lesson", "progress",
           "format_table"]

NOT_CHECKED = "not checked"
SYMBOLS = {CORRECT: "✓", WRONG: "✗", NOT_ATTEMPTED: "…", NOT_CHECKED: "!"}
TIMED_OUT, KERNEL_DIED, FLOODED = "timed out", "kernel died", "printed too much"
NO_PYTHON = "could not start Python"                 # the tool failed, not the learner's notebook
# why a run ended early: (a few words for the lesson's line, the sentence under the table)
STOPS = {
    TIMED_OUT: ("timed out after {timeout:g} s",
                "timed out after {timeout:g} s in {where} — an endless loop? The cells after it did not run."),
    FLOODED: ("printed too much",
              "{where} printed more than {amount} of output, so the run was stopped there and the cells after it "
              "did not run — print less (a print inside a long or endless loop?), then run make progress again"),
    KERNEL_DIED: ("the kernel died",
                  "Python stopped (the kernel died) in {where}; the cells after it did not run."),
}
OUTPUT_LIMIT = 10_000_000      # characters of output kept per lesson; more and the run stops (memory stays bounded)
OUTPUT_OVERHEAD = 200          # what one output costs besides its text, so a million tiny prints count too
RESULTS_LIMIT = 1_000_000      # bytes of check records read per lesson


@dataclass
class Row:
    """One exercise of one lesson: its id, one of the four outcomes, and a one-line reason."""

    exercise: str
    outcome: str
    reason: str = ""

    @property
    def text(self):
        """The outcome as the table shows it, for example '✗ wrong — dfdx is wrong: ...'."""
        text = f"{SYMBOLS.get(self.outcome, '?')} {self.outcome}"
        return text if self.outcome in (CORRECT, NOT_ATTEMPTED) else f"{text} — {self.reason}"


@dataclass
class LessonProgress:
    """The outcome of every exercise of one lesson, plus what went wrong while running it."""

    name: str
    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)          # one-line sentences about the whole lesson
    seconds: float = 0.0
    stopped: str = ""                                     # why the run ended early, in a few words

    def count(self, outcome):
        return sum(row.outcome == outcome for row in self.rows)


# ---------------------------------------------------------------------------- which exercises
def expected_exercises(lesson):
    """Return [(exercise id, check name)] of lesson number ``lesson``, from the registry of declared exercises.

    >>> expected_exercises(1)[:2]
    [('1.1', 'check_numerical_derivative'), ('1.2', 'check_product_partials')]
    """
    from helpers.checks import registry

    return [(e.id, e.check) for e in registry() if e.lesson == lesson]


def _check_calls(nb, names):
    """Return [(cell index, check name)] for each code cell of the learner's notebook calling one of the checks."""
    calls = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            calls += [(index, name) for name in names
                      if re.search(rf"(?<![\w.]){re.escape(name)}\s*\(", cell.source)]
    return calls


# ---------------------------------------------------------------------------- running one notebook
class _NoPython(Exception):
    """The kernel could not start: the tool failed, not the learner's notebook."""


def output_size(msg):
    """Return what keeping the output message ``msg`` costs, in characters: its content as JSON, and an overhead.

    nbclient hands only outputs (prints, displays, results, errors) to ``output()``, so only those are counted.
    """
    return len(json.dumps(msg.get("content") or {}, ensure_ascii=False)) + OUTPUT_OVERHEAD


class _BoundedClient(NotebookClient):
    """An nbclient NotebookClient that keeps at most OUTPUT_LIMIT characters of output.

    Past the limit it keeps nothing more, interrupts the kernel (as the stop
    button would) and sets ``flooded`` to the index of the cell.
    """

    kept, flooded, _interrupting = 0, None, None

    def output(self, outs, msg, display_id, cell_index):
        if self.flooded is not None:
            return None                                   # dropped as it arrives: memory stays bounded
        self.kept += output_size(msg)
        if self.kept > OUTPUT_LIMIT:
            self.flooded = cell_index
            self._interrupting = asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _execute(nb, *, cwd, timeout):
    """Run ``nb`` in a fresh kernel within ``timeout`` seconds in all.

    Return (the records the checks wrote, None or (why the run stopped early, cell index));
    raise :class:`_NoPython` if the kernel does not start.
    """
    quiet = logging.getLogger("helpers.progress.nbclient")
    quiet.setLevel(logging.CRITICAL)                      # its timeout/crash messages are ours to tell
    deadline = [None]                                     # set once Python runs: starting it is not counted
    client = _BoundedClient(nb, kernel_name="python3", allow_errors=True, shutdown_kernel="immediate",
                            timeout_func=lambda cell: max(deadline[0] - time.monotonic(), 0.1),
                            resources={"metadata": {"path": str(cwd)}}, log=quiet)
    with tempfile.TemporaryDirectory(prefix="backprop-progress-") as scratch:
        results = Path(scratch) / "results.jsonl"
        env = {**os.environ, RESULTS_ENV: str(results), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        try:                                              # the kernel's own chatter (stderr) is not shown
            with client.setup_kernel(env=env, stderr=subprocess.DEVNULL):
                deadline[0] = time.monotonic() + timeout
                stop = _run_cells(client, nb, deadline[0])
        except Exception as error:                        # noqa: BLE001 — whatever stops Python from starting
            if deadline[0] is not None:
                raise                                     # Python had started: not a start-up failure
            raise _NoPython(f"{type(error).__name__}: {error}".strip()) from None
        return _read_results(results), stop


def _run_cells(client, nb, deadline):
    """Run the cells in order; return None, or (TIMED_OUT, KERNEL_DIED or FLOODED, the cell's index)."""
    for index, cell in enumerate(nb.cells):
        if time.monotonic() >= deadline:
            return TIMED_OUT, index
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            return TIMED_OUT, index
        except DeadKernelError:
            return KERNEL_DIED, index
        if client.flooded is not None:
            return FLOODED, client.flooded
    return None


def _read_results(path):
    """Return the outcomes the checks recorded (see :mod:`helpers.feedback`), skipping a line cut short."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.read(RESULTS_LIMIT).splitlines()
    except OSError:                                       # no check ran at all
        return []
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):             # a line cut short (the kernel died mid-write)
            records.append(json.loads(line))
    return records


# ---------------------------------------------------------------------------- one lesson
def run_lesson(lesson, exercises, learner_notebook, *, timeout=120.0):
    """Run the learner's copy of a lesson and fill in ``lesson``, its :class:`LessonProgress`.

    ``exercises`` are the lesson's [(exercise id, check name)] (see
    :func:`expected_exercises`); ``learner_notebook`` is run, with its own
    folder as working directory, in a fresh kernel, within ``timeout`` seconds.
    At most OUTPUT_LIMIT characters of its output are kept: a lesson that
    prints more is stopped there and reported as having printed too much.
    """
    nb, problem = _read_notebook(learner_notebook)
    if problem:
        return _not_run(lesson, exercises, "could not be read", "your notebook could not be read",
                        f"could not read your notebook, so nothing was run: {problem}. "
                        f"{reset_command(learner_notebook)} saves it in backups/ and gives you a fresh copy")
    for cell in nb.cells:                                 # outputs saved in the file are not needed: free them
        if cell.cell_type == "code":
            cell.outputs = []
    started = time.monotonic()
    try:
        records, stop = _execute(nb, cwd=learner_notebook.parent, timeout=timeout)
    except _NoPython as error:
        return _not_run(lesson, exercises, NO_PYTHON, "Python could not start",
                        f"could not start Python to run it ({error})")
    lesson.seconds = time.monotonic() - started
    if stop:
        words, sentence = STOPS[stop[0]]
        about = {"timeout": timeout, "where": _where(nb, stop[1]), "amount": f"{OUTPUT_LIMIT / 1e6:g} MB"}
        lesson.stopped = words.format(**about)
        lesson.problems.append(sentence.format(**about))
    _fill_rows(lesson, records, stop, nb, exercises)
    return lesson


def _not_run(lesson, exercises, stopped, reason, problem):
    """Fill in ``lesson`` for a notebook that could not be run: each exercise is not checked, for ``reason``."""
    lesson.stopped = stopped
    lesson.problems.append(problem)
    lesson.rows = [Row(exercise, NOT_CHECKED, reason) for exercise, _ in exercises]
    return lesson


def _read_notebook(path):
    """Return (notebook, None), or (None, why it cannot be read)."""
    problem = notebook_problem(path)
    if problem is not None:
        return None, problem
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except (nbformat.ValidationError, ValueError, KeyError, TypeError, AttributeError) as error:
        return None, f"not a valid notebook: {_first_line(str(error))}"
    return nb, None


def _fill_rows(lesson, records, stop, nb, exercises):
    """Add a row per exercise (its recorded outcome, or why it has none) and the errors no row explains."""
    latest = {str(record["exercise"]): record for record in records}   # a check run twice: its last word counts
    checks = dict(exercises)
    calls, errors, explained = _check_calls(nb, checks.values()), _cell_errors(nb), set()
    for exercise in [*checks, *(e for e in latest if e not in checks)]:  # then the checks the course does not call
        record = latest.get(exercise)
        if record:
            lesson.rows.append(Row(exercise, record["outcome"], _first_line(record["message"])))
        else:
            reason, cells = _why_not_checked(checks[exercise], calls, stop, errors)
            lesson.rows.append(Row(exercise, NOT_CHECKED, reason))
            explained |= cells
    others = [index for index in errors if index not in explained]
    lesson.problems += [f"{_where(nb, index)} raised {errors[index]}" for index in others[:3]]
    if len(others) > 3:
        lesson.problems.append(f"… and errors in {len(others) - 3} more cells")


def _course_exercises(course_notebook, lesson):
    """Return the lesson's [(exercise id, check name)]; if they cannot be listed, say why in ``lesson``."""
    try:
        return expected_exercises(lesson_number(course_notebook))
    except Exception as error:                            # noqa: BLE001 — the course's own code, mid-edit
        lesson.problems.append(f"could not list this lesson's exercises ({type(error).__name__}: "
                               f"{_first_line(str(error))}); only the checks that ran are shown")
        return []


def _why_not_checked(name, calls, stop, errors):
    """Say in a few words why the check ``name`` recorded no outcome; also return the error cells that explain it."""
    cells = [index for index, called in calls if called == name]
    if not cells:
        return "its check cell is missing from your notebook", set()
    check = cells[0]
    if stop and stop[1] <= check:
        return f"the run stopped before this check ({stop[0]})", set()
    start = max([index for index, _ in calls if index < check], default=-1)     # the check call before this one
    cause = next((index for index in errors if start < index < check), None)
    if cause is not None:
        return (f"the exercise cell raised {errors[cause]}, so the check could not run",
                {cause, check} & errors.keys())
    if check in errors:
        return f"the check cell raised {errors[check]}", {check}
    return "the check cell ran but recorded nothing", set()


def _cell_errors(nb):
    """Return {cell index: 'ErrorName: one-line message'} for cells that raised, wrong answers aside."""
    errors = {}
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") != "CheckFailed":
                value = _first_line(output.get("evalue", ""))
                value = re.sub(r"\s*\([^()]*, line (\d+)\)$", r" (line \1)", value)   # IPython's cell file name
                name = output.get("ename") or "an error"
                errors[index] = f"{name}: {value}" if value else name
                break
    return errors


def _where(nb, index):
    """Describe cell ``index`` by the nearest heading above it, for example 'a cell under “Exercise 1.2 — …”'."""
    for cell in reversed(nb.cells[:index]):
        headings = [line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")]
        if cell.cell_type == "markdown" and headings:
            return f"a cell under “{_first_line(headings[-1], 61)}”"
    return f"cell {index + 1}"


def _first_line(text, limit=200):
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


# ---------------------------------------------------------------------------- every lesson
def progress(course, workspace, *, timeout=120.0, stream=None):
    """Run every lesson of ``workspace`` (in the course's order) and return their :class:`LessonProgress`.

    While they run, a line per lesson goes to ``stream`` (default: standard
    output): its name as it starts, its counts when it ends.  Lessons of the
    course missing from the workspace count as not attempted; notebooks in the
    workspace that are not lessons of the course are not run.
    """
    stream = stream or sys.stdout
    lessons = course_notebooks(course)
    workspace = Path(workspace)
    if not workspace.is_dir():
        raise WorkspaceError(f"there is no workspace at {workspace} yet — run make workspace (or make lab) first")
    what = "your lesson" if len(lessons) == 1 else f"your {len(lessons)} lessons"
    print(f"Running {what} in {workspace}, each in a fresh Python (at most {timeout:g} s per lesson)",
          file=stream, flush=True)
    width = max(len(p.stem) for p in lessons)
    reports = []
    for number, course_notebook in enumerate(lessons, 1):
        learner = workspace / course_notebook.name
        print(f"[{number}/{len(lessons)}] {course_notebook.stem:<{width}}  ", end="", file=stream, flush=True)
        lesson = LessonProgress(course_notebook.name)
        exercises = _course_exercises(course_notebook, lesson)
        if learner.is_file():
            run_lesson(lesson, exercises, learner, timeout=timeout)
            print(_summary(lesson), file=stream, flush=True)
        else:
            lesson.rows = [Row(exercise, NOT_ATTEMPTED) for exercise, _ in exercises]
            lesson.problems.append("not in your workspace yet — make workspace copies it in")
            print("not in your workspace yet", file=stream, flush=True)
        reports.append(lesson)
    others = sorted(p.name for p in workspace.glob("*.ipynb") if p.name not in {c.name for c in lessons})
    if others:
        print(f"(not lessons of the course, so not run: {', '.join(others)})", file=stream, flush=True)
    return reports


def _summary(lesson):
    counts = [f"{lesson.count(outcome)} {SYMBOLS[outcome]}" for outcome in (CORRECT, WRONG, NOT_ATTEMPTED)]
    if lesson.count(NOT_CHECKED):
        counts.append(f"{lesson.count(NOT_CHECKED)} not checked")
    text = f"{len(lesson.rows)} exercise{'' if len(lesson.rows) == 1 else 's'}: " + "  ".join(counts) + f"  ({lesson.seconds:.1f} s)"
    return text + (f" — {lesson.stopped}" if lesson.stopped else "")


def format_table(lessons):
    """Return the progress table: lesson, exercise, outcome, problems, and a total line."""
    header = ("lesson", "exercise", "outcome")
    rows = []
    for lesson in lessons:
        name = Path(lesson.name).stem
        entries = [(row.exercise, row.text) for row in lesson.rows] + [("!", text) for text in lesson.problems]
        for exercise, text in entries or [("–", "no exercises")]:
            rows.append((name, exercise, text))
            name = ""
    width = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    rows[:0] = [header, ("-" * width[0], "-" * width[1], "-" * len(header[2]))]
    lines = [f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows]
    total = {outcome: sum(lesson.count(outcome) for lesson in lessons) for outcome in SYMBOLS}
    lines.append(f"Total: {total[CORRECT]} of {sum(total.values())} exercises correct · {total[WRONG]} wrong · "
                 f"{total[NOT_ATTEMPTED]} not attempted · {total[NOT_CHECKED]} not checked")
    return "\n".join(lines)
