"""Build the DOT text of a drawing: a circuit for numbers, tables for arrays, a summary for big graphs.

- **circuit** (every value a single number): inputs on the left, gates as
  circles, each wire labelled with its value in green and, below it, its
  gradient ``∇ …`` in red — the CS231n pictures;
- **tables** (some value is an array): each value is one box holding its
  name, the gate that made it, its shape, and the corner of the array with
  rows and columns kept — values in green, gradients in red on rows marked
  ``∇``, all at the same size;
- **summary** (more than :data:`SUMMARY_ABOVE` nodes): the gates counted by
  depth, a handful of boxes, and where to see every node.

All text is escaped here: XML-special characters and control characters in
names can never break the SVG.
"""
import re
from collections import Counter

from helpers.engine import broadcast_axes
from helpers.ops import label as op_label
from helpers.style import axes_text, clean, describe, format_number, preview

__all__ = ["Picture", "dot_source", "SUMMARY_ABOVE", "FONT", "NOTE_FONT"]

SUMMARY_ABOVE = 300                          # nodes; a bigger graph is drawn as a summary
FONT, NOTE_FONT = 12, 11                     # points: values, gradients, names; grey notes
GRAD_MARK, FIRST_WRONG = "∇", "⚠ first wrong"
HIGHLIGHT_WORD = "now"


class Picture:
    """What a drawing shows: the nodes in order, and for each its gradient, wire shares and verdict.

    ``grad(node)`` is the gradient written for a node (None: not known or not
    shown), ``share(node, k)`` what gate ``node`` sent back along its k-th
    input wire, ``verdicts`` maps a node's id to "ok", "wrong" or "first" (missing: no verdict).
    """

    def __init__(self, root, order, grad, share, verdicts, *, highlight, colours):
        self.root, self.order = root, order
        self.ids = {id(node): f"n{i}" for i, node in enumerate(order)}
        self.uses = Counter(id(parent) for node in order for parent in node.inputs)     # wires out of each node
        self.grad, self.share, self.verdicts = grad, share, verdicts
        self.highlight, self.colours = highlight, colours
        self.full = False                        # True: every node drawn, however many
        self.layers = []                         # collapsed layers: tuples of gates drawn as one box

    def style(self):
        """Return "circuit", "tables" or "summary": how this graph is drawn."""
        if len(self.order) > SUMMARY_ABOVE and not self.full:
            return "summary"
        return "circuit" if all(node.data.ndim == 0 for node in self.order) else "tables"

    def mark(self, node):
        return {"": "", "ok": " ✓", "wrong": " ✗", "first": f" {FIRST_WRONG}"}[self.verdicts.get(id(node), "")]


def dot_source(picture, rankdir="LR", same_rank=None):
    """Return the DOT text of ``picture``, laid out left to right ("LR") or top to bottom ("TB").

    ``same_rank`` is an (input, gate) pair from :func:`rank_variants` to put side by side.
    """
    style = picture.style()
    lines = _header(picture, rankdir, style)
    body = {"circuit": _circuit, "tables": _tables, "summary": _summary}[style](picture, rankdir)
    if same_rank:
        body.append("{rank=same; " + "; ".join(picture.ids[id(node)] for node in same_rank) + "}")
    return "digraph {\n" + "".join(f"\t{line}\n" for line in lines + body) + "}\n"


VARIANTS_UP_TO = 60                          # nodes; a circuit this small may be re-ranked to untangle it


def rank_variants(picture):
    """Return (input, gate) pairs: each input after the first, beside the first gate that does not need it.

    Starting an input one gate later lets another input's wire pass around
    it; the drawing tries each such ranking when the plain one has wires
    that cross, and keeps the one with the fewest crossings.
    """
    if picture.style() != "circuit" or len(picture.order) > VARIANTS_UP_TO:
        return []
    needs = {}                                   # every input each node depends on
    for node in picture.order:
        needs[id(node)] = {id(node)} if not node.inputs else set().union(*(needs[id(p)] for p in node.inputs))
    variants = []
    for leaf in [node for node in picture.order if not node.inputs][1:]:          # each input after the first
        gate = next((node for node in picture.order if node.inputs and id(leaf) not in needs[id(node)]), None)
        if gate is not None:
            variants.append((leaf, gate))
    return variants


# ---------------------------------------------------------------- text pieces
# The WebAssembly Graphviz has no HTML-like labels, so labels are plain text and each line that
# needs a colour starts with a mark; colour_svg() colours those lines and removes the invisible marks.
VALUE, GRAD, NOTE = "\u2062", "\u2063", "\u2064"             # invisible: value, gradient, grey note


