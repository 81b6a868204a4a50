#!/usr/bin/env python3
"""Backprop by Hand — every command a learner or an instructor needs, with nothing but Python.

    python3 course.py lab          open your workspace my-work/ in JupyterLab
    python3 course.py test         run the unit tests and every notebook
    python3 course.py progress     run your lessons and list every exercise
    python3 course.py reset 3      back up your copy of lesson 3, then start it afresh
    python3 course.py help         every command

On Windows, write ``py course.py lab``.  ``make lab``, ``make test`` and the
other make targets run this same script, so both ways do exactly the same.

The first command creates a virtual environment in ``.venv/`` and installs
every package pinned in ``requirements.lock``: with uv when it can be had
(it is installed into ``.venv`` with pip, pinned like everything else), else
with pip alone.  Later commands reinstall only when the lock or
``pyproject.toml`` changed.  Only the standard library is used here, so this
script runs before anything is installed.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LOCK = "requirements.lock"                   # every package, pinned (made by `lock` from requirements.txt)
BROWSER_LOCK = "requirements-browser.lock"   # what `test-browser` adds (made from requirements-browser.txt)
OVERRIDES = "requirements-overrides.txt"     # what the lock leaves out, and why
FIRST_LESSON = "01_derivatives.ipynb"
MINIMUM_PYTHON = (3, 11)
LOCK_PYTHON = "3.11"                         # the lock holds for this Python and every newer one
INSTALLERS = ("auto", "uv", "pip")
NO_DEBUGGER = "tests/kernel_without_debugger"  # put first on the tests' PYTHONPATH: kernels start without debugpy


class LauncherError(Exception):
    """A command could not do its job; the message is one line that says why and what to do."""


# ---------------------------------------------------------------------------- the virtual environment
def venv_python(venv, *, windows=None):
    """Return the path of the Python interpreter inside the virtual environment ``venv``.

    >>> venv_python(Path(".venv"), windows=False).as_posix()
    '.venv/bin/python'
    >>> str(venv_python(Path(".venv"), windows=True).relative_to(".venv")).replace("\\\\", "/")
    'Scripts/python.exe'
    """
    return venv_script(venv, "python", windows=windows)


def venv_script(venv, name, *, windows=None):
    """Return the path of the program ``name`` (python, uv, jupyter …) that ``venv`` installs."""
    windows = os.name == "nt" if windows is None else windows
    if windows:
        return Path(venv) / "Scripts" / f"{name}.exe"
    return Path(venv) / "bin" / name


def locked_version(lock_text, package):
    """Return the version ``lock_text`` pins for ``package``, or None.

    >>> locked_version("numpy==2.4.6\\nuv==0.13.9 ; sys_platform == 'linux'\\n", "uv")
    '0.13.9'
    """
    name = re.escape(package)
    match = re.search(rf"^{name}==([^\s;]+)", lock_text, re.MULTILINE | re.IGNORECASE)
    return match.group(1) if match else None


def check_python(version=None):
    """Raise LauncherError unless this Python is new enough for the course."""
    version = tuple(version or sys.version_info[:2])
    if version < MINIMUM_PYTHON:
        raise LauncherError(
            f"Backprop by Hand needs Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer, found "
            f"{'.'.join(map(str, version))}: run this with a newer one, for example python3.12 course.py "
            "(or make PYTHON=python3.12)")


def install_digest(root):
    """Return a digest of what decides the installed packages: the lock and pyproject.toml."""
    digest = hashlib.sha256()
    for name in (LOCK, "pyproject.toml"):
        digest.update(name.encode() + b"\0" + (Path(root) / name).read_bytes() + b"\0")
    return digest.hexdigest()


def choose_installer(wanted="auto"):
    """Return the installer to try first: ``wanted``, or BACKPROP_INSTALLER, or "auto" (uv, then pip)."""
    wanted = (wanted if wanted != "auto" else os.environ.get("BACKPROP_INSTALLER", "auto")).strip().lower()
    if wanted not in INSTALLERS:
        raise LauncherError(f"BACKPROP_INSTALLER must be one of {', '.join(INSTALLERS)}, got {wanted!r}")
    return wanted


class Course:
    """The course folder and its virtual environment; every command is a method."""

    def __init__(self, root=ROOT, venv=None, *, installer="auto", windows=None, run=None, out=None):
        self.root = Path(root)
        self.venv = Path(venv) if venv is not None else self.root / ".venv"
        self.windows = os.name == "nt" if windows is None else windows
        self.installer = installer
        self._run = run or _run
        self.out = out or sys.stdout

    # -------------------------------------------------------------- paths
    @property
    def python(self):
        return venv_python(self.venv, windows=self.windows)

    def script(self, name):
        return venv_script(self.venv, name, windows=self.windows)

    def say(self, text):
        print(text, file=self.out, flush=True)

    def run(self, command, *, env=None, **options):
        """Run ``command`` in the course folder, with the variables ``env`` added; return its exit status.

        Python may keep compiled bytecode (``__pycache__``) here even where PYTHONDONTWRITEBYTECODE is set:
        without it every process compiles again each module it imports (numpy, Jupyter, the tests), and a
        test run starts a few dozen processes and kernels.  uv, unlike pip, installs without compiling.
        """
        env = {**{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
               **(env or {})}
        return self._run([str(part) for part in command], cwd=self.root, env=env, **options)

    def must(self, command, failed):
        """Run ``command``; raise LauncherError(``failed``) when it does not succeed."""
        if self.run(command) != 0:
            raise LauncherError(failed)

    # -------------------------------------------------------------- install
    def install(self):
        """Create ``.venv`` when missing and install the lock into it, unless it is there already."""
        started = time.monotonic()
        lock = self.root / LOCK
        if not lock.is_file():
            raise LauncherError(f"{LOCK} is missing from {self.root}: run this from the course folder")
        if not self.python.exists():
            check_python()
            self.say(f"Creating the virtual environment {self.venv.name}/ ...")
            self.must([sys.executable, "-m", "venv", self.venv],
                      f"could not create {self.venv.name}/ with {sys.executable} -m venv: on Debian or Ubuntu "
                      "install the python3-venv package, then run this again")
        stamp = self.venv / ".installed"
        wanted = install_digest(self.root)
        if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
            return False
        stamp.unlink(missing_ok=True)
        (self.venv / ".browser").unlink(missing_ok=True)         # a sync removes the browser packages
        how = choose_installer(self.installer)
        uv = self._uv(lock.read_text(encoding="utf-8")) if how in ("auto", "uv") else None
        if uv is None and how == "uv":
            raise LauncherError("uv could not be installed; run again with BACKPROP_INSTALLER=pip to use pip")
        if uv is not None:
            self.say(f"Installing the packages pinned in {LOCK} with uv ...")
            self.must([uv, "pip", "sync", "--quiet", "--python", self.python, lock],
                      f"uv could not install {LOCK} (see above); check the network, then run this again")
            self.must([uv, "pip", "install", "--quiet", "--python", self.python, "--no-deps", "--no-build-isolation",
                       "-e", "."],
                      "uv could not install the course's helpers package (see above)")
        else:
            self.say(f"Installing the packages pinned in {LOCK} with pip (this takes a minute or two) ...")
            self.must([self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                       "--no-deps", "-r", lock],                 # the lock is complete: exactly what it pins
                      f"pip could not install {LOCK} (see above); check the network, then run this again")
            self.must([self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                       "--no-deps", "--no-build-isolation", "-e", "."],
                      "pip could not install the course's helpers package (see above)")
        stamp.write_text(wanted + "\n", encoding="utf-8")
        self.say(f"Installed in {time.monotonic() - started:.0f} s.")
        return True

    def _uv(self, lock_text):
        """Return the path of uv inside ``.venv``, installing the locked version with pip; None if it cannot."""
        uv = self.script("uv")
        version = locked_version(lock_text, "uv")
        if uv.exists():
            return uv
        if version is None:
            return None
        self.say(f"Installing uv {version} into {self.venv.name}/ with pip ...")
        status = self.run([self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           f"uv=={version}"])
        if status != 0 or not uv.exists():
            self.say("uv is not available for this machine; pip installs the packages instead.")
            return None
        return uv

    def install_browser(self):
        """Add Playwright (pinned in requirements-browser.lock) to ``.venv`` for the browser test."""
        self.install()
        stamp = self.venv / ".browser"
        lock = self.root / BROWSER_LOCK
        wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
        if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
            return
        uv = self.script("uv")
        if uv.exists():
            self.must([uv, "pip", "install", "--quiet", "--python", self.python, "-r", lock],
                      f"uv could not install {BROWSER_LOCK} (see above)")
        else:
            self.must([self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", lock],
                      f"pip could not install {BROWSER_LOCK} (see above)")
        stamp.write_text(wanted + "\n", encoding="utf-8")

    def lock(self):
        """Write requirements.lock and requirements-browser.lock from the readable requirements files."""
        self.install()
        uv = self.script("uv")
        if not uv.exists():
            raise LauncherError("making the lock needs uv: run this where uv can be installed")
        header = ["--universal", "--python-version", LOCK_PYTHON, "--quiet", "--custom-compile-command",
                  "make lock", "--override", OVERRIDES]
        self.must([uv, "pip", "compile", *header, "requirements.txt", "-o", LOCK],
                  "uv could not resolve requirements.txt (see above)")
        self.must([uv, "pip", "compile", *header, "requirements-browser.txt", "-c", LOCK, "-o", BROWSER_LOCK],
                  "uv could not resolve requirements-browser.txt (see above)")
        self.say(f"Wrote {LOCK} and {BROWSER_LOCK}; commit them with requirements*.txt.")
        self.install()                                   # bring .venv in step with the new lock
        return 0

    # -------------------------------------------------------------- learners
    def lab_command(self, *, port=8888, browser=True, root_user=None):
        """Return the command that serves the workspace in JupyterLab, on 127.0.0.1 only, token kept."""
        root_user = (hasattr(os, "getuid") and os.getuid() == 0) if root_user is None else root_user
        command = [self.python, "-m", "jupyter", "lab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                   "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root / 'my-work'}",
                   f"--LabApp.default_url=/lab/tree/{FIRST_LESSON}"]
        if not browser:
            command.append("--no-browser")
        if root_user:
            command.append("--allow-root")
        return command

    def lab(self, *, port=8888, browser=True):
        status = self.workspace()
        if status != 0:
            return status
        return self.run(self.lab_command(port=port, browser=browser))

    def workspace(self):
        self.install()
        return self.run([self.python, "-m", "helpers.workspace", "setup"])

    def progress(self, *, timeout=None):
        self.install()
        return self.run([self.python, "-m", "helpers.workspace", "progress",
                         *(["--timeout", timeout] if timeout else [])])

    def reset(self, lesson=""):
        self.install()
        return self.run([self.python, "-m", "helpers.workspace", "reset", lesson])

    # -------------------------------------------------------------- instructors
    def test_command(self, *, jobs="auto", unit=True, notebooks=True):
        """Return the one pytest run of ``test``: unit tests and doctests, and every notebook in both folders.

        One session keeps both cores busy to the end; ``jobs`` processes share it (1: all in this one).
        ``--dist loadgroup`` spreads single tests but keeps tests of one ``xdist_group`` together: every cell
        of a notebook (which share one kernel; see conftest.py) and tests that share a costly fixture.
        """
        if jobs == "auto":          # one more process than cores: a notebook's process waits while its kernel starts
            jobs = (os.cpu_count() or 1) + 1
        spread = [] if str(jobs) in ("0", "1") else ["-n", str(jobs), "--dist", "loadgroup"]
        paths = ["tests", "helpers", "tools", "--doctest-modules", "--ignore=tests/browser"] if unit else []
        if notebooks:
            # exercise notebooks must run clean untouched; solution notebooks must also print what they saved
            paths += ["notebooks", "solutions", "--nbval", "--nbval-current-env", "--nbval-cell-timeout=300",
                      "--nbval-sanitize-with", "tests/nbval-sanitize.cfg"]
        return [self.python, "-m", "pytest", *spread, *paths]

    def test(self, *, jobs="auto", unit=True, notebooks=True):
        self.install()
        # the thirty-odd kernels the tests start need no debugger: see tests/kernel_without_debugger/debugpy
        path = os.pathsep.join([str(self.root / NO_DEBUGGER), *filter(None, [os.environ.get("PYTHONPATH")])])
        command = self.test_command(jobs=jobs, unit=unit, notebooks=notebooks)
        return 1 if self.run(command, env={"PYTHONPATH": path}) != 0 else 0

    def test_browser(self):
        chromium = find_chromium()
        in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
        if chromium is None:
            self.say("Chromium is not installed, so the browser test cannot run. Install it — on Debian or "
                     "Ubuntu: sudo apt-get install chromium — then run make test-browser again.")
            if in_ci:
                self.say("In CI the browser test must run: failing.")
                return 1
            return 0
        self.install_browser()
        return self.run([self.python, "-m", "pytest", "tests/browser", "-v", "-rs"])

    def bench(self, *args):
        self.install()
        return self.run([self.python, "bench/bench.py", *args])

    def exercises(self, *, execute=False):
        self.install()
        return self.run([self.python, "-m", "tools.exercises", *(["--execute"] if execute else [])])

    def clean(self):
        for name in (self.venv, self.root / ".pytest_cache", self.root / ".hypothesis"):
            shutil.rmtree(name, ignore_errors=True)
        for cache in self.root.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        return 0


def find_chromium():
    """Return the path of a Chromium (or Chrome) on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(command, **options):
    try:
        return subprocess.call(command, **options)
    except FileNotFoundError as error:
        raise LauncherError(f"could not run {error.filename or command[0]}: it is not there") from None
    except OSError as error:
        raise LauncherError(f"could not run {command[0]}: {error.strerror or error}") from None


