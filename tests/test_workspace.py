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
    ("one", "LESSON must be a lesson number such as 1, written with the digits 0-9, got 'one'"),
    ("-1", "LESSON must be a lesson number"),
    ("²", "LESSON must be a lesson number .* got '²'"),            # str.isdigit() says yes to these
    ("٣", "LESSON must be a lesson number .* got '٣'"),            # int() reads this one as 3
    ("1.0", "LESSON must be a lesson number"),
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


def test_a_superscript_lesson_is_refused_in_one_line_by_the_command(course, workspace):
    """As make runs it: `make reset LESSON=²` once crashed (str.isdigit() accepts superscripts)."""
    setup(course, workspace)
    run = subprocess.run([sys.executable, "-m", "helpers.workspace", "reset", "²"], cwd=course,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.startswith("reset: LESSON must be a lesson number") and run.stderr.count("\n") == 1, run.stderr


# ---------------------------------------------------------------------------- a full disk
import errno  # noqa: E402
import os  # noqa: E402

from helpers import workspace as workspace_module  # noqa: E402


def full_disk_after(monkeypatch, allowed):
    """Make os.write write ``allowed`` bytes in all, then fail with ENOSPC, as a full disk does."""
    real, left = os.write, [allowed]

    def write(fd, data):
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = real(fd, bytes(data[:left[0]]))
        left[0] -= written
        return written
    monkeypatch.setattr(os, "write", write)


def every_file(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("allowed", [0, 100])
def test_a_full_disk_during_setup_leaves_no_partial_notebook(course, workspace, monkeypatch, allowed):
    setup(course, workspace)
    mine = edit(workspace / "01_derivatives.ipynb")
    (course / "notebooks" / "03_chain_rule.ipynb").write_text(lesson("Chain rule"), encoding="utf-8")
    before = every_file(workspace)
    with monkeypatch.context() as patch:
        full_disk_after(patch, allowed)
        with pytest.raises(OSError) as raised:
            setup(course, workspace)
    assert raised.value.errno == errno.ENOSPC and raised.value.filename.endswith("03_chain_rule.ipynb")
    assert every_file(workspace) == before                         # nothing new, nothing half-written
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine
    done = setup(course, workspace)                                # with room again, the lesson comes in whole
    assert [p.name for p in done.copied] == ["03_chain_rule.ipynb"]
    assert notebook_problem(workspace / "03_chain_rule.ipynb") is None


@pytest.mark.parametrize("allowed", [0, 100, 10**6])
def test_a_full_disk_during_reset_keeps_the_lesson_and_every_backup(course, workspace, monkeypatch, allowed):
    """0 and 100 bytes: the backup fails; a million: the backup is written, the record or the lesson fails."""
    setup(course, workspace)
    reset(course, workspace, "1", now=NOON)                        # nothing to back up yet
    edit(workspace / "01_derivatives.ipynb", "answer = 1")
    reset(course, workspace, "1", now=NOON)                        # one earlier backup
    mine = edit(workspace / "01_derivatives.ipynb", "answer = 2")
    before = every_file(workspace)
    with monkeypatch.context() as patch:
        full_disk_after(patch, allowed)
        try:
            reset(course, workspace, "1", now=datetime(2026, 11, 23))
        except OSError as error:
            assert error.errno == errno.ENOSPC
    after = every_file(workspace)
    for name, data in before.items():                              # every notebook and backup as it was ...
        if name != ".course-versions.json" and name != "01_derivatives.ipynb":
            assert after[name] == data, name
    assert after["01_derivatives.ipynb"] in (mine, (course / "notebooks" / "01_derivatives.ipynb").read_bytes())
    if after["01_derivatives.ipynb"] != mine:                      # ... and the learner's work is in a backup
        assert mine in [data for name, data in after.items() if name.startswith(BACKUPS)]
    assert not [name for name in after if name.endswith(".tmp")], "a temporary file was left"
    for name, data in after.items():                               # no empty or partial notebook
        if name.endswith(".ipynb"):
            assert notebook_problem(workspace / name) is None, name


def test_a_full_disk_at_fsync_is_a_failure_too(course, workspace, monkeypatch):
    setup(course, workspace)
    (workspace / "02_gates.ipynb").unlink()

    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", fsync)
        with pytest.raises(OSError):
            setup(course, workspace)
    assert sorted(p.name for p in workspace.iterdir()) == [".course-versions.json", "01_derivatives.ipynb"]


def test_the_command_reports_a_full_disk_in_one_line(course, workspace, monkeypatch, capsys):
    with monkeypatch.context() as patch:
        full_disk_after(patch, 10)
        assert cli(course, workspace, "setup") == 1
    err = capsys.readouterr().err
    assert err.startswith("setup: the disk is full: could not write ") and err.count("\n") == 1, err
    assert "free some space" in err
    assert [p.name for p in workspace.iterdir()] == []


# ---------------------------------------------------------------------------- files that are in the way
def refuse_writes(monkeypatch):
    """Make every new file in the workspace fail as in a read-only folder (root ignores chmod, so patch)."""
    def mkstemp(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", kwargs.get("dir"))
    monkeypatch.setattr(workspace_module.tempfile, "mkstemp", mkstemp)


def test_setup_of_an_up_to_date_read_only_workspace_writes_nothing_and_succeeds(course, workspace, monkeypatch,
                                                                               capsys):
    cli(course, workspace, "setup")
    capsys.readouterr()
    refuse_writes(monkeypatch)
    assert cli(course, workspace, "setup") == 0                    # make lab goes on to start JupyterLab
    assert "nothing new in the course" in capsys.readouterr().out


def test_setup_writes_its_records_only_when_something_changed(course, workspace):
    setup(course, workspace)
    record = workspace / ".course-versions.json"
    os.utime(record, (0, 0))
    setup(course, workspace)
    assert record.stat().st_mtime == 0


@pytest.mark.parametrize("case, says", [
    ("read-only", "setup: could not write my-work/03_chain_rule.ipynb: permission denied (it or its folder is read-only"),
    ("backups is a file", "reset: my-work/backups is a file, but backups go in a folder of that name"),
    ("records are a folder", "is a folder, but the course keeps a small record file of that name"),
])
def test_each_workspace_file_problem_is_one_line_with_what_to_do(course, workspace, monkeypatch, capsys, case, says):
    monkeypatch.chdir(course)
    cli(course, "my-work", "setup")
    mine = edit(workspace / "01_derivatives.ipynb")
    capsys.readouterr()
    if case == "read-only":
        (course / "notebooks" / "03_chain_rule.ipynb").write_text(lesson("Chain rule"), encoding="utf-8")
        refuse_writes(monkeypatch)
        status = cli(course, "my-work", "setup")
    else:
        if case == "backups is a file":
            (workspace / BACKUPS).write_text("notes", encoding="utf-8")
        else:
            (workspace / ".course-versions.json").unlink()
            (workspace / ".course-versions.json").mkdir()
        status = cli(course, "my-work", "reset", "1")
    err = capsys.readouterr().err
    assert status == 1
    assert says in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert (workspace / "01_derivatives.ipynb").read_bytes() == mine


@pytest.mark.parametrize("code, says", [
    (errno.ENOSPC, "the disk is full"),
    (errno.EROFS, "read-only"),
    (errno.ENOTDIR, "a file stands where a folder should be"),
    (errno.EISDIR, "is a folder where a file should be"),
    (errno.EIO, "could not use x.ipynb: boom; fix that"),
])
def test_explain_os_error_says_what_and_what_to_do(code, says):
    line = workspace_module.explain_os_error(OSError(code, "boom", "x.ipynb"))
    assert says in line and "\n" not in line and "run this again" in line or "fix that" in line
