"""The course in a real browser: JupyterLab, headless Chromium, lesson 1 run from top to bottom.

Run with ``make test-browser`` (not part of ``make test``).  It starts its own
JupyterLab on a free localhost port, on a copy of the lesson in a temporary
folder (so nothing in the repository is changed), drives Chromium with
Playwright, and stops every process it started.  Screenshots are saved in
``browser-screenshots/``.
"""
import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason):
    """Skip with ``reason``; in CI (CI=true), where .ci/run installs what is needed, fail instead."""
    if IN_CI:
        pytest.fail(f"{reason} (in CI the browser test must run)", pytrace=False)
    pytest.skip(reason)


try:
    import playwright.sync_api as playwright
except ImportError:
    playwright = None

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "browser-screenshots"
LESSON = "01_derivatives.ipynb"
GREEN, RED = "#1a7f37", "#c62828"                                # helpers.draw.PALETTES["default"]


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    missing("no Chromium found: install it (on Debian or Ubuntu: sudo apt-get install chromium), "
            "then run make test-browser again")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_lab(folder, lessons):
    """Start JupyterLab on copies of the solution ``lessons`` in ``folder``; yield (base url, token, folder); stop it."""
    for name in lessons:
        shutil.copy(ROOT / "solutions" / name, folder / name)
    settings = folder / ".settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = free_port(), secrets.token_hex(16)
    log = open(folder / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={folder}", f"--LabApp.user_settings_dir={folder / '.settings'}",
         f"--LabApp.workspaces_dir={folder / '.workspaces'}", *(["--allow-root"] if os.getuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (folder / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token, folder
    finally:
        stop(server)
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of lesson 1."""
    with running_lab(tmp_path_factory.mktemp("lab"), [LESSON]) as started:
        yield started


def stop(process):
    """Stop a process and everything it started (its session)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if playwright is None:
        missing("Playwright is not installed: make test-browser installs it")
    with playwright.sync_playwright() as p:
        chrome = p.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            yield chrome
        finally:
            chrome.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))
    page.on("console", lambda msg: msg.type == "error" and page.errors.append(f"console: {msg.text}"))
    yield page
    context.close()


def open_and_run_all(page, lab, name):
    base, token, _ = lab
    workspace = re.sub(r"[^a-z0-9]+", "-", name.lower())            # one notebook per page, nothing restored
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # Run All before the kernel is connected silently runs nothing: wait for "… | Idle"
    page.get_by_text(re.compile(r"\(ipykernel\) \| Idle$")).wait_for(timeout=90_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    SHOTS.mkdir(exist_ok=True)
    try:                                      # every code cell has an execution number when the run is over
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", polling=500, timeout=180_000)
    except playwright.TimeoutError:
        page.screenshot(path=str(SHOTS / f"timeout-{name}.png"))
        prompts = page.evaluate("() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]"
                                ".map(p => p.textContent)")
        pytest.fail(f"Run All did not finish in {name}; prompts: {prompts}")
    page.wait_for_timeout(1500)                                   # let widgets finish rendering


def svg_text(element):
    """Return the SVG source shown by an output element: an inline <svg> or an <img> with a data URL."""
    if element.evaluate("e => e.tagName.toLowerCase()") == "img":
        assert element.evaluate("e => e.complete && e.naturalWidth > 0"), "the graph image did not load"
        src = element.get_attribute("src")
        payload = src.split(",", 1)[1]
        return base64.b64decode(payload).decode() if ";base64" in src else urllib.request.unquote(payload)
    return element.evaluate("e => e.outerHTML")


def fills(svg):
    return {t.get("fill") for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}


def graph_colours(page):
    """Return the text fills of every rendered computation graph, or fail when there is none."""
    graphs = page.locator(".jp-RenderedSVG > img, .jp-RenderedSVG > svg")
    assert graphs.count() > 0, "no SVG graph was rendered"
    found = set()
    for graph in graphs.all():
        graph.scroll_into_view_if_needed()
        found |= fills(svg_text(graph))
    return found


def number(text):
    return float(text.replace("−", "-").replace("+", ""))


def test_lesson_1_runs_and_shows_graphs_and_a_working_slider(page, lab):
    SHOTS.mkdir(exist_ok=True)
    open_and_run_all(page, lab, LESSON)
    page.screenshot(path=str(SHOTS / "01_after_run_all.png"), full_page=False)

    assert not page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] "
                            ":text('Traceback')").count()
    colours = graph_colours(page)
    assert GREEN in colours, f"no green value labels in any graph (fills: {colours})"
    assert RED in colours, f"no red gradient labels in any graph (fills: {colours})"
    page.locator(".jp-RenderedSVG").first.screenshot(path=str(SHOTS / "02_graph.png"))

    slider = page.locator(".jupyter-widgets.widget-slider").first
    slider.scroll_into_view_if_needed()
    assert slider.is_visible(), "no ipywidgets slider is displayed"
    readout = slider.locator(".widget-readout")
    before = number(readout.inner_text())
    handle = slider.locator(".noUi-handle")
    handle.focus()
    for _ in range(5):
        handle.press("ArrowRight")
    page.wait_for_timeout(1000)
    after = number(readout.inner_text())
    assert after > before, "the slider did not move"

    # the table next to the slider must show the kernel's numbers for the value the slider shows
    table = slider.locator("xpath=..").locator(".widget-html-content table").first
    cells = [[c.inner_text().strip() for c in row.locator("td").all()] for row in table.locator("tr").all()]
    row = next(r for r in cells if r and r[0].startswith("x only"))
    h, exact, linear = number(row[1]), number(row[2]), number(row[3])
    x0, y0 = 4.0, -3.0
    assert h == pytest.approx(after - x0, abs=1e-9), "the table's h is not the slider's value minus x0"
    assert exact == pytest.approx((x0 + h) * y0, abs=1e-3), "the table's f after the nudge is not (x0 + h)·y0"
    assert linear == pytest.approx(x0 * y0 + h * y0, abs=1e-3), "the table's prediction is not f + h·∂f/∂x"
    table.screenshot(path=str(SHOTS / "03_slider_moved.png"))

    assert not page.errors, "JavaScript errors:\n" + "\n".join(page.errors)


def broken_copy(lab, name, change):
    """Write a copy of the lesson with every code cell passed through ``change`` and no outputs."""
    folder = lab[2]
    notebook = nbformat.read(folder / LESSON, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source, cell.outputs, cell.execution_count = change(cell.source), [], None
    nbformat.write(notebook, folder / name)
    return name


@pytest.mark.parametrize("what, change, failure", [
    ("no graph", lambda s: re.sub(r"^draw\((\w+)\)$", r"print(\1)", s, flags=re.M), "no SVG graph"),
    # every nudge(...) call becomes a call that shows nothing (and, like nudge, accepts any options)
    ("no widget", lambda s: re.sub(r"^nudge\(", "(lambda *args, **options: None)(", s, flags=re.M),
     "no ipywidgets slider"),
])
def test_the_checks_fail_when_the_graph_or_widget_is_missing(page, lab, what, change, failure):
    name = broken_copy(lab, f"broken-{what.replace(' ', '-')}.ipynb", change)
    open_and_run_all(page, lab, name)
    with pytest.raises(AssertionError, match=failure):
        if what == "no graph":
            graph_colours(page)
        else:
            slider = page.locator(".jupyter-widgets.widget-slider")
            assert slider.count() > 0 and slider.first.is_visible(), "no ipywidgets slider is displayed"
