"""The learner's workspace: their own copy of every lesson, which course updates never overwrite.

``make lab`` opens JupyterLab on ``my-work/``.  The first run fills it with the
exercise notebooks from ``notebooks/``; later runs copy in only the lessons that
are new in the course (or that the learner deleted).  A notebook already in the
workspace is never overwritten, whatever changed upstream, and ``git pull``
never touches the workspace either, because ``my-work/`` is in ``.gitignore``.
When a lesson the learner already has changes in the course, they are told once,
and ``make reset LESSON=N`` swaps in the new version after backing theirs up.

The command line behind the Makefile targets, run from the course folder::

    python -m helpers.workspace setup              # make workspace
    python -m helpers.workspace progress           # make progress  [TIMEOUT=120]
    python -m helpers.workspace reset 3            # make reset LESSON=3

Every function takes the course folder and the workspace folder as paths, so
tests run in temporary folders and never touch a real workspace.
"""
import argparse
import contextlib
import errno
import hashlib
import itertools
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from helpers.lessons import WorkspaceError, course_notebooks, lesson_number, notebook_problem, reset_command, show

__all__ = ["WORKSPACE", "BACKUPS", "Setup", "Reset", "find_lesson", "setup", "reset", "write_whole",
           "explain_os_error", "main"]

WORKSPACE = "my-work"                  # the workspace folder, inside the course folder (.gitignore lists it)
BACKUPS = "backups"                    # inside the workspace: copies saved by reset
VERSIONS = ".course-versions.json"     # inside the workspace: which course version each lesson was copied from

# what went wrong with a file and what to do, by error number ({where}: the file; {reason}: the system's words)
ADVICE = {
    errno.ENOSPC: "the disk is full: could not write {where} (no file was left half-written); free some space",
    errno.EACCES: "could not write {where}: {reason} (it or its folder is read-only or not yours); "
                  "make them writable, for example chmod -R u+w my-work",
    errno.ENOTDIR: "a file stands where a folder should be, on the way to {where}: rename it",
    errno.EISDIR: "{where} is a folder where a file should be: rename it",
    errno.EEXIST: "{where} is in the way (it already exists as something else): rename it",
}
ADVICE[getattr(errno, "EDQUOT", errno.ENOSPC)] = ADVICE[errno.ENOSPC]          # over the disk quota: full too
ADVICE[errno.EPERM] = ADVICE[errno.EROFS] = ADVICE[errno.EACCES]


@dataclass
class Setup:
    """What :func:`setup` did: lessons copied in, kept as they were, changed upstream, skipped."""

    created: bool = False
    copied: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    changed: list = field(default_factory=list)          # kept, but the course has a newer version
    skipped: list = field(default_factory=list)          # (name, reason): the course copy is broken


@dataclass
class Reset:
    """What :func:`reset` did: the lesson, whether it was replaced, and where the old copy went (or None)."""

    lesson: Path
    replaced: bool
    backup: Path | None


# ---------------------------------------------------------------------------- the course's lessons
def find_lesson(course, lesson):
    """Return the course notebook of ``lesson`` (a number, or text such as "1" or "01": ASCII digits only)."""
    text = str(lesson).strip()
    if not text:
        raise WorkspaceError("say which lesson, for example: make reset LESSON=1")
    if not re.fullmatch(r"[0-9]+", text):
        raise WorkspaceError(f"LESSON must be a lesson number such as 1, written with the digits 0-9, got {text!r}")
    notebooks = course_notebooks(course)
    matches = [p for p in notebooks if lesson_number(p) == int(text)]
    if not matches:
        known = ", ".join(str(n) for n in sorted({lesson_number(p) for p in notebooks} - {None}))
        raise WorkspaceError(f"there is no lesson {int(text)} in the course; the lessons are {known}")
    if len(matches) > 1:
        raise WorkspaceError(f"several notebooks claim lesson {int(text)}: "
                             + ", ".join(p.name for p in matches))
    return matches[0]


