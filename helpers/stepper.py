"""The backward stepper: the backward pass one gate at a time, a picture and a sentence per step.

Every number in a sentence is written as the drawing writes it (three
significant figures, :func:`helpers.style.format_number`), so each can be
checked against the picture beside it.
"""
import html

import ipywidgets as widgets
import numpy as np

from helpers.draw import draw
from helpers.engine import Value
from helpers.ops import OPS
from helpers.ops import name as gate_name
from helpers.style import describe
from helpers.widget_text import StaticText, short

__all__ = ["stepper", "Stepper", "step_sentences", "backward_gates"]


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

    ``sent`` holds one gradient per input, None for a constant input.  Gates
    with a sentence of their own are in :data:`RULES`, keyed like
    :data:`helpers.ops.OPS`; any other gate is told with its rule from the op table.
    """
    scalar = node.data.ndim == 0 and all(x.data.ndim == 0 for x in node.inputs)
    if len(node.inputs) == 2:
        return RULES.get((node.op, scalar), _generic)(node, g, sent)
    (a,), (s,) = node.inputs, sent
    if s is None:
        return f"{_who(a)} gets {CONSTANT_NOTE}"
    if scalar and node.op in SCALAR_RULES:
        return SCALAR_RULES[node.op](node, a, g, s).format(who=_who(a), g=_say(g), s=_say(s))
    return _generic(node, g, sent)


def _got(node, sent):
    """Return "x gets … and y gets …" for what a gate sent to each input."""
    ins = node.inputs
    if len(ins) == 2 and ins[0] is ins[1]:
        return f"{_who(ins[0])} gets {_say(sent[0])} along its first wire and {_say(sent[1])} along its second"
    return " and ".join(_gets(x, s) for x, s in zip(ins, sent))


def _generic(node, g, sent):
    """Return the op table's rule for the gate, then what each input got."""
    rule = OPS[node.op].rule
    return f"{rule} (the upstream gradient is {_say(g)}), so {_got(node, sent)}"


def _add(node, g, sent):
    text = f"passes the upstream gradient {_say(g)} unchanged to each input, so {_got(node, sent)}"
    if any(x.shape != node.shape for x in node.inputs):
        text += " (summed over the axes an input was broadcast along)"
    return text


def _mul_scalar(node, g, sent):
    a, b = node.inputs
    if a is b:
        return _mul_arrays(node, g, sent)
    return (f"each input gets the other input times the upstream gradient {_say(g)}: "
            f"{_gets(a, sent[0], f'{_say(b.data)} × {_say(g)} = ')} and "
            f"{_gets(b, sent[1], f'{_say(a.data)} × {_say(g)} = ')}")


def _mul_arrays(node, g, sent):
    return f"each input gets the other input times the upstream gradient, element by element, so {_got(node, sent)}"


def _maximum_scalar(node, g, sent):
    a, b = node.inputs
    if a is b:
        return _generic(node, g, sent)
    if a.data == b.data:
        return (f"its inputs tie at {_say(a.data)}, so it splits the upstream gradient {_say(g)} evenly: "
                f"{_got(node, sent)}")
    (win, to_win), (lose, to_lose) = sorted(zip(node.inputs, sent), key=lambda pair: -float(pair[0].data))
    larger = f"the larger input {win.name}" if win.name else f"the larger one, {_who(win)}"
    routed = f"{larger} ({_say(win.data)} > {_say(lose.data)})"
    if to_win is None:
        routed += ", where it stops: a constant needs no gradient"
    return (f"routes the whole upstream gradient {_say(g)} to {routed}; "
            + (f"{_who(lose)} gets 0" if to_lose is not None else _gets(lose, None)))


def _maximum_arrays(node, g, sent):
    return f"routes each element's upstream gradient to the larger input, so {_got(node, sent)}"


RULES = {("add", True): _add, ("add", False): _add, ("mul", True): _mul_scalar, ("mul", False): _mul_arrays,
         ("maximum", True): _maximum_scalar, ("maximum", False): _maximum_arrays}


def _pow(node, a, g, s):
    exponent = node.params["exponent"]
    p = f"{exponent:g}".replace("-", "−")                          # a true minus sign, as in the drawings
    local = _say(exponent * a.data ** (exponent - 1))
    return (f"{{who}} gets the local slope {p} · {_say(a.data)}^({p} − 1) = {local} "
            "times the upstream gradient {g} = {s}")


def _relu(node, a, g, s):
    if a.data > 0:
        return f"its input {_say(a.data)} is positive, so the gate is open and {{who}} gets the upstream gradient {{g}}"
    return f"its input {_say(a.data)} is not positive, so the gate is closed and {{who}} gets 0"


# one-input gates on single numbers: the sentence, with {who}, {g} (upstream) and {s} (sent) filled in
SCALAR_RULES = {
    "neg": lambda node, a, g, s: "flips the sign of the upstream gradient {g}, so {who} gets {s}",
    "pow": _pow,
    "exp": lambda node, a, g, s: f"{{who}} gets the gate's own output {_say(node.data)} times the upstream "
                                 "gradient {g} = {s}",
    "log": lambda node, a, g, s: "{who} gets the upstream gradient {g} divided by the input "
                                 f"{_say(a.data)} = {{s}}",
    "sigmoid": lambda node, a, g, s: f"{{who}} gets σ·(1 − σ) = {_say(node.data * (1 - node.data))} times the "
                                     "upstream gradient {g} = {s}",
    "tanh": lambda node, a, g, s: f"{{who}} gets 1 − tanh² = {_say(1 - node.data ** 2)} times the upstream "
                                  "gradient {g} = {s}",
    "relu": _relu,
}


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


class Stepper(StaticText, widgets.VBox):
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
                        f"{short(root)}")
    if not root.inputs:
        raise ValueError(f"{root!r} is an input, not the output of a gate: there is no backward pass to step through")
    return Stepper(root, palette=palette)
