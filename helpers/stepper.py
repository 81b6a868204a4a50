"""The backward stepper: the backward pass one gate at a time, a picture and a sentence per step.

Every number in a sentence is written as the drawing writes it (three
significant figures, :func:`helpers.style.describe`), so each can be
checked against the picture beside it.
"""
import html
from collections import Counter

import ipywidgets as widgets
import numpy as np

from helpers.draw import draw
from helpers.engine import Value
from helpers.ops import OPS
from helpers.ops import name as gate_name
from helpers.style import describe
from helpers.widget_text import StaticText, button, short

__all__ = ["stepper", "Stepper", "step_sentences", "backward_gates"]


def _who(node):
    """Return how a sentence refers to a node: its name, its number, or the gate that made it."""
    if node.name:
        return node.name
    if not node.inputs:
        return f"the {'constant' if node.constant else 'input'} {describe(node.data)}"
    return f"the {gate_name(node)} gate's output"


def _gets(node, share, how=""):
    """Return "x gets −4.00" (with ``how`` it was computed), or that a constant gets nothing."""
    if share is None:
        return f"{_who(node)} gets nothing, as a constant needs no gradient"
    return f"{_who(node)} gets {how}{describe(share)}"


def _rule(node, g, sent):
    """Return the clause saying what gate ``node`` did with upstream gradient ``g``, sending ``sent``.

    ``sent`` holds one gradient per input, None for a constant input.  A gate
    is told by its function in :data:`RULES` or its sentence in
    :data:`SENTENCES` (both keyed by op and whether every value is a single
    number); any other gate with its rule from :data:`helpers.ops.OPS`.
    """
    key = (node.op, node.data.ndim == 0 and all(x.data.ndim == 0 for x in node.inputs))
    if key in RULES:
        return RULES[key](node, g, sent)
    if key not in SENTENCES:                     # the op table's rule for the gate, then what each input got
        return f"{OPS[node.op].rule} (the upstream gradient is {describe(g)}), so {_got(node, sent)}"
    fields = {"g": describe(g), "got": _got(node, sent)}
    if len(node.inputs) == 1:                    # its input gets a gradient: a gate of constants runs no step
        (a,), (s,) = node.inputs, sent
        local = node.shares(np.ones_like(g))[0]              # what an upstream gradient of 1 becomes
        fields.update(who=_who(a), x=describe(a.data), s=describe(s), local=describe(local),
                      p=f"{node.params.get('exponent', 0):g}".replace("-", "−"))
    return SENTENCES[key].format(**fields)


def _got(node, sent):
    """Return "x gets … and y gets …" for what a gate sent to each input."""
    ins = node.inputs
    if len(ins) == 2 and ins[0] is ins[1]:
        return (f"{_who(ins[0])} gets {describe(sent[0])} along its first wire and {describe(sent[1])} "
                "along its second")
    return " and ".join(_gets(x, s) for x, s in zip(ins, sent))


def _add(node, g, sent):
    text = f"passes the upstream gradient {describe(g)} unchanged to each input, so {_got(node, sent)}"
    if any(x.shape != node.shape for x in node.inputs):
        text += " (summed over the axes an input was broadcast along)"
    return text


def _mul_scalar(node, g, sent):
    a, b = node.inputs
    return (f"each input gets the other input times the upstream gradient {describe(g)}: "
            f"{_gets(a, sent[0], f'{describe(b.data)} × {describe(g)} = ')} and "
            f"{_gets(b, sent[1], f'{describe(a.data)} × {describe(g)} = ')}")


def _maximum_scalar(node, g, sent):
    a, b = node.inputs
    if a.data == b.data:
        return (f"its inputs tie at {describe(a.data)}, so it splits the upstream gradient {describe(g)} evenly: "
                f"{_got(node, sent)}")
    (win, to_win), (lose, to_lose) = sorted(zip(node.inputs, sent), key=lambda pair: -float(pair[0].data))
    larger = f"the larger input {win.name}" if win.name else f"the larger one, {_who(win)}"
    routed = f"{larger} ({describe(win.data)} > {describe(lose.data)})"
    if to_win is None:
        routed += ", where it stops: a constant needs no gradient"
    return (f"routes the whole upstream gradient {describe(g)} to {routed}; "
            + (f"{_who(lose)} gets 0" if to_lose is not None else _gets(lose, None)))


def _relu_scalar(node, g, sent):
    a, x = node.inputs[0], describe(node.inputs[0].data)
    if a.data > 0:
        return (f"its input {x} is positive, so the gate is open and {_who(a)} gets the upstream gradient "
                f"{describe(g)}")
    return f"its input {x} is not positive, so the gate is closed and {_who(a)} gets 0"