# ---------------------------------------------------------------------------- setup
def setup(course, workspace=None):
    """Create the workspace, or copy in the course's lessons it does not have; never overwrite one.

    ``workspace`` defaults to ``course/my-work``.  Nothing is written when
    nothing changed, so a read-only workspace that is up to date is no problem.
    Every file is written whole or not at all (see :func:`write_whole`).
    Returns a :class:`Setup`.
    """
    course = Path(course)
    workspace = Path(workspace) if workspace is not None else course / WORKSPACE
    lessons = course_notebooks(course)
    if workspace.exists() and not workspace.is_dir():
        raise WorkspaceError(f"{show(workspace)} exists but is not a folder; rename it, then run this again")
    done = Setup(created=not workspace.exists())
    if done.created:
        workspace.mkdir(parents=True)
    versions = _read_versions(workspace)
    for source in lessons:
        target = workspace / source.name
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if target.exists():
            done.kept.append(target)
            seen = versions.get(source.name, {})
            if seen.get("copied") and digest not in (seen["copied"], seen.get("announced")):
                done.changed.append(target)
                seen["announced"] = digest
            continue
        problem = notebook_problem(source)
        if problem:
            done.skipped.append((source.name, problem))
            continue
        if write_whole(target, data, overwrite=False):
            done.copied.append(target)
            versions[source.name] = {"copied": digest}
        else:                                    # it appeared meanwhile (JupyterLab saved it): keep it
            done.kept.append(target)
    if done.copied or done.changed:              # else nothing is written: a read-only workspace is fine
        _write_versions(workspace, versions)
    return done


# ---------------------------------------------------------------------------- reset
def reset(course, workspace=None, lesson=None, *, now=None):
    """Give the learner a fresh copy of ``lesson``, after saving theirs in ``workspace/backups/``.

    The backup is named after the lesson and the time, for example
    ``backups/01_derivatives.2026-11-22T10-00-00.ipynb``, and is written whole
    and read back before the learner's copy is replaced, so nothing is ever lost.
    A copy that is already identical to the course's is left alone (no backup).
    Returns a :class:`Reset`.
    """
    course = Path(course)
    workspace = Path(workspace) if workspace is not None else course / WORKSPACE
    source = find_lesson(course, lesson)
    if not workspace.is_dir():
        raise WorkspaceError(f"there is no workspace at {show(workspace)} yet — run make workspace first")
    problem = notebook_problem(source)
    if problem:
        raise WorkspaceError(f"the course's {source.name} is broken: {problem}; your copy is untouched")
    target = workspace / source.name
    fresh = source.read_bytes()
    backup = None
    if target.exists():
        mine = target.read_bytes()               # a folder in its place raises, and explain_os_error tells it
        if mine == fresh:
            return Reset(target, False, None)
        backup = _save_backup(workspace, target, mine, now or datetime.now())
    versions = _read_versions(workspace)
    versions[source.name] = {"copied": hashlib.sha256(fresh).hexdigest()}
    _write_versions(workspace, versions)                  # first: if it cannot be written, the lesson is untouched
    write_whole(target, fresh, overwrite=True)
    return Reset(target, True, backup)


def _save_backup(workspace, target, data, when):
    """Write ``data`` whole to a new timestamped file in ``workspace/backups/`` and return its path."""
    folder = workspace / BACKUPS
    if folder.exists() and not folder.is_dir():
        raise WorkspaceError(f"{show(folder)} is a file, but backups go in a folder of that name: "
                             "rename the file, then run make reset again; your copy is untouched")
    folder.mkdir(exist_ok=True)
    stamp = when.strftime("%Y-%m-%dT%H-%M-%S")
    for attempt in itertools.count(1):                   # a new name each time, so this ends
        suffix = "" if attempt == 1 else f"-{attempt}"
        backup = folder / f"{target.stem}.{stamp}{suffix}{target.suffix}"
        if write_whole(backup, data, overwrite=False):
            if backup.read_bytes() != data:
                raise WorkspaceError(f"could not save a backup of {target.name} (it reads back differently); "
                                     "your copy is untouched")
            return backup


# ---------------------------------------------------------------------------- writing whole files
def write_whole(target, data, *, overwrite):
    """Write ``data`` to ``target`` whole or not at all; return False if ``target`` exists and not ``overwrite``.

    The bytes go to a temporary file beside the target, are flushed to disk
    (fsync), and only then take the target's name, with a rename (or, for a
    new file, a hard link, which fails rather than overwrite).  A full disk or
    a crash part-way leaves the old file, or no file, never a truncated one;
    the temporary file is removed whatever happens.
    """
    target, temporary = Path(target), None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temporary, 0o666 & ~_umask())            # the permissions a new file gets, not mkstemp's 0600
        if overwrite:
            os.replace(temporary, target)
        elif not _link_new(temporary, target):
            return False
        _sync_folder(target.parent)
        return True
    except OSError as error:                              # about the target, not the temporary file beside it
        raise OSError(error.errno, error.strerror, str(target)) from None
    finally:
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)                      # already gone after a rename


