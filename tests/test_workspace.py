"""The learner's workspace: created from notebooks/, never overwritten, reset with a backup first.

Every test works in a temporary course folder (a notebooks/ folder) and a
temporary workspace, never in the real my-work/.
"""
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.workspace import (BACKUPS, WorkspaceError, course_notebooks, find_lesson, main, notebook_problem,
                               reset, setup)

ROOT = Path(__file__).resolve().parents[1]
NOON = datetime(2026, 11, 22, 10, 0, 0)


def lesson(title, code="answer = ...  # YOUR CODE HERE"):
    """Return a small exercise notebook, as text."""
    return nbformat.writes(new_notebook(cells=[new_markdown_cell(f"# {title}"), new_code_cell(code)]))


@pytest.fixture
def course(tmp_path):
    """A course folder with two lessons in notebooks/."""
    folder = tmp_path / "course"
    (folder / "notebooks").mkdir(parents=True)
    (folder / "notebooks" / "01_derivatives.ipynb").write_text(lesson("Derivatives"), encoding="utf-8")
    (folder / "notebooks" / "02_gates.ipynb").write_text(lesson("Gates"), encoding="utf-8")
    return folder


@pytest.fixture
def workspace(course):
    return course / "my-work"


def edit(path, text="answer = 42  # mine"):
    """Change a learner's notebook the way saving in JupyterLab would, and return its new bytes."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = text
    nbformat.write(nb, path)
    return path.read_bytes()


# ---------------------------------------------------------------------------- setup
def test_first_setup_copies_every_lesson(course, workspace):
    done = setup(course, workspace)
    assert done.created
    assert [p.name for p in done.copied] == ["01_derivatives.ipynb", "02_gates.ipynb"]
    for name in ("01_derivatives.ipynb", "02_gates.ipynb"):
        assert (workspace / name).read_bytes() == (course / "notebooks" / name).read_bytes()


def test_workspace_defaults_to_my_work_inside_the_course(course):
    setup(course)
    assert (course / "my-work" / "01_derivatives.ipynb").is_file()


def test_second_setup_keeps_the_learners_work(course, workspace):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    done = setup(course, workspace)
    assert not done.created and done.copied == []
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine


def test_a_course_update_to_the_same_lesson_never_overwrites_it(course, workspace):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    (course / "notebooks" / "01_derivatives.ipynb").write_text(lesson("Derivatives, revised"), encoding="utf-8")
    done = setup(course, workspace)
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine
    assert [p.name for p in done.changed] == ["01_derivatives.ipynb"]       # the learner is told ...
    assert setup(course, workspace).changed == []                           # ... once per course version


def test_an_untouched_lesson_is_not_overwritten_either(course, workspace):
    setup(course, workspace)
    before = (workspace / "02_gates.ipynb").read_bytes()
    (course / "notebooks" / "02_gates.ipynb").write_text(lesson("Gates, revised"), encoding="utf-8")
    setup(course, workspace)
    assert (workspace / "02_gates.ipynb").read_bytes() == before


def test_lessons_new_in_the_course_are_copied_in(course, workspace):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    (course / "notebooks" / "03_chain_rule.ipynb").write_text(lesson("Chain rule"), encoding="utf-8")
    done = setup(course, workspace)
    assert [p.name for p in done.copied] == ["03_chain_rule.ipynb"]
    assert (workspace / "03_chain_rule.ipynb").is_file()
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine


def test_a_deleted_lesson_comes_back_fresh(course, workspace):
    setup(course, workspace)
    (workspace / "02_gates.ipynb").unlink()
    assert [p.name for p in setup(course, workspace).copied] == ["02_gates.ipynb"]


def test_a_broken_course_notebook_is_skipped_not_copied(course, workspace, capsys):
    (course / "notebooks" / "02_gates.ipynb").write_text('{"cells": [', encoding="utf-8")
    status = main(["--course", str(course), "--workspace", str(workspace), "setup"])
    assert status == 1
    assert (workspace / "01_derivatives.ipynb").is_file()
    assert not (workspace / "02_gates.ipynb").exists()
    assert "broken JSON" in capsys.readouterr().err


def test_the_real_course_keeps_the_workspace_out_of_git():
    ignored = [line.strip() for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()]
    assert "my-work/" in ignored
    if shutil.which("git") and (ROOT / ".git").exists():
        probe = subprocess.run(["git", "check-ignore", "-q", "my-work/01_derivatives.ipynb"], cwd=ROOT)
        assert probe.returncode == 0, "git would track the learner's workspace"


# ---------------------------------------------------------------------------- reset
def test_reset_backs_up_then_restores(course, workspace):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    done = reset(course, workspace, "1", now=NOON)
    assert done.replaced
    assert done.backup == workspace / BACKUPS / "01_derivatives.2026-11-22T10-00-00.ipynb"
    assert done.backup.read_bytes() == mine
    assert (workspace / "01_derivatives.ipynb").read_bytes() == (course / "notebooks" / "01_derivatives.ipynb").read_bytes()


def test_reset_never_overwrites_a_backup(course, workspace):
    setup(course, workspace)
    first = edit(workspace / "01_derivatives.ipynb", "answer = 1")
    reset(course, workspace, 1, now=NOON)
    second = edit(workspace / "01_derivatives.ipynb", "answer = 2")
    done = reset(course, workspace, "01", now=NOON)                         # same second
    assert done.backup.name == "01_derivatives.2026-11-22T10-00-00-2.ipynb"
    assert (workspace / BACKUPS / "01_derivatives.2026-11-22T10-00-00.ipynb").read_bytes() == first
    assert done.backup.read_bytes() == second


def test_reset_of_a_fresh_copy_changes_nothing(course, workspace):
    setup(course, workspace)
    done = reset(course, workspace, "2", now=NOON)
    assert not done.replaced and done.backup is None
    assert not (workspace / BACKUPS).exists()


def test_reset_brings_back_a_deleted_lesson(course, workspace):
    setup(course, workspace)
    (workspace / "02_gates.ipynb").unlink()
    done = reset(course, workspace, "2", now=NOON)
    assert done.replaced and done.backup is None
    assert (workspace / "02_gates.ipynb").is_file()


def test_reset_saves_even_a_corrupted_copy_byte_for_byte(course, workspace):
    setup(course, workspace)
    garbage = b'{"cells": [{"cell_type": "code", "sour'
    (workspace / "01_derivatives.ipynb").write_bytes(garbage)
    done = reset(course, workspace, "1", now=NOON)
    assert done.backup.read_bytes() == garbage
    assert notebook_problem(workspace / "01_derivatives.ipynb") is None


def test_reset_then_setup_does_not_announce_the_change_again(course, workspace):
    setup(course, workspace)
    edit(workspace / "01_derivatives.ipynb")
    (course / "notebooks" / "01_derivatives.ipynb").write_text(lesson("Derivatives, revised"), encoding="utf-8")
    reset(course, workspace, "1", now=NOON)
    assert setup(course, workspace).changed == []


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("given, says", [
    ("9", "there is no lesson 9 in the course; the lessons are 1, 2"),
    ("one", "LESSON must be a lesson number such as 1, got 'one'"),
    ("-1", "LESSON must be a lesson number"),
    ("", "say which lesson"),
    ("  ", "say which lesson"),
])
def test_reset_rejects_an_unknown_lesson_and_touches_nothing(course, workspace, given, says):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    with pytest.raises(WorkspaceError, match=says):
        reset(course, workspace, given, now=NOON)
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine
    assert not (workspace / BACKUPS).exists()


def test_reset_without_a_workspace_says_so(course, workspace):
    with pytest.raises(WorkspaceError, match="no workspace .* run make workspace first"):
        reset(course, workspace, "1")
    assert not workspace.exists()


def test_reset_from_a_broken_course_notebook_leaves_the_learners_copy(course, workspace):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    (course / "notebooks" / "01_derivatives.ipynb").write_text("not json", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="broken"):
        reset(course, workspace, "1")
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine


def test_a_course_without_notebooks_is_explained(tmp_path):
    with pytest.raises(WorkspaceError, match="no notebooks/ folder"):
        course_notebooks(tmp_path)
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(WorkspaceError, match="has no lessons"):
        setup(tmp_path)


def test_a_file_in_the_way_of_the_workspace_is_explained(course, workspace):
    workspace.write_text("my notes", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="not a folder"):
        setup(course, workspace)
    assert workspace.read_text(encoding="utf-8") == "my notes"


@pytest.mark.parametrize("text, says", [
    ('{"cells": [', "broken JSON at line 1, column 12"),
    ("", "the file is empty"),
    ("[1, 2]", "no list of cells"),
    (b"\xff\xfe\x00", "not text"),
])
def test_notebook_problem_names_the_damage(tmp_path, text, says):
    path = tmp_path / "x.ipynb"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert says in notebook_problem(path)


def test_find_lesson_by_number(course):
    assert find_lesson(course, 2).name == "02_gates.ipynb"
    assert find_lesson(course, " 01 ").name == "01_derivatives.ipynb"


# ---------------------------------------------------------------------------- command line
def cli(course, workspace, *args):
    return main(["--course", str(course), "--workspace", str(workspace), *args])


def test_cli_setup_then_reset(course, workspace, capsys):
    assert cli(course, workspace, "setup") == 0
    assert "Created your workspace" in capsys.readouterr().out
    assert cli(course, workspace, "setup") == 0
    assert "has 2 lessons; nothing new" in capsys.readouterr().out
    edit(workspace / "01_derivatives.ipynb")
    assert cli(course, workspace, "reset", "1") == 0
    out = capsys.readouterr().out
    assert "Saved your copy as" in out and "is now a fresh copy" in out
    assert len(list((workspace / BACKUPS).iterdir())) == 1


def test_cli_tells_of_a_course_update_without_overwriting(course, workspace, capsys):
    cli(course, workspace, "setup")
    mine = edit(workspace / "01_derivatives.ipynb")
    (course / "notebooks" / "01_derivatives.ipynb").write_text(lesson("Derivatives, revised"), encoding="utf-8")
    assert cli(course, workspace, "setup") == 0
    assert "01_derivatives.ipynb has changed in the course" in capsys.readouterr().out
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine


@pytest.mark.parametrize("args, says", [
    (["reset", "9"], "reset: there is no lesson 9"),
    (["reset"], "reset: say which lesson, for example: make reset LESSON=1"),
    (["progress"], "progress: there is no workspace"),
])
def test_cli_bad_input_is_one_line_and_fails(course, workspace, capsys, args, says):
    if args[0] == "reset":
        cli(course, workspace, "setup")
        capsys.readouterr()
    assert cli(course, workspace, *args) == 1
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1, err


def test_python_dash_m_gives_one_line_and_a_failing_status(course, workspace):
    """As make runs it: python -m helpers.workspace, in a process of its own."""
    run = subprocess.run([sys.executable, "-m", "helpers.workspace", "progress"], cwd=course,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.startswith("progress: there is no workspace") and run.stderr.count("\n") == 1, run.stderr
    assert not workspace.exists()


def test_cli_rejects_a_bad_timeout(course, workspace, capsys):
    with pytest.raises(SystemExit) as stop:
        cli(course, workspace, "progress", "--timeout", "soon")
    assert stop.value.code == 2
    assert "TIMEOUT must be a number of seconds, got 'soon'" in capsys.readouterr().err


# ---------------------------------------------------------------------------- make lab
@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_lab_stays_local_with_its_token_and_opens_the_workspace():
    dry = subprocess.run(["make", "-n", "lab", "CI=1", "PORT=8899"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    command = dry.stdout
    assert "helpers.workspace setup" in command                   # the workspace first
    assert "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=8899" in command
    assert "--no-browser" in command
    assert "my-work" in command
    assert "token" not in command.lower() and "password" not in command.lower()
