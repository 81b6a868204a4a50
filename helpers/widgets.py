"""Widgets that make the maths tangible: hints, a nudge slider, a backward-pass stepper.

- :func:`hints` reveals an exercise's hints one at a time;
- :func:`nudge` moves the inputs of an expression and compares f(x + h) with
  the linear prediction f(x) + h·∂f/∂x — the derivative as sensitivity;
- :func:`stepper` walks the backward pass one gate at a time.

Every widget also has a short, fixed text version (its ``text/plain``), which
is what a notebook shows where widgets do not run (a page on GitHub, a saved
output) and what the course's notebook tests compare.

Import them explicitly; they are not part of ``from helpers import ...``
because loading ipywidgets takes a moment::

    from helpers.widgets import hints, nudge, stepper
"""
import html
import math
import re
from numbers import Real

import ipywidgets as widgets
import numpy as np

from helpers.draw import describe, draw
from helpers.engine import Value
from helpers.ops import name as gate_name

__all__ = ["hints", "nudge", "stepper", "Hints", "Nudge", "Stepper", "step_sentences", "backward_gates"]


def _short(obj, limit=40):
    text = repr(obj)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _inline_html(text):
    """Return text as HTML: escaped, with `code` in backticks shown as code."""
    escaped = html.escape(text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace("\n", "<br>")


class _StaticText:
    """Mixin: show ``self.text()`` as the widget's plain-text output.

    ipywidgets 8 builds a widget's output in ``_repr_mimebundle_``: the
    widget-view part (a model id, which nbval ignores) plus ``text/plain``
    made from ``repr(widget)`` — a list of every trait, which changes from run
    to run.  We keep the widget view and replace the plain text with a short,
    fixed description.
    """

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.text()
        return data

    def __repr__(self):
        return self.text()


# ---------------------------------------------------------------- hints

class Hints(_StaticText, widgets.VBox):
    """A button that reveals the next hint each time it is clicked; made by :func:`hints`."""

    def __init__(self, texts):
        self.texts = tuple(texts)
        self.revealed = 0
        self.button = widgets.Button(description=self._label(), icon="lightbulb-o",
                                     tooltip="Reveal the next hint",
                                     layout=widgets.Layout(width="auto"))
        self.button.on_click(lambda _button: self.reveal())
        self.shown = widgets.VBox([])
        super().__init__([self.button, self.shown])

    def _label(self):
        n = len(self.texts)
        if self.revealed >= n:
            return f"All {n} hints shown" if n > 1 else "The hint is shown"
        return f"Show a hint ({self.revealed + 1} of {n})"

    def reveal(self):
        """Show the next hint; return its text (None when every hint is already shown)."""
        if self.revealed >= len(self.texts):
            return None
        text = self.texts[self.revealed]
        self.revealed += 1
        prefix = f"<b>Hint {self.revealed} of {len(self.texts)}:</b> "
        self.shown.children = self.shown.children + (widgets.HTML(prefix + _inline_html(text)),)
        self.button.description = self._label()
        self.button.disabled = self.revealed >= len(self.texts)
        return text

    def text(self):
        """Return the plain-text version: how many hints there are (none of them revealed)."""
        n = len(self.texts)
        return (f"Hints for this exercise: {n} "
                f"(run the notebook to reveal {'them one at a time' if n > 1 else 'it'})")


def hints(*texts):
    """Return a widget that reveals ``texts`` one at a time, each click showing the next.

    Put it in its own cell right after the exercise.  Text in `backticks` is
    shown as code.

    >>> h = hints("Which input does the gradient of x use?", "Multiply swaps.")
    >>> print(h.text())
    Hints for this exercise: 2 (run the notebook to reveal them one at a time)
    >>> h.button.click(); h.button.description
    'Show a hint (2 of 2)'
    """
    if len(texts) == 1 and isinstance(texts[0], (list, tuple)):
        raise TypeError(f"hints() takes each hint as its own argument, got one {type(texts[0]).__name__}; "
                        "write hints('first hint', 'second hint') (or hints(*my_list))")
    if not texts:
        raise ValueError("hints() needs at least one hint, like hints('first hint', 'second hint')")
    for k, text in enumerate(texts, 1):
        if not isinstance(text, str):
            raise TypeError(f"hint {k} must be a string, got {type(text).__name__} {_short(text)}")
        if not text.strip():
            raise ValueError(f"hint {k} is empty; every hint needs some text")
    return Hints(text.strip() for text in texts)


# ---------------------------------------------------------------- nudge

MAX_DECIMALS = 6


def _number(x, decimals=4, *, sign=False):
    """Return x with a fixed number of decimals and a true minus sign (never "−0.0000")."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    text = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    if set(text) <= set("+-0."):
        text = text.replace("-", "+" if sign else "")           # no "−0.00"
    return text.replace("-", "−")


def _decimals(x):
    """Return the fewest decimals (at most MAX_DECIMALS) that write x exactly, or None."""
    for d in range(MAX_DECIMALS + 1):
        if round(x, d) == x:
            return d
    return None


def _plain_number(x, what):
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__} {_short(x)}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {x}")
    return x


def _evaluate(build, values):
    """Return (f, {name: ∂f/∂name}) of build(**values), from fresh Values (nothing else is touched)."""
    inputs = {name: Value(value, name=name) for name, value in values.items()}
    call = f"build({', '.join(f'{name}=Value(…)' for name in inputs)})"
    try:
        out = build(**inputs)
    except TypeError as error:
        raise TypeError(f"{call} failed: {error}. build must accept the names in point as keyword "
                        "arguments and combine its Value inputs with gates (+, *, .exp(), …)") from None
    if not isinstance(out, Value):
        raise TypeError(f"{call} returned {type(out).__name__} {_short(out)}; build must return the output "
                        "Value, computed from its Value inputs with gates (+, *, .exp(), …)")
    if out.data.size != 1:
        raise ValueError(f"{call} returned a Value of shape {out.shape}; nudge needs one number as output")
    grads = out.gradients()
    return out.item(), {name: float(grads[id(v)].item()) if id(v) in grads else 0.0
                        for name, v in inputs.items()}


class Nudge(_StaticText, widgets.VBox):
    """Sliders that nudge each input, and a table comparing f after the nudge with its linear prediction.

    Made by :func:`nudge`.  ``sliders`` maps each input's name to its slider;
    :meth:`rows` returns the numbers the table shows.
    """

    def __init__(self, build, point, *, h, step, span, graph, name):
        self.build, self.name, self.step, self.h = build, name, step, h
        self.start = dict(point)
        self.decimals = {}
        for key, x0 in self.start.items():
            places = [_decimals(x0), _decimals(step), _decimals(h), _decimals(span)]
            if places[0] is None:
                raise ValueError(f"point[{key!r}] = {x0!r} has more than {MAX_DECIMALS} decimals; "
                                 "round it so a slider can show it exactly")
            self.decimals[key] = max(places)
        self.f0, self.d0 = _evaluate(build, self.start)
        self.sliders = {}
        for key, x0 in self.start.items():
            d = self.decimals[key]
            self.sliders[key] = widgets.FloatSlider(
                value=round(x0 + h, d), min=round(x0 - span, d), max=round(x0 + span, d), step=step,
                description=key, readout_format=f".{d}f", continuous_update=not graph,
                layout=widgets.Layout(width="min(32em, 100%)"))
            self.sliders[key].observe(lambda _change, key=key: self._moved(key), names="value")
        self.reset_button = widgets.Button(description=f"Back to h = {_number(h, max(self.decimals.values()))}",
                                           tooltip="Put every slider back at its starting nudge",
                                           layout=widgets.Layout(width="auto"))
        self.reset_button.on_click(lambda _button: self.reset())
        self.table_html = widgets.HTML()
        self.graph = widgets.HTML() if graph else None
        parts = [*self.sliders.values(), self.reset_button, self.table_html]
        super().__init__(parts + ([self.graph] if graph else []))
        self.update()

    def _snap(self, key, value):
        """Return value on the slider's grid (min + k·step), rounded to the decimals the slider shows."""
        slider = self.sliders[key]
        steps = round((float(value) - slider.min) / self.step)
        return round(min(max(slider.min + steps * self.step, slider.min), slider.max), self.decimals[key])

    def _moved(self, key):
        slider = self.sliders[key]
        snapped = self._snap(key, slider.value)
        if slider.value != snapped:
            slider.value = snapped                                 # observed again: updates then
            return
        self.update()

    def values(self):
        """Return {name: the input value in use}: each slider's value on its grid, as its readout shows it."""
        return {key: self._snap(key, slider.value) for key, slider in self.sliders.items()}

    def nudges(self):
        """Return {name: h}, each input's distance from its starting point, as the table shows it."""
        return {key: round(value - self.start[key], self.decimals[key]) for key, value in self.values().items()}

    def rows(self):
        """Return the table as a list of dicts: label, h, exact f after the nudge, linear prediction, gap.

        One row per input (that input nudged alone), then one for all inputs
        nudged together (when there are several).
        """
        values, nudges = self.values(), self.nudges()
        rows = []
        for key in self.start:
            alone = dict(self.start, **{key: values[key]})
            exact = _evaluate(self.build, alone)[0]
            linear = self.f0 + nudges[key] * self.d0[key]
            rows.append({"label": f"{key} only", "h": {key: nudges[key]}, "exact": exact,
                         "linear": linear, "gap": exact - linear})
        if len(self.start) > 1:
            exact = _evaluate(self.build, values)[0]
            linear = self.f0 + sum(nudges[key] * self.d0[key] for key in self.start)
            rows.append({"label": "all together" if len(self.start) > 2 else " and ".join(self.start) + " together",
                         "h": dict(nudges), "exact": exact, "linear": linear, "gap": exact - linear})
        return rows

    def _h_text(self, hs):
        return ", ".join(f"{key} {_number(value, self.decimals[key], sign=True)}" if len(hs) > 1
                         else _number(value, self.decimals[key], sign=True) for key, value in hs.items())

    def _header(self):
        at = ", ".join(f"{key} = {_number(x0, self.decimals[key])}" for key, x0 in self.start.items())
        slopes = ", ".join(f"∂{self.name}/∂{key} = {_number(d)}" for key, d in self.d0.items())
        return (f"At {at}: {self.name} = {_number(self.f0)}; {slopes}.",
                f"Nudge each input by h: {self.name} after the nudge vs. the straight-line prediction "
                f"{self.name} + h·∂{self.name}/∂input.")

    def _cells(self):
        head = ("nudge", "h", f"{self.name} after nudge", "prediction", "gap")
        body = [(row["label"], self._h_text(row["h"]), _number(row["exact"]), _number(row["linear"]),
                 _number(row["gap"])) for row in self.rows()]
        return head, body

    def update(self):
        """Recompute the table (and the drawing) from the sliders' current values."""
        head, body = self._cells()
        lines = "".join(f"<p style='margin:0.2em 0'>{html.escape(line)}</p>" for line in self._header())
        cell = "<td style='padding:0 0.8em;text-align:{}'>{}</td>"
        rows = "".join("<tr>" + "".join(cell.format("left" if k == 0 else "right", html.escape(c))
                                        for k, c in enumerate(row)) + "</tr>" for row in body)
        heads = "".join(f"<th style='padding:0 0.8em'>{html.escape(c)}</th>" for c in head)
        self.table_html.value = f"{lines}<table><tr>{heads}</tr>{rows}</table>"
        if self.graph is not None:
            self.graph.value = self._svg()

    def _svg(self):
        inputs = {key: Value(value, name=key) for key, value in self.values().items()}
        out = self.build(**inputs)
        if not out.name:
            out.name = self.name
        out.backward()
        try:
            return draw(out).svg()
        except (RuntimeError, OSError) as error:
            return f"<pre>{html.escape(str(error))}</pre>"

    def reset(self):
        """Put every slider back at its starting nudge h."""
        for key, slider in self.sliders.items():
            slider.value = round(self.start[key] + self.h, self.decimals[key])

    def text(self):
        """Return the plain-text version: the header and the table for the current sliders."""
        head, body = self._cells()
        table = [head, *body]
        widths = [max(len(row[k]) for row in table) for k in range(len(head))]
        lines = ["  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
                 for row in table]
        return "\n".join([*self._header(), *lines, "(Run the notebook to move the inputs with sliders.)"])


def nudge(build, point, *, h=0.1, step=0.01, span=1.0, graph=False, name="f"):
    """Return sliders that nudge the inputs of ``build`` and compare f(x + h) with f(x) + h·∂f/∂x.

    ``build`` takes one keyword argument per name in ``point`` (each a scalar
    Value) and returns the output Value; ``point`` maps names to the starting
    numbers.  Each slider moves one input within ``span`` of its start, in
    steps of ``step``, starting at a nudge of ``h``.  The table shows, for each
    input nudged alone and for all together, the exact new value of f next to
    the straight-line prediction made with the derivatives at the start.
    ``graph=True`` also draws the circuit at the nudged point.  The numbers
    used are the slider values rounded to the decimals the slider shows.

    >>> w = nudge(lambda x, y: x * y, {"x": 4.0, "y": -3.0})
    >>> print(w.text().splitlines()[0])
    At x = 4.00, y = −3.00: f = −12.0000; ∂f/∂x = −3.0000, ∂f/∂y = 4.0000.
    """
    if not callable(build):
        raise TypeError(f"nudge() needs a function that builds the output from Value inputs, "
                        f"got {type(build).__name__} {_short(build)}; for example nudge(lambda x, y: x * y, "
                        "{'x': 4.0, 'y': -3.0})")
    if not hasattr(point, "items"):
        raise TypeError(f"point must map input names to numbers, like {{'x': 4.0, 'y': -3.0}}; "
                        f"got {type(point).__name__} {_short(point)}")
    if not point:
        raise ValueError("point is empty: give at least one input, like {'x': 4.0}")
    clean = {}
    for key, x0 in point.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise TypeError(f"point's keys must be argument names of build, like 'x'; got {_short(key)}")
        clean[key] = _plain_number(x0, f"point[{key!r}]")
    h = _plain_number(h, "h")
    step = _plain_number(step, "step")
    span = _plain_number(span, "span")
    if step <= 0 or span <= 0:
        raise ValueError(f"step and span must be positive, got step={step:g}, span={span:g}")
    for label, amount in (("h", h), ("span", span)):
        if abs(amount / step - round(amount / step)) > 1e-9:
            raise ValueError(f"{label} = {amount:g} is not a whole number of steps of {step:g}; "
                             "the slider could not show it")
    if abs(h) > span:
        raise ValueError(f"h = {h:g} lies outside the sliders' range ±{span:g}; choose |h| ≤ span")
    if _decimals(step) is None:
        raise ValueError(f"step = {step!r} has more than {MAX_DECIMALS} decimals")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {_short(name)}")
    return Nudge(build, clean, h=h, step=step, span=span, graph=bool(graph), name=name)


# ---------------------------------------------------------------- stepper

def _who(node):
    """Return how a sentence refers to a node: its name, its number, or the gate that made it."""
    if node.name:
        return node.name
    if not node.inputs:
        return f"the {'constant' if getattr(node, 'constant', False) else 'input'} {_say(node.data)}"
    return f"the {gate_name(node)} gate's output"


CONSTANT_NOTE = "nothing, as a constant needs no gradient"


def _gets(node, share, how=""):
    """Return "x gets −4.00" (with ``how`` it was computed), or that a constant gets nothing."""
    if share is None:
        return f"{_who(node)} gets {CONSTANT_NOTE}"
    return f"{_who(node)} gets {how}{_say(share)}"


def _say(x):
    """Return a number (or array preview) for a sentence: three significant figures, so sums add up."""
    return describe(x, digits=3)


def _rule(node, g, sent):
    """Return the clause saying what gate ``node`` did with upstream gradient ``g``, sending ``sent``.

    ``sent`` holds one gradient per input, None for a constant input.
    """
    n = _say
    ins = node.inputs
    scalar = node.data.ndim == 0 and all(x.data.ndim == 0 for x in ins)
    if len(ins) == 2 and ins[0] is ins[1]:
        got = f"{_who(ins[0])} gets {n(sent[0])} along its first wire and {n(sent[1])} along its second"
    else:
        got = " and ".join(_gets(x, s) for x, s in zip(ins, sent))
    op = node.op
    if op == "add":
        text = f"passes the upstream gradient {n(g)} unchanged to each input, so {got}"
        if not scalar and any(x.shape != node.shape for x in ins):
            text += " (summed over the axes an input was broadcast along)"
        return text
    if op == "mul":
        if scalar and ins[0] is not ins[1]:
            a, b = ins
            return (f"each input gets the other input times the upstream gradient {n(g)}: "
                    f"{_gets(a, sent[0], f'{n(b.data)} × {n(g)} = ')} and "
                    f"{_gets(b, sent[1], f'{n(a.data)} × {n(g)} = ')}")
        return f"each input gets the other input times the upstream gradient, element by element, so {got}"
    if op == "maximum":
        if scalar and ins[0] is not ins[1]:
            a, b = ins
            if a.data == b.data:
                return (f"its inputs tie at {n(a.data)}, so it splits the upstream gradient {n(g)} evenly: "
                        f"{got}")
            (win, to_win), (lose, to_lose) = sorted(zip(ins, sent), key=lambda pair: -float(pair[0].data))
            larger = f"the larger input {win.name}" if win.name else f"the larger one, {_who(win)}"
            routed = f"{larger} ({n(win.data)} > {n(lose.data)})"
            if to_win is None:
                routed += ", where it stops: a constant needs no gradient"
            return (f"routes the whole upstream gradient {n(g)} to {routed}; "
                    + (f"{_who(lose)} gets 0" if to_lose is not None else _gets(lose, None)))
        return f"routes each element's upstream gradient to the larger input, so {got}"
    if not scalar or len(ins) != 1:
        return f"turns the upstream gradient {n(g)} into one gradient per input by its local rule, so {got}"
    (a,), (s,) = ins, sent
    who = _who(a)
    if s is None:
        return f"{who} gets {CONSTANT_NOTE}"
    if op == "neg":
        return f"flips the sign of the upstream gradient {n(g)}, so {who} gets {n(s)}"
    if op == "pow":
        exponent = node.params["exponent"]
        p = f"{exponent:g}".replace("-", "−")                      # a true minus sign, as in the drawings
        local = exponent * a.data ** (exponent - 1)
        return (f"{who} gets the local slope {p} · {n(a.data)}^({p} − 1) = {n(local)} "
                f"times the upstream gradient {n(g)} = {n(s)}")
    if op == "exp":
        return f"{who} gets the gate's own output {n(node.data)} times the upstream gradient {n(g)} = {n(s)}"
    if op == "log":
        return f"{who} gets the upstream gradient {n(g)} divided by the input {n(a.data)} = {n(s)}"
    if op == "sigmoid":
        local = node.data * (1 - node.data)
        return (f"{who} gets σ·(1 − σ) = {n(local)} times the upstream gradient {n(g)} = {n(s)}")
    if op == "tanh":
        local = 1 - node.data ** 2
        return f"{who} gets 1 − tanh² = {n(local)} times the upstream gradient {n(g)} = {n(s)}"
    if op == "relu":
        if a.data > 0:
            return f"its input {n(a.data)} is positive, so the gate is open and {who} gets the upstream gradient {n(g)}"
        return f"its input {n(a.data)} is not positive, so the gate is closed and {who} gets 0"
    return f"turns the upstream gradient {n(g)} into {n(s)} for {who}"


def backward_gates(root, grads):
    """Return the gates that run a backward step, in the order they run (gates of constants alone run none)."""
    return [node for node in reversed(root.topological_order())
            if node.inputs and id(node) in grads and node.requires_grad]


def _times(count):
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def step_sentences(root, gradients=None):
    """Return one sentence per step of ``root``'s backward pass: the start, then each gate in backward order.

    ``gradients`` is what ``root.gradients()`` returns (computed when not
    given); no ``.grad`` is changed.

    >>> from helpers.engine import Value
    >>> x = Value(4.0, name="x"); y = Value(-3.0, name="y")
    >>> for sentence in step_sentences(x * y): print(sentence)
    Start at the output: the gradient of the output with respect to itself is 1.00.
    multiply gate: each input gets the other input times the upstream gradient 1.00: x gets −3.00 × 1.00 = −3.00 and y gets 4.00 × 1.00 = 4.00.
    """
    grads = gradients if gradients is not None else root.gradients()
    order = root.topological_order()
    gates = backward_gates(root, grads)
    sent = {id(gate): gate.shares(grads[id(gate)]) for gate in gates}
    feeds = {}                                                   # node -> how many wires leave it
    for node in order:
        for x in node.inputs:
            feeds[id(x)] = feeds.get(id(x), 0) + 1
    sentences = [f"Start at the output: the gradient of {root.name or 'the output'} with respect to itself "
                 f"is {_say(grads[id(root)])}."]
    running = {}                                                 # what has arrived at each node so far
    for gate in gates:
        rule = _rule(gate, grads[id(gate)], sent[id(gate)])
        before = dict(running)
        for x, share in zip(gate.inputs, sent[id(gate)]):
            if share is not None:
                running[id(x)] = running.get(id(x), 0) + share
        notes, seen = [], set()
        for x, share in zip(gate.inputs, sent[id(gate)]):
            if feeds[id(x)] < 2 or id(x) in seen or share is None:
                continue
            seen.add(id(x))
            arrived = sum(1 for y in gates[:gates.index(gate) + 1] for p in y.inputs if p is x)
            if arrived == feeds[id(x)]:
                sum_text = (f"{_say(before[id(x)])} + {_say(running[id(x)] - before[id(x)])} = "
                            if id(x) in before else "")
                notes.append(f"{_who(x)} is used {_times(feeds[id(x)])}, so its gradient is the sum of the "
                             f"shares: {sum_text}{_say(running[id(x)])} (gradients add up at a fork)")
            else:
                notes.append(f"{_who(x)} is used {_times(feeds[id(x)])}, so this is only part of its gradient: "
                             f"{_say(running[id(x)])} so far")
        sentences.append(f"{gate_name(gate)} gate: {rule}" + "".join(f"; {note}" for note in notes) + ".")
    return sentences


class Stepper(_StaticText, widgets.VBox):
    """Prev/Next buttons and a slider that walk a backward pass, one gate per step; made by :func:`stepper`."""

    def __init__(self, root, *, palette=None):
        self.root, self.palette = root, palette
        self.gradients = root.gradients()                          # computed aside: no .grad changes
        self.gates = backward_gates(root, self.gradients)
        # gates fed by constants alone run no backward step; their wires count as done at the end
        stepping = {id(gate) for gate in self.gates}
        self._silent = [node for node in root.topological_order() if node.inputs and id(node) not in stepping]
        self.sentences = step_sentences(root, self.gradients)
        last = len(self.gates)
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="step",
                                        layout=widgets.Layout(width="min(28em, 100%)"))
        self.prev_button = widgets.Button(description="◀ Prev", tooltip="Go back one gate",
                                          layout=widgets.Layout(width="auto"))
        self.next_button = widgets.Button(description="Next ▶", tooltip="Run the next gate's backward step",
                                          layout=widgets.Layout(width="auto"))
        self.prev_button.on_click(lambda _button: self.go(self.slider.value - 1))
        self.next_button.on_click(lambda _button: self.go(self.slider.value + 1))
        self.slider.observe(lambda _change: self.update(), names="value")
        self.sentence_html = widgets.HTML()
        self.graph = widgets.HTML()
        self._svgs = {}
        super().__init__([widgets.HBox([self.prev_button, self.next_button, self.slider]),
                          self.sentence_html, self.graph])
        self.update()

    @property
    def step(self):
        """The step shown: 0 is the start, k means the first k gates have run their backward step."""
        return self.slider.value

    def go(self, step):
        """Show ``step`` (clipped to the first and last step)."""
        self.slider.value = min(max(int(step), 0), len(self.gates))

    def done(self, step=None):
        """Return the gates whose backward step has run by ``step`` (default: the step shown)."""
        step = self.step if step is None else step
        return self.gates[:step] + (self._silent if step == len(self.gates) else [])

    def current_gate(self, step=None):
        """Return the gate that ran at ``step`` (None at the start)."""
        step = self.step if step is None else step
        return self.gates[step - 1] if step else None

    def known_gradients(self, step=None):
        """Return {id(node): gradient} for every node whose gradient is complete by ``step``."""
        done = {id(gate) for gate in self.done(step)}
        order = self.root.topological_order()
        waiting = {}                                               # wires out of a node not yet run back
        for node in order:
            for parent in node.inputs:
                waiting[id(parent)] = waiting.get(id(parent), 0) + (id(node) not in done)
        return {id(node): self.gradients.get(id(node), np.zeros_like(node.data)) for node in order
                if node is self.root or waiting.get(id(node)) == 0}

    def drawing(self, step=None):
        """Return the Drawing for ``step``: gradients known so far, the current gate highlighted."""
        step = self.step if step is None else step
        return draw(self.root, gradients=self.gradients, done=self.done(step),
                    highlight=self.current_gate(step), palette=self.palette)

    def sentence(self, step=None):
        """Return the sentence for ``step``, starting "Step k of n:"."""
        step = self.step if step is None else step
        return f"Step {step} of {len(self.gates)}: {self.sentences[step]}"

    def update(self):
        """Redraw for the step shown and enable only the buttons that lead somewhere."""
        step = self.step
        self.prev_button.disabled = step == 0
        self.next_button.disabled = step == len(self.gates)
        self.sentence_html.value = f"<p>{html.escape(self.sentence(step))}</p>"
        if step not in self._svgs:
            try:
                self._svgs[step] = self.drawing(step).svg()
            except (RuntimeError, OSError) as error:
                self._svgs[step] = f"<pre>{html.escape(str(error))}\n{html.escape(self.drawing(step).table)}</pre>"
        self.graph.value = self._svgs[step]

    def text(self):
        """Return the plain-text version: every step as a sentence."""
        return "\n".join([f"Backward pass of {self.root.name or 'the output'}, one gate at a time "
                          f"({len(self.gates)} gate{'s' if len(self.gates) != 1 else ''}):",
                          *(self.sentence(k) for k in range(len(self.sentences))),
                          "(Run the notebook to step through it with the drawing.)"])


def stepper(root, *, palette=None):
    """Return a widget that steps through ``root``'s backward pass one gate at a time.

    Each step redraws the graph with only the gradients known so far,
    highlights the gate that just ran, and says in one sentence what it did.
    The gradients are computed aside with ``root.gradients()``: the ``.grad``
    of every Value stays as it was.

    >>> from helpers.engine import Value
    >>> x = Value(-2.0, name="x"); y = Value(5.0, name="y"); z = Value(-4.0, name="z")
    >>> s = stepper((x + y) * z)
    >>> s.next_button.click(); s.next_button.click(); print(s.sentence())
    Step 2 of 2: add gate: passes the upstream gradient −4.00 unchanged to each input, so x gets −4.00 and y gets −4.00.
    """
    if not isinstance(root, Value):
        raise TypeError(f"stepper() needs the Value at the end of a computation, got {type(root).__name__} "
                        f"{_short(root)}")
    if not root.inputs:
        raise ValueError(f"{root!r} is an input, not the output of a gate: there is no backward pass to step through")
    return Stepper(root, palette=palette)
