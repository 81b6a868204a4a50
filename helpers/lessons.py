"""The course's lessons on disk: where they are, their numbers, whether a file is a readable notebook.

Both :mod:`helpers.workspace` (setup, reset) and :mod:`helpers.progress` (running
the lessons) need these, so they live here and imports go one way:
``workspace → progress → lessons`` and ``workspace → lessons``.  Only the
standard library is used.
"""
import contextlib
import json
import re
from pathlib import Path

__all__ = ["WorkspaceError", "course_notebooks", "lesson_number", "notebook_problem", "reset_command", "show"]


class WorkspaceError(Exception):
    """A command could not do its job; the message is one line that says why and what to do."""


def course_notebooks(course):
    """Return the course's exercise notebooks (``course/notebooks/*.ipynb``), sorted by name."""
    folder = Path(course) / "notebooks"
    if not folder.is_dir():
        raise WorkspaceError(f"no notebooks/ folder in {show(course)} — run this from the course folder")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if not notebooks:
        raise WorkspaceError(f"{show(folder)} has no lessons (.ipynb files) yet")
    return notebooks


def lesson_number(path):
    """Return the lesson number a notebook's name starts with (ASCII digits), or None.

    >>> lesson_number(Path("notebooks/03_chain_rule.ipynb"))
    3
    >>> lesson_number(Path("scratch.ipynb")) is None
    True
    >>> lesson_number(Path("٣_other_digits.ipynb")) is None
    True
    """
    match = re.match(r"([0-9]+)_", Path(path).name)
    return int(match.group(1)) if match else None


def reset_command(path):
    """Return the command that gives a fresh copy of the lesson at ``path``.

    >>> reset_command(Path("my-work/03_chain_rule.ipynb")), reset_command(Path("scratch.ipynb"))
    ('make reset LESSON=3', 'make reset')
    """
    number = lesson_number(path)
    return "make reset" if number is None else f"make reset LESSON={number}"


def notebook_problem(path):
    """Return why the file at ``path`` is not a readable notebook, or None if it is one.

    Only the JSON structure is checked; nothing is run.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return "the file is not text"
    except json.JSONDecodeError as error:
        if not error.doc.strip():
            return "the file is empty"
        return f"broken JSON at line {error.lineno}, column {error.colno}"
    except IsADirectoryError:
        return "it is a folder, not a file"
    except OSError as error:
        return f"cannot read it: {error.strerror}"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return "the file is JSON but not a notebook (it has no list of cells)"
    return None


def show(path):
    """Return ``path`` relative to the current folder when it is inside it (for messages)."""
    path = Path(path)
    with contextlib.suppress(ValueError, OSError):        # outside the current folder: shown as it is
        path = path.resolve().relative_to(Path.cwd().resolve())
    with contextlib.suppress(OSError):
        if path.is_dir():
            return f"{path}/"
    return str(path)