def _attrs(**attrs):
    """Return DOT attributes, each value quoted (labels are escaped by _label or _record already)."""
    return "[" + " ".join(f'{key}="{value}"' for key, value in attrs.items()) + "]"


def _label(*lines):
    """Return a DOT label of the given lines (None and "" left out), each centred, escaped."""
    return "\\n".join(clean(line).replace("\\", "\\\\").replace('"', '\\"') for line in lines if line)


def _record(text):
    """Return text safe inside one field of a record label."""
    return "".join("\\" + c if c in "{}|<>" else c for c in _label(text))


def _header(picture, rankdir, style):
    graph = {"rankdir": rankdir, "nodesep": "0.3" if style == "tables" else "0.5",
             "ranksep": "0.35" if style == "tables" else "0.5", "fontname": "Helvetica", "fontsize": FONT,
             "bgcolor": "white"}
    if style == "summary":
        graph.update(label=_label(summary_title(picture)), labelloc="t")
    return [f"graph {_attrs(**graph)}",
            f"node {_attrs(fontname='Helvetica', fontsize=FONT)}",
            f"edge {_attrs(fontname='Helvetica', fontsize=FONT, arrowsize='0.6', fontcolor=picture.colours['value'])}"]


def _wire(value, grad=None, name=None, note=None):
    """Return the label of a wire: value (green), ∇ gradient (red, below), a grey note."""
    return _label((f"{name} = " if name else "") + format_number(value),
                  f"{GRAD_MARK} {format_number(grad)}" if grad is not None else None,
                  NOTE + note if note else None)


def _broadcast_note(parent, node, with_grad):
    if parent.shape == node.shape or node.op not in ("add", "mul", "maximum"):
        return None
    where = axes_text(broadcast_axes(parent.shape, node.shape))
    return f"broadcast along {where}" + ("; ∇ summed" if with_grad else "")


def _first_wrong(picture, node, **changes):
    """Return the attributes that mark the first wrong gradient: dashed, in its own colour ({} for others)."""
    if picture.verdicts.get(id(node)) != "first":
        return {}
    colour = picture.colours["wrong"]
    return {"color": colour, "fontcolor": colour, "penwidth": "2.5", "style": "dashed", **changes}


def _bold(picture, node):
    """Return the attributes of a wire into ``node``: bold, in the highlight colour, if it is the gate run now."""
    return {"color": picture.colours["highlight"], "penwidth": "2.5"} if node is picture.highlight else {}


def colour_svg(svg, colours):
    """Colour each marked line of an SVG: ∇ lines red, value cells green, notes grey and smaller."""
    def paint(match):
        attrs, mark = match.group(1), match.group(2)
        colour = {VALUE: colours["value"], NOTE: colours["note"]}.get(mark, colours["grad"])
        attrs = re.sub(r'\sfill="[^"]*"', "", attrs) + f' fill="{colour}"'
        if mark == NOTE:
            attrs = re.sub(r'font-size="[^"]*"', f'font-size="{NOTE_FONT:.2f}"', attrs)
        return f"<text{attrs}>" + ("" if mark in (VALUE, GRAD, NOTE) else mark)
    return re.sub(f"<text([^>]*)>([{VALUE}{GRAD}{NOTE}]|{GRAD_MARK})", paint, svg)


# ---------------------------------------------------------------- circuit: numbers on wires

def _circuit(picture, rankdir):
    """Return DOT lines for a graph of single numbers (the same in either direction): gates, wires, forks."""
    lines = []
    for node in picture.order:
        lines.append(_circuit_node(picture, node))
        lines += [_circuit_wire(picture, node, k, parent) for k, parent in enumerate(node.inputs)]
        if picture.uses[id(node)] > 1:                   # one wire to a fork dot, a branch per use
            nid = picture.ids[id(node)]
            label = _wire(node.data, picture.grad(node), node.name if node.inputs else None,
                          "fork: the branches' ∇ add up")
            lines.append(f"{nid}_fork {_attrs(label='', shape='point', width='0.08')}")
            lines.append(f"{nid} -> {nid}_fork {_attrs(label=label, arrowhead='none')}")
    root, out = picture.root, picture.ids[id(picture.root)]
    lines.append(f"{out}_out {_attrs(**_plain(picture, root, root.name or 'out'))}")
    lines.append(f"{out} -> {out}_out {_attrs(label=_wire(root.data, picture.grad(root)))}")
    return lines