RULES = {("add", True): _add, ("add", False): _add, ("mul", True): _mul_scalar,
         ("maximum", True): _maximum_scalar, ("relu", True): _relu_scalar}

# {g}: the upstream gradient; {got}: what each input got; for a one-input gate, {who} is its input, {x} the
# input's value, {s} what the input got, {local} the gate's local slope and {p} a power's exponent
SENTENCES = {
    ("mul", False): "each input gets the other input times the upstream gradient, element by element, so {got}",
    ("maximum", False): "routes each element's upstream gradient to the larger input, so {got}",
    ("neg", True): "flips the sign of the upstream gradient {g}, so {who} gets {s}",
    ("pow", True): "{who} gets the local slope {p} · {x}^({p} − 1) = {local} times the upstream gradient {g} "
                   "= {s}",
    ("exp", True): "{who} gets the gate's own output {local} times the upstream gradient {g} = {s}",
    ("log", True): "{who} gets the upstream gradient {g} divided by the input {x} = {s}",
    ("sigmoid", True): "{who} gets σ·(1 − σ) = {local} times the upstream gradient {g} = {s}",
    ("tanh", True): "{who} gets 1 − tanh² = {local} times the upstream gradient {g} = {s}",
}


def backward_gates(root, grads):
    """Return the gates that run a backward step, in the order they run (gates of constants alone run none)."""
    return [node for node in reversed(root.topological_order())
            if node.inputs and id(node) in grads and node.requires_grad]


def _fork_note(x, uses, arrived, before, total):
    """Return what a step says of an input used ``uses`` times: part of its gradient so far, or the sum."""
    times = {2: "twice"}.get(uses, f"{uses} times")
    if arrived < uses:
        return f"{_who(x)} is used {times}, so this is only part of its gradient: {describe(total)} so far"
    sum_text = f"{describe(before)} + {describe(total - before)} = " if before is not None else ""
    return (f"{_who(x)} is used {times}, so its gradient is the sum of the shares: {sum_text}{describe(total)} "
            "(gradients add up at a fork)")


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
    uses = Counter(id(x) for node in root.topological_order() for x in node.inputs)
    sentences = [f"Start at the output: the gradient of {root.name or 'the output'} with respect to itself "
                 f"is {describe(grads[id(root)])}."]
    running, arrived = {}, Counter()              # the gradient arrived at each node so far, over how many wires
    for gate in backward_gates(root, grads):
        sent = gate.shares(grads[id(gate)])
        before = dict(running)
        for x, share in zip(gate.inputs, sent):
            if share is not None:
                running[id(x)] = running.get(id(x), 0) + share
                arrived[id(x)] += 1
        notes = [_fork_note(x, uses[id(x)], arrived[id(x)], before.get(id(x)), running[id(x)])
                 for x in dict.fromkeys(gate.inputs) if uses[id(x)] > 1 and id(x) in running]
        sentences.append(f"{gate_name(gate)} gate: {_rule(gate, grads[id(gate)], sent)}"
                         + "".join(f"; {note}" for note in notes) + ".")
    return sentences


class Stepper(StaticText, widgets.VBox):
    """Prev/Next buttons and a slider that walk a backward pass, one gate per step; made by :func:`stepper`."""

    def __init__(self, root, *, palette=None):
        self.root, self.palette = root, palette
        self.gradients = root.gradients()                          # computed aside: no .grad changes
        self.gates = backward_gates(root, self.gradients)
        self.sentences = step_sentences(root, self.gradients)
        self.slider = widgets.IntSlider(value=0, min=0, max=len(self.gates), description="step",
                                        layout=widgets.Layout(width="min(28em, 100%)"))
        self.prev_button = button("◀ Prev", "Go back one gate", lambda: self.go(self.step - 1))
        self.next_button = button("Next ▶", "Run the next gate's backward step", lambda: self.go(self.step + 1))
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
        """Return the gates whose backward step has run by ``step`` (default: the step shown).

        At the last step every gate counts as done, gates fed by constants alone (which run no step) too.
        """
        step = self.step if step is None else step
        if step < len(self.gates):
            return self.gates[:step]
        return [node for node in self.root.topological_order() if node.inputs]

    def drawing(self, step):
        """Return the Drawing for ``step``: gradients known so far, the gate that just ran highlighted."""
        return draw(self.root, gradients=self.gradients, done=self.done(step),
                    highlight=self.gates[step - 1] if step else None, palette=self.palette)

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
                        f"{short(root)}")
    if not root.inputs:
        raise ValueError(f"{root!r} is an input, not the output of a gate: there is no backward pass to step through")
    return Stepper(root, palette=palette)
