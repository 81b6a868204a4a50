"""Draw a computation graph: values in green, gradients in red, readable in a lesson's column.

A graph of single numbers is drawn as a circuit: inputs on the left, gates as
small circles labelled with their op, each wire carrying its forward value
and, once ``backward()`` has run, its gradient written ``∇ −4.00`` below it.
Where a value feeds several gates, the wire splits at a dot (•): the wire
before the dot carries the *total* gradient, each branch its own share —
gradients add up at forks.  A graph with arrays draws each value as one box:
name, shape, and the corner of the array with rows and columns kept, values
in green and ``∇`` gradient rows in red.  A graph of more than a few hundred
nodes is drawn as a summary.  Colour is never the only signal.

Every number is written with three significant figures (see
:func:`helpers.style.format_number`), the same as the stepper's sentences and
the text table.  A drawing whose text would shrink below 11 px in a 900 px
column is turned top to bottom when that is narrower; wires that cross in a
small circuit are untangled by starting an input one gate later; a network's
layers are drawn one box each; and a picture that still cannot keep its
text at 9 px is marked so JupyterLab scrolls it instead of shrinking it.

>>> from helpers.engine import Value
>>> x = Value(3.0, name="x")
>>> print(draw(x * x).source.splitlines()[0])
digraph {
"""
import os
from collections import Counter
from pathlib import Path

import numpy as np

from helpers.compare import numbers_or_none, same_numbers
from helpers.crossings import crossings
from helpers.engine import Value
from helpers.layout import FONT, NOTE_FONT, Picture, colour_svg, dot_source, find_layers, rank_variants, summary_title
from helpers.layout import table as table_text
from helpers.render import render_svg, renderer_name, renderer_reason, svg_width
from helpers.style import PALETTES, format_number, set_palette
from helpers.style import colours as palette_colours

__all__ = ["draw", "Drawing", "set_palette", "PALETTES", "renderer_name", "format_number", "COLUMN"]

COLUMN = 900                                 # px: a JupyterLab lesson column
SMALLEST = 9                                 # px: the smallest text a learner should have to read
COMFORTABLE = 11                             # px: below this, a graph is turned top to bottom if that is narrower
TEXT_PX = min(FONT, NOTE_FONT) * 4 / 3       # px: a drawing's smallest text at its own size (1 pt = 4/3 px)


class Drawing:
    """A drawn graph, made by :func:`draw`: shows itself as SVG in Jupyter and can be saved to a file.

    ``picture`` is what it shows (:class:`helpers.layout.Picture`); ``source``
    is its DOT text laid out left to right (the same for the same graph on
    every run), ``table`` a plain-text version of the same facts.  ``svg()``
    picks the layout, left to right or top to bottom, that shows the text
    larger in a 900 px column.
    """

    def __init__(self, picture):
        self.picture = picture
        self.table = table_text(picture)
        self.summary = None                      # the text shown instead of a huge table, if any
        if picture.style() == "summary":
            self.summary = summary_title(picture) + "\n" + "\n".join(self.table.splitlines()[:6]) + "\n…"
        self.source = dot_source(picture, "LR")
        self._variants = (None, *rank_variants(picture))      # other rankings to try when wires cross

    def svg(self, *, renderer=None):
        """Return the drawing as SVG text, rendered with ``renderer`` (default: the best available)."""
        return colour_svg(self._best_layout(renderer or renderer_name()), self.picture.colours)

    def _best_layout(self, renderer):
        """Return the SVG of the best layout: readable in a column first, then fewest crossings.

        Left to right is kept while its text shows at 11 px or more; only
        then is top to bottom tried.  Other rankings are tried only while
        wires cross.
        """
        best = None
        for same_rank in self._variants:
            for rankdir in ("LR", "TB"):
                svg = render_svg(dot_source(self.picture, rankdir, same_rank), renderer)
                shown = TEXT_PX * min(1.0, COLUMN / max(svg_width(svg), 1.0))
                score = (shown < SMALLEST, crossings(svg) if len(self._variants) > 1 else 0, shown < COMFORTABLE,
                         svg_width(svg))
                if best is None or score < best[0]:
                    best = (score, svg)
                if shown >= COMFORTABLE:
                    break                        # left to right reads well: keep the CS231n look
            if best[0][1] == 0:
                break                            # nothing crosses
        return best[1]

    def _repr_mimebundle_(self, include=None, exclude=None):
        renderer = renderer_name()
        text = self.summary or self.table
        if renderer == "text":
            return {"text/plain": renderer_reason() + "\n" + text}
        try:
            svg = self.svg(renderer=renderer)
        except (RuntimeError, OSError) as error:
            return {"text/plain": f"(Graphviz could not draw this graph: {error})\n{text}"}
        data = {"image/svg+xml": svg, "text/plain": text}
        # shrunk to a column, its text would be too small to read: JupyterLab shows it at its own size and scrolls
        if svg_width(svg) > COLUMN * TEXT_PX / SMALLEST:
            return data, {"image/svg+xml": {"unconfined": True}}
        return data

    def __repr__(self):
        return self.summary or self.table

    def save(self, path):
        """Write the drawing to ``path``: .svg for the picture, .dot for the source, .txt for the table."""
        ext = os.path.splitext(path)[1].lower()
        writers = {".svg": self.svg, ".dot": lambda: self.source, ".gv": lambda: self.source,
                   ".txt": lambda: self.table}
        if ext not in writers:
            raise ValueError(f"cannot save a drawing as {ext or 'a file without extension'!r}: "
                             f"use one of {', '.join(writers)}")
        Path(path).write_text(writers[ext](), encoding="utf-8")
        return os.fspath(path)