def _circuit_node(picture, node):
    nid, colours = picture.ids[id(node)], picture.colours
    if not node.inputs:
        return f"{nid} {_attrs(**_plain(picture, node, node.name or format_number(node.data)))}"
    attrs = {"label": _label(op_label(node)), "shape": "circle", "style": "filled",
             "fillcolor": colours["gate"], "margin": "0.02"}
    if node.name and picture.uses[id(node)] == 0 and node is not picture.root:
        attrs["xlabel"] = _label(node.name)
    attrs.update(_first_wrong(picture, node, style="filled,dashed",
                              xlabel=_label((node.name or op_label(node)) + picture.mark(node))))
    if node is picture.highlight:                               # shape, words and colour, not colour alone
        attrs.update(label=_label(op_label(node), HIGHLIGHT_WORD), shape="doublecircle", penwidth="2.5",
                     fillcolor=colours["highlight_fill"], color=colours["highlight"],
                     fontcolor=colours["highlight"])
    return f"{nid} {_attrs(**attrs)}"


def _plain(picture, node, text):
    """Return the attributes of an input, or of the output's name: plain text, boxed if it is the first wrong."""
    return {"label": _label(text + picture.mark(node)), "shape": "plaintext",
            **_first_wrong(picture, node, shape="box")}


def _circuit_wire(picture, node, k, parent):
    shared = picture.uses[id(parent)] > 1
    source = f"{picture.ids[id(parent)]}_fork" if shared else picture.ids[id(parent)]
    grad = picture.share(node, k)
    if grad is None and not shared:
        grad = picture.grad(parent)
    name = parent.name if parent.inputs and not shared else None
    attrs = {"label": _wire(parent.data, grad, name), **_bold(picture, node)}
    return f"{source} -> {picture.ids[id(node)]} {_attrs(**attrs)}"


# ---------------------------------------------------------------- tables: one box per value

def _tables(picture, rankdir):
    layer_of = {id(gate): layer for layer in picture.layers for gate in layer}
    # the box each value is drawn in: its own, or its layer's (named after the layer's last gate)
    box = {id(node): picture.ids[id(layer_of.get(id(node), (node,))[-1])] for node in picture.order}
    lines = []
    for node in picture.order:
        layer = layer_of.get(id(node), ())
        if not layer:
            attrs = {"label": _value_record(picture, node, rankdir), "shape": "record", "margin": "0.04,0.02",
                     **_first_wrong(picture, node)}
            if node is picture.highlight:
                attrs.update(color=picture.colours["highlight"], penwidth="3", style="filled",
                             fillcolor=picture.colours["highlight_fill"])
            lines.append(f"{box[id(node)]} {_attrs(**attrs)}")
        elif node is layer[-1]:
            lines.append(f"{box[id(node)]} {_attrs(**_layer_box(picture, layer, rankdir))}")
        for parent in node.inputs:
            if parent in layer:
                continue
            note = _broadcast_note(parent, node, picture.grad(parent) is not None)
            attrs = {"label": _label(NOTE + note)} if note else {}
            attrs.update(_bold(picture, node))
            lines.append(f"{box[id(parent)]} -> {box[id(node)]}" + (f" {_attrs(**attrs)}" if attrs else ""))
    return lines


def _value_record(picture, node, rankdir, title=None):
    """Return the record label of one value: a header line, then columns of values above ∇ gradients.

    The grid is built column by column so that rows line up: one column of
    marks (blank beside values, ∇ beside gradients), then one per array column.
    """
    rows = [(" ", VALUE, row) for row in preview(node.data)]
    if picture.grad(node) is not None:
        rows += [(GRAD_MARK if k == 0 else " ", GRAD, row) for k, row in enumerate(preview(picture.grad(node)))]
    columns = [[_record(mark) for mark, _, _ in rows]]
    for c in range(max(len(row) for _, _, row in rows)):
        columns.append([_record(colour + row[c]) if c < len(row) and row[c] else " " for _, colour, row in rows])
    body = "{" + "|".join("{" + "|".join(column) + "}" for column in columns) + "}"
    label = _record(title or _table_title(picture, node)) + "|" + body
    return "{" + label + "}" if rankdir == "TB" else label


def _shape(node):
    """Return a node's shape as the table shows it; for more than 2 axes, say which 2-d slice is shown."""
    if node.ndim <= 2:
        return str(node.shape) if node.ndim else ""
    return f"{node.shape}, shown: [{', '.join(['0'] * (node.ndim - 2))}, :, :]"


def _table_title(picture, node):
    name = node.name or ("constant" if node.constant else "")
    words = f"{name}  {_shape(node)}".strip()
    if node.inputs:
        gate = op_label(node) + (f" ({HIGHLIGHT_WORD})" if node is picture.highlight else "")
        words = f"{gate} → {words}"
    return words + picture.mark(node)


# ---------------------------------------------------------------- layers: x @ W + b (and its activation) as one box

ACTIVATIONS = ("relu", "sigmoid", "tanh")