# ---------------------------------------------------------------------------- command line
COMMANDS = {
    "lab": "open your workspace my-work/ in JupyterLab (--port N, --no-browser)",
    "progress": "run your lessons and list every exercise: ✓ / ✗ / … (--timeout seconds per lesson)",
    "reset": "back up your copy of a lesson to my-work/backups/, then start it afresh (reset N)",
    "workspace": "create my-work/ from notebooks/, or copy in new lessons (never overwrites yours)",
    "install": "create .venv and install the pinned packages (every other command does this first)",
    "test": "run the unit tests and every notebook (nbval), on every core (--jobs N)",
    "test-unit": "only the unit tests",
    "test-notebooks": "only the notebooks",
    "test-browser": "run lesson 1 in JupyterLab in headless Chromium (needs Chromium)",
    "solutions": "re-run every solution notebook, save its outputs, regenerate notebooks/",
    "exercises": "regenerate notebooks/ from solutions/",
    "lock": "write requirements.lock from requirements.txt (after changing it; commit both)",
    "bench": "measure how fast the course feels (figures with their targets)",
    "clean": "remove .venv and caches",
}


def parser():
    parse = argparse.ArgumentParser(prog="course.py", description=__doc__.splitlines()[0],
                                    formatter_class=argparse.RawDescriptionHelpFormatter,
                                    epilog="\n".join(f"  {name:<15} {text}" for name, text in COMMANDS.items()))
    parse.add_argument("--installer", choices=INSTALLERS, default="auto",
                       help="how to install packages (default: uv, or pip when uv cannot be had)")
    commands = parse.add_subparsers(dest="command", metavar="command")
    commands.add_parser("help", help="list every command")
    for name, text in COMMANDS.items():
        command = commands.add_parser(name, help=text, description=text)
        if name == "lab":
            command.add_argument("--port", type=int, default=8888)
            command.add_argument("--no-browser", action="store_true", help="do not try to open a browser")
        elif name == "progress":
            command.add_argument("--timeout", help="seconds allowed per lesson (default 120)")
        elif name == "reset":
            command.add_argument("lesson", nargs="?", default="", help="the lesson number, for example 1")
        elif name.startswith("test") and name != "test-browser":
            command.add_argument("--jobs", "-n", default=os.environ.get("JOBS") or "auto",
                                 help="processes that share the tests (default: one per core; 1: no helpers)")
        elif name == "bench":
            command.add_argument("args", nargs=argparse.REMAINDER, help="passed to bench/bench.py")
    return parse