def draw(root, *, grads=None, palette=None, gradients=None, done=None, highlight=None, full=False, layers=None):
    """Return a Drawing of the graph that produced ``root``.

    Gradients are shown once ``backward()`` has run.  Pass ``grads``, a mapping
    from a node's name to *your* gradient for it, to draw your gradients
    instead: each is compared with the engine's, and the first wrong one in
    backward order is marked ``⚠ first wrong`` in its own colour.
    ``palette`` is "default" or "colorblind".

    To show a backward pass part way through: ``gradients`` takes what
    ``root.gradients()`` returns, drawn instead of the ``.grad`` fields (which
    stay untouched); ``done`` lists the gates whose backward step has run, so
    only the gradients known so far are written; ``highlight`` is one gate,
    drawn with the word "now" in it, its input wires bold.

    A network's layers (``x @ W + b``, with its activation) are each drawn
    as one box when there are two or more of them; ``layers=False`` draws
    every gate, ``layers=True`` collapses even a single layer.  A graph of
    more than a few hundred nodes is drawn as a summary; ``full=True`` draws
    every node (slow for thousands).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs the Value at the end of a computation, got {type(root).__name__}")
    order = root.topological_order()
    picture = _picture(root, order, grads=grads, palette=palette, gradients=gradients, done=done,
                       highlight=highlight)
    picture.full = bool(full)
    marked = grads is not None or done is not None or highlight is not None     # gates the layers would hide
    if picture.style() == "tables" and layers is not False and not marked:
        found = find_layers(picture)
        picture.layers = found if layers or len(found) >= 2 else []
    return Drawing(picture)


def _picture(root, order, *, grads, palette, gradients, done, highlight):
    """Check draw()'s options and return the layout.Picture they describe."""
    colours = palette_colours(palette)
    if grads is not None and not hasattr(grads, "items"):
        raise TypeError(f"grads must map names to gradients, like {{'x': -4.0}}; got {type(grads).__name__}")
    bad = next((name for name, value in (grads or {}).items() if numbers_or_none(value) is None), None)
    if bad is not None:
        raise TypeError(f"grads[{bad!r}] should be a number or an array of numbers, got {type(grads[bad]).__name__} "
                        f"{grads[bad]!r:.40}")
    ids = {id(node) for node in order}
    if gradients is not None:
        if not isinstance(gradients, dict) or not all(isinstance(key, int) for key in gradients):
            raise TypeError("gradients must be what root.gradients() returns (for your own gradients "
                            f"by name, use grads=), got {type(gradients).__name__} {gradients!r:.40}")
        if id(root) not in gradients:                               # the root always has its seed
            raise ValueError("gradients belong to another graph: pass root.gradients() of the Value you draw")
    if grads is not None and (gradients is not None or done is not None):
        raise ValueError("draw() shows either your grads= or the engine's gradients=/done=, not both")
    if done is not None:
        if isinstance(done, Value) or not hasattr(done, "__iter__"):
            raise TypeError(f"done must be a list of gates, got {type(done).__name__}")
        done = _check_gates(done, ids, "done")
    if highlight is not None:
        _check_gates([highlight], ids, "highlight")
    if grads is not None:
        return Picture(root, order, *_learner_view(root, order, grads), highlight=highlight, colours=colours)
    grad, share = _engine_view(root, order, gradients, done)              # the engine's gradients get no verdicts
    return Picture(root, order, grad, share, {}, highlight=highlight, colours=colours)


def _engine_view(root, order, gradients, done):
    """Return (grad, share) functions for the engine's gradients, only those known once ``done`` ran."""
    if gradients is None:
        if not np.any(root.grad):
            return (lambda node: None), (lambda node, k: None)
        gradients = {id(node): node.grad for node in order}
    known = known_gradients(order, gradients, done)

    def grad(node):
        return known.get(id(node)) if node.requires_grad else None     # a constant: no gradient

    def share(node, k):
        if id(node) not in gradients or (done is not None and id(node) not in done):
            return None
        return node.shares(gradients[id(node)])[k]
    return grad, share


def known_gradients(order, gradients, done=None):
    """Return {id(node): gradient} for each node whose every gate has run its backward step (all: done=None).

    ``done`` holds the ids of the gates that have run.
    """
    waiting = Counter()                                 # wires out of a node into gates not yet run back
    for node in order:
        if done is not None and id(node) not in done:
            waiting.update(id(parent) for parent in node.inputs)
    return {id(node): gradients.get(id(node), np.zeros_like(node.data)) for node in order if not waiting[id(node)]}


def _learner_view(root, order, learner):
    """Return (grad, share, verdicts) for the learner's gradients by name, checked against the engine's."""
    reference = root.gradients()
    verdicts = {}                                  # the first wrong one in backward order is "first"
    for node in reversed(order):
        if node.name in learner:
            right = same_numbers(learner[node.name], reference.get(id(node), np.zeros_like(node.data)))
            verdicts[id(node)] = "ok" if right else ("wrong" if "first" in verdicts.values() else "first")
    return (lambda node: learner.get(node.name)), (lambda node, k: None), verdicts


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