def find_layers(picture):
    """Return the layers of the graph: (matmul, add[, activation]) gates, each used by the next alone.

    A layer reads a parameter matrix W and a bias b, both inputs of the
    graph: ``x @ W + b``, optionally followed by its activation.
    """
    layers = []
    for node in picture.order:
        if node.op != "matmul" or node.inputs[1].inputs or picture.uses[id(node)] != 1:
            continue
        add = next(user for user in picture.order if node in user.inputs)
        bias = add.inputs[1] if add.inputs[0] is node else add.inputs[0]
        if add.op != "add" or bias.inputs or bias is node:
            continue
        layer = (node, add)
        if picture.uses[id(add)] == 1 and add is not picture.root:
            after = next(user for user in picture.order if add in user.inputs)
            if after.op in ACTIVATIONS:
                layer += (after,)
        layers.append(layer)
    return layers


def _layer_box(picture, layer, rankdir):
    """Return the attributes of a collapsed layer's box: its formula, then its output's values and ∇ rows."""
    matmul, add = layer[0], layer[1]
    x, w = matmul.inputs
    bias = add.inputs[1] if add.inputs[0] is matmul else add.inputs[0]
    formula = f"{x.name or 'in'} @ {w.name or 'W'} + {bias.name or 'b'}"
    if len(layer) == 3:
        formula = f"{op_label(layer[2])}({formula})"
    out = layer[-1]
    title = (f"layer {picture.layers.index(layer) + 1}: {formula} → {(out.name + '  ') if out.name else ''}"
             f"{_shape(out)}{picture.mark(out)}")
    return {"label": _value_record(picture, out, rankdir, title=title), "shape": "record",
            "style": "rounded,filled", "fillcolor": "#f7f7f7", "penwidth": "1.5"}


# ---------------------------------------------------------------- summary: a big graph in a few boxes

SUMMARY_BANDS = 8


def _bands(picture):
    """Return [(first depth, last depth, gates)]: the gates grouped by depth into a few bands."""
    depth = {}
    for node in picture.order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.inputs), default=-1)
    deepest = max(depth.values())
    per_band = max(1, -(-deepest // SUMMARY_BANDS))
    bands = {}
    for node in picture.order:
        if node.inputs:
            bands.setdefault((depth[id(node)] - 1) // per_band, []).append(node)
    return [(band * per_band + 1, min((band + 1) * per_band, deepest), nodes) for band, nodes in sorted(bands.items())]


def _summary(picture, rankdir):
    """Return DOT lines for a big graph (the same in either direction): inputs, gates in bands by depth, output."""
    inputs = [node for node in picture.order if not node.inputs]
    constants = sum(node.constant for node in inputs)
    label = _label(f"{len(inputs):,} inputs", f"({constants:,} of them constants)")
    lines = [f"inputs {_attrs(shape='box', style='rounded', label=label)}"]
    previous = "inputs"
    for k, (first, last, nodes) in enumerate(_bands(picture)):
        counts = Counter(op_label(node) for node in nodes)
        what = ", ".join(f"{n:,} × {op}" for op, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        where = f"depth {first}" if first == last else f"depths {first}–{last}"
        label = _label(f"{len(nodes):,} gates at {where}", what)
        lines.append(f"band{k} {_attrs(shape='box', style='filled', fillcolor=picture.colours['gate'], label=label)}")
        lines.append(f"{previous} -> band{k}")
        previous = f"band{k}"
    root = picture.root
    name = root.name or "out"
    out = _wire(root.data, picture.grad(root), name) if root.ndim == 0 else _label(f"{name}  {root.shape}")
    lines.append(f"out {_attrs(shape='plaintext', label=out)}")
    lines.append(f"{previous} -> out")
    return lines


def summary_title(picture):
    """Return the title of a summary: how many nodes, and how to see every one."""
    return (f"{len(picture.order):,} nodes, too many to read one by one: a summary by depth.\n"
            "Every node: print(drawing.table) or drawing.save('graph.txt'); "
            "all drawn: draw(f, full=True).save('graph.svg')")


# ---------------------------------------------------------------- the text table

def table(picture):
    """Return the plain-text table of every node: id, name, gate, inputs, value, gradient."""
    rows = [("id", "node", "gate", "inputs", "value", "gradient")]
    for node in picture.order:
        grad = picture.grad(node)
        gate = op_label(node) if node.inputs else "input"
        gate += " ◀ this step" if node is picture.highlight else ""
        rows.append((picture.ids[id(node)], clean(node.name or "·"), gate,
                     ", ".join(picture.ids[id(p)] for p in node.inputs), describe(node.data),
                     "" if grad is None else f"{GRAD_MARK} {describe(grad)}{picture.mark(node)}"))
    widths = [max(len(cell) for cell in column) for column in zip(*rows)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)