def main(argv=None, *, root=ROOT):
    """Run one command in the course folder ``root``; return its exit status."""
    parse = parser()
    args = parse.parse_args(argv)
    if args.command in (None, "help"):
        parse.print_help()
        return 0
    course = Course(root, installer=args.installer)
    try:
        if args.command == "lab":
            return course.lab(port=args.port, browser=not args.no_browser)
        if args.command == "progress":
            return course.progress(timeout=args.timeout)
        if args.command == "reset":
            return course.reset(args.lesson)
        if args.command == "workspace":
            return course.workspace()
        if args.command == "install":
            course.install()
            return 0
        if args.command in ("test", "test-unit", "test-notebooks"):
            return course.test(jobs=args.jobs, unit=args.command != "test-notebooks",
                               notebooks=args.command != "test-unit")
        if args.command == "test-browser":
            return course.test_browser()
        if args.command in ("solutions", "exercises"):
            return course.exercises(execute=args.command == "solutions")
        if args.command == "lock":
            return course.lock()
        if args.command == "bench":
            return course.bench(*args.args)
        return course.clean()
    except LauncherError as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:                             # a full disk, a read-only folder, ...
        where = f" {error.filename}" if error.filename else ""
        print(f"{args.command}: could not use{where}: {error.strerror or error}; fix that, then run this again",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{args.command}: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