def _link_new(temporary, target):
    """Give ``temporary``'s file the name ``target`` too, unless that exists; return whether it did."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        return False
    except OSError:                                       # hard links not supported here: check, then rename
        if os.path.lexists(target):
            return False
        os.replace(temporary, target)
    return True


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder):
    """Flush the folder's entry for a renamed file to disk, where the system allows it (not on Windows)."""
    with contextlib.suppress(OSError):                    # Windows refuses to open a folder: nothing to do there
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


# ---------------------------------------------------------------------------- bookkeeping
def _read_versions(workspace):
    """Return the record of which course version each lesson was copied from."""
    try:
        data = json.loads((workspace / VERSIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError):                # missing or damaged: start again, it is only a memo
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def _write_versions(workspace, versions):
    path = workspace / VERSIONS
    if path.exists() and not path.is_file():
        raise WorkspaceError(f"{show(path)} is a folder, but the course keeps a small record file of that name "
                             "(which version of each lesson you copied): rename or remove the folder, then run "
                             "this again; your lessons are untouched")
    write_whole(path, (json.dumps(versions, indent=1, sort_keys=True) + "\n").encode(),
                overwrite=True)


def explain_os_error(error):
    """Return one line that says what went wrong with a file and what to do about it.

    >>> explain_os_error(OSError(28, "No space left on device", "my-work/01_derivatives.ipynb"))
    'the disk is full: could not write my-work/01_derivatives.ipynb (no file was left half-written); free some space, then run this again'
    """
    where = show(error.filename) if error.filename else "a file"
    advice = ADVICE.get(error.errno)
    if advice is None:
        return f"could not use {where}: {error.strerror or error}; fix that, then run this again"
    return advice.format(where=where, reason=str(error.strerror).lower()) + ", then run this again"


# ---------------------------------------------------------------------------- command line
def _lessons(count):
    return f"{count} lesson" if count == 1 else f"{count} lessons"


def _report_setup(done, workspace):
    where = show(workspace)
    if done.created:
        print(f"Created your workspace {where} with {_lessons(len(done.copied))}: "
              "your own copies to work in (course updates never overwrite them).")
    elif done.copied:
        print(f"Copied {_lessons(len(done.copied)).replace(' ', ' new ')} into {where}: "
              + ", ".join(p.name for p in done.copied))
    else:
        print(f"Your workspace {where} has {_lessons(len(done.kept))}; nothing new in the course.")
    for path in done.changed:
        print(f"Note: {path.name} has changed in the course since you copied it. Your copy stays as it is; "
              f"{reset_command(path)} switches to the new version and keeps yours in {where}{BACKUPS}/.")
    for name, problem in done.skipped:
        print(f"Skipped notebooks/{name}: {problem}. It will be copied in once the course fixes it.",
              file=sys.stderr)


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"TIMEOUT must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"TIMEOUT must be more than 0 seconds, got {text!r}")
    return value


def main(argv=None):
    """Run ``setup``, ``progress`` or ``reset`` from the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m helpers.workspace",
                                     description="The learner's workspace: set it up, see progress, reset a lesson.")
    parser.add_argument("--course", type=Path, default=Path("."), help="the course folder (default: here)")
    parser.add_argument("--workspace", type=Path, help=f"the workspace (default: COURSE/{WORKSPACE})")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create the workspace, or copy in new lessons (never overwrites)")
    run = commands.add_parser("progress", help="run every lesson headless and print a table of outcomes")
    run.add_argument("--timeout", type=_seconds, default=120.0, help="seconds allowed per notebook (default 120)")
    again = commands.add_parser("reset", help="back up one lesson, then give a fresh copy of it")
    again.add_argument("lesson", nargs="?", default="", help="the lesson number, for example 1")
    args = parser.parse_args(argv)
    workspace = args.workspace if args.workspace is not None else args.course / WORKSPACE
    try:
        if args.command == "setup":
            done = setup(args.course, workspace)
            _report_setup(done, workspace)
            return 1 if done.skipped else 0
        if args.command == "reset":
            done = reset(args.course, workspace, args.lesson)
            if not done.replaced:
                print(f"{show(done.lesson)} is already the course's fresh copy; nothing to reset.")
                return 0
            if done.backup is not None:
                print(f"Saved your copy as {show(done.backup)}.")
            print(f"{show(done.lesson)} is now a fresh copy of the lesson. If it is open in JupyterLab, "
                  "choose File > Reload Notebook from Disk before you save it.")
            return 0
        from helpers.progress import NO_PYTHON, format_table, progress   # imports nbclient: only when needed
        lessons = progress(args.course, workspace, timeout=args.timeout)
        print("\n" + format_table(lessons))
        return 1 if any(lesson.stopped == NO_PYTHON for lesson in lessons) else 0
    except WorkspaceError as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{args.command}: {explain_os_error(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{args.command}: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
